// Saving, loading and exchanging models. Oracles: the model that was saved (bit-identical weights,
// predictions, optimizer state and generator after a round trip; the same continued training);
// zlib's crc32; tfjs-layers 4.22 loading our model.json and writing its own (predictions to
// 1e-6); PyTorch's and Keras's LSTM equations worked by hand in float64 on an H=1, D=2 model.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 as zlibCrc32 } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import {
  ready, sequential, lstm, dense, masking, adam, createRng, loadModel, encodeModel, decodeModel, crc32, toTfjsLayers, tfjsModelJSON,
  fromTfjsLayers, toPyTorchState, fromPyTorchState, saveModelIndexedDB, loadModelIndexedDB, deleteModelIndexedDB, downloadModel,
  FORMAT_VERSION, LIBRARY_VERSION, ShapeError, ValueError, ConfigError, StateError,
  type Sequential, type SequentialArgs, type SavedModel, type Tensor, type TfjsLayersSource,
} from '../src/index.js';
import { saveModelFile, loadModelFile, saveTfjsLayersFiles, loadTfjsLayersFiles } from '../src/io/node.js';
import { memoryStats } from '../src/wasm.js';
import { OP_STEP, OP_LR, OP_EPS } from '../src/generated/abi.js';
import { expectClose, Prng } from './helpers/compare.js';
import { randomWeights, twin, useTfjsCpuAndWasm } from './helpers/twin.js';
import { describeChromium, launchChromium } from './browser/chromium.js';
// @ts-expect-error plain ESM without types: the demo's own server
import { startServer } from '../web/serve.mjs';

useTfjsCpuAndWasm();

const sha256 = (m: Sequential): string => {
  const h = createHash('sha256');
  for (const w of m.getWeights()) h.update(new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength));
  return h.digest('hex');
};
const bytesOf = (f: Float32Array) => Array.from(new Uint8Array(f.buffer, f.byteOffset, f.byteLength));

/** Everything that decides what the model does next: weights, m, v, step, generator, fit's order. */
function fullState(m: Sequential) {
  const a = m.arena!;
  return {
    params: bytesOf(a.region('params')), m: bytesOf(a.region('m')), v: bytesOf(a.region('v')), step: a.opt()[OP_STEP],
    lr: a.getF32('opt', OP_LR), eps: a.getF32('opt', OP_EPS), rng: m.rng.getState(), order: m.fitState ? Array.from(m.fitState.order) : null,
    compiled: m.compiled, config: m.config, preset: m.preset,
  };
}

// N sequences of T steps (D=1), V classes: a counting task.
function task(N = 24, T = 3, V = 5): { x: Tensor; y: Tensor } {
  const x = new Float32Array(N * T);
  const y = new Float32Array(N * V);
  for (let n = 0; n < N; n++) {
    for (let t = 0; t < T; t++) x[n * T + t] = ((n + t) % V) / V;
    y[n * V + ((n + T) % V)] = 1;
  }
  return { x: { shape: [N, T, 1], data: x }, y: { shape: [N, V], data: y } };
}

async function trained(args: Partial<SequentialArgs> = {}, epochs = 2): Promise<Sequential> {
  const m = sequential({ seed: 3, layers: [lstm({ units: 4, inputShape: [3, 1] }), dense({ units: 5, activation: 'softmax' })], ...args });
  m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 0.01 }), metrics: ['accuracy'] });
  const { x, y } = task();
  await m.fit(x, y, { epochs, batchSize: 4, verbose: 0 });
  return m;
}

const VARIANTS: Array<[string, Partial<SequentialArgs>]> = [
  ['keras2, numpy stream', { rng: 'numpy' }],
  ['keras3, seedrandom, masking, any length', { preset: 'keras3', layers: [masking({ maskValue: -1, inputShape: [null, 1] }), lstm({ units: 4, unitForgetBias: false }), dense({ units: 5, activation: 'softmax' })] }],
  ['scalar kernels', { kernels: 'scalar' }],
];

describe('versions and checksum', () => {
  it('LIBRARY_VERSION is package.json\'s version; FORMAT_VERSION is 1', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(LIBRARY_VERSION).toBe(pkg.version);
    expect(FORMAT_VERSION).toBe(1);
  });

  it('crc32 equals zlib\'s (check value 0xcbf43926 for "123456789")', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    const rng = new Prng(5);
    for (const n of [0, 1, 3, 255, 4097]) {
      const b = Uint8Array.from({ length: n }, () => rng.int(256));
      expect(crc32(b), `length ${n}`).toBe(zlibCrc32(b));
    }
  });
});

describe('native format round trips', () => {
  it.each(VARIANTS)('%s: save -> load gives the same weights, predictions, optimizer, generator and next epoch', async (_, args) => {
    const m = await trained(args);
    const saved = m.save();
    const { x, y } = task();
    const sources: Array<[string, () => Sequential]> = [
      ['{ json, weights }', () => loadModel(saved)],
      ['encodeModel bytes', () => loadModel(encodeModel(saved))],
      ['JSON text + byte view', () => loadModel({ json: JSON.stringify(saved.json), weights: new Uint8Array(saved.weights) })],
    ];
    const before = fullState(m);
    for (const [how, load] of sources) {
      const l = load();
      expect(fullState(l), how).toEqual(before);
      expect(Array.from(l.predict(x).data), how).toEqual(Array.from(m.predict(x).data));
      expect(l.evaluate(x, y), how).toEqual(m.evaluate(x, y));
      l.dispose();
    }
    // One more epoch on each: the state that matters for training was all restored.
    const l = loadModel(encodeModel(saved));
    const h1 = await m.fit(x, y, { epochs: 3, initialEpoch: 2, batchSize: 4, verbose: 0 });
    const h2 = await l.fit(x, y, { epochs: 3, initialEpoch: 2, batchSize: 4, verbose: 0 });
    expect(h2.history).toEqual(h1.history);
    expect(sha256(l)).toBe(sha256(m));
    l.dispose();
    m.dispose();
  });

  it('describes itself: versions, architecture, options, compile, step, generator, fit order', async () => {
    const m = await trained({ rng: 'numpy' });
    const { json, weights } = m.save({ metadata: { note: 'letters', n: [1, 2] } });
    expect(json).toMatchObject({
      format: 'lstm-wasm/model', formatVersion: 1, libraryVersion: LIBRARY_VERSION,
      model: {
        className: 'Sequential', preset: 'keras2', kernels: 'simd', seed: 3,
        layers: [{ className: 'LSTM', config: { units: 4, inputShape: [3, 1] } }, { className: 'Dense', config: { units: 5, activation: 'softmax' } }],
        resolved: { T: 3, D: 1, H: 4, V: 5, recurrentActivation: 'hardSigmoid', adamEpsilon: 1e-8, accuracyKey: 'acc' },
      },
      compile: { loss: 'categoricalCrossentropy', optimizer: { className: 'Adam', config: { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: null } }, metrics: ['accuracy'] },
      optimizer: { step: 12 }, // 2 epochs x 6 batches
      rng: { kind: 'numpy' },
      fit: { epochs: 2, samples: 24 },
      metadata: { note: 'letters', n: [1, 2] },
    });
    const names = json.weights.tensors.map((t) => t.name);
    expect(names).toEqual([
      'lstm/kernel', 'lstm/recurrent_kernel', 'lstm/bias', 'dense/kernel', 'dense/bias',
      ...['m', 'v'].flatMap((r) => ['lstm/kernel', 'lstm/recurrent_kernel', 'lstm/bias', 'dense/kernel', 'dense/bias'].map((n) => `adam/${r}/${n}`)),
      'fit/order',
    ]);
    const P = 16 + 64 + 16 + 20 + 5;
    expect(weights.byteLength).toBe((3 * P + 24) * 4);
    expect(json.weights.crc32).toBe(zlibCrc32(new Uint8Array(weights)).toString(16).padStart(8, '0'));
    // The container: magic, version, the JSON, the weights.
    const file = encodeModel({ json, weights });
    expect(new TextDecoder().decode(file.subarray(0, 8))).toBe('LSTMWASM');
    expect(new DataView(file.buffer).getUint32(8, true)).toBe(1);
    expect(decodeModel(file)).toEqual({ json, weights });
    expect(loadModel(file).config.seed).toBe(3);
    m.dispose();
  });

  it('an uncompiled model loads uncompiled; includeOptimizer: false loads compiled with a fresh Adam', async () => {
    const raw = sequential({ seed: 1, layers: [lstm({ units: 3, inputShape: [3, 1] }), dense({ units: 5, activation: 'softmax' })] });
    const s = raw.save();
    expect(s.json.compile).toBeNull();
    expect(s.json.optimizer).toBeNull();
    expect(s.json.fit).toBeNull();
    const l = loadModel(s);
    expect(l.compiled).toBeNull();
    expect(sha256(l)).toBe(sha256(raw));
    expect(() => l.evaluate(task().x, task().y)).toThrow(StateError);
    l.dispose();
    raw.dispose();

    const m = await trained();
    const slim = m.save({ includeOptimizer: false });
    expect(slim.weights.byteLength).toBe((16 + 64 + 16 + 20 + 5) * 4); // the weights only: no m, v, fit order
    expect([slim.json.optimizer, slim.json.fit]).toEqual([null, null]);
    const l2 = loadModel(encodeModel(slim));
    expect(l2.arena!.opt()[OP_STEP]).toBe(0);
    expect(l2.arena!.region('m').every((v) => v === 0)).toBe(true);
    // The same as compiling the original afresh.
    m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 0.01 }), metrics: ['accuracy'] });
    const { x, y } = task();
    await m.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
    await l2.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
    expect(sha256(l2)).toBe(sha256(m));
    l2.dispose();
    m.dispose();
  });

  it('a model made with a generator object records seed null and keeps the stream; save refuses bad arguments and disposed models', async () => {
    const rng = createRng(9, 'numpy');
    const m = sequential({ rng, layers: [lstm({ units: 2, inputShape: [3, 1] }), dense({ units: 5, activation: 'softmax' })] });
    const l = loadModel(m.save());
    expect(l.config.seed).toBeNull();
    expect(l.rng).not.toBe(rng);
    expect(l.rng.random()).toBe(rng.random());
    expect(() => m.save({ metadata: { big: 1n } })).toThrow(ValueError);
    expect(() => m.save({ includeOptimizer: 'yes' as never })).toThrow(ConfigError);
    expect(() => m.save({ include: true } as never)).toThrow(/unknown option 'include'/);
    m.dispose();
    expect(() => m.save()).toThrow(/disposed/);
    l.dispose();
  });
});

describe('refused files: each with its own error, nothing half-loaded, the existing model untouched', () => {
  let victim: Sequential;
  let saved: SavedModel;
  let file: Uint8Array;
  const JSON_START = 24;

  beforeAll(async () => {
    const m = await trained();
    saved = m.save();
    file = encodeModel(saved);
    m.dispose();
    victim = await trained({ seed: 8 });
  });
  afterAll(() => victim.dispose());

  /** A {json, weights} whose JSON was edited (a valid file otherwise: checksums recomputed). */
  const edited = (edit: (j: SavedModel['json'], w: DataView) => void): Uint8Array => {
    const json = structuredClone(saved.json);
    const weights = saved.weights.slice(0);
    edit(json, new DataView(weights));
    json.weights.crc32 = zlibCrc32(new Uint8Array(weights)).toString(16).padStart(8, '0');
    return encodeModel({ json, weights });
  };
  const flip = (at: number) => {
    const b = file.slice();
    b[at] ^= 0x10;
    return b;
  };
  const jsonBytes = () => new DataView(file.buffer).getUint32(12, true);

  const CASES: Array<[string, () => unknown, new (m: string) => Error, RegExp]> = [
    ['not a model file', () => new TextEncoder().encode('hello world, not a model at all'), ValueError, /not an lstm-wasm model file: it does not start with "LSTMWASM"$/],
    ['a tfjs model.json', () => new TextEncoder().encode('{"modelTopology": {}}'), ValueError, /looks like a TensorFlow\.js model\.json: use fromTfjsLayers/],
    ['truncated in the header', () => file.slice(0, 20), ValueError, /truncated file: 20 bytes, shorter than the 24-byte header/],
    ['truncated in the JSON', () => file.slice(0, JSON_START + 10), ValueError, /truncated file: 34 bytes, the header announces \d+/],
    ['truncated in the weights', () => file.slice(0, file.length - 1), ValueError, /truncated file: \d+ bytes, the header announces \d+/],
    ['truncated weights of a { json, weights }', () => ({ json: saved.json, weights: saved.weights.slice(0, 100) }), ValueError, /truncated weights: 100 bytes, the model describes \d+/],
    ['corrupted weights', () => flip(file.length - 7), ValueError, /corrupted model: the weights' CRC-32 is [0-9a-f]{8}, the model says [0-9a-f]{8}/],
    ['corrupted JSON', () => flip(JSON_START + 30), ValueError, /corrupted file: the JSON part's CRC-32/],
    ['trailing bytes', () => Uint8Array.from([...file, 0, 0, 0, 0]), ValueError, /corrupted file: 4 unexpected bytes after the weights/],
    ['a newer format version (JSON)', () => edited((j) => (j.formatVersion = 2)), ConfigError, /incompatible version: the file is in format version 2 \(written by lstm-wasm 0\.1\.0\); lstm-wasm 0\.1\.0 reads format version 1 only; upgrade lstm-wasm/],
    ['a newer format version (header)', () => { const b = file.slice(); new DataView(b.buffer).setUint32(8, 7, true); return b; }, ConfigError, /incompatible version: the file is in format version 7/],
    ['an older format version ({ json, weights })', () => ({ json: { ...saved.json, formatVersion: 0 }, weights: saved.weights }), ConfigError, /format version 0 .*reads format version 1 only$/],
    ['another format', () => ({ json: { ...saved.json, format: 'keras' }, weights: saved.weights }), ValueError, /not an lstm-wasm model: its json has format 'keras'/],
    ['a wrong-shape tensor', () => edited((j) => (j.model.layers[0].config.units = 8)), ShapeError, /wrong shape: 'lstm\/kernel' is \[1, 16\] in the file, but the saved architecture \(D=1 features, LSTM units 8, V=5 classes\) needs \[1, 32\]/],
    ['a missing tensor', () => edited((j) => (j.weights.tensors[4].name = 'dense/b')), ValueError, /the tensor 'dense\/bias' \(weights\) is missing/],
    ['a tensor outside the weights', () => edited((j) => (j.weights.tensors[0].byteOffset = 1 << 20)), ValueError, /tensor 'lstm\/kernel' .* claims 64 bytes at 1048576/],
    ['a NaN weight', () => edited((_, w) => w.setFloat32(8, NaN, true)), ValueError, /'lstm\/kernel' has NaN at flat index 2; saved weights must be finite/],
    ['a negative v', () => edited((j, w) => w.setFloat32(j.weights.tensors.find((t) => t.name === 'adam/v/dense/bias')!.byteOffset, -1, true)), ValueError, /'adam\/v\/dense\/bias' has -1 at flat index 0.*>= 0/],
    ['an unknown layer', () => edited((j) => (j.model.layers[0].className = 'GRU' as never)), ConfigError, /layer 0 has className 'GRU'/],
    ['a bad layer option', () => edited((j) => (j.model.layers[0].config.recurrentActivation = 'relu')), ConfigError, /layer 0 \(LSTM\): lstm\(\): recurrentActivation must be one of/],
    ['an unknown preset', () => edited((j) => (j.model.preset = 'keras9' as never)), ConfigError, /unknown preset 'keras9'/],
    ['other preset semantics', () => edited((j) => (j.model.resolved.adamEpsilon = 1e-3)), ConfigError, /incompatible semantics: the model was saved with adamEpsilon = 0\.001/],
    ['a bad optimizer', () => edited((j) => (j.compile!.optimizer.config.beta1 = 2)), ConfigError, /the saved optimizer: adam\(\): beta1 must be/],
    ['a bad generator state', () => edited((j) => ((j.rng as { arc4: unknown }).arc4 = { i: 300, j: 0, S: [] })), ValueError, /the generator's state: SeededRandom\.setState\(\)/],
    ['an order that is not a permutation', () => edited((j, w) => { const at = j.weights.tensors.at(-1)!.byteOffset; w.setInt32(at, w.getInt32(at + 4, true), true); }), ValueError, /'fit\/order' is not a permutation/],
    ['not bytes', () => 42, ValueError, /expected model\.save\(\)'s \{ json, weights \} or encodeModel\(\) bytes, received 42/],
  ];

  it.each(CASES)('%s', (_, make, Err, message) => {
    const bad = make() as Uint8Array;
    const live = memoryStats().liveBytes;
    let thrown: unknown;
    try {
      loadModel(bad).dispose();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(Err);
    expect((thrown as Error).message).toMatch(/^loadModel\(\): /);
    expect((thrown as Error).message).toMatch(message);
    expect(memoryStats().liveBytes, 'no WASM memory kept').toBe(live);
    // In place: refused the same way, and the model is exactly as it was.
    const before = fullState(victim);
    expect(() => victim.loadWeights(bad as never)).toThrow(Err);
    expect(fullState(victim)).toEqual(before);
  });

  it('the messages are all different', () => {
    const messages = CASES.map(([, make]) => {
      try {
        loadModel(make() as never);
      } catch (e) {
        return (e as Error).message;
      }
      return 'loaded';
    });
    expect(new Set(messages).size).toBe(CASES.length);
  });

  it('loadWeights copies the weights of a matching model and keeps the optimizer state; another architecture is a ShapeError', async () => {
    const target = await trained({ seed: 11 });
    const step = target.arena!.opt()[OP_STEP];
    const m = bytesOf(target.arena!.region('m'));
    target.loadWeights(file);
    expect(sha256(target)).toBe(sha256(loadModel(file)));
    expect(target.arena!.opt()[OP_STEP]).toBe(step);
    expect(bytesOf(target.arena!.region('m'))).toEqual(m);
    const other = sequential({ layers: [lstm({ units: 6, inputShape: [3, 1] }), dense({ units: 5, activation: 'softmax' })] });
    const before = fullState(other);
    expect(() => other.loadWeights(file)).toThrow(/loadWeights\(\): wrong shape: the file holds a model with D=1 features, LSTM units \[4\], V=5 classes; this model has D=1, LSTM units \[6\], V=5/);
    expect(fullState(other)).toEqual(before);
    other.dispose();
    target.dispose();
  });
});

describe('Node files (lstm-wasm/node)', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'lstm-wasm-io-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('saveModelFile writes one container atomically; loadModelFile restores it', async () => {
    const m = await trained();
    const path = join(dir, 'model.lstm');
    await saveModelFile(m, path, { metadata: { run: 1 } });
    expect(readdirSync(dir)).toEqual(['model.lstm']); // no temporary left behind
    const bytes = readFileSync(path);
    expect(bytes.subarray(0, 8).toString()).toBe('LSTMWASM');
    const l = await loadModelFile(path);
    expect(fullState(l)).toEqual(fullState(m));
    await expect(loadModelFile(join(dir, 'missing.lstm'))).rejects.toThrow(/ENOENT/);
    writeFileSync(join(dir, 'short.lstm'), bytes.subarray(0, 200));
    await expect(loadModelFile(join(dir, 'short.lstm'))).rejects.toThrow(/loadModelFile\(\) .*short\.lstm: truncated file/);
    await expect(saveModelFile(m, '' as never)).rejects.toThrow(ValueError);
    l.dispose();
    m.dispose();
  });

  it('saveTfjsLayersFiles writes model.json + weights.bin that tfjs and loadTfjsLayersFiles read', async () => {
    const m = await trained({ preset: 'keras3' });
    const { modelJson, weightsBin } = await saveTfjsLayersFiles(m, join(dir, 'tfjs'));
    const json = JSON.parse(readFileSync(modelJson, 'utf8'));
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    const bin = readFileSync(weightsBin);
    const t = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: new Uint8Array(bin).buffer }));
    const { x } = task();
    const theirs = tf.tidy(() => (t.predict(tf.tensor3d(x.data, [24, 3, 1])) as tf.Tensor).dataSync());
    expectClose('tfjs predict from the files', m.predict(x).data, theirs, { atol: 1e-6, rtol: 0 }, [24, 5]);
    const l = await loadTfjsLayersFiles(modelJson);
    expect(sha256(l)).toBe(sha256(m));
    t.dispose();
    l.dispose();
    m.dispose();
  });
});

describe('the CLI (dist/cli.js)', () => {
  it('--save writes the trained listing model; --load runs the same evaluation and demo predictions without training', async () => {
    const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
    expect(existsSync(cli), `${cli} is missing: run npm run build (npm test does it first)`).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'lstm-wasm-cli-'));
    const file = join(dir, 'listing.lstm');
    const node = (args: string[]) => promisify(execFile)(process.execPath, [cli, ...args], { timeout: 30_000 });
    try {
      const trainedRun = (await node(['--samples', '120', '--epochs', '4', '--units', '8', '--rng', 'seedrandom', '--seed', '3', '--verbose', '0', '--save', file])).stdout;
      expect(trainedRun).toContain(`Saved the model to ${file}`);
      const loadedRun = (await node(['--load', file])).stdout;
      expect(loadedRun).toMatch(/^Loaded .*listing\.lstm \(lstm-wasm 0\.1\.0, LSTM\(8\), keras2\)/);
      expect(loadedRun).not.toMatch(/Trained|Epoch/);
      const results = (out: string) => out.split('\n').filter((l) => /^(Model Accuracy|Accuracy on all|pattern :|\[')/.test(l));
      expect(results(loadedRun)).toHaveLength(42); // 2 accuracies, 20 patterns, 20 predictions
      expect(results(loadedRun)).toEqual(results(trainedRun));
      await expect(node(['--load', file, '--epochs', '3'])).rejects.toMatchObject({ code: 2, stderr: 'lstm-wasm: --epochs does not apply with --load (the model is loaded, not trained)\n' });
      writeFileSync(file, readFileSync(file).subarray(0, 100));
      await expect(node(['--load', file])).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/^lstm-wasm: --load .*listing\.lstm: truncated file: 100 bytes/) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('browser helpers', () => {
  it('in Node: check their arguments, then say what is missing', async () => {
    const m = await trained();
    await expect(saveModelIndexedDB(m, '' as never)).rejects.toThrow(/saveModelIndexedDB\(\): key must be a non-empty string/);
    await expect(saveModelIndexedDB(m, 'k', { dbname: 'x' } as never)).rejects.toThrow(/did you mean 'dbName'/);
    await expect(saveModelIndexedDB(m, 'k')).rejects.toThrow(/saveModelIndexedDB\(\): this host has no IndexedDB \(in Node, use saveModelFile/);
    await expect(loadModelIndexedDB('k')).rejects.toThrow(StateError);
    await expect(deleteModelIndexedDB(5 as never)).rejects.toThrow(ValueError);
    expect(() => downloadModel(m, 'a/b.lstm')).toThrow(/filename must be a non-empty name without slashes/);
    expect(() => downloadModel(m, 'm.lstm')).toThrow(/downloadModel\(\): needs a browser page/);
    m.dispose();
  });

  describeChromium('in Chromium (the <script> bundle)', () => {
    it('IndexedDB round trip and a download that loads in Node bit for bit', async () => {
      const server = await startServer();
      const chrome = await launchChromium();
      try {
        const page = await chrome.browser.newPage({ acceptDownloads: true });
        await page.goto(`${server.url}/package.json`); // an http origin, for IndexedDB
        await page.setContent('<!doctype html><title>io</title><body></body>');
        await page.addScriptTag({ url: '/dist/lstm-wasm.js' });
        const download = page.waitForEvent('download');
        const r = await page.evaluate(async () => {
          const L = (globalThis as unknown as { lstmWasm: typeof import('../src/index.js') }).lstmWasm;
          await L.ready();
          const N = 24, T = 3, V = 5;
          const x = new Float32Array(N * T);
          const y = new Float32Array(N * V);
          for (let n = 0; n < N; n++) {
            for (let t = 0; t < T; t++) x[n * T + t] = ((n + t) % V) / V;
            y[n * V + ((n + T) % V)] = 1;
          }
          const m = L.sequential({ seed: 3, layers: [L.lstm({ units: 4, inputShape: [3, 1] }), L.dense({ units: 5, activation: 'softmax' })] });
          m.compile({ loss: 'categoricalCrossentropy', optimizer: L.adam({ learningRate: 0.01 }), metrics: ['accuracy'] });
          await m.fit({ shape: [N, T, 1], data: x }, { shape: [N, V], data: y }, { epochs: 2, batchSize: 4, verbose: 0 });
          await L.saveModelIndexedDB(m, 'letters');
          const back = await L.loadModelIndexedDB('letters');
          const same = Array.from(back.predict({ shape: [N, T, 1], data: x }).data).join() === Array.from(m.predict({ shape: [N, T, 1], data: x }).data).join();
          let missing = '';
          await L.deleteModelIndexedDB('letters');
          try {
            await L.loadModelIndexedDB('letters');
          } catch (e) {
            missing = `${(e as Error).name}: ${(e as Error).message}`;
          }
          L.downloadModel(m, 'letters.lstm');
          return { same, missing, weights: m.getWeights().map((w) => Array.from(w.data)) };
        });
        expect(r.same).toBe(true);
        expect(r.missing).toBe("ValueError: loadModelIndexedDB(): no model saved under key 'letters' in IndexedDB database 'lstm-wasm'");
        const d = await download;
        expect(d.suggestedFilename()).toBe('letters.lstm');
        const l = loadModel(readFileSync(await d.path()));
        expect(l.getWeights().map((w) => Array.from(w.data))).toEqual(r.weights);
        const here = await trained();
        expect(sha256(l), 'Chromium and Node train the same bits').toBe(sha256(here));
        expect(fullState(l)).toEqual(fullState(here));
        l.dispose();
        here.dispose();
      } finally {
        await chrome.close();
        await server.close();
      }
    }, 40_000);
  });
});

describe('TensorFlow.js Layers format', () => {
  const padded = (N: number, T: number, mask: number) => {
    const rng = new Prng(21);
    const x = new Float32Array(N * T).fill(mask);
    for (let n = 0; n < N; n++) {
      const len = 1 + (n % T);
      for (let t = T - len; t < T; t++) x[n * T + t] = rng.uniform(0, 1);
    }
    return x;
  };

  it.each([
    ['keras2 (hard_sigmoid), fixed length', { rng: 'numpy' as const }],
    ['keras3 (sigmoid), masking, any length', { preset: 'keras3' as const, layers: [masking({ maskValue: -1, inputShape: [null, 1] }), lstm({ units: 4 }), dense({ units: 5, activation: 'softmax' })] }],
  ])('ours -> tf.loadLayersModel(tf.io.fromMemory(...)): %s, same weights and predictions', async (_, args) => {
    const m = await trained(args, 5);
    const a = toTfjsLayers(m);
    expect(a.format).toBe('layers-model');
    expect(a.weightSpecs.map((s) => [s.name, s.shape])).toEqual(m.getWeights().map((w) => [w.name, w.shape]));
    const lstmCfg = ((a.modelTopology.config as { layers: Array<{ class_name: string; config: Record<string, unknown> }> }).layers.find((l) => l.class_name === 'LSTM')!).config;
    expect(lstmCfg.recurrent_activation).toBe(m.preset.recurrentActivation === 'hardSigmoid' ? 'hard_sigmoid' : 'sigmoid');
    for (const artifacts of [a, { ...JSON.parse(tfjsModelJSON(a)), weightSpecs: a.weightsManifest[0].weights, weightData: a.weightData }]) {
      const t = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
      t.getWeights().forEach((w, i) => expect(Array.from(w.dataSync()), `weight ${i}`).toEqual(Array.from(m.getWeights()[i].data)));
      const x = m.maskingLayer ? padded(24, 4, -1) : task().x.data;
      const T = x.length / 24;
      const theirs = tf.tidy(() => (t.predict(tf.tensor3d(x, [24, T, 1])) as tf.Tensor).dataSync());
      const ours = m.predict({ shape: [24, T, 1], data: x }).data;
      expectClose(`tfjs vs ours, ${_}`, ours, theirs, { atol: 1e-6, rtol: 0 }, [24, 5]);
      t.dispose();
    }
    m.dispose();
  });

  it.each([
    ['hardSigmoid', 'hardSigmoid' as const, undefined],
    ['sigmoid with masking', 'sigmoid' as const, 0],
  ])('tfjs tf.sequential (every option spelled out) -> model.save -> fromTfjsLayers: %s, same predictions', async (_, act, maskValue) => {
    const [T, D, H, V] = [5, 2, 6, 7];
    const ws = randomWeights(new Prng(act === 'sigmoid' ? 1 : 2), D, H, V);
    const t = twin({ T: maskValue === undefined ? T : null, D, H, V }, act, ws, maskValue);
    let artifacts: tf.io.ModelArtifacts | undefined;
    await t.save(tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const m = fromTfjsLayers(artifacts as TfjsLayersSource, { seed: 4 });
    expect(m.preset.recurrentActivation).toBe(act);
    expect(m.maskingLayer?.config.maskValue).toBe(maskValue);
    expect(m.T).toBe(maskValue === undefined ? T : null);
    expect(m.compiled).toBeNull();
    m.getWeights().forEach((w, i) => expect(Array.from(w.data), w.name).toEqual(Array.from(ws[i].data)));
    const rng = new Prng(9);
    const x = rng.floats(16 * T * D, -1, 1);
    if (maskValue !== undefined) for (let n = 0; n < 16; n++) x.fill(maskValue, n * T * D, (n * T + (n % T)) * D); // pre-padding
    const theirs = tf.tidy(() => (t.predict(tf.tensor3d(x, [16, T, D])) as tf.Tensor).dataSync());
    expectClose(`ours vs tfjs, ${_}`, m.predict({ shape: [16, T, D], data: x }).data, theirs, { atol: 1e-6, rtol: 0 }, [16, V]);
    m.dispose();
  });

  // What tensorflowjs_converter writes for a tf.keras 2 model: an InputLayer, lstm_cell in the
  // weight names, the weights split in two shards and listed out of order.
  const kerasLike = (over: { lstm?: Record<string, unknown>; version?: string; layers?: unknown[] } = {}) => {
    const [D, H, V] = [2, 3, 4];
    const ws = randomWeights(new Prng(31), D, H, V);
    const names = ['lstm/lstm_cell/kernel', 'lstm/lstm_cell/recurrent_kernel', 'lstm/lstm_cell/bias', 'dense/kernel', 'dense/bias'];
    const order = [3, 4, 0, 1, 2];
    const specs = order.map((i) => ({ name: names[i], shape: ws[i].shape, dtype: 'float32' as const }));
    const data = order.map((i) => ws[i].data);
    const cut = data[0].length + data[1].length;
    const all = new Float32Array(data.reduce((n, d) => n + d.length, 0));
    data.reduce((at, d) => (all.set(d, at), at + d.length), 0);
    const topology = {
      class_name: 'Sequential', keras_version: over.version ?? '2.15.0', backend: 'tensorflow',
      config: {
        name: 'sequential',
        layers: over.layers ?? [
          { class_name: 'InputLayer', config: { batch_input_shape: [null, 4, D], dtype: 'float32', sparse: false, ragged: false, name: 'input_1' } },
          { class_name: 'LSTM', config: { name: 'lstm', units: H, activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true, dropout: 0.0, recurrent_dropout: 0.0, return_sequences: false, return_state: false, go_backwards: false, stateful: false, time_major: false, unroll: false, unit_forget_bias: true, implementation: 2, ...over.lstm } },
          { class_name: 'Dense', config: { name: 'dense', units: V, activation: 'softmax', use_bias: true } },
        ],
      },
    };
    return {
      ws,
      source: { modelTopology: { model_config: topology }, weightsManifest: [{ paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: specs }], weightData: [all.buffer.slice(0, cut * 4), all.buffer.slice(cut * 4)] } as TfjsLayersSource,
    };
  };

  it('reads a converted Keras model: InputLayer, lstm_cell names, shards, weights out of order', () => {
    const { ws, source } = kerasLike();
    const m = fromTfjsLayers(source);
    expect([m.T, m.D, m.H, m.V]).toEqual([4, 2, 3, 4]);
    expect(m.preset.recurrentActivation).toBe('sigmoid');
    m.getWeights().forEach((w, i) => expect(Array.from(w.data), w.name).toEqual(Array.from(ws[i].data)));
    m.dispose();
  });

  it.each([
    ['a GRU', { layers: [{ class_name: 'GRU', config: {} }, { class_name: 'Dense', config: {} }] }, ConfigError, /layers\[0\] is a 'GRU'; lstm-wasm imports Masking, LSTM, Dense layers/],
    ['dropout', { lstm: { dropout: 0.2 } }, ConfigError, /LSTM has dropout: 0\.2; lstm-wasm has no dropout/],
    ['a regularizer', { lstm: { kernel_regularizer: { class_name: 'L2', config: { l2: 0.01 } } } }, ConfigError, /kernel_regularizer/],
    ['return_state', { lstm: { return_state: true } }, ConfigError, /return_state: true; lstm-wasm LSTMs run forward and return their outputs only/],
    ['go_backwards', { lstm: { go_backwards: true } }, ConfigError, /go_backwards: true/],
    ['relu gates', { lstm: { recurrent_activation: 'relu' } }, ConfigError, /recurrent_activation 'relu'; lstm-wasm supports 'hard_sigmoid' and 'sigmoid'/],
    ['Keras 3 hard_sigmoid', { lstm: { recurrent_activation: 'hard_sigmoid' }, version: '3.3.3' }, ConfigError, /Keras 3\.3\.3 hard_sigmoid is relu6\(x \+ 3\) \/ 6/],
    ['units that do not fit the weights', { lstm: { units: 5 } }, ShapeError, /wrong shape: weight 'lstm\/lstm_cell\/kernel' is \[2, 12\], but lstm\/kernel of this LSTM\(5\) -> Dense\(4\) on 2 features must be \[2, 20\]/],
  ])('refuses %s', (_, over, Err, message) => {
    const live = memoryStats().liveBytes;
    expect(() => fromTfjsLayers(kerasLike(over).source)).toThrow(Err);
    expect(() => fromTfjsLayers(kerasLike(over).source)).toThrow(message);
    expect(memoryStats().liveBytes).toBe(live);
  });

  it('refuses truncated, quantized and non-Sequential artefacts', () => {
    const { source } = kerasLike();
    const short = { ...source, weightData: [(source.weightData as ArrayBuffer[])[0]] };
    expect(() => fromTfjsLayers(short)).toThrow(/truncated weightData: the specs describe 352 bytes, weightData has 64/);
    const q = { ...source, weightsManifest: [{ weights: source.weightsManifest![0].weights.map((s) => ({ ...s, quantization: { dtype: 'uint8' } })) }] };
    expect(() => fromTfjsLayers(q)).toThrow(/is quantized/);
    expect(() => fromTfjsLayers({ ...source, modelTopology: { class_name: 'Functional', config: {} } })).toThrow(/only Sequential models are supported, this is a 'Functional'/);
  });
});

describe('PyTorch state_dict and Keras get_weights(), by hand on H=1, D=2, V=2', () => {
  // Keras order, gates i, f, c, o in columns: kernel (D=2, 4H=4), recurrent_kernel (1, 4), bias (4).
  const W = [0.5, -0.25, 0.75, 1.0, /* row d=1 */ -0.5, 0.125, 0.25, -1.5];
  const U = [0.375, -0.625, 0.5, 0.875];
  const b = [0.25, 1.0, -0.125, 0.5];
  const K = [1.5, -0.75]; // (H=1, V=2)
  const bd = [0.125, -0.25];
  const xs = [[0.5, -1.0], [0.25, 0.75]]; // one sample, T=2 steps of D=2
  const sig = (z: number) => 1 / (1 + Math.exp(-z));

  const build = () => {
    const m = sequential({ layers: [lstm({ units: 1, inputShape: [2, 2], recurrentActivation: 'sigmoid' }), dense({ units: 2, activation: 'softmax' })] });
    m.setWeights([W, U, b, K, bd]);
    return m;
  };

  it('toPyTorchState transposes to (4H, D), (4H, H), (V, H), keeps i, f, g, o = i, f, c, o, and puts the bias in bias_ih', () => {
    const m = build();
    const s = toPyTorchState(m, { denseName: 'fc' });
    expect(Object.keys(s)).toEqual(['lstm.weight_ih_l0', 'lstm.weight_hh_l0', 'lstm.bias_ih_l0', 'lstm.bias_hh_l0', 'fc.weight', 'fc.bias']);
    // weight_ih_l0 row g = [W[0][g], W[1][g]]: rows i, f, g, o.
    expect(s['lstm.weight_ih_l0']).toEqual({ shape: [4, 2], data: Float32Array.from([0.5, -0.5, -0.25, 0.125, 0.75, 0.25, 1.0, -1.5]) });
    expect(s['lstm.weight_hh_l0']).toEqual({ shape: [4, 1], data: Float32Array.from(U) });
    expect(s['lstm.bias_ih_l0']).toEqual({ shape: [4], data: Float32Array.from(b) });
    expect(s['lstm.bias_hh_l0']).toEqual({ shape: [4], data: new Float32Array(4) });
    expect(s['fc.weight']).toEqual({ shape: [2, 1], data: Float32Array.from(K) });
    expect(s['fc.bias']).toEqual({ shape: [2], data: Float32Array.from(bd) });
    m.dispose();
  });

  it('PyTorch\'s equations on the exported state and Keras\'s on getWeights() both give our predictions', () => {
    const m = build();
    const s = toPyTorchState(m);
    // PyTorch nn.LSTM: gates = W_ih x + b_ih + W_hh h + b_hh, rows chunked i, f, g, o.
    let h = 0;
    let c = 0;
    for (const x of xs) {
      const g = [0, 1, 2, 3].map((r) => s['lstm.weight_ih_l0'].data[2 * r] * x[0] + s['lstm.weight_ih_l0'].data[2 * r + 1] * x[1] + s['lstm.bias_ih_l0'].data[r] + s['lstm.weight_hh_l0'].data[r] * h + s['lstm.bias_hh_l0'].data[r]);
      c = sig(g[1]) * c + sig(g[0]) * Math.tanh(g[2]);
      h = sig(g[3]) * Math.tanh(c);
    }
    const z = [0, 1].map((v) => s['dense.weight'].data[v] * h + s['dense.bias'].data[v]);
    const torch = z.map((v) => Math.exp(v) / (Math.exp(z[0]) + Math.exp(z[1])));
    // Keras: z = x W + h U + b, columns i, f, c, o.
    const [kW, kU, kb, kK, kbd] = m.getWeights().map((w) => w.data);
    h = 0;
    c = 0;
    for (const x of xs) {
      const g = [0, 1, 2, 3].map((col) => x[0] * kW[col] + x[1] * kW[4 + col] + h * kU[col] + kb[col]);
      c = sig(g[1]) * c + sig(g[0]) * Math.tanh(g[2]);
      h = sig(g[3]) * Math.tanh(c);
    }
    const zk = [0, 1].map((v) => h * kK[v] + kbd[v]);
    const keras = zk.map((v) => Math.exp(v) / (Math.exp(zk[0]) + Math.exp(zk[1])));
    const ours = m.predict({ shape: [1, 2, 2], data: Float32Array.from(xs.flat()) }).data;
    expectClose('ours vs PyTorch by hand', ours, torch, { atol: 1e-6, rtol: 0 });
    expectClose('ours vs Keras by hand', ours, keras, { atol: 1e-6, rtol: 0 });
    m.dispose();
  });

  it('fromPyTorchState sums the two biases, reads any module names and JSON number arrays, and round-trips', () => {
    const m = build();
    const s = toPyTorchState(m);
    // PyTorch keeps two biases: split b as b_ih = b - 0.25, b_hh = 0.25; from JSON (number arrays), other names.
    const json = {
      'encoder.weight_ih_l0': { shape: [4, 2], data: Array.from(s['lstm.weight_ih_l0'].data) },
      'encoder.weight_hh_l0': { shape: [4, 1], data: Array.from(s['lstm.weight_hh_l0'].data) },
      'encoder.bias_ih_l0': { shape: [4], data: b.map((v) => v - 0.25) },
      'encoder.bias_hh_l0': { shape: [4], data: [0.25, 0.25, 0.25, 0.25] },
      'head.weight': { shape: [2, 1], data: K },
      'head.bias': { shape: [2], data: bd },
    };
    const l = fromPyTorchState(JSON.parse(JSON.stringify(json)), { timesteps: 2 });
    expect(l.preset.recurrentActivation).toBe('sigmoid');
    expect(l.T).toBe(2);
    expect(sha256(l)).toBe(sha256(m));
    const back = toPyTorchState(fromPyTorchState(s));
    expect(back).toEqual(s);
    const masked = fromPyTorchState(s, { maskValue: 0 });
    expect(masked.maskingLayer?.config.maskValue).toBe(0);
    masked.dispose();
    l.dispose();
    m.dispose();
  });

  it('a stack of equal LSTMs is nn.LSTM(num_layers=2): keys _l0 and _l1, and back to the same model', () => {
    const m = sequential({ seed: 4, layers: [
      lstm({ units: 3, returnSequences: true, inputShape: [2, 2], recurrentActivation: 'sigmoid' }),
      lstm({ units: 3, recurrentActivation: 'sigmoid' }), dense({ units: 2, activation: 'softmax' })] });
    const s = toPyTorchState(m);
    expect(Object.keys(s).sort()).toEqual(['dense.bias', 'dense.weight', ...['bias_hh', 'bias_ih', 'weight_hh', 'weight_ih'].flatMap((w) => [`lstm.${w}_l0`, `lstm.${w}_l1`])].sort());
    expect(s['lstm.weight_ih_l1'].shape).toEqual([12, 3]); // (4H, H of the layer below)
    const back = fromPyTorchState(s, { timesteps: 2 });
    expect(back.units).toEqual([3, 3]);
    back.getWeights().forEach((w, i) => expect(Array.from(w.data), w.name).toEqual(Array.from(m.getWeights()[i].data)));
    const x = { shape: [1, 2, 2], data: new Float32Array([0.5, -1, 0.25, 0.75]) };
    expect(Array.from(back.predict(x).data)).toEqual(Array.from(m.predict(x).data));
    const uneven = sequential({ layers: [lstm({ units: 3, returnSequences: true, inputShape: [2, 2], recurrentActivation: 'sigmoid' }), lstm({ units: 2, recurrentActivation: 'sigmoid' }), dense({ units: 2 })] });
    expect(() => toPyTorchState(uneven)).toThrow(/stacks LSTMs of 3, 2 units; one PyTorch nn\.LSTM stacks layers of a single hidden_size/);
    for (const x of [back, uneven, m]) x.dispose();
  });

  it('refuses hardSigmoid models, bidirectional LSTMs, incomplete layers and wrong shapes', () => {
    const hard = sequential({ layers: [lstm({ units: 1, inputShape: [2, 2] }), dense({ units: 2, activation: 'softmax' })] });
    expect(() => toPyTorchState(hard)).toThrow(/gates use hardSigmoid; PyTorch's nn\.LSTM uses sigmoid/);
    hard.dispose();
    const m = build();
    const s = toPyTorchState(m);
    expect(() => fromPyTorchState({ ...s, 'lstm.weight_ih_l1': s['lstm.weight_ih_l0'] })).toThrow(/expected one weight_hh_l1 key, found none/);
    expect(() => fromPyTorchState({ ...s, 'lstm.weight_ih_l0_reverse': s['lstm.weight_ih_l0'] })).toThrow(ConfigError);
    expect(() => fromPyTorchState({ ...s, 'dense.weight': { shape: [2, 3], data: new Float32Array(6) } })).toThrow(/wrong shape: 'dense\.weight' is \[2, 3\], expected \[2, 1\] \(V, H\)/);
    expect(() => fromPyTorchState({ ...s, 'lstm.bias_hh_l0': { shape: [4], data: new Float32Array(3) } })).toThrow(ShapeError);
    const { 'dense.bias': _, ...noBias } = s;
    expect(() => fromPyTorchState(noBias)).toThrow(/expected one nn\.Linear bias key, found none/);
    expect(() => toPyTorchState(m, { lstmName: 'x', denseName: 'x' })).toThrow(ValueError);
    m.dispose();
  });
});
