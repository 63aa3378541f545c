/** bytes[from, to) as a plain Uint8Array view (bytes itself when that is all of it): a third of what a Buffer's subarray costs to make. */
export const viewOf = (bytes: Uint8Array, from: number, to: number): Uint8Array => (from === 0 && to === bytes.length ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset + from, to - from));

/**
 * Copies src[from, from + length) to dst at `at`; returns the position after it. Up to 32 bytes byte
 * by byte; longer by set() of a view of the range (~50 ns whatever the length; a loop takes ~1.4 ns
 * a byte, measured on plain Uint8Arrays).
 */
export function copyRange(dst: Uint8Array, at: number, src: Uint8Array, from: number, length: number): number {
  if (length > 32) dst.set(src.subarray(from, from + length), at);
  else for (let k = 0; k < length; k++) dst[at + k] = src[from + k];
  return at + length;
}
