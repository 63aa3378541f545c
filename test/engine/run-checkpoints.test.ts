import { readdirSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCheckpointFile, writeCheckpointFile } from '../../src/engine/checkpoint/file.js';
import { RunCheckpoints, type RunCheckpoint, type RunState } from '../../src/engine/checkpoint/run-checkpoints.js';
import type { CheckpointWriter } from '../../src/engine/checkpoint/writer.js';
import { CheckpointStore } from '../../src/engine/kafka/checkpoints.js';
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
  it('writes full first, changelogs after; resuming composes the chain, and a corrupt file ends it before itself', async () => {
    const dir = tempDir('sat-cps-');
    const cps = new RunCheckpoints(dir);
    const op = new WindowOperator(s);
    const states: string[] = [];
    // A large state first, then a few records per checkpoint: each changelog is far smaller than it.
    const at = [0, 400, 410, 420, 430, 440, 450];
    for (let c = 0; c < 6; c++) {
      feed(op, at[c], at[c + 1]);
      await cps.write(state(at[c + 1]), op);
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

describe('run checkpoints with writes still under way', () => {
  it('never deletes what the newest landed checkpoint stands on, whichever writes have landed', async () => {
    const dir = tempDir('sat-cpw-');
    // A writer that lands its writes only when told to (the thread writer lands them in order, later).
    const queued: { file: string; body: unknown }[] = [];
    let landed = 0;
    const writer: CheckpointWriter = {
      async write(file, body) {
        queued.push({ file, body });
      },
      async flush() {},
      async settle() {},
      get landed() {
        return landed;
      },
    };
    const land = (k: number) => {
      for (; k > 0 && landed < queued.length; k--, landed++) writeCheckpointFile(queued[landed].file, queued[landed].body);
    };
    const cps = new RunCheckpoints(dir, writer);
    const op = new WindowOperator(s);
    const records: number[] = [];
    let fulls = 0;
    // 100 records a checkpoint over a state that stays about the same size: a full one every few.
    for (let c = 0; c < 40; c++) {
      feed(op, c * 100, (c + 1) * 100);
      await cps.write(state((c + 1) * 100), op);
      records.push((c + 1) * 100);
      // Landing falls behind by up to 15 writes (several fulls), then catches up.
      land(c < 30 ? c % 2 : 3);
      if ((queued[queued.length - 1].body as RunCheckpoint).kind === 'full') fulls++;
      // A crash now resumes from the newest landed checkpoint, its whole chain on disk.
      const found = new RunCheckpoints(dir).latest();
      expect(found.corrupt).toEqual([]);
      expect(found.checkpoint?.records).toBe(landed === 0 ? undefined : records[landed - 1]);
    }
    expect(fulls).toBeGreaterThan(3);
    land(queued.length);
    await cps.flush();
    expect(new RunCheckpoints(dir).latest().checkpoint!.records).toBe(4000);
    // What was pruned: files before the last two fulls' chains.
    expect(readdirSync(dir).length).toBeLessThan(40);
  });
});

describe('Kafka partition checkpoints: a chain per partition, named by offset', () => {
  it('the committed offset composes its chain; a restored task writes full first; prune keeps what the commit stands on; a corrupt base is named', () => {
    const dir = tempDir('sat-kcps-');
    const store = new CheckpointStore(dir);
    const op = new WindowOperator(s);
    const snapshots = new Map<number, string>();
    // Offsets 400, 410, ... 450: a full checkpoint, then changelogs.
    const at = [0, 400, 410, 420, 430, 440, 450];
    for (let c = 0; c < 6; c++) {
      feed(op, at[c], at[c + 1]);
      store.write({ partition: 3, nextOffset: at[c + 1], ended: false }, op);
      snapshots.set(at[c + 1], JSON.stringify(WindowOperator.restore(s, op.snapshot()).snapshot()));
      store.prune(3, at[c + 1]);
    }
    const kinds = readdirSync(dir).sort().map((f) => readCheckpointFile<RunCheckpoint>(join(dir, f))!.kind);
    expect(kinds).toEqual(['full', 'delta', 'delta', 'delta', 'delta', 'delta']);
    for (const offset of [400, 430, 450]) {
      const cp = store.read(3, offset)!;
      expect(cp.nextOffset).toBe(offset);
      expect(JSON.stringify(WindowOperator.restore(s, cp.operator, {}, cp.changes).snapshot())).toBe(snapshots.get(offset));
    }
    // Restored at 450 (as a member taking the partition over): its next file is full, and once that is
    // committed the old chain goes.
    store.restart(3);
    const resumed = WindowOperator.restore(s, store.read(3, 450)!.operator, {}, store.read(3, 450)!.changes);
    feed(resumed, 450, 460);
    store.write({ partition: 3, nextOffset: 460, ended: true }, resumed);
    expect(readCheckpointFile<RunCheckpoint>(join(dir, 'p3-000000000460.json'))!.kind).toBe('full');
    store.prune(3, 460);
    expect(readdirSync(dir)).toEqual(['p3-000000000460.json']);
    expect(store.ended(3, 460)).toBe(true);

    feed(resumed, 460, 470);
    store.write({ partition: 3, nextOffset: 470, ended: true }, resumed);
    truncateSync(join(dir, 'p3-000000000460.json'), 20);
    expect(() => store.read(3, 470)).toThrow(/p3-000000000460\.json is corrupt.*offset 470 of partition 3, which stands on it/);
  });
});

describe('checkpoints of an older sat (window state in another layout)', () => {
  it('are named and refused on Kafka (exit 3, one line) and skipped on the embedded log, never a stack trace', () => {
    const dir = tempDir('sat-old-');
    const old = { version: 1, kind: 'full', partition: 0, nextOffset: 9, ended: false, operator: { watermark: 0, stats: {}, buckets: [], fireFrom: null, forget: [] } };
    writeCheckpointFile(join(dir, 'p0-000000000009.json'), old);
    expect(() => new CheckpointStore(dir).read(0, 9)).toThrow(/p0-000000000009\.json is written by an older sat.*a new --group starts from the beginning/);
    writeCheckpointFile(join(dir, 'cp-000000000000.json'), { ...old, records: 5 });
    const found = new RunCheckpoints(dir).latest();
    expect(found.checkpoint).toBeUndefined();
    expect(found.corrupt).toEqual(['cp-000000000000.json']);
  });
});

describe('the checkpoint writer thread (the embedded run writes its checkpoints on it)', () => {
  // The thread runs compiled code: the build's (npm test builds first).
  const built = '../../dist/engine/checkpoint/writer.js';
  const load = async () => (await import(built)) as typeof import('../../src/engine/checkpoint/writer.js');

  it('writes the chain as the inline writer does, each durable before the next starts; resuming reads it back', async () => {
    const { ThreadWriter } = await load();
    const dir = tempDir('sat-cpt-');
    const cps = new RunCheckpoints(dir, new ThreadWriter());
    const op = new WindowOperator(s);
    const at = [0, 400, 410, 420];
    const states: string[] = [];
    for (let c = 0; c < 3; c++) {
      feed(op, at[c], at[c + 1]);
      await cps.write(state(at[c + 1]), op);
      states.push(JSON.stringify(op.snapshot()));
    }
    await cps.flush();
    expect(readdirSync(dir).sort()).toEqual(['cp-000000000000.json', 'cp-000000000001.json', 'cp-000000000002.json']);
    const back = new RunCheckpoints(dir).latest();
    expect(back.corrupt).toEqual([]);
    expect(back.checkpoint!.records).toBe(420);
    expect(JSON.stringify(WindowOperator.restore(s, back.checkpoint!.operator, {}, back.checkpoint!.changes).snapshot())).toBe(states[2]);
  });

  it('a write that fails is raised by the next call, naming the file (exit 3), and leaves no temporary file', async () => {
    const { ThreadWriter } = await load();
    const dir = tempDir('sat-cpt-');
    const w = new ThreadWriter();
    const file = join(dir, 'gone', 'cp-000000000000.json');
    await w.write(file, { records: 1 });
    await expect(w.flush()).rejects.toMatchObject({ exitCode: 3, message: expect.stringMatching(/^writing .*gone\/cp-000000000000\.json.*: no such file or directory \(ENOENT\)$/) });
    // Raised once; the writer goes on.
    await w.write(join(dir, 'cp-000000000001.json'), { records: 1 });
    await w.flush();
    expect(readdirSync(dir).sort()).toEqual(['cp-000000000001.json']);
  });

  it('a write handed over with `ready` is written once it resolves, with the part it filled in, still in order; a failed `ready` fails that write alone', async () => {
    const { ThreadWriter } = await load();
    const dir = tempDir('sat-cpt-');
    const w = new ThreadWriter();
    let fill!: () => void;
    const body: { records: number; results?: number } = { records: 1 };
    const ready = new Promise<void>((resolve) => (fill = () => {
      body.results = 7;
      resolve();
    }));
    await w.write(join(dir, 'cp-000000000000.json'), body, ready);
    // Up to UNDER_WAY writes are under way at once: the ones after the first are handed over without
    // waiting, held behind its `ready`; the next one waits for the first to be durable.
    const { UNDER_WAY } = await load();
    for (let i = 1; i < UNDER_WAY; i++) await w.write(join(dir, `cp-00000000000${i}.json`), { records: i + 1 });
    expect(w.landed).toBe(0);
    let waited = false;
    const next = w.write(join(dir, `cp-00000000000${UNDER_WAY}.json`), { records: UNDER_WAY + 1 }).then(() => (waited = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(waited).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
    fill();
    await next;
    expect(w.landed).toBeGreaterThanOrEqual(1);
    await w.flush();
    expect(w.landed).toBe(UNDER_WAY + 1);
    expect(readCheckpointFile(join(dir, 'cp-000000000000.json'))).toEqual({ records: 1, results: 7 });
    for (let i = 1; i <= UNDER_WAY; i++) expect(readCheckpointFile(join(dir, `cp-00000000000${i}.json`))).toEqual({ records: i + 1 });

    const refused = Object.assign(new Error('writing results.jsonl: the disk is full (ENOSPC)'), { exitCode: 3 });
    const before = readdirSync(dir).sort();
    await w.write(join(dir, 'cp-000000000010.json'), { records: 10 }, Promise.reject(refused));
    await expect(w.flush()).rejects.toMatchObject({ exitCode: 3, message: 'writing results.jsonl: the disk is full (ENOSPC)' });
    expect(readdirSync(dir).sort()).toEqual(before);
    await w.write(join(dir, 'cp-000000000011.json'), { records: 11 });
    await w.flush();
    expect(readdirSync(dir).sort()).toEqual([...before, 'cp-000000000011.json']);
    expect(w.landed).toBe(UNDER_WAY + 3);
  });
});
