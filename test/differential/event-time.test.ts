import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createValidator, Rejected } from '../../src/engine/validate.js';
import { parseScenario } from '../../src/scenario/load.js';
import type { Scenario } from '../../src/scenario/types.js';
import { fieldValidSql, eventTimeSql, lit } from '../../src/verify/sql.js';
import { openDb } from './harness.js';

/**
 * README "Event time", held equal: the engine's parser (src/core/time-format.ts, zones by Node's
 * Intl) and the oracle's SQL (src/verify/sql.ts, DuckDB's casts, strptime and ICU) on random texts
 * in every format, in zones with the awkward transitions (gaps, repeated hours, 30-minute DST,
 * a skipped day, offsets in seconds), valid and broken. Both must agree on valid or not, and on the instant.
 */
const RUNS = Number(process.env.SAT_TIME_RUNS ?? 60);

const ZONES = ['UTC', 'America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'Asia/Kolkata', 'Asia/Kathmandu', 'Pacific/Apia', 'Africa/Monrovia', 'Europe/London', 'America/Sao_Paulo'];
const PATTERNS = ['%Y/%m/%d %H:%M', '%m/%d/%Y %I:%M:%S %p', '%d.%m.%Y %H:%M:%S.%f', '%Y-%m-%dT%H:%M:%S%z', '%Y%m%d%H%M%S', '%Y-%m-%d'];
const FORMATS = ['iso', 'iso-date', 'epoch_s', 'epoch_ms', 'epoch_us', ...PATTERNS];

/** Days with a transition in one of the zones (and a plain day), so hours near a gap or a repeat come up often. */
const DAYS: [number, number, number][] = [
  [2024, 3, 10], [2024, 11, 3], [2024, 3, 31], [2024, 10, 27], [2024, 4, 7], [2024, 10, 6], [1941, 5, 4], [1941, 8, 10],
  [2011, 12, 29], [2011, 12, 30], [2011, 12, 31], [1972, 1, 7], [2018, 11, 4], [2019, 2, 16], [1986, 1, 1], [2023, 6, 15],
];

interface Parts { y: number; mo: number; d: number; h: number; mi: number; s: number; frac: string; offset: string }

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const partsArb: fc.Arbitrary<Parts> = fc.record({
  day: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...DAYS) }, { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: 2300 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 })) }),
  h: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 3 }) }, { weight: 3, arbitrary: fc.integer({ min: 0, max: 23 }) }, { weight: 1, arbitrary: fc.constant(24) }),
  mi: fc.oneof(fc.constantFrom(0, 29, 30, 44, 45, 59), fc.integer({ min: 0, max: 60 })),
  s: fc.oneof(fc.constantFrom(0, 30, 59), fc.integer({ min: 0, max: 60 })),
  frac: fc.constantFrom('', '5', '123', '999999', '1234567'),
  offset: fc.constantFrom('', 'Z', '+02:00', '-0530', '+14:00'),
}).map(({ day: [y, mo, d], ...r }) => ({ y, mo, d, ...r }));

/** The text of a time in a format; breakage comes from out-of-range parts and from `mangle`. */
function render(format: string, p: Parts): string {
  const date = `${pad(p.y, 4)}-${pad(p.mo)}-${pad(p.d)}`;
  const secs = Date.UTC(2000, 0, 1) / 1000 + ((p.y - 2000) * 365 + p.mo * 31 + p.d) * 86400 + (p.h * 60 + p.mi) * 60 + p.s;
  switch (format) {
    case 'iso': return `${date}${p.h % 2 ? 'T' : ' '}${pad(p.h)}:${pad(p.mi)}:${pad(p.s)}${p.frac ? `.${p.frac}` : ''}${p.offset}`;
    case 'iso-date': return date;
    case 'epoch_s': return `${Math.abs(secs)}${p.frac ? `.${p.frac}` : ''}`;
    case 'epoch_ms': return `${Math.abs(secs) * 1000 + p.s}`;
    case 'epoch_us': return `${Math.abs(secs) * 1_000_000 + p.mi * 1000 + p.s}`;
  }
  const codes: Record<string, string> = {
    Y: pad(p.y, 4), m: pad(p.mo), d: pad(p.d), H: pad(p.h), I: pad(p.h % 12 === 0 ? 12 : p.h % 12), p: p.h < 12 ? 'AM' : 'PM',
    M: pad(p.mi), S: pad(p.s), f: p.frac || '0', z: p.offset === '' || p.offset === 'Z' ? '+00:00' : p.offset,
  };
  return format.replace(/%(.)/g, (_, c: string) => codes[c]);
}

const mangle = fc.constantFrom<(t: string) => string>(
  (t) => t, (t) => t, (t) => t, (t) => t, (t) => t, (t) => t,
  (t) => t.slice(0, -1), (t) => `${t} `, (t) => ` ${t}`, (t) => t.replace(/\d/, 'x'), (t) => t.replace(/-/, '/'), (t) => `-${t}`, (t) => t.replace(/0/g, ''), (t) => `${t}0`,
);

function scenarioFor(format: string, zone: string): Scenario {
  const date = format === 'iso-date';
  const epoch = format.startsWith('epoch');
  return parseScenario(
    {
      name: 'time', key: 'k', id: ['k'],
      event_time: { field: 'ts', format: date ? 'iso' : format, zone: epoch ? 'UTC' : zone },
      fields: { k: 'string', ts: date ? 'date' : 'timestamp' },
      window: { tumbling: '1m' }, watermark: '0s', aggregations: { n: 'count()' },
    },
    'event-time case',
  );
}

let db: Awaited<ReturnType<typeof openDb>>;
beforeAll(async () => {
  db = await openDb();
});
afterAll(() => db.close());

/** Each side's reading of every text: the instant in ms, or 'invalid'. */
async function bothSides(s: Scenario, texts: string[]): Promise<{ engine: string[]; oracle: string[] }> {
  const validate = createValidator(s);
  const engine = texts.map((t) => {
    const r = validate(new TextEncoder().encode(JSON.stringify({ k: 'a', ts: t })));
    return r instanceof Rejected ? 'invalid' : String(r.time);
  });
  const f = s.fields.find((x) => x.name === 'ts')!;
  const rows = texts.map((t, i) => `(${i}, ${lit(t)})`).join(', ');
  const r = await db.db.runAndReadAll(`SELECT CASE WHEN ${fieldValidSql(f, true, s)} THEN CAST(${eventTimeSql(s)} AS VARCHAR) ELSE 'invalid' END
    FROM (VALUES ${rows}) AS t(i, ts) ORDER BY i`);
  return { engine, oracle: r.getRows().map(([v]) => String(v)) };
}

describe('event time: engine parser vs oracle SQL', () => {
  it(`agree on ${RUNS} random (format, zone) cases of 200 texts each`, { timeout: 300_000 }, async () => {
    let valid = 0;
    let total = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...FORMATS), fc.constantFrom(...ZONES), fc.array(fc.tuple(partsArb, mangle), { minLength: 200, maxLength: 200 }), async (format, zone, cases) => {
        const s = scenarioFor(format, zone);
        const texts = cases.map(([p, m]) => m(render(format, p)));
        const { engine, oracle } = await bothSides(s, texts);
        const differ = texts.map((t, i) => ({ t, engine: engine[i], oracle: oracle[i] })).filter((x) => x.engine !== x.oracle);
        expect(differ, `${format} in ${zone}`).toEqual([]);
        valid += engine.filter((e) => e !== 'invalid').length;
        total += texts.length;
      }),
      { numRuns: RUNS, seed: process.env.SAT_DIFF_SEED ? Number(process.env.SAT_DIFF_SEED) : undefined },
    );
    // A test that compared only refusals would prove little: most texts must be valid times.
    expect(valid / total).toBeGreaterThan(0.4);
  });

  it('reads a repeated local hour as the earlier instant and a skipped one moved later by the gap', async () => {
    const s = scenarioFor('iso', 'America/New_York');
    const texts = ['2024-11-03 01:30:00', '2024-03-10 02:30:00', '2024-07-01 12:00:00', '2024-07-01T12:00:00Z', '2024-07-01 12:00:00+02:00'];
    const { engine, oracle } = await bothSides(s, texts);
    const expected = ['2024-11-03T05:30:00.000Z', '2024-03-10T07:30:00.000Z', '2024-07-01T16:00:00.000Z', '2024-07-01T12:00:00.000Z', '2024-07-01T10:00:00.000Z'].map((x) => String(Date.parse(x)));
    expect(engine).toEqual(expected);
    expect(oracle).toEqual(expected);
  });

  it('refuses a bad format or zone in the scenario with a one-line reason', () => {
    expect(() => scenarioFor('%Y/%q', 'UTC')).toThrow(/"%q" is not a pattern code sat reads/);
    expect(() => scenarioFor('%H:%M', 'UTC')).toThrow(/needs %Y, %m and %d/);
    expect(() => scenarioFor('iso', 'Mars/Olympus')).toThrow(/"Mars\/Olympus" is not an IANA time zone/);
    expect(() => scenarioFor('yyyy-MM-dd', 'UTC')).toThrow(/is not iso, epoch_s, epoch_ms, epoch_us or a pattern/);
  });
});
