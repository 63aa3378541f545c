import { createRng, type Rng } from '../core/rng.js';

const REVIEW_HEADER = ['marketplace', 'customer_id', 'review_id', 'product_id', 'product_parent', 'product_title', 'product_category', 'star_rating', 'helpful_votes', 'total_votes', 'vine', 'verified_purchase', 'review_headline', 'review_body', 'review_date'];
const WORDS = ['great', 'gift', 'card', 'fast', 'easy', 'works', 'love', 'it', 'not', 'as', 'described', 'perfect', 'would', 'buy', 'again', 'quality', 'poor', 'value', '"quoted"', 'stars'];

const words = (rng: Rng, n: number) => Array.from({ length: n }, () => rng.pick(WORDS)).join(' ');

/** Amazon-reviews-shaped TSV rows (header first), newest day first as in the real files. */
export function* reviewLines(rows: number, seed: number): Generator<string> {
  const rng = createRng(seed);
  const products = Math.max(5, Math.round(rows / 6));
  const days = 14;
  const end = Date.UTC(2015, 7, 31);
  yield REVIEW_HEADER.join('\t');
  for (let i = 0; i < rows; i++) {
    const day = Math.floor((i / rows) * days);
    const p = rng.int(1, products);
    const total = rng.int(0, 6);
    yield [
      'US',
      String(10_000_000 + rng.int(0, 89_999_999)),
      `R${(seed * 1_000_003 + i).toString(36).toUpperCase().padStart(12, '0')}`,
      `B00${p.toString(36).toUpperCase().padStart(7, '0')}`,
      String(100_000_000 + p),
      `Product ${p}`,
      'Gift Card',
      String(rng.pick([1, 2, 3, 4, 5, 5, 5, 4])),
      String(rng.int(0, total)),
      String(total),
      'N',
      rng.next() < 0.9 ? 'Y' : 'N',
      words(rng, rng.int(1, 4)),
      words(rng, rng.int(3, 25)),
      new Date(end - day * 86_400_000).toISOString().slice(0, 10),
    ].join('\t');
  }
}

const IOT_HEADER = ['time', 'readable_time', 'acceleration', 'acceleration_x', 'acceleration_y', 'acceleration_z', 'battery', 'humidity', 'pressure', 'temperature', 'dev-id'];

/** Ruuvitag-shaped CSV rows: readings about every 5 s, gaps now and then, the battery draining to low in the last rows. */
export function* iotLines(rows: number, seed: number): Generator<string> {
  const rng = createRng(seed);
  const devices = ['C2:9A:9F:E5:58:27', 'D1:0B:44:7A:19:E3'];
  let t = Date.UTC(2018, 3, 9, 0, 0, 18, 503);
  // Full at 3000 mV, drained so that the last ~1% of rows fall under the scenario's 2000 alert
  // (a battery low from the start made every record of a large file an alert).
  let battery = 3000;
  const drain = 1010 / Math.max(rows, 1);
  let temperature = 24;
  let humidity = 34;
  yield IOT_HEADER.join(',');
  for (let i = 0; i < rows; i++) {
    t += rng.next() < 0.01 ? 140_000 : rng.int(4_000, 6_500);
    if (rng.next() < drain) battery -= 1;
    temperature = Math.min(32, Math.max(16, temperature + (rng.next() - 0.5) * 0.4));
    humidity = Math.min(50, Math.max(20, humidity + (rng.next() - 0.5)));
    const [x, y, z] = [rng.int(-90, -40), rng.int(280, 400), rng.int(920, 980)];
    const readable = new Date(t).toISOString().replace('Z', '000Z');
    yield [t, readable, Math.sqrt(x * x + y * y + z * z), x, y, z, battery, humidity.toFixed(1), (1000 + rng.next() * 20).toFixed(2), temperature.toFixed(2), rng.pick(devices)].join(',');
  }
}
