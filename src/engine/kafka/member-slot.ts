import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/**
 * A member's place in the group on this machine, held by a pid file in the checkpoint directory.
 * A restarted member takes the slot of the member that died before it, and with it the same
 * transactional id: its producer's InitProducerId then fences the dead one and aborts its open
 * transaction at once. With a fresh id per process, that transaction would stay open until the
 * broker times it out, holding every read_committed reader of the output partitions it touched
 * (verify, downstream jobs) at its first record. Kafka Streams keeps a process id in its state
 * directory for the same reason.
 */
export interface MemberSlot {
  slot: number;
  transactionalId: string;
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function holder(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8'));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Creates the pid file if nobody holds it: true when this process now holds the slot. */
function tryCreate(file: string): boolean {
  try {
    const fd = openSync(file, 'wx');
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/** Moves a dead member's pid file aside (rename is atomic: of two members racing, one wins). */
function takeOver(file: string, deadPid: number): void {
  const aside = `${file}.${process.pid}.stale`;
  try {
    renameSync(file, aside);
  } catch {
    return; // someone else moved it first
  }
  // If a live member claimed the slot between the read and the rename, give it back.
  if ((holder(aside) ?? -1) !== deadPid) renameSync(aside, file);
  else rmSync(aside, { force: true });
}

export function claimSlot(checkpointDir: string, group: string): MemberSlot {
  const dir = join(checkpointDir, 'members');
  mkdirSync(dir, { recursive: true });
  for (let slot = 0; ; slot++) {
    const file = join(dir, `slot-${slot}.pid`);
    for (let attempt = 0; attempt < 3; attempt++) {
      if (tryCreate(file)) {
        return {
          slot,
          transactionalId: `sat-run-${group}-${hostname()}-${slot}`,
          release: () => {
            if (holder(file) === process.pid) rmSync(file, { force: true });
          },
        };
      }
      const pid = holder(file);
      if (pid !== undefined && alive(pid)) break; // held: try the next slot
      if (pid === undefined && attempt === 0) continue; // being written right now: look again
      takeOver(file, pid ?? -1);
    }
  }
}
