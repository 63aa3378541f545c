import type { AggregateFunction } from './function.js';

// The first five keep the layout checkpoints have always had: [value, non-null count].

export const count: AggregateFunction = {
  op: 'count',
  slots: 2,
  integer: true,
  init: () => undefined,
  add: (v, at) => void v[at + 1]++,
  merge: (into, at, from, fa) => void (into[at + 1] += from[fa + 1]),
  result: (v, at) => v[at + 1],
  inline: {
    add: (s) => `${s(1)}++;`,
    merge: (i, f) => `${i(1)} += ${f(1)};`,
  },
};

const summing = (op: 'sum' | 'avg', result: AggregateFunction['result']): AggregateFunction => ({
  op,
  slots: 2,
  init: () => undefined,
  add: (v, at, x) => {
    if (x === null) return;
    v[at] += x;
    v[at + 1]++;
  },
  merge: (into, at, from, fa) => {
    into[at] += from[fa];
    into[at + 1] += from[fa + 1];
  },
  result,
  inline: {
    add: (s, x) => `if (${x} !== null) { ${s(0)} += ${x}; ${s(1)}++; }`,
    merge: (i, f) => `${i(0)} += ${f(0)}; ${i(1)} += ${f(1)};`,
  },
});

export const sum = summing('sum', (v, at) => (v[at + 1] === 0 ? null : v[at]));
export const avg = summing('avg', (v, at) => (v[at + 1] === 0 ? null : v[at] / v[at + 1]));

// pick is Math.min or Math.max: the inline steps call it by that name.
const extreme = (op: 'min' | 'max', pick: (a: number, b: number) => number, start: number): AggregateFunction => ({
  op,
  slots: 2,
  init: (v, at) => void (v[at] = start),
  add: (v, at, x) => {
    if (x === null) return;
    v[at] = pick(v[at], x);
    v[at + 1]++;
  },
  merge: (into, at, from, fa) => {
    into[at] = pick(into[at], from[fa]);
    into[at + 1] += from[fa + 1];
  },
  result: (v, at) => (v[at + 1] === 0 ? null : v[at]),
  inline: {
    add: (s, x) => `if (${x} !== null) { ${s(0)} = Math.${op}(${s(0)}, ${x}); ${s(1)}++; }`,
    merge: (i, f) => `${i(0)} = Math.${op}(${i(0)}, ${f(0)}); ${i(1)} += ${f(1)};`,
  },
});

export const min = extreme('min', Math.min, Infinity);
export const max = extreme('max', Math.max, -Infinity);
