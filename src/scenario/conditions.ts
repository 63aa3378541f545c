import type { Condition } from './types.js';

const COMPARE = /^\s*([A-Za-z_][\w-]*)\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/;
const BETWEEN = /^\s*([A-Za-z_][\w-]*)\s+between\s+(-?\d+(?:\.\d+)?)\s+and\s+(-?\d+(?:\.\d+)?)\s*$/i;

/** Parses "temperature > 20" or "humidity between 30 and 40"; returns an error text on failure. */
export function parseCondition(text: string): Condition | string {
  let m = BETWEEN.exec(text);
  if (m) return { field: m[1], op: 'between', value: +m[2], value2: +m[3], text };
  m = COMPARE.exec(text);
  if (m) return { field: m[1], op: m[2] as Condition['op'], value: +m[3], text };
  return `"${text}" is not a condition (examples: "battery < 2000", "humidity between 30 and 40")`;
}

export function holds(c: Condition, v: number): boolean {
  switch (c.op) {
    case '<': return v < c.value;
    case '<=': return v <= c.value;
    case '>': return v > c.value;
    case '>=': return v >= c.value;
    case '==': return v === c.value;
    case '!=': return v !== c.value;
    case 'between': return v >= c.value && v <= (c.value2 as number);
  }
}
