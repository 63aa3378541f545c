import { describe, expect, it } from 'vitest';
import { Growing } from '../../src/core/growing.js';

const CHUNK = 1 << 20;
const filled = (g: Growing<Float64Array>, n: number) => {
  for (let i = 0; i < n; i++) g.push(i * 0.5);
  return g.done();
};
const expectSeq = (a: Float64Array, n: number) => {
  expect(a.length).toBe(n);
  for (const i of [0, 1, n >> 1, n - 2, n - 1]) if (i >= 0 && i < n) expect(a[i]).toBe(i * 0.5);
};

describe('Growing', () => {
  it('without a capacity: chunks copied to the exact size, across chunk boundaries', () => {
    for (const n of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK + 7]) expectSeq(filled(new Growing((k) => new Float64Array(k)), n), n);
  });

  it('with the count known: one array of that size, handed back as it is', () => {
    const made: number[] = [];
    const g = new Growing((k) => (made.push(k), new Float64Array(k)), 3 * CHUNK);
    expectSeq(filled(g, 3 * CHUNK), 3 * CHUNK);
    expect(made).toEqual([3 * CHUNK]); // no chunk, no copy: the records are held once
  });

  it('fewer pushed than the capacity (a filter): the first n; more: the rest in chunks, all kept', () => {
    expectSeq(filled(new Growing((k) => new Float64Array(k), CHUNK + 5), 10), 10);
    expectSeq(filled(new Growing((k) => new Float64Array(k), 100), 100 + CHUNK + 3), 100 + CHUNK + 3);
  });
});
