import { mkdirSync } from 'node:fs';
import { claimWorkdir } from '../../core/workdir-guard.js';
import { NamedWriteStream } from '../../core/fs-errors.js';
import { UsageError } from '../../core/errors.js';
import { peakRssMb } from '../../core/peak-rss.js';
import type { Shard } from '../../core/workdir.js';
import { iotLines, reviewLines } from '../../gen/datasets.js';
import type { TableFormat } from '../../gen/table-writer.js';
import { say } from '../options.js';

export interface GenFlags {
  dir: string;
  json?: boolean;
  kind?: 'reviews' | 'iot';
  rows: number;
  seed: number;
  out?: string;
  customers: number;
  features: number;
  events: number;
  days: number;
  span: number;
  eventVars: number;
  format: TableFormat;
  scenario?: 'satisfaction' | 'messages';
  shard?: Shard;
}

export async function genCommand(f: GenFlags): Promise<number> {
  if (f.shard && (f.scenario === 'messages' || f.kind !== undefined)) throw new UsageError(`--shard ${f.shard.index}/${f.shard.count}: only the satisfaction scenario is written as a partitioned dataset`);
  if (f.scenario === 'messages') return genMessages(f);
  return f.kind === undefined ? genSatisfaction(f) : genDataset(f);
}

/** The messages scenario: events (with corrupted rows and natural duplicates) and countries.csv, in --dir. */
async function genMessages(f: GenFlags): Promise<number> {
  const { writeMessages } = await import('../../gen/messages.js');
  const { progressBar } = await import('../progress.js');
  claimWorkdir(f.dir);
  const t0 = performance.now();
  const bar = progressBar('messages', f.events, f.json);
  const out = await writeMessages({ dir: f.dir, events: f.events, days: f.days, users: f.customers, seed: f.seed, format: f.format, progress: bar.update });
  bar.stop();
  const summary = { scenario: 'messages', events: f.events, days: f.days, users: f.customers, seed: f.seed, eventsFile: out.events, countriesFile: out.countries, elapsedMs: Math.round(performance.now() - t0) };
  if (f.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  say(f.json, `wrote ${f.events} message events over ${f.days} days (${f.customers} users) to ${out.events}, and ${out.countries}`);
  return 0;
}

/** The reviews (TSV) or IoT (CSV) formats, for small datasets that look like the real ones. */
async function genDataset(f: GenFlags): Promise<number> {
  if (f.out === undefined) throw new UsageError(`--kind ${f.kind} needs --out FILE`);
  const out = new NamedWriteStream(f.out);
  const lines = f.kind === 'reviews' ? reviewLines(f.rows, f.seed) : iotLines(f.rows, f.seed);
  let buf: string[] = [];
  for (const line of lines) {
    buf.push(line);
    if (buf.length >= 4096) {
      await out.write(`${buf.join('\n')}\n`);
      buf = [];
    }
  }
  await out.end(buf.length ? `${buf.join('\n')}\n` : '');
  if (f.json) process.stdout.write(`${JSON.stringify({ kind: f.kind, rows: f.rows, seed: f.seed, out: f.out })}\n`);
  say(f.json, `wrote ${f.rows} ${f.kind} rows to ${f.out}`);
  return 0;
}

/** The satisfaction scenario's inputs: daily customer snapshots and the event stream, in --dir. */
async function genSatisfaction(f: GenFlags): Promise<number> {
  const { writeSnapshots } = await import('../../gen/satisfaction/customers.js');
  const { writeEvents } = await import('../../gen/satisfaction/events.js');
  const { ShardMembers } = await import('../../gen/satisfaction/shard-members.js');
  const { progressBar } = await import('../progress.js');
  claimWorkdir(f.dir);
  const t0 = performance.now();
  const snapBar = progressBar(`snapshots (${f.days} days)`, f.customers * f.days, f.json);
  // A shard's customers, found once for the snapshots and the events.
  const members = f.shard && new ShardMembers(f.customers, f.shard);
  const snapshots = await writeSnapshots({ dir: f.dir, customers: f.customers, features: f.features, days: f.days, seed: f.seed, format: f.format, shard: f.shard, members, progress: snapBar.update });
  snapBar.stop();
  const snapMs = performance.now() - t0;
  const evBar = progressBar('events', f.events, f.json);
  const t1 = performance.now();
  const events = await writeEvents({ dir: f.dir, customers: f.customers, events: f.events, spanMs: f.span, day: f.days - 1, variables: f.eventVars, seed: f.seed, format: f.format, shard: f.shard, members, progress: evBar.update });
  evBar.stop();
  const evMs = performance.now() - t1;
  const summary = {
    customers: f.customers,
    features: f.features,
    days: f.days,
    events: f.events,
    format: f.format,
    seed: f.seed,
    ...(f.shard && { shard: `${f.shard.index}/${f.shard.count}`, snapshotRows: snapshots.rows, eventRows: events.rows }),
    snapshots: snapshots.files,
    ...(f.shard ? { eventFiles: events.files } : { eventsFile: events.files[0] }),
    // Rates are of the rows considered (a shard skips the others').
    snapshotRowsPerSecond: Math.round((f.customers * f.days) / (snapMs / 1000)),
    eventsPerSecond: Math.round(f.events / (evMs / 1000)),
    peakRssMb: peakRssMb(),
    elapsedMs: Math.round(performance.now() - t0),
  };
  if (f.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  const what = f.shard
    ? `shard ${f.shard.index}/${f.shard.count}: ${snapshots.rows} snapshot rows over ${f.days} day(s) of ${f.customers} customers x ${f.features} features and ${events.rows} of ${f.events} events`
    : `${f.days} snapshot(s) of ${f.customers} customers x ${f.features} features and ${f.events} events`;
  say(f.json, `wrote ${what} to ${f.dir} (${summary.snapshotRowsPerSecond} snapshot rows/s, ${summary.eventsPerSecond} events/s); peak RSS ${summary.peakRssMb} MB`);
  return 0;
}
