import type { z } from 'zod';

/**
 * Scenario schema errors as a user can act on them: an unknown key with the nearest known one
 * ("windw: not a scenario key; did you mean window?"), a missing key with what it is for, the window
 * kinds spelled out, not zod's "expected array, received undefined". Unknown keys come first: a
 * misspelt key is also the missing one.
 */
export function describeIssues(issues: z.core.$ZodIssue[], schema: z.ZodType, raw: unknown): string {
  const order = (i: z.core.$ZodIssue) => (i.code === 'unrecognized_keys' ? 0 : i.code === 'invalid_union' ? 1 : 2);
  const sorted = [...issues].sort((a, b) => order(a) - order(b));
  return [...new Set(sorted.slice(0, 3).map((i) => describe(i, schema, raw)))].join('; ');
}

/** What each top-level key is, for a missing one. */
const REQUIRED_HINTS: Record<string, string> = {
  name: 'the scenario\'s name',
  key: 'the field results are grouped by, e.g. product_id',
  event_time: 'the field holding each record\'s event time, e.g. review_date',
  id: 'the list of fields that identify a record, for deduplication, e.g. [review_id] (all fields of a row: list them all)',
  fields: 'each field and its type, e.g. {review_id: string, star_rating: int, review_date: date}',
  window: 'e.g. {tumbling: 1m} or {sliding: 1h, every: 1m}',
  aggregations: 'results to compute, e.g. {reviews: count, avg_rating: avg(star_rating)}',
  watermark: 'how far the watermark trails the largest event time seen, e.g. 1m (0s: no delay)',
};

/** The accepted shapes of the keys that take one of several. */
const UNION_SHAPES: Record<string, string> = {
  window: '{tumbling: DURATION} or {sliding: DURATION, every: DURATION}, each with an optional emit: all | active',
  event_time: 'a field name, or {field: NAME, format: iso | epoch_s | epoch_ms | epoch_us | "%Y-%m-%d %H:%M:%S", zone: an IANA name such as America/New_York}',
};

function describe(issue: z.core.$ZodIssue, schema: z.ZodType, raw: unknown): string {
  const where = issue.path.join('.');
  const at = where ? `${where}: ` : '';
  if (issue.code === 'unrecognized_keys') {
    const known = keysAt(schema, issue.path);
    return issue.keys.map((k) => `${where ? `${where}.` : ''}${k}: not a scenario key${suggest(k, known)}`).join('; ');
  }
  if (issue.code === 'invalid_union' && where in UNION_SHAPES && valueAt(raw, issue.path) !== undefined) {
    const given = valueAt(raw, issue.path);
    const known = keysAt(schema, issue.path);
    const unknown = given && typeof given === 'object' ? Object.keys(given).filter((k) => !known.includes(k)) : [];
    const typo = unknown.map((k) => `${k}${suggest(k, known)}`).join(', ');
    return `${where}: ${typo ? `${typo}; ` : ''}expected ${UNION_SHAPES[where]}`;
  }
  if ((issue.code === 'invalid_type' || issue.code === 'invalid_union') && valueAt(raw, issue.path) === undefined) {
    const hint = issue.path.length === 1 ? REQUIRED_HINTS[String(issue.path[0])] : undefined;
    return `${at}required${hint ? `: ${hint}` : issue.code === 'invalid_type' ? ` (${issue.expected})` : ''}`;
  }
  if (issue.code === 'invalid_type') return `${at}expected ${issue.expected === 'array' ? 'a list' : issue.expected === 'object' ? 'a mapping' : `a ${issue.expected}`}, found ${JSON.stringify(valueAt(raw, issue.path))?.slice(0, 40)}`;
  return `${at}${issue.message}`;
}

/** ", did you mean X?" for a near miss (at most 2 edits, or a prefix), else the known keys. */
function suggest(key: string, known: string[]): string {
  const near = known.map((k) => ({ k, d: distance(key.toLowerCase(), k.toLowerCase()) })).sort((a, b) => a.d - b.d)[0];
  if (near && (near.d <= 2 || near.k.startsWith(key) || key.startsWith(near.k))) return `; did you mean ${near.k}?`;
  return known.length ? ` (known: ${known.join(', ')})` : '';
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return d[a.length][b.length];
}

function valueAt(raw: unknown, path: PropertyKey[]): unknown {
  let v = raw;
  for (const p of path) v = v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

type Def = { type: string; shape?: Record<string, z.ZodType>; innerType?: z.ZodType; options?: z.ZodType[]; valueType?: z.ZodType; element?: z.ZodType };
const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The keys a mapping at this path may have (all the options' keys for a union). */
function keysAt(schema: z.ZodType, path: PropertyKey[]): string[] {
  const objects = (s: z.ZodType): Def[] => {
    const d = defOf(s);
    if (d.type === 'optional' || d.type === 'default' || d.type === 'nullable') return objects(d.innerType!);
    if (d.type === 'union') return d.options!.flatMap(objects);
    return d.type === 'object' ? [d] : [];
  };
  let level: z.ZodType[] = [schema];
  for (const p of path) {
    level = level.flatMap((s) => {
      const found = objects(s).map((d) => d.shape![String(p)]).filter(Boolean);
      const d = defOf(s);
      if (d.type === 'record') found.push(d.valueType!);
      if (d.type === 'array') found.push(d.element!);
      return found;
    });
  }
  return [...new Set(level.flatMap(objects).flatMap((d) => Object.keys(d.shape!)))];
}
