import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { invocation, SAT_VERSION } from '../core/invocation.js';
import { paths } from '../core/workdir.js';
import { formatDuration } from '../core/duration.js';
import type { ReplaySummary } from '../replay/replay.js';

/**
 * What a verdict is about, for the report: the sat version, the commands, the input (name, size,
 * hash), the seed, the fault mix, the pace, the transport, the engine judged and the watermark
 * model. A verdict without this is a PASS about something nobody can name later.
 */
export interface Provenance {
  sat: string;
  verify?: string;
  replay: {
    command?: string;
    file: string;
    bytes?: number;
    files?: number;
    sha256?: string;
    format: string;
    scenario: string;
    seed: number;
    /** "malformed 2%, late 5% (1m..10m late), ..." */
    faults: string;
    pace: string;
    transport: string;
  };
  engine: string;
  run?: string;
  watermarkModel: string;
}

export function provenanceOf(replay: ReplaySummary, dir: string, engine: string, model: string): Provenance {
  const m = replay.mix;
  const pct = (x: number) => `${+(x * 100).toFixed(2)}%`;
  const shares = ([['malformed', m.malformed], ['late', m.late], ['duplicates', m.duplicates], ['out-of-order', m.outOfOrder], ['boundary', m.boundary]] as const).filter(([, v]) => v > 0);
  const faults = shares.length === 0 ? 'none' : shares.map(([k, v]) => `${k} ${pct(v)}${k === 'late' ? ` (${formatDuration(m.lateBy[0])}..${formatDuration(m.lateBy[1])} late)` : ''}`).join(', ');
  const t = replay.transport;
  const transport = t.kind === 'kafka' ? `Kafka ${t.brokers.join(',')} topic ${t.topic}, ${replay.partitions} partitions` : `embedded log, ${replay.partitions} partitions`;
  const run = existsSync(paths(dir).run) ? (JSON.parse(readFileSync(paths(dir).run, 'utf8')) as { command?: string }).command : undefined;
  return {
    sat: SAT_VERSION,
    verify: invocation(),
    replay: {
      command: replay.command,
      file: replay.files && replay.files.length > 1 ? `${replay.file} (${replay.files.length} files)` : replay.file,
      bytes: replay.input?.bytes,
      files: replay.input?.files,
      sha256: replay.input?.sha256,
      format: replay.format,
      scenario: `${replay.scenario} (${basename(replay.scenarioPath)})`,
      seed: replay.seed,
      faults,
      pace: replay.schedule ?? (replay.rate > 0 ? `${replay.rate}/s` : 'as fast as possible'),
      transport,
    },
    engine,
    run: engine === 'sat run' ? run : undefined,
    watermarkModel: model,
  };
}
