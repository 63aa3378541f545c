import { Worker } from 'node:worker_threads';
import { createRng, deriveSeed } from '../../core/rng.js';

/** Every fifth feature is a flag, the rest numbers. */
export const isFlag = (j: number) => j % 5 === 4;

/** Each feature's distribution, fixed by the seed: normal (0), log-normal (1) or uniform (2), with its parameters. */
export interface FeatureShapes {
  kinds: Uint8Array;
  as: Float64Array;
  bs: Float64Array;
}

export function featureShapes(seed: number, features: number): FeatureShapes {
  const shape = createRng(deriveSeed(seed, 'feature-shapes'));
  const dists = Array.from({ length: features }, () => ({ kind: shape.int(0, 2), a: shape.next() * 100, b: 1 + shape.next() * 20 }));
  return { kinds: Uint8Array.from(dists, (x) => x.kind), as: Float64Array.from(dists, (x) => x.a), bs: Float64Array.from(dists, (x) => x.b) };
}

/**
 * What a group of customers' own RNGs draw, column by column (row r of column k at k * rows + r):
 * plan and device (indexes), monthly spend, the numeric features and the flags (0/1).
 */
export interface DrawnBlock {
  rows: number;
  plan: Uint8Array;
  device: Uint8Array;
  spend: Float64Array;
  numbers: Float64Array;
  flags: Uint8Array;
}

/**
 * Fills rows [0, n) of a block from each customer's RNG seed: mulberry32 (as core/rng.ts) draws the
 * plan, the device and the spend, then every feature in order. Self-contained on purpose: its source
 * text is what the worker runs, so the worker and this thread draw the same numbers by construction
 * (`test/gen/features.test.ts` holds it equal to createRng's draws).
 */
export function drawBlock(seeds: Uint32Array, n: number, plans: number, devices: number, kinds: Uint8Array, as: Float64Array, bs: Float64Array, out: DrawnBlock): void {
  const rows = out.rows;
  const features = kinds.length;
  for (let r = 0; r < n; r++) {
    let a = seeds[r] >>> 0;
    let t = 0;
    // mulberry32, inlined: one draw is these five lines.
    a = (a + 0x6d2b79f5) >>> 0;
    t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out.plan[r] = Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * plans);
    a = (a + 0x6d2b79f5) >>> 0;
    t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out.device[r] = Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * devices);
    a = (a + 0x6d2b79f5) >>> 0;
    t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out.spend[r] = Math.round((10 + (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 140) * 100) / 100;
    let number = 0;
    let flag = 0;
    for (let j = 0; j < features; j++) {
      a = (a + 0x6d2b79f5) >>> 0;
      t = Math.imul(a ^ (a >>> 15), a | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      const first = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      if (j % 5 === 4) {
        out.flags[flag++ * rows + r] = first < 0.3 ? 1 : 0;
        continue;
      }
      const u = first || 1e-12;
      a = (a + 0x6d2b79f5) >>> 0;
      t = Math.imul(a ^ (a >>> 15), a | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      const v = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      const kind = kinds[j];
      let x: number;
      if (kind === 2) x = as[j] * v;
      else {
        const gauss = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
        x = kind === 0 ? as[j] + bs[j] * gauss : Math.exp(Math.log(1 + as[j]) / 4 + gauss * 0.5);
      }
      out.numbers[number++ * rows + r] = x;
    }
  }
}

const flagCount = (features: number) => Math.floor(features / 5);

function newBlock(rows: number, features: number): DrawnBlock {
  const flags = flagCount(features);
  return { rows, plan: new Uint8Array(rows), device: new Uint8Array(rows), spend: new Float64Array(rows), numbers: new Float64Array(rows * (features - flags)), flags: new Uint8Array(rows * flags) };
}

const blockBuffers = (b: DrawnBlock) => [b.plan.buffer, b.device.buffer, b.spend.buffer, b.numbers.buffer, b.flags.buffer] as ArrayBuffer[];

/** The worker's whole program: drawBlock's and blockBuffers' own text and a loop that answers each request in turn. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
var __name = (f) => f;
const drawBlock = ${drawBlock.toString()};
const blockBuffers = ${blockBuffers.toString()};
const s = workerData;
parentPort.on('message', (m) => {
  drawBlock(m.seeds, m.n, s.plans, s.devices, s.kinds, s.as, s.bs, m.block);
  parentPort.postMessage(m, blockBuffers(m.block));
});
`;

/**
 * Draws blocks of customers' values, on a worker thread for wide tables so that the drawing (a third
 * of a 5,000-feature snapshot's time) overlaps the Parquet encoding of the block before; in this
 * thread for narrow ones, where a worker's start costs more than it saves. Blocks are reused: hand a
 * block back with `release` once it is written.
 */
export class FeatureDrawer {
  readonly #worker: Worker | undefined;
  readonly #free: DrawnBlock[] = [];
  readonly #waiting: { resolve: (b: DrawnBlock) => void; reject: (e: Error) => void }[] = [];
  #failed: Error | undefined;

  constructor(
    readonly shapes: FeatureShapes,
    readonly plans: number,
    readonly devices: number,
    readonly rows: number,
    useWorker: boolean,
  ) {
    if (!useWorker) return;
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { plans, devices, ...shapes } });
    this.#worker.on('message', (m: { block: DrawnBlock }) => this.#waiting.shift()?.resolve(m.block));
    const fail = (e: Error) => {
      this.#failed ??= e;
      for (const w of this.#waiting.splice(0)) w.reject(this.#failed);
    };
    this.#worker.on('error', fail);
    this.#worker.on('exit', (code) => fail(new Error(`the feature worker stopped (exit code ${code})`)));
  }

  /** Starts drawing rows [0, n) from these seeds; the promise gives the filled block. */
  draw(seeds: Uint32Array, n: number): Promise<DrawnBlock> {
    const block = this.#free.pop() ?? newBlock(this.rows, this.shapes.kinds.length);
    if (this.#worker === undefined) {
      drawBlock(seeds, n, this.plans, this.devices, this.shapes.kinds, this.shapes.as, this.shapes.bs, block);
      return Promise.resolve(block);
    }
    if (this.#failed) return Promise.reject(this.#failed);
    const worker = this.#worker;
    return new Promise<DrawnBlock>((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      worker.postMessage({ seeds, n, block }, [seeds.buffer as ArrayBuffer, ...blockBuffers(block)]);
    });
  }

  release(block: DrawnBlock): void {
    this.#free.push(block);
  }

  async close(): Promise<void> {
    this.#worker?.removeAllListeners('exit');
    await this.#worker?.terminate();
  }
}
