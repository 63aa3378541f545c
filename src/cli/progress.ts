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

/**
 * Replay's progress: records sent, the last second's rate against the target, how far behind
 * schedule the sender is, elapsed time and ETA. Off a terminal, a plain line every 5 s.
 */
export function replayProgress(total: number, quiet?: boolean): { update: (p: { sent: number; currentRate: number; targetRate: number; lagMs: number }) => void; stop: () => void } {
  if (quiet || total === 0) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      format: 'replay [{bar}] {percentage}% | {value}/{total} sent | {rate}/s (target {target}) | behind {lag} ms | {duration_formatted} elapsed, ETA {eta_formatted}',
      stream: process.stderr,
      noTTYOutput: true,
      notTTYSchedule: 5000,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { rate: 0, target: '-', lag: 0 });
  return {
    update: (p) => bar.update(p.sent, { rate: Math.round(p.currentRate), target: p.targetRate > 0 ? Math.round(p.targetRate) : 'max', lag: Math.round(p.lagMs) }),
    stop: () => bar.stop(),
  };
}

/**
 * Replay's first phase, before any send: rows read so far (and when the file is being sorted), so
 * a long read is never a blank screen. On a terminal the line is redrawn each second; off one, a
 * plain line every 5 s.
 */
export function readingProgress(file: string, quiet?: boolean): { update: (p: { phase: 'read' | 'sort'; rows: number }) => void; stop: () => void } {
  if (quiet) return { update: () => undefined, stop: () => undefined };
  const tty = process.stderr.isTTY;
  const start = performance.now();
  let last = 0;
  let drawn = false;
  return {
    update: (p) => {
      const now = performance.now();
      if (!tty && now - last < 5000 && p.phase === 'read') return;
      last = now;
      const s = Math.round((now - start) / 1000);
      const line = p.phase === 'sort' ? `replay: ${file}: ${p.rows.toLocaleString('en-US')} rows read, sorting by event time (the file is out of order)` : `replay: reading ${file}: ${p.rows.toLocaleString('en-US')} rows (${Math.round(p.rows / Math.max(s, 1)).toLocaleString('en-US')}/s), ${s}s elapsed`;
      process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
      drawn = true;
    },
    stop: () => {
      if (tty && drawn) process.stderr.write('\n');
      drawn = false;
    },
  };
}
