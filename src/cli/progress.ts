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
 * Sends whose acknowledgement is still awaited, oldest first: replay marks each batch, and the
 * progress line reads how long the oldest has waited (a broker outage freezes acknowledgements,
 * not the display).
 */
export class AckWatch {
  readonly #pending = new Map<number, number>();
  #next = 0;
  /** Marks a batch sent now; returns the token to pass to acked(). */
  sending(now: number): number {
    this.#pending.set(this.#next, now);
    return this.#next++;
  }
  acked(token: number): void {
    this.#pending.delete(token);
  }
  /** How long the oldest unacknowledged batch has waited, or 0. */
  waitingMs(now: number): number {
    for (const t of this.#pending.values()) return now - t; // Map keeps insertion order: the first is the oldest
    return 0;
  }
}

/**
 * Time left, from the rate that holds: the schedule's own rate when paced (remaining / target, plus
 * how far behind it is); else a finish time from the rate between the points where the count moved
 * over the last 10 s, counted down between them. So while the rate holds the estimate only falls,
 * bursts or not (cli-progress's own ETA, from its last 50 redraws, jumped with bursty updates).
 */
export class Eta {
  readonly #moves: [number, number][] = [];
  #finish: number | undefined;
  update(now: number, sent: number, total: number, targetRate: number, lagMs: number): number | undefined {
    const remaining = Math.max(0, total - sent);
    if (targetRate > 0) return remaining / targetRate + lagMs / 1000;
    const lastMove = this.#moves[this.#moves.length - 1];
    if (lastMove === undefined || sent > lastMove[1]) {
      this.#moves.push([now, sent]);
      while (this.#moves.length > 2 && now - this.#moves[1][0] >= 10_000) this.#moves.shift();
      const [t0, n0] = this.#moves[0];
      if (now > t0 && sent > n0) this.#finish = now + (remaining * (now - t0)) / (sent - n0);
    }
    return this.#finish === undefined ? undefined : Math.max(0, this.#finish - now) / 1000;
  }
}

const clockText = (s: number | undefined) => {
  if (s === undefined || !Number.isFinite(s)) return '-';
  const t = Math.round(s);
  return t >= 3600 ? `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}m` : t >= 60 ? `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s` : `${t}s`;
};

/**
 * Replay's progress: records sent, the last second's rate against the target, how far behind
 * schedule the sender is, elapsed time and ETA. When an acknowledgement has been awaited for 3 s it
 * says so ("waiting for the broker") every second instead of standing still. Off a terminal, a plain
 * line every 5 s.
 */
export function replayProgress(total: number, quiet: boolean | undefined, o: { waitingFor: string; watch?: AckWatch }): { update: (p: { sent: number; currentRate: number; targetRate: number; lagMs: number }) => void; stop: () => void } {
  if (quiet || total === 0) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      format: 'replay [{bar}] {percentage}% | {value}/{total} sent | {status} | {duration_formatted} elapsed, ETA {eta}',
      stream: process.stderr,
      noTTYOutput: true,
      notTTYSchedule: 5000,
    },
    cliProgress.Presets.shades_classic,
  );
  const eta = new Eta();
  let last = { sent: 0, currentRate: 0, targetRate: 0, lagMs: 0 };
  let etaText = '-';
  const status = () => `${Math.round(last.currentRate)}/s (target ${last.targetRate > 0 ? Math.round(last.targetRate) : 'max'}) | behind ${Math.round(last.lagMs)} ms`;
  bar.start(total, 0, { status: status(), eta: etaText });
  // Off a terminal the bar prints every 5 s; a wait is said at once (at 3 s) and then every 5 s.
  let saidAt = -Infinity;
  const ticker = setInterval(() => {
    const waited = o.watch?.waitingMs(performance.now()) ?? 0;
    if (waited < 3000) return;
    const text = `waiting for ${o.waitingFor}: no acknowledgement for ${Math.floor(waited / 1000)} s`;
    if (process.stderr.isTTY) bar.update(last.sent, { status: text, eta: '-' });
    else if (performance.now() - saidAt >= 5000) {
      saidAt = performance.now();
      process.stderr.write(`replay: ${last.sent}/${total} sent, ${text}\n`);
    }
  }, 1000);
  ticker.unref();
  return {
    update: (p) => {
      last = p;
      etaText = clockText(eta.update(performance.now(), p.sent, total, p.targetRate, p.lagMs));
      bar.update(p.sent, { status: status(), eta: etaText });
    },
    stop: () => {
      clearInterval(ticker);
      bar.stop();
    },
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
