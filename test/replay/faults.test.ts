import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import { createValidator, Rejected } from '../../src/engine/validate.js';
import { toOutgoing, type Outgoing } from '../../src/replay/convert.js';
import { corrupt, MALFORMED_KINDS } from '../../src/replay/faults/malformed.js';
import { planFaults } from '../../src/replay/faults/plan.js';
import { loadScenario } from '../../src/scenario/load.js';

const iot = loadScenario('iot');
const enc = new TextEncoder();

/** A clean IoT stream: one reading every 5 s for an hour, two devices. */
function stream(n = 720): Outgoing[] {
  const t0 = Date.UTC(2018, 3, 9);
  return Array.from({ length: n }, (_, i) => {
    const t = t0 + i * 5_000;
    return toOutgoing(
      {
        row: i,
        values: {
          time: String(t), readable_time: new Date(t).toISOString(), acceleration: '1010.5', acceleration_x: '-44',
          acceleration_y: '300', acceleration_z: '964', battery: '3007', humidity: '35', pressure: '1009.16',
          temperature: '27.85', 'dev-id': i % 2 ? 'A' : 'B',
        },
      },
      iot,
    );
  });
}

describe('malformed records', () => {
  const validate = createValidator(iot);
  const clean = stream(1)[0];

  it('a clean record passes the engine validator', () => {
    expect(validate(enc.encode(clean.payload))).not.toBeInstanceOf(Rejected);
  });

  const expectedKind: Record<string, string[]> = {
    truncated: ['not-json'],
    'wrong-type': ['wrong-type', 'empty-field'],
    'missing-key': ['missing-key'],
    'bad-timestamp': ['bad-timestamp', 'empty-field'],
    'garbage-bytes': ['invalid-utf8'],
    'extra-field': ['unexpected-field'],
    'missing-field': ['missing-field'],
  };

  it.each(MALFORMED_KINDS)('%s is rejected with a reason', (kind) => {
    const rng = createRng(1);
    let seen = 0;
    for (let i = 0; i < 400 && seen < 5; i++) {
      const c = corrupt(JSON.parse(clean.payload), iot, rng);
      if (c.kind !== kind) continue;
      seen++;
      const v = validate(c.payload);
      expect(v).toBeInstanceOf(Rejected);
      if (v instanceof Rejected) {
        expect(expectedKind[kind]).toContain(v.kind);
        expect(v.reason.length).toBeGreaterThan(3);
      }
    }
    expect(seen).toBeGreaterThan(0);
  });
});

describe('fault plan', () => {
  const mix = { malformed: 0.05, late: 0.05, lateBy: [60_000, 300_000] as [number, number], duplicates: 0.05, outOfOrder: 0.1, boundary: 0 };

  it('is deterministic from the seed', () => {
    const a = planFaults(stream(), iot, mix, 7);
    const b = planFaults(stream(), iot, mix, 7);
    const c = planFaults(stream(), iot, mix, 8);
    const sig = (p: typeof a) => p.deliveries.map((d) => `${d.item.row}:${d.fault}`).join(',');
    expect(sig(a)).toBe(sig(b));
    expect(sig(a)).not.toBe(sig(c));
  });

  it('sends every record once plus its duplicates, and each kind is present', () => {
    const { deliveries, summary } = planFaults(stream(), iot, mix, 3);
    expect(summary.read).toBe(720);
    expect(deliveries.length).toBe(720 + summary.faults.duplicate);
    for (const k of ['malformed', 'late', 'duplicate', 'out-of-order'] as const) expect(summary.faults[k]).toBeGreaterThan(0);
    const firstDeliveries = deliveries.filter((d) => d.fault !== 'duplicate').map((d) => d.item.row).sort((x, y) => x - y);
    expect(firstDeliveries).toEqual(Array.from({ length: 720 }, (_, i) => i));
  });

  /** Replays the plan through the engine's own watermark rule, to check each fault does what it says. */
  function watermarkAt(deliveries: ReturnType<typeof planFaults>['deliveries']) {
    let max = -Infinity;
    return deliveries.map((d) => {
      if (d.fault !== 'malformed' && d.item.eventTime !== undefined) max = Math.max(max, d.item.eventTime);
      return max - iot.watermarkDelay;
    });
  }

  it('delivers late records after their window closed by at least late-by', () => {
    const { deliveries } = planFaults(stream(), iot, mix, 5);
    const wm = watermarkAt(deliveries);
    deliveries.forEach((d, i) => {
      if (d.fault !== 'late') return;
      const end = Math.floor(d.item.eventTime! / 60_000) * 60_000 + 60_000;
      expect(wm[i]).toBeGreaterThanOrEqual(end + mix.lateBy[0]);
    });
  });

  it('keeps out-of-order records within the watermark delay, so they still count', () => {
    const { deliveries } = planFaults(stream(), iot, mix, 5);
    const wm = watermarkAt(deliveries);
    let moved = 0;
    deliveries.forEach((d, i) => {
      if (d.fault !== 'out-of-order') return;
      moved++;
      expect(wm[i]).toBeLessThan(d.item.eventTime!);
    });
    expect(moved).toBeGreaterThan(0);
  });

  it('delivers a duplicate after the original', () => {
    const { deliveries } = planFaults(stream(), iot, mix, 9);
    const firstAt = new Map<number, number>();
    deliveries.forEach((d, i) => {
      if (d.fault === 'duplicate') expect(firstAt.get(d.item.row)).toBeLessThan(i);
      else firstAt.set(d.item.row, i);
    });
  });
});

describe('boundary probes', () => {
  // The operator is the judge here: the watermark it reaches right before each probe is delivered.
  it('place each probe exactly where its rule changes, as the engine sees it', async () => {
    const { placeBoundaryProbes } = await import('../../src/replay/faults/boundary.js');
    const { WindowOperator } = await import('../../src/engine/operator.js');
    const items = stream();
    const plan = planFaults(items, iot, { malformed: 0, late: 0, lateBy: [60_000, 60_000], duplicates: 0, outOfOrder: 0, boundary: 0 }, 1);
    const { deliveries, probes } = placeBoundaryProbes(plan.deliveries, iot, 0.1, 3, () => 0);
    for (const p of ['edge-first', 'edge-last', 'late-at-close', 'before-close', 'dup-at-expiry', 'dup-before-expiry']) expect(probes[p as 'edge-first'], p).toBeGreaterThan(0);
    const validate = createValidator(iot);
    const op = new WindowOperator(iot);
    const seen: Record<string, string[]> = {};
    for (const d of deliveries) {
      const v = validate(d.payload ?? enc.encode(d.item.payload));
      if (v instanceof Rejected) throw new Error(v.reason);
      const before = op.watermark;
      const { outcome } = op.process(v);
      if (d.fault !== 'boundary' || d.detail.startsWith('pusher')) continue;
      const kind = d.detail.split(':')[0];
      const close = Math.floor(v.time / 60_000) * 60_000 + 60_000;
      (seen[kind] ??= []).push(outcome);
      if (kind === 'late-at-close') expect(op.watermark).toBe(close);
      if (kind === 'before-close') expect(op.watermark).toBe(close - 1);
      if (kind === 'edge-first') expect(v.time % 60_000).toBe(0);
      if (kind === 'edge-last') expect(v.time % 60_000).toBe(59_999);
      if (kind.startsWith('dup')) expect(before).toBe(v.time - (kind === 'dup-at-expiry' ? 0 : 1));
    }
    expect(new Set(seen['late-at-close'])).toEqual(new Set(['late']));
    expect(new Set(seen['before-close'])).toEqual(new Set(['counted']));
    expect(new Set(seen['dup-at-expiry'])).toEqual(new Set(['counted']));
    expect(new Set(seen['dup-before-expiry'])).toEqual(new Set(['duplicate']));
  });
});
