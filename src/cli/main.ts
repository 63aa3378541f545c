import { setInvocation } from '../core/invocation.js';
import { CommanderError } from 'commander';
import { SatError } from '../core/errors.js';
import { buildProgram } from './program.js';

/**
 * The only place that exits: 0 ok, 1 verification failed, 2 bad usage or input, 3 environment (files,
 * Kafka: typed where they happen, FileSystemError and KafkaError), 4 internal bug.
 */
export async function main(argv: string[]): Promise<void> {
  let code = 0;
  setInvocation(argv.slice(2));
  const program = buildProgram((c) => (code = c));
  program.exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  // Every level, nested subcommands too (serve online, chaos kill): a usage error is exit 2, never 1.
  const override = (cmd: typeof program): void => {
    for (const c of cmd.commands) {
      c.exitOverride();
      override(c);
    }
  };
  override(program);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      code = e.exitCode === 0 ? 0 : 2; // help and version exit 0; every usage error exits 2
    } else if (e instanceof SatError) {
      process.stderr.write(`sat: ${e.message}\n`);
      code = e.exitCode;
    } else if (typeof (e as NodeJS.ErrnoException)?.code === 'string' && /^E[A-Z]+$/.test((e as NodeJS.ErrnoException).code!)) {
      process.stderr.write(`sat: ${(e as Error).message}\n`); // file system: missing, unreadable, full
      code = 3;
    } else {
      process.stderr.write(`sat: internal error: ${(e as Error)?.stack ?? e}\nThis is a bug; please report it.\n`);
      code = 4;
    }
  }
  process.exitCode = code;
}
