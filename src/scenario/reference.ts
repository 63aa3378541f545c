import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { EPOCH_FORMATS, PATTERN_CODES } from '../core/time-format.js';
import { INJECTED_FAULTS } from '../replay/faults/kinds.js';
import { PROFILES_DIR } from './load.js';
import { RawScenario } from './schema.js';
import { AGGREGATION_OPS } from './types.js';

/**
 * docs/scenario-reference.md, written from the schema the loader validates with and from the lists
 * the engine uses (aggregations, pattern codes, faults): `sat scenario reference` prints it, `npm run
 * docs` writes it, and a test fails when the committed file differs, so it cannot drift.
 */
type Json = { type?: string | string[]; description?: string; default?: unknown; properties?: Record<string, Json>; required?: string[]; anyOf?: Json[]; items?: Json; enum?: unknown[]; additionalProperties?: Json | boolean; prefixItems?: Json[] };

const code = (s: string) => `\`${s.replace(/\|/g, '\\|')}\``;
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function typeOf(j: Json): string {
  if (j.enum) return j.enum.map((e) => String(e)).join(' | ');
  if (j.anyOf) return j.anyOf.map(typeOf).filter((t, i, all) => all.indexOf(t) === i).join(' or ');
  if (j.type === 'array') return j.prefixItems ? `[${j.prefixItems.map(typeOf).join(', ')}]` : `list of ${typeOf(j.items ?? {})}`;
  if (j.type === 'object') return j.properties ? 'mapping' : `mapping of name: ${typeOf(j.additionalProperties as Json)}`;
  return Array.isArray(j.type) ? j.type.join(' or ') : (j.type ?? 'any');
}

/** One row per key, nested keys by their dotted path; a key with alternatives lists each one's keys. */
function rows(j: Json, path: string, required: boolean, out: string[]): void {
  const def = j.default === undefined ? (required ? 'required' : '') : code(JSON.stringify(j.default));
  out.push(`| ${code(path)} | ${cell(typeOf(j))} | ${def} | ${cell(j.description ?? '')} |`);
  const objects = j.anyOf ? j.anyOf.filter((o) => o.properties) : j.properties ? [j] : [];
  for (const o of objects) {
    for (const [k, v] of Object.entries(o.properties!)) rows(v, `${path}.${k}`, o.required?.includes(k) ?? false, out);
  }
}

function profiles(): string[] {
  return readdirSync(PROFILES_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => {
      const doc = parseYaml(readFileSync(join(PROFILES_DIR, f), 'utf8')) as { name: string; description?: string };
      return `| ${code(doc.name)} | ${code(`profiles/${f}`)} | ${cell(doc.description ?? '')} |`;
    });
}

export function scenarioReference(): string {
  const schema = z.toJSONSchema(RawScenario, { io: 'input', unrepresentable: 'any' }) as Json;
  const keys: string[] = [];
  for (const [k, v] of Object.entries(schema.properties!)) rows(v, k, schema.required?.includes(k) ?? false, keys);
  return `# Scenario reference

<!-- Written by \`npm run docs\` (sat scenario reference) from src/scenario/schema.ts and the lists the
engine uses; test/scenario/reference.test.ts fails when this file is not what it writes. -->

A scenario is a YAML file: \`--scenario NAME\` finds \`profiles/NAME.yaml\`, and \`--scenario PATH\` reads
your own. \`sat scenario infer FILE\` writes a first one for a data file. A mistake is refused with the
key's path and, for a misspelt key, the nearest known one (exit 2). The rules these keys set (windows,
watermarks, lateness, dedup, event time, validity, filters) are in the README's "Semantics", once.

## Built-in scenarios

| name | file | what |
|---|---|---|
${profiles().join('\n')}

## Keys

| key | type | default | what |
|---|---|---|---|
${keys.join('\n')}

## Field types

| type | a valid value |
|---|---|
| \`string\` | any text |
| \`int\` | a whole number, \\|v\\| < 2^53 |
| \`float\` | a finite number |
| \`timestamp\` | a time: the event time in its \`format\`, any other as ISO-8601 |
| \`date\` | \`YYYY-MM-DD\` (midnight; the event time may also use a pattern) |

A \`?\` after the type (\`float?\`) lets the value be empty (null). The key cannot be nullable, nor the event time.

## Event-time formats

| format | reads |
|---|---|
| \`iso\` | \`YYYY-MM-DD\`, optionally \`T\` or a space and \`HH:MM:SS\`, a fraction of 1-9 digits, \`Z\` or \`+HH:MM\` |
${Object.entries(EPOCH_FORMATS).map(([f, unit]) => `| \`${f}\` | a non-negative whole number of ${unit === 's' ? 'seconds (a fraction allowed)' : unit === 'ms' ? 'milliseconds' : 'microseconds'} since 1970-01-01T00:00:00Z |`).join('\n')}
| a pattern | strptime codes below; any other character is itself, and the whole text must match |

| code | matches |
|---|---|
${Object.entries(PATTERN_CODES).map(([c, v]) => `| \`%${c}\` | ${cell(v.what)} |`).join('\n')}

## Windows

| kind | keys |
|---|---|
| tumbling | \`{tumbling: 1m}\`: back-to-back windows of one size |
| sliding | \`{sliding: 1h, every: 1m}\`: windows of a size starting every slide (the size a multiple of the slide) |

Both take \`emit: all\` (default) or \`emit: active\`. Windows are \`[start, end)\` and aligned to the UTC epoch.

## Aggregations

${AGGREGATION_OPS.map((o) => `\`${o === 'count' ? 'count()' : `${o}(field)`}\``).join(', ')}: see the README's "Aggregations" for what each returns on nulls and ties.

## Conditions (filter, alerts)

On a number: \`f < 1\`, \`f <= 1\`, \`f > 1\`, \`f >= 1\`, \`f == 1\` (or \`=\`), \`f != 1\`, \`f between 1 and 2\`,
\`f in (1, 2)\`, \`f not in (1, 2)\`. On a string field, values quoted: \`f = 'N'\`, \`f != 'N'\`,
\`f in ('a', 'b')\`, \`f not in ('a')\`. An empty value meets no condition.

## Faults

| key | replay flag | what |
|---|---|---|
${INJECTED_FAULTS.map((f) => `| \`faults.${f.scenarioKey}\` | \`${f.flag}\` | ${cell(f.help)} |`).join('\n')}
| \`faults.late_by\` | \`--late-by\` | how far past its window's close a late record arrives (default \`1m..10m\`) |

## Durations

\`500ms\`, \`30s\`, \`5m\`, \`1h30m\`, \`2d\`; a bare number is milliseconds. A range is \`1m..10m\`.
`;
}
