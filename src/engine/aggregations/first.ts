import type { AggregateFunction } from './function.js';

/**
 * The non-null value with the earliest event time; between values at the same time, the smallest.
 * Arrival order plays no part, so any engine that reads the same records must agree. Kept as
 * [time, value, n].
 */
export const first: AggregateFunction = {
  op: 'first',
  slots: 3,
  init: (v, at) => void (v[at] = Infinity),
  add: (v, at, x, time) => {
    if (x === null) return;
    if (time < v[at] || (time === v[at] && x < v[at + 1])) {
      v[at] = time;
      v[at + 1] = x;
    }
    v[at + 2]++;
  },
  merge: (into, at, from, fa) => {
    if (from[fa + 2] === 0) return;
    if (into[at + 2] === 0 || from[fa] < into[at] || (from[fa] === into[at] && from[fa + 1] < into[at + 1])) {
      into[at] = from[fa];
      into[at + 1] = from[fa + 1];
    }
    into[at + 2] += from[fa + 2];
  },
  result: (v, at) => (v[at + 2] === 0 ? null : v[at + 1]),
};
