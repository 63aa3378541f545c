/**
 * Whether no string occurs twice in xs: new Set(xs).size === xs.length, without the Set. Strings
 * that came through a structured clone (the online client's ids) carry no hash yet, and a Set of a
 * minute's 56k of them, hashed by V8 and grown as it fills, was a fifth of the online client's
 * thread; here each is hashed once in a loop of its characters into a table sized up front.
 */
export function allDistinct(xs: readonly string[]): boolean {
  const n = xs.length;
  if (n < 2) return true;
  let size = 4;
  while (size < 2 * n) size <<= 1;
  const mask = size - 1;
  const slots = new Int32Array(size).fill(-1);
  const hashes = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const s = xs[i];
    // FNV-1a over the UTF-16 code units.
    let h = 0x811c9dc5 | 0;
    for (let k = 0; k < s.length; k++) h = Math.imul(h ^ s.charCodeAt(k), 0x01000193);
    hashes[i] = h;
    for (let j = (h ^ (h >>> 15)) & mask; ; j = (j + 1) & mask) {
      const o = slots[j];
      if (o < 0) {
        slots[j] = i;
        break;
      }
      if (hashes[o] === h && xs[o] === s) return false;
    }
  }
  return true;
}
