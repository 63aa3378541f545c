import cliProgress from 'cli-progress';

/**
 * A progress bar with rate and ETA on stderr. Off a terminal (CI logs) it prints a plain line every
 * 5 s instead of redrawing; with --json it stays silent.
 */
export function progressBar(label: string, total: number, quiet?: boolean): { update: (n: number) => void; stop: () => void } {
  if (quiet) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total} | {speed}/s | ETA {eta_formatted}`,
      stream: process.stderr,
      noTTYOutput: true,
      notTTYSchedule: 5000,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const start = performance.now();
  bar.start(total, 0, { speed: 0 });
  return {
    update: (n) => bar.update(n, { speed: Math.round(n / Math.max((performance.now() - start) / 1000, 1e-3)) }),
    stop: () => bar.stop(),
  };
}
