import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';

/**
 * package.json's `engines.node` must be a floor every installed dependency accepts, so `npm install`
 * on the Node the README names prints no EBADENGINE warning, except for the packages below, whose
 * declaration is known to be wrong upstream.
 */
const KNOWN_WRONG: Record<string, string> = {
  // Both declare Node >= 22.19 while the one package that uses them, @platformatic/kafka 1.35, declares
  // >= 20.19.4; every version of them does. The whole suite runs on Node 20.20 with them.
  '@platformatic/dynamic-buffer': 'parent @platformatic/kafka declares >= 20.19.4',
  '@platformatic/wasm-utils': 'parent @platformatic/kafka declares >= 20.19.4',
};

type V = [number, number, number];
const parse = (v: string): V => {
  const [a = 0, b = 0, c = 0] = v.replace(/^v/, '').split('.').map((x) => (x === 'x' || x === '*' ? 0 : Number(x)));
  return [a, b, c];
};
const cmp = (a: V, b: V) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** Whether version v meets a node-semver range of the forms npm packages use (>=, >, <, <=, ^, ~, x, *). */
function satisfies(v: V, range: string): boolean {
  return range.split('||').some((alt) => {
    const parts = alt.trim().replace(/(>=|<=|>|<|\^|~)\s+/g, '$1').split(/\s+/).filter(Boolean);
    return parts.every((c) => {
      const m = /^(>=|<=|>|<|\^|~)?v?([\d.x*]+)$/.exec(c);
      if (c === '*') return true;
      if (!m) throw new Error(`range form not understood: "${c}" in "${range}"`);
      const w = parse(m[2]);
      const places = m[2].split('.').filter((x) => x !== 'x' && x !== '*').length;
      switch (m[1]) {
        case '>=':
          return cmp(v, w) >= 0;
        case '>':
          return cmp(v, w) > 0;
        case '<':
          return cmp(v, w) < 0;
        case '<=':
          return cmp(v, w) <= 0;
        case '^':
          return cmp(v, w) >= 0 && (w[0] > 0 ? v[0] === w[0] : v[1] === w[1]);
        case '~':
          return cmp(v, w) >= 0 && v[0] === w[0] && (places < 2 || v[1] === w[1]);
        default:
          return v[0] === w[0] && (places < 2 || v[1] === w[1]) && (places < 3 || v[2] === w[2]);
      }
    });
  });
}

function installed(dir: string, out: { name: string; version: string; node: string }[] = []) {
  if (!existsSync(dir)) return out;
  for (const n of readdirSync(dir)) {
    if (n.startsWith('.')) continue;
    const p = join(dir, n);
    if (n.startsWith('@')) {
      installed(p, out);
      continue;
    }
    const file = join(p, 'package.json');
    if (!existsSync(file)) continue;
    const j = JSON.parse(readFileSync(file, 'utf8'));
    if (typeof j.engines?.node === 'string') out.push({ name: j.name, version: j.version, node: j.engines.node });
    installed(join(p, 'node_modules'), out);
  }
  return out;
}

describe('the Node version sat declares', () => {
  const declared = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).engines.node as string;
  const floor = parse(/^>=\s*([\d.]+)$/.exec(declared)?.[1] ?? 'none');

  it('reads ranges as npm does', () => {
    expect(satisfies([20, 19, 4], '>= 20.19.4 || >= 22.18.0 || >= 24.6.0')).toBe(true);
    expect(satisfies([20, 15, 0], '>= 20.19.4 || >= 22.18.0 || >= 24.6.0')).toBe(false);
    expect(satisfies([20, 19, 4], '^20.19.0 || ^22.13.0')).toBe(true);
    expect(satisfies([21, 0, 0], '^20.19.0 || ^22.13.0')).toBe(false);
    expect(satisfies([20, 19, 4], '^10 || ^12 || >=14')).toBe(true);
    expect(satisfies([20, 19, 4], '>= 22.19.0')).toBe(false);
  });

  it('is a floor (>=) that the running Node meets and every installed package accepts, but the known-wrong ones', () => {
    expect(declared).toMatch(/^>=\s*\d+\.\d+\.\d+$/);
    expect(satisfies(parse(process.version), declared)).toBe(true);
    const packages = installed(join(ROOT, 'node_modules'));
    expect(packages.length).toBeGreaterThan(20);
    const refusing = [...new Set(packages.filter((p) => !satisfies(floor, p.node)).map((p) => p.name))].sort();
    expect(refusing).toEqual(Object.keys(KNOWN_WRONG).sort());
  });
});
