import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';

/**
 * The replayed input's size, and a single file's SHA-256 (streamed), for the report's provenance:
 * "what was tested" names the exact bytes. A folder's files are counted and sized, not hashed
 * (a sharded dataset can be hundreds of GB).
 */
export async function describeInput(files: string[]): Promise<{ bytes: number; files: number; sha256?: string }> {
  const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
  if (files.length !== 1) return { bytes, files: files.length };
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(files[0], { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return { bytes, files: 1, sha256: hash.digest('hex') };
}
