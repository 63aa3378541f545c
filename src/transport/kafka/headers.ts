import { HEADER_END, HEADER_SEND_TIME } from '../types.js';

/** The headers sat's replay sets on a record: its send time, or (on a marker) the end-of-stream value. */
export function satHeaders(headers: Map<Buffer, Buffer>): { endMark?: string; sendTime?: number } {
  const out: { endMark?: string; sendTime?: number } = {};
  for (const [k, v] of headers) {
    const name = k.toString();
    if (name === HEADER_END) out.endMark = v.toString();
    else if (name === HEADER_SEND_TIME) out.sendTime = Number(v.toString());
  }
  return out;
}
