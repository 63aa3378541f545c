import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { freeBuffers } from '../../src/core/free-buffers.js';
import { ownedBuffers } from '../../src/engine/checkpoint/file.js';

describe('freeBuffers', () => {
  it('detaches the buffers and gives their memory back without a garbage collection', async () => {
    const held = () => process.memoryUsage().arrayBuffers;
    const body = { a: new Float64Array(4 << 20), nested: { b: new Uint8Array(32 << 20) } };
    body.a.fill(1);
    body.nested.b.fill(2);
    const before = held();
    freeBuffers(ownedBuffers(body));
    expect(body.a.length).toBe(0);
    expect(body.nested.b.length).toBe(0);
    // The message holding them is dropped on a later turn of the event loop: wait for that, not for a time.
    for (let i = 0; i < 1000 && held() > before - (48 << 20); i++) await tick();
    expect(held()).toBeLessThanOrEqual(before - (48 << 20));
  });

  it('does nothing with no buffers', () => {
    expect(() => freeBuffers([])).not.toThrow();
  });
});
