import { readFileSync } from 'node:fs';

/** CPU spent over a stretch of a run (what a summary reports). */
export interface CpuFigures {
  /** All of the process's threads, user and system (ms). */
  processMs: number;
  /** The calling thread (the engine's) on a core (ms; Linux only). */
  threadMs?: number;
  /**
   * The calling thread ready to run but waiting for a core (ms; Linux only): time the engine lost to
   * the machine's other work, its own helper threads included. Large beside threadMs: the run is
   * short of cores, and the figures measure the machine as much as sat.
   */
  threadWaitMs?: number;
}

export interface CpuMark {
  process: NodeJS.CpuUsage;
  /** The thread's schedstat: ns on a core, ns waiting for one. */
  thread?: [number, number];
}

/** Where CPU time stands now, for cpuSince(). */
export function cpuMark(): CpuMark {
  return { process: process.cpuUsage(), thread: threadSchedstat() };
}

/** CPU spent since `m`. */
export function cpuSince(m: CpuMark): CpuFigures {
  const p = process.cpuUsage(m.process);
  const figures: CpuFigures = { processMs: Math.round((p.user + p.system) / 1000) };
  const t = threadSchedstat();
  if (t !== undefined && m.thread !== undefined) {
    figures.threadMs = Math.round((t[0] - m.thread[0]) / 1e6);
    figures.threadWaitMs = Math.round((t[1] - m.thread[1]) / 1e6);
  }
  return figures;
}

/** /proc/thread-self/schedstat (Linux): the thread's ns on a core and ns runnable but waiting; undefined elsewhere. */
function threadSchedstat(): [number, number] | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const [run, wait] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ').map(Number);
    return Number.isFinite(run) && Number.isFinite(wait) ? [run, wait] : undefined;
  } catch {
    return undefined; // no /proc, or schedstats not kept by this kernel
  }
}
