import { UsageError } from '../../core/errors.js';
import type { Scenario } from '../../scenario/types.js';
import { OnlineThread } from './online-thread.js';
import { Scorer } from './scorer.js';
import { SnapshotStore } from './snapshot.js';

export interface ScoringOptions {
  /** Where the daily snapshots are (sat gen's --dir). */
  snapshotsDir: string;
  /** The online-features API (sat serve online), when the formula reads online features. */
  onlineUrl?: string;
  /** Overrides of the scenario's join.online settings. */
  onlineRetries?: number;
  onlineTimeoutMs?: number;
  /** How often to look for a newer snapshot day (default 5 s). */
  snapshotPollMs?: number;
  /** A Kafka member: the snapshot is loaded for its partitions once assigned (SnapshotStore.setScope). */
  scoped?: boolean;
  log: (line: string) => void;
}

/** The scorer a scenario asks for (undefined when it has no score), with its snapshot loaded. */
export async function openScorer(s: Scenario, o: ScoringOptions): Promise<Scorer | undefined> {
  const spec = s.score;
  if (spec === undefined) return undefined;
  if (spec.online && o.onlineUrl === undefined) {
    throw new UsageError(`scenario ${s.name} joins online features: pass --online URL (start the API with sat serve online)`);
  }
  if (o.onlineUrl !== undefined && (!/^https?:\/\/[^/]+/.test(o.onlineUrl) || !URL.canParse(o.onlineUrl))) throw new UsageError(`--online ${o.onlineUrl}: not an http:// URL`);
  const snapshots = spec.batch && new SnapshotStore(o.snapshotsDir, spec.batch.prefix, spec.batch.key, Scorer.batchColumns(spec), o.snapshotPollMs ?? 5000, o.log);
  const online =
    spec.online &&
    new OnlineThread(o.onlineUrl as string, { ...spec.online, retries: o.onlineRetries ?? spec.online.retries, timeoutMs: o.onlineTimeoutMs ?? spec.online.timeoutMs }, Scorer.onlineFeatures(spec), o.log);
  const scorer = new Scorer(s, snapshots, online);
  await scorer.start(o.scoped);
  return scorer;
}
