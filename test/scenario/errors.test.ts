import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/scenario/load.js';
import { tempDir } from '../helpers.js';

const BASE = ['name: t', 'key: k', 'event_time: ts', 'id: [k]', 'fields: {k: string, ts: timestamp, v: float}', 'window: {tumbling: 1m}', 'watermark: 1m', 'aggregations: {n: count()}'];

/** The message loading a scenario of these lines fails with. */
function errorOf(lines: string[]): string {
  const file = join(tempDir(), 's.yaml');
  writeFileSync(file, `${lines.join('\n')}\n`);
  try {
    loadScenario(file);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('the scenario loaded');
}
const replace = (key: string, line: string | null) => BASE.flatMap((l) => (l.startsWith(`${key}:`) ? (line === null ? [] : [line]) : [l]));

describe('scenario errors name the real problem', () => {
  it('the base scenario loads', () => {
    const file = join(tempDir(), 's.yaml');
    writeFileSync(file, `${BASE.join('\n')}\n`);
    expect(loadScenario(file).name).toBe('t');
  });

  it('an unknown key gets the nearest known one, at any depth', () => {
    expect(errorOf(replace('window', 'windw: {tumbling: 1m}'))).toMatch(/windw: not a scenario key; did you mean window\?/);
    expect(errorOf([...BASE, 'soruce: {header: yes}'])).toMatch(/soruce: not a scenario key; did you mean source\?/);
    expect(errorOf([...BASE, 'source: {hedaer: yes}'])).toMatch(/source\.hedaer: not a scenario key; did you mean header\?/);
    // Nothing near: the known keys are listed instead of a guess.
    expect(errorOf([...BASE, 'source: {zzzzzzzz: 1}'])).toMatch(/source\.zzzzzzzz: not a scenario key \(known: delimiter, quote, header, encoding/);
  });

  it('a window of an unknown kind lists the kinds; a misspelt one is named', () => {
    expect(errorOf(replace('window', 'window: {tumblin: 1m}'))).toMatch(/window: tumblin; did you mean tumbling\?; expected \{tumbling: DURATION\} or \{sliding: DURATION, every: DURATION\}/);
    expect(errorOf(replace('window', 'window: {session: 5m}'))).toMatch(/expected \{tumbling: DURATION\} or \{sliding: DURATION, every: DURATION\}/);
  });

  it('a missing key says what it is for, not "expected array, received undefined"', () => {
    const id = errorOf(replace('id', null));
    expect(id).toMatch(/id: required: the list of fields that identify a record/);
    expect(id).not.toMatch(/received undefined|Invalid input/);
    expect(errorOf(replace('watermark', null))).toMatch(/watermark: required: how far the watermark trails/);
    expect(errorOf(replace('id', 'id: k'))).toMatch(/id: expected a list, found "k"/);
  });
});
