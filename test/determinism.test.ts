// Same seed and data, same bits: across Node processes (the shipped dist/ build, twice, and the
// sources in this process), across how fit hands batches to WASM (chunked runs vs one call per
// batch) and what it prints, and across an interruption (save -> loadModel -> resume). Weights are
// compared by SHA-256 of their float32 bytes, logs exactly.
// trainInWorker against fit() on this thread, bit for bit: test/browser/worker.test.ts (Node's
// worker_threads) and test/browser/chromium.test.ts (Web Workers, and Chromium against Node).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import * as lib from '../src/index.js';
import { ready, sequential, lstm, dense, masking, adam, loadModel, encodeModel, decodeModel, type Sequential, type Tensor, type FitArgs, type History } from '../src/index.js';

const run = promisify(execFile);
const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const OUT = fileURLToPath(new URL('../test-output/', import.meta.url));

const sha256 = (m: Sequential): string => {
  const h = createHash('sha256');
  for (const w of m.getWeights()) h.update(new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength));
  return h.digest('hex');
};

beforeAll(async () => {
  await ready();
});

// The experiment, as a module both a child `node` (on dist/) and this process (on src/) run.
const EXPERIMENT = `
import { createHash } from 'node:crypto';
export async function experiment(L) {
  await L.ready();
  const out = {};
  const configs = [
    { name: 'seedrandom keras2', seed: 5, rng: 'seedrandom', preset: 'keras2', mask: false, batchSize: 4 },
    { name: 'numpy keras3 masking', seed: 7, rng: 'numpy', preset: 'keras3', mask: true, batchSize: 1 },
  ];
  for (const c of configs) {
    const [N, T, D, V] = [48, 5, 2, 6];
    const x = new Float32Array(N * T * D);
    const y = new Float32Array(N * V);
    for (let n = 0; n < N; n++) {
      const len = c.mask ? 1 + (n % T) : T;
      for (let t = 0; t < T; t++) for (let d = 0; d < D; d++) x[(n * T + t) * D + d] = t < T - len ? -1 : ((n * 7 + t * 3 + d) % 11) / 11;
      y[n * V + (n % V)] = 1;
    }
    const layers = [L.lstm({ units: 8, ...(c.mask ? {} : { inputShape: [T, D] }) }), L.dense({ units: V, activation: 'softmax' })];
    if (c.mask) layers.unshift(L.masking({ maskValue: -1, inputShape: [T, D] }));
    const m = L.sequential({ seed: c.seed, rng: c.rng, preset: c.preset, layers });
    m.compile({ loss: 'categoricalCrossentropy', optimizer: L.adam({ learningRate: 0.01 }), metrics: ['accuracy'] });
    const h = await m.fit({ shape: [N, T, D], data: x }, { shape: [N, V], data: y }, { epochs: 4, batchSize: c.batchSize, verbose: 0 });
    const hash = createHash('sha256');
    for (const w of m.getWeights()) hash.update(new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength));
    const p = m.predict({ shape: [N, T, D], data: x }).data;
    out[c.name] = { sha256: hash.digest('hex'), history: h.history, predict: createHash('sha256').update(new Uint8Array(p.buffer, p.byteOffset, p.byteLength)).digest('hex') };
    m.dispose();
  }
  return out;
}
if (process.argv[2] === '--run') {
  const L = await import(process.argv[3]);
  process.stdout.write(JSON.stringify(await experiment(L)));
}
`;

describe('across processes', () => {
  let script: string;
  beforeAll(() => {
    mkdirSync(OUT, { recursive: true });
    script = `${OUT}determinism-experiment.mjs`;
    writeFileSync(script, EXPERIMENT);
  });

  it('two node processes on dist/ and this process on src/ train the same bits', async () => {
    expect(existsSync(DIST), `${DIST} is missing: run npm run build (npm test does it first)`).toBe(true);
    const child = async () => JSON.parse((await run(process.execPath, [script, '--run', pathToFileURL(DIST).href], { timeout: 30_000 })).stdout);
    const [a, b] = await Promise.all([child(), child()]);
    const { experiment } = (await import(pathToFileURL(script).href)) as { experiment: (l: typeof lib) => Promise<unknown> };
    const here = await experiment(lib);
    expect(Object.keys(a)).toEqual(['seedrandom keras2', 'numpy keras3 masking']);
    expect(b, 'process 2 vs process 1').toEqual(a);
    expect(here, 'src/ in this process vs dist/ in a child').toEqual(a);
  });
});

// 2100 samples: without per-batch events fit hands WASM 2048 samples at a time, so each epoch
// is two calls (2048 + 52); with onBatchEnd or a signal, one call per batch.
function bigTask(N = 2100, T = 3, V = 5): { x: Tensor; y: Tensor } {
  const x = new Float32Array(N * T);
  const y = new Float32Array(N * V);
  for (let n = 0; n < N; n++) {
    for (let t = 0; t < T; t++) x[n * T + t] = ((n * 5 + t * 3) % 13) / 13;
    y[n * V + ((n * 5) % 13) % V] = 1;
  }
  return { x: { shape: [N, T, 1], data: x }, y: { shape: [N, V], data: y } };
}

describe('across chunking and progress settings', () => {
  const silence = vi.spyOn(process.stdout, 'write');
  beforeAll(() => void silence.mockImplementation(() => true));
  afterAll(() => silence.mockRestore());

  it.each([1, 4])('batch %i: verbose 0/1/2, onBatchEnd, onEpochEnd, an unused AbortSignal: same weights and logs', async (batchSize) => {
    const { x, y } = bigTask();
    const variants: Array<[string, Omit<FitArgs, 'epochs' | 'batchSize'>]> = [
      ['verbose 0 (chunked)', { verbose: 0 }],
      ['verbose 1', { verbose: 1 }],
      ['verbose 2', { verbose: 2 }],
      ['onBatchEnd (one call per batch)', { verbose: 0, callbacks: { onBatchEnd: () => undefined } }],
      ['onEpochEnd (chunked)', { verbose: 0, callbacks: { onEpochEnd: () => undefined } }],
      ['an AbortSignal (one call per batch)', { verbose: 2, signal: new AbortController().signal }],
    ];
    const results: Array<{ name: string; sha: string; history: History['history'] }> = [];
    for (const [name, args] of variants) {
      const m = sequential({ seed: 12, layers: [lstm({ units: 4, inputShape: [3, 1] }), dense({ units: 5, activation: 'softmax' })] });
      m.compile({ loss: 'categoricalCrossentropy', optimizer: adam(), metrics: ['accuracy'] });
      const h = await m.fit(x, y, { epochs: 2, batchSize, ...args });
      results.push({ name, sha: sha256(m), history: h.history });
      m.dispose();
    }
    for (const r of results.slice(1)) {
      expect(r.sha, `${r.name} vs ${results[0].name}: weights`).toBe(results[0].sha);
      expect(r.history, `${r.name} vs ${results[0].name}: logs`).toEqual(results[0].history);
    }
    expect(silence).toHaveBeenCalled(); // verbose output was produced (and swallowed)
  });
});

describe('resuming: fit 6 epochs == fit 3, save, loadModel, fit epochs 4..6', () => {
  function task(N = 40, T = 3, V = 5): { x: Tensor; y: Tensor } {
    const x = new Float32Array(N * T);
    const y = new Float32Array(N * V);
    for (let n = 0; n < N; n++) {
      for (let t = 0; t < T; t++) x[n * T + t] = ((n * 3 + t) % V) / V;
      y[n * V + ((n * 3 + T) % V)] = 1;
    }
    return { x: { shape: [N, T, 1], data: x }, y: { shape: [N, V], data: y } };
  }
  const make = (rng: 'numpy' | 'seedrandom') => {
    const m = sequential({ seed: 21, rng, layers: [lstm({ units: 8, inputShape: [3, 1] }), dense({ units: 5, activation: 'softmax' })] });
    m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 0.01 }), metrics: ['accuracy'] });
    return m;
  };

  const CASES: Array<[string, 'numpy' | 'seedrandom', number, Partial<FitArgs>]> = [
    ['numpy, batch 1', 'numpy', 1, {}],
    ['numpy, batch 4', 'numpy', 4, {}],
    ['seedrandom, batch 1', 'seedrandom', 1, {}],
    ['seedrandom, batch 4', 'seedrandom', 4, {}],
    ['seedrandom, batch 4, validationSplit 0.25', 'seedrandom', 4, { validationSplit: 0.25 }],
  ];

  it.each(CASES)('%s: bit-identical weights and logs', async (_, rng, batchSize, extra) => {
    const { x, y } = task();
    const base = { batchSize, verbose: 0 as const, ...extra };
    const straight = make(rng);
    const full = await straight.fit(x, y, { ...base, epochs: 6 });

    const first = make(rng);
    const h1 = await first.fit(x, y, { ...base, epochs: 3 });
    const file = encodeModel(first.save()); // through the one-file container
    const resumed = loadModel(decodeModel(file));
    const h2 = await resumed.fit(x, y, { ...base, epochs: 6, initialEpoch: 3 });

    expect(sha256(resumed), 'weights').toBe(sha256(straight));
    expect(h2.epoch).toEqual([3, 4, 5]);
    expect(h2.params).toEqual(full.params);
    for (const key of Object.keys(full.history)) {
      expect([...h1.history[key], ...h2.history[key]], `logs: ${key}`).toEqual(full.history[key]);
    }
    expect(resumed.rng.getState(), 'the generator continues identically').toEqual(straight.rng.getState());
    // The same in memory: a second fit with initialEpoch continues the first one's order.
    await first.fit(x, y, { ...base, epochs: 6, initialEpoch: 3 });
    expect(sha256(first)).toBe(sha256(straight));
    // A checkpoint taken by a callback at the end of epoch 3 of the uninterrupted run resumes the same.
    let checkpoint: Uint8Array | null = null;
    const again = make(rng);
    await again.fit(x, y, { ...base, epochs: 6, callbacks: { onEpochEnd: (epoch) => void (epoch === 2 && (checkpoint = encodeModel(again.save()))) } });
    const fromCallback = loadModel(checkpoint!);
    await fromCallback.fit(x, y, { ...base, epochs: 6, initialEpoch: 3 });
    expect(sha256(fromCallback), 'resumed from an onEpochEnd checkpoint').toBe(sha256(straight));
    expect(sha256(again)).toBe(sha256(straight));
    fromCallback.dispose();
    again.dispose();
    // Without initialEpoch a fit starts from a fresh order, as Keras 2.0: another run.
    const fresh = loadModel(file);
    await fresh.fit(x, y, { ...base, epochs: 3 });
    expect(sha256(fresh)).not.toBe(sha256(straight));
    for (const m of [straight, first, resumed, fresh]) m.dispose();
  });
});

describe('kernels: simd and scalar', () => {
  it('each is deterministic; they may differ in the last bits (different summation order)', async () => {
    const { x, y } = bigTask(200);
    const hashes: Record<string, string[]> = { simd: [], scalar: [] };
    for (const kernels of ['simd', 'scalar', 'simd', 'scalar'] as const) {
      const m = sequential({ seed: 2, kernels, layers: [masking({ maskValue: -9, inputShape: [3, 1] }), lstm({ units: 9 }), dense({ units: 5, activation: 'softmax' })] });
      m.compile({ loss: 'categoricalCrossentropy', optimizer: adam() });
      await m.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
      hashes[kernels].push(sha256(m));
      m.dispose();
    }
    expect(hashes.simd[1]).toBe(hashes.simd[0]);
    expect(hashes.scalar[1]).toBe(hashes.scalar[0]);
    console.log(`simd and scalar kernels ${hashes.simd[0] === hashes.scalar[0] ? 'agree' : 'differ'} bit for bit on this run`);
  });
});
