import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/scenario/load.js';
import { openSource, type SourceRow } from '../../src/sources/index.js';
import { haveShared, shared, tempDir } from '../helpers.js';

const reviews = loadScenario('reviews');
const iot = loadScenario('iot');

async function readAll(path: string, s = reviews, o = {}): Promise<{ rows: SourceRow[]; header: string[] | null }> {
  const { source } = openSource(path, s, o);
  const rows: SourceRow[] = [];
  for await (const b of source.batches()) rows.push(...b);
  return { rows, header: await source.header() };
}

describe.skipIf(!haveShared)('readers on the real datasets', () => {
  it.each([
    ['reviews/giftcard_head1452__roopeshn28.tsv', 1452, true],
    ['reviews/giftcard+digital_software_10834_noheader__James-Leste.tsv', 10834, false],
    ['reviews/wireless_999__Amey819.tsv', 999, true],
    ['reviews/watches_999__Amey819.tsv', 999, true],
    ['reviews/digital_video_games_kafka_dump_5000__1904labs.parquet', 5000, false],
  ])('%s: %i rows, all with 15 fields', async (file, count, hasHeader) => {
    const { rows, header } = await readAll(shared(file));
    expect(rows).toHaveLength(count);
    expect(header !== null).toBe(hasHeader);
    expect(rows.every((r) => r.values !== undefined && Object.keys(r.values).length === 15)).toBe(true);
    expect(rows.map((r) => r.row)).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(rows.every((r) => /^\d{4}-\d{2}-\d{2}$/.test(r.values!.review_date ?? ''))).toBe(true);
  });

  it('reads the reviews TSV with quoting off: a field may start with a quote', async () => {
    const { rows } = await readAll(shared('reviews/giftcard+digital_software_10834_noheader__James-Leste.tsv'));
    const quoted = rows.filter((r) => Object.values(r.values!).some((v) => v?.startsWith('"')));
    expect(quoted.length).toBeGreaterThan(0);
  });

  it.each([
    ['iot/tortoise_2018-04-09__shahramBarai.csv', 15646],
    ['iot/tortoise_2018-04-10__shahramBarai.csv', 15678],
    ['iot/tortoise_2018-04-22_with_identifier_col__salmialb.csv', 15577],
    ['iot/tortoise_2018-05-12__salmialb.csv', 16259],
    ['iot/tortoise_2018-05-12_spreadsheet_mangled__salmialb.csv', 16259],
  ])('%s: %i rows by header name', async (file, count) => {
    const { rows, header } = await readAll(shared(file), iot);
    expect(rows).toHaveLength(count);
    expect(header).toContain('readable_time');
    expect(rows[0].values!.readable_time).toMatch(/^2018-/);
  });

  it('keeps the mangled file as it is: its renamed key column is absent', async () => {
    const { rows } = await readAll(shared('iot/tortoise_2018-05-12_spreadsheet_mangled__salmialb.csv'), iot);
    expect(rows[0].values!['dev-id']).toBeUndefined();
    expect(rows[0].values!.time).toBe('1.52608E+12');
  });
});

describe('delimited reader edge cases', () => {
  const dir = tempDir();
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('handles CRLF, blank lines, no trailing newline, quoted fields with delimiters, quotes and newlines', async () => {
    const p = file('a.csv', 'time,readable_time,dev-id,note\r\n1,x,"A,1",plain\r\n\r\n2,y,"B ""q""","two\nlines"\n\n3,z,C,end');
    const { rows, header } = await readAll(p, iot);
    expect(header).toEqual(['time', 'readable_time', 'dev-id', 'note']);
    expect(rows.map((r) => r.values!['dev-id'])).toEqual(['A,1', 'B "q"', 'C']);
    expect(rows[1].values!.note).toBe('two\nlines');
    expect(rows[2].values!.note).toBe('end');
  });

  it('reports a row with the wrong number of fields instead of guessing', async () => {
    const p = file('b.csv', 'time,readable_time,dev-id\n1,x,A\n2,y\n');
    const { rows } = await readAll(p, iot);
    expect(rows[1]).toMatchObject({ row: 1, raw: '2,y', problem: 'expected 3 fields, found 2' });
  });

  it('reads JSONL, skipping blank lines and reporting non-objects', async () => {
    const p = file('c.jsonl', '{"dev-id":"A","time":5}\n\n[1,2]\n{"dev-id":"B","time":6}');
    const { rows } = await readAll(p, iot);
    expect(rows.map((r) => r.values?.['dev-id'] ?? r.problem)).toEqual(['A', 'not a JSON object', 'B']);
    expect(rows[0].values!.time).toBe('5');
  });

  it('streams: a file much larger than its buffers reads in bounded batches', async () => {
    const lines = ['time,readable_time,dev-id'];
    for (let i = 0; i < 50_000; i++) lines.push(`${i},2018-04-09T00:00:00Z,D${i % 7}`);
    const p = file('big.csv', lines.join('\n'));
    const { source } = openSource(p, iot);
    let total = 0;
    let largest = 0;
    for await (const b of source.batches()) {
      total += b.length;
      largest = Math.max(largest, b.length);
    }
    expect(total).toBe(50_000);
    expect(largest).toBeLessThanOrEqual(4096);
  });
});
