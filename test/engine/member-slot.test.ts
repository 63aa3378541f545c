import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { claimSlot } from '../../src/engine/kafka/member-slot.js';
import { tempDir } from '../helpers.js';

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('member slots: a restarted member takes the dead one\'s transactional id', () => {
  it('takes the slot of a dead member, with the same transactional id', () => {
    const dir = tempDir('sat-slot-');
    const first = claimSlot(dir, 'g');
    expect(first.slot).toBe(0);
    const id = first.transactionalId;
    // The member dies without releasing: its pid file stays, naming a process that is gone.
    writeFileSync(join(dir, 'members', 'slot-0.pid'), String(deadPid()));
    const next = claimSlot(dir, 'g');
    expect(next.slot).toBe(0);
    expect(next.transactionalId).toBe(id);
    expect(readFileSync(join(dir, 'members', 'slot-0.pid'), 'utf8')).toBe(String(process.pid));
  });

  it('a live member keeps its slot: the next one gets its own id; release frees it', () => {
    const dir = tempDir('sat-slot-');
    const a = claimSlot(dir, 'g');
    const b = claimSlot(dir, 'g');
    expect([a.slot, b.slot]).toEqual([0, 1]);
    expect(a.transactionalId).not.toBe(b.transactionalId);
    a.release();
    expect(existsSync(join(dir, 'members', 'slot-0.pid'))).toBe(false);
    expect(claimSlot(dir, 'g').slot).toBe(0);
  });

  it('an empty pid file (a member killed while writing it) is taken over', () => {
    const dir = tempDir('sat-slot-');
    mkdirSync(join(dir, 'members'), { recursive: true });
    writeFileSync(join(dir, 'members', 'slot-0.pid'), '');
    expect(claimSlot(dir, 'g').slot).toBe(0);
  });
});
