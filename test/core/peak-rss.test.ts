import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// The child runs compiled code: the build's (npm test builds first).
const built = new URL('../../dist/core/peak-rss.js', import.meta.url).pathname;

describe.skipIf(!existsSync('/proc/self/status'))('peak RSS (core/peak-rss.ts)', () => {
  it("is the process's own: a child started by a parent holding 400 MB reports its own peak, not the parent's", () => {
    const held = Buffer.alloc(400 << 20, 1); // resident: written, not only reserved
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', `import { peakRssMb } from ${JSON.stringify(built)}; console.log(JSON.stringify({ peak: peakRssMb(), maxRss: Math.round(process.resourceUsage().maxRSS / 1024) }))`], { encoding: 'utf8' });
    const { peak, maxRss } = JSON.parse(out) as { peak: number; maxRss: number };
    // getrusage's figure carries the parent's resident set over (what the test guards against)...
    expect(maxRss).toBeGreaterThanOrEqual(400);
    // ...the process's own high-water mark does not: a bare Node process is some tens of MB.
    expect(peak).toBeGreaterThan(10);
    expect(peak).toBeLessThan(200);
    expect(held[held.length - 1]).toBe(1);
  });
});
