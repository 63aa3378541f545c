/**
 * Kafka's default partitioner: murmur2 of the key bytes, made positive, modulo the partition count.
 * A port of org.apache.kafka.common.utils.Utils.murmur2, so the embedded log and Kafka agree.
 */
export function murmur2(data: Uint8Array, length = data.length, from = 0): number {
  const seed = 0x9747b28c;
  const m = 0x5bd1e995;
  const r = 24;
  let h = seed ^ length;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = from + i * 4;
    let k = (data[i4] & 0xff) | ((data[i4 + 1] & 0xff) << 8) | ((data[i4 + 2] & 0xff) << 16) | ((data[i4 + 3] & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const tail = from + (length & ~3);
  switch (length % 4) {
    case 3:
      h ^= (data[tail + 2] & 0xff) << 16;
    // falls through
    case 2:
      h ^= (data[tail + 1] & 0xff) << 8;
    // falls through
    case 1:
      h ^= data[tail] & 0xff;
      h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

const encoder = new TextEncoder();
let scratch = new Uint8Array(64);

/**
 * Partition for a key, as Kafka's DefaultPartitioner/BuiltInPartitioner computes it. An ASCII key's
 * bytes are its char codes, copied into a reused buffer (8x faster than TextEncoder per key: a shard of
 * sat gen hashes every customer id); any other key is UTF-8 encoded.
 */
export function partitionForKey(key: string, partitions: number): number {
  const n = key.length;
  if (n > scratch.length) scratch = new Uint8Array(n * 2);
  for (let i = 0; i < n; i++) {
    const c = key.charCodeAt(i);
    if (c > 0x7f) return (murmur2(encoder.encode(key)) & 0x7fffffff) % partitions;
    scratch[i] = c;
  }
  return (murmur2(scratch, n) & 0x7fffffff) % partitions;
}

/** Partition for a key's UTF-8 bytes (as partitionForKey computes it for their text). */
export const partitionForBytes = (key: Uint8Array, partitions: number): number => (murmur2(key) & 0x7fffffff) % partitions;

/** Partition for the key bytes data[from, from + length) (a range of a larger buffer, not copied). */
export const partitionForRange = (data: Uint8Array, from: number, length: number, partitions: number): number => (murmur2(data, length, from) & 0x7fffffff) % partitions;
