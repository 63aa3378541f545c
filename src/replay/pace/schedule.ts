/**
 * When each record is meant to be sent: the open-model schedule the pacer holds the sender to, as
 * wrk2 and OpenMessaging Benchmark do. Pure functions of the record index; no clock inside.
 */
export interface Schedule {
  /** Intended send time of record i, in ms after the start (Infinity: the schedule ends before it). */
  timeOf(i: number): number;
  /** How many records are due before t ms (Infinity when unpaced). */
  countUntil(t: number): number;
  /** Length in ms (Infinity: open-ended). */
  durationMs: number;
  /** Records per second on average (0: as fast as possible). */
  meanRate: number;
  describe: string;
  /** A profile's phases, for figures per phase: which phase holds time t (ms), and their names. */
  phaseAt?: (t: number) => number;
  phases?: { name: string; fromMs: number; toMs: number }[];
}

/** As fast as possible: every record is due at once. */
export const unpaced: Schedule = { timeOf: () => 0, countUntil: () => Infinity, durationMs: Infinity, meanRate: 0, describe: 'as fast as possible' };

export function constantRate(rate: number): Schedule {
  if (rate <= 0) return unpaced;
  return {
    timeOf: (i) => (i * 1000) / rate,
    countUntil: (t) => (t <= 0 ? 0 : Math.ceil((t * rate) / 1000 - 1e-9)),
    durationMs: Infinity,
    meanRate: rate,
    describe: `${rate} records/s`,
  };
}

/** One phase of a profile, rates in records/s. */
export type Phase =
  | { kind: 'constant'; rate: number; ms: number }
  | { kind: 'ramp'; from: number; to: number; ms: number }
  | { kind: 'sine'; mean: number; amplitude: number; periodMs: number; ms: number };

/** Records due in the first t ms of a phase: the integral of its rate. */
function phaseCount(p: Phase, t: number): number {
  const s = t / 1000;
  switch (p.kind) {
    case 'constant':
      return p.rate * s;
    case 'ramp':
      return p.from * s + ((p.to - p.from) * s * s) / (2 * (p.ms / 1000));
    case 'sine': {
      const period = p.periodMs / 1000;
      return p.mean * s + ((p.amplitude * period) / (2 * Math.PI)) * (1 - Math.cos((2 * Math.PI * s) / period));
    }
  }
}

/** The time (ms into the phase) by which n records are due: the inverse of phaseCount. */
function phaseTime(p: Phase, n: number): number {
  if (p.kind === 'constant') return (n / p.rate) * 1000;
  if (p.kind === 'ramp' && p.from !== p.to) {
    const T = p.ms / 1000;
    const k = (p.to - p.from) / T; // rate slope per second
    return ((-p.from + Math.sqrt(p.from * p.from + 2 * k * n)) / k) * 1000;
  }
  if (p.kind === 'ramp') return (n / p.from) * 1000;
  // Sine: monotone (mean >= amplitude), so bisection converges; 50 steps reach ~1e-12 of the phase.
  let lo = 0;
  let hi = p.ms;
  for (let step = 0; step < 50; step++) {
    const mid = (lo + hi) / 2;
    if (phaseCount(p, mid) < n) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** A sequence of phases, played `repeat` times; records left when it ends are not sent. */
export function profileSchedule(phases: Phase[], repeat = 1, name = 'profile'): Schedule {
  const all = Array.from({ length: repeat }, () => phases).flat();
  const starts: number[] = [];
  const counts: number[] = []; // records due before each phase starts
  let t = 0;
  let n = 0;
  for (const p of all) {
    starts.push(t);
    counts.push(n);
    t += p.ms;
    n += phaseCount(p, p.ms);
  }
  const durationMs = t;
  const total = n;
  /** The last phase starting at or before x in `xs` (binary search). */
  const find = (xs: number[], x: number) => {
    let lo = 0;
    let hi = xs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (xs[mid] <= x) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  return {
    timeOf(i) {
      if (i >= total) return Infinity;
      // The phase in which the count passes i; zero-rate phases (pauses) are skipped over.
      let k = find(counts, i);
      while (k + 1 < all.length && counts[k + 1] <= i) k++;
      const p = all[k];
      return starts[k] + Math.min(p.ms, phaseTime(p, i - counts[k]));
    },
    countUntil(x) {
      if (x <= 0) return 0;
      if (x >= durationMs) return Math.ceil(total - 1e-9);
      const k = find(starts, x);
      return Math.ceil(counts[k] + phaseCount(all[k], x - starts[k]) - 1e-9);
    },
    durationMs,
    meanRate: durationMs > 0 ? (total * 1000) / durationMs : 0,
    describe: `${name}: ${all.length} phases over ${(durationMs / 1000).toFixed(1)} s, ${Math.round(total)} records`,
    phaseAt: (x) => find(starts, x),
    phases: all.map((p, k) => ({ name: phaseName(p), fromMs: starts[k], toMs: starts[k] + p.ms })),
  };
}

function phaseName(p: Phase): string {
  if (p.kind === 'constant') return `${p.rate}/s`;
  if (p.kind === 'ramp') return `${p.from}..${p.to}/s`;
  return `sine ${p.mean}±${p.amplitude}/s`;
}

/**
 * Event-time replay: records go out with the gaps of their own event times divided by `speedup`.
 * Times are the running maximum of the deliveries' event times, so a late or out-of-order record is
 * sent at once rather than scheduled in the past.
 */
export function eventTimeSchedule(eventTimes: (number | undefined)[], speedup: number): Schedule {
  const at = new Float64Array(eventTimes.length);
  let first: number | undefined;
  let max = -Infinity;
  for (let i = 0; i < eventTimes.length; i++) {
    const t = eventTimes[i];
    if (t !== undefined && first === undefined) first = t;
    if (t !== undefined && t > max) max = t;
    at[i] = first === undefined ? 0 : (max - first) / speedup;
  }
  const durationMs = at.length > 0 ? at[at.length - 1] : 0;
  return {
    timeOf: (i) => (i < at.length ? at[i] : Infinity),
    countUntil(x) {
      // The first index whose time is >= x.
      let lo = 0;
      let hi = at.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (at[mid] < x) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    },
    durationMs: Infinity,
    meanRate: durationMs > 0 ? (at.length * 1000) / durationMs : 0,
    describe: `event time x${speedup}`,
  };
}
