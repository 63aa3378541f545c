import type { DuckDBConnection } from '@duckdb/node-api';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Scenario, ScoreSpec } from '../scenario/types.js';
import { UsageError } from '../core/errors.js';
import { ident, lit } from './sql.js';

/**
 * The score oracle, in SQL and sharing no code with the engine's scorer: DuckDB reads the snapshot
 * files with its own readers, recomputes the online features from their definition (the FNV-1a and
 * murmur3-finalizer hash of customer and minute, written again as SQL macros), and evaluates the
 * scenario's formula text directly (the formula language is a subset of SQL).
 *
 * What cannot be recomputed is which API calls failed: a result that says its online inputs were
 * missing is scored without them, and verify reports how many said so.
 *
 * Leaves exp_score(ws, k, day, batch_missing, online_claimed_missing, score) on the connection, and
 * exp_seg(day, k, <segment columns>) for the score rollups.
 */
export async function runScoreOracle(db: DuckDBConnection, s: Scenario, snapshotsDir: string, segmentColumns: string[] = []): Promise<{ days: string[]; latest: string | null }> {
  const spec = s.score as ScoreSpec;
  const refs = formulaRefs(spec.formula);
  const size = s.window.size;

  // Snapshots: the days the results name, and the latest one for results that name none.
  const files = await snapshotFiles(db, snapshotsDir, spec.batch?.prefix ?? '');
  const latest = [...files.keys()].sort().pop() ?? null;
  const named = (await db.runAndReadAll(`SELECT DISTINCT snapshot_day FROM act WHERE snapshot_day IS NOT NULL`)).getRows().map((r) => String(r[0]));
  const days = [...new Set([...named, ...(latest ? [latest] : [])])].filter((d) => files.has(d));
  const batchCols = refs.batch.map((c) => `TRY_CAST(${ident(c)} AS DOUBLE) AS ${ident(c)}`);
  await db.run(`CREATE OR REPLACE TABLE batch (day VARCHAR, k VARCHAR${refs.batch.map((c) => `, ${ident(c)} DOUBLE`).join('')})`);
  if (spec.batch) {
    for (const day of days) {
      for (const file of files.get(day) as string[]) {
        await db.run(`INSERT INTO batch SELECT ${lit(day)}, CAST(${ident(spec.batch.key)} AS VARCHAR)${batchCols.map((c) => `, ${c}`).join('')} FROM ${readerOf(file)}`);
      }
    }
  }

  // The snapshot columns the score rollups to judge group by (the batch layer's segments), as text, the same days.
  const segments = [...new Set(segmentColumns)];
  await db.run(`CREATE OR REPLACE TABLE exp_seg (day VARCHAR, k VARCHAR${segments.map((c) => `, ${ident(c)} VARCHAR`).join('')})`);
  if (spec.batch && segments.length) {
    for (const day of days) {
      for (const file of files.get(day) as string[]) {
        const columns = (await db.runAndReadAll(`SELECT column_name FROM (DESCRIBE SELECT * FROM ${readerOf(file)})`)).getRows().map((r) => String(r[0]));
        const absent = segments.find((c) => !columns.includes(c));
        if (absent !== undefined) throw new UsageError(`snapshot ${file}: no column ${absent} (batch.rollups groups scores by it)`);
        await db.run(`INSERT INTO exp_seg SELECT ${lit(day)}, CAST(${ident(spec.batch.key)} AS VARCHAR)${segments.map((c) => `, CAST(${ident(c)} AS VARCHAR)`).join('')} FROM ${readerOf(file)}`);
      }
    }
  }

  // Online features, recomputed for every (customer, minute) a score needs.
  // Staged so each hash step is computed once per row (a nested macro would repeat its argument).
  await db.run(`CREATE OR REPLACE MACRO fnv(txt, n) AS list_reduce(list_transform(string_split(txt, ''), ch -> unicode(ch)::BIGINT), (h, ch) -> (xor(h, ch) * 16777619) % 4294967296, xor(2166136261::BIGINT, (n)::BIGINT))`);
  await db.run(`CREATE OR REPLACE MACRO mix(h, sh, m) AS ((xor(h, h >> sh))::HUGEINT * m % 4294967296)::BIGINT`);
  const hashed = (n: string) => `(SELECT k, minute, xor(h2, h2 >> 16) AS h FROM (
      SELECT k, minute, mix(h1, 13, 3266489909) AS h2 FROM (
      SELECT k, minute, mix(h0, 16, 2246822507) AS h1 FROM (
      SELECT k, minute, fnv(k, ${n}) AS h0 FROM needed))))`;
  await db.run(`CREATE OR REPLACE TABLE needed AS SELECT DISTINCT k, (ws + ${size}) // 60000 AS minute FROM expected`);
  await db.run(`CREATE OR REPLACE TABLE online AS
    SELECT k, minute,
      20 + a % 180 AS network_latency_ms,
      CASE WHEN (a >> 8) % 7 = 0 THEN b % 3 + 1 ELSE 0 END AS dropped_calls,
      CASE WHEN (b >> 4) % 11 = 0 THEN a % 5 + 1 ELSE 0 END AS app_errors,
      round(((b % 100000) / 100) * 10) / 10 AS data_mb
    FROM (SELECT k, minute, ha.h AS a, hb.h AS b FROM ${hashed('minute')} ha JOIN ${hashed('xor(minute, 1540483477)')} hb USING (k, minute))`);

  // One claim per (window, key): a result emitted twice is judged by its first copy.
  await db.run(`CREATE OR REPLACE TABLE claims AS SELECT ws, k, any_value(snapshot_day) AS snapshot_day, bool_or(coalesce(missing, '') LIKE '%online%') AS online_missing,
      bool_or(coalesce(missing, '') LIKE '%batch%') AS batch_claimed FROM act GROUP BY ws, k`);
  const [lo, hi] = spec.range;
  const latestSql = latest ? lit(latest) : 'NULL';
  // The features a result had: none where it says the API failed (a plain equi-join stays a hash join).
  await db.run(`CREATE OR REPLACE TABLE used_online AS SELECT * FROM online
    ANTI JOIN (SELECT k, (ws + ${size}) // 60000 AS minute FROM claims WHERE online_missing) USING (k, minute)`);
  await db.run(`CREATE OR REPLACE TABLE exp_score AS
    WITH base AS (
      SELECT e.*, coalesce(c.online_missing, FALSE) AS online_missing, coalesce(c.batch_claimed, FALSE) AS batch_claimed,
        coalesce(c.snapshot_day, ${latestSql}) AS day
      FROM expected e LEFT JOIN claims c USING (ws, k)),
    scored AS (
      SELECT e.ws, e.k, e.day, e.online_missing, e.batch_claimed, b.k AS bk, (${sqlFormula(spec.formula)})::DOUBLE AS raw
      FROM base e
      LEFT JOIN batch b ON b.day = e.day AND b.k = e.k
      LEFT JOIN used_online o ON o.k = e.k AND o.minute = (e.ws + ${size}) // 60000)
    SELECT ws, k, day, ${spec.batch ? 'bk IS NULL' : 'FALSE'} AS batch_missing, online_missing AS online_claimed_missing, batch_claimed,
      CASE WHEN raw IS NULL OR isnan(raw) THEN NULL ELSE greatest(${lo}, least(${hi}, raw)) END AS score
    FROM scored`);
  return { days, latest };
}

/**
 * The snapshot files of each day: <prefix>-YYYY-MM-DD.{parquet,csv,jsonl} in dir, or, taking the day's
 * place, the parts of a complete day of <prefix>/date=YYYY-MM-DD/part-i-of-n.* (every i of the largest
 * n that has them all), listed here by DuckDB's glob, apart from the engine's listing.
 */
async function snapshotFiles(db: DuckDBConnection, dir: string, prefix: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (!existsSync(dir)) return out;
  for (const n of readdirSync(dir)) {
    const m = /^(.*)-(\d{4}-\d{2}-\d{2})\.(parquet|csv|jsonl)$/.exec(n);
    if (m && m[1] === prefix) out.set(m[2], [join(dir, n)]);
  }
  if (!existsSync(join(dir, prefix))) return out;
  const rows = await db.runAndReadAll(`
    WITH parts AS (
      SELECT file, m['day'] AS day, m['i']::INT AS i, m['n']::INT AS n
      FROM (SELECT file, regexp_extract(file, '/date=([0-9]{4}-[0-9]{2}-[0-9]{2})/part-([0-9]+)-of-([0-9]+)[.](parquet|csv|jsonl)$', ['day', 'i', 'n']) AS m
            FROM glob(${lit(join(dir, prefix, 'date=*', 'part-*'))}))
      WHERE m['day'] <> '' AND m['i']::INT BETWEEN 1 AND m['n']::INT),
    whole AS (SELECT day, max(n) AS n FROM (SELECT day, n FROM parts GROUP BY day, n HAVING count(DISTINCT i) = n) GROUP BY day)
    SELECT day, list(file ORDER BY i) FROM parts JOIN whole USING (day, n) GROUP BY day`);
  for (const [day, list] of rows.getRows()) out.set(String(day), (list as { items: unknown[] }).items.map(String));
  return out;
}

function readerOf(file: string): string {
  if (file.endsWith('.parquet')) return `read_parquet(${lit(file)})`;
  if (file.endsWith('.csv')) return `read_csv(${lit(file)}, header=true)`;
  return `read_json(${lit(file)}, format='newline_delimited')`;
}

const TOKEN = /(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([a-z_][a-z0-9_]*)(?:\.([a-z_][a-z0-9_]*))?(\s*\()?|([^\w\s]+|\s+)/gy;

/** The names a formula reads, found with the oracle's own tokenizer. */
function formulaRefs(formula: string): { window: string[]; batch: string[]; online: string[] } {
  const out = { window: new Set<string>(), batch: new Set<string>(), online: new Set<string>() };
  for (const m of formula.matchAll(new RegExp(TOKEN.source, 'g'))) {
    if (m[2] === undefined || m[4] !== undefined) continue;
    if (m[3] !== undefined) (m[2] === 'batch' ? out.batch : out.online).add(m[3]);
    else out.window.add(m[2]);
  }
  return { window: [...out.window], batch: [...out.batch], online: [...out.online] };
}

/** The formula as DuckDB SQL: names become quoted columns of the joined tables, the rest stays as written. */
function sqlFormula(formula: string): string {
  return formula.replace(new RegExp(TOKEN.source, 'g'), (all, num, name, field, call) => {
    if (num !== undefined || name === undefined) return all;
    if (call !== undefined) return all; // a function: coalesce, least, greatest, abs
    if (field !== undefined) return `${name === 'batch' ? 'b' : 'o'}.${ident(field)}`;
    return `e.${ident(name)}`;
  });
}

export const _test = { formulaRefs, sqlFormula };
