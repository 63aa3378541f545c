import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ended, sat, start, stopChildren, tempDir, until } from '../helpers.js';
import { haveBroker, ownBroker } from './broker.js';

/**
 * The broker is stopped and started under a replay and a run. Other test files share the broker on
 * 9092 and run in parallel, so this file starts its own, on other ports and its own data folder,
 * with the same script (scripts/kafka.sh; the jars are those .ci/run fetched).
 */
const PORT = Number(process.env.SAT_TEST_RESTART_PORT ?? 19092);
const { broker: BROKER, runDir: RUN_DIR, kafkaSh } = await ownBroker(PORT);


const FAULTS = ['--malformed', '0.02', '--late', '0.05', '--duplicates', '0.03', '--out-of-order', '0.05', '--seed', '5'];

afterEach(stopChildren);

describe.skipIf(!haveBroker)('broker restarts under load: nothing lost, nothing duplicated', () => {
  beforeAll(async () => {
    expect(await kafkaSh('up')).toMatch(/up on/);
  }, 180_000);
  afterAll(async () => {
    await kafkaSh('down').catch(() => undefined);
    rmSync(RUN_DIR, { recursive: true, force: true });
  }, 120_000);

  /**
   * Replay streams at 1,000/s while an exactly-once member consumes; after `after` ms the broker is
   * taken down (`kill`: SIGKILL, a crash; `down`: a clean stop) and started again on its data.
   */
  async function underRestart(how: 'kill' | 'down', topic: string, progress = false) {
    const dir = tempDir('sat-restart-');
    expect(sat('gen', '--kind', 'reviews', '--rows', '24000', '--out', join(dir, 'reviews.tsv'), '--seed', '8').code).toBe(0);
    // With progress on (stderr is a pipe here: plain lines), the outage must be said, not a frozen line.
    const replay = start(['replay', join(dir, 'reviews.tsv'), '--scenario', 'reviews', ...FAULTS, '--brokers', BROKER, '--topic', topic, '--partitions', '3', '--rate', '1000', '--dir', dir, ...(progress ? [] : ['--no-progress', '--json'])]);
    // Conditions, not guesses of time (a busy machine starts processes slowly): the replay has sent
    // its first ledger flush (4,096 records), and the member owns its partitions.
    await until(() => (statSync(join(dir, 'ledger.csv'), { throwIfNoEntry: false })?.size ?? 0) > 1000, replay.done);
    const run = start(['run', '--scenario', 'reviews', '--dir', dir, '--brokers', BROKER, '--topic', topic, '--exactly-once', '--commit-interval', '300', '--json'], 'run', { SAT_DEBUG: '1' });
    await until(() => /assigned partitions/.test(run.stderr()), run.done);
    expect(await kafkaSh(how)).toMatch(how === 'kill' ? /killed/ : /stopped/);
    if (progress) await until(() => /replay: \d+\/24\d+ sent, waiting for the broker: no acknowledgement for \d+ s/.test(replay.stderr()), replay.done);
    else await sleep(1000);
    expect(await kafkaSh('start')).toMatch(/up on/);
    const [r, m] = await ended({ replay, run }, 200_000);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(m.code, m.stderr.slice(-2000)).toBe(0);
    const sent = JSON.parse(readFileSync(join(dir, 'replay.json'), 'utf8'));
    // The outage shows in the replay's figures: it fell behind schedule and its latency says so.
    expect(sent.behindScheduleMs).toBeGreaterThan(1000);
    expect(sent.latency.max).toBeGreaterThan(1000);
    const v = sat('verify', '--dir', dir, '--json');
    expect(v.code, `${v.stderr} ${JSON.stringify(v.json?.checks?.filter((c: { pass: boolean }) => !c.pass))}`).toBe(0);
    const c = v.json.counts;
    expect(c.records_sent).toBe(sent.sent);
    expect(c.records_lost).toBe(0);
    expect(c.records_double_counted).toBe(0);
    expect(c.results_repeated).toBe(0);
    expect(c.dead_lettered).toBe(c.dead_letters_expected);
    expect(c.late_output).toBe(c.late_expected);
    return { replay: sent, run: m };
  }

  it('SIGKILL of the broker mid-replay and mid-run: the producer retries, the member rejoins, verify passes', async () => {
    const { run } = await underRestart('kill', `restart-kill-${process.pid}`);
    // The member felt the broker's death: it restored a task from its checkpoint, replaced its
    // consumer, or rejoined the group (a second assignment; with everything committed before the
    // rebalance, it keeps its tasks and has nothing to restore).
    const rejoined = (run.stderr.match(/rebalance: assigned partitions/g) ?? []).length > 1;
    expect(rejoined || /restored at offset|replacing it, rejoining/.test(run.stderr), run.stderr).toBe(true);
  }, 240_000);

  it('a clean broker restart mid-replay and mid-run: the same, and the replay\'s progress says it waits for the broker', async () => {
    await underRestart('down', `restart-clean-${process.pid}`, true);
  }, 240_000);
});
