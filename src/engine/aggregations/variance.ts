import type { AggregateFunction } from './function.js';

/**
 * Sample variance, kept as [n, mean, M2] (Welford) and merged with Chan's formula, so panes combine
 * without the cancellation of a sum of squares. Null below two values, as SQL's var_samp.
 */
export const welford = {
  add(v: Float64Array, at: number, x: number): void {
    const n = ++v[at];
    const d = x - v[at + 1];
    v[at + 1] += d / n;
    v[at + 2] += d * (x - v[at + 1]);
  },
  merge(into: Float64Array, at: number, from: Float64Array, fa: number): void {
    const nb = from[fa];
    if (nb === 0) return;
    const na = into[at];
    const n = na + nb;
    const d = from[fa + 1] - into[at + 1];
    into[at + 1] += (d * nb) / n;
    into[at + 2] += from[fa + 2] + (d * d * na * nb) / n;
    into[at] = n;
  },
  variance: (v: Float64Array, at: number): number | null => (v[at] < 2 ? null : v[at + 2] / (v[at] - 1)),
};

export const variance: AggregateFunction = {
  op: 'variance',
  slots: 3,
  init: () => undefined,
  add: (v, at, x) => x !== null && welford.add(v, at, x),
  merge: (into, at, from, fa) => welford.merge(into, at, from, fa),
  result: welford.variance,
};
