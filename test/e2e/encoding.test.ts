import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, sat, tempDir } from '../helpers.js';

/**
 * The bundled reviews sample rewritten with non-ASCII text: some product ids (the key) carry
 * '€' or 'é', so that a reader that decodes them wrongly puts records under other keys.
 */
function variants(): { utf8: Buffer; cp1252: Buffer; broken: Buffer; brokenRows: number } {
  const lines = readFileSync(join(ROOT, 'datasets', 'reviews-sample.tsv'), 'utf8').trimEnd().split('\n');
  const text = lines.map((l, i) => {
    if (i === 0 || i % 7 !== 0) return l;
    const f = l.split('\t');
    f[3] = `${f[3]}${i % 2 ? '€' : 'é'}`; // product_id
    f[5] = `Café “${f[5]}”`; // product_title
    return f.join('\t');
  });
  const utf8 = Buffer.from(`${text.join('\n')}\n`, 'utf8');
  // Windows-1252 bytes of the same text (every character used has one).
  const table: Record<string, number> = { '€': 0x80, '“': 0x93, '”': 0x94, é: 0xe9 };
  const cp1252 = Buffer.from([...text.join('\n'), '\n'].flatMap((c) => [...c].map((ch) => table[ch] ?? ch.charCodeAt(0))));
  // UTF-8 with a latin1 byte in every 50th data row's title: those rows are bad source rows.
  let brokenRows = 0;
  const broken = Buffer.concat(
    lines.map((l, i) => {
      if (i === 0 || i % 50 !== 0) return Buffer.from(`${l}\n`);
      brokenRows++;
      const f = l.split('\t');
      return Buffer.concat([Buffer.from(`${f.slice(0, 5).join('\t')}\tCaf`), Buffer.from([0xe9]), Buffer.from(`\t${f.slice(6).join('\t')}\n`)]);
    }),
  );
  return { utf8, cp1252, broken, brokenRows };
}

function loop(bytes: Buffer, extra: string[] = []) {
  const dir = tempDir('sat-enc-');
  const file = join(dir, '..', `${dir.split('/').pop()}.tsv`);
  writeFileSync(file, bytes);
  const replay = sat('replay', file, '--scenario', 'reviews', '--rate', '0', '--duplicates', '0.02', '--late', '0.02', '--seed', '3', ...extra, '--dir', dir, '--json');
  expect(replay.code, replay.stderr).toBe(0);
  const run = sat('run', '--dir', dir, '--json');
  expect(run.code, run.stderr).toBe(0);
  const verify = sat('verify', '--dir', dir, '--json');
  expect(verify.code, verify.stderr + JSON.stringify(verify.json?.checks?.filter((c: { pass: boolean }) => !c.pass))).toBe(0);
  const results = readFileSync(join(dir, 'results.jsonl'), 'utf8');
  return { replay: replay.json, run: run.json, verify: verify.json, results };
}

describe('text encodings, end to end (replay, run, verify)', () => {
  const v = variants();

  it('UTF-8 with bytes that are not UTF-8: those rows are bad source rows, dead-lettered, and verify agrees', () => {
    const r = loop(v.broken);
    expect(v.brokenRows).toBeGreaterThan(3);
    expect(r.replay.faults.source).toBe(v.brokenRows);
    expect(r.verify.counts.bad_source_rows).toBe(v.brokenRows);
    expect(r.verify.counts.dead_lettered).toBe(r.verify.counts.dead_letters_expected);
    expect(r.run.deadLetterReasons['not-json'] ?? 0).toBeGreaterThanOrEqual(v.brokenRows);
  });

  it('valid UTF-8 with € and é in keys: no bad rows, the keys come through, verify passes', () => {
    const r = loop(v.utf8);
    expect(r.replay.faults.source).toBe(0);
    expect(r.results).toMatch(/"key":"[^"]*€"/);
    expect(r.results).toMatch(/"key":"[^"]*é"/);
  });

  it('the same text as Windows-1252 with --encoding cp1252: read as the same text, verify passes', () => {
    const r = loop(v.cp1252, ['--encoding', 'cp1252']);
    expect(r.replay.faults.source).toBe(0);
    expect(r.replay.encoding).toBe('cp1252');
    expect(r.results).toMatch(/"key":"[^"]*€"/);
  });

  it('the Windows-1252 file without --encoding: its non-ASCII rows are bad source rows, and verify still agrees', () => {
    const r = loop(v.cp1252);
    expect(r.replay.faults.source).toBeGreaterThan(0);
    expect(r.verify.counts.bad_source_rows).toBe(r.replay.faults.source);
  });
});
