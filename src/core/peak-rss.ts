import { readFileSync } from 'node:fs';

/**
 * The largest resident set of this process so far, in MB: on Linux the high-water mark of its own
 * memory (VmHWM). getrusage's maxRSS is not that: a process started by fork and exec keeps its
 * parent's resident set at the fork as its own peak (a bench holding 2 GB made every `sat run` it
 * started report 2 GB, against 1.25 GB measured from a shell). Elsewhere, maxRSS.
 */
export function peakRssMb(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m !== null) return Math.round(Number(m[1]) / 1024);
  } catch {
    // not Linux: no /proc
  }
  return Math.round(process.resourceUsage().maxRSS / 1024);
}
