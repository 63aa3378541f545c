/**
 * When the embedded log's next checkpoint falls due: every `every` records and every `intervalMs`
 * (looked at every 256 records: a clock read per record costs ~1%). One that falls due while fired
 * windows are being scored waits for them to be written, up to one more cadence (records or time):
 * windows in flight go into a checkpoint as they are (~75 B a result; a minute fires ~45k at a
 * million active customers) and are scored again on resume, and a slow API must not stop
 * checkpoints. The next one falls due on the cadence as if this one had not waited, unless it waited
 * a whole cadence: then the next counts from when it was taken (not at once, a second fsync for a
 * few hundred KB).
 */
export class CheckpointCadence {
  #last: { records: number; at: number };
  /** When the checkpoint now due fell due (it may be waiting for the scoring in flight). */
  #dueSince: { records: number; at: number } | undefined;

  constructor(
    readonly every: number,
    readonly intervalMs: number,
    records = 0,
    readonly now: () => number = () => performance.now(),
  ) {
    this.#last = { records, at: now() };
  }

  /** Whether to checkpoint after this many records; `scoring`: fired windows are being scored. */
  due(records: number, scoring: boolean): boolean {
    const since = records - this.#last.records;
    if (this.#dueSince === undefined) {
      if (since < this.every && (records % 256 !== 0 || this.now() - this.#last.at < this.intervalMs)) return false;
      this.#dueSince = { records, at: this.now() };
    }
    return !(scoring && since < this.every * WAIT_UP_TO && this.now() - this.#last.at < this.intervalMs * WAIT_UP_TO);
  }

  /** A checkpoint fell due and is waiting for the scoring. */
  get waiting(): boolean {
    return this.#dueSince !== undefined;
  }

  /**
   * A checkpoint was taken after this many records: the cadence runs on from when it fell due, or
   * from now if a whole cadence has passed since (the next would be due at once).
   */
  taken(records: number): void {
    const d = this.#dueSince;
    const now = this.now();
    this.#last = d !== undefined && records - d.records < this.every && now - d.at < this.intervalMs ? d : { records, at: now };
    this.#dueSince = undefined;
  }
}

/** How far into the next cadence (records or time) a due checkpoint waits for the scoring in flight. */
const WAIT_UP_TO = 2;
