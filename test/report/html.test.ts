import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, sat, tempDir } from '../helpers.js';

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
      mkdirSync(join(dir, 'shots'), { recursive: true });
      const png = await page.screenshot({ path: join(dir, 'shots', 'report.png'), fullPage: true });
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect(png.length).toBeGreaterThan(20_000);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
