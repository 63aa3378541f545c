import { createReadStream, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import { LogWriter } from '../../src/transport/log/writer.js';
import { ROOT, sat, tempDir } from '../helpers.js';

const enc = new TextEncoder();

/** Tens of thousands of hostile records, every one of which must end in dead letters with a reason. */
function hostile(n: number, seed: number): Uint8Array[] {
  const rng = createRng(seed);
  const valid = {
    marketplace: 'US', customer_id: '1', review_id: 'R1', product_id: 'B1', product_parent: '1', product_title: 't', product_category: 'c',
    star_rating: 5, helpful_votes: 1, total_votes: 1, vine: 'N', verified_purchase: 'Y', review_headline: 'h', review_body: 'b', review_date: '2015-08-31',
  };
  const kinds: (() => Uint8Array)[] = [
    () => Uint8Array.from({ length: 1 + rng.int(0, 300) }, () => rng.int(0, 255)), // random bytes
    () => enc.encode(JSON.stringify(valid).slice(0, rng.int(1, 80))), // truncated
    () => enc.encode(JSON.stringify({ ...valid, review_body: 'x'.repeat(rng.next() < 0.1 ? 200_000 + rng.int(0, 100_000) : 2000), star_rating: 'many' })), // enormous field (1 in 10), wrong type
    () => Uint8Array.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xe9, 0xff, 0xfe, 0x22, 0x7d]), // invalid UTF-8 (latin-1 bytes)
    () => enc.encode(`{"star_rating": NaN, "helpful_votes": Infinity}`), // NaN and Infinity are not JSON
    () => enc.encode(JSON.stringify({ ...valid, star_rating: 1e309 === Infinity ? 'Infinity' : 0 })), // a number as text
    () => enc.encode(JSON.stringify({ ...valid, review_date: '+275760-09-14' })), // beyond any date
    () => enc.encode(JSON.stringify({ ...valid, review_date: '0000-13-45' })), // no such date
    () => enc.encode(JSON.stringify({ ...valid, product_id: { nested: [[[{ deep: [1, 2, { a: null }] }]]] } })), // nested garbage
    () => enc.encode(JSON.stringify([valid])), // an array
    () => enc.encode(JSON.stringify({ ...valid, extra: '../../../etc/passwd' })), // unexpected field
    () => enc.encode(JSON.stringify({ ...valid, product_id: null })), // null key
    () => enc.encode('null'),
    () => new Uint8Array(0), // empty
    () => enc.encode('{'.repeat(5000) + '}'.repeat(5000)), // deep nesting
  ];
  return Array.from({ length: n }, (_, i) => kinds[i % kinds.length]());
}

describe('hostile input: no crash, no hang, every bad record dead-lettered with a reason, memory bounded', () => {
  it('the engine takes 30,000 hostile records of 15 kinds straight off the log', async () => {
    const base = tempDir('sat-fuzz-');
    const dir = join(base, 'a', 'b', 'work');
    const w = new LogWriter(join(dir, 'log'), 4);
    const records = hostile(30_000, 5);
    records.forEach((v, i) => w.append(i % 4, i, Date.now(), enc.encode(`../../k${i}`), v));
    w.finish();
    w.close();
    const r = sat('run', '--dir', dir, '--scenario', 'reviews', '--json');
    expect(r.code, r.stderr.slice(0, 500)).toBe(0);
    expect(r.json.records).toBe(30_000);
    expect(r.json.deadLettered).toBe(30_000);
    expect(r.json.counted).toBe(0);
    expect(Object.keys(r.json.deadLetterReasons).length).toBeGreaterThanOrEqual(6);
    let withReason = 0;
    for await (const line of createInterface({ input: createReadStream(join(dir, 'dead-letters.jsonl')), crlfDelay: Infinity })) {
      const d = JSON.parse(line) as { reason?: string };
      if (typeof d.reason === 'string' && d.reason.length > 0) withReason++;
    }
    expect(withReason).toBe(30_000);
    // Bounded memory: 200 of the records carry 200-300 KB bodies (~50 MB in all), never held at once.
    expect(r.json.peakRssMb).toBeLessThan(400);
    // Keys taken from data name no files: nothing was written outside the working directory.
    expect([readdirSync(base), readdirSync(join(base, 'a')), readdirSync(join(base, 'a', 'b'))]).toEqual([['a'], ['b'], ['work']]);
  });

  it('the readers and the oracle take a TSV mixing real rows with garbage lines, and verify agrees row by row', () => {
    const dir = tempDir('sat-fuzz-');
    const rng = createRng(9);
    const good = readFileSync(join(ROOT, 'datasets', 'reviews-sample.tsv'), 'utf8').split('\n').slice(1, 1500).filter(Boolean);
    const garbage = () => {
      const k = rng.int(0, 5);
      if (k === 0) return Array.from({ length: rng.int(1, 200) }, () => String.fromCharCode(rng.int(32, 0x2fff))).join('');
      if (k === 1) return 'US\t1\tR\tB\t1\tt\tc\t5\t1'; // too few fields
      if (k === 2) return good[rng.int(0, good.length - 1)] + '\textra\tfields';
      if (k === 3) return good[rng.int(0, good.length - 1)].replace(/\t\d+\t/, '\tNaN\t'); // NaN where a number goes
      if (k === 4) return 'x'.repeat(rng.int(10_000, 100_000)); // one enormous field
      return good[rng.int(0, good.length - 1)].replace(/\d{4}-\d{2}-\d{2}$/, '9999-99-99'); // impossible date
    };
    const lines = good.flatMap((l) => (rng.next() < 0.3 ? [l, garbage()] : [l]));
    const file = join(dir, 'mixed.tsv');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const rep = sat('replay', file, '--scenario', 'reviews', '--dir', dir, '--duplicates', '0.02', '--no-progress', '--json');
    expect(rep.code, rep.stderr).toBe(0);
    expect(rep.json.faults.source).toBeGreaterThan(100);
    expect(sat('run', '--dir', dir).code).toBe(0);
    const v = sat('verify', '--dir', dir, '--json');
    expect(v.code, JSON.stringify(v.json?.failed)).toBe(0);
    expect(v.json.counts.dead_lettered).toBe(v.json.counts.dead_letters_expected);
    expect(v.json.counts.bad_source_rows).toBeGreaterThan(100);
    expect(existsSync(join(dir, 'results.parquet'))).toBe(true);
  });
});
