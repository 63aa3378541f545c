import { describe, expect, it } from 'vitest';
import { faultCountsLine, faultMix, INJECTED_FAULTS } from '../../src/replay/faults/kinds.js';
import { parseScenario } from '../../src/scenario/load.js';
import { sat } from '../helpers.js';

const base = { name: 'f', key: 'k', event_time: 't', id: ['k', 't'], fields: { k: 'string', t: 'timestamp', v: 'float' }, window: { tumbling: '1m' }, watermark: '0s', aggregations: { n: 'count()' } };

describe('the list of injected faults drives flags, scenario keys, the mix and the summary', () => {
  it('each fault has its flag in sat replay --help, its key in a scenario file, its share in the mix and its count in the summary', () => {
    const help = sat('replay', '--help').stdout;
    const counts = { none: 0, source: 7, malformed: 0, late: 0, duplicate: 0, 'out-of-order': 0, boundary: 0 };
    INJECTED_FAULTS.forEach((f, i) => {
      expect(help, f.flag).toContain(`${f.flag} <p>`);
      const s = parseScenario({ ...base, faults: { [f.scenarioKey]: 0.125 } }, 'test');
      expect(s.faults[f.share], f.scenarioKey).toBe(0.125);
      expect(faultMix({ [f.share]: 0.25 }, s.faults)[f.share]).toBe(0.25);
      counts[f.kind] = 100 + i;
    });
    const line = faultCountsLine(counts);
    INJECTED_FAULTS.forEach((f, i) => expect(line).toContain(`${f.kind} ${100 + i}`));
    expect(line).toContain('bad source rows 7');
  });

  it('refuses exclusive shares over 1, naming the flags, and an unknown scenario fault key', () => {
    const s = parseScenario(base, 'test');
    const exclusive = INJECTED_FAULTS.filter((f) => f.exclusive);
    expect(() => faultMix(Object.fromEntries(exclusive.map((f) => [f.share, 0.4])), s.faults)).toThrow(new RegExp(exclusive.map((f) => f.flag).join(' \\+ ')));
    expect(() => parseScenario({ ...base, faults: { reorder: 0.1 } }, 'test')).toThrow(/reorder/);
  });
});
