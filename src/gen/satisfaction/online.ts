/**
 * Online features: a pure function of (customer, minute), so the API server, the engine and the
 * oracle all get the same values without storing them.
 */
export interface OnlineFeatures {
  network_latency_ms: number;
  dropped_calls: number;
  app_errors: number;
  data_mb: number;
}

/** 32-bit hash of a string and a number (FNV-1a, then a murmur3 finalizer). */
export function hash32(text: string, n: number): number {
  let h = 0x811c9dc5 ^ n;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function onlineFeatures(customerId: string, minute: number): OnlineFeatures {
  const a = hash32(customerId, minute);
  const b = hash32(customerId, minute ^ 0x5bd1e995);
  return {
    network_latency_ms: 20 + (a % 180),
    dropped_calls: (a >>> 8) % 7 === 0 ? (b % 3) + 1 : 0,
    app_errors: (b >>> 4) % 11 === 0 ? (a % 5) + 1 : 0,
    data_mb: Math.round(((b % 100_000) / 100) * 10) / 10,
  };
}
