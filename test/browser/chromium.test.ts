// End to end in Debian's Chromium: the IIFE bundle loaded by a plain <script> tag, the demo page
// training in its Web Worker, and the same seed giving the same bits as Node.
// Oracles: Node running the same code (fixtures/experiment.js) on the ESM build, in this thread
// and in worker_threads; the weights are compared by SHA-256, the logged losses exactly.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { describeChromium, launchChromium } from './chromium.js';
// @ts-expect-error plain ESM without types: the demo's own server
import { startServer } from '../../web/serve.mjs';
import './fixtures/experiment.js';

type Lib = typeof import('../../src/index.js');
const L = (await import(new URL('../../dist/index.js', import.meta.url).href)) as Lib;
const E = (globalThis as unknown as { lstmExperiment: Experiment }).lstmExperiment;
const OUT = fileURLToPath(new URL('../../test-output/', import.meta.url));

interface Summary {
  loss: number[]; acc: number[]; epochs: number; evaluate: number[]; sha256: string; shapes: string[]; next: number[];
  klm: { letter: string; p: number; sum: number };
  onEpoch?: Array<{ epoch: number; loss: number; rate: number }>; aborted?: boolean; isHistory?: boolean;
}
interface Experiment {
  CONFIGS: Array<{ name: string; preset: string; seed: number; units: number | number[]; epochs: number; batchSize: number }>;
  inThread(l: Lib, cfg: Experiment['CONFIGS'][number]): Promise<Summary>;
  inWorker(l: Lib, cfg: Experiment['CONFIGS'][number], url?: string): Promise<Summary>;
}
interface PageResult {
  global: string; keys: string[]; ready: boolean; failed?: boolean;
  runs: Record<string, { thread: Summary; worker: Summary }>;
  explicitWorker: Summary;
  abort: { aborted: boolean; epochs: number; seen: number; finite: boolean; weights: number };
  error: { thrown: boolean; name: string; message: string; isValueError: boolean; isLstmWasmError: boolean; stack?: string };
}

/** Fails with what the page said (console errors, uncaught exceptions) instead of a bare timeout. */
function watch(page: Page): string[] {
  const log: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') log.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
  return log;
}

describeChromium('Chromium end to end', () => {
  let server: { url: string; close(): Promise<void> };
  let chrome: Awaited<ReturnType<typeof launchChromium>>;

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    server = await startServer();
    chrome = await launchChromium();
  }, 40_000);

  afterAll(async () => {
    await chrome?.close();
    await server?.close();
  }, 20_000);

  it('the <script> bundle: same API object, trains in the page and in workers, bit-identical to Node', async () => {
    const page = await chrome.browser.newPage();
    const log = watch(page);
    try {
      await page.goto(`${server.url}/test/browser/fixtures/iife.html`, { timeout: 10_000 });
      await page.waitForFunction(() => (window as unknown as { __result?: unknown }).__result, null, { timeout: 30_000 });
      const r = (await page.evaluate(() => (window as unknown as { __result: unknown }).__result)) as PageResult;
      await page.screenshot({ path: `${OUT}iife.png`, fullPage: true });
      expect(r.failed, `the page threw: ${JSON.stringify(r.error)}\n${log.join('\n')}`).toBeFalsy();

      // The global is the ESM build's export object: same names.
      expect(r.global).toBe('object');
      expect(r.keys).toEqual(Object.keys(L).sort());
      expect(r.keys).toEqual(expect.arrayContaining(['ready', 'sequential', 'trainInWorker', 'serveWorker', 'History']));
      expect(r.ready).toBe(true);

      for (const cfg of E.CONFIGS) {
        const { thread, worker } = r.runs[cfg.name];
        // Numbers that make sense: finite, learning, probabilities summing to 1.
        expect(thread.epochs).toBe(cfg.epochs);
        expect(thread.loss.every(Number.isFinite)).toBe(true);
        expect(thread.loss[cfg.epochs - 1]).toBeLessThan(thread.loss[0]);
        expect(thread.acc.every((a) => a >= 0 && a <= 1)).toBe(true);
        expect(thread.klm.sum).toBeCloseTo(1, 5);
        expect(thread.klm.p).toBeGreaterThan(0);
        const units = [cfg.units].flat();
        expect(thread.shapes).toEqual([
          ...units.flatMap((H, l) => {
            const n = l === 0 ? 'lstm' : `lstm_${l}`;
            return [`${n}/kernel[${l === 0 ? 1 : units[l - 1]},${4 * H}]`, `${n}/recurrent_kernel[${H},${4 * H}]`, `${n}/bias[${4 * H}]`];
          }),
          `dense/kernel[${units[units.length - 1]},26]`, 'dense/bias[26]',
        ]);
        // The worker streamed one onEpoch per epoch, in order, with a rate, and returned a History.
        expect(worker.onEpoch!.map((e) => e.epoch)).toEqual([...Array(cfg.epochs).keys()]);
        expect(worker.onEpoch!.every((e) => e.rate > 0)).toBe(true);
        expect(worker.isHistory).toBe(true);
        expect(worker.aborted).toBe(false);

        // Bit-identical: Chromium page == Chromium worker == Node thread == Node worker_threads.
        const node = await E.inThread(L, cfg);
        const nodeWorker = await E.inWorker(L, cfg);
        const strip = (s: Summary) => ({ loss: s.loss, acc: s.acc, evaluate: s.evaluate, klm: s.klm, sha256: s.sha256, next: s.next });
        expect(strip(thread), `${cfg.name}: Chromium page vs Node`).toEqual(strip(node));
        expect(strip(worker), `${cfg.name}: Chromium worker vs Node`).toEqual(strip(node));
        expect(strip(nodeWorker), `${cfg.name}: Node worker_threads vs Node`).toEqual(strip(node));
      }
      expect(r.explicitWorker.sha256).toBe(r.runs.keras2.thread.sha256);

      // Abort from the page: stops soon after the 3rd epoch of 300, resolves with finite weights.
      expect(r.abort).toMatchObject({ aborted: true, finite: true, weights: 5 });
      expect(r.abort.epochs).toBeGreaterThanOrEqual(3);
      expect(r.abort.epochs).toBeLessThan(50);
      // Typed errors cross the worker boundary.
      expect(r.error).toMatchObject({ thrown: true, name: 'ValueError', isValueError: true, isLstmWasmError: true });
      expect(r.error.message).toMatch(/^lstm\(\): units must be an integer/);
      expect(log.filter((l) => !/favicon/.test(l)), 'console errors on the page').toEqual([]);
    } finally {
      await page.close();
    }
  }, 45_000);

  it('the demo page trains in its worker, charts live, stops, and answers a typed query', async () => {
    const page = await chrome.browser.newPage({ viewport: { width: 1200, height: 820 } });
    const log = watch(page);
    try {
      await page.goto(`${server.url}/web/`, { timeout: 10_000 });
      await page.waitForSelector('#status[data-state="idle"]', { timeout: 10_000 });
      expect(await page.isDisabled('#query')).toBe(true);

      // Stop: a long run, stopped from the page after a few epochs.
      await page.fill('#epochs', '2000');
      await page.click('#train');
      await page.waitForFunction(() => Number(document.querySelector('#stat-epoch')!.textContent!.split('/')[0]) >= 3, null, { timeout: 15_000 });
      expect(await page.isDisabled('#train')).toBe(true);
      await page.click('#stop');
      await page.waitForSelector('#status[data-state="stopped"]', { timeout: 10_000 });
      const stoppedAt = Number((await page.textContent('#stat-epoch'))!.split('/')[0]);
      expect(stoppedAt).toBeGreaterThanOrEqual(3);
      expect(stoppedAt).toBeLessThan(2000);
      expect(await page.isDisabled('#query')).toBe(false);

      // A full short run: record every epoch the page displays while the worker trains.
      const EPOCHS = 60;
      await page.fill('#epochs', String(EPOCHS));
      await page.evaluate(() => {
        const seen: string[] = [];
        (window as unknown as { __seen: string[] }).__seen = seen;
        new MutationObserver(() => seen.push(document.querySelector('#stat-epoch')!.textContent!)).observe(document.querySelector('#stat-epoch')!, { childList: true, characterData: true, subtree: true });
      });
      await page.click('#train');
      await page.waitForSelector('#status[data-state="done"]', { timeout: 30_000 });
      const seen = await page.evaluate(() => (window as unknown as { __seen: string[] }).__seen);
      const shown = seen.filter((s) => s.includes('/')).map((s) => Number(s.split('/')[0]));
      expect(shown.length).toBeGreaterThanOrEqual(EPOCHS); // one update per epoch, live
      expect(shown).toEqual([...shown].sort((a, b) => a - b));
      expect(shown.at(-1)).toBe(EPOCHS);
      // The chart holds one point per epoch for both curves, inside the plot.
      const points = await page.$$eval('#chart polyline', (ls) => ls.map((l) => ({ cls: l.getAttribute('class'), n: Number(l.getAttribute('data-points')), pts: l.getAttribute('points')! })));
      expect(points.map((p) => [p.cls, p.n])).toEqual([['loss', EPOCHS], ['acc', EPOCHS]]);
      for (const p of points) {
        for (const xy of p.pts.split(' ')) {
          const [x, y] = xy.split(',').map(Number);
          expect(x >= 0 && x <= 640 && y >= 0 && y <= 300, `${p.cls} point ${xy} inside the 640x300 chart`).toBe(true);
        }
      }
      const rate = Number((await page.textContent('#stat-rate'))!.replace(/,/g, ''));
      expect(rate).toBeGreaterThan(1000); // samples/s
      expect(await page.textContent('#stat-time')).toMatch(/^\d+(\.\d)? ms$/);
      const status = (await page.textContent('#status'))!;
      expect(status).toMatch(/^Done\. 60 epochs in [\d.]+ s .*accuracy [\d.]+%\.$/);

      // Type a query, key by key, as a person would.
      await page.fill('#query', '');
      await page.locator('#query').pressSequentially('klm', { delay: 20 });
      await page.waitForFunction(() => document.querySelector('#prediction')!.getAttribute('data-letter') === 'N', null, { timeout: 5_000 });
      const bars = await page.$$eval('#bars .bar', (bs) => bs.map((b) => ({ letter: b.getAttribute('data-letter'), p: Number(b.getAttribute('data-p')), top: b.classList.contains('top') })));
      expect(bars.map((b) => b.letter).join('')).toBe('ABCDEFGHIJKLMNOPQRSTUVWXYZ');
      expect(bars.reduce((s, b) => s + b.p, 0)).toBeCloseTo(1, 5);
      expect(bars.filter((b) => b.top).map((b) => b.letter)).toEqual(['N']);
      const pN = Number(await page.getAttribute('#prediction', 'data-p'));
      expect(pN).toBeGreaterThan(0.5);
      expect(await page.textContent('#prediction')).toMatch(/^KLM → N with probability \d+\.\d\d%$/);
      await page.screenshot({ path: `${OUT}demo.png`, fullPage: true });

      // Oracle: the demo's run replayed in Node (same stream, same options) gives the same P(N | KLM).
      await L.ready();
      const rng = L.createRng(7, 'numpy');
      const { dataX, dataY } = L.alphabetDataset({ numInputs: 1000, maxLen: 5, rng });
      const x = L.divide(L.reshape(L.padSequences(dataX, { maxLen: 5, dtype: 'float32' }), [1000, 5, 1]), 26);
      const y = L.toCategorical(dataY, 26);
      const model = L.sequential({ rng, preset: 'keras2', layers: [L.lstm({ units: 32, inputShape: [5, 1] }), L.dense({ units: 26, activation: 'softmax' })] });
      model.compile({ loss: 'categoricalCrossentropy', optimizer: L.adam(), metrics: ['accuracy'] });
      await model.fit(x, y, { epochs: EPOCHS, batchSize: 1, shuffle: true, verbose: 0 });
      const q = L.divide(L.reshape(L.padSequences([[10, 11, 12]], { maxLen: 5, dtype: 'float32' }), [1, 5, 1]), 26);
      expect(pN, 'P(N | KLM): Chromium demo worker vs Node').toBe(model.predict(q).data[13]);
      model.dispose();
      expect(log, 'console errors on the demo page').toEqual([]);
    } finally {
      await page.close();
    }
  }, 50_000);

  it('without WebAssembly SIMD, ready() rejects clearly and the demo says so', async () => {
    const page = await chrome.browser.newPage();
    try {
      // Chromium always has SIMD; make the library's SIMD probe (a 31-byte module) fail validation,
      // as it does on a host without SIMD. Larger modules validate as usual.
      await page.addInitScript(() => {
        const validate = WebAssembly.validate.bind(WebAssembly);
        WebAssembly.validate = (bytes: BufferSource) => (bytes.byteLength < 64 ? false : validate(bytes));
      });
      await page.goto(`${server.url}/web/`, { timeout: 10_000 });
      await page.waitForSelector('#status[data-state="error"]', { timeout: 10_000 });
      expect(await page.textContent('#status')).toBe('StateError: ready(): this host lacks WebAssembly SIMD (128-bit), which lstm-wasm needs');
      expect(await page.isDisabled('#train')).toBe(true);
    } finally {
      await page.close();
    }
  }, 20_000);
});
