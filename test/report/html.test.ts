import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, sat, serve, stopServers, tempDir } from '../helpers.js';

/**
 * The HTML report in a real headless browser: Debian's Chromium driven by playwright-core. Locally
 * the test skips when Chromium is absent; in CI (.ci/run installs it) its absence fails the run.
 */
const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  if (process.env.CI === 'true') throw new Error(`CI=true but ${CHROMIUM} is missing (.ci/run installs Debian's chromium)`);
  console.warn(`skipping the HTML report browser test: ${CHROMIUM} not found (apt-get install chromium)`);
}

describe.skipIf(!haveChromium)('the HTML report, rendered by headless Chromium', () => {
  afterAll(stopServers);
  it('shows the verdict, the checks and four plots with data; sat report renders the same page again', async () => {
    const dir = tempDir('sat-html-');
    expect(sat('replay', join(ROOT, 'datasets', 'iot-sample.csv'), '--scenario', 'iot', '--dir', dir, '--rate', '3000', '--duplicates', '0.03', '--malformed', '0.02', '--no-progress').code).toBe(0);
    expect(sat('run', '--dir', dir).code).toBe(0);
    const html = join(dir, 'report.html');
    expect(sat('verify', '--dir', dir, '--html', html).code).toBe(0);
    const again = join(dir, 'again.html');
    expect(sat('report', dir, '--html', again).code).toBe(0);
    expect(readFileSync(again, 'utf8').replace(/verified [^,.]+/, '')).toBe(readFileSync(html, 'utf8').replace(/verified [^,.]+/, ''));

    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 2000 } });
      await page.goto(`file://${html}`);
      expect(await page.textContent('#verdict')).toBe('PASS');
      expect(await page.locator('#checks tr').count()).toBeGreaterThan(5);
      // Each plot drew its data: a curve or points spanning a real area of the page.
      for (const id of ['latency', 'throughput', 'watermark']) {
        const box = await page.locator(`#plot-${id} polyline`).first().boundingBox();
        expect(box, id).not.toBeNull();
        expect(box!.width, id).toBeGreaterThan(100);
      }
      expect(await page.locator('#plot-windows circle.point').count()).toBeGreaterThan(10);
      // What was tested: the version, the input with its size and hash, the seed, the faults, the commands.
      const provenance = await page.textContent('#provenance');
      expect(provenance).toMatch(/sat\s*0\.1\.0/);
      expect(provenance).toContain(createHash('sha256').update(readFileSync(join(ROOT, 'datasets', 'iot-sample.csv'))).digest('hex'));
      const cells = Object.fromEntries(await page.locator('#provenance tr').evaluateAll((trs) => trs.map((tr) => [tr.children[0].textContent, tr.children[1].textContent])));
      expect(cells).toMatchObject({ seed: '1', faults: 'malformed 2%, duplicates 3%', 'engine judged': 'sat run', 'watermark model': 'global' });
      expect(cells['replay command']).toMatch(/^sat replay .*iot-sample\.csv --scenario iot /);
      expect(cells['verify command']).toMatch(/^sat verify --dir .* --html /);
      // The watermark's axis reads as times of day (the sample spans hours), each tick different.
      const ticks = await page.locator('#plot-watermark text[text-anchor="end"]').allTextContents();
      expect(ticks.length).toBe(5);
      for (const t of ticks) expect(t).toMatch(/^\d{2}:\d{2}(:\d{2})?$/);
      expect(new Set(ticks).size).toBe(5);
      // Each latency figure says what it measures.
      expect(await page.textContent('body')).toContain('from when sat run could first have read the record');
      mkdirSync(join(dir, 'shots'), { recursive: true });
      const png = await page.screenshot({ path: join(dir, 'shots', 'report.png'), fullPage: true });
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect(png.length).toBeGreaterThan(20_000);

      // A replay over in under a second: the plots over time say why they are empty, the windows still plot.
      const fast = tempDir('sat-html-fast-');
      expect(sat('replay', join(ROOT, 'datasets', 'reviews-sample.tsv'), '--scenario', 'reviews', '--dir', fast, '--rate', '0', '--no-progress').code).toBe(0);
      expect(sat('run', '--dir', fast).code).toBe(0);
      expect(sat('verify', '--dir', fast, '--html', join(fast, 'r.html')).code).toBe(0);
      await page.goto(`file://${join(fast, 'r.html')}`);
      expect(await page.textContent('#plot-throughput .why')).toMatch(/the replay sent all 3,000 records within one second/);
      expect(await page.locator('#plot-windows circle.point').count()).toBeGreaterThan(10);
      await page.screenshot({ path: join(dir, 'shots', 'fast.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  }, 120_000);

  it('the satisfaction scenario plots expected vs actual per window too, and offending rows show numbers as numbers', async () => {
    const dir = tempDir('sat-html-sat-');
    expect(sat('gen', '--dir', dir, '--customers', '300', '--events', '4000', '--seed', '3').code).toBe(0);
    expect(sat('replay', '--scenario', 'satisfaction', '--dir', dir, '--rate', '0', '--no-progress').code).toBe(0);
    const api = await serve();
    expect(sat('run', '--dir', dir, '--online', api.url).code).toBe(0);
    const v = sat('verify', '--dir', dir, '--json');
    expect(v.json.series.windows.length).toBeGreaterThan(10);
    expect(v.json.series.why?.windows).toBeUndefined();
    // Break one result's count: the offending row names both counts as numbers.
    const results = join(dir, 'results.jsonl');
    const lines = readFileSync(results, 'utf8').trim().split('\n');
    const first = JSON.parse(lines[0]);
    const count = Object.keys(first).find((k) => k === 'events')!;
    first[count] += 1;
    writeFileSync(results, [JSON.stringify(first), ...lines.slice(1)].join('\n') + '\n');
    const broken = sat('verify', '--dir', dir, '--json');
    expect(broken.code).toBe(1);
    const wrong = broken.json.checks.find((c: { name: string }) => c.name === 'no wrong values');
    expect(wrong.examples[0][`actual_${count}`]).toBe(first[count]);
    expect(wrong.examples[0][`expected_${count}`]).toBe(first[count] - 1);
  }, 120_000);
});
