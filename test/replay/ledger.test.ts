import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import { LEDGER_COLUMNS, LedgerWriter, type LedgerEntry } from '../../src/replay/ledger.js';
import { tempDir } from '../helpers.js';

/** The ledger's line as a template formats it: the reference the byte writer must equal. */
const q = (s: string | null): string => (s === null ? '' : s.includes('"') ? `"${s.replace(/"/g, '""')}"` : `"${s}"`);
const text = (t: string | Uint8Array | null, at = 0, length = t?.length ?? 0): string | null =>
  t === null || typeof t === 'string' ? t : Buffer.from(t.subarray(at, at + length)).toString('utf8');
const reference = (e: LedgerEntry): string =>
  `${e.seq},${e.row},${e.partition},${e.offset},${q(text(e.key, e.keyAt, e.keyLength))},${e.eventTime ?? ''},${q(text(e.id, e.idAt, e.idLength))},${e.fault},${q(e.detail)},${e.scheduledTime.toFixed(3)},${e.sendTime.toFixed(3)}\n`;

describe('LedgerWriter: the truth ledger written byte by byte', () => {
  it('writes what the template writes, for random lines (quotes, commas, non-ASCII, text, bytes or ranges of bytes, fractions, negatives, huge numbers)', async () => {
    const rng = createRng(17);
    const pick = <T>(xs: T[]): T => xs[rng.int(0, xs.length - 1)];
    const word = (): string => Array.from({ length: rng.int(0, 12) }, () => pick(['a', 'Z', '0', '"', ',', ' ', 'é', '日', '😀', '\n', '""'])).join('');
    // Text, bytes, or bytes as a range of a larger buffer (a record read back from the spill).
    const textOrBytes = (): { t: string | Uint8Array | null; at?: number; length?: number } => {
      const u = rng.next();
      if (u < 0.15) return { t: null };
      const w = word();
      if (u < 0.55) return { t: w };
      if (u < 0.75) return { t: Buffer.from(w) };
      const bytes = Buffer.from(w);
      const before = Buffer.from(word());
      return { t: new Uint8Array(Buffer.concat([before, bytes, Buffer.from(word())])), at: before.length, length: bytes.length };
    };
    const num = (): number => pick([0, 1, 9, 10, 99, 100, rng.int(0, 1e9), 2 ** 32 + rng.int(0, 1e6), 2 ** 53 - 1, -1, -rng.int(1, 1e6), 1e21, 2 ** 60, 0.5, -0.25, 1e-7, 12345.678]);
    const entries: LedgerEntry[] = [];
    for (let i = 0; i < 20_000; i++) {
      const sendTime = 1_764_812_345_678 + rng.int(0, 1e6) + pick([0, 0.5, 0.123, 0.0004, 0.9996]);
      const key = textOrBytes();
      const id = textOrBytes();
      entries.push({
        seq: num(),
        row: num(),
        partition: rng.int(0, 300),
        offset: num(),
        key: key.t,
        ...(key.at !== undefined && { keyAt: key.at, keyLength: key.length }),
        eventTime: rng.next() < 0.1 ? undefined : pick([num(), 1_700_000_000_000 + rng.int(0, 1e9)]),
        id: id.t,
        ...(id.at !== undefined && { idAt: id.at, idLength: id.length }),
        fault: pick(['none', 'malformed', 'late', 'duplicate', 'out-of-order', 'source', 'boundary']),
        detail: pick(['', '', 'truncated', 'a "quoted" detail, with a comma', 'ünïcode']),
        scheduledTime: rng.next() < 0.5 ? sendTime : sendTime - rng.int(0, 5000) - 0.25,
        sendTime,
      });
    }
    const path = join(tempDir('sat-ledger-'), 'ledger.csv');
    const w = new LedgerWriter(path);
    for (const e of entries) w.add(e);
    await w.close();
    const written = readFileSync(path, 'utf8');
    const expected = `${LEDGER_COLUMNS}\n${entries.map(reference).join('')}`;
    // Compared line by line first, so that a difference names its line.
    const a = written.split('\n');
    const b = expected.split('\n');
    for (let i = 0; i < b.length; i++) expect(a[i], `line ${i}`).toBe(b[i]);
    expect(written).toBe(expected);
  });
});
