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

/** The verification ran and found problems: exit 1. */
export class VerificationFailed extends SatError {
  constructor(message: string) {
    super(message, 1);
  }
}
