// Oracle: a tfjs-layers twin (tfjs 4.22, 'cpu' backend, float32), every option spelled out because
// tfjs's defaults are not Keras's (glorotNormal kernel, no forget bias, hardSigmoid gates).
// Our weights are copied into the twin with setWeights; then predictions, the mean loss and the
// gradients of all five weights (tf.variableGrads) are compared, for both gate activations, both
// presets' losses and both kernel sets. Facts about tfjs relied on, read from
// node_modules/@tensorflow/tfjs-layers/dist (4.22.0) and re-checked at run time below:
//  - backend/tfjs_backend.js hardSigmoid(x) = clipByValue(0.5 + 0.2 x, 0, 1) (Keras 2's form);
//  - layers/recurrent.js LSTMCell.call: z = x K + h U + b, split(z, 4) -> i, f, c (tanh), o, so the
//    fused weights are ordered i, f, c, o, as ours (kernel [D,4H], recurrent_kernel [H,4H], bias [4H]);
//  - losses.js categoricalCrossentropy: p / sum(p), then clipByValue(p, eps, 1 - eps) with
//    eps = backend epsilon = 1e-7 (float32), then -sum(y log p). Used (tf.metrics
//    .categoricalCrossentropy, mean over samples) for the keras2 preset, whose loss clips the same
//    way. keras3's loss is from logits, no clip: for it the twin's loss is -sum(y log p) without
//    clip on the softmax output (equal to the logits form while p is not tiny) and, for the
//    saturated case, tf.losses.softmaxCrossEntropy on a linear-output twin.
//  - tfjs's Adam (Algorithm-1 form, lr*mhat/(sqrt(vhat)+eps)) is NOT Keras's form, so the training
//    check takes only gradients from tfjs and applies SPEC.md's Keras-form update itself in float64.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { adam, dense, lstm, sequential } from '../src/index.js';
import { expectClose, handLstm1, KerasAdam, Prng, randomOneHot } from './helpers/compare.js';
import { randomWeights, twin, useTfjsCpuAndWasm } from './helpers/twin.js';

type Act = 'sigmoid' | 'hardSigmoid';
type PresetName = 'keras2' | 'keras3';
type Kernels = 'simd' | 'scalar';
interface Dims { N: number; T: number; D: number; H: number; V: number }

const KERNELS: Kernels[] = ['scalar', 'simd'];
const NAMES = ['lstm/kernel', 'lstm/recurrent_kernel', 'lstm/bias', 'dense/kernel', 'dense/bias'];

// Tolerances: both sides are float32; ours adds the SIMD tanh/exp approximations (<= ~1e-6), and
// the two libraries sum in different orders. Probabilities are O(1/V); gradients O(1e-3..1e-1).
// Measured worst |diff|: ~3e-8 (probabilities and gradients, both kernel sets), so these leave
// room for the approximation budget and still sit far below any real error (gate order, hard
// sigmoid slope, clip handling: all >= 1e-3).
const PROB_TOL = { atol: 2e-6, rtol: 1e-5 };
const LOSS_TOL = { atol: 2e-6, rtol: 2e-6 };
const GRAD_TOL = { atol: 3e-6, rtol: 1e-4 };

function ourModel(d: Dims, act: Act, preset: PresetName, kernels: Kernels, weights?: Array<{ shape: number[]; data: Float32Array }>, optimizer = adam()) {
  const model = sequential({ seed: 1, preset, kernels, layers: [
    lstm({ units: d.H, inputShape: [d.T, d.D], recurrentActivation: act }),
    dense({ units: d.V, activation: 'softmax' }),
  ] });
  model.compile({ loss: 'categoricalCrossentropy', optimizer, metrics: ['accuracy'] });
  if (weights) model.setWeights(weights);
  return model;
}

/** The mean loss of preset `preset` on the twin's softmax output. */
function twinLoss(preset: PresetName, yT: tf.Tensor, p: tf.Tensor): tf.Scalar {
  return preset === 'keras2'
    ? tf.mean(tf.metrics.categoricalCrossentropy(yT, p)) as tf.Scalar
    : tf.mean(tf.neg(tf.sum(tf.mul(yT, tf.log(p)), -1))) as tf.Scalar;
}

/** tfjs's loss and gradients of the loss w.r.t. the twin's five weights, in Keras order. */
function twinGrads(m: tf.Sequential, preset: PresetName, x: Float32Array, y: Float32Array, d: Dims, N = d.N): { loss: number; grads: Float32Array[] } {
  return tf.tidy(() => {
    const xT = tf.tensor3d(x, [N, d.T, d.D]);
    const yT = tf.tensor2d(y, [N, d.V]);
    const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => twinLoss(preset, yT, m.apply(xT, { training: true }) as tf.Tensor), vars);
    return { loss: value.dataSync()[0], grads: vars.map((v) => grads[v.name].dataSync() as Float32Array) };
  });
}


useTfjsCpuAndWasm();

describe('what the twin relies on in tfjs 4.22', () => {
  it("tfjs's backend is 'cpu' with float32 epsilon 1e-7", () => {
    expect(tf.getBackend()).toBe('cpu');
    expect(tf.backend().epsilon()).toBe(1e-7);
  });

  it("tfjs's hardSigmoid is clip(0.2x + 0.5, 0, 1)", () => {
    const xs = [-4, -2.5, -2.4, -1, 0, 0.7, 2.4, 2.5, 4];
    const out = tf.tidy(() => (tf.layers.activation({ activation: 'hardSigmoid' }).apply(tf.tensor1d(xs)) as tf.Tensor).dataSync());
    expectClose('tfjs hardSigmoid', out, xs.map((x) => Math.min(1, Math.max(0, 0.2 * x + 0.5))), { atol: 1e-7, rtol: 0 });
  });

  it('tfjs LSTM weights are [kernel (D,4H), recurrent_kernel (H,4H), bias (4H)] with gates i, f, c, o', () => {
    // T=2, D=1, H=1, sigmoid: one distinct weight per gate, so any other order changes h.
    const W = [0.5, -0.3, 0.8, 0.2];
    const U = [0.1, 0.4, -0.6, 0.3];
    const b = [0.05, 1, -0.1, 0.2];
    const x = [0.9, -0.4];
    const s = (z: number) => 1 / (1 + Math.exp(-z));
    const h = handLstm1(x, W, U, b, s);
    const layer = tf.layers.lstm({ units: 1, inputShape: [2, 1], recurrentActivation: 'sigmoid', activation: 'tanh', useBias: true,
      unitForgetBias: true, kernelInitializer: 'zeros', recurrentInitializer: 'zeros', biasInitializer: 'zeros', returnSequences: false });
    const m = tf.sequential({ layers: [layer] });
    expect(layer.getWeights().map((w) => w.shape)).toEqual([[1, 4], [1, 4], [4]]);
    m.setWeights([tf.tensor2d(W, [1, 4]), tf.tensor2d(U, [1, 4]), tf.tensor1d(b)]);
    const out = tf.tidy(() => (m.predict(tf.tensor3d(x, [1, 2, 1])) as tf.Tensor).dataSync());
    expectClose('tfjs LSTM h_T vs hand-worked i,f,c,o', out, [h], { atol: 1e-6, rtol: 0 });
    // A permuted order (i, f, o, c) gives a clearly different answer: the check discriminates.
    const h2 = handLstm1(x, W, U, b, s, ['i', 'f', 'o', 'c']);
    expect(Math.abs(h2 - h)).toBeGreaterThan(1e-2);
    m.dispose();
  });

  it('our model agrees with the same hand-worked case (both kernels)', () => {
    const d: Dims = { N: 1, T: 2, D: 1, H: 1, V: 2 };
    const ws = [
      { shape: [1, 4], data: Float32Array.from([0.5, -0.3, 0.8, 0.2]) },
      { shape: [1, 4], data: Float32Array.from([0.1, 0.4, -0.6, 0.3]) },
      { shape: [4], data: Float32Array.from([0.05, 1, -0.1, 0.2]) },
      { shape: [1, 2], data: Float32Array.from([1.5, -0.7]) },
      { shape: [2], data: Float32Array.from([0.1, -0.2]) },
    ];
    for (const act of ['sigmoid', 'hardSigmoid'] as const) {
      const s = act === 'sigmoid' ? (z: number) => 1 / (1 + Math.exp(-z)) : (z: number) => Math.min(1, Math.max(0, 0.2 * z + 0.5));
      let h = 0;
      let c = 0;
      for (const xt of [0.9, -0.4]) {
        const [zi, zf, zc, zo] = [0, 1, 2, 3].map((g) => Math.fround(xt) * ws[0].data[g] + h * ws[1].data[g] + ws[2].data[g]);
        c = s(zf) * c + s(zi) * Math.tanh(zc);
        h = s(zo) * Math.tanh(c);
      }
      const l0 = h * ws[3].data[0] + ws[4].data[0];
      const l1 = h * ws[3].data[1] + ws[4].data[1];
      const p0 = 1 / (1 + Math.exp(l1 - l0));
      for (const kernels of KERNELS) {
        const model = ourModel(d, act, 'keras2', kernels, ws);
        expectClose(`hand-worked ${act}/${kernels} predict`, model.predict([[[0.9], [-0.4]]]).data, [p0, 1 - p0], PROB_TOL);
        model.dispose();
      }
    }
  });
});

// Random shapes from the brief's sets plus the listing's own (T=5, D=1, H=32, V=26, k/26 inputs).
const CASES: Array<Dims & { letters?: boolean; scale?: number }> = [
  { N: 4, T: 1, D: 1, H: 3, V: 5 },
  { N: 5, T: 5, D: 3, H: 8, V: 26 },
  { N: 7, T: 5, D: 1, H: 32, V: 26 },
  { N: 6, T: 1, D: 3, H: 32, V: 5 },
  { N: 4, T: 5, D: 3, H: 3, V: 26 },
  { N: 5, T: 5, D: 1, H: 8, V: 5 },
  { N: 6, T: 5, D: 1, H: 32, V: 26, letters: true },
  // Large weights: many gates beyond the hard sigmoid's +-2.5, where its derivative is 0.
  { N: 5, T: 5, D: 3, H: 8, V: 5, scale: 4 },
];

function caseInputs(c: Dims & { letters?: boolean; scale?: number }, seed: number) {
  const rng = new Prng(seed);
  const weights = randomWeights(rng, c.D, c.H, c.V, c.scale ?? (c.H === 32 ? 0.5 : 1));
  let x: Float32Array;
  if (c.letters) {
    // The listing's inputs: letter k scaled as Math.fround(k/26), pre-padded with zeros to T=5.
    x = new Float32Array(c.N * c.T);
    for (let n = 0; n < c.N; n++) {
      const len = 1 + rng.int(c.T);
      const start = rng.int(26 - len);
      for (let t = 0; t < len; t++) x[n * c.T + (c.T - len) + t] = Math.fround((start + t) / 26);
    }
  } else {
    x = rng.floats(c.N * c.T * c.D, -1, 1);
  }
  const { data: y } = randomOneHot(rng, c.N, c.V);
  return { weights, x, y };
}

describe('ours vs tfjs twin: predictions, loss, gradients of all 5 weights', () => {
  for (const act of ['hardSigmoid', 'sigmoid'] as const) {
    for (const preset of ['keras2', 'keras3'] as const) {
      it(`${act}, ${preset} loss, kernels scalar and simd, ${CASES.length} shapes`, () => {
        CASES.forEach((c, k) => {
          const { weights, x, y } = caseInputs(c, 100 + 10 * k + (act === 'sigmoid' ? 1 : 0));
          const m = twin(c, act, weights);
          const pRef = tf.tidy(() => (m.predict(tf.tensor3d(x, [c.N, c.T, c.D])) as tf.Tensor).dataSync() as Float32Array);
          const ref = twinGrads(m, preset, x, y, c);
          m.dispose();
          const xt = { shape: [c.N, c.T, c.D], data: x };
          const yt = { shape: [c.N, c.V], data: y };
          for (const kernels of KERNELS) {
            const tag = `${act}/${preset}/${kernels} N${c.N} T${c.T} D${c.D} H${c.H} V${c.V}${c.letters ? ' letters' : ''}${c.scale ? ` weights x${c.scale}` : ''}`;
            const model = ourModel(c, act, preset, kernels, weights);
            try {
              expectClose(`${tag} predict`, model.predict(xt).data, pRef, PROB_TOL, [c.N, c.V]);
              const [evLoss] = model.evaluate(xt, yt);
              expectClose(`${tag} evaluate loss`, [evLoss], [ref.loss], LOSS_TOL);
              const { loss, grads } = model.computeGradients(xt, yt);
              expectClose(`${tag} computeGradients loss`, [loss], [ref.loss], LOSS_TOL);
              expect(grads.map((g) => g.name)).toEqual(NAMES);
              grads.forEach((g, i) => {
                expect(g.shape).toEqual(weights[i].shape);
                expectClose(`${tag} d loss/d ${g.name}`, g.data, ref.grads[i], GRAD_TOL, g.shape);
              });
            } finally {
              model.dispose();
            }
          }
        });
      });
    }
  }

  it('a saturated sample (target p < 1e-7): keras2 clips (tf.metrics), keras3 does not (tf.losses.softmaxCrossEntropy on logits)', () => {
    const c: Dims = { N: 4, T: 3, D: 2, H: 5, V: 4 };
    const rng = new Prng(4242);
    const weights = randomWeights(rng, c.D, c.H, c.V, 0.5);
    weights[4].data.set([-25, 0.1, -0.1, 0.2]); // class 0 gets p ~ 1e-11
    const x = rng.floats(c.N * c.T * c.D, -1, 1);
    const y = new Float32Array(c.N * c.V);
    [0, 1, 2, 0].forEach((label, n) => (y[n * c.V + label] = 1));
    const xt = { shape: [c.N, c.T, c.D], data: x };
    const yt = { shape: [c.N, c.V], data: y };
    for (const act of ['hardSigmoid', 'sigmoid'] as const) {
      for (const preset of ['keras2', 'keras3'] as const) {
        let ref: { loss: number; grads: Float32Array[] };
        if (preset === 'keras2') {
          const m = twin(c, act, weights);
          ref = twinGrads(m, preset, x, y, c);
          m.dispose();
          expect(ref.loss).toBeGreaterThan(8); // two samples at -log(1e-7) = 16.1
        } else {
          const m = twin(c, act, weights, undefined, 'linear');
          ref = tf.tidy(() => {
            const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
            const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(tf.tensor2d(y, [c.N, c.V]),
              m.apply(tf.tensor3d(x, [c.N, c.T, c.D]), { training: true }) as tf.Tensor, undefined, 0, tf.Reduction.MEAN) as tf.Scalar, vars);
            return { loss: value.dataSync()[0], grads: vars.map((v) => grads[v.name].dataSync() as Float32Array) };
          });
          m.dispose();
          expect(ref.loss).toBeGreaterThan(12); // two samples near 25
        }
        for (const kernels of KERNELS) {
          const tag = `saturated ${act}/${preset}/${kernels}`;
          const model = ourModel(c, act, preset, kernels, weights);
          try {
            expectClose(`${tag} evaluate loss`, [model.evaluate(xt, yt)[0]], [ref.loss], { atol: 1e-5, rtol: 2e-6 });
            const { loss, grads } = model.computeGradients(xt, yt);
            expectClose(`${tag} computeGradients loss`, [loss], [ref.loss], { atol: 1e-5, rtol: 2e-6 });
            grads.forEach((g, i) => expectClose(`${tag} d loss/d ${g.name}`, g.data, ref.grads[i], GRAD_TOL, g.shape));
          } finally {
            model.dispose();
          }
        }
      }
    }
  });
});

describe('training: 3 Adam steps at batch size 2 (N=5, last batch short), shuffle false', () => {
  // tfjs provides the gradient at each step (twinGrads on the batch, at the current weights);
  // the update is SPEC.md's Keras form, applied here in float64:
  //   lr_t = lr sqrt(1-b2^t)/(1-b1^t); m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; w -= lr_t m/(sqrt(v)+eps_hat)
  // tfjs's own Adam is not used: its lr*mhat/(sqrt(vhat)+eps) equals this only for eps = eps_hat/sqrt(1-b2^t).
  const c: Dims = { N: 5, T: 5, D: 3, H: 8, V: 6 };
  const batchSize = 2;
  const settings: Array<{ act: Act; preset: PresetName; eps: number; opt?: { learningRate: number; beta1: number; beta2: number; epsilon: number } }> = [
    { act: 'hardSigmoid', preset: 'keras2', eps: 1e-8 },
    { act: 'sigmoid', preset: 'keras3', eps: 1e-7 },
    { act: 'sigmoid', preset: 'keras2', eps: 1e-3, opt: { learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-3 } },
  ];
  for (const s of settings) {
    it(`${s.act}, ${s.preset}, ${s.opt ? 'custom adam' : 'default adam'}: weights after fit equal the Keras-form update of tfjs's gradients`, async () => {
      const { weights, x, y } = caseInputs(c, 900 + (s.opt ? 7 : 0) + (s.preset === 'keras3' ? 3 : 0));
      const lr = s.opt?.learningRate ?? 0.001;
      const b1 = s.opt?.beta1 ?? 0.9;
      const b2 = s.opt?.beta2 ?? 0.999;
      // Expected trajectory in float64.
      const theta = weights.map((w) => Float64Array.from(w.data));
      const ref = new KerasAdam({ learningRate: lr, beta1: b1, beta2: b2, epsilon: s.eps }, theta.map((t) => t.length));
      const m32 = twin(c, s.act, weights);
      for (let start = 0; start < c.N; start += batchSize) {
        const n = Math.min(batchSize, c.N - start);
        const ts = theta.map((t, k) => tf.tensor(Float32Array.from(t), weights[k].shape, 'float32'));
        m32.setWeights(ts);
        tf.dispose(ts);
        const { grads } = twinGrads(m32, s.preset, x.slice(start * c.T * c.D, (start + n) * c.T * c.D), y.slice(start * c.V, (start + n) * c.V), c, n);
        ref.step(theta, grads);
      }
      m32.dispose();
      expect(ref.t).toBe(3);
      for (const kernels of KERNELS) {
        const model = ourModel(c, s.act, s.preset, kernels, weights, s.opt ? adam(s.opt) : adam());
        try {
          await model.fit({ shape: [c.N, c.T, c.D], data: x }, { shape: [c.N, c.V], data: y }, { epochs: 1, batchSize, shuffle: false, verbose: 0 });
          const after = model.getWeights();
          after.forEach((w, k) => {
            // The weights must have moved by about 3 steps' worth, and land where the Keras form says.
            const moved = w.data.reduce((mx, val, i) => Math.max(mx, Math.abs(val - weights[k].data[i])), 0);
            expect(moved, `${w.name} did not move`).toBeGreaterThan(0.5 * lr);
            expectClose(`3 Adam steps ${s.act}/${s.preset}/${kernels} ${w.name}`, w.data, theta[k], { atol: 2e-6 * lr / 1e-3, rtol: 2e-6 }, w.shape);
          });
        } finally {
          model.dispose();
        }
      }
    });
  }
});
