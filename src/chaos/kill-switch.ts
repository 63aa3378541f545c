/**
 * The other half of `sat chaos kill --after-records A..B`: the killer cannot see how far its child
 * has read, so it tells the child, and the child SIGKILLs itself right after processing its n-th
 * record since it started. A kill at a record count lands at the same place in the stream however
 * busy the machine is, unlike a kill after a wall-clock time.
 */
export const KILL_AFTER_RECORDS_ENV = 'SAT_KILL_AFTER_RECORDS';

/** Call once per record processed; undefined when this process has no kill point. */
export function killSwitch(env: NodeJS.ProcessEnv = process.env): (() => void) | undefined {
  const n = Number(env[KILL_AFTER_RECORDS_ENV]);
  if (!Number.isInteger(n) || n <= 0) return undefined;
  let seen = 0;
  return () => {
    if (++seen === n) process.kill(process.pid, 'SIGKILL');
  };
}
