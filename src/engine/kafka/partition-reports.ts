import type { Scenario } from '../../scenario/types.js';
import { pivotLines, ReportBuilder, topUserLines } from '../reports.js';
import type { ValidRecord } from '../validate.js';

/** What a partition's reports hold in its checkpoint. */
export interface PartitionReportsState {
  builder: unknown;
  valid: number;
  corrupted: number;
  malformed: number;
}

/** A partition's reconciliation row (the -reconciliation topic): verify sums them over partitions. */
export interface PartitionReconciliation {
  partition: number;
  input: number;
  valid: number;
  corrupted: number;
  malformed: number;
  distinct: number;
}

/**
 * The batch reports of one input partition on Kafka. Replay places records by key, and a scenario
 * with reports on Kafka must have its key among the id fields (run-kafka refuses it otherwise), so a
 * key's records and every copy of an id are in one partition: its pivot rows, top users and
 * distinct ids are final there, and the whole report is the union of the partitions' (as a Kafka
 * Streams aggregation by a co-partitioned key is). Written once, when the partition's input ends.
 */
export class PartitionReports {
  readonly builder: ReportBuilder;
  valid = 0;
  corrupted = 0;
  malformed = 0;

  constructor(readonly s: Scenario, state?: PartitionReportsState) {
    this.builder = new ReportBuilder(s.reports!);
    if (state) {
      this.builder.restore(state.builder);
      this.valid = state.valid;
      this.corrupted = state.corrupted;
      this.malformed = state.malformed;
    }
  }

  add(r: ValidRecord): void {
    this.valid++;
    this.builder.add(r);
  }

  state(): PartitionReportsState {
    return { builder: this.builder.snapshot(), valid: this.valid, corrupted: this.corrupted, malformed: this.malformed };
  }

  /** The partition's report rows, once its input has ended. */
  rows(partition: number, input: number, countries: Map<string, string>): { pivot: string[]; topUsers: string[]; reconciliation: PartitionReconciliation } {
    return {
      pivot: pivotLines(this.s, this.builder),
      topUsers: topUserLines(this.s, this.builder, countries),
      reconciliation: { partition, input, valid: this.valid, corrupted: this.corrupted, malformed: this.malformed, distinct: this.builder.distinct },
    };
  }
}
