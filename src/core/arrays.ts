/** A copy of the typed array `a` at `length` (at least its own), the new cells set to `fill`. */
export function grown<T extends Float64Array | Int32Array | Uint32Array | Uint8Array>(a: T, length: number, fill = 0): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  b.set(a);
  if (fill !== 0) b.fill(fill, a.length);
  return b;
}

/** Inserts `x` into the ascending array `a`, after any equal to it (appends cost nothing: most come in order). */
export function insertSorted(a: number[], x: number): void {
  let i = a.length;
  while (i > 0 && a[i - 1] > x) i--;
  a.splice(i, 0, x);
}
