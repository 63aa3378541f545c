import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, start, stopChildren, tempDir } from '../helpers.js';

afterEach(stopChildren);

/** Waits for the "metrics on URL" line a step prints on stderr. */
async function metricsUrl(stderr: () => string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const m = /metrics on (http:\/\/\S+)/.exec(stderr());
    if (m) return m[1];
    await sleep(25);
  }
  throw new Error(`no metrics URL in: ${stderr()}`);
}

/** Value of one series in a Prometheus text exposition. */
const value = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('--metrics-port: Prometheus metrics from replay and run, scraped over HTTP', () => {
  it('replay and a following run expose rates, lag, faults, outcomes, state and latency quantiles', async () => {
    const dir = tempDir('sat-metrics-');
    // 500/s for 6 s; each scrape is polled until its condition holds (no guess of how long a start takes).
    const replay = start(['replay', join(ROOT, 'datasets', 'iot-sample.csv'), '--scenario', 'iot', '--dir', dir, '--rate', '500', '--duplicates', '0.05', '--metrics-port', '0', '--no-progress']);
    const replayUrl = await metricsUrl(replay.stderr);
    const scrapeUntil = async (url: string, ok: (text: string) => boolean, alive: () => boolean): Promise<string> => {
      for (;;) {
        const text = await (await fetch(url)).text();
        if (ok(text)) return text;
        expect(alive(), `the process ended before its metrics showed enough: ${text.slice(0, 300)}`).toBe(true);
        await sleep(50);
      }
    };
    const r = await scrapeUntil(replayUrl, (t) => (value(t, 'sat_replay_records_sent') ?? 0) > 500 && (value(t, 'sat_replay_faults_sent{fault="duplicate"}') ?? 0) > 0, () => replay.child.exitCode === null);
    const run = start(['run', '--dir', dir, '--follow', '--idle-timeout', '1500', '--metrics-port', '0']);
    const runUrl = await metricsUrl(run.stderr);
    const counted = (t: string) => (value(t, 'sat_run_records{outcome="counted"}') ?? 0) + (value(t, 'sat_run_records{outcome="filtered"}') ?? 0);
    const w = await scrapeUntil(runUrl, (t) => counted(t) > 500 && (value(t, 'sat_run_results') ?? 0) > 0, () => run.child.exitCode === null);

    expect(value(r, 'sat_replay_records_sent')).toBeGreaterThan(500);
    expect(value(r, 'sat_replay_target_rate')).toBe(500);
    expect(value(r, 'sat_replay_current_rate')).toBeGreaterThan(0);
    expect(value(r, 'sat_replay_faults_sent{fault="duplicate"}')).toBeGreaterThan(0);
    expect(value(r, 'sat_replay_latency_ms{quantile="0.99"}')).toBeGreaterThanOrEqual(0);
    expect(r).toMatch(/# TYPE sat_replay_behind_schedule_ms gauge/);

    expect(value(w, 'sat_run_records{outcome="counted"}')! + value(w, 'sat_run_records{outcome="filtered"}')!).toBeGreaterThan(500);
    expect(value(w, 'sat_run_state_entries')).toBeGreaterThanOrEqual(0); // present; 1-minute windows may all have fired
    expect(value(w, 'sat_run_results')).toBeGreaterThan(0);
    expect(value(w, 'sat_run_watermark_ms')).toBeGreaterThan(Date.UTC(2018, 0, 1));
    expect(value(w, 'sat_run_latency_ms{quantile="0.5"}')).toBeGreaterThanOrEqual(0);
    expect((await fetch(runUrl.replace('/metrics', '/other'))).status).toBe(404);

    const replayDone = await replay.done;
    expect(replayDone.code, replayDone.stderr).toBe(0);
    const runDone = await run.done;
    expect(runDone.code, runDone.stderr).toBe(0);
  });
});
