import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeAll } from '../../core/fs-errors.js';

/**
 * The one checkpoint file format of both transports: a header line with the SHA-256 of the rest and
 * the length of its JSON part, the body as JSON (stringified once), then the body's typed arrays
 * (window panes, as columns) as raw little-endian bytes, each referred to from the JSON. Written to a
 * temporary file, fsynced, renamed over, and the directory fsynced: a reader sees a whole, checked
 * file or none, across a crash or power loss. Typed arrays are found on plain objects' own
 * properties only (never inside arrays), so the walk does not visit large arrays of ids.
 */
const HEADER_V3 = 'sat-checkpoint 3 sha256=';
const HEADER_V2 = 'sat-checkpoint 2 sha256=';

type Column = Float64Array | Uint32Array | Int32Array | Uint8Array;
const KINDS = { f64: Float64Array, u32: Uint32Array, i32: Int32Array, u8: Uint8Array } as const;
type Kind = keyof typeof KINDS;
interface BinRef {
  $bin: Kind;
  at: number;
  n: number;
}

function kindOf(x: Column): Kind {
  return x instanceof Float64Array ? 'f64' : x instanceof Uint32Array ? 'u32' : x instanceof Int32Array ? 'i32' : 'u8';
}

/** The body with its typed arrays swapped for references into `blocks` (the body is not changed). */
function lift(x: unknown, blocks: Column[], at: { bytes: number }): unknown {
  if (ArrayBuffer.isView(x)) {
    const col = x as Column;
    // Each block starts 8-byte aligned, so a Float64Array can view the file's bytes directly.
    const pad = (8 - (at.bytes % 8)) % 8;
    if (pad) blocks.push(new Uint8Array(pad));
    const ref: BinRef = { $bin: kindOf(col), at: at.bytes + pad, n: col.length };
    blocks.push(col);
    at.bytes += pad + col.byteLength;
    return ref;
  }
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return x;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(x)) out[k] = lift(v, blocks, at);
  return out;
}

function lower(x: unknown, bin: Buffer): unknown {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return x;
  const o = x as Record<string, unknown>;
  if (typeof o.$bin === 'string') {
    const r = o as unknown as BinRef;
    const T = KINDS[r.$bin];
    if (T === undefined || r.at % 8 !== 0 || r.at + r.n * T.BYTES_PER_ELEMENT > bin.length) throw new Error('bad block');
    // A copy, so the file's buffer can go once the state is loaded.
    const col = new T(r.n);
    new Uint8Array(col.buffer).set(bin.subarray(r.at, r.at + col.byteLength));
    return col;
  }
  for (const k of Object.keys(o)) o[k] = lower(o[k], bin);
  return o;
}

/**
 * The buffers of a body's typed arrays that own them whole (found where lift() finds them): a
 * checkpoint body's columns are its own copies, so a writer thread can take them without a copy.
 */
export function ownedBuffers(x: unknown, into: ArrayBuffer[] = []): ArrayBuffer[] {
  if (ArrayBuffer.isView(x)) {
    if (x.byteOffset === 0 && x.byteLength === x.buffer.byteLength && x.buffer instanceof ArrayBuffer && !into.includes(x.buffer)) into.push(x.buffer);
    return into;
  }
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return into;
  for (const v of Object.values(x)) ownedBuffers(v, into);
  return into;
}

/**
 * About the file's bytes, without encoding it: what the chain weighs full checkpoints against
 * changelogs by (its typed arrays; the small JSON around them is left out).
 */
export function bodyBytes(x: unknown): number {
  if (ArrayBuffer.isView(x)) return x.byteLength;
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return 0;
  let n = 0;
  for (const v of Object.values(x)) n += bodyBytes(v);
  return n;
}

/** A body in the file format: the header line, the JSON, the blocks (written one after another). */
export function encodeCheckpoint(body: unknown): Buffer[] {
  const blocks: Column[] = [];
  const json = Buffer.from(JSON.stringify(lift(body, blocks, { bytes: 0 })));
  const parts = [json, ...blocks.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength))];
  const hash = createHash('sha256');
  for (const p of parts) hash.update(p);
  return [Buffer.from(`${HEADER_V3}${hash.digest('hex')} json=${json.length}\n`), ...parts];
}

/** Writes the file whole or not at all; returns its size in bytes. */
export function writeCheckpointFile(file: string, body: unknown): number {
  return writeCheckpointParts(file, encodeCheckpoint(body));
}

/** Writes a framed checkpoint to a temporary file, fsyncs, renames it over `file`, fsyncs the directory. */
export function writeCheckpointParts(file: string, parts: Buffer[]): number {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    for (const p of parts) writeAll(fd, p, tmp);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true }); // the disk full: the previous checkpoint stays the newest
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, file);
  const dirFd = openSync(dirname(file), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
  return parts.reduce((n, p) => n + p.length, 0);
}

/** The body of a checkpoint file, or undefined when it is torn, altered or not one. */
export function readCheckpointFile<T>(file: string): T | undefined {
  try {
    return decodeCheckpoint<T>(readFileSync(file));
  } catch {
    return undefined;
  }
}

/** The body of a checkpoint's bytes, or undefined when they are torn, altered or not one. */
export function decodeCheckpoint<T>(buf: Buffer): T | undefined {
  try {
    const nl = buf.indexOf(10);
    const head = nl > 0 ? buf.toString('latin1', 0, nl) : '';
    if (head.startsWith(HEADER_V3)) {
      const m = /^sat-checkpoint 3 sha256=([0-9a-f]{64}) json=(\d+)$/.exec(head);
      if (m === null) return undefined;
      const rest = buf.subarray(nl + 1);
      const jsonBytes = Number(m[2]);
      if (jsonBytes > rest.length || createHash('sha256').update(rest).digest('hex') !== m[1]) return undefined;
      return lower(JSON.parse(rest.toString('utf8', 0, jsonBytes)), rest.subarray(jsonBytes)) as T;
    }
    const text = buf.toString('utf8');
    if (head.startsWith(HEADER_V2)) {
      const json = text.slice(nl + 1);
      if (createHash('sha256').update(json).digest('hex') !== text.slice(HEADER_V2.length, nl)) return undefined;
      return JSON.parse(json) as T;
    }
    // The format before that: {"sha256": ..., "body": ...}, the hash over the body re-stringified.
    const { sha256, body } = JSON.parse(text) as { sha256?: string; body?: T };
    if (sha256 === undefined || createHash('sha256').update(JSON.stringify(body)).digest('hex') !== sha256) return undefined;
    return body;
  } catch {
    return undefined;
  }
}
