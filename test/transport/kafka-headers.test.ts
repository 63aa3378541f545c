import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import { readSatHeaders } from '../../src/transport/kafka/headers.js';
import { HEADER_END, HEADER_SEND_TIME } from '../../src/transport/types.js';

const SEND = Buffer.from(HEADER_SEND_TIME);

describe('readSatHeaders', () => {
  it('reads a send time as Number() reads its text, fractions and odd forms included', () => {
    const rng = createRng(14);
    const texts = ['0', '7', '1764899683123', '1764899683123.456', '9007199254740993', '123456789012345.67', '1.', '.5', '1e3', '-4', '12.3.4', ' 5', 'abc', ''];
    for (let i = 0; i < 20_000; i++) {
      texts.push(String(1.7e12 + rng.next() * 1e10), String(rng.next() * 10 ** rng.int(0, 17)), String(rng.int(0, 1e9)));
    }
    for (const t of texts) {
      const out: { sendTime?: number; endMark?: string } = {};
      readSatHeaders([[SEND, Buffer.from(t)]], out);
      expect(Object.is(out.sendTime, Number(t)), `${JSON.stringify(t)} read as ${out.sendTime}, Number() gives ${Number(t)}`).toBe(true);
    }
  });

  it('reads the end mark, ignores other and empty headers, and clears what the last record set', () => {
    const out: { sendTime?: number; endMark?: string } = {};
    readSatHeaders([[Buffer.from('other'), Buffer.from('1')], [Buffer.from(HEADER_END), Buffer.from('end:3')], [null, null]], out);
    expect(out).toEqual({ endMark: 'end:3', sendTime: undefined });
    readSatHeaders([[SEND, Buffer.from('12.5')]], out);
    expect(out).toEqual({ endMark: undefined, sendTime: 12.5 });
    readSatHeaders(new Map(), out);
    expect(out).toEqual({ endMark: undefined, sendTime: undefined });
  });
});
