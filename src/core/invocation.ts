import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** sat's version, from the package.json it ships with (dist/core -> ../../package.json). */
export const SAT_VERSION: string = (JSON.parse(readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

let args: string[] | undefined;

/** Called once by the CLI: the arguments this process was started with. */
export function setInvocation(argv: string[]): void {
  args = argv;
}

/**
 * The command line as a user could type it again (arguments with spaces or quotes quoted), for the
 * provenance replay, run and verify record; undefined when sat is used as a library.
 */
export function invocation(): string | undefined {
  if (args === undefined) return undefined;
  return ['sat', ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
