// The cost of the engine's input alone: read every record from the embedded log and JSON.parse it.
import { LogReader } from '../dist/transport/log/reader.js';

export async function readLogOnly(dir) {
  const dec = new TextDecoder();
  const t0 = performance.now();
  const r = new LogReader(dir);
  let n = 0;
  for (let rec = r.next(); rec !== undefined; rec = r.next()) {
    try {
      if (JSON.parse(dec.decode(rec.value)) !== null) n++;
    } catch {
      n++;
    }
  }
  r.close();
  return performance.now() - t0;
}
