import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sat, tempDir } from '../helpers.js';

const FAULTS = ['--malformed', '0.02', '--late', '0.03', '--duplicates', '0.03', '--out-of-order', '0.03', '--seed', '5'];
const lines = (f: string) => readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const write = (f: string, rows: unknown[]) => writeFileSync(f, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');

describe('the messages scenario: corrupted rows, dedup keeping the earliest, daily pivot, top users, reconciliation', () => {
  // Found by scripts/correct-runs.mjs: boundary probes moved two of a user's events to the same
  // millisecond, and the engine and the oracle broke the tie differently (the oracle's "et * 1e6 +
  // seq" had lost seq to double rounding). The rule: the earliest event, on a tie the first sent.
  it('a top user whose earliest events tie on time takes the country of the first sent', () => {
    const dir = tempDir('sat-msg-tie-');
    expect(sat('gen', '--scenario', 'messages', '--dir', dir, '--events', '6571', '--days', '1', '--customers', '251', '--seed', '269489319').code).toBe(0);
    expect(sat('replay', '--scenario', 'messages', '--malformed', '0.05', '--late', '0.029', '--duplicates', '0.052', '--out-of-order', '0.095', '--boundary', '0.039', '--seed', '269489319', '--partitions', '5', '--dir', dir).code).toBe(0);
    expect(sat('run', '--dir', dir).code).toBe(0);
    const v = sat('verify', '--dir', dir, '--json');
    expect(v.code, JSON.stringify(v.json?.failed)).toBe(0);
  });

  for (const format of ['csv', 'parquet']) {
    it(`sat gen --scenario messages (${format}) -> replay -> run -> verify passes, with every fault kind`, () => {
      const dir = tempDir('sat-msg-');
      expect(sat('gen', '--scenario', 'messages', '--dir', dir, '--events', '6000', '--days', '2', '--customers', '300', '--format', format).code).toBe(0);
      expect(sat('replay', '--scenario', 'messages', '--dir', dir, ...FAULTS).code).toBe(0);
      const run = sat('run', '--dir', dir, '--json');
      expect(run.code, run.stderr).toBe(0);
      const rec = run.json.reconciliation;
      expect(rec.valid + rec.corrupted + rec.malformed).toBe(rec.input);
      expect(rec.corrupted).toBeGreaterThan(0);
      expect(rec.distinct).toBeLessThan(rec.valid); // natural and injected duplicates removed
      const v = sat('verify', '--dir', dir, '--json');
      expect(v.code, JSON.stringify(v.json?.failed)).toBe(0);
      for (const name of ['daily pivot matches', 'top users match', 'input = valid + corrupted + malformed', 'every corrupted row split off, no valid one']) {
        const c = v.json.checks.find((x: { name: string }) => x.name === name);
        expect(c?.pass && !c.skipped, name).toBe(true);
      }
      expect(v.json.counts.pivot_cells).toBeGreaterThan(20);
      const top = lines(join(dir, 'top-users.jsonl'));
      expect(top.filter((t) => t.rank === 1)).toHaveLength(4); // one per channel
      expect(top.some((t) => t.country_name === null || typeof t.country_name === 'string')).toBe(true);
    });
  }

  it('verify catches a wrong pivot cell, a wrong top user and an unbalanced reconciliation', () => {
    const dir = tempDir('sat-msg-');
    expect(sat('gen', '--scenario', 'messages', '--dir', dir, '--events', '4000', '--days', '1', '--customers', '200').code).toBe(0);
    expect(sat('replay', '--scenario', 'messages', '--dir', dir, ...FAULTS).code).toBe(0);
    expect(sat('run', '--dir', dir).code).toBe(0);
    const pivot = lines(join(dir, 'pivot.jsonl'));
    pivot[0].sent += 1;
    write(join(dir, 'pivot.jsonl'), pivot);
    const top = lines(join(dir, 'top-users.jsonl'));
    [top[0].user_id, top[1].user_id] = [top[1].user_id, top[0].user_id];
    write(join(dir, 'top-users.jsonl'), top);
    const runJson = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
    runJson.reconciliation.corrupted -= 1;
    writeFileSync(join(dir, 'run.json'), JSON.stringify(runJson));
    const v = sat('verify', '--dir', dir, '--json');
    expect(v.code).toBe(1);
    expect(v.json.failed).toEqual(expect.arrayContaining(['daily pivot matches', 'top users match', 'input = valid + corrupted + malformed']));
  });
});
