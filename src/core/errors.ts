/** Typed errors: only cli/main.ts turns them into exit codes. */
export class SatError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad flag, bad scenario, unreadable input: exit 2 with a one-line message. */
export class UsageError extends SatError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** A JSON file sat reads (a summary, the log's metadata): a file that is not JSON is named, exit 2. */
export function readJson<T>(file: string, read: (f: string) => string): T {
  const text = read(file);
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new UsageError(`${file}: not valid JSON (${(e as Error).message}); it may have been cut short or edited: run the step that writes it again`);
  }
}

/** The verification ran and found problems: exit 1. */
export class VerificationFailed extends SatError {
  constructor(message: string) {
    super(message, 1);
  }
}
