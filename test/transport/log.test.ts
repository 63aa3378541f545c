import { appendFileSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { BATCH_HEADER, BATCH_MARK, writeFrame } from '../../src/transport/log/frame.js';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LogReader } from '../../src/transport/log/reader.js';
import { LogWriter, partitionFile } from '../../src/transport/log/writer.js';
import { tempDir } from '../helpers.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

describe('embedded log', () => {
  it('reads records back merged in send order, with per-partition offsets and keys', () => {
    const dir = join(tempDir(), 'log');
    const w = new LogWriter(dir, 3);
    const sent = Array.from({ length: 100 }, (_, i) => ({ p: i % 3, v: `v${i}` }));
    sent.forEach((s, i) => expect(w.append(s.p, i, 1000 + i, enc.encode(`k${i}`), enc.encode(s.v))).toBe(Math.floor(i / 3)));
    w.finish();
    w.close();
    const r = new LogReader(dir);
    const got = [];
    for (let rec = r.next(); rec; rec = r.next()) got.push(rec);
    expect(got.map((g) => dec.decode(g.value))).toEqual(sent.map((s) => s.v));
    expect(got[4]).toMatchObject({ partition: 1, offset: 1, seq: 4, timestamp: 1004 });
    expect(dec.decode(got[4].key!)).toBe('k4');
    expect(r.isDone()).toBe(true);
  });

  it('keeps records larger than its write buffer whole, between small ones, with keys as ranges of larger buffers', () => {
    const dir = join(tempDir(), 'log');
    const w = new LogWriter(dir, 2);
    const sizes = [10, 3 << 20, 5, 70_000, 1 << 20, 0, 200_000];
    const text = (i: number, n: number) => String(i).padEnd(n, String.fromCharCode(97 + (i % 26))).slice(0, n);
    const around = enc.encode('..k..');
    sizes.forEach((n, i) => w.appendRange(i % 2, i, i, around, 2, 1, enc.encode(`<${text(i, n)}>`), 1, n));
    w.finish();
    w.close();
    const r = new LogReader(dir);
    const got: string[] = [];
    for (let rec = r.next(); rec; rec = r.next()) got.push(`${dec.decode(rec.key!)}|${dec.decode(rec.value)}`);
    expect(got).toEqual(sizes.map((n, i) => `k|${text(i, n)}`));
  });

  it('reads logs of many chunks the same whether the chunks read ahead are ready in time or not, and after a seek', async () => {
    const dir = join(tempDir(), 'log');
    const w = new LogWriter(dir, 3);
    // ~9 MB: each partition spans several 1 MB chunks; values of varied sizes, so frames straddle chunks.
    const n = 12_000;
    const value = (i: number) => `${i}:${'x'.repeat(200 + ((i * 7919) % 1200))}`;
    for (let i = 0; i < n; i++) w.append(i % 3, i, i, null, enc.encode(value(i)));
    w.finish();
    w.close();
    // yieldEvery: 0 never lets a read-ahead finish (every chunk read there and then); 1 always does.
    for (const yieldEvery of [0, 1, 97]) {
      const r = new LogReader(dir);
      let i = 0;
      let taken = 0;
      let mid: ReturnType<LogReader['position']> | undefined;
      let sought = false;
      for (let rec = r.next(); rec; rec = r.next(), i++, taken++) {
        expect(rec.seq).toBe(i);
        expect(dec.decode(rec.value)).toBe(value(i));
        if (i === 5000) mid = r.position();
        if (yieldEvery > 0 && i % yieldEvery === 0) await new Promise(setImmediate);
        if (i === 8000 && !sought) {
          // Back to record 5001 while a chunk further on has been read ahead: it is not used for it.
          await new Promise(setImmediate);
          r.seek(mid!);
          sought = true;
          i = 5000;
        }
      }
      expect(i).toBe(n);
      expect(taken).toBe(n + 3000);
      r.close();
    }
  });

  it('is readable while being written: the next send in line goes at once, a gap waits for the partition that may fill it', () => {
    const dir = join(tempDir(), 'log');
    const w = new LogWriter(dir, 3);
    w.append(0, 0, 0, null, enc.encode('a'));
    w.append(0, 2, 0, null, enc.encode('c'));
    w.flush();
    const r = new LogReader(dir);
    // Partitions 1 and 2 have nothing yet, but send 0 is the next in line.
    expect(dec.decode(r.next()!.value)).toBe('a');
    expect(r.next()).toBeUndefined(); // send 1 is missing: partition 1 or 2 may still deliver it
    w.append(1, 1, 0, null, enc.encode('b'));
    w.append(0, 3, 0, null, enc.encode('d'));
    w.flush();
    expect(dec.decode(r.next()!.value)).toBe('b');
    expect(dec.decode(r.next()!.value)).toBe('c');
    expect(dec.decode(r.next()!.value)).toBe('d');
    expect(r.isDone()).toBe(false);
    w.finish();
    expect(r.next()).toBeUndefined();
    expect(r.isDone()).toBe(true);
  });

  it('survives a writer crash mid-record: earlier records stay intact and the torn tail is cut on reopen', () => {
    const dir = join(tempDir(), 'log');
    const w = new LogWriter(dir, 1);
    for (let i = 0; i < 10; i++) w.append(0, i, 0, null, enc.encode(`record-${i}`));
    w.close();
    const file = partitionFile(dir, 0);
    const full = statSync(file).size;
    truncateSync(file, full - 5); // the last frame is torn
    appendFileSync(file, Buffer.from([1, 2])); // and garbage follows
    const r = new LogReader(dir);
    const got = [];
    for (let rec = r.next(); rec; rec = r.next()) got.push(dec.decode(rec.value));
    expect(got).toEqual(Array.from({ length: 9 }, (_, i) => `record-${i}`));

    const again = new LogWriter(dir, 1);
    expect(again.append(0, 9, 0, null, enc.encode('record-9'))).toBe(9);
    again.finish();
    again.close();
    const r2 = new LogReader(dir);
    const all = [];
    for (let rec = r2.next(); rec; rec = r2.next()) all.push(dec.decode(rec.value));
    expect(all).toEqual(Array.from({ length: 10 }, (_, i) => `record-${i}`));
    // The cut frame is written again in a batch of its own, after its header.
    expect(readFileSync(file).length).toBe(full + BATCH_HEADER);
  });

  it('checks a batch by its CRC, and a damaged byte anywhere in one still stops the reader before the record it is in', () => {
    const dir = join(tempDir(), 'log');
    const w = new LogWriter(dir, 1);
    const value = (i: number) => enc.encode(`record-${i}-${'x'.repeat(200)}`);
    for (let i = 0; i < 3000; i++) w.append(0, i, 0, null, value(i)); // ~700 KB: several batches
    w.finish();
    w.close();
    const file = partitionFile(dir, 0);
    const bytes = readFileSync(file);
    expect(bytes.readUInt32LE(0)).toBe(BATCH_MARK);
    const all = new LogReader(dir);
    let n = 0;
    for (let rec = all.next(); rec; rec = all.next()) expect(dec.decode(rec.value)).toBe(dec.decode(value(n++)));
    expect(n).toBe(3000);
    // One byte of record 2000's value changed: the records before it are read, it and the rest are not.
    const at = bytes.indexOf(Buffer.from('record-2000-')) + 8;
    bytes[at] ^= 1;
    writeFileSync(file, bytes);
    const r = new LogReader(dir);
    let m = 0;
    for (let rec = r.next(); rec; rec = r.next()) expect(dec.decode(rec.value)).toBe(dec.decode(value(m++)));
    expect(m).toBe(2000);
  });

  it('reads a log written without batch headers (by an earlier sat) the same', () => {
    const dir = join(tempDir(), 'log');
    new LogWriter(dir, 1).close(); // meta.json and an empty partition
    const frames = Buffer.alloc(1 << 16);
    let end = 0;
    for (let i = 0; i < 100; i++) {
      const v = enc.encode(`old-${i}`);
      end = writeFrame(frames, end, i, 1000 + i, null, 0, 0, v, 0, v.length);
    }
    writeFileSync(partitionFile(dir, 0), frames.subarray(0, end));
    const r = new LogReader(dir);
    const got = [];
    for (let rec = r.next(); rec; rec = r.next()) got.push([dec.decode(rec.value), rec.timestamp]);
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => [`old-${i}`, 1000 + i]));
    // and a writer continues it, in batches
    const w = new LogWriter(dir, 1);
    expect(w.append(0, 100, 0, null, enc.encode('new-100'))).toBe(100);
    w.close();
    const again = new LogReader(dir);
    let n = 0;
    for (let rec = again.next(); rec; rec = again.next()) n++;
    expect(n).toBe(101);
  });
});
