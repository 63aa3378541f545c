import { z } from 'zod';
import { ENCODINGS } from '../sources/lines.js';
import { INJECTED_FAULTS } from '../replay/faults/kinds.js';

/**
 * The scenario file's shape, each key with what it is for. The loader validates with it, and the
 * scenario reference (docs/scenario-reference.md, `sat scenario reference`) is written from it, so
 * the two cannot drift; the rules behind the texts (conditions, times, windows) are in the README.
 */
const duration = z.union([z.string(), z.number()]).describe('a duration: 500ms, 30s, 5m, 1h30m, 2d (a bare number is milliseconds)');
const probability = z.number().min(0).max(1);

export const RawScenario = z.strictObject({
  name: z.string().min(1).describe('the scenario\'s name, used in reports and result file names'),
  description: z.string().default('').describe('one line for reports'),
  key: z.string().min(1).describe('the field results are grouped by (a string or int field), e.g. product_id'),
  event_time: z
    .union([
      z.string().min(1),
      z.strictObject({
        field: z.string().min(1).describe('the field holding the event time (a timestamp or date field)'),
        format: z.string().min(1).default('iso').describe('iso, epoch_s, epoch_ms, epoch_us, or a strptime pattern such as "%m/%d/%Y %I:%M:%S %p" (README, "Event time")'),
        zone: z.string().min(1).default('UTC').describe('the IANA time zone of times without an offset, e.g. America/New_York'),
      }),
    ])
    .describe('the event-time field\'s name (ISO-8601, UTC), or {field, format, zone}'),
  id: z.array(z.string().min(1)).min(1).describe('the fields that identify a record, for deduplication (list them all if a whole row is the identity)'),
  fields: z.record(z.string(), z.string()).describe('every field in column order, with its type: string, int, float, timestamp or date; a ? suffix allows empty values (int? float? ...)'),
  source: z
    .strictObject({
      delimiter: z.string().optional().describe('CSV/TSV field delimiter (default: , for .csv, a tab for .tsv)'),
      quote: z.boolean().default(true).describe('false: a quote character is plain data (the Amazon reviews TSV)'),
      header: z.enum(['auto', 'yes', 'no']).default('auto').describe('whether the file has a header line (auto: when its first line names the key, event time or id)'),
      encoding: z.enum(ENCODINGS).default('utf8').describe('how CSV/TSV/JSONL bytes become text'),
      parquet_value_column: z.string().optional().describe('a Parquet column holding one delimited line per row (a Kafka topic dump), split into the fields'),
      generated: z.string().optional().describe('with no FILE, replay reads <dir>/<generated>.{parquet,csv,jsonl} (what sat gen wrote)'),
    })
    .default({ quote: true, header: 'auto', encoding: 'utf8' })
    .describe('how the file is read'),
  window: z
    .union([
      z.strictObject({
        tumbling: duration.describe('the window size'),
        emit: z.enum(['all', 'active']).default('all').describe('all: a result per key with a record in the window; active: only keys with a record in its last slide'),
      }),
      z.strictObject({
        sliding: duration.describe('the window size, a multiple of every'),
        every: duration.describe('the slide'),
        emit: z.enum(['all', 'active']).default('all').describe('all: a result per key with a record in the window; active: only keys with a record in its last slide'),
      }),
    ])
    .describe('{tumbling: SIZE} or {sliding: SIZE, every: SLIDE}; windows are half-open and aligned to the UTC epoch'),
  watermark: duration.describe('how far the watermark trails the largest valid event time (0s: not at all)'),
  allowed_lateness: duration.default('0s').describe('how long after its end a window still takes records'),
  filter: z.array(z.string()).default([]).describe('conditions a record must meet to be aggregated, all of them (README, "Filters and alerts")'),
  aggregations: z.record(z.string(), z.string()).describe('result columns: name: count() | sum(f) | avg(f) | min(f) | max(f) | stddev(f) | variance(f) | count_distinct(f) | first(f) | last(f); one count() is required'),
  alerts: z.record(z.string(), z.array(z.string())).default({}).describe('name: [conditions]; a kept record meeting all of them raises the alert'),
  faults: z
    .strictObject({
      ...Object.fromEntries(INJECTED_FAULTS.map((f) => [f.scenarioKey, probability.default(0).describe(`${f.help} (replay ${f.flag})`)])),
      late_by: z.string().default('1m..10m').describe('how far past its window\'s close a late record arrives, a range (replay --late-by)'),
    })
    .default({ ...Object.fromEntries(INJECTED_FAULTS.map((f) => [f.scenarioKey, 0])), late_by: '1m..10m' })
    .describe('the fault mix replay injects when no flag says otherwise: each a share of records, 0..1'),
  join: z
    .strictObject({
      batch: z
        .strictObject({
          files: z.string().min(1).describe('the snapshot files\' prefix: <dir>/<files>-YYYY-MM-DD.parquet, or a partitioned <dir>/<files>/date=D/'),
          key: z.string().min(1).describe('the snapshot column that holds the key'),
        })
        .optional()
        .describe('the daily batch snapshot: each result joins the newest complete day (README, "Batch snapshot")'),
      online: z
        .strictObject({
          batch_size: z.number().int().min(1).max(100_000).default(1000).describe('customer ids per request'),
          concurrency: z.number().int().min(1).max(256).default(8).describe('requests in flight at once'),
          timeout: duration.default('2s').describe('per request'),
          retries: z.number().int().min(0).max(20).default(2).describe('further attempts after a failed request'),
        })
        .optional()
        .describe('the online-features HTTP API (sat run --online URL)'),
    })
    .default({})
    .describe('the inputs a score joins'),
  score: z
    .strictObject({
      formula: z.string().min(1).describe('arithmetic over aggregations, batch.<column> and online.<feature>'),
      range: z.tuple([z.number(), z.number()]).default([0, 100]).describe('the score is clamped to [min, max]'),
    })
    .optional()
    .describe('a score per result (the satisfaction scenario)'),
  actions: z.record(z.string(), z.string()).default({}).describe('name: score < N; a result gets the first action whose threshold its score is under'),
  reports: z
    .strictObject({
      corrupted: z
        .strictObject({
          field: z.string().describe('the marker field'),
          values: z.array(z.string()).default([]).describe('values that mark a row corrupted'),
          missing: z.boolean().default(true).describe('an empty or missing marker marks it too'),
        })
        .describe('corrupted rows: split off before windowing, counted apart'),
      countries: z.strictObject({ file: z.string(), key: z.string(), name: z.string(), field: z.string() }).optional().describe('a CSV lookup table beside the data: its key column, the name joined in, and the field it matches'),
      pivot: z.strictObject({ field: z.string() }).describe('daily counts per key of each value of this field'),
      top_users: z.strictObject({ field: z.string(), n: z.number().int().min(1).max(1000).default(3) }).describe('the n most active values of this field per key'),
    })
    .optional()
    .describe('batch reports over the whole stream (the messages scenario)'),
  batch: z
    .strictObject({
      rollups: z
        .record(
          z.string().regex(/^[A-Za-z_][\w-]*$/),
          z.strictObject({
            every: z.enum(['day', 'month', 'year', 'all']).describe('the calendar unit of the window starts (UTC) rolled up together, or all time'),
            aggregations: z.array(z.string()).default([]).describe("the scenario's aggregations to roll up, each merged by its kind: counts and sums add, an average is weighted by the count, min of mins, variance by Chan's formula"),
            segment: z.string().optional().describe("a score rollup instead (scenarios with a score): the distribution of the scores per value of this column of the batch snapshot (join.batch), by the unit of the minute scored"),
            top: z.strictObject({ n: z.number().int().min(1).max(1000), by: z.string() }).optional().describe('keep the n keys with the largest value of this rolled-up aggregation per unit'),
            alerts: z.boolean().default(false).describe('also count the alerts raised per key and unit (from the alerts output), in a column alerts'),
          }),
        )
        .describe('name: {every, aggregations, top} or {every, segment}; sat batch writes each as a table, verify reconciles it with the raw data'),
    })
    .optional()
    .describe('the batch layer: rollups of the stream\'s results (README, "The batch layer")'),
  results: z
    .strictObject({ columns: z.record(z.string(), z.string().regex(/^[\w.-]+$/)).describe("sat's name: the external engine's column") })
    .optional()
    .describe('how an external engine names result columns (verify --map overrides)'),
});
