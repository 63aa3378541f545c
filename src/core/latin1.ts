const slice = Buffer.prototype.latin1Slice;
const chars = String.fromCharCode;

/** Texts up to this long are made by String.fromCharCode of their bytes; longer ones by Buffer's latin1Slice. */
export const SHORT_TEXT = 16;

/**
 * b[from, to) as a string, one character a byte (latin1). The engine makes one per record for a
 * key or a field it reads (a product id, a sensor id): Buffer's latin1Slice is a call into the
 * runtime, ~65 ns for 10 bytes, where String.fromCharCode of the bytes as arguments is ~15 ns
 * (measured on this machine, Node 20); past SHORT_TEXT bytes the runtime's copy wins.
 */
export function latin1(b: Uint8Array, from: number, to: number): string {
  const f = from;
  switch (to - from) {
    case 0: return '';
    case 1: return chars(b[f]);
    case 2: return chars(b[f], b[f + 1]);
    case 3: return chars(b[f], b[f + 1], b[f + 2]);
    case 4: return chars(b[f], b[f + 1], b[f + 2], b[f + 3]);
    case 5: return chars(b[f], b[f + 1], b[f + 2], b[f + 3], b[f + 4]);
    case 6: return chars(b[f], b[f + 1], b[f + 2], b[f + 3], b[f + 4], b[f + 5]);
    case 7: return chars(b[f], b[f + 1], b[f + 2], b[f + 3], b[f + 4], b[f + 5], b[f + 6]);
    case 8: return chars(b[f], b[f + 1], b[f + 2], b[f + 3], b[f + 4], b[f + 5], b[f + 6], b[f + 7]);
    case 9: return chars(b[f], b[f + 1], b[f + 2], b[f + 3], b[f + 4], b[f + 5], b[f + 6], b[f + 7], b[f + 8]);
    case 10: return chars(b[f], b[f + 1], b[f + 2], b[f + 3], b[f + 4], b[f + 5], b[f + 6], b[f + 7], b[f + 8], b[f + 9]);
    case 11: return chars(b[f], b[f + 1], b[f + 2], b[f + 3], b[f + 4], b[f + 5], b[f + 6], b[f + 7], b[f + 8], b[f + 9], b[f + 10]);
    case 12: return chars(b[f], b[f + 1], b[f + 2], b[f + 3], b[f + 4], b[f + 5], b[f + 6], b[f + 7], b[f + 8], b[f + 9], b[f + 10], b[f + 11]);
    case 13: return chars(b[f], b[f + 1], b[f + 2], b[f + 3], b[f + 4], b[f + 5], b[f + 6], b[f + 7], b[f + 8], b[f + 9], b[f + 10], b[f + 11], b[f + 12]);
    case 14: return chars(b[f], b[f + 1], b[f + 2], b[f + 3], b[f + 4], b[f + 5], b[f + 6], b[f + 7], b[f + 8], b[f + 9], b[f + 10], b[f + 11], b[f + 12], b[f + 13]);
    case 15: return chars(b[f], b[f + 1], b[f + 2], b[f + 3], b[f + 4], b[f + 5], b[f + 6], b[f + 7], b[f + 8], b[f + 9], b[f + 10], b[f + 11], b[f + 12], b[f + 13], b[f + 14]);
    case 16: return chars(b[f], b[f + 1], b[f + 2], b[f + 3], b[f + 4], b[f + 5], b[f + 6], b[f + 7], b[f + 8], b[f + 9], b[f + 10], b[f + 11], b[f + 12], b[f + 13], b[f + 14], b[f + 15]);
    default: return slice.call(b, from, to) as string;
  }
}
