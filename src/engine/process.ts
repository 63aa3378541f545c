import { viewOf } from '../core/bytes.js';
import type { Scenario } from '../scenario/types.js';
import type { WindowOperator, WindowResult } from './operator.js';
import type { ReportBuilder } from './reports.js';
import { createValidator, Rejected, type RejectKind, type ValidRecord } from './validate.js';

/** Where the engine's outputs go: files for the embedded log, transactional topics for Kafka. */
export interface Outputs {
  /**
   * The side outputs get the record's parts, not a row: a transport makes its row (side-rows.ts)
   * where it costs least (the embedded log on its results thread). `value` is the record's bytes,
   * valid only during the call.
   */
  deadLetter(partition: number, offset: number, rejected: Rejected, value: Uint8Array): void;
  late(partition: number, offset: number, r: ValidRecord, watermark: number, value: Uint8Array): void;
  alert(alert: string, partition: number, offset: number, r: ValidRecord): void;
  results(rows: WindowResult[], emitTime: number): void;
  /** Scenarios with reports: a valid record whose field marks it corrupted (split off, not windowed). */
  corrupted?(row: { partition: number; offset: number; reason: string; value: string }): void;
  /** Scenarios with reports: every valid, uncorrupted record, before windowing (batch reports see all). */
  valid?(r: ValidRecord): void;
  /** The input has ended (every window fired): `records` were taken. */
  end?(records: number): void;
}

/**
 * Validate → operator → outputs for one record: the same steps whatever the transport, so the
 * embedded-log engine and the Kafka engine cannot drift apart. Counts dead letters by kind. The
 * clock stamps results with their emit time (injected, so a test can hold it still).
 */
export function createProcessor(s: Scenario, reports?: ReportBuilder, clock: () => number = Date.now) {
  // Records are handled one at a time, each read before the next: one valid record for them all.
  const validate = createValidator(s, { reuse: true });
  const dec = new TextDecoder();
  const deadLetterKinds: Partial<Record<RejectKind, number>> = {};

  /**
   * One record of the input, bytes[from, to) (all of bytes by default), at `offset` of `partition`
   * (`scanned`: see Validate). A view of the value is made only where something reads it: the
   * validator's full path, a dead letter, a late row (a view per record was a tenth of what the
   * engine's thread allocated).
   */
  function handle(op: WindowOperator, partition: number, offset: number, bytes: Uint8Array, out: Outputs, scanned?: unknown[] | null, from = 0, to = bytes.length): void {
    let value = scanned == null ? viewOf(bytes, from, to) : undefined;
    const r = validate(value ?? EMPTY, scanned);
    if (r instanceof Rejected) {
      deadLetterKinds[r.kind] = (deadLetterKinds[r.kind] ?? 0) + 1;
      out.deadLetter(partition, offset, r, value ?? viewOf(bytes, from, to));
      return;
    }
    if (reports?.isCorrupted(r.values)) {
      value ??= viewOf(bytes, from, to);
      out.corrupted?.({ partition, offset, reason: `${reports.spec.corrupted.field} is ${JSON.stringify(r.values[reports.spec.corrupted.field] ?? null)}`, value: dec.decode(value) });
      op.advance(r.time);
      emitFired(op, out, clock);
      return;
    }
    out.valid?.(r);
    const { outcome, alerts } = op.process(r);
    if (outcome === 'late') out.late(partition, offset, r, op.watermark, value ?? viewOf(bytes, from, to));
    for (const alert of alerts) out.alert(alert, partition, offset, r);
    emitFired(op, out, clock);
  }

  return { handle, deadLetterKinds, clock };
}

const EMPTY = new Uint8Array(0);

/** Hands the windows the operator fired to the outputs. */
export function emitFired(op: WindowOperator, out: Outputs, clock: () => number = Date.now): void {
  const fired = op.takeResults();
  if (fired.length > 0) out.results(fired, clock());
}
