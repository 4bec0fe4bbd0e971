// Part 2, our side: whole `fit` epochs of the listing through the public API, SIMD and scalar
// kernels, batch sizes 1 and 32; predict latency for one sequence. The data and the model are the
// listing's: 1000 sequences of up to 5 letters padded to 5 steps, LSTM 32 -> Dense 26 softmax, Adam.
import { Bench } from 'tinybench';
import * as L from '../dist/index.js';
import { LISTING, collect, measure, median, note } from './common.mjs';

/** The listing's data, built with the library's own helpers: x (1000,5,1) / 26, y one-hot (1000,26). */
export async function listingData() {
  await L.ready();
  const { N, T, D } = LISTING;
  const { dataX, dataY } = L.alphabetDataset({ numInputs: N, maxLen: T, seed: 7, rng: 'numpy' });
  const x = L.divide(L.reshape(L.padSequences(dataX, { maxLen: T, dtype: 'float32' }), [N, T, D]), 26);
  const y = L.toCategorical(dataY);
  return { x, y, N };
}

/** A fresh listing model (keras2 preset: hard-sigmoid recurrent activation, Keras 2 epsilons). */
export function listingModel(kernels, seed = 7) {
  const { T, D, H, V } = LISTING;
  const m = L.sequential({
    seed, rng: 'numpy', preset: 'keras2', kernels,
    layers: [L.lstm({ units: H, inputShape: [T, D] }), L.dense({ units: V, activation: 'softmax' })],
  });
  m.compile({ loss: 'categoricalCrossentropy', optimizer: L.adam(), metrics: ['accuracy'] });
  return m;
}

/** The settings of one run of this part (quick or full). */
export function oursPlan(quick) {
  return quick
    ? { rounds: 5, epochsPerRound: 2, warmupEpochs: 1, fullListing: false, predictMs: 150 }
    : { rounds: 9, epochsPerRound: 10, warmupEpochs: 3, fullListing: true, predictMs: 600 };
}

/**
 * Times configurations `{ model, batchSize, x? }` (x defaults to the listing's) by interleaved
 * rounds, so drift on a noisy machine hits all alike: `warmupEpochs` each first, then per round one
 * `fit` of `plan.epochsPerRound` shuffled epochs per configuration. Sets each configuration's
 * perSampleUs and perSampleCpuUs: µs per training sample (wall, CPU), one value per round.
 */
export async function interleavedRounds(what, configs, data, plan, warmupEpochs) {
  const fitArgs = (c, epochs) => ({ epochs, batchSize: c.batchSize, shuffle: true, verbose: 0 });
  for (const c of configs) {
    c.perSampleUs = [];
    c.perSampleCpuUs = [];
    await c.model.fit(c.x ?? data.x, data.y, fitArgs(c, warmupEpochs));
  }
  for (let r = 0; r < plan.rounds; r++) {
    note(`${what}: round ${r + 1}/${plan.rounds}`);
    for (const c of configs) {
      collect();
      const { wallMs, cpuMs } = await measure(() => c.model.fit(c.x ?? data.x, data.y, fitArgs(c, plan.epochsPerRound)));
      c.perSampleUs.push((wallMs * 1000) / (plan.epochsPerRound * data.N));
      c.perSampleCpuUs.push((cpuMs * 1000) / (plan.epochsPerRound * data.N));
    }
  }
}

/**
 * µs per training sample for lstm-wasm: each configuration keeps one model; rounds interleave the
 * configurations (so drift on a noisy machine hits all alike); each round times one `fit` call of
 * `epochsPerRound` epochs over all 1000 samples. With plan.fullListing, also one end-to-end run of
 * the whole listing (500 epochs, fresh model) per configuration.
 */
export async function benchOursTraining(data, plan) {
  const configs = [];
  for (const batchSize of [1, 32]) {
    for (const kernels of ['simd', 'scalar']) configs.push({ kernels, batchSize, model: listingModel(kernels) });
  }
  await interleavedRounds('lstm-wasm training', configs, data, plan, plan.warmupEpochs);
  const rows = configs.map((c) => ({
    library: 'lstm-wasm',
    backend: c.kernels,
    batchSize: c.batchSize,
    samplesPerEpoch: data.N,
    epochsTimed: plan.rounds * plan.epochsPerRound,
    perSampleUsMedian: median(c.perSampleUs),
    perSampleUsRounds: c.perSampleUs,
    perSampleCpuUsMedian: median(c.perSampleCpuUs),
    perSampleCpuUsRounds: c.perSampleCpuUs,
    fullListingMeasuredMs: null,
    fullListingCpuMs: null,
    finalLossAcc: c.model.evaluate(data.x, data.y),
  }));
  configs.forEach((c) => c.model.dispose());

  if (plan.fullListing) {
    for (const row of rows) {
      note(`lstm-wasm: the whole listing end to end (${LISTING.epochs} epochs, ${row.backend}, batch ${row.batchSize})`);
      const m = listingModel(row.backend);
      collect();
      const { wallMs, cpuMs } = await measure(() => m.fit(data.x, data.y, { epochs: LISTING.epochs, batchSize: row.batchSize, shuffle: true, verbose: 0 }));
      row.fullListingMeasuredMs = wallMs;
      row.fullListingCpuMs = cpuMs;
      row.fullListingLossAcc = m.evaluate(data.x, data.y);
      m.dispose();
    }
  }
  return rows;
}

/**
 * Median latency of fn (sync), via tinybench: one call per sample. Returns ms.
 */
export async function latency(fn, timeMs) {
  collect();
  const bench = new Bench({ time: timeMs, warmupTime: Math.min(200, timeMs), iterations: 50, throws: true, timestampProvider: 'hrtimeNow' });
  bench.add('t', fn);
  await bench.run();
  const r = bench.tasks[0].result;
  return { medianMs: r.latency.p50, samples: r.latency.samplesCount };
}

/** Median latency of `call(model, i)` (returning a tensor) on the listing's model, SIMD and scalar kernels. */
async function oursLatency(what, plan, call) {
  const rows = [];
  for (const kernels of ['simd', 'scalar']) {
    const m = listingModel(kernels);
    let sink = 0;
    let i = 0;
    const { medianMs, samples } = await latency(() => {
      sink += call(m, i++).data[0];
    }, plan.predictMs);
    if (!Number.isFinite(sink)) throw new Error(`${what} returned a non-finite probability`);
    rows.push({ library: 'lstm-wasm', backend: kernels, medianMs, samples });
    m.dispose();
  }
  return rows;
}

/** predict() latency for one sequence (batch 1): from a Float32Array of 5 steps to 26 probabilities. */
export function benchOursPredict(data, plan) {
  const { T, D } = LISTING;
  const seq = { shape: [1, T, D], data: data.x.data.slice(0, T * D) };
  return oursLatency('predict', plan, (m) => m.predict(seq));
}

/**
 * predictStep() latency: one timestep of a stream (1 feature in, 26 probabilities out) through
 * the listing's LSTM 32 -> Dense 26, its state kept in WASM memory between calls (issue 8).
 */
export function benchOursPredictStep(data, plan) {
  const x = data.x.data;
  return oursLatency('predictStep', plan, (m, i) => m.predictStep([x[i % x.length]]));
}

/**
 * Variable length (issue 5): µs per training sample with SIMD kernels for the listing padded to 5
 * steps against the same sequences ragged (each run for its own length, mean 2.9 steps), at batch
 * sizes 1, 8 and 32. Same interleaved-rounds method as benchOursTraining.
 */
export async function benchOursShapes(data, plan) {
  const { T, D, H, V } = LISTING;
  const { dataX, dataY } = L.alphabetDataset({ numInputs: data.N, maxLen: T, seed: 7, rng: 'numpy' });
  const ragged = dataX.map((q) => q.map((k) => Math.fround(k / 26)));
  const y = L.toCategorical(dataY);
  const configs = [];
  for (const batchSize of [1, 8, 32]) {
    for (const input of ['padded', 'ragged']) {
      const m = L.sequential({
        seed: 7, rng: 'numpy', preset: 'keras2',
        layers: [L.lstm({ units: H, inputShape: [input === 'ragged' ? null : T, D] }), L.dense({ units: V, activation: 'softmax' })],
      });
      m.compile({ loss: 'categoricalCrossentropy', optimizer: L.adam(), metrics: ['accuracy'] });
      configs.push({ input, batchSize, model: m, x: input === 'ragged' ? ragged : data.x });
    }
  }
  await interleavedRounds('lstm-wasm padded vs ragged', configs, { ...data, y }, plan, plan.warmupEpochs);
  const rows = configs.map((c) => ({
    input: c.input, batchSize: c.batchSize, epochsTimed: plan.rounds * plan.epochsPerRound,
    perSampleUsMedian: median(c.perSampleUs), perSampleCpuUsMedian: median(c.perSampleCpuUs),
    perSampleUsRounds: c.perSampleUs, perSampleCpuUsRounds: c.perSampleCpuUs,
  }));
  configs.forEach((c) => c.model.dispose());
  return rows;
}
