import type { Condition } from './types.js';

const NAME = '([A-Za-z_][\\w-]*)';
const NUMBER = '-?\\d+(?:\\.\\d+)?';
const QUOTED = `'[^']*'|"[^"]*"`;
const COMPARE = new RegExp(`^\\s*${NAME}\\s*(<=|>=|==|=|!=|<|>)\\s*(${NUMBER}|${QUOTED})\\s*$`);
const BETWEEN = new RegExp(`^\\s*${NAME}\\s+between\\s+(${NUMBER})\\s+and\\s+(${NUMBER})\\s*$`, 'i');
const IN = new RegExp(`^\\s*${NAME}\\s+(not\\s+in|in)\\s*\\((.*)\\)\\s*$`, 'i');
const ITEM = new RegExp(`^\\s*(${NUMBER}|${QUOTED})\\s*$`);

const valueOf = (text: string): number | string => (text[0] === "'" || text[0] === '"' ? text.slice(1, -1) : Number(text));

/**
 * Parses "temperature > 20", "humidity between 30 and 40", "flag = 'N'", "payment_type in (1, 2)"
 * or "vendor not in ('a', 'b')"; returns an error text on failure. A quoted value compares text, a
 * bare number compares numbers; the loader checks that against the field's type.
 */
export function parseCondition(text: string): Condition | string {
  let m = BETWEEN.exec(text);
  if (m) return { field: m[1], op: 'between', value: +m[2], value2: +m[3], text };
  m = IN.exec(text);
  if (m) {
    // Items split on commas outside quotes: 'a, b' is one text.
    const items = m[3].match(/'[^']*'|"[^"]*"|[^,]+/g) ?? [];
    const set: (number | string)[] = [];
    for (const item of items) {
      const i = ITEM.exec(item);
      if (i === null) return `"${text}": "${item.trim()}" is not a number or a quoted text`;
      set.push(valueOf(i[1]));
    }
    if (set.length === 0) return `"${text}": in () needs at least one value`;
    if (new Set(set.map((v) => typeof v)).size > 1) return `"${text}": the values must be all numbers or all quoted texts`;
    return { field: m[1], op: m[2].toLowerCase().startsWith('not') ? 'not in' : 'in', value: 0, set, text };
  }
  m = COMPARE.exec(text);
  if (m) {
    const op = (m[2] === '=' ? '==' : m[2]) as Condition['op'];
    const v = valueOf(m[3]);
    if (typeof v === 'number') return { field: m[1], op, value: v, text };
    if (op !== '==' && op !== '!=') return `"${text}": a text compares with = or != only`;
    return { field: m[1], op: op === '==' ? 'in' : 'not in', value: 0, set: [v], text };
  }
  return `"${text}" is not a condition (examples: "battery < 2000", "humidity between 30 and 40", "flag = 'N'", "payment_type in (1, 2)")`;
}

/** Whether a record's value meets the condition; an empty (null) value meets none, not even != or not in. */
export function holds(c: Condition, v: unknown): boolean {
  if (c.set !== undefined) {
    if (v === null || v === undefined) return false;
    return c.set.includes(v as number | string) === (c.op === 'in');
  }
  if (typeof v !== 'number') return false;
  switch (c.op) {
    case '<': return v < c.value;
    case '<=': return v <= c.value;
    case '>': return v > c.value;
    case '>=': return v >= c.value;
    case '==': return v === c.value;
    case '!=': return v !== c.value;
    case 'between': return v >= c.value && v <= (c.value2 as number);
    default: return false;
  }
}
