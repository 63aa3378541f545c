import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { iotLines, reviewLines } from '../../gen/datasets.js';
import { say } from '../options.js';

export interface GenFlags {
  kind: 'reviews' | 'iot';
  rows: number;
  seed: number;
  out: string;
  json?: boolean;
}

export async function genCommand(f: GenFlags): Promise<number> {
  const out = createWriteStream(f.out);
  const lines = f.kind === 'reviews' ? reviewLines(f.rows, f.seed) : iotLines(f.rows, f.seed);
  let buf: string[] = [];
  for (const line of lines) {
    buf.push(line);
    if (buf.length >= 4096) {
      if (!out.write(`${buf.join('\n')}\n`)) await once(out, 'drain');
      buf = [];
    }
  }
  out.end(buf.length ? `${buf.join('\n')}\n` : '');
  await once(out, 'finish');
  if (f.json) process.stdout.write(`${JSON.stringify({ kind: f.kind, rows: f.rows, seed: f.seed, out: f.out })}\n`);
  say(f.json, `wrote ${f.rows} ${f.kind} rows to ${f.out}`);
  return 0;
}
