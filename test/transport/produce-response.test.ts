import { produceV11, Reader, ResponseError, Writer } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { baseOffsets, parseProduceResponse } from '../../src/transport/kafka/fast-producer.js';
import { asKafkaError, KafkaError } from '../../src/transport/kafka/errors.js';

interface Part { index: number; error: number; base: bigint; message: string | null; leader?: [number, number] }

/** A Produce response as a broker writes it; flexible versions (9+) may carry tagged fields. */
function response(version: number, parts: Part[], nodeEndpoints = false): Buffer {
  const flexible = version >= 9;
  const w = Writer.create();
  const tags = (fields: Buffer[]) => {
    if (!flexible) return;
    w.appendUnsignedVarInt(fields.length);
    fields.forEach((f, tag) => w.appendUnsignedVarInt(tag).appendUnsignedVarInt(f.length).append(f));
  };
  if (flexible) w.appendUnsignedVarInt(2);
  else w.appendInt32(1);
  w.appendString('t', flexible);
  if (flexible) w.appendUnsignedVarInt(parts.length + 1);
  else w.appendInt32(parts.length);
  for (const p of parts) {
    w.appendInt32(p.index).appendInt16(p.error).appendInt64(p.base).appendInt64(-1n).appendInt64(0n);
    if (version >= 8) {
      if (flexible) w.appendUnsignedVarInt(1);
      else w.appendInt32(0);
      w.appendString(p.message, flexible);
    }
    // current_leader (tag 0): leader id, leader epoch, its own empty tagged fields.
    const leader = Buffer.alloc(9);
    if (p.leader) {
      leader.writeInt32BE(p.leader[0], 0);
      leader.writeInt32BE(p.leader[1], 4);
    }
    tags(p.leader ? [leader] : []);
  }
  tags([]);
  w.appendInt32(0);
  tags(nodeEndpoints ? [Buffer.from([2, 0, 0, 0, 3, 4, 104, 111, 115, 0, 0, 35, 132, 0, 0])] : []);
  return w.buffer;
}

const parse = (version: number, bytes: Buffer) => parseProduceResponse(1, 0, version, Reader.from(bytes));

describe('parseProduceResponse: the Produce response with its tagged fields', () => {
  it('reads the base offsets of every version the client speaks (7-11)', () => {
    for (const version of [7, 8, 9, 10, 11]) {
      const r = parse(version, response(version, [{ index: 0, error: 0, base: 42n, message: null }, { index: 3, error: 0, base: 7n, message: null }]));
      expect([...baseOffsets(r)]).toEqual([[0, 42n], [3, 7n]]);
    }
  });

  it('reads past the new leader and the node endpoints a broker adds to NOT_LEADER_OR_FOLLOWER, and raises the client\'s error with the partitions that were written', () => {
    const bytes = response(11, [
      { index: 0, error: 0, base: 42n, message: null },
      { index: 1, error: 6, base: -1n, message: 'not the leader', leader: [2, 5] },
      { index: 2, error: 6, base: -1n, message: 'not the leader', leader: [2, 5] },
      { index: 3, error: 0, base: 9n, message: null },
    ], true);
    // Why sat reads it itself: the client's parser (1.35) takes the tagged fields' count for their
    // length and loses its place. When this fails, the client reads them: drop parseProduceResponse.
    expect(() => produceV11.parseResponse(1, 0, 11, Reader.from(bytes))).toThrow(/Out of bounds/);
    let error: unknown;
    try {
      parse(11, bytes);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ResponseError);
    const e = error as ResponseError & { response: Parameters<typeof baseOffsets>[0] };
    expect([...baseOffsets(e.response)]).toEqual([[0, 42n], [3, 9n]]);
    // Judged by the client's own rules: NOT_LEADER_OR_FOLLOWER can be retried.
    const k = asKafkaError(e);
    expect(k).toBeInstanceOf(KafkaError);
    expect((k as KafkaError).retriable).toBe(true);
  });
});
