import type { FieldSpec, Scenario } from '../scenario/types.js';

/** SQL text helpers: identifiers and literals are always quoted, never pasted raw. */
export const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
export const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

const INT = `'[+-]?[0-9]+'`;
const FLOAT = `'[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?'`;
const ISO_DATE = `'[0-9]{4}-[0-9]{2}-[0-9]{2}'`;
const ISO_TIME = `'[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?'`;

/** The scenario's validity rule for one field, in SQL over the field's text (NULL = empty or absent). */
export function fieldValidSql(f: FieldSpec, present: boolean): string {
  if (!present) return 'FALSE';
  const v = ident(f.name);
  let typed: string;
  switch (f.type) {
    case 'string':
      typed = 'TRUE';
      break;
    case 'int':
      typed = `regexp_full_match(${v}, ${INT})`;
      break;
    case 'float':
      typed = `regexp_full_match(${v}, ${FLOAT})`;
      break;
    case 'date':
      typed = `(regexp_full_match(${v}, ${ISO_DATE}) AND TRY_CAST(${v} AS DATE) IS NOT NULL)`;
      break;
    case 'timestamp':
      typed = `(regexp_full_match(${v}, ${ISO_TIME}) AND TRY_CAST(${v} AS TIMESTAMPTZ) IS NOT NULL)`;
      break;
  }
  return `(CASE WHEN ${v} IS NULL THEN ${f.nullable} ELSE ${typed} END)`;
}

/** Event time in ms from the event-time field's text. */
export function eventTimeSql(s: Scenario): string {
  const f = s.fields.find((x) => x.name === s.eventTime)!;
  const v = ident(f.name);
  return f.type === 'date'
    ? `epoch_ms(CAST(TRY_CAST(${v} AS DATE) AS TIMESTAMP))`
    : `epoch_ms(TRY_CAST(${v} AS TIMESTAMPTZ))`;
}

/** One condition of a filter or alert, over the numeric column n_<field>. */
export function conditionSql(c: Scenario['filter'][number]): string {
  const v = ident(`n_${c.field}`);
  if (c.op === 'between') return `(${v} BETWEEN ${c.value} AND ${c.value2})`;
  const op = c.op === '==' ? '=' : c.op === '!=' ? '<>' : c.op;
  return `(${v} ${op} ${c.value})`;
}

/**
 * NULL-safe "equal within a relative tolerance": NULL vs NULL is equal, NULL vs a number is a
 * difference (a plain comparison would be NULL there and drop the row from a WHERE).
 */
export function nearSql(x: string, y: string, tolerance: number): string {
  return `(${x} IS NOT DISTINCT FROM ${y} OR coalesce(abs(${x} - ${y}) <= ${tolerance} * greatest(1, abs(${y})), FALSE))`;
}
