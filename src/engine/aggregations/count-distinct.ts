import type { AggregateFunction } from './function.js';

/** Distinct non-null values (exact: a set per pane, merged by union); 0 when there are none. */
export const countDistinct: AggregateFunction = {
  op: 'count_distinct',
  slots: 0,
  usesSet: true,
  integer: true,
  init: () => undefined,
  add: (_v, _at, x, _time, set) => x !== null && set!.add(x),
  merge: (_into, _at, _from, _fa, into, from) => {
    for (const x of from!) into!.add(x);
  },
  result: (_v, _at, set) => set!.size,
};
