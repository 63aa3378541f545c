import { join } from 'node:path';
import { createRng, deriveSeed, weightedPick } from '../core/rng.js';
import { writeFileNamed } from '../core/fs-errors.js';
import { openTable, type Column, type TableFormat } from './table-writer.js';

export const CHANNELS = ['email', 'sms', 'push', 'web'];
export const EVENT_TYPES = ['sent', 'delivered', 'opened', 'clicked', 'bounced'];
const TYPE_WEIGHTS = [0.35, 0.3, 0.2, 0.1, 0.05];
export const COUNTRIES = ['Norway', 'Kenya', 'Brazil', 'Japan', 'Canada', 'India', 'Spain', 'Chile', 'Egypt', 'Vietnam', 'Poland', 'Mexico'];
export const MESSAGES_START = Date.UTC(2024, 5, 1);

export interface MessagesOptions {
  dir: string;
  events: number;
  days: number;
  users: number;
  seed: number;
  format: TableFormat;
  progress?: (rows: number) => void;
}

/**
 * The messages scenario's inputs: message events in time order over `days` days, with about 3%
 * corrupted rows (event_type null, empty or "NONE"), 2% natural duplicates (the same message_id,
 * event_type and channel again, seconds to hours later, with another value), country ids of which
 * one in fifty is not in the country table, and users drawn from a power law; plus countries.csv.
 */
export async function writeMessages(o: MessagesOptions): Promise<{ events: string; countries: string }> {
  const rng = createRng(deriveSeed(o.seed, 'messages'));
  const countries = join(o.dir, 'countries.csv');
  writeFileNamed(countries, `country_id,country_name\n${COUNTRIES.map((c, i) => `${i + 1},${c}`).join('\n')}\n`);
  const columns: Column[] = [
    { name: 'timestamp', type: 'timestamp' },
    { name: 'value', type: 'double' },
    { name: 'event_type', type: 'string', nullable: true },
    { name: 'message_id', type: 'string' },
    { name: 'channel', type: 'string' },
    { name: 'country_id', type: 'int' },
    { name: 'user_id', type: 'string' },
  ];
  const file = join(o.dir, `messages.${o.format}`);
  const table = openTable(file, o.format, columns);
  const span = o.days * 86_400_000;
  // Natural duplicates wait in a small queue until their later time comes, so the file stays in time order.
  const later: { t: number; row: (string | number | null)[] }[] = [];
  let written = 0;
  const emit = async (row: (string | number | null)[]) => {
    const pending = table.write(row);
    if (pending) await pending;
    if (++written % 10_000 === 0) o.progress?.(written);
  };
  for (let i = 0; i < o.events; i++) {
    const t = Math.floor(MESSAGES_START + ((i + rng.next()) / o.events) * span);
    while (later.length > 0 && later[0].t <= t) await emit(later.shift()!.row);
    const u = rng.next();
    const type = u < 0.01 ? null : u < 0.02 ? '' : u < 0.03 ? 'NONE' : weightedPick(rng.next(), EVENT_TYPES, TYPE_WEIGHTS);
    const user = `U${String(Math.floor(o.users * rng.next() ** 2)).padStart(6, '0')}`;
    const country = rng.next() < 0.02 ? 99 : rng.int(1, COUNTRIES.length);
    const row: (string | number | null)[] = [t, Math.round(rng.next() * 10_000) / 100, type, `M${Math.floor(i / 3)}`, CHANNELS[rng.int(0, CHANNELS.length - 1)], country, user];
    await emit(row);
    if (type !== null && rng.next() < 0.02) {
      const dt = Math.floor(1000 + rng.next() * 3 * 3_600_000);
      const copy = [t + dt, Math.round(rng.next() * 10_000) / 100, ...row.slice(2)];
      const at = later.findIndex((x) => x.t > t + dt);
      later.splice(at < 0 ? later.length : at, 0, { t: t + dt, row: copy });
    }
  }
  for (const x of later) await emit(x.row);
  await table.close();
  o.progress?.(written);
  return { events: file, countries };
}

