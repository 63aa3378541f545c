/**
 * A growable byte buffer written front to back and reset for the next use (no allocation per
 * value): the results' Parquet pages and footer, the results' JSON lines. Integers are JS numbers (safe up to 2^53):
 * INT64 values are written as two 32-bit halves rather than through a bigint per value.
 */
export class Bytes {
  buf: Buffer;
  len = 0;

  constructor(size = 1 << 16) {
    this.buf = Buffer.allocUnsafe(size);
  }

  reset(): void {
    this.len = 0;
  }

  /** Room for `n` more bytes. */
  reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(grown, 0, 0, this.len);
    this.buf = grown;
  }

  /** The bytes written so far (a view, valid until the next write or reset). */
  view(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  u8(v: number): void {
    this.reserve(1);
    this.buf[this.len++] = v;
  }

  u32(v: number): void {
    this.reserve(4);
    this.buf.writeUInt32LE(v >>> 0, this.len);
    this.len += 4;
  }

  /** A signed 64-bit little-endian integer from a safe-integer number. */
  i64(v: number): void {
    this.reserve(8);
    const hi = Math.floor(v / 4294967296);
    this.buf.writeUInt32LE(v - hi * 4294967296, this.len);
    this.buf.writeInt32LE(hi, this.len + 4);
    this.len += 8;
  }

  f64(v: number): void {
    this.reserve(8);
    this.buf.writeDoubleLE(v, this.len);
    this.len += 8;
  }

  /** An unsigned LEB128 varint of a non-negative safe integer. */
  varint(v: number): void {
    this.reserve(8);
    while (v >= 128) {
      this.buf[this.len++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    this.buf[this.len++] = v;
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /**
   * `s` as UTF-8 (no length answered): short ASCII texts by a loop, with no call into the runtime
   * and no flattening of a text built by concatenation; any other through utf8().
   */
  text(s: string): void {
    const n = s.length;
    this.reserve(n);
    const buf = this.buf;
    let at = this.len;
    for (let k = 0; k < n; k++) {
      const c = s.charCodeAt(k);
      if (c >= 0x80) {
        this.utf8(s); // from the text's start: len has not moved yet
        return;
      }
      buf[at++] = c;
    }
    this.len = at;
  }

  /** `s` as a JSON string (JSON.stringify's text): printable ASCII by a loop, any other through JSON.stringify. */
  jsonString(s: string): void {
    const n = s.length;
    this.reserve(n + 2);
    const buf = this.buf;
    let at = this.len;
    buf[at++] = 0x22;
    for (let k = 0; k < n; k++) {
      const c = s.charCodeAt(k);
      if (c < 0x20 || c === 0x22 || c === 0x5c || c >= 0x7f) {
        this.utf8(JSON.stringify(s));
        return;
      }
      buf[at++] = c;
    }
    buf[at++] = 0x22;
    this.len = at;
  }

  /** A number as `${v}` writes it: a 32-bit integer's digits by a loop, any other through String(). */
  numberText(v: number): void {
    if ((v | 0) !== v) return this.text(String(v));
    this.reserve(11);
    const buf = this.buf;
    let at = this.len;
    if (v < 0) {
      buf[at++] = 0x2d;
      v = -v;
    }
    let digits = 1;
    for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
    at += digits;
    this.len = at;
    do {
      buf[--at] = 0x30 + (v % 10);
      v = Math.floor(v / 10);
    } while (v > 0);
  }

  /** `s` as UTF-8; returns its length in bytes. */
  utf8(s: string): number {
    this.reserve(s.length * 3);
    const n = this.buf.write(s, this.len, 'utf8');
    this.len += n;
    return n;
  }
}
