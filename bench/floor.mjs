// The floor an engine cannot beat: decode and JSON.parse the very record bytes it consumes, already
// in memory (no log, no I/O). sat run's throughput is reported as a ratio of this.
import { LogReader } from '../dist/transport/log/reader.js';

/** Every record value of an embedded log, copied into memory. */
export function loadValues(logDir) {
  const r = new LogReader(logDir);
  const values = [];
  for (let rec = r.next(); rec !== undefined; rec = r.next()) values.push(Uint8Array.from(rec.value));
  r.close();
  return values;
}

/** Records per second for TextDecoder + JSON.parse over the values: the median of `passes`. */
export function decodeParseRate(values, passes = 3) {
  const dec = new TextDecoder();
  const rates = [];
  let sink = 0;
  for (let p = 0; p < passes; p++) {
    const t0 = performance.now();
    for (const v of values) {
      try {
        if (JSON.parse(dec.decode(v)) !== null) sink++;
      } catch {
        sink--;
      }
    }
    rates.push(values.length / ((performance.now() - t0) / 1000));
  }
  if (sink === 0.5) console.log(sink); // keep the work observable
  return rates.sort((a, b) => a - b)[Math.floor(passes / 2)];
}

/**
 * Records per second for sat's validator alone over the same values (its byte scanner, and the full
 * path for what the scanner leaves): how far below the floor validation itself now is.
 */
export async function validateRate(values, scenario, passes = 3) {
  const { createValidator } = await import('../dist/engine/validate.js');
  const { loadScenario } = await import('../dist/scenario/load.js');
  const validate = createValidator(loadScenario(scenario));
  const rates = [];
  let sink = 0;
  for (let p = 0; p < passes; p++) {
    const t0 = performance.now();
    for (const v of values) if (validate(v).time !== undefined) sink++;
    rates.push(values.length / ((performance.now() - t0) / 1000));
  }
  if (sink === 0.5) console.log(sink);
  return rates.sort((a, b) => a - b)[Math.floor(passes / 2)];
}
