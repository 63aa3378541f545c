import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { haveShared, ROOT, sat, shared, tempDir } from '../helpers.js';

/** infer --out, then the whole loop with the written scenario as it stands: it must load, run and verify. */
function inferAndLoop(file: string, extra: string[] = []) {
  const inputs = tempDir('sat-infer-in-');
  const scenario = join(inputs, 'inferred.yaml');
  const inferred = sat('scenario', 'infer', file, '--out', scenario, ...extra);
  expect(inferred.code, inferred.stderr).toBe(0);
  const dir = tempDir('sat-infer-');
  const replay = sat('replay', file, '--scenario', scenario, '--rate', '0', '--malformed', '0.02', '--late', '0.05', '--duplicates', '0.03', '--out-of-order', '0.05', '--seed', '3', '--dir', dir, '--json');
  expect(replay.code, replay.stderr).toBe(0);
  const run = sat('run', '--dir', dir, '--json');
  expect(run.code, run.stderr).toBe(0);
  const verify = sat('verify', '--dir', dir, '--json');
  expect(verify.code, verify.stderr + JSON.stringify(verify.json?.checks?.filter((c: { pass: boolean }) => !c.pass))).toBe(0);
  expect(verify.json.evidence.records_counted).toBeGreaterThan(0);
  return { doc: parse(readFileSync(scenario, 'utf8')) as Record<string, unknown>, yaml: readFileSync(scenario, 'utf8'), verify: verify.json };
}

describe('sat scenario infer', () => {
  it('the bundled IoT and reviews samples: the guess loads, runs and verifies, with the columns a person would pick', () => {
    const iot = inferAndLoop(join(ROOT, 'datasets', 'iot-sample.csv'));
    expect(iot.doc).toMatchObject({ key: 'dev-id', event_time: 'readable_time', id: ['time'] });
    expect(iot.doc.fields).toMatchObject({ time: 'int', readable_time: 'timestamp', temperature: 'float', 'dev-id': 'string' });
    const reviews = inferAndLoop(join(ROOT, 'datasets', 'reviews-sample.tsv'));
    expect(reviews.doc).toMatchObject({ key: 'product_id', event_time: 'review_date', id: ['review_id'] });
    expect((reviews.doc.fields as Record<string, string>).review_date).toBe('date');
    // Its titles hold raw quotes (`"quoted" as love`): quoting is off, or DuckDB could not read it.
    expect(reviews.doc.source).toMatchObject({ quote: false });
  });

  it('a scenario that quotes a file whose quotes are data: verify says so in one line, exit 2', () => {
    const inputs = tempDir('sat-infer-in-');
    const scenario = join(inputs, 'quoted.yaml');
    expect(sat('scenario', 'infer', join(ROOT, 'datasets', 'reviews-sample.tsv'), '--out', scenario).code).toBe(0);
    writeFileSync(scenario, readFileSync(scenario, 'utf8').replace('quote: false', 'quote: true'));
    const dir = tempDir('sat-infer-');
    expect(sat('replay', join(ROOT, 'datasets', 'reviews-sample.tsv'), '--scenario', scenario, '--dir', dir).code).toBe(0);
    expect(sat('run', '--dir', dir).code).toBe(0);
    const v = sat('verify', '--dir', dir);
    expect(v.code).toBe(2);
    expect(v.stderr.trim()).toMatch(/^sat: the oracle cannot read line 46 of .*reviews-sample.tsv with quoting on \(DuckDB: Value with unterminated quote found.\): if quote characters are data in this file, set source.quote: false/);
    expect(v.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a CSV with US local times: the pattern and the zone are filled in, and the loop verifies', () => {
    const dir = tempDir('sat-infer-us-');
    const file = join(dir, 'trips.csv');
    const rows = ['trip_id,station,started,fare'];
    for (let i = 0; i < 400; i++) {
      const h = 1 + Math.floor(i / 40), m = (i * 7) % 60;
      rows.push(`t${i},s${i % 5},07/0${1 + (i % 3)}/2024 ${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:00 ${i % 2 ? 'PM' : 'AM'},${(3 + (i % 9)).toFixed(2)}`);
    }
    writeFileSync(file, `${rows.join('\n')}\n`);
    const r = inferAndLoop(file, ['--zone', 'America/Chicago']);
    expect(r.doc).toMatchObject({ key: 'station', id: ['trip_id'], event_time: { field: 'started', format: '%m/%d/%Y %I:%M:%S %p', zone: 'America/Chicago' } });
  });

  it('JSONL with epoch seconds; a bad zone is one line, exit 2', () => {
    const dir = tempDir('sat-infer-jsonl-');
    const file = join(dir, 'events.jsonl');
    writeFileSync(file, Array.from({ length: 300 }, (_, i) => JSON.stringify({ event_id: `e${i}`, device: `d${i % 4}`, ts: 1717200000 + i * 13, value: i / 4 })).join('\n') + '\n');
    const out = sat('scenario', 'infer', file, '--json');
    expect(out.code, out.stderr).toBe(0);
    expect(out.json).toMatchObject({ key: 'device', eventTime: 'ts', id: ['event_id'] });
    expect(parse(out.json.yaml)).toMatchObject({ event_time: { field: 'ts', format: 'epoch_s' }, fields: { ts: 'timestamp' } });
    const bad = sat('scenario', 'infer', file, '--zone', 'Nowhere/City');
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toMatch(/^sat: --zone: "Nowhere\/City" is not an IANA time zone/);
  });
});

describe.skipIf(!haveShared)('sat scenario infer on the shared files', () => {
  it('NYC taxi with --zone: New York time on the pickup column, and the loop verifies', () => {
    const r = inferAndLoop(shared('taxi/yellow_tripdata_2019-06_sample_1000__yennanliu.csv'), ['--zone', 'America/New_York']);
    expect(r.doc.event_time).toEqual({ field: 'tpep_pickup_datetime', format: 'iso', zone: 'America/New_York' });
    expect((r.doc.fields as Record<string, string>).PULocationID).toBe('int');
  });

  it('the zoo IoT CSV verifies; the headerless reviews TSV and the Kafka-dump Parquet say what to edit', () => {
    inferAndLoop(shared('iot/tortoise_2018-05-12__salmialb.csv'));
    const headerless = sat('scenario', 'infer', shared('reviews/giftcard+digital_software_10834_noheader__James-Leste.tsv'), '--json');
    expect(headerless.json.notes.join('\n')).toMatch(/no header: its columns are named col_1..col_15/);
    expect(parse(headerless.json.yaml).source).toMatchObject({ header: 'no' });
    const dump = sat('scenario', 'infer', shared('reviews/digital_video_games_kafka_dump_5000__1904labs.parquet'), '--json');
    expect(dump.json.notes.join('\n')).toMatch(/Kafka topic dump.*parquet_value_column/);
  });
});
