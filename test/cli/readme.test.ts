import { Command, CommanderError } from 'commander';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXAMPLES } from '../../src/cli/examples.js';
import { buildProgram } from '../../src/cli/program.js';
import { ROOT, sat } from '../helpers.js';

/**
 * Every command the README and docs/ show must run as written in a user's clone: no paths into
 * ../shared (a clone has none), every `sat` line parses with the real CLI (its subcommands, flags
 * and values), every file it names under datasets/, profiles/, scripts/ or engines/ exists, and the
 * step-by-step loop runs for real. Lines of your own tools (spark-submit my_job.py) are left alone.
 */
const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** The shell blocks of a Markdown file, continuation lines joined. */
function shellLines(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const blocks = [...text.matchAll(/```(?:sh|bash)\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks.flatMap((b) => b.replace(/\\\n\s*/g, ' ').split('\n')).map((l) => l.trim()).filter((l) => l !== '');
}

/** Shell words of one command line: quotes kept together, comments and redirections dropped. */
function words(segment: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const m of segment.matchAll(re)) {
    const w = m[1] ?? m[2] ?? m[3];
    if (m[3]?.startsWith('#')) break;
    out.push(w);
  }
  const redirect = out.findIndex((w) => w === '>' || w === '<' || w === '2>&1');
  return redirect === -1 ? out : out.slice(0, redirect);
}

/** The commands of a line: split on && ; | and a trailing &, `for ...; do X; done` unwrapped, $i as 1. */
function commands(line: string): string[][] {
  const body = line.replace(/#[^'"]*$/, '').replace(/^for .*?; do (.*); done$/, '$1').replace(/\$i\b/g, '1');
  return body.split(/&&|;|\|(?!\|)|&(?=\s|$)/).map((s) => words(s.trim())).filter((w) => w.length > 0);
}

/** sat's own command line, without running anything: each action replaced, errors thrown. */
async function parses(args: string[]): Promise<string | undefined> {
  const program = buildProgram(() => undefined);
  let err = '';
  const quiet = (c: Command) => {
    c.exitOverride().configureOutput({ writeOut: () => undefined, writeErr: (s) => (err += s) }).action(() => undefined);
    c.commands.forEach(quiet);
  };
  quiet(program);
  try {
    await program.parseAsync(['node', 'sat', ...args]);
    return undefined;
  } catch (e) {
    if (e instanceof CommanderError) return err.trim() || e.message;
    return (e as Error).message;
  }
}

const satArgs = (w: string[]) => (w[0] === 'sat' ? w.slice(1) : w[0] === 'npx' && w[1] === 'sat' ? w.slice(2) : undefined);

describe('every command in the README and docs/ runs as written in a clone', () => {
  const lines = DOCS.flatMap((file) => shellLines(file).map((line) => ({ file, line })));

  it('no command reaches into ../shared', () => {
    expect(lines.filter((l) => l.line.includes('../shared'))).toEqual([]);
    expect(lines.length).toBeGreaterThan(30);
  });

  it("every sat command (and every --help example) parses with sat's own CLI", async () => {
    const fromDocs = lines.flatMap(({ file, line }) => commands(line).map((w) => ({ where: `${file}: ${line}`, args: satArgs(w) })));
    const fromHelp = Object.entries(EXAMPLES).flatMap(([cmd, ex]) => ex.flatMap((line) => commands(line).map((w) => ({ where: `sat ${cmd} --help: ${line}`, args: satArgs(w) }))));
    const all = [...fromDocs, ...fromHelp].filter((c): c is { where: string; args: string[] } => c.args !== undefined);
    const problems: string[] = [];
    for (const c of all) {
      const problem = await parses(c.args);
      if (problem !== undefined) problems.push(`${c.where}\n    -> ${problem}`);
    }
    expect(problems).toEqual([]);
    expect(all.length).toBeGreaterThan(40);
  });

  it('every file a command names in the repository exists', () => {
    const named = lines.flatMap(({ file, line }) => commands(line).flatMap((w) => w.filter((x) => /^(datasets|profiles|scripts|engines|docs|bench)\//.test(x)).map((x) => ({ file, x }))));
    expect(named.filter(({ x }) => !existsSync(join(ROOT, x)))).toEqual([]);
    expect(named.length).toBeGreaterThan(5);
  });

  const loopDir = '/tmp/sat-loop';
  afterAll(() => rmSync(loopDir, { recursive: true, force: true }));

  it('"The loop, step by step" runs, and its verify passes', () => {
    const block = shellLines('README.md').filter((l) => l.includes(`--dir ${loopDir}`));
    expect(block).toHaveLength(3);
    rmSync(loopDir, { recursive: true, force: true });
    for (const line of block) {
      const [w] = commands(line);
      const r = sat(...satArgs(w)!);
      expect(r.code, `${line}\n${r.stderr}`).toBe(0);
      if (w.includes('verify')) expect(r.json.pass).toBe(true);
    }
  });
});
