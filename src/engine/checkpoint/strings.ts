/**
 * Many strings as two typed arrays (their UTF-8 bytes, and where each ends), so a checkpoint holds
 * millions of keys or ids as binary blocks: no JSON string of them, which V8 caps at 512 MB.
 */
export interface StringColumn {
  bytes: Uint8Array;
  ends: Uint32Array;
}

export function encodeStrings(ss: readonly string[]): StringColumn {
  const ends = new Uint32Array(ss.length);
  // Keys and ids are mostly ASCII: one join and one encoding, then a byte is a character (half the
  // time of a write per string). Any other character and the bytes are counted string by string.
  const joined = ss.join('');
  const all = Buffer.from(joined, 'utf8');
  if (all.length === joined.length) {
    let end = 0;
    for (let i = 0; i < ss.length; i++) ends[i] = end += ss[i].length;
    return { bytes: new Uint8Array(all.buffer, all.byteOffset, all.length), ends };
  }
  let total = 0;
  for (let i = 0; i < ss.length; i++) {
    total += Buffer.byteLength(ss[i], 'utf8');
    ends[i] = total;
  }
  const bytes = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < ss.length; i++) at += bytes.write(ss[i], at, 'utf8');
  return { bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, total), ends };
}

export function decodeStrings(c: StringColumn): string[] {
  const buf = Buffer.from(c.bytes.buffer, c.bytes.byteOffset, c.bytes.byteLength);
  const out = new Array<string>(c.ends.length);
  const whole = buf.toString('utf8');
  if (whole.length === buf.length) {
    // ASCII: one decoding, then slices (as encodeStrings' fast path).
    let from = 0;
    for (let i = 0; i < c.ends.length; i++) out[i] = whole.slice(from, (from = c.ends[i]));
    return out;
  }
  let from = 0;
  for (let i = 0; i < c.ends.length; i++) {
    out[i] = buf.toString('utf8', from, c.ends[i]);
    from = c.ends[i];
  }
  return out;
}
