import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../core/errors.js';
import type { ReportsSpec, Scenario } from '../scenario/types.js';
import type { ValidRecord } from './validate.js';

export interface PivotRow {
  day: string;
  key: string;
  counts: Record<string, number>;
}

export interface TopUserRow {
  key: string;
  rank: number;
  user: string;
  events: number;
  country: string | null;
}

/**
 * The batch reports over the whole stream, pure and synchronous: corrupted rows are recognised by the
 * scenario's rule; valid ones are deduplicated on the natural id keeping the earliest event time (the
 * first to arrive on a tie), whatever their lateness; then a daily pivot of the pivot field's values
 * per key and the n most active users per key (with the country of their earliest event there).
 */
/** The kept delivery of an id; `order` is its place in the stream (ties on time go to the first sent). */
interface Kept {
  time: number;
  order: number;
  key: string;
  pivot: string;
  user: string;
  country: string;
}

export class ReportBuilder {
  readonly #byId = new Map<string, Kept>();
  #order = 0;
  readonly #corruptValues: Set<string>;

  constructor(readonly spec: ReportsSpec) {
    this.#corruptValues = new Set(spec.corrupted.values);
  }

  isCorrupted(values: Record<string, unknown>): boolean {
    const v = values[this.spec.corrupted.field];
    if (v === null || v === undefined || v === '') return this.spec.corrupted.missing;
    return this.#corruptValues.has(String(v));
  }

  add(r: ValidRecord): void {
    const order = this.#order++;
    const seen = this.#byId.get(r.id);
    if (seen !== undefined && seen.time <= r.time) return;
    this.#byId.set(r.id, {
      time: r.time,
      order,
      key: r.key,
      pivot: String(r.values[this.spec.pivot.field]),
      user: String(r.values[this.spec.topUsers.field]),
      country: this.spec.countries ? String(r.values[this.spec.countries.field]) : '',
    });
  }

  /** The dedup memory, for a checkpoint. */
  snapshot(): unknown {
    return { order: this.#order, kept: [...this.#byId] };
  }

  restore(state: unknown): void {
    const st = state as { order: number; kept: [string, Kept][] };
    this.#order = st.order;
    for (const [id, e] of st.kept) this.#byId.set(id, e);
  }

  get distinct(): number {
    return this.#byId.size;
  }

  pivot(): PivotRow[] {
    const rows = new Map<string, PivotRow>();
    for (const e of this.#byId.values()) {
      const day = new Date(e.time).toISOString().slice(0, 10);
      const at = `${day}|${e.key}`;
      let row = rows.get(at);
      if (row === undefined) rows.set(at, (row = { day, key: e.key, counts: {} }));
      row.counts[e.pivot] = (row.counts[e.pivot] ?? 0) + 1;
    }
    return [...rows.values()].sort((a, b) => a.day.localeCompare(b.day) || a.key.localeCompare(b.key));
  }

  topUsers(countries: Map<string, string>): TopUserRow[] {
    const per = new Map<string, Map<string, { n: number; first: number; order: number; country: string }>>();
    for (const e of this.#byId.values()) {
      let users = per.get(e.key);
      if (users === undefined) per.set(e.key, (users = new Map()));
      const u = users.get(e.user);
      if (u === undefined) users.set(e.user, { n: 1, first: e.time, order: e.order, country: e.country });
      else {
        u.n++;
        // The earliest event; on a tie of event time, the one sent first.
        if (e.time < u.first || (e.time === u.first && e.order < u.order)) [u.first, u.order, u.country] = [e.time, e.order, e.country];
      }
    }
    const out: TopUserRow[] = [];
    for (const [key, users] of [...per].sort(([a], [b]) => a.localeCompare(b))) {
      const ranked = [...users].sort(([ua, a], [ub, b]) => b.n - a.n || ua.localeCompare(ub)).slice(0, this.spec.topUsers.n);
      ranked.forEach(([user, u], i) => out.push({ key, rank: i + 1, user, events: u.n, country: countries.get(u.country) ?? null }));
    }
    return out;
  }
}

/** The lookup table beside the data (sat gen --scenario messages writes countries.csv), id → name. */
export function loadCountries(s: Scenario, dataDir: string): Map<string, string> {
  const countries = new Map<string, string>();
  const c = s.reports?.countries;
  if (!c) return countries;
  const file = join(dataDir, c.file);
  if (!existsSync(file)) throw new UsageError(`reports.countries: ${file} not found (sat gen --scenario messages writes it beside the events)`);
  const [head, ...lines] = readFileSync(file, 'utf8').trim().split(/\r?\n/);
  const cols = head.split(',');
  const [ki, ni] = [cols.indexOf(c.key), cols.indexOf(c.name)];
  if (ki < 0 || ni < 0) throw new UsageError(`reports.countries: ${file} lacks ${c.key} or ${c.name}`);
  for (const l of lines) {
    const f = l.split(',');
    countries.set(f[ki], f[ni]);
  }
  return countries;
}

/** The daily pivot as JSON lines (pivot.jsonl, or the -pivot topic): one per (day, key), a column per value. */
export function pivotLines(s: Scenario, b: ReportBuilder): string[] {
  return b.pivot().map((r) => JSON.stringify({ day: r.day, [s.key]: r.key, ...Object.fromEntries(Object.entries(r.counts).sort(([a], [b]) => a.localeCompare(b))) }));
}

/** The top users per key as JSON lines (top-users.jsonl, or the -top-users topic). */
export function topUserLines(s: Scenario, b: ReportBuilder, countries: Map<string, string>): string[] {
  const c = s.reports?.countries;
  return b.topUsers(countries).map((r) => JSON.stringify({ [s.key]: r.key, rank: r.rank, [s.reports!.topUsers.field]: r.user, events: r.events, [c?.name ?? 'country']: r.country }));
}
