/** A seeded PRNG (mulberry32): every fault mix replays identically from its seed. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number;
  pick<T>(items: readonly T[]): T;
}

export function createRng(seed: number): Rng {
  const { next, int, pick } = mulberry32(seed);
  return { next, int, pick };
}

/** mulberry32 with its state exposed, so a counter-based stream can restart it. */
function mulberry32(seed: number) {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)],
    restart: (state: number) => {
      a = state >>> 0;
    },
  };
}

/**
 * A counter-based stream: seed(i) restarts it at item i's own sequence (mulberry32 from a mix of the
 * base seed and i), so item i's values do not depend on the items before it and any subset of the
 * items can be drawn alone. One object, reused: no allocation per item.
 */
export interface CounterRng {
  seed(i: number): void;
  next(): number;
  int(lo: number, hi: number): number;
}

export function counterRng(base: number): CounterRng {
  const m = mulberry32(0);
  return {
    seed(i) {
      // murmur3's finalizer over (base, i): neighbouring items start far apart.
      let h = (base ^ Math.imul(i, 0x9e3779b1) ^ Math.floor(i / 4294967296)) >>> 0;
      h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
      h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
      m.restart(h ^ (h >>> 16));
    },
    next: m.next,
    int: m.int,
  };
}

/** Derives an independent stream for one purpose, so adding a fault kind doesn't shift the others. */
export function deriveSeed(seed: number, purpose: string): number {
  let h = seed ^ 0x9e3779b9;
  for (let i = 0; i < purpose.length; i++) h = Math.imul(h ^ purpose.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The item whose cumulative weight first exceeds u (uniform in [0, 1)); the last one if none does. */
export function weightedPick<T>(u: number, items: readonly T[], weights: readonly number[]): T {
  let acc = 0;
  for (let i = 0; i < weights.length; i++) {
    acc += weights[i];
    if (u < acc) return items[i];
  }
  return items[items.length - 1];
}
