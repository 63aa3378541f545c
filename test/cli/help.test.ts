import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { EXAMPLES } from '../../src/cli/examples.js';
import { kafkaConnection } from '../../src/transport/kafka/config.js';
import { ROOT, sat, tempDir } from '../helpers.js';

const sample = join(ROOT, 'datasets', 'reviews-sample.tsv');

/** Every command that does something (has no subcommands), by its path: "run", "chaos kill". */
function leafCommands(c: Command, path: string[] = []): string[] {
  return c.commands.flatMap((sub) => (sub.commands.length > 0 ? leafCommands(sub, [...path, sub.name()]) : [[...path, sub.name()].join(' ')]));
}

const allCommands = (c: Command): Command[] => c.commands.flatMap((sub) => [sub, ...allCommands(sub)]);

describe('help and flags follow the conventions of kcat, k6 and Kafka\'s tools', () => {
  const commands = leafCommands(buildProgram(() => undefined));

  it('every command\'s --help ends with examples, each a sat command line', () => {
    expect(commands.length).toBeGreaterThan(10);
    expect(Object.keys(EXAMPLES).sort()).toEqual([...commands].sort());
    for (const name of commands) {
      const help = sat(...name.split(' '), '--help');
      expect(help.code, name).toBe(0);
      const examples = help.stdout.split('Examples:\n')[1] ?? '';
      const lines = examples.split('\n').filter(Boolean);
      expect(lines.length, name).toBeGreaterThanOrEqual(1);
      for (const l of lines) expect(l, name).toMatch(new RegExp(`^  \\$ sat ${name} ?`));
    }
  });

  it('prints defaults as a user writes them: durations, not raw milliseconds', () => {
    const run = sat('run', '--help').stdout;
    expect(run).toMatch(/--checkpoint-interval <duration>[^]*?\(default: 2s\)/);
    expect(run).toMatch(/--commit-interval <duration>[^]*?\(default: 500ms\)/);
    expect(sat('gen', '--help').stdout).toMatch(/--span <duration>[^]*?\(default: 6h\)/);
    expect(sat('chaos', 'kill', '--help').stdout).toMatch(/\(default: 500ms\.\.2s\)/);
    // Every time flag with a default shows it as a duration (or a range of them).
    const timeFlags = allCommands(buildProgram(() => undefined)).flatMap((c) => c.options.filter((o) => /<(duration|range)>/.test(o.flags) && o.defaultValue !== undefined));
    expect(timeFlags.length).toBeGreaterThan(8);
    for (const o of timeFlags) expect(o.defaultValueDescription, o.flags).toMatch(/^(none|\d+(ms|s|m|h|d)(\.\.\d+(ms|s|m|h|d))?)$/);
  });

  it('every time flag takes a duration; a bare number is milliseconds; nonsense is named', () => {
    const dir = tempDir();
    expect(sat('replay', sample, '--scenario', 'reviews', '--dir', dir).code).toBe(0);
    // --idle-timeout was a number of milliseconds only: 5s is taken now, and the run ends on it.
    const run = sat('run', '--dir', dir, '--follow', '--idle-timeout', '1s', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(sat('run', '--dir', dir, '--fresh', '--commit-interval', '750', '--checkpoint-interval', '1m').code).toBe(0);
    const bad = sat('run', '--dir', dir, '--idle-timeout', 'soon');
    expect([bad.code, /--idle-timeout <duration>.*"soon" is not a duration/.test(bad.stderr)]).toEqual([2, true]);
  });

  it('sat report takes --dir like every other command, or the directory as before', () => {
    const dir = tempDir();
    expect(sat('replay', sample, '--scenario', 'reviews', '--dir', dir).code).toBe(0);
    expect(sat('run', '--dir', dir).code).toBe(0);
    expect(sat('verify', '--dir', dir).code).toBe(0);
    const byFlag = sat('report', '--dir', dir, '--json');
    const byArg = sat('report', dir, '--json');
    expect([byFlag.code, byArg.code]).toEqual([0, 0]);
    expect(byFlag.json.pass).toBe(true);
    expect(byFlag.json.checks).toEqual(byArg.json.checks);
    const both = sat('report', dir, '--dir', tempDir());
    expect([both.code, /two working directories/.test(both.stderr)]).toEqual([2, true]);
  });

  it('--bootstrap-server is --brokers; -X key=value sets a client property over --kafka-config', () => {
    const disagree = sat('replay', sample, '--scenario', 'reviews', '--dir', tempDir(), '--brokers', '127.0.0.1:1', '--bootstrap-server', '127.0.0.1:2', '--topic', 't');
    expect([disagree.code, /--brokers 127.0.0.1:1 and --bootstrap-server 127.0.0.1:2 disagree/.test(disagree.stderr)]).toEqual([2, true]);
    // Alone, --bootstrap-server sends to Kafka: an unreachable one is named, the embedded log is not used.
    const dir = tempDir();
    const alias = sat('replay', sample, '--scenario', 'reviews', '--dir', dir, '--bootstrap-server', '127.0.0.1:1', '--topic', 't');
    expect(alias.code).not.toBe(0);
    expect(alias.stderr).toMatch(/127\.0\.0\.1:1/);
    const badX = sat('run', '--dir', tempDir(), '--scenario', 'reviews', '--bootstrap-server', '127.0.0.1:1', '--topic', 't', '-X', 'sasl.mechanism');
    expect([badX.code, /-X sasl.mechanism: expected key=value/.test(badX.stderr)]).toEqual([2, true]);

    const conn = kafkaConnection('127.0.0.1:9092', undefined, {}, ['security.protocol=SASL_PLAINTEXT', 'sasl.mechanism=SCRAM-SHA-256', 'sasl.username=u', 'sasl.password=p=w']);
    expect(conn.sasl).toEqual({ mechanism: 'SCRAM-SHA-256', username: 'u', password: 'p=w' });
    expect(conn.tls).toBeUndefined();
  });
});
