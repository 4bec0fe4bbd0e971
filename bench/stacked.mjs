// Part 2, stacked LSTMs (issue 8): the listing's data through LSTM 32 (return sequences) ->
// LSTM 32 -> Dense 26 softmax, Adam, batch sizes 1 and 32: lstm-wasm SIMD and scalar against
// TensorFlow.js (cpu and wasm backends) with the same initial weights and every option spelled out.
// lstm-wasm runs whole epochs over the 1000 samples; tfjs, seconds per epoch at batch 1, runs one
// epoch over a subset of the samples (given in the table).
import * as L from '../dist/index.js';
import { LISTING, collect, measure, median, note } from './common.mjs';
import { loadTf } from './peers.mjs';
import { interleavedRounds } from './training.mjs';

const UNITS = [32, 32];

function stackedModel(kernels) {
  const { T, D, V } = LISTING;
  const m = L.sequential({
    seed: 7, rng: 'numpy', preset: 'keras2', kernels,
    layers: [
      L.lstm({ units: UNITS[0], returnSequences: true, inputShape: [T, D] }),
      L.lstm({ units: UNITS[1] }),
      L.dense({ units: V, activation: 'softmax' }),
    ],
  });
  m.compile({ loss: 'categoricalCrossentropy', optimizer: L.adam(), metrics: ['accuracy'] });
  return m;
}

function tfjsTwin(tf, weights) {
  const { T, D, V } = LISTING;
  const model = tf.sequential();
  UNITS.forEach((units, l) => model.add(tf.layers.lstm({
    units, ...(l === 0 ? { inputShape: [T, D] } : {}), activation: 'tanh', recurrentActivation: 'hardSigmoid', useBias: true,
    unitForgetBias: true, kernelInitializer: 'glorotUniform', recurrentInitializer: 'orthogonal', biasInitializer: 'zeros',
    returnSequences: l < UNITS.length - 1, stateful: false, dropout: 0, recurrentDropout: 0,
  })));
  model.add(tf.layers.dense({ units: V, activation: 'softmax', useBias: true, kernelInitializer: 'glorotUniform', biasInitializer: 'zeros' }));
  model.compile({ loss: 'categoricalCrossentropy', optimizer: tf.train.adam(0.001, 0.9, 0.999, 1e-8), metrics: ['accuracy'] });
  model.setWeights(weights.map((w) => tf.tensor(w.data, w.shape)));
  return model;
}

/** The settings: rounds x epochs for ours, samples per timed epoch x repeats for tfjs. */
export function stackedPlan(quick) {
  return quick
    ? { rounds: 3, epochsPerRound: 1, tfjs: { 1: { samples: 32, repeats: 2 }, 32: { samples: 128, repeats: 2 } } }
    : { rounds: 5, epochsPerRound: 4, tfjs: { 1: { samples: 200, repeats: 3 }, 32: { samples: 1000, repeats: 3 } } };
}

/** Rows { library, backend, batchSize, perSampleUsMedian, perSampleCpuUsMedian, timedOver }. */
export async function benchStacked(data, plan) {
  const rows = [];
  const configs = [];
  for (const batchSize of [1, 32]) for (const kernels of ['simd', 'scalar']) configs.push({ kernels, batchSize, model: stackedModel(kernels) });
  await interleavedRounds('lstm-wasm stacked', configs, data, plan, 1);
  for (const c of configs) {
    rows.push({ library: 'lstm-wasm', backend: c.kernels, batchSize: c.batchSize, perSampleUsMedian: median(c.perSampleUs), perSampleCpuUsMedian: median(c.perSampleCpuUs), timedOver: `${plan.rounds * plan.epochsPerRound} epochs x ${data.N}` });
    c.model.dispose();
  }

  const { tf } = await loadTf();
  const ours = stackedModel('simd');
  const weights = ours.getWeights();
  ours.dispose();
  const { T, D, V } = LISTING;
  for (const backend of ['cpu', 'wasm']) {
    if (!(await tf.setBackend(backend))) throw new Error(`tfjs: backend ${backend} failed to initialise`);
    await tf.ready();
    const model = tfjsTwin(tf, weights);
    for (const batchSize of [1, 32]) {
      const p = plan.tfjs[batchSize];
      const xs = tf.tensor3d(data.x.data.subarray(0, p.samples * T * D), [p.samples, T, D]);
      const ys = tf.tensor2d(data.y.data.subarray(0, p.samples * V), [p.samples, V]);
      await model.fit(xs.slice(0, Math.min(p.samples, 2 * batchSize)), ys.slice(0, Math.min(p.samples, 2 * batchSize)), { epochs: 1, batchSize, verbose: 0 });
      const us = [];
      const cpu = [];
      for (let r = 0; r < p.repeats; r++) {
        note(`tfjs ${backend} stacked: batch ${batchSize}, epoch ${r + 1}/${p.repeats} over ${p.samples} samples`);
        collect();
        const { wallMs, cpuMs } = await measure(() => model.fit(xs, ys, { epochs: 1, batchSize, shuffle: true, verbose: 0 }));
        us.push((wallMs * 1000) / p.samples);
        cpu.push((cpuMs * 1000) / p.samples);
      }
      tf.dispose([xs, ys]);
      rows.push({ library: 'tfjs', backend, batchSize, perSampleUsMedian: median(us), perSampleCpuUsMedian: median(cpu), timedOver: `${p.repeats} epochs x ${p.samples}` });
    }
    model.dispose();
  }
  for (const r of rows) {
    const base = rows.find((o) => o.library === 'lstm-wasm' && o.backend === 'simd' && o.batchSize === r.batchSize);
    r.timesOursSimd = r.perSampleUsMedian / base.perSampleUsMedian;
    r.cpuTimesOursSimd = r.perSampleCpuUsMedian / base.perSampleCpuUsMedian;
  }
  return rows;
}
