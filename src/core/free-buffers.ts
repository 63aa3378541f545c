import { MessageChannel } from 'node:worker_threads';

/**
 * Frees ArrayBuffers now rather than at their thread's next garbage collection: they are moved
 * into a message on a channel closed at once, which drops the message and their memory with it.
 * For a thread with a small, quiet heap that is handed large buffers (the checkpoint writer's): V8
 * collects such a heap so rarely that a 270 MB full checkpoint stayed resident there to the end of
 * a run, part of its peak RSS.
 */
export function freeBuffers(buffers: ArrayBuffer[]): void {
  if (buffers.length === 0) return;
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(null, buffers);
  port1.close();
  port2.close();
}
