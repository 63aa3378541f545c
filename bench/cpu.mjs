// The CPU figures of sat run's summaries (`cpu`), as a bench line: how many cores the run kept busy
// (all its threads' CPU over its wall time) and how much of the run the engine's thread spent on a
// core and ready but waiting for one (Linux). On a two-core machine the helper threads (log reader,
// results, Parquet, checkpoints, V8's GC) compete with the engine's thread: the wait shows it.
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (x) => `${Math.round(x * 100)}%`;

/** One line from the summaries of several runs (medians), or '' when they carry no cpu figures. */
export function cpuLine(summaries) {
  const s = summaries.filter((j) => j.cpu !== undefined && j.elapsedMs > 0);
  if (s.length === 0) return '';
  const cores = median(s.map((j) => j.cpu.processMs / j.elapsedMs)).toFixed(2);
  if (s.some((j) => j.cpu.threadMs === undefined)) return `cpu     ${cores} cores busy (all threads' CPU / wall)`;
  const on = median(s.map((j) => j.cpu.threadMs / j.elapsedMs));
  const wait = median(s.map((j) => j.cpu.threadWaitMs / j.elapsedMs));
  return `cpu     ${cores} cores busy (all threads' CPU / wall); the engine's thread on a core ${pct(on)} of the run, ready but waiting for one ${pct(wait)}`;
}
