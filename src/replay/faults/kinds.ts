import { UsageError } from '../../core/errors.js';
import type { FaultMix } from '../../scenario/types.js';

/** What a delivery carries, as the ledger and the replay summary name it. */
export type FaultKind = 'none' | 'malformed' | 'late' | 'duplicate' | 'out-of-order' | 'source' | 'boundary';

/** A fault a user asks for by share: one object gives its flag, its scenario key and how it is counted. */
export interface InjectedFault {
  /** Its name in the ledger's fault column and the summary's counts. */
  kind: Exclude<FaultKind, 'none' | 'source'>;
  /** Its share in FaultMix, and the camel-cased flag (commander's option name). */
  share: Exclude<keyof FaultMix, 'lateBy'>;
  /** The flag of sat replay. */
  flag: string;
  /** Its key under `faults:` in a scenario file. */
  scenarioKey: string;
  /** sat replay --help. */
  help: string;
  /** A record carries at most one exclusive fault: their shares add up to 1 at most. */
  exclusive: boolean;
}

/**
 * Every fault replay injects by share. The planner (plan.ts, boundary.ts) decides where each goes;
 * the flags, the scenario schema, the mix and the summary line are made from this list.
 */
export const INJECTED_FAULTS: readonly InjectedFault[] = [
  { kind: 'malformed', share: 'malformed', flag: '--malformed', scenarioKey: 'malformed', help: 'share of records corrupted', exclusive: true },
  { kind: 'late', share: 'late', flag: '--late', scenarioKey: 'late', help: 'share of records held back past their window', exclusive: true },
  { kind: 'duplicate', share: 'duplicates', flag: '--duplicates', scenarioKey: 'duplicates', help: 'share of records delivered twice', exclusive: false },
  { kind: 'out-of-order', share: 'outOfOrder', flag: '--out-of-order', scenarioKey: 'out_of_order', help: 'share of records moved later within the watermark delay', exclusive: true },
  {
    kind: 'boundary',
    share: 'boundary',
    flag: '--boundary',
    scenarioKey: 'boundary',
    help: 'share of records used as boundary probes: at window edges, delivered exactly at (or 1 ms before) a window close or a dedup expiry',
    exclusive: false,
  },
];

/** The mix: each share from the flags where given, else from the scenario; refused when the exclusive ones exceed 1. */
export function faultMix(flags: Partial<Record<string, unknown>>, scenario: FaultMix): FaultMix {
  const mix = { ...scenario, lateBy: (flags.lateBy as [number, number] | undefined) ?? scenario.lateBy };
  for (const f of INJECTED_FAULTS) mix[f.share] = (flags[f.share] as number | undefined) ?? scenario[f.share];
  const exclusive = INJECTED_FAULTS.filter((f) => f.exclusive);
  if (exclusive.reduce((a, f) => a + mix[f.share], 0) > 1) {
    throw new UsageError(`${exclusive.map((f) => f.flag).join(' + ')} must not exceed 1 (each record carries at most one of them)`);
  }
  return mix;
}

/** The summary's counts of faults sent, in the list's order, then the bad source rows. */
export function faultCountsLine(counts: Record<FaultKind, number>): string {
  return `faults: ${INJECTED_FAULTS.map((f) => `${f.kind} ${counts[f.kind]}`).join(', ')}, bad source rows ${counts.source}`;
}
