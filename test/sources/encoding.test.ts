import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/scenario/load.js';
import { openSource, type SourceRow } from '../../src/sources/index.js';
import { firstInvalidUtf8, readLines, type Encoding, type Line } from '../../src/sources/lines.js';
import { tempDir } from '../helpers.js';

async function lines(bytes: Buffer, encoding: Encoding = 'utf8'): Promise<Line[]> {
  const file = join(tempDir(), 'f.txt');
  writeFileSync(file, bytes);
  const out: Line[] = [];
  for await (const l of readLines(file, encoding)) out.push(l);
  return out;
}

const b = (...parts: (string | number[] | Buffer)[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.isBuffer(p) ? p : Buffer.from(p))));

describe('reading bytes as lines', () => {
  it('utf8: a line with a byte that is not UTF-8 is flagged with its offset; valid lines (a literal U+FFFD too) are not', async () => {
    const got = await lines(b('café €\n', 'bad ', [0xe9], ' here\n', 'lit \uFFFD ok\r\n', 'cut ', [0xe2, 0x82], '\n', 'last'));
    expect(got).toEqual([
      { text: 'café €' },
      { text: 'bad \uFFFD here', invalidAt: 4 },
      { text: 'lit \uFFFD ok\r' },
      { text: 'cut \uFFFD', invalidAt: 4 },
      { text: 'last' },
    ]);
  });

  it('a line longer than a read chunk (3 MB) arrives whole, with its bad byte found past the first chunk', async () => {
    const long = 'x'.repeat(3 << 20);
    const got = await lines(b('a\n', long, [0xff], '\n', 'b\n'));
    expect(got.map((l) => l.text.length)).toEqual([1, (3 << 20) + 1, 1]);
    expect(got[1].invalidAt).toBe(3 << 20);
    expect(got[0].invalidAt).toBeUndefined();
  });

  it('latin1 and cp1252 differ in 0x80-0x9F only', async () => {
    const bytes = b([0x63, 0x61, 0x66, 0xe9, 0x20, 0x80, 0x20, 0x93, 0x71, 0x94], '\n');
    expect(await lines(bytes, 'latin1')).toEqual([{ text: 'café \u0080 \u0093q\u0094' }]);
    expect(await lines(bytes, 'cp1252')).toEqual([{ text: 'café € “q”' }]);
  });

  it('firstInvalidUtf8 refuses overlongs, surrogates and code points past U+10FFFF', () => {
    expect(firstInvalidUtf8(Buffer.from('ok ✓ 😀'))).toBe(-1);
    expect(firstInvalidUtf8(Buffer.from([0x41, 0xc0, 0xaf]))).toBe(1); // overlong '/'
    expect(firstInvalidUtf8(Buffer.from([0x41, 0x42, 0xed, 0xa0, 0x80]))).toBe(2); // a surrogate
    expect(firstInvalidUtf8(Buffer.from([0xf4, 0x90, 0x80, 0x80]))).toBe(0); // > U+10FFFF
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xe2, 0x82]))).toBe(1); // cut short
  });
});

describe('sources by encoding', () => {
  const reviews = loadScenario('reviews');
  const header = 'marketplace\tcustomer_id\treview_id\tproduct_id\tproduct_parent\tproduct_title\tproduct_category\tstar_rating\thelpful_votes\ttotal_votes\tvine\tverified_purchase\treview_headline\treview_body\treview_date\n';
  const row = (title: string | number[]) => b(`US\t1\tR1\tB1\t2\t`, title, `\tGift Card\t5\t0\t0\tN\tY\th\tbody\t2015-08-31\n`);

  async function read(bytes: Buffer, encoding?: Encoding): Promise<SourceRow[]> {
    const file = join(tempDir(), 'r.tsv');
    writeFileSync(file, bytes);
    const rows: SourceRow[] = [];
    for await (const batch of openSource(file, reviews, { encoding }).source.batches()) rows.push(...batch);
    return rows;
  }

  it('utf8 (the default): the row with a latin1 byte is a bad row with a reason; the others keep their places', async () => {
    const rows = await read(b(header, row('Café'), row([0x43, 0x61, 0x66, 0xe9]), row('ok')));
    expect(rows.map((r) => r.row)).toEqual([0, 1, 2]);
    expect(rows[0].values?.product_title).toBe('Café');
    expect(rows[1].values).toBeUndefined();
    expect(rows[1].problem).toMatch(/not UTF-8 \(byte \d+ of the line; a latin1 or cp1252 file needs --encoding\)/);
    expect(rows[2].values?.product_title).toBe('ok');
  });

  it('cp1252: the same bytes are text', async () => {
    const rows = await read(b(header, row([0x43, 0x61, 0x66, 0xe9, 0x20, 0x80])), 'cp1252');
    expect(rows[0].values?.product_title).toBe('Café €');
  });
});
