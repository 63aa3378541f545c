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

  it('filters and alerts on text and sets: quoted values on string fields, bare numbers on numeric ones', () => {
    const withFilter = (f: string) => [...replace('fields', 'fields: {k: string, ts: timestamp, v: float, flag: string?}'), `filter: [${JSON.stringify(f)}]`];
    const file = join(tempDir(), 's.yaml');
    writeFileSync(file, `${withFilter("flag in ('N', 'Y')").join('\n')}\n`);
    expect(loadScenario(file).filter[0]).toMatchObject({ field: 'flag', op: 'in', set: ['N', 'Y'] });
    writeFileSync(file, `${withFilter('v not in (1, 2.5)').join('\n')}\n`);
    expect(loadScenario(file).filter[0]).toMatchObject({ field: 'v', op: 'not in', set: [1, 2.5] });
    writeFileSync(file, `${withFilter("flag = 'N'").join('\n')}\n`);
    expect(loadScenario(file).filter[0]).toMatchObject({ op: 'in', set: ['N'] });
    expect(errorOf(withFilter('flag = N'))).toMatch(/is not a condition/);
    expect(errorOf(withFilter('flag in (1, 2)'))).toMatch(/compares numbers, but "flag" is a string \(a string takes =, !=, in and not in, with quoted values: flag = '1'\)/);
    expect(errorOf(withFilter("v = 'x'"))).toMatch(/compares text, but "v" is float \(write the values unquoted\)/);
    expect(errorOf(withFilter("flag < 'N'"))).toMatch(/a text compares with = or != only/);
    expect(errorOf(withFilter("flag in ('a', 2)"))).toMatch(/all numbers or all quoted texts/);
    writeFileSync(file, `${withFilter("flag in ('a, b', 'c')").join('\n')}\n`);
    expect(loadScenario(file).filter[0]).toMatchObject({ set: ['a, b', 'c'] });
    expect(errorOf(withFilter('flag in ()'))).toMatch(/needs at least one value/);
  });

  it('a key is a string or an int field', () => {
    const file = join(tempDir(), 's.yaml');
    writeFileSync(file, `${replace('fields', 'fields: {k: int, ts: timestamp, v: float}').join('\n')}\n`);
    expect(loadScenario(file).key).toBe('k');
    expect(errorOf(replace('fields', 'fields: {k: float, ts: timestamp, v: float}'))).toMatch(/key: "k" is float; a key is a string or int field/);
  });

  it('event_time as {field, format, zone}: the format and the zone are checked', () => {
    const et = (v: string) => replace('event_time', `event_time: ${v}`);
    expect(errorOf(et('{field: ts, format: epoch_ms, zone: Europe/Paris}'))).toMatch(/an epoch number is an instant already/);
    expect(errorOf(et('{field: ts, format: "%d/%m/%y"}'))).toMatch(/"%y" is not a pattern code sat reads/);
    expect(errorOf(et('{field: ts, zone: CET+1}'))).toMatch(/not an IANA time zone/);
    expect(errorOf(et('{fild: ts}'))).toMatch(/fild/);
  });
});
