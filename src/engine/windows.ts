import type { WindowSpec } from '../scenario/types.js';

/**
 * Start times of the windows holding event time t, oldest first. Tumbling: one; sliding: size/slide.
 * Windows are aligned to the epoch, as Flink and Spark align them.
 */
export function assignWindows(t: number, w: WindowSpec): number[] {
  const last = Math.floor(t / w.slide) * w.slide;
  if (w.kind === 'tumbling') return [last];
  const out: number[] = [];
  for (let start = last - w.size + w.slide; start <= last; start += w.slide) out.push(start);
  return out;
}
