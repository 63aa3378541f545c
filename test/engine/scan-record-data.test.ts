import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRecordScanner } from '../../src/engine/scan-record.js';
import { createValidator, fieldsRead, Rejected } from '../../src/engine/validate.js';
import { loadScenario } from '../../src/scenario/load.js';
import { LogReader } from '../../src/transport/log/reader.js';
import { haveShared, ROOT, sat, shared, tempDir } from '../helpers.js';
import { expectSame } from './validator-paths.js';

// The validator's two paths on real records as replay sends them, malformed ones included: the
// same answer for every record, and the byte scanner taking nearly every valid one (a scanner that
// quietly sent everything to JSON.parse would pass the equality alone).

function replayed(file: string, scenario: string): Uint8Array[] {
  const dir = tempDir();
  const r = sat('replay', file, '--scenario', scenario, '--rate', '0', '--malformed', '0.05', '--duplicates', '0.02', '--seed', '7', '--dir', dir);
  expect(r.code, r.stderr).toBe(0);
  const reader = new LogReader(join(dir, 'log'));
  const values: Uint8Array[] = [];
  for (let rec = reader.next(); rec !== undefined; rec = reader.next()) values.push(Uint8Array.from(rec.value));
  reader.close();
  return values;
}

function check(file: string, scenario: string): void {
  const s = loadScenario(scenario);
  const fast = createValidator(s);
  const full = createValidator(s, { fastPath: false });
  const read = fieldsRead(s);
  const scan = createRecordScanner(s.fields, read);
  const values = replayed(file, scenario);
  let valid = 0;
  let scanned = 0;
  let rejected = 0;
  for (const v of values) {
    const want = full(v);
    if (want instanceof Rejected) rejected++;
    else {
      valid++;
      if (scan(v) !== undefined) scanned++;
    }
    expectSame(fast(v), want, read);
  }
  expect(valid).toBeGreaterThan(100);
  expect(rejected).toBeGreaterThan(0);
  expect(scanned / valid).toBeGreaterThan(0.95);
}

describe('the byte scanner on replayed records', () => {
  it('the bundled reviews sample: every record the same both ways, nearly all valid ones scanned', () => check(join(ROOT, 'datasets', 'reviews-sample.tsv'), 'reviews'));
  it('the bundled IoT sample: the same', () => check(join(ROOT, 'datasets', 'iot-sample.csv'), 'iot'));
});

describe.skipIf(!haveShared)('the byte scanner on the real shared files', () => {
  it('Amazon reviews TSV (non-ASCII text, raw quotes)', () => check(shared('reviews/giftcard+digital_software_10834_noheader__James-Leste.tsv'), 'reviews'));
  it('Amazon reviews Parquet', () => check(shared('reviews/digital_video_games_kafka_dump_5000__1904labs.parquet'), 'reviews'));
  it('tortoise IoT CSV', () => check(shared('iot/tortoise_2018-05-12__salmialb.csv'), 'iot'));
  it('NYC taxi CSV (an int key, a second timestamp, an event-time zone)', () => check(shared('taxi/yellow_tripdata_2019-06_sample_1000__yennanliu.csv'), 'taxi'));
});
