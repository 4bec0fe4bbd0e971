// Dense stacks (any number of dense(...) layers anywhere after the first layer that reads the data;
// a Dense on a sequence runs on every step, as Keras's Dense on 3-D input), against tfjs-layers
// twins (tfjs 4.22, 'cpu' backend, float32) built here with every option spelled out (tfjs's
// defaults are not Keras's: glorotNormal Dense kernels, hardSigmoid gates, no forget bias, linear
// Dense), our weights copied in with setWeights. Compared: predictions, the mean loss and
// tf.variableGrads of every weight, then the weights after one epoch of tfjs model.fit with SGD and
// with Adam (per-step epsilon, see below) at batch 1 and at batch 7 (N = 9: a short last batch),
// ragged where the model allows it, at both presets (predictions and gradients with both kernel
// sets; training with 'simd'). Also: sequence output, stateful, fromTfjsLayers, and the refusals.
// Ragged lengths: our side gets a tensor padded with a garbage value (7.25) plus `lengths` (models
// without masking) or the tensor padded with the mask value -1 (models with masking); the twin gets
// the -1-padded tensor and a tf.layers.masking({ maskValue: -1 }) in front (tfjs's rnn() carries h
// and c over a masked step as out*m + prev*(1-m), i.e. skips it; tfjs's Dense has
// supportsMasking, so the mask reaches the LSTM behind it). The data never takes the value -1.
// Facts about tfjs relied on (node_modules/@tensorflow/tfjs-*/dist, 4.22.0):
//  - tfjs's Adam is lr*mhat/(sqrt(vhat)+eps) and reads this.epsilon at every step
//    (optimizers/adam_optimizer.js); with eps_t = eps_hat/sqrt(1-beta2^t) that IS Keras's
//    lr_t*m/(sqrt(v)+eps_hat) (stacked.test.ts checks it numerically), so the twin's fit sets eps_t
//    in onBatchBegin, which tfjs awaits before each batch's train function (engine/training.js);
//  - tfjs's compile loss 'categoricalCrossentropy' clips p to [1e-7, 1-1e-7] (keras2's loss;
//    keras3's is from logits: equal while no target probability is < 1e-7, checked per case);
//    the loss of an [N, T, V] output is the mean over all N*T rows.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { adam, ConfigError, dense, fromTfjsLayers, lstm, masking, sequential, sgd, ShapeError, toTfjsLayers, type Layer, type Optimizer, type Sequential, type TfjsLayersSource } from '../../src/index.js';
import { expectClose, Prng } from '../helpers/compare.js';
import { useTfjsCpuAndWasm } from '../helpers/twin.js';

type Act = 'sigmoid' | 'hardSigmoid';
type DAct = 'softmax' | 'linear' | 'sigmoid' | 'tanh' | 'relu';
type PresetName = 'keras2' | 'keras3';
type Kernels = 'simd' | 'scalar';
type LossKind = 'cce' | 'mse';
type LSpec =
  | { k: 'masking'; maskValue: number }
  | { k: 'lstm'; units: number; rs?: boolean }
  | { k: 'dense'; units: number; act: DAct };
/** A model: [T, D] per sample, layers bottom first; `batch` makes every LSTM stateful with batchInputShape [batch, T, D]. */
interface MSpec { name: string; T: number; D: number; layers: LSpec[]; batch?: number }

const PRESET_ACT: Record<PresetName, Act> = { keras2: 'hardSigmoid', keras3: 'sigmoid' };
const PRESET_ADAM_EPS: Record<PresetName, number> = { keras2: 1e-8, keras3: 1e-7 };
const KERNELS: Kernels[] = ['scalar', 'simd'];
const MASK = -1;
const GARBAGE = 7.25;

// Tolerances vs the tfjs twin, as test/tfjs-twin.test.ts and test/stacked.test.ts: both sides are
// float32; ours adds the SIMD tanh/exp approximations (<= ~1e-6) and the libraries sum in other
// orders. Any real error (a Dense on the wrong rows, a step not skipped, a lost gradient of a layer
// below a Dense, a wrong activation derivative) is >= 1e-3.
const OUT_TOL = { atol: 2e-6, rtol: 1e-5 };
const LOSS_TOL = { atol: 2e-6, rtol: 2e-6 };
const GRAD_TOL = { atol: 3e-6, rtol: 1e-4 };
// After one epoch of training (4 steps at batch 1, 2 steps at batch 7): float32 gradient rounding
// (~1e-7) fed through the updates. SGD (lr 0.1) is linear in g: ~1e-7 · steps. Adam (lr 0.01)
// normalises by |g|, so an element with a tiny gradient moves by up to ~lr·(rounding / |g|); that
// budget is lr·2e-3 absolute. Measured worst |diff| (tfjs 4.22, this machine): predictions
// 6e-8, loss 9e-8, gradients 3e-8, weights after SGD 6e-8, after Adam 1.4e-6: >= 14x margin.
const TRAIN_TOL: Record<'sgd' | 'adam', { atol: number; rtol: number }> = {
  sgd: { atol: 2e-6, rtol: 1e-5 },
  adam: { atol: 2e-5, rtol: 1e-5 },
};
const SGD_LR = 0.1;
const ADAM_LR = 0.01;

// ---- the model in our API and in tfjs --------------------------------------------------------

const isStateful = (ms: MSpec) => ms.batch !== undefined;
const hasMasking = (ms: MSpec) => ms.layers[0].k === 'masking';

/** Per layer: its output is a sequence? (the grammar, written out independently of plan.ts) */
function seqOut(ms: MSpec): boolean {
  let seq = true;
  for (const l of ms.layers) if (l.k === 'lstm') seq = l.rs === true;
  return seq;
}

const lastUnits = (ms: MSpec) => (ms.layers[ms.layers.length - 1] as { units: number }).units;

/** Our layers. The LSTMs leave recurrentActivation out: the preset decides (the twin spells it out). */
function ourLayers(ms: MSpec): Layer[] {
  const first = (i: number) => (i !== 0 ? {} : isStateful(ms) ? { batchInputShape: [ms.batch!, ms.T, ms.D] as [number, number, number] } : { inputShape: [ms.T, ms.D] as [number, number] });
  return ms.layers.map((l, i): Layer => {
    if (l.k === 'masking') return masking({ maskValue: l.maskValue, ...first(i) });
    if (l.k === 'lstm') return lstm({ units: l.units, ...(l.rs ? { returnSequences: true } : {}), ...(isStateful(ms) ? { stateful: true } : {}), ...first(i) });
    return dense({ units: l.units, activation: l.act });
  });
}

function ourModel(ms: MSpec, preset: PresetName, kernels: Kernels, weights: Float32Array[] | undefined, loss: LossKind, optimizer: Optimizer = sgd({ learningRate: SGD_LR })): Sequential {
  const m = sequential({ seed: 1, preset, kernels, layers: ourLayers(ms) });
  m.compile({ loss: loss === 'cce' ? 'categoricalCrossentropy' : 'meanSquaredError', optimizer });
  if (weights) m.setWeights(weights);
  return m;
}

/** The tfjs twin, every option spelled out; `maskFront` puts a tf.layers.masking first (for `lengths`). */
function twinModel(ms: MSpec, preset: PresetName, weights: Float32Array[], maskFront?: number): tf.Sequential {
  const m = tf.sequential();
  const input = isStateful(ms) ? { batchInputShape: [ms.batch!, ms.T, ms.D] } : { inputShape: [ms.T, ms.D] };
  let needInput = true;
  if (maskFront !== undefined) {
    m.add(tf.layers.masking({ maskValue: maskFront, ...input }));
    needInput = false;
  }
  ms.layers.forEach((l, i) => {
    const inp = needInput ? input : {};
    needInput = false;
    if (l.k === 'masking') m.add(tf.layers.masking({ maskValue: l.maskValue, ...inp }));
    else if (l.k === 'lstm') {
      m.add(tf.layers.lstm({
        units: l.units, ...inp, activation: 'tanh', recurrentActivation: PRESET_ACT[preset], useBias: true, unitForgetBias: true,
        kernelInitializer: tf.initializers.glorotUniform({ seed: 10 + i }), recurrentInitializer: tf.initializers.orthogonal({ gain: 1, seed: 20 + i }),
        biasInitializer: tf.initializers.zeros(), dropout: 0, recurrentDropout: 0, returnSequences: l.rs === true, returnState: false,
        goBackwards: false, stateful: isStateful(ms), unroll: false,
      }));
    } else {
      m.add(tf.layers.dense({ units: l.units, ...inp, activation: l.act, useBias: true, kernelInitializer: tf.initializers.glorotUniform({ seed: 30 + i }), biasInitializer: tf.initializers.zeros() }));
    }
  });
  const ts = weights.map((w, k) => tf.tensor(w, m.weights[k].shape as number[], 'float32'));
  m.setWeights(ts);
  tf.dispose(ts);
  return m;
}

/** Keras's weight names and shapes of a spec, written from Keras's conventions (not from plan.ts). */
function kerasWeights(ms: MSpec): Array<{ name: string; shape: number[] }> {
  const counts: Record<string, number> = {};
  const out: Array<{ name: string; shape: number[] }> = [];
  let F = ms.D;
  for (const l of ms.layers) {
    const n = (counts[l.k] = (counts[l.k] ?? -1) + 1);
    const name = n === 0 ? l.k : `${l.k}_${n}`;
    if (l.k === 'lstm') {
      out.push({ name: `${name}/kernel`, shape: [F, 4 * l.units] }, { name: `${name}/recurrent_kernel`, shape: [l.units, 4 * l.units] }, { name: `${name}/bias`, shape: [4 * l.units] });
      F = l.units;
    } else if (l.k === 'dense') {
      out.push({ name: `${name}/kernel`, shape: [F, l.units] }, { name: `${name}/bias`, shape: [l.units] });
      F = l.units;
    }
  }
  return out;
}

/** tfjs's global numbering ('dense_Dense7/kernel') -> Keras's per-model one ('dense_1/kernel'), by order of appearance. */
function normaliseTfjsNames(names: string[]): string[] {
  const seen = new Map<string, string>();
  const counts: Record<string, number> = {};
  return names.map((full) => {
    const parts = full.split('/');
    const layer = parts[0];
    if (!seen.has(layer)) {
      const base = layer.replace(/_[A-Z][A-Za-z]*\d+$/, '');
      const n = (counts[base] = (counts[base] ?? -1) + 1);
      seen.set(layer, n === 0 ? base : `${base}_${n}`);
    }
    return `${seen.get(layer)}/${parts[parts.length - 1]}`;
  });
}

/** Random weights in Keras order: uniform in ±r, r scaled by 1/sqrt(fan-in) so no layer saturates. */
function randomWeights(rng: Prng, ms: MSpec): Float32Array[] {
  return kerasWeights(ms).map(({ name, shape }) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const bias = name.endsWith('/bias');
    const r = bias ? 0.3 : Math.min(0.8, 1.6 / Math.sqrt(shape[0]));
    return rng.floats(n, -r, r);
  });
}

// ---- data ------------------------------------------------------------------------------------

interface Data { N: number; lens: number[]; xReal: Float32Array; xMask: Float32Array; xGarbage: Float32Array; y: Float32Array; padding: 'pre' | 'post' }

/** N samples of T steps (real steps uniform in (-0.9, 0.9)), padded per `lens` on `padding`'s side. */
function makeData(rng: Prng, ms: MSpec, N: number, lens: number[], padding: 'pre' | 'post', loss: LossKind): Data {
  const { T, D } = ms;
  const xMask = new Float32Array(N * T * D).fill(MASK);
  const xGarbage = new Float32Array(N * T * D).fill(GARBAGE);
  const xReal = new Float32Array(N * T * D);
  for (let n = 0; n < N; n++) {
    const off = padding === 'pre' ? T - lens[n] : 0;
    for (let t = 0; t < T; t++) {
      for (let d = 0; d < D; d++) {
        const v = Math.fround(rng.uniform(-0.9, 0.9));
        xReal[(n * T + t) * D + d] = v;
        if (t >= off && t < off + lens[n]) {
          xMask[(n * T + t) * D + d] = v;
          xGarbage[(n * T + t) * D + d] = v;
        }
      }
    }
  }
  const V = lastUnits(ms);
  const rows = N * (seqOut(ms) ? T : 1);
  let y: Float32Array;
  if (loss === 'mse') y = rng.floats(rows * V, -1, 1);
  else {
    y = new Float32Array(rows * V);
    for (let r = 0; r < rows; r++) y[r * V + rng.int(V)] = 1;
  }
  return { N, lens, xReal, xMask, xGarbage, y, padding };
}

const ragged = (d: Data, T: number) => d.lens.some((l) => l !== T);

/** Our x and the sequence options: the masking model reads the -1 padding, the others get garbage + lengths. */
function ourInput(ms: MSpec, d: Data) {
  const shape = [d.N, ms.T, ms.D];
  if (!ragged(d, ms.T)) return { x: { shape, data: d.xReal }, seq: {} };
  if (hasMasking(ms)) return { x: { shape, data: d.xMask }, seq: {} };
  return { x: { shape, data: d.xGarbage }, seq: { lengths: d.lens, padding: d.padding } };
}

const ourTargets = (ms: MSpec, d: Data) => ({ shape: seqOut(ms) ? [d.N, ms.T, lastUnits(ms)] : [d.N, lastUnits(ms)], data: d.y });

/** The twin and its input: the -1-padded tensor, with a masking layer added in front when our side uses lengths. */
function twinFor(ms: MSpec, preset: PresetName, weights: Float32Array[], d: Data) {
  const needMask = ragged(d, ms.T) && !hasMasking(ms);
  return { t: twinModel(ms, preset, weights, needMask ? MASK : undefined), x: ragged(d, ms.T) ? d.xMask : d.xReal };
}

const twinY = (ms: MSpec, d: Data) => (seqOut(ms) ? tf.tensor3d(d.y, [d.N, ms.T, lastUnits(ms)]) : tf.tensor2d(d.y, [d.N, lastUnits(ms)]));

function twinLoss(loss: LossKind, y: tf.Tensor, p: tf.Tensor): tf.Scalar {
  return (loss === 'mse' ? tf.mean(tf.metrics.meanSquaredError(y, p)) : tf.mean(tf.metrics.categoricalCrossentropy(y, p))) as tf.Scalar;
}

/** The twin's outputs, mean loss and gradients (Keras order) on the batch, plus the smallest target probability. */
function twinRun(t: tf.Sequential, ms: MSpec, x: Float32Array, d: Data, loss: LossKind) {
  return tf.tidy(() => {
    const xT = tf.tensor3d(x, [d.N, ms.T, ms.D]);
    const yT = twinY(ms, d);
    const out = Float32Array.from((t.predict(xT, { batchSize: ms.batch ?? d.N }) as tf.Tensor).dataSync());
    if (isStateful(ms)) t.resetStates();
    const vars = t.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => twinLoss(loss, yT, t.apply(xT, { training: true }) as tf.Tensor), vars);
    if (isStateful(ms)) t.resetStates();
    let minTarget = Infinity;
    if (loss === 'cce') for (let i = 0; i < d.y.length; i++) if (d.y[i] === 1) minTarget = Math.min(minTarget, out[i]);
    return { out, loss: value.dataSync()[0], grads: vars.map((v) => Float32Array.from(grads[v.name].dataSync())), minTarget };
  });
}

/** Worst |a - b| over everything, for "the check discriminates" assertions. */
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

/** The twin after one epoch of fit (shuffle false), its weights in Keras order. */
async function twinFit(ms: MSpec, preset: PresetName, weights: Float32Array[], d: Data, loss: LossKind, opt: 'sgd' | 'adam', batchSize: number): Promise<Float32Array[]> {
  const { t, x } = twinFor(ms, preset, weights, d);
  const eps = PRESET_ADAM_EPS[preset];
  const o = opt === 'sgd' ? tf.train.sgd(SGD_LR) : tf.train.adam(ADAM_LR, 0.9, 0.999, eps);
  t.compile({ optimizer: o, loss: loss === 'cce' ? 'categoricalCrossentropy' : 'meanSquaredError' });
  const xT = tf.tensor3d(x, [d.N, ms.T, ms.D]);
  const yT = twinY(ms, d);
  let step = 0;
  await t.fit(xT, yT, {
    epochs: 1, batchSize, shuffle: false, verbose: 0,
    callbacks: opt === 'adam' ? { onBatchBegin: async () => { step++; (o as unknown as { epsilon: number }).epsilon = eps / Math.sqrt(1 - 0.999 ** step); } } : undefined,
  });
  expect(opt === 'sgd' || step === Math.ceil(d.N / batchSize), 'tfjs ran one optimizer step per batch').toBe(true);
  const out = t.getWeights().map((w) => Float32Array.from(w.dataSync()));
  tf.dispose([xT, yT]);
  t.dispose();
  o.dispose();
  return out;
}

// ---- the cases -------------------------------------------------------------------------------

// The brief's four shapes. H and V run the SIMD loops zero times (3), with a tail (5, 6) and twice (8).
const SHAPES: Array<{ ms: MSpec; loss: LossKind }> = [
  { ms: { name: '[lstm(8), dense(6, relu), dense(5, softmax)]', T: 4, D: 2, layers: [{ k: 'lstm', units: 8 }, { k: 'dense', units: 6, act: 'relu' }, { k: 'dense', units: 5, act: 'softmax' }] }, loss: 'cce' },
  { ms: { name: '[lstm(8, rs), dense(6, tanh) per step, lstm(5), dense(3, softmax)]', T: 4, D: 3, layers: [{ k: 'lstm', units: 8, rs: true }, { k: 'dense', units: 6, act: 'tanh' }, { k: 'lstm', units: 5 }, { k: 'dense', units: 3, act: 'softmax' }] }, loss: 'cce' },
  { ms: { name: '[masking(-1), dense(4, tanh) per step, lstm(6), dense(3, softmax)]', T: 5, D: 2, layers: [{ k: 'masking', maskValue: MASK }, { k: 'dense', units: 4, act: 'tanh' }, { k: 'lstm', units: 6 }, { k: 'dense', units: 3, act: 'softmax' }] }, loss: 'cce' },
  { ms: { name: '[lstm(8, rs), dense(4, relu), dense(2, linear)] (sequence output, mse)', T: 4, D: 2, layers: [{ k: 'lstm', units: 8, rs: true }, { k: 'dense', units: 4, act: 'relu' }, { k: 'dense', units: 2, act: 'linear' }] }, loss: 'mse' },
];

// Batch 1: N = 4 (4 steps); batch 7: N = 9 (a batch of 7, then 2). Ragged where the model allows
// it (a sequence output needs full-length samples): lengths 0 (all padding), 1 and full included.
const LENS: Record<1 | 7, (T: number) => number[]> = {
  1: (T) => [T, 2, 1, T - 1],
  7: (T) => [T, 3, 1, 0, T, 2, T - 1, 1, T],
};
const PADDING: Record<1 | 7, 'pre' | 'post'> = { 1: 'pre', 7: 'post' };

function caseData(ms: MSpec, loss: LossKind, batch: 1 | 7, seed: number) {
  const rng = new Prng(seed);
  const weights = randomWeights(rng, ms);
  const N = batch === 1 ? 4 : 9;
  const lens = seqOut(ms) ? Array(N).fill(ms.T) : LENS[batch](ms.T);
  return { weights, d: makeData(rng, ms, N, lens, PADDING[batch], loss) };
}

useTfjsCpuAndWasm();

describe('the twin machinery', () => {
  it("Keras names and shapes written here equal the tfjs twin's model.weights after renumbering", () => {
    for (const { ms } of SHAPES) {
      const ws = randomWeights(new Prng(1), ms);
      const t = twinModel(ms, 'keras2', ws);
      expect(normaliseTfjsNames(t.weights.map((w) => w.name)), ms.name).toEqual(kerasWeights(ms).map((w) => w.name));
      expect(t.weights.map((w) => w.shape), ms.name).toEqual(kerasWeights(ms).map((w) => w.shape));
      t.dispose();
    }
    expect(normaliseTfjsNames(['lstm_LSTM7/kernel', 'dense_Dense3/kernel', 'dense_Dense3/bias', 'dense_Dense9/kernel'])).toEqual(['lstm/kernel', 'dense/kernel', 'dense/bias', 'dense_1/kernel']);
  });
});

describe('Dense stacks vs the tfjs twin: predictions, loss and every gradient (full batch, ragged where allowed)', () => {
  for (const { ms, loss } of SHAPES) {
    for (const preset of ['keras2', 'keras3'] as const) {
      it(`${ms.name}, ${preset} (${PRESET_ACT[preset]} gates from the preset), kernels scalar and simd`, () => {
        const { weights, d } = caseData(ms, loss, 7, 100 + SHAPES.findIndex((s) => s.ms === ms) * 10 + (preset === 'keras3' ? 1 : 0));
        const { t, x } = twinFor(ms, preset, weights, d);
        const ref = twinRun(t, ms, x, d, loss);
        t.dispose();
        if (loss === 'cce') expect(ref.minTarget, 'a clipped target probability: keras2 and keras3 would differ by design').toBeGreaterThan(1e-6);
        const names = kerasWeights(ms);
        for (const kernels of KERNELS) {
          const tag = `${ms.name} ${preset}/${kernels}`;
          const m = ourModel(ms, preset, kernels, weights, loss);
          try {
            expect(m.getWeights().map((w) => [w.name, w.shape]), `${tag}: weight names and shapes`).toEqual(names.map((w) => [w.name, w.shape]));
            const { x: ox, seq } = ourInput(ms, d);
            const p = m.predict(ox, seq);
            expect(p.shape).toEqual(seqOut(ms) ? [d.N, ms.T, lastUnits(ms)] : [d.N, lastUnits(ms)]);
            expectClose(`${tag} predict vs tfjs`, p.data, ref.out, OUT_TOL, p.shape);
            expectClose(`${tag} evaluate loss vs tfjs`, [m.evaluate(ox, ourTargets(ms, d), seq)[0]], [ref.loss], LOSS_TOL);
            const g = m.computeGradients(ox, ourTargets(ms, d), seq);
            expectClose(`${tag} computeGradients loss vs tfjs`, [g.loss], [ref.loss], LOSS_TOL);
            g.grads.forEach((gr, k) => expectClose(`${tag} d loss/d ${gr.name} vs tfjs`, gr.data, ref.grads[k], GRAD_TOL, gr.shape));
            // the lowest layer's kernel gets a real gradient through every Dense above it
            expect(Math.max(...ref.grads[0].map(Math.abs)), `${tag}: d loss/d ${names[0].name} too small to discriminate`).toBeGreaterThan(1e-4);
          } finally {
            m.dispose();
          }
        }
      });
    }
  }
});

describe('Dense stacks vs tfjs model.fit: weights after one epoch (shuffle false)', () => {
  for (const { ms, loss } of SHAPES) {
    for (const preset of ['keras2', 'keras3'] as const) {
      for (const batch of [1, 7] as const) {
        it(`${ms.name}, ${preset}, batch ${batch}${seqOut(ms) ? '' : ` (ragged, ${PADDING[batch]}-padded)`}: SGD lr ${SGD_LR} and Adam lr ${ADAM_LR}`, async () => {
          const { weights, d } = caseData(ms, loss, batch, 300 + SHAPES.findIndex((s) => s.ms === ms) * 10 + (preset === 'keras3' ? 1 : 0) + batch);
          for (const opt of ['sgd', 'adam'] as const) {
            const ref = await twinFit(ms, preset, weights, d, loss, opt, batch);
            const m = ourModel(ms, preset, 'simd', weights, loss, opt === 'sgd' ? sgd({ learningRate: SGD_LR }) : adam({ learningRate: ADAM_LR }));
            try {
              const { x, seq } = ourInput(ms, d);
              await m.fit(x, ourTargets(ms, d), { epochs: 1, batchSize: batch, shuffle: false, verbose: 0, ...seq });
              m.getWeights().forEach((w, k) => {
                // every tensor moved in tfjs by a step's worth, so "unchanged" cannot pass
                expect(maxAbsDiff(ref[k], weights[k]), `tfjs's ${w.name} did not move`).toBeGreaterThan(opt === 'sgd' ? 1e-5 : 0.5 * ADAM_LR);
                expectClose(`${ms.name} ${preset} batch ${batch} ${opt}: ${w.name} after one epoch vs tfjs fit`, w.data, ref[k], TRAIN_TOL[opt], w.shape);
              });
            } finally {
              m.dispose();
            }
          }
        });
      }
    }
  }
});

describe('sequence output through a Dense stack', () => {
  const ms: MSpec = { name: '[lstm(5, rs), lstm(6, rs), dense(4, tanh), dense(3, softmax)] per step', T: 3, D: 2, layers: [{ k: 'lstm', units: 5, rs: true }, { k: 'lstm', units: 6, rs: true }, { k: 'dense', units: 4, act: 'tanh' }, { k: 'dense', units: 3, act: 'softmax' }] };
  for (const preset of ['keras2', 'keras3'] as const) {
    it(`${ms.name}, ${preset}: [N, T, V] predictions, categorical cross-entropy over every step and its gradients vs tfjs; one SGD epoch at batch 7`, async () => {
      const { weights, d } = caseData(ms, 'cce', 7, 500 + (preset === 'keras3' ? 1 : 0));
      const { t, x } = twinFor(ms, preset, weights, d);
      const ref = twinRun(t, ms, x, d, 'cce');
      t.dispose();
      expect(ref.minTarget).toBeGreaterThan(1e-6);
      for (const kernels of KERNELS) {
        const m = ourModel(ms, preset, kernels, weights, 'cce');
        try {
          const tag = `${ms.name} ${preset}/${kernels}`;
          const p = m.predict({ shape: [d.N, ms.T, ms.D], data: d.xReal });
          expect(p.shape).toEqual([d.N, ms.T, 3]);
          expectClose(`${tag} predict vs tfjs`, p.data, ref.out, OUT_TOL, p.shape);
          const g = m.computeGradients({ shape: [d.N, ms.T, ms.D], data: d.xReal }, ourTargets(ms, d));
          expectClose(`${tag} loss vs tfjs`, [g.loss], [ref.loss], LOSS_TOL);
          g.grads.forEach((gr, k) => expectClose(`${tag} d loss/d ${gr.name} vs tfjs`, gr.data, ref.grads[k], GRAD_TOL, gr.shape));
        } finally {
          m.dispose();
        }
      }
      const after = await twinFit(ms, preset, weights, d, 'cce', 'sgd', 7);
      const m = ourModel(ms, preset, 'simd', weights, 'cce');
      await m.fit({ shape: [d.N, ms.T, ms.D], data: d.xReal }, ourTargets(ms, d), { epochs: 1, batchSize: 7, shuffle: false, verbose: 0 });
      m.getWeights().forEach((w, k) => expectClose(`${ms.name} ${preset} SGD epoch: ${w.name} vs tfjs fit`, w.data, after[k], TRAIN_TOL.sgd, w.shape));
      m.dispose();
    });
  }

  it('refuses short samples (lengths) on a Dense-stack sequence output, as documented, and predicts full-length ones', () => {
    const m = ourModel(SHAPES[3].ms, 'keras2', 'simd', undefined, 'mse');
    try {
      const x = { shape: [2, 4, 2], data: new Float32Array(16).fill(0.5) };
      expect(() => m.predict(x, { lengths: [4, 2], padding: 'post' })).toThrow(ShapeError);
      expect(m.predict(x).shape).toEqual([2, 4, 2]);
    } finally {
      m.dispose();
    }
  });
});

describe('stateful with a Dense stack: [lstm(6, stateful), dense(4, relu), dense(3, softmax)]', () => {
  const spec = (batch: number): MSpec => ({
    name: `stateful batch ${batch}`, T: 3, D: 2, batch,
    layers: [{ k: 'lstm', units: 6 }, { k: 'dense', units: 4, act: 'relu' }, { k: 'dense', units: 3, act: 'softmax' }],
  });
  for (const preset of ['keras2', 'keras3'] as const) {
    for (const batch of [1, 7] as const) {
      it(`${preset}, batch ${batch}: predictions over three calls (states carried, then reset) and one epoch of SGD and of Adam vs tfjs`, async () => {
        const ms = spec(batch);
        const rng = new Prng(700 + batch + (preset === 'keras3' ? 1 : 0));
        const weights = randomWeights(rng, ms);
        // predictions: three consecutive batches, resetStates after the second, on both sides
        const t = twinModel(ms, preset, weights);
        const m = ourModel(ms, preset, 'simd', weights, 'cce');
        try {
          const firsts: Float32Array[] = [];
          for (let k = 0; k < 3; k++) {
            const x = rng.floats(batch * ms.T * ms.D, -0.9, 0.9);
            const theirs = tf.tidy(() => Float32Array.from((t.predict(tf.tensor3d(x, [batch, ms.T, ms.D]), { batchSize: batch }) as tf.Tensor).dataSync()));
            const ours = m.predict({ shape: [batch, ms.T, ms.D], data: x });
            expectClose(`${preset} stateful batch ${batch}, call ${k} vs tfjs`, ours.data, theirs, OUT_TOL, ours.shape);
            firsts.push(Float32Array.from(ours.data));
            if (k === 1) {
              t.resetStates();
              m.resetStates();
            }
          }
        } finally {
          t.dispose();
          m.dispose();
        }
        // training: N = 2 batches (batch 7) or 4 batches (batch 1)
        const N = batch === 1 ? 4 : 14;
        const d = makeData(rng, ms, N, Array(N).fill(ms.T), 'post', 'cce');
        for (const opt of ['sgd', 'adam'] as const) {
          const ref = await twinFit(ms, preset, weights, d, 'cce', opt, batch);
          const ours = ourModel(ms, preset, 'simd', weights, 'cce', opt === 'sgd' ? sgd({ learningRate: SGD_LR }) : adam({ learningRate: ADAM_LR }));
          try {
            await ours.fit({ shape: [N, ms.T, ms.D], data: d.xReal }, ourTargets(ms, d), { epochs: 1, batchSize: batch, shuffle: false, verbose: 0 });
            ours.getWeights().forEach((w, k) => {
              expect(maxAbsDiff(ref[k], weights[k]), `tfjs's ${w.name} did not move`).toBeGreaterThan(opt === 'sgd' ? 1e-5 : 0.5 * ADAM_LR);
              expectClose(`${preset} stateful batch ${batch} ${opt}: ${w.name} vs tfjs fit`, w.data, ref[k], TRAIN_TOL[opt], w.shape);
            });
          } finally {
            ours.dispose();
          }
        }
      });
    }
  }
});

describe('Dense stacks from tfjs (fromTfjsLayers), with tfjs itself as the oracle', () => {
  it('a tfjs-built twin of every shape, saved by tfjs: same weights bit for bit, predictions as tfjs', async () => {
    for (const { ms, loss } of SHAPES) {
      const { weights, d } = caseData(ms, loss, 7, 800);
      const t = twinModel(ms, 'keras3', weights);
      let art: tf.io.ModelArtifacts | undefined;
      await t.save(tf.io.withSaveHandler(async (a) => {
        art = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }));
      const x = ragged(d, ms.T) && hasMasking(ms) ? d.xMask : d.xReal;
      const theirs = tf.tidy(() => Float32Array.from((t.predict(tf.tensor3d(x, [d.N, ms.T, ms.D])) as tf.Tensor).dataSync()));
      t.dispose();
      const m = fromTfjsLayers(art as TfjsLayersSource);
      try {
        expect(m.getWeights().map((w) => w.name), ms.name).toEqual(kerasWeights(ms).map((w) => w.name));
        m.getWeights().forEach((w, k) => expect(Array.from(w.data), `${ms.name}: ${w.name}`).toEqual(Array.from(weights[k])));
        expectClose(`${ms.name}: fromTfjsLayers predict vs tfjs`, m.predict({ shape: [d.N, ms.T, ms.D], data: x }).data, theirs, OUT_TOL);
      } finally {
        m.dispose();
      }
    }
  });

  it("a Keras Dense config without 'activation' means Keras's default, linear (tfjs reads it so)", async () => {
    // Keras's and tfjs's Dense default activation is linear; lstm-wasm's dense() defaults to softmax.
    // A model.json whose Dense layers leave the key out must import with Keras's meaning, or be refused.
    const ms = SHAPES[3].ms;
    const { weights, d } = caseData(ms, 'mse', 7, 801);
    const m = ourModel(ms, 'keras2', 'simd', weights, 'mse');
    const art = toTfjsLayers(m);
    m.dispose();
    for (const l of (art.modelTopology.config as { layers: Array<{ class_name: string; config: Record<string, unknown> }> }).layers) {
      if (l.class_name === 'Dense' && l.config.activation === 'linear') delete l.config.activation;
    }
    const t = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: art.modelTopology, weightSpecs: art.weightSpecs, weightData: art.weightData }));
    const theirs = tf.tidy(() => Float32Array.from((t.predict(tf.tensor3d(d.xReal, [d.N, ms.T, ms.D])) as tf.Tensor).dataSync()));
    t.dispose();
    let back: Sequential | undefined;
    try {
      back = fromTfjsLayers(art);
    } catch (e) {
      expect(e, 'refused: then as a ConfigError naming activation').toBeInstanceOf(ConfigError);
      expect((e as Error).message).toMatch(/activation/);
      return;
    }
    try {
      expectClose('fromTfjsLayers of a Dense without activation vs tfjs', back.predict({ shape: [d.N, ms.T, ms.D], data: d.xReal }).data, theirs, OUT_TOL);
    } finally {
      back.dispose();
    }
  });
});

describe('refusals: each a ConfigError naming the layer index and the fix', () => {
  const cases: Array<[string, () => unknown, RegExp[]]> = [
    ['the last layer is not a Dense', () => sequential({ layers: [lstm({ units: 4, returnSequences: true, inputShape: [3, 2] }), dense({ units: 3, activation: 'tanh' }), lstm({ units: 2 })] }),
      [/layers\[2\]/, /last layer must be dense\(\.\.\.\)/]],
    ['the last layer is not a Dense (masking, lstm)', () => sequential({ layers: [masking({ inputShape: [3, 2] }), lstm({ units: 2 })] }),
      [/layers\[1\]/, /last layer must be dense\(\.\.\.\)/]],
    ['a Dense before any layer that takes inputShape', () => sequential({ layers: [dense({ units: 3, activation: 'tanh' }), lstm({ units: 4, inputShape: [3, 2] }), dense({ units: 2 })] }),
      [/layers\[0\] \(dense\)/, /begin with a layer that reads the data/, /inputShape/]],
    ['a Dense first behind a masking() without inputShape, the inputShape on a later lstm', () => sequential({ layers: [masking(), dense({ units: 3, activation: 'tanh' }), lstm({ units: 4, inputShape: [3, 2] }), dense({ units: 2 })] }),
      [/layers\[2\]/, /only the first layer takes inputShape/]],
    ['masking not first (after an lstm)', () => sequential({ layers: [lstm({ units: 4, returnSequences: true, inputShape: [3, 2] }), masking(), lstm({ units: 2 }), dense({ units: 2 })] }),
      [/layers\[1\] \(masking\)/, /goes first/]],
    ['masking not first (after a dense, behind masking)', () => sequential({ layers: [masking({ inputShape: [3, 2] }), dense({ units: 3, activation: 'tanh' }), masking(), lstm({ units: 2 }), dense({ units: 2 })] }),
      [/layers\[2\] \(masking\)/, /goes first/]],
    // A Dense on h_T (no step axis) cannot feed an LSTM: the fix is returnSequences on the LSTM below the Dense.
    ['an lstm above a Dense that sits on a last-step output', () => sequential({ layers: [lstm({ units: 4, inputShape: [3, 2] }), dense({ units: 3, activation: 'tanh' }), lstm({ units: 2 }), dense({ units: 2 })] }),
      [/layers\[2\] \(lstm\)/, /layers\[1\] \(dense\) outputs \[3\]/, /returnSequences: true/]],
  ];
  for (const [what, build, patterns] of cases) {
    it(what, () => {
      let err: unknown;
      try {
        (build() as Sequential).dispose();
      } catch (e) {
        err = e;
      }
      expect(err, `${what}: no error`).toBeInstanceOf(ConfigError);
      for (const p of patterns) expect((err as Error).message, `${what}: message`).toMatch(p);
    });
  }
});
