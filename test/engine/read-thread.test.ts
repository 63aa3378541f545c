import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LogReader, type LogPosition } from '../../src/transport/log/reader.js';
import { LogWriter } from '../../src/transport/log/writer.js';
import { createRecordScanner } from '../../src/engine/scan-record.js';
import { fieldsRead, timeFromBytes } from '../../src/engine/validate.js';
import { loadScenario } from '../../src/scenario/load.js';
import { sat, satWith, tempDir } from '../helpers.js';

// The reader's thread runs compiled code (a worker loads .js): the tests use the build, as sat does.
const built = '../../dist/engine/log/read-thread.js';
type Threaded = typeof import('../../src/engine/log/read-thread.js');
const { ThreadedLogReader, BATCH_RECORDS } = (await import(built)) as Threaded;

const enc = new TextEncoder();
const dec = new TextDecoder();

interface Taken {
  partition: number;
  offset: number;
  timestamp: number;
  value: string;
  scanned?: unknown[] | null;
  position: LogPosition;
}

/** Every record the threaded reader gives, with its position after each (waiting out its promises). */
async function readAll(r: InstanceType<Threaded['ThreadedLogReader']>, stopAt = Infinity): Promise<Taken[]> {
  const got: Taken[] = [];
  while (got.length < stopAt) {
    const x = r.next();
    if (x instanceof Promise) {
      await x;
      continue;
    }
    if (x === undefined) {
      if (r.isDone()) break;
      continue; // nothing new yet: the next call asks the thread again
    }
    got.push({ partition: x.partition, offset: x.offset, timestamp: x.timestamp, value: dec.decode(x.value), scanned: x.scanned === undefined || x.scanned === null ? x.scanned : [...x.scanned], position: r.position() });
  }
  return got;
}

/** The same through LogReader on this thread: the reference. */
function readAllDirect(dir: string, from?: LogPosition): Taken[] {
  const r = new LogReader(dir);
  if (from) r.seek(from);
  const got: Taken[] = [];
  for (let x = r.next(); x; x = r.next()) got.push({ partition: x.partition, offset: x.offset, timestamp: x.timestamp, value: dec.decode(x.value), position: r.position() });
  r.close();
  return got;
}

function writeLog(dir: string, partitions: number, values: string[]): void {
  const w = new LogWriter(dir, partitions);
  values.forEach((v, i) => w.append((i * 7) % partitions, i, 1_000 + i, null, enc.encode(v)));
  w.finish();
  w.close();
}

describe('the log read on a thread of its own', () => {
  it('gives the records, send times and checkpoint positions LogReader gives, over several batches and a record larger than a batch', async () => {
    const dir = join(tempDir(), 'log');
    const n = 2 * BATCH_RECORDS + 123;
    // ~600 B a record: the batches end by bytes, each with a record that did not fit carried to the next.
    const values = Array.from({ length: n }, (_, i) => (i === 777 ? 'L'.repeat(5 << 20) : `${i}:${'x'.repeat((i * 7919) % 1200)}`));
    writeLog(dir, 3, values);
    const r = new ThreadedLogReader(dir);
    const got = await readAll(r);
    r.close();
    const want = readAllDirect(dir);
    expect(got.length).toBe(n);
    expect(got.map((g) => g.value)).toEqual(values);
    expect(got).toEqual(want);
  });

  it('resumes from a position taken in the middle of a batch, as LogReader does', async () => {
    const dir = join(tempDir(), 'log');
    const values = Array.from({ length: BATCH_RECORDS + 500 }, (_, i) => `r${i}`);
    writeLog(dir, 4, values);
    const first = new ThreadedLogReader(dir);
    const head = await readAll(first, 1_234);
    first.close();
    const at = head.at(-1)!.position;
    const again = new ThreadedLogReader(dir);
    again.seek(at);
    const rest = await readAll(again);
    again.close();
    expect([...head, ...rest].map((t) => t.value)).toEqual(values);
    expect(rest).toEqual(readAllDirect(dir, at));
  });

  it('follows a log being written: nothing new is said once, then the records written since come', async () => {
    const dir = join(tempDir(), 'log');
    const w = new LogWriter(dir, 2);
    for (let i = 0; i < 10; i++) w.append(i % 2, i, i, null, enc.encode(`a${i}`));
    w.flush();
    const r = new ThreadedLogReader(dir);
    const got: string[] = [];
    const take = async (): Promise<'none' | 'took'> => {
      for (;;) {
        const x = r.next();
        if (x instanceof Promise) await x;
        else if (x === undefined) return 'none';
        else {
          got.push(dec.decode(x.value));
          return 'took';
        }
      }
    };
    while ((await take()) === 'took');
    expect(got).toHaveLength(10);
    expect(r.isDone()).toBe(false);
    for (let i = 10; i < 25; i++) w.append(i % 2, i, i, null, enc.encode(`a${i}`));
    w.finish();
    w.close();
    while ((await take()) === 'took');
    expect(got).toEqual(Array.from({ length: 25 }, (_, i) => `a${i}`));
    expect(r.isDone()).toBe(true);
    r.close();
  });

  it('scans on its thread: the values are the ones the scanner finds here, null where it leaves the record to the full path', async () => {
    const s = loadScenario('iot');
    const read = fieldsRead(s);
    const good = (i: number) => JSON.stringify({ time: 1_600_000_000_000 + i, readable_time: `2020-09-13T12:${String(i % 60).padStart(2, '0')}:00.000Z`, acceleration: i / 3, acceleration_x: i, acceleration_y: -i, acceleration_z: 7, battery: 2900 + i, humidity: 35.5, pressure: 1001.25, temperature: 20 + i / 10, 'dev-id': `dev "${i % 3}" ä` });
    const values = Array.from({ length: 300 }, (_, i) => (i % 10 === 3 ? '{"time": 1, "oops"' : i % 10 === 7 ? good(i).replace('"battery":', '"battery": "x", "b":') : good(i)));
    const dir = join(tempDir(), 'log');
    writeLog(dir, 2, values);
    // The event time is read from the bytes on the thread too (an instant where parseIsoBytes takes it).
    const time = timeFromBytes(s)!;
    expect(time).toBeDefined();
    const r = new ThreadedLogReader(dir, { fields: s.fields, read, time });
    const got = await readAll(r);
    r.close();
    const scan = createRecordScanner(s.fields, read, time);
    const names = s.fields.map((f) => f.name);
    const wanted = (v: unknown[] | null | undefined) => (v == null ? v : names.map((name, f) => (read.has(name) ? v[f] : '-')));
    expect(got.map((g) => wanted(g.scanned))).toEqual(values.map((v) => wanted(scan(enc.encode(v)) ?? null)));
    expect(got.filter((g) => g.scanned === null)).toHaveLength(60);
    expect(got.filter((g) => typeof g.scanned?.[time.field] === 'number')).toHaveLength(240);
  });
});

describe('sat run reads the same through the thread as on its own thread', () => {
  it('the same outputs and summary, a checkpoint taken mid-batch resumed through either, and verify passes', () => {
    const dir = tempDir('sat-readthread-');
    expect(sat('gen', '--kind', 'iot', '--rows', '30000', '--out', join(dir, 'iot.csv'), '--seed', '3').code).toBe(0);
    const r = sat('replay', join(dir, 'iot.csv'), '--scenario', 'iot', '--late', '0.05', '--duplicates', '0.03', '--malformed', '0.02', '--out-of-order', '0.05', '--seed', '3', '--dir', dir, '--no-progress');
    expect(r.code, r.stderr).toBe(0);
    const outputs = () =>
      ['results.jsonl', 'late.jsonl', 'dead-letters.jsonl', 'alerts.jsonl'].map((f) => readFileSync(join(dir, f), 'utf8').replace(/"emit_time":"[^"]*"/g, ''));
    const summary = (j: Record<string, unknown>) => ({ ...j, elapsedMs: 0, recordsPerSecond: 0, processingRecordsPerSecond: 0, peakRssMb: 0, latency: 0, sendLatency: 0, resultLatency: 0, checkpointMs: 0, cpu: 0, command: '' });
    const direct = satWith({ SAT_LOG_READER: 'direct' }, 'run', '--dir', dir, '--fresh', '--json');
    expect(direct.code, direct.stderr).toBe(0);
    const want = outputs();
    const threaded = satWith({ SAT_LOG_READER: 'thread' }, 'run', '--dir', dir, '--fresh', '--json');
    expect(threaded.code, threaded.stderr).toBe(0);
    expect(outputs()).toEqual(want);
    expect(summary(threaded.json)).toEqual(summary(direct.json));
    expect(threaded.json.records).toBeGreaterThan(30_000);
    // Killed after 24,500 records (checkpoints every 1,000, the thread's batches of 256, 1,024, 4,096,
    // then 8,192 records: inside the sixth), resumed through the other reader: the same outputs again.
    for (const [first, second] of [['thread', 'direct'], ['direct', 'thread']]) {
      const killed = satWith({ SAT_LOG_READER: first, SAT_KILL_AFTER_RECORDS: '24500' }, 'run', '--dir', dir, '--fresh', '--checkpoint-every', '1000', '--json');
      expect(killed.signal).toBe('SIGKILL');
      const resumed = satWith({ SAT_LOG_READER: second }, 'run', '--dir', dir, '--json');
      expect(resumed.code, resumed.stderr).toBe(0);
      // The newest checkpoint on disk when the kill came (written on a thread: not always the last one taken).
      const from = resumed.json.resumedFrom?.records;
      expect(from % 1000, JSON.stringify(resumed.json.resumedFrom)).toBe(0);
      expect(from).toBeGreaterThan(0);
      expect(from).toBeLessThanOrEqual(24_000);
      expect(outputs()).toEqual(want);
    }
    const v = sat('verify', '--dir', dir, '--json');
    expect(v.code, v.stdout + v.stderr).toBe(0);
  });
});
