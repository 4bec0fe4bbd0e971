// Part 2, the peers: TensorFlow.js 4.22 on its pure-JS `cpu` backend and on
// @tensorflow/tfjs-backend-wasm, the same model as the listing with every option spelled out
// (tfjs's own defaults differ from Keras), the same data, the same batch sizes, the same initial
// weights as ours. They are overhead-bound at batch 1 (seconds per epoch), so each runs a bounded
// number of epochs (in quick mode over a subset of the samples) and is extrapolated to 500 epochs.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { LISTING, collect, measure, median, note } from './common.mjs';
import { latency, listingModel } from './training.mjs';

const require = createRequire(import.meta.url);

/** The peers' settings for one run: samples per timed epoch, repeats, warm-up samples. */
export function peersPlan(quick) {
  return quick
    ? { 1: { samples: 64, repeats: 3, warmupSamples: 16 }, 32: { samples: 192, repeats: 3, warmupSamples: 64 }, predictMs: 150 }
    : { 1: { samples: LISTING.N, repeats: 3, warmupSamples: 100 }, 32: { samples: LISTING.N, repeats: 5, warmupSamples: 128 }, predictMs: 600 };
}

let loaded = null;

/**
 * Imports tfjs and the wasm backend once. Records which .wasm binary the backend actually reads
 * (it picks plain, SIMD or threaded-SIMD from feature probes; Node gets no threads).
 */
export async function loadTf() {
  if (loaded) return loaded;
  const wasmFiles = [];
  const readFileSync = fs.readFileSync;
  const readFile = fs.readFile;
  fs.readFileSync = function (p, ...rest) {
    if (String(p).endsWith('.wasm')) wasmFiles.push(String(p));
    return readFileSync.call(this, p, ...rest);
  };
  fs.readFile = function (p, ...rest) {
    if (String(p).endsWith('.wasm')) wasmFiles.push(String(p));
    return readFile.call(this, p, ...rest);
  };
  try {
    const tf = await import('@tensorflow/tfjs');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const dir = require.resolve('@tensorflow/tfjs-backend-wasm/package.json').replace(/package\.json$/, 'dist/');
    wasm.setWasmPaths(dir);
    if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: the wasm backend failed to initialise');
    await tf.ready();
    const info = {
      tfjs: tf.version.tfjs,
      wasmBackend: wasm.version_wasm,
      simdSupport: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
      threadsSupport: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'),
      wasmThreads: wasm.getThreadsCount(),
      wasmBinary: wasmFiles.map((f) => f.split(/[\\/]/).pop()).join(', ') || 'unknown',
    };
    loaded = { tf, info };
    return loaded;
  } finally {
    fs.readFileSync = readFileSync;
    fs.readFile = readFile;
  }
}

/** The listing's model in tfjs, every option explicit, starting from `weights` (ours, Keras order). */
function twin(tf, weights, stateful = false) {
  const { T, D, H, V } = LISTING;
  const model = tf.sequential();
  model.add(tf.layers.lstm({
    units: H, ...(stateful ? { batchInputShape: [1, 1, D], stateful: true } : { inputShape: [T, D] }), activation: 'tanh', recurrentActivation: 'hardSigmoid', useBias: true,
    unitForgetBias: true, kernelInitializer: 'glorotUniform', recurrentInitializer: 'orthogonal',
    biasInitializer: 'zeros', returnSequences: false, dropout: 0, recurrentDropout: 0,
  }));
  model.add(tf.layers.dense({ units: V, activation: 'softmax', useBias: true, kernelInitializer: 'glorotUniform', biasInitializer: 'zeros' }));
  model.compile({ loss: 'categoricalCrossentropy', optimizer: tf.train.adam(0.001, 0.9, 0.999, 1e-8), metrics: ['accuracy'] });
  model.setWeights(weights.map((w) => tf.tensor(w.data, w.shape)));
  return model;
}

/**
 * µs per training sample and predict latency for tfjs on `backend` ('cpu' or 'wasm').
 */
export async function benchPeer(backend, data, plan) {
  const { tf } = await loadTf();
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs: backend ${backend} failed to initialise`);
  await tf.ready();
  const { T, D, V } = LISTING;
  const ours = listingModel('simd');
  const weights = ours.getWeights();
  ours.dispose();
  const model = twin(tf, weights);
  const rows = [];
  for (const batchSize of [1, 32]) {
    const p = plan[batchSize];
    const xs = tf.tensor3d(data.x.data.subarray(0, p.samples * T * D), [p.samples, T, D]);
    const ys = tf.tensor2d(data.y.data.subarray(0, p.samples * V), [p.samples, V]);
    const xw = tf.tensor3d(data.x.data.subarray(0, p.warmupSamples * T * D), [p.warmupSamples, T, D]);
    const yw = tf.tensor2d(data.y.data.subarray(0, p.warmupSamples * V), [p.warmupSamples, V]);
    const fitArgs = { epochs: 1, batchSize, shuffle: true, verbose: 0 };
    note(`tfjs ${backend}: warm-up, batch ${batchSize}, ${p.warmupSamples} samples`);
    await model.fit(xw, yw, fitArgs);
    const perSampleUs = [];
    const perSampleCpuUs = [];
    for (let r = 0; r < p.repeats; r++) {
      note(`tfjs ${backend}: batch ${batchSize}, epoch ${r + 1}/${p.repeats} over ${p.samples} samples`);
      collect();
      const { wallMs, cpuMs } = await measure(() => model.fit(xs, ys, fitArgs));
      perSampleUs.push((wallMs * 1000) / p.samples);
      perSampleCpuUs.push((cpuMs * 1000) / p.samples);
    }
    tf.dispose([xs, ys, xw, yw]);
    rows.push({
      library: 'tfjs',
      backend,
      batchSize,
      samplesPerEpoch: p.samples,
      epochsTimed: p.repeats,
      perSampleUsMedian: median(perSampleUs),
      perSampleUsRounds: perSampleUs,
      perSampleCpuUsMedian: median(perSampleCpuUs),
      perSampleCpuUsRounds: perSampleCpuUs,
      fullListingMeasuredMs: null,
      fullListingCpuMs: null,
    });
  }
  // predict: from a Float32Array of 5 steps to 26 probabilities, as ours.
  const seq = data.x.data.slice(0, T * D);
  let sink = 0;
  const lat = await latency(() => {
    tf.tidy(() => {
      sink += model.predict(tf.tensor3d(seq, [1, T, D])).dataSync()[0];
    });
  }, plan.predictMs);
  if (!Number.isFinite(sink)) throw new Error(`tfjs ${backend}: predict returned a non-finite probability`);
  const predict = { library: 'tfjs', backend, medianMs: lat.medianMs, samples: lat.samples };
  model.dispose();
  // streaming: a stateful twin (batchInputShape [1, 1, 1]) predicting one step per call
  const stream = twin(tf, weights, true);
  let k = 0;
  const x = data.x.data;
  const latStep = await latency(() => {
    tf.tidy(() => {
      sink += stream.predict(tf.tensor3d([x[k++ % x.length]], [1, 1, D])).dataSync()[0];
    });
  }, plan.predictMs);
  if (!Number.isFinite(sink)) throw new Error(`tfjs ${backend}: stateful predict returned a non-finite probability`);
  const predictStep = { library: 'tfjs', backend, medianMs: latStep.medianMs, samples: latStep.samples };
  stream.dispose();
  return { rows, predict, predictStep, numTensorsLeft: tf.memory().numTensors };
}
