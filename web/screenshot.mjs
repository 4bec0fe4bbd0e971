#!/usr/bin/env node
// Regenerates web/screenshot.png, the README's picture of the demo: the listing's full run
// (500 epochs, batch size 1, 32 units, seed 7, keras2) in Debian's Chromium, then the query KLM.
//   npm run build && node web/screenshot.mjs [out.png]
import { chromium } from 'playwright-core';
import { fileURLToPath } from 'node:url';
import { startServer } from './serve.mjs';

const out = process.argv[2] ?? fileURLToPath(new URL('./screenshot.png', import.meta.url));
const server = await startServer();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  timeout: 30_000,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 820 } });
  await page.goto(`${server.url}/web/`);
  await page.waitForSelector('#status[data-state="idle"]', { timeout: 10_000 });
  await page.click('#train');
  await page.waitForSelector('#status[data-state="done"]', { timeout: 180_000 });
  await page.fill('#query', 'KLM');
  await page.waitForFunction(() => document.querySelector('#prediction')?.getAttribute('data-letter'), null, { timeout: 5_000 });
  await page.waitForTimeout(1200); // let the frames/s counter settle after training
  await page.screenshot({ path: out, fullPage: true });
  console.log(`${out}: ${await page.textContent('#status')}`);
} finally {
  await browser.close();
  await server.close();
}
