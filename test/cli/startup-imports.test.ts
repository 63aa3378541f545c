import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * What a command loads before it does anything: the static imports reachable from its module
 * (`import ... from`, `export ... from`; not `import type`, erased, nor `await import()`, loaded
 * when used). Importing the Kafka client costs ~0.5 s (its option schemas are compiled on import),
 * DuckDB ~0.15 s, prom-client ~0.05 s (only --metrics-port needs it): a run on the embedded log pays none.
 */
const SRC = resolve(import.meta.dirname, '..', '..', 'src');

/** Each package reachable from `entry`, with the chain of files that reaches it. */
export function staticPackages(entry: string): Map<string, string[]> {
  const packages = new Map<string, string[]>();
  const via = new Map<string, string | undefined>([[entry, undefined]]);
  const chain = (file: string): string[] => {
    const out: string[] = [];
    for (let f: string | undefined = file; f !== undefined; f = via.get(f)) out.push(relative(SRC, f));
    return out;
  };
  const todo = [entry];
  for (let file = todo.pop(); file !== undefined; file = todo.pop()) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s+(?!type\s)[^;]*?\sfrom\s+'([^']+)';/gms)) {
      const spec = m[1];
      if (!spec.startsWith('.')) {
        if (!spec.startsWith('node:') && !packages.has(spec)) packages.set(spec, chain(file));
        continue;
      }
      const next = join(dirname(file), spec.replace(/\.js$/, '.ts'));
      if (via.has(next)) continue;
      via.set(next, file);
      todo.push(next);
    }
  }
  return packages;
}

const KAFKA = '@platformatic/kafka';
const DUCKDB = '@duckdb/node-api';
const PROMETHEUS = 'prom-client';

describe('what a command loads at start', () => {
  it.each([
    ['run', [KAFKA, DUCKDB, PROMETHEUS]],
    ['replay', [KAFKA, DUCKDB, PROMETHEUS]],
    ['gen', [KAFKA, DUCKDB]],
    ['verify', [KAFKA]],
    ['serve', [KAFKA, DUCKDB]],
    ['batch', [KAFKA]],
    ['chaos', [KAFKA, DUCKDB]],
    ['sink', [KAFKA, DUCKDB]],
  ])('sat %s loads neither the Kafka client nor, where it needs no oracle, DuckDB (nor, for run and replay, the metrics server) until it is used', (command, heavy) => {
    const packages = staticPackages(join(SRC, 'cli', 'commands', `${command}.ts`));
    for (const p of heavy) expect(packages.get(p), `${p} is imported by ${packages.get(p)?.join(' <- ')}`).toBeUndefined();
  });

  it('the walk finds a package a command does import (the test can fail)', () => {
    expect(staticPackages(join(SRC, 'cli', 'commands', 'verify.ts')).get(DUCKDB)).toBeDefined();
    expect(staticPackages(join(SRC, 'engine', 'kafka', 'member-stream.ts')).get(KAFKA)).toBeDefined();
  });
});
