import type { DuckDBConnection } from '@duckdb/node-api';
import type { Scenario } from '../scenario/types.js';
import { one, type Check, type Counts } from './checks.js';

/**
 * What a verdict rests on: how many records, windows, late records, duplicates, dead letters and
 * boundary cases the oracle judged decisively. A pass over no evidence is no pass: "all checks
 * passed" with 0 records counted once looked exactly like a real success.
 */
export interface Evidence {
  records_sent: number;
  records_counted: number;
  windows_exact: number;
  windows_ambiguous: number;
  late_sent: number;
  /** Records sent late whose fate does not depend on what the oracle cannot see. */
  late_judged: number;
  duplicates_judged: number | null;
  dead_letters: number;
  /** Deliveries judged late with the watermark exactly at their window's close. */
  late_at_close: number;
  /** Deliveries that counted with the watermark one step (1 ms; a day for a date field) before the close. */
  on_time_one_step_before_close: number;
  /** Counted records at the first or last step of a slide (a window edge). */
  at_window_edge: number;
  /** Later deliveries of an id that arrived exactly when its dedup state expired (kept), or one step before (duplicate). */
  dedup_at_expiry: number;
  dedup_one_step_before_expiry: number;
}

export async function collectEvidence(db: DuckDBConnection, s: Scenario, counts: Counts, bounded: boolean, model = ''): Promise<Evidence> {
  const { size, slide } = s.window;
  // Flink closes a window when the watermark reaches its last millisecond.
  const close = `(last_start + ${size} + ${s.allowedLateness}${model === 'flink-watermarks' ? ' - 1' : ''})`;
  const step = s.fields.find((f) => f.name === s.eventTime)!.type === 'date' ? 86_400_000 : 1;
  const kept = `class IN ('counted', 'filtered')`;
  return {
    records_sent: await one(db, `SELECT count(*) FROM ledger`),
    records_counted: bounded ? await one(db, `SELECT count(DISTINCT id) FROM brow WHERE best = 2`) : await one(db, `SELECT count(*) FROM cls WHERE class = 'counted'`),
    windows_exact: bounded ? Number(counts.exact_windows ?? 0) : await one(db, `SELECT count(*) FROM expected`),
    windows_ambiguous: bounded ? Number(counts.ambiguous_windows ?? 0) : 0,
    late_sent: await one(db, `SELECT count(*) FROM ledger WHERE fault = 'late'`),
    // Records replay sent late whose fate is decided: all of them under an exact model; under a
    // bounded one, those every reachable watermark agrees on (surely late or surely counted).
    late_judged: bounded
      ? await one(db, `SELECT count(*) FROM blate b JOIN ledger l USING (seq) WHERE l.fault = 'late' AND b.top <> 1`)
      : await one(db, `SELECT count(*) FROM cls WHERE fault = 'late' AND class <> 'dead'`),
    duplicates_judged: bounded ? null : await one(db, `SELECT count(*) FROM cls WHERE class = 'duplicate'`),
    dead_letters: await one(db, `SELECT count(*) FROM cls WHERE class = 'dead'`),
    late_at_close: await one(db, `SELECT count(*) FROM cls WHERE class = 'late' AND ${close} = watermark`),
    on_time_one_step_before_close: await one(db, `SELECT count(*) FROM cls WHERE class IN ('counted', 'filtered', 'duplicate') AND ${close} - watermark = ${step}`),
    at_window_edge: await one(db, `SELECT count(*) FROM cls WHERE class = 'counted' AND (et % ${slide} = 0 OR et % ${slide} = ${slide - step})`),
    dedup_at_expiry: await one(db, `SELECT count(*) FROM cls WHERE ${kept} AND dedup_held = wm_before`),
    dedup_one_step_before_expiry: await one(db, `SELECT count(*) FROM cls WHERE class = 'duplicate' AND dedup_held - wm_before = ${step}`),
  };
}

/** Fails a run that tested nothing, unless the user accepts that knowingly (--allow-vacuous). */
export function vacuityCheck(e: Evidence, model: string, bounded: boolean, allowVacuous: boolean): Check {
  const reasons: string[] = [];
  if (e.records_sent === 0) reasons.push('the replay sent no records (an empty or header-only input?)');
  else if (e.records_counted === 0) reasons.push(`no record was counted in any window (${e.records_sent} sent: a filter nothing passes, or everything dead, late or duplicate?)`);
  if (bounded && e.records_counted > 0 && e.late_sent > 0 && e.late_judged === 0) reasons.push(`${e.late_sent} late records were sent but under the ${model} watermark model none could be judged either way (a shorter --batch-span decides more)`);
  const summary = `${e.records_counted} records counted, ${e.windows_exact} windows checked exactly, ${e.late_judged} of ${e.late_sent} late records judged decisively, ${e.duplicates_judged ?? 'n/a'} duplicates, ${e.dead_letters} dead letters, boundary cases: ${e.late_at_close} late at a close, ${e.on_time_one_step_before_close} on time one step before, ${e.at_window_edge} at a window edge, ${e.dedup_at_expiry + e.dedup_one_step_before_expiry} at a dedup expiry`;
  if (reasons.length === 0) return { name: 'the run tested something', pass: true, expected: 1, actual: e.records_counted, detail: summary };
  if (allowVacuous) return { name: 'the run tested something', pass: true, detail: `accepted with --allow-vacuous: ${reasons.join('; ')}` };
  return { name: 'the run tested something', pass: false, expected: 1, actual: e.records_counted, detail: `${reasons.join('; ')}. Pass --allow-vacuous to accept such a run knowingly` };
}
