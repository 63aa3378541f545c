import type { Schedule } from './schedule.js';

/** Time source and sleep: the real ones in replay, a fake one in tests. */
export interface Clock {
  /** Milliseconds, any origin, sub-millisecond resolution. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface PaceOptions {
  schedule: Schedule;
  /** Records available to send. */
  total: number;
  /** Stop after this many records (--records). */
  maxRecords?: number;
  /** Stop when the schedule reaches this many ms (--duration). */
  durationMs?: number;
  /** Stop before the next batch once aborted (SIGINT, SIGTERM). */
  signal?: AbortSignal;
  /** Records intended in the first warmupMs are sent but left out of the figures. */
  warmupMs?: number;
  /** Largest batch handed to send at once. */
  batchSize?: number;
  /**
   * Batches dispatched but not yet acknowledged before the pacer waits (default 1: each send is
   * awaited). More lets a transport with slow acknowledgements keep up with the schedule.
   */
  maxInFlight?: number;
  clock: Clock;
  /**
   * Sends records [from, to), all due; resolves when they are acknowledged. `intended` is the
   * absolute intended send time of record `from + j` at j (the caller's to keep); `sendTime` is now.
   */
  send(from: number, to: number, intended: Float64Array, sendTime: number): Promise<void>;
  /** Called after each acknowledged batch (progress display). */
  progress?(p: PaceProgress): void;
}

export interface PaceProgress {
  sent: number;
  /** Records available (before --records). */
  total: number;
  elapsedMs: number;
  /** Records sent in the last full second. */
  currentRate: number;
  /** What the schedule asked for in that second. */
  targetRate: number;
  /** How far the newest batch went out after its intended time. */
  lagMs: number;
}

export interface PaceResult {
  sent: number;
  elapsedMs: number;
  /** The schedule's mean rate over the measured part (0: unpaced). */
  targetRate: number;
  /** Records per second over the measured part (after warm-up). */
  achievedRate: number;
  /** The worst |sent - due| / due over whole seconds after warm-up (null: unpaced or too short). */
  worstSecondErrorPct: number | null;
  /** The longest any record (after warm-up) went out after its intended send time. */
  behindScheduleMs: number;
  /** Records sent in each second since the start. */
  perSecond: number[];
  /** Why sending stopped: every record sent, --records, --duration or the profile's end. */
  stoppedBy: 'end-of-data' | 'records' | 'duration' | 'schedule' | 'signal';
}

/**
 * Holds a sender to a schedule (open model): each record has an intended send time; the pacer
 * sleeps while ahead and, when behind (a stall, a slow acknowledgement), sends everything due at
 * once, in batches, so a stall never lowers the offered load silently: it shows up as
 * behindScheduleMs and in the latency measured from the intended time.
 */
export async function pace(o: PaceOptions): Promise<PaceResult> {
  const { schedule, clock } = o;
  const batchSize = o.batchSize ?? 1000;
  const limit = Math.min(o.total, o.maxRecords ?? Infinity);
  const duration = Math.min(o.durationMs ?? Infinity, schedule.durationMs);
  const warmup = o.warmupMs ?? 0;
  const paced = schedule.meanRate > 0;
  const start = clock.now();
  const perSecond: number[] = [];
  let behind = 0;
  let seq = 0;
  let stoppedBy: PaceResult['stoppedBy'] = 'end-of-data';
  const maxInFlight = o.maxInFlight ?? 1;
  const inFlight: Promise<void>[] = [];

  while (seq < limit) {
    if (o.signal?.aborted) {
      stoppedBy = 'signal';
      break;
    }
    const due = schedule.timeOf(seq);
    if (due >= duration) {
      stoppedBy = due !== Infinity && o.durationMs !== undefined && due >= o.durationMs ? 'duration' : 'schedule';
      break;
    }
    const now = clock.now();
    // Unpaced, --duration is wall time; paced, it bounds the schedule (records due before it still go).
    if (!paced && o.durationMs !== undefined && now - start >= o.durationMs) {
      stoppedBy = 'duration';
      break;
    }
    if (paced && start + due > now + 0.25) {
      await clock.sleep(start + due - now);
      continue;
    }
    // Everything due by now goes in one batch (bounded), most overdue first.
    const intended = new Float64Array(batchSize);
    let to = seq;
    while (to < limit && to - seq < batchSize) {
      const t = schedule.timeOf(to);
      if (t >= duration || (paced && start + t > now)) break;
      intended[to - seq] = start + t;
      to++;
    }
    const sendTime = clock.now();
    if (paced && due >= warmup) behind = Math.max(behind, sendTime - (start + due));
    const sending = o.send(seq, to, intended.subarray(0, to - seq), sendTime);
    sending.catch(() => undefined); // awaited below; this only keeps an early failure from counting as unhandled
    inFlight.push(sending);
    if (inFlight.length >= maxInFlight) await inFlight.shift();
    const second = Math.floor((sendTime - start) / 1000);
    while (perSecond.length <= second) perSecond.push(0);
    perSecond[second] += to - seq;
    seq = to;
    if (o.progress) {
      const elapsed = clock.now() - start;
      const last = Math.floor(elapsed / 1000) - 1;
      o.progress({
        sent: seq,
        total: o.total,
        elapsedMs: elapsed,
        currentRate: last >= 0 ? (perSecond[last] ?? 0) : seq,
        targetRate: last >= 0 && paced ? schedule.countUntil((last + 1) * 1000) - schedule.countUntil(last * 1000) : 0,
        lagMs: paced ? Math.max(0, sendTime - (start + due)) : 0,
      });
    }
  }
  await Promise.all(inFlight);
  if (seq >= limit && limit < o.total) stoppedBy = 'records';
  const elapsedMs = clock.now() - start;

  // Figures over whole seconds after warm-up; the last, partial second is left out.
  const firstSecond = Math.ceil(warmup / 1000);
  const lastSecond = Math.floor(elapsedMs / 1000) - 1;
  let worst: number | null = null;
  let measured = 0;
  for (let s = firstSecond; s <= lastSecond && paced; s++) {
    const target = schedule.countUntil((s + 1) * 1000) - schedule.countUntil(s * 1000);
    const got = perSecond[s] ?? 0;
    measured += got;
    if (target > 0) worst = Math.max(worst ?? 0, (Math.abs(got - target) / target) * 100);
  }
  const seconds = lastSecond - firstSecond + 1;
  const achievedRate = paced && seconds > 0 ? measured / seconds : seq / Math.max(elapsedMs / 1000, 1e-9);
  const targetRate = paced && seconds > 0 ? (schedule.countUntil((lastSecond + 1) * 1000) - schedule.countUntil(firstSecond * 1000)) / seconds : paced ? schedule.meanRate : 0;
  return { sent: seq, elapsedMs, targetRate, achievedRate, worstSecondErrorPct: worst, behindScheduleMs: behind, perSecond, stoppedBy };
}
