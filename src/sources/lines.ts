import { createReadStream } from 'node:fs';
import { isUtf8 } from 'node:buffer';

/**
 * How a text source's bytes become text. `utf8` is strict: a line with bytes that are not UTF-8 is
 * reported (the row becomes a bad source row) instead of being repaired with U+FFFD. `latin1` is
 * ISO-8859-1 (every byte is the code point of the same number); `cp1252` is Windows-1252, what
 * Excel and many Windows exports write (it differs from latin1 in 0x80-0x9F: € ‘ ’ “ ” …).
 */
export const ENCODINGS = ['utf8', 'latin1', 'cp1252'] as const;
export type Encoding = (typeof ENCODINGS)[number];

export interface Line {
  text: string;
  /** utf8 only: the 0-based byte offset of the line's first byte that is not UTF-8. */
  invalidAt?: number;
}

/**
 * Windows-1252's 0x80-0x9F (the only bytes where it differs from latin1), by the WHATWG table; the
 * five it leaves undefined stay the C1 code point. A table of our own because Node 20's TextDecoder
 * decodes 'windows-1252' as latin1.
 */
export const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008DŽ\u008F\u0090‘’“”•–—˜™š›œ\u009DžŸ';
const C1 = /[\u0080-\u009F]/g;

/** Text decoded as latin1, remapped to Windows-1252. */
export function fromCp1252(latin1: string): string {
  return latin1.replace(C1, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]);
}

/** Decodes whole lines (bytes up to a newline): a character never straddles two calls. */
export function lineDecoder(encoding: Encoding): (bytes: Buffer) => string {
  if (encoding === 'latin1') return (b) => b.toString('latin1');
  if (encoding === 'cp1252') return (b) => fromCp1252(b.toString('latin1'));
  return (b) => b.toString('utf8');
}

/** The offset of the first byte that starts no valid UTF-8 sequence (-1 when all are valid). */
export function firstInvalidUtf8(b: Buffer): number {
  if (isUtf8(b)) return -1;
  for (let i = 0; i < b.length; ) {
    const c = b[i];
    // Sequence length and the allowed range of its second byte (no overlongs, no surrogates, <= U+10FFFF).
    const [n, lo, hi] = c < 0x80 ? [1, 0, 0] : c >= 0xc2 && c <= 0xdf ? [2, 0x80, 0xbf] : c === 0xe0 ? [3, 0xa0, 0xbf] : c === 0xed ? [3, 0x80, 0x9f] : c >= 0xe1 && c <= 0xef ? [3, 0x80, 0xbf] : c === 0xf0 ? [4, 0x90, 0xbf] : c >= 0xf1 && c <= 0xf3 ? [4, 0x80, 0xbf] : c === 0xf4 ? [4, 0x80, 0x8f] : [0, 0, 0];
    if (n === 0) return i;
    if (n > 1 && !(b[i + 1] >= lo && b[i + 1] <= hi)) return i;
    for (let k = 2; k < n; k++) if (!(b[i + k] >= 0x80 && b[i + k] <= 0xbf)) return i;
    i += n;
  }
  return -1; // unreachable: isUtf8 said no
}

/**
 * A file's lines, split on newline bytes (so every encoding here splits alike), without the
 * newline, a block (about a read chunk) at a time: one yield per block, not per line, keeps the
 * generator overhead off the hot path. A trailing line without a newline is included. Chunks of a
 * long line are kept in a list and joined once, so a 200 MB line costs one copy, not one per chunk.
 */
export async function* readLineBlocks(path: string, encoding: Encoding): AsyncGenerator<Line[]> {
  const decode = lineDecoder(encoding);
  const strict = encoding === 'utf8';
  let parts: Buffer[] = [];

  /** Lines of a block that ends with a newline (or is the file's last, unterminated line). */
  function split(block: Buffer): Line[] {
    const out: Line[] = [];
    const text = decode(block);
    // Fast path: no replacement character, so every byte was valid (or the encoding has no invalid bytes).
    if (!strict || !text.includes('\uFFFD')) {
      let start = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
        out.push({ text: text.slice(start, nl) });
        start = nl + 1;
      }
      if (start < text.length) out.push({ text: text.slice(start) });
      return out;
    }
    let start = 0;
    while (start < block.length) {
      const nl = block.indexOf(10, start);
      const bytes = block.subarray(start, nl === -1 ? block.length : nl);
      const at = firstInvalidUtf8(bytes);
      out.push(at === -1 ? { text: decode(bytes) } : { text: decode(bytes), invalidAt: at });
      if (nl === -1) break;
      start = nl + 1;
    }
    return out;
  }

  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    const last = chunk.lastIndexOf(10);
    if (last === -1) {
      parts.push(chunk);
      continue;
    }
    const block = parts.length === 0 ? chunk.subarray(0, last + 1) : Buffer.concat([...parts, chunk.subarray(0, last + 1)]);
    parts = last + 1 < chunk.length ? [chunk.subarray(last + 1)] : [];
    yield split(block);
  }
  if (parts.length > 0) yield split(Buffer.concat(parts));
}

/** readLineBlocks, a line at a time (where per-line cost does not matter). */
export async function* readLines(path: string, encoding: Encoding): AsyncGenerator<Line> {
  for await (const block of readLineBlocks(path, encoding)) yield* block;
}
