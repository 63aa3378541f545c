import type { Bytes } from '../../core/byte-buffer.js';

/**
 * The first `n` of `values` (each < 2^width, width 1..24) in Parquet's RLE/bit-packed hybrid: a run
 * of 8 or more equal values is one RLE run; anything else goes in bit-packed groups of 8 (the last
 * group padded with zeros, which readers ignore past the value count).
 */
export function writeHybrid(out: Bytes, values: ArrayLike<number>, n: number, width: number): void {
  const byteWidth = (width + 7) >> 3;
  let i = 0;
  let literalStart = 0;
  let literalGroups = 0;
  while (i < n) {
    const v = values[i];
    let run = 1;
    while (run < 8 && i + run < n && values[i + run] === v) run++;
    if (run === 8) {
      while (i + run < n && values[i + run] === v) run++;
      if (literalGroups > 0) packGroups(out, values, n, width, literalStart, literalGroups);
      literalGroups = 0;
      out.varint(run * 2);
      for (let b = 0; b < byteWidth; b++) out.u8((v >>> (8 * b)) & 255);
      i += run;
    } else {
      if (literalGroups === 0) literalStart = i;
      literalGroups++;
      i += 8;
    }
  }
  if (literalGroups > 0) packGroups(out, values, n, width, literalStart, literalGroups);
}

/**
 * A bit-packed run: its header, then `groups` groups of 8 values from `start`, least significant bit
 * first. The run's length (8 values of `width` bits are `width` bytes) is set before the loop: a store
 * after it had no type feedback yet when V8 compiled the loop on its first long run, and its code
 * was thrown away there, up to ~50 times a run.
 */
function packGroups(out: Bytes, values: ArrayLike<number>, n: number, width: number, start: number, groups: number): void {
  out.varint(groups * 2 + 1);
  out.reserve(groups * width);
  const buf = out.buf;
  let at = out.len;
  out.len = at + groups * width;
  let acc = 0;
  let bits = 0;
  const end = start + groups * 8;
  for (let i = start; i < end; i++) {
    acc |= (i < n ? values[i] : 0) << bits;
    bits += width;
    while (bits >= 8) {
      buf[at++] = acc & 255;
      acc >>>= 8;
      bits -= 8;
    }
  }
}
