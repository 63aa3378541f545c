import { parseEndMark } from '../transport/types.js';
import type { WindowOperator } from './operator.js';
import type { createProcessor, Outputs } from './process.js';

/** Results fired per hand-over at the end of the input: a results thread's chunk or four. */
const FLUSH_PART = 4096;

/** What a task's checkpoint holds beside its position. */
export interface TaskState {
  /** The end-of-stream marker has been processed. */
  ended: boolean;
  /** Shards (of replay --shard) whose end marker has arrived (the input ends when all have). */
  endMarks: number[];
  /** Records taken (end markers aside): a partition's input count for its reconciliation. */
  records?: number;
}

/**
 * One input stream's processing, whatever the transport: its own operator (stream time per input,
 * as Kafka Streams keeps it per partition; the embedded log is one input, merged in send order),
 * its outputs, and the end-of-stream markers seen. Pure: the transport reads, writes and commits.
 */
export class Task implements TaskState {
  ended: boolean;
  endMarks: number[];
  records: number;

  constructor(
    readonly partition: number,
    readonly op: WindowOperator,
    readonly out: Outputs,
    readonly processor: ReturnType<typeof createProcessor>,
    state: TaskState = { ended: false, endMarks: [] },
  ) {
    this.ended = state.ended;
    this.endMarks = [...state.endMarks];
    this.records = state.records ?? 0;
  }

  /** One record of the input, bytes[from, to) (the embedded log's one task reads several partitions, so says which; `scanned`: see Validate). */
  record(offset: number, bytes: Uint8Array, partition = this.partition, scanned?: unknown[] | null, from = 0, to = bytes.length): void {
    this.records++;
    this.processor.handle(this.op, partition, offset, bytes, this.out, scanned, from, to);
  }

  /**
   * An end-of-stream marker (shard i of n): true when it is the last one the input waits for; then
   * the watermark goes to +infinity and every open window fires.
   */
  endMark(mark: string): boolean {
    const shard = parseEndMark(mark);
    if (!this.endMarks.includes(shard.index)) this.endMarks.push(shard.index);
    if (this.endMarks.length < shard.count) return false;
    this.end();
    return true;
  }

  /** End of the input: every open window fires, handed over in parts (see flushSome). */
  end(): void {
    while (this.op.flushSome(FLUSH_PART)) this.emit();
    this.emit();
    this.ended = true;
    this.out.end?.(this.records);
  }

  /** Hands what the operator fired to the outputs. */
  emit(): void {
    const fired = this.op.takeResults();
    if (fired.length > 0) this.out.results(fired, this.processor.clock());
  }

  state(): TaskState {
    return { ended: this.ended, endMarks: [...this.endMarks], records: this.records };
  }
}
