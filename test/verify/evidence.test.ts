import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, sat, tempDir } from '../helpers.js';

/** A pass must rest on evidence: a run that tested nothing fails unless accepted knowingly. */
describe('evidence and vacuous runs', () => {
  const iotHeader = readFileSync(join(ROOT, 'datasets', 'iot-sample.csv'), 'utf8').split('\n')[0];

  function loop(file: string, ...verifyFlags: string[]) {
    const dir = tempDir('sat-evidence-');
    expect(sat('replay', file, '--scenario', 'iot', '--late', '0.05', '--duplicates', '0.03', '--seed', '2', '--dir', dir).code).toBe(0);
    expect(sat('run', '--dir', dir).code).toBe(0);
    return { dir, v: sat('verify', '--dir', dir, '--json', ...verifyFlags) };
  }

  it('a header-only input fails "the run tested something"; --allow-vacuous accepts it', () => {
    const file = join(tempDir(), 'header-only.csv');
    writeFileSync(file, `${iotHeader}\n`);
    const { dir, v } = loop(file);
    expect(v.code).toBe(1);
    expect(v.json.failed).toEqual(['the run tested something']);
    expect(v.json.checks.at(-1).detail).toMatch(/sent no records/);
    expect(sat('verify', '--dir', dir, '--allow-vacuous').code).toBe(0);
  });

  it('a day whose humidity never enters the filter range: 0 records counted fails, naming why', () => {
    const rows = readFileSync(join(ROOT, 'datasets', 'iot-sample.csv'), 'utf8').trim().split('\n');
    const col = rows[0].split(',').indexOf('humidity');
    const dry = rows.slice(1).map((l) => l.split(',').map((c, i) => (i === col ? '12.5' : c)).join(','));
    const file = join(tempDir(), 'dry.csv');
    writeFileSync(file, `${rows[0]}\n${dry.join('\n')}\n`);
    const { v } = loop(file);
    expect(v.code).toBe(1);
    expect(v.json.failed).toEqual(['the run tested something']);
    expect(v.json.evidence.records_counted).toBe(0);
    expect(v.json.evidence.records_sent).toBeGreaterThan(3000);
    expect(v.json.checks.at(-1).detail).toMatch(/no record was counted/);
  });

  it('every report carries the evidence: terminal, JSON, JUnit and HTML', () => {
    const { dir, v } = loop(join(ROOT, 'datasets', 'iot-sample.csv'));
    expect(v.code, JSON.stringify(v.json?.failed)).toBe(0);
    const e = v.json.evidence;
    expect(e.records_counted).toBe(v.json.counts.counted_expected);
    expect(e.records_counted).toBeGreaterThan(0);
    expect(e.late_judged).toBe(e.late_sent - 0); // the exact model decides every late record
    expect(e.duplicates_judged).toBe(v.json.counts.duplicates_expected_suppressed);
    const junit = join(dir, 'v.xml');
    const html = join(dir, 'v.html');
    const term = sat('verify', '--dir', dir, '--junit', junit, '--html', html);
    expect(term.stderr).toMatch(new RegExp(`evidence: ${e.records_counted.toLocaleString('en-US')} records counted`));
    expect(readFileSync(junit, 'utf8')).toContain(`<property name="evidence.records_counted" value="${e.records_counted}"/>`);
    expect(readFileSync(junit, 'utf8')).toContain('name="the run tested something"');
    expect(readFileSync(html, 'utf8')).toMatch(/<table id="evidence">.*records counted<\/td><td>\d+/s);
  });
});
