import { readdirSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCheckpointFile } from '../../src/engine/checkpoint/file.js';
import { RunCheckpoints, type RunCheckpoint, type RunState } from '../../src/engine/checkpoint/run-checkpoints.js';
import { WindowOperator } from '../../src/engine/operator.js';
import { parseScenario } from '../../src/scenario/load.js';
import { tempDir } from '../helpers.js';

const s = parseScenario({ name: 't', key: 'k', event_time: 'ts', id: ['id'], fields: { id: 'string', k: 'string', ts: 'timestamp', v: 'float' }, window: { sliding: '1h', every: '1m' }, watermark: '30s', aggregations: { n: 'count()', total: 'sum(v)' } }, 'test');
const state = (records: number): RunState => ({ records, validCount: records, reader: { partitions: [], nextSeq: records }, sinks: {}, deadLetterKinds: {} });

/** Feeds records from..to-1 (20 s apart, 5 keys). */
function feed(op: WindowOperator, from: number, to: number): void {
  for (let i = from; i < to; i++) op.process({ key: `k${i % 5}`, time: i * 20_000, id: `r${i}`, values: { v: i % 7 } });
}

describe('run checkpoints: a full snapshot, then changelogs', () => {
  it('writes full first, changelogs after; resuming composes the chain, and a corrupt file ends it before itself', () => {
    const dir = tempDir('sat-cps-');
    const cps = new RunCheckpoints(dir);
    const op = new WindowOperator(s);
    const states: string[] = [];
    // A large state first, then a few records per checkpoint: each changelog is far smaller than it.
    const at = [0, 400, 410, 420, 430, 440, 450];
    for (let c = 0; c < 6; c++) {
      feed(op, at[c], at[c + 1]);
      cps.write(state(at[c + 1]), op);
      // What the operator holds now (a copy through a snapshot; it resets the change tracking at this same point).
      states.push(JSON.stringify(op.snapshot()));
    }
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(6);
    const kinds = files.map((f) => readCheckpointFile<RunCheckpoint>(join(dir, f))!.kind);
    expect(kinds).toEqual(['full', 'delta', 'delta', 'delta', 'delta', 'delta']);
    expect(statSync(join(dir, files[1])).size).toBeLessThan(statSync(join(dir, files[0])).size);

    const all = new RunCheckpoints(dir).latest();
    expect(all.corrupt).toEqual([]);
    expect(all.checkpoint!.records).toBe(450);
    expect(all.checkpoint!.changes).toHaveLength(5);
    expect(JSON.stringify(WindowOperator.restore(s, all.checkpoint!.operator, {}, all.checkpoint!.changes).snapshot())).toBe(states[5]);

    truncateSync(join(dir, files[3]), 10); // a changelog in the middle, half-written
    const cut = new RunCheckpoints(dir).latest();
    expect(cut.corrupt).toEqual([files[3]]);
    expect(cut.file).toBe(join(dir, files[2]));
    expect(cut.checkpoint!.records).toBe(420);
    expect(JSON.stringify(WindowOperator.restore(s, cut.checkpoint!.operator, {}, cut.checkpoint!.changes).snapshot())).toBe(states[2]);
  });
});
