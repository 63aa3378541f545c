/**
 * The score formula: a small, safe expression language (never `eval`). It is a subset of SQL
 * expression syntax, so the oracle hands the same text to DuckDB and the two evaluations share
 * nothing but the grammar:
 *
 *   expr     := term (('+' | '-') term)*
 *   term     := unary (('*' | '/') unary)*
 *   unary    := '-' unary | primary
 *   primary  := number | name | name '.' name | func '(' expr (',' expr)* ')' | '(' expr ')'
 *   func     := coalesce | least | greatest | abs
 *
 * Names: a window aggregate (`avg_rating`), a batch column (`batch.tenure_months`) or an online
 * feature (`online.dropped_calls`). Semantics follow SQL: NULL propagates through arithmetic and
 * abs; coalesce takes the first non-NULL; least and greatest ignore NULLs (NULL only if all are);
 * `/` is floating-point division (x/0 is ±Infinity, 0/0 NaN).
 */
export type Expr =
  | { kind: 'num'; value: number }
  | { kind: 'ref'; source: RefSource; name: string }
  | { kind: 'neg'; arg: Expr }
  | { kind: 'bin'; op: '+' | '-' | '*' | '/'; left: Expr; right: Expr }
  | { kind: 'call'; fn: Func; args: Expr[] };

export type RefSource = 'window' | 'batch' | 'online';
export type Func = 'coalesce' | 'least' | 'greatest' | 'abs';
const FUNCS: ReadonlySet<string> = new Set(['coalesce', 'least', 'greatest', 'abs']);

const TOKEN = /(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([a-z_][a-z0-9_]*)|([-+*/(),.])/y;

type Token = { kind: 'num'; value: number; at: number } | { kind: 'name'; text: string; at: number } | { kind: 'op'; text: string; at: number };

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let at = 0;
  for (;;) {
    while (at < text.length && /\s/.test(text[at])) at++;
    if (at >= text.length) return out;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(text);
    if (m === null) throw new Error(`unexpected "${text[at]}" at position ${at + 1}`);
    if (m[1] !== undefined) out.push({ kind: 'num', value: Number(m[1]), at });
    else if (m[2] !== undefined) out.push({ kind: 'name', text: m[2], at });
    else out.push({ kind: 'op', text: m[3], at });
    at = TOKEN.lastIndex;
  }
}

/** Parses a formula; throws an Error naming the problem and its position. */
export function parseExpression(text: string): Expr {
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i];
  const where = () => (i < tokens.length ? `at position ${tokens[i].at + 1}` : 'at the end');
  const isOp = (t: Token | undefined, op: string) => t?.kind === 'op' && t.text === op;
  const expect = (op: string) => {
    if (!isOp(peek(), op)) throw new Error(`expected "${op}" ${where()}`);
    i++;
  };

  function expr(): Expr {
    let left = term();
    while (isOp(peek(), '+') || isOp(peek(), '-')) {
      const op = (tokens[i++] as { text: '+' | '-' }).text;
      left = { kind: 'bin', op, left, right: term() };
    }
    return left;
  }
  function term(): Expr {
    let left = unary();
    while (isOp(peek(), '*') || isOp(peek(), '/')) {
      const op = (tokens[i++] as { text: '*' | '/' }).text;
      left = { kind: 'bin', op, left, right: unary() };
    }
    return left;
  }
  function unary(): Expr {
    if (isOp(peek(), '-')) {
      i++;
      return { kind: 'neg', arg: unary() };
    }
    return primary();
  }
  function primary(): Expr {
    const t = peek();
    if (t === undefined) throw new Error('unexpected end of the formula');
    i++;
    if (t.kind === 'num') return { kind: 'num', value: t.value };
    if (t.kind === 'op') {
      if (t.text !== '(') throw new Error(`unexpected "${t.text}" at position ${t.at + 1}`);
      const e = expr();
      expect(')');
      return e;
    }
    if (isOp(peek(), '(')) {
      if (!FUNCS.has(t.text)) throw new Error(`unknown function "${t.text}" (coalesce, least, greatest, abs)`);
      i++;
      const args = [expr()];
      while (isOp(peek(), ',')) {
        i++;
        args.push(expr());
      }
      expect(')');
      if (t.text === 'abs' && args.length !== 1) throw new Error('abs takes one argument');
      return { kind: 'call', fn: t.text as Func, args };
    }
    if (isOp(peek(), '.')) {
      i++;
      const n = peek();
      if (n?.kind !== 'name') throw new Error(`expected a name after "${t.text}." ${where()}`);
      i++;
      if (t.text !== 'batch' && t.text !== 'online') throw new Error(`unknown source "${t.text}" (batch.<column> or online.<feature>)`);
      return { kind: 'ref', source: t.text, name: n.text };
    }
    return { kind: 'ref', source: 'window', name: t.text };
  }

  const e = expr();
  if (i < tokens.length) throw new Error(`unexpected "${(tokens[i] as { text?: string }).text ?? String((tokens[i] as { value: number }).value)}" at position ${tokens[i].at + 1}`);
  return e;
}

/** Every name the formula reads, by source. */
export function references(e: Expr): Record<RefSource, string[]> {
  const out: Record<RefSource, Set<string>> = { window: new Set(), batch: new Set(), online: new Set() };
  const walk = (x: Expr): void => {
    if (x.kind === 'ref') out[x.source].add(x.name);
    else if (x.kind === 'neg') walk(x.arg);
    else if (x.kind === 'bin') {
      walk(x.left);
      walk(x.right);
    } else if (x.kind === 'call') x.args.forEach(walk);
  };
  walk(e);
  return { window: [...out.window], batch: [...out.batch], online: [...out.online] };
}

/** Where a compiled formula reads its inputs: null for a missing value. */
export interface Inputs {
  window(name: string): number | null;
  batch(name: string): number | null;
  online(name: string): number | null;
}

export type Compiled = (inputs: Inputs) => number | null;

/** Compiles to closures once; each evaluation is then a few function calls, no parsing. */
export function compile(e: Expr): Compiled {
  switch (e.kind) {
    case 'num': {
      const v = e.value;
      return () => v;
    }
    case 'ref': {
      const { source, name } = e;
      return (x) => x[source](name);
    }
    case 'neg': {
      const a = compile(e.arg);
      return (x) => {
        const v = a(x);
        return v === null ? null : -v;
      };
    }
    case 'bin': {
      const l = compile(e.left);
      const r = compile(e.right);
      const f = e.op === '+' ? (a: number, b: number) => a + b : e.op === '-' ? (a: number, b: number) => a - b : e.op === '*' ? (a: number, b: number) => a * b : (a: number, b: number) => a / b;
      return (x) => {
        const a = l(x);
        if (a === null) return null;
        const b = r(x);
        return b === null ? null : f(a, b);
      };
    }
    case 'call': {
      const args = e.args.map(compile);
      if (e.fn === 'abs') {
        return (x) => {
          const v = args[0](x);
          return v === null ? null : Math.abs(v);
        };
      }
      if (e.fn === 'coalesce') {
        return (x) => {
          for (const a of args) {
            const v = a(x);
            if (v !== null) return v;
          }
          return null;
        };
      }
      const pick = e.fn === 'least' ? Math.min : Math.max;
      return (x) => {
        let out: number | null = null;
        for (const a of args) {
          const v = a(x);
          if (v !== null) out = out === null ? v : pick(out, v);
        }
        return out;
      };
    }
  }
}
