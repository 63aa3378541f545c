import type { AggregateFunction } from './function.js';
import { welford } from './variance.js';

/** Sample standard deviation: the square root of the sample variance (null below two values). */
export const stddev: AggregateFunction = {
  op: 'stddev',
  slots: 3,
  init: () => undefined,
  add: (v, at, x) => x !== null && welford.add(v, at, x),
  merge: (into, at, from, fa) => welford.merge(into, at, from, fa),
  result: (v, at) => {
    const s2 = welford.variance(v, at);
    return s2 === null ? null : Math.sqrt(Math.max(0, s2));
  },
};
