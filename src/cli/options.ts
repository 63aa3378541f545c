import { InvalidArgumentError } from 'commander';
import { parseDuration, parseDurationRange } from '../core/duration.js';

/** Flag parsers: each turns text into a typed value once, at the edge, or names the problem. */
export function nonNegativeNumber(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number >= 0');
  return n;
}

export function positiveNumber(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number > 0');
  return n;
}

export function positiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number >= 1');
  return n;
}

export function integer(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected a whole number');
  return n;
}

export function port(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port from 0 to 65535 (0: any free port)');
  return n;
}

export function probability(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('expected a probability between 0 and 1');
  return n;
}

/** A shard: i/n with 1 <= i <= n. */
export function shardSpec(text: string): { index: number; count: number } {
  const m = /^\s*(\d+)\/(\d+)\s*$/.exec(text);
  if (!m || Number(m[1]) < 1 || Number(m[1]) > Number(m[2])) throw new InvalidArgumentError('expected i/n with 1 <= i <= n, e.g. 1/4');
  return { index: Number(m[1]), count: Number(m[2]) };
}

/** A memory size as DuckDB takes it: 512MB, 1GB, 1.5GiB. */
export function memorySize(text: string): string {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$/i.exec(text);
  if (!m || Number(m[1]) <= 0) throw new InvalidArgumentError('expected a size such as 512MB, 1GB or 1.5GiB');
  return `${m[1]}${m[2]}`;
}

export function durationMs(text: string): number {
  try {
    return parseDuration(text);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

export function durationRange(text: string): [number, number] {
  try {
    return parseDurationRange(text);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

/** A count or a range of counts: "5000" or "2000..20000". */
export function countRange(text: string): [number, number] {
  const m = /^\s*(\d+)\s*(?:\.\.\s*(\d+)\s*)?$/.exec(text);
  const [a, b] = m ? [Number(m[1]), Number(m[2] ?? m[1])] : [NaN, NaN];
  if (!(a >= 1 && b >= a)) throw new InvalidArgumentError(`"${text}" is not a count or a range of counts (e.g. 5000 or 2000..20000, at least 1)`);
  return [a, b];
}

/** Human text goes to stderr (or nowhere with --json); the JSON summary alone goes to stdout. */
export function say(json: boolean | undefined, text: string): void {
  if (!json) process.stderr.write(`${text}\n`);
}
