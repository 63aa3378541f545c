import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fromCp1252, type Encoding } from '../sources/lines.js';


/** True when the whole file is valid UTF-8 (streamed: one pass, flat memory). */
export async function isUtf8File(file: string): Promise<boolean> {
  const d = new TextDecoder('utf-8', { fatal: true });
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) d.decode(chunk as Buffer, { stream: true });
    d.decode();
    return true;
  } catch {
    return false;
  }
}

/**
 * DuckDB reads UTF-8 only (its latin-1 refuses bytes 0x80-0x9F, and read_text stops at the first
 * bad byte). A text source in another encoding, or a UTF-8 one with bytes that are not UTF-8, is
 * read from a UTF-8 copy made here (whole chunks through Node's decoders, not sat's line reader;
 * Windows-1252 by its WHATWG table, which Node 20's TextDecoder lacks). In the copy a bad byte
 * becomes U+FFFD on the same line, so rows keep their places; the rows holding one are the
 * ledger's bad source rows, which the oracle never counts. Returns the file to read and a cleanup.
 */
export async function utf8View(file: string, format: string, encoding: Encoding): Promise<{ file: string; done: () => void }> {
  const none = { file, done: () => undefined };
  if (format === 'parquet') return none;
  // latin1 and cp1252 files that happen to be ASCII read the same either way.
  if (await isUtf8File(file)) {
    if (encoding === 'utf8') return none;
  }
  const dir = mkdtempSync(join(tmpdir(), 'sat-verify-'));
  const copy = join(dir, `source.${format}`);
  await utf8Copy(file, encoding, copy);
  return { file: copy, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes a UTF-8 copy of a text file in the given encoding (bad UTF-8 bytes become U+FFFD in place). */
export async function utf8Copy(file: string, encoding: Encoding, copy: string): Promise<void> {
  const utf8 = new TextDecoder('utf-8');
  const decode = encoding === 'utf8' ? (c: Buffer) => utf8.decode(c, { stream: true }) : encoding === 'latin1' ? (c: Buffer) => c.toString('latin1') : (c: Buffer) => fromCp1252(c.toString('latin1'));
  await pipeline(
    createReadStream(file, { highWaterMark: 1 << 20 }),
    async function* (chunks: AsyncIterable<Buffer>) {
      for await (const c of chunks) yield decode(c);
      if (encoding === 'utf8') yield utf8.decode();
    },
    createWriteStream(copy),
  );
}
