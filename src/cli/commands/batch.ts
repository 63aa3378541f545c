import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeRollups } from '../../batch/rollup.js';
import { UsageError } from '../../core/errors.js';
import { paths } from '../../core/workdir.js';
import { datasetDir, scenarioOfWorkdir } from '../../engine/run.js';
import { loadSegments } from '../../batch/score-rollup.js';
import { loadScenario } from '../../scenario/load.js';
import { dataFiles, loadActual, parseColumnMap } from '../../verify/actual.js';
import { lit } from '../../verify/sql.js';
import { say } from '../options.js';

export interface BatchFlags {
  dir: string;
  scenario?: string;
  results?: string;
  alerts?: string;
  map?: string;
  snapshots?: string;
  out?: string;
  json?: boolean;
}

/**
 * sat batch: the scenario's rollups over the stream's results (sat run's, or any engine's), each
 * written as <out>/<name>.parquet. Every table is written to a .partial file first and renamed once
 * all are, so a reader never sees half a batch.
 */
export async function batchCommand(f: BatchFlags): Promise<number> {
  const name = f.scenario ?? scenarioOfWorkdir(f.dir);
  if (name === undefined) throw new UsageError(`--scenario is needed (no replay found in ${f.dir})`);
  const s = loadScenario(name);
  if (!s.rollups?.length) throw new UsageError(`scenario ${s.name} has no batch.rollups (README, "The batch layer")`);
  const results = f.results ?? paths(f.dir).results;
  if (!existsSync(results)) throw new UsageError(`results ${results} not found (run sat run first, or pass --results)`);
  const out = f.out ?? join(f.dir, 'batch');
  mkdirSync(out, { recursive: true });
  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  try {
    await db.run(`SET TimeZone = 'UTC'`);
    await loadActual(db, s, results, { ...s.resultColumns, ...parseColumnMap(f.map) });
    await loadAlerts(db, f.alerts ?? paths(f.dir).alerts, (s.rollups ?? []).some((r) => r.alerts));
    if (s.rollups.some((r) => r.segment)) await loadSegments(db, s, f.snapshots ?? datasetDir(f.dir));
    const written = await writeRollups(db, s, out);
    const tables = written.map((w) => {
      const file = w.file.replace(/\.partial$/, '');
      renameSync(w.file, file);
      return { name: w.name, rows: w.rows, file };
    });
    if (f.json) process.stdout.write(`${JSON.stringify({ scenario: s.name, results, tables })}\n`);
    say(f.json, `sat batch: ${s.name}: ${tables.map((t) => `${t.name} (${t.rows} rows)`).join(', ')} in ${out}`);
    return 0;
  } finally {
    db.closeSync();
    instance.closeSync();
  }
}

/** The alerts output (key, event_time per alert: JSONL, a file or a directory of parts) as act_alerts(key, et). */
async function loadAlerts(db: DuckDBConnection, path: string, needed: boolean): Promise<void> {
  await db.run(`CREATE OR REPLACE TABLE act_alerts (key VARCHAR, et BIGINT)`);
  if (!needed) return;
  if (!existsSync(path)) throw new UsageError(`alerts ${path} not found: a rollup counts alerts (pass --alerts, or run sat run first)`);
  const files = statSync(path).isDirectory() ? dataFiles(path) : statSync(path).size > 0 ? [path] : [];
  if (files.length === 0) return;
  const list = files.map(lit).join(', ');
  await db.run(`INSERT INTO act_alerts SELECT CAST(key AS VARCHAR), epoch_ms(CAST(event_time AS TIMESTAMP)) FROM read_json([${list}], format = 'newline_delimited', columns = {'key': 'VARCHAR', 'event_time': 'VARCHAR'})`);
}
