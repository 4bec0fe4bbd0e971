// Stacked LSTMs and sequence outputs (issue #8), against oracles that do not run our code:
//  1. tfjs-layers twins (tfjs 4.22, 'cpu' backend, float32; every LSTM option spelled out) with
//     our weights copied in: outputs, mean loss and tf.variableGrads of every weight, for
//     [lstm(rs) -> lstm -> dense softmax] (2 and 3 LSTMs) and for sequence outputs
//     [lstm(rs) -> (lstm(rs) ->) dense | timeDistributed(dense)] with mse, categorical and sparse
//     categorical cross-entropy; evaluate's accuracy against argmax of tfjs's outputs; predictStep
//     streaming a stack against tfjs's per-step outputs.
//  2. tfjs model.fit with the same optimizer (Adam, SGD with Nesterov momentum, RMSprop) for 3
//     epochs (full batch; once with a short last batch): the weights after training.
//  3. Central differences of an independent float64 forward (test/helpers/stack-twin.ts, written
//     from Keras's definitions and itself checked against the tfjs twin first), for every weight
//     tensor including the lowest layer's kernel, whose gradient flows through the whole stack;
//     plus a weaker float32 difference of the library's own evaluate.
//  4. Our 'scalar' kernels vs our 'simd' kernels.
// Facts about tfjs relied on (node_modules/@tensorflow/tfjs-*/dist, 4.22.0), re-checked below:
//  - tfjs's fit reduces the per-row loss ([N] or [N, T]) with tf.mean (engine/training.js), i.e.
//    the mean over all N*T rows = Keras's mean over steps then samples at full length;
//  - tfjs's Adam is lr*mhat/(sqrt(vhat)+eps) and reads `this.epsilon` at every step
//    (optimizers/adam_optimizer.js); with eps_t = eps_hat/sqrt(1-beta2^t) that IS Keras's form
//    lr_t*m/(sqrt(v)+eps_hat), so the training test sets eps_t before each (single-batch) epoch;
//  - tfjs's momentum: acc = mu*acc + g; theta -= lr*(g + mu*acc) (nesterov), Keras's
//    m = mu*m - lr*g; theta += mu*m - lr*g with m = -lr*acc: the same update;
//  - tfjs's RMSprop (momentum 0, not centered): theta -= lr*g/sqrt(ms + eps), Keras 3's form.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { adam, dense, fromTfjsLayers, lstm, masking, rmsprop, sequential, sgd, timeDistributed, toTfjsLayers, ShapeError, type Optimizer } from '../src/index.js';
import { expectClose, Prng } from './helpers/compare.js';
import { useTfjsCpuAndWasm } from './helpers/twin.js';
import {
  fdStack64, forwardStack64, newTrace, randomStackWeights, randomTargets, rowsPerSample, stackNames, stackShapes, stackTwin,
  stackTwinRun, twinTargets,
  type Act, type LossKind, type StackSpec, type Weights,
} from './helpers/stack-twin.js';

type PresetName = 'keras2' | 'keras3';
type Kernels = 'simd' | 'scalar';
const KERNELS: Kernels[] = ['scalar', 'simd'];
const ACTS: Act[] = ['sigmoid', 'hardSigmoid'];
const LOSS_NAME = { cce: 'categoricalCrossentropy', sparse: 'sparseCategoricalCrossentropy', mse: 'meanSquaredError' } as const;

// Tolerances vs the tfjs twin: the same as test/tfjs-twin.test.ts. Both sides are float32; ours
// adds the SIMD tanh/exp approximations (<= ~1e-6) and the libraries sum in different orders.
// A stack adds one more layer of rounding, still orders of magnitude below any real error
// (a wrong gate order, a missing dext term of a lower layer, a mean over the wrong axis: >= 1e-3).
// Measured worst |diff| here: outputs ~8e-8, loss ~1.2e-7 (1 ulp of a loss ~1), gradients ~6e-8.
const OUT_TOL = { atol: 2e-6, rtol: 1e-5 };
const LOSS_TOL = { atol: 2e-6, rtol: 2e-6 };
const GRAD_TOL = { atol: 3e-6, rtol: 1e-4 };

interface OurOpts { timeDistributed?: boolean; optimizer?: Optimizer; preset?: PresetName; kernels?: Kernels }

/** Our model for a spec: every LSTM but the last with returnSequences; the last too with seqOut. */
function ourModel(s: StackSpec, act: Act, loss: LossKind, weights: Weights | undefined, o: OurOpts = {}) {
  const L = s.units.length;
  const head = dense({ units: s.V, activation: s.head });
  const model = sequential({
    seed: 1, preset: o.preset ?? 'keras2', kernels: o.kernels ?? 'simd', layers: [
      ...s.units.map((H, l) => lstm({
        units: H, ...(l === 0 ? { inputShape: [s.T, s.D] as [number, number] } : {}),
        recurrentActivation: act, returnSequences: l < L - 1 || s.seqOut,
      })),
      o.timeDistributed ? timeDistributed(head) : head,
    ],
  });
  model.compile({ loss: LOSS_NAME[loss], optimizer: o.optimizer ?? adam(), metrics: loss === 'mse' ? ['mae'] : ['accuracy'] });
  if (weights) model.setWeights(weights);
  return model;
}

/** Our x and y tensors: x [N,T,D]; y [N,V] / [N,T,V], or labels [N] / [N,T]. */
function ourData(s: StackSpec, loss: LossKind, x: Float32Array, y: Float32Array) {
  const lead = s.seqOut ? [s.N, s.T] : [s.N];
  return { xt: { shape: [s.N, s.T, s.D], data: x }, yt: { shape: loss === 'sparse' ? lead : [...lead, s.V], data: y } };
}

const specTag = (s: StackSpec) => `N${s.N} T${s.T} D${s.D} H[${s.units.join(',')}] V${s.V}${s.seqOut ? ' seq' : ''} ${s.head}`;

/** Weights, inputs in [-1, 1) and targets for a spec, all from one seed. */
function caseData(s: StackSpec, loss: LossKind, seed: number, scale = 1) {
  const rng = new Prng(seed);
  const weights = randomStackWeights(rng, s, scale);
  const x = rng.floats(s.N * s.T * s.D, -1, 1);
  const y = randomTargets(rng, s, loss);
  return { rng, weights, x, y };
}

/**
 * Mean over rows of [argmax p == label]: Keras's accuracy over every step. Also returns the
 * smallest top-2 gap, so a near-tie (where float32 noise could flip the argmax) is caught.
 */
function argmaxAccuracy(p: ArrayLike<number>, y: ArrayLike<number>, rows: number, V: number, sparse: boolean) {
  let hits = 0;
  let minGap = Infinity;
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let v = 1; v < V; v++) if (p[r * V + v] > p[r * V + best]) best = v;
    let second = -Infinity;
    for (let v = 0; v < V; v++) if (v !== best) second = Math.max(second, p[r * V + v]);
    minGap = Math.min(minGap, p[r * V + best] - second);
    const label = sparse ? y[r] : Array.from({ length: V }, (_, v) => y[r * V + v]).indexOf(1);
    if (best === label) hits++;
  }
  return { acc: hits / rows, minGap };
}

/**
 * The core twin check: the tfjs twin's outputs, loss and gradients against ours for both kernel
 * sets (and evaluate's accuracy against argmax of the twin's outputs).
 */
function checkTwin(s: StackSpec, act: Act, preset: PresetName, loss: LossKind, seed: number, timeDistributed = false) {
  const { weights, x, y } = caseData(s, loss, seed);
  const clip = preset === 'keras2';
  // The float64 trace: no clipped row (keras2 and keras3 would then differ by design) and no gate
  // within 1e-4 of a hard-sigmoid kink (where float32 rounding could pick the other slope).
  const trace = newTrace();
  forwardStack64(weights.map((w) => w.data), x, y, s, act, loss, clip, trace);
  expect(trace.clipped, 'a clipped row: pick another seed').toBe(0);
  if (act === 'hardSigmoid') expect(trace.minKink, 'a gate next to a hard-sigmoid kink: pick another seed').toBeGreaterThan(1e-4);
  const m = stackTwin(s, act, weights, timeDistributed);
  const ref = stackTwinRun(m, s, loss, clip, x, y);
  m.dispose();
  const { xt, yt } = ourData(s, loss, x, y);
  const rows = s.N * rowsPerSample(s);
  const acc = loss === 'mse' ? null : argmaxAccuracy(ref.out, y, rows, s.V, loss === 'sparse');
  if (acc) expect(acc.minGap, 'a near-tie in the twin\'s argmax: pick another seed').toBeGreaterThan(1e-4);
  const names = stackNames(s);
  const shapes = stackShapes(s);
  for (const kernels of KERNELS) {
    const tag = `${act}/${preset}/${kernels} ${loss}${timeDistributed ? ' timeDistributed' : ''} ${specTag(s)}`;
    const model = ourModel(s, act, loss, weights, { preset, kernels, timeDistributed });
    try {
      expect(model.getWeights().map((w) => w.name)).toEqual(names);
      expect(model.getWeights().map((w) => w.shape)).toEqual(shapes);
      const p = model.predict(xt);
      expect(p.shape).toEqual(s.seqOut ? [s.N, s.T, s.V] : [s.N, s.V]);
      expectClose(`${tag} predict vs tfjs`, p.data, ref.out, OUT_TOL, p.shape);
      const ev = model.evaluate(xt, yt);
      expectClose(`${tag} evaluate loss vs tfjs`, [ev[0]], [ref.loss], LOSS_TOL);
      if (acc) expect(ev[1], `${tag} evaluate accuracy vs argmax of tfjs's outputs over all ${rows} rows`).toBeCloseTo(acc.acc, 12);
      const { loss: gl, grads } = model.computeGradients(xt, yt);
      expectClose(`${tag} computeGradients loss vs tfjs`, [gl], [ref.loss], LOSS_TOL);
      expect(grads.map((g) => g.name)).toEqual(names);
      grads.forEach((g, k) => {
        expect(g.shape).toEqual(shapes[k]);
        expectClose(`${tag} d loss/d ${g.name} vs tfjs`, g.data, ref.grads[k], GRAD_TOL, g.shape);
      });
      // The lowest layer's kernel gets a real gradient through the stack: at least 30x GRAD_TOL's
      // atol, so a lost or halved gradient of a lower layer cannot hide in the tolerance.
      expect(Math.max(...ref.grads[0].map(Math.abs)), `${tag}: tfjs's d loss/d lstm/kernel is too small to discriminate`).toBeGreaterThan(1e-4);
    } finally {
      model.dispose();
    }
  }
  return { ref, weights, x, y };
}

useTfjsCpuAndWasm();

describe('what the oracles rely on', () => {
  it('the float64 forward agrees with the tfjs twin (stacked, 3-layer sequence output, timeDistributed mse)', () => {
    // Two independent implementations of Keras's definitions; if they agree, the float64 forward
    // is a sound oracle for the finite differences below.
    const cases: Array<[StackSpec, Act, LossKind, boolean, boolean]> = [
      [{ N: 3, T: 4, D: 3, units: [5, 6], V: 4, seqOut: false, head: 'softmax' }, 'sigmoid', 'cce', true, false],
      [{ N: 3, T: 3, D: 2, units: [4, 5, 3], V: 5, seqOut: true, head: 'softmax' }, 'hardSigmoid', 'sparse', false, true],
      [{ N: 2, T: 4, D: 3, units: [5], V: 2, seqOut: true, head: 'linear' }, 'sigmoid', 'mse', false, true],
    ];
    cases.forEach(([s, act, loss, clip, td], k) => {
      const { weights, x, y } = caseData(s, loss, 70 + k);
      const m = stackTwin(s, act, weights, td);
      const ref = stackTwinRun(m, s, loss, clip, x, y);
      m.dispose();
      const f = forwardStack64(weights.map((w) => w.data), x, y, s, act, loss, clip);
      expectClose(`float64 forward vs tfjs outputs, ${specTag(s)}`, f.out, ref.out, { atol: 1e-6, rtol: 1e-5 });
      expectClose(`float64 loss vs tfjs loss, ${specTag(s)}`, [f.loss], [ref.loss], { atol: 1e-6, rtol: 1e-6 });
    });
  });

  it('the float64 FD matches the closed-form dense-bias gradient of a sequence output (softmax CE and mse)', () => {
    // d loss/d bd_v = (1/(N T)) sum_rows (p - y) for softmax CE (no clip), and
    // (1/(N T)) sum_rows 2 (p - y)/V for mse on a linear head.
    for (const [head, loss] of [['softmax', 'cce'], ['linear', 'mse']] as const) {
      const s: StackSpec = { N: 3, T: 4, D: 2, units: [3, 4], V: 3, seqOut: true, head };
      const { weights, x, y } = caseData(s, loss, 99);
      const w64 = weights.map((w) => Float64Array.from(w.data));
      const { out } = forwardStack64(w64, x, y, s, 'sigmoid', loss, false);
      const rows = s.N * s.T;
      const closed = new Float64Array(s.V);
      for (let r = 0; r < rows; r++) {
        for (let v = 0; v < s.V; v++) closed[v] += (loss === 'mse' ? 2 / s.V : 1) * (out[r * s.V + v] - y[r * s.V + v]) / rows;
      }
      const pick = w64.map((t, k) => (k === w64.length - 1 ? Array.from({ length: t.length }, (_, i) => i) : []));
      const fd = fdStack64(w64, x, y, s, 'sigmoid', loss, false, 1e-5, pick);
      expectClose(`float64 FD dense/bias vs closed form (${loss})`, fd[w64.length - 1], closed, { atol: 1e-9, rtol: 1e-7 });
    }
  });

  it("tfjs's loss of a 3-D output in fit/evaluate is the mean over all N*T rows", async () => {
    const s: StackSpec = { N: 3, T: 4, D: 2, units: [3], V: 2, seqOut: true, head: 'linear' };
    const { weights, x, y } = caseData(s, 'mse', 5);
    const m = stackTwin(s, 'sigmoid', weights);
    m.compile({ optimizer: tf.train.sgd(0), loss: 'meanSquaredError' });
    const ev = tf.tidy(() => (m.evaluate(tf.tensor3d(x, [s.N, s.T, s.D]), twinTargets(s, 'mse', y), { batchSize: s.N }) as tf.Scalar).dataSync()[0]);
    const f = forwardStack64(weights.map((w) => w.data), x, y, s, 'sigmoid', 'mse', false);
    m.dispose();
    expectClose('tfjs evaluate (mse, 3-D) vs float64 mean over rows', [ev], [f.loss], { atol: 1e-6, rtol: 1e-6 });
  });

  it("tfjs's Adam with eps_t = eps_hat/sqrt(1-b2^t) set per step, and its Nesterov momentum, are Keras's forms", () => {
    // One variable, three steps with fixed gradients, against the Keras forms in float64.
    const g = [[0.3, -2e-4, 1e-6], [0.1, 5e-4, -3e-6], [-0.2, 1e-4, 2e-6]];
    const w0 = [0.5, -0.25, 0.125];
    const [lr, b1, b2, epsHat] = [0.01, 0.9, 0.999, 1e-7];
    const v = tf.variable(tf.tensor1d(w0));
    const opt = tf.train.adam(lr, b1, b2, epsHat);
    const th = [...w0];
    const mm = [0, 0, 0];
    const vv = [0, 0, 0];
    g.forEach((gs, t) => {
      (opt as unknown as { epsilon: number }).epsilon = epsHat / Math.sqrt(1 - b2 ** (t + 1));
      tf.tidy(() => opt.applyGradients([{ name: v.name, tensor: tf.tensor1d(gs) }]));
      const lrT = lr * Math.sqrt(1 - b2 ** (t + 1)) / (1 - b1 ** (t + 1));
      gs.forEach((gi, i) => {
        mm[i] = b1 * mm[i] + (1 - b1) * gi;
        vv[i] = b2 * vv[i] + (1 - b2) * gi * gi;
        th[i] -= lrT * mm[i] / (Math.sqrt(vv[i]) + epsHat);
      });
    });
    // Without the per-step eps the third element (|g| ~ eps/sqrt(1-b2)) would be off by ~lr/4.
    expectClose('tfjs Adam (per-step eps) vs Keras form', v.dataSync(), th, { atol: 2e-8, rtol: 1e-6 });
    opt.dispose();
    v.dispose();
    const u = tf.variable(tf.tensor1d(w0));
    const mom = tf.train.momentum(0.1, 0.9, true);
    const th2 = [...w0];
    const m2 = [0, 0, 0];
    g.forEach((gs) => {
      tf.tidy(() => mom.applyGradients([{ name: u.name, tensor: tf.tensor1d(gs) }]));
      gs.forEach((gi, i) => {
        m2[i] = 0.9 * m2[i] - 0.1 * gi;
        th2[i] += 0.9 * m2[i] - 0.1 * gi;
      });
    });
    expectClose('tfjs Nesterov momentum vs Keras form', u.dataSync(), th2, { atol: 2e-8, rtol: 1e-6 });
    mom.dispose();
    u.dispose();
  });
});

describe('1. two stacked LSTMs -> dense softmax (last step): predictions, loss, gradients vs tfjs', () => {
  const CASES: StackSpec[] = [
    { N: 5, T: 4, D: 3, units: [5, 6], V: 4, seqOut: false, head: 'softmax' }, // H not a multiple of 4
    { N: 4, T: 3, D: 2, units: [8, 3], V: 5, seqOut: false, head: 'softmax' }, // H=8: two full vectors; H=3: tail only
    { N: 3, T: 5, D: 1, units: [1, 33], V: 6, seqOut: false, head: 'softmax' }, // H=1; H=33: eight vectors + tail
  ];
  for (const act of ACTS) {
    for (const preset of ['keras2', 'keras3'] as const) {
      it(`${act} gates, ${preset} loss${preset === 'keras2' ? ' (clipped CE)' : ' (from logits)'}, kernels scalar and simd`, () => {
        CASES.forEach((s, k) => checkTwin(s, act, preset, 'cce', 200 + 10 * k + (act === 'sigmoid' ? 1 : 0) + (preset === 'keras3' ? 2 : 0)));
      });
    }
  }
});

describe('2. three stacked LSTMs', () => {
  for (const act of ACTS) {
    it(`${act}: [lstm(rs) 5 -> lstm(rs) 8 -> lstm 3 -> dense softmax] and a 3-layer sequence output, vs tfjs`, () => {
      checkTwin({ N: 4, T: 4, D: 2, units: [5, 8, 3], V: 4, seqOut: false, head: 'softmax' }, act, 'keras2', 'cce', 300 + (act === 'sigmoid' ? 1 : 0));
      checkTwin({ N: 3, T: 3, D: 3, units: [4, 6, 5], V: 3, seqOut: true, head: 'softmax' }, act, 'keras3', 'sparse', 310 + (act === 'sigmoid' ? 1 : 0), true);
    });
  }
});

describe('3. sequence outputs: predict [N,T,V], per-step loss and gradients vs tfjs', () => {
  for (const act of ACTS) {
    it(`${act}: [lstm(rs) -> timeDistributed(dense linear)] and [lstm(rs) -> dense linear] with mse`, () => {
      checkTwin({ N: 4, T: 4, D: 3, units: [5], V: 2, seqOut: true, head: 'linear' }, act, 'keras2', 'mse', 400 + (act === 'sigmoid' ? 1 : 0), true);
      checkTwin({ N: 3, T: 5, D: 2, units: [8], V: 3, seqOut: true, head: 'linear' }, act, 'keras3', 'mse', 410 + (act === 'sigmoid' ? 1 : 0), false);
    });
    for (const loss of ['cce', 'sparse'] as const) {
      for (const preset of ['keras2', 'keras3'] as const) {
        it(`${act}, ${preset}: [lstm(rs) 6 -> lstm(rs) 5 -> dense softmax] with ${LOSS_NAME[loss]}${loss === 'sparse' ? ' (labels [N,T])' : ''}, and [3 -> 33] timeDistributed`, () => {
          const seed = 420 + (act === 'sigmoid' ? 1 : 0) + (loss === 'sparse' ? 2 : 0) + (preset === 'keras3' ? 4 : 0);
          checkTwin({ N: 4, T: 4, D: 3, units: [6, 5], V: 4, seqOut: true, head: 'softmax' }, act, preset, loss, seed);
          checkTwin({ N: 3, T: 3, D: 2, units: [3, 33], V: 5, seqOut: true, head: 'softmax' }, act, preset, loss, seed + 50, true);
        });
      }
    }
  }

  it("predictStep streams a stack: after resetStates, step t's output is tfjs's output at step t (both kernels)", () => {
    // Every LSTM of the stack must carry its own state from call to call.
    const s: StackSpec = { N: 2, T: 4, D: 3, units: [5, 6], V: 4, seqOut: true, head: 'softmax' };
    const { weights, x } = caseData(s, 'cce', 450);
    const m = stackTwin(s, 'hardSigmoid', weights);
    const ref = tf.tidy(() => Float32Array.from((m.predict(tf.tensor3d(x, [s.N, s.T, s.D])) as tf.Tensor).dataSync()));
    m.dispose();
    for (const kernels of KERNELS) {
      const model = ourModel(s, 'hardSigmoid', 'cce', weights, { kernels });
      try {
        for (let n = 0; n < s.N; n++) {
          model.resetStates();
          const streamed: number[] = [];
          for (let t = 0; t < s.T; t++) streamed.push(...model.predictStep(x.subarray((n * s.T + t) * s.D, (n * s.T + t + 1) * s.D)).data);
          expectClose(`${kernels} predictStep sample ${n} vs tfjs per-step outputs`, streamed, ref.subarray(n * s.T * s.V, (n + 1) * s.T * s.V), OUT_TOL, [s.T, s.V]);
        }
      } finally {
        model.dispose();
      }
    }
  });

  it('a sequence-output model refuses a short sample (lengths), as documented', () => {
    const s: StackSpec = { N: 2, T: 4, D: 1, units: [3], V: 2, seqOut: true, head: 'softmax' };
    const model = ourModel(s, 'sigmoid', 'sparse', undefined);
    try {
      const x = { shape: [2, 4, 1], data: new Float32Array(8).fill(0.5) };
      expect(() => model.predict(x, { lengths: [4, 2], padding: 'post' })).toThrow(ShapeError);
      expect(model.predict(x).shape).toEqual([2, 4, 2]);
    } finally {
      model.dispose();
    }
  });
});

describe('4. training: 3 epochs (full batch, and once a short last batch), shuffle false, vs tfjs model.fit', () => {
  // One step per epoch at batchSize = N. tfjs gets its optimizer from tf.train.*; for Adam the per-step eps_t
  // (see the header) makes it Keras's form exactly. The trajectories then differ only by float32
  // rounding of the gradients (~5e-8, see GRAD_TOL's measurement) fed through 3 updates:
  //  - SGD/momentum is linear in g: |dtheta| <= lr * (1 + 2mu + 3mu^2...) * 5e-8 ~ 1e-7 at lr 0.1;
  //  - Adam/RMSprop normalise by |g|: a relative gradient error e moves a step by ~lr*e, and e is
  //    ~5e-8/|g|. Elements with |g| ~ 1e-5 could move by ~5e-3*lr.
  // Measured worst |diff|: 1.2e-7 (Adam), 2.7e-7 (RMSprop lr 1e-2), 3e-8 (SGD): one or two ulps of
  // weights of size ~1. atol = 2e-6 at lr 1e-3 (as tfjs-twin.test.ts's Adam check), 2e-5 at lr
  // 1e-2, plus 1e-5 relative: >= 15x margin, while any real difference (the eps form, bias
  // correction, the nesterov term, a layer left out of the update) is >= 1e-2 * lr per step.
  interface TrainCase {
    name: string; s: StackSpec; act: Act; preset: PresetName; loss: LossKind; timeDistributed?: boolean;
    ours: Optimizer; tfOpt: () => tf.Optimizer; lr: number; adamEps?: { epsHat: number; beta2: number }; atol: number;
    /** default N (one step per epoch); the per-step Adam eps needs that */
    batchSize?: number;
  }
  const STACK: StackSpec = { N: 6, T: 4, D: 3, units: [5, 6], V: 4, seqOut: false, head: 'softmax' };
  const SEQ: StackSpec = { N: 4, T: 4, D: 2, units: [6, 5], V: 3, seqOut: true, head: 'softmax' };
  const SEQ_MSE: StackSpec = { N: 4, T: 5, D: 3, units: [4, 5], V: 2, seqOut: true, head: 'linear' };
  const CASES: TrainCase[] = [
    { name: 'adam default, keras2 (eps 1e-8), stacked', s: STACK, act: 'hardSigmoid', preset: 'keras2', loss: 'cce',
      ours: adam(), tfOpt: () => tf.train.adam(1e-3, 0.9, 0.999, 1e-8), lr: 1e-3, adamEps: { epsHat: 1e-8, beta2: 0.999 }, atol: 2e-6 },
    { name: 'adam custom (lr 0.01, b1 0.8, b2 0.99, eps 1e-3), keras3, stacked', s: STACK, act: 'sigmoid', preset: 'keras3', loss: 'cce',
      ours: adam({ learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-3 }), tfOpt: () => tf.train.adam(0.01, 0.8, 0.99, 1e-3),
      lr: 0.01, adamEps: { epsHat: 1e-3, beta2: 0.99 }, atol: 2e-5 },
    { name: 'adam default, keras3 (eps 1e-7), sequence output cce', s: SEQ, act: 'sigmoid', preset: 'keras3', loss: 'cce',
      ours: adam(), tfOpt: () => tf.train.adam(1e-3, 0.9, 0.999, 1e-7), lr: 1e-3, adamEps: { epsHat: 1e-7, beta2: 0.999 }, atol: 2e-6 },
    { name: 'sgd lr 0.1 momentum 0.9 nesterov, keras2, stacked', s: STACK, act: 'hardSigmoid', preset: 'keras2', loss: 'cce',
      ours: sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true }), tfOpt: () => tf.train.momentum(0.1, 0.9, true), lr: 0.1, atol: 2e-6 },
    { name: 'sgd lr 0.05 momentum 0.8 nesterov, sequence output mse, timeDistributed', s: SEQ_MSE, act: 'sigmoid', preset: 'keras2', loss: 'mse',
      timeDistributed: true, ours: sgd({ learningRate: 0.05, momentum: 0.8, nesterov: true }), tfOpt: () => tf.train.momentum(0.05, 0.8, true), lr: 0.05, atol: 2e-6 },
    { name: 'sgd lr 0.1 momentum 0.9 nesterov, sequence output sparse labels [N,T], batchSize 3 of N=4 (last batch short)', s: SEQ, act: 'hardSigmoid',
      preset: 'keras2', loss: 'sparse', batchSize: 3, ours: sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true }),
      tfOpt: () => tf.train.momentum(0.1, 0.9, true), lr: 0.1, atol: 2e-6 },
    { name: 'rmsprop (lr 0.01, rho 0.9, eps 1e-7), keras3, stacked', s: STACK, act: 'sigmoid', preset: 'keras3', loss: 'cce',
      ours: rmsprop({ learningRate: 0.01, rho: 0.9, epsilon: 1e-7 }), tfOpt: () => tf.train.rmsprop(0.01, 0.9, 0, 1e-7, false), lr: 0.01, atol: 2e-5 },
  ];
  CASES.forEach((c, ci) => {
    it(c.name, async () => {
      const { weights, x, y } = caseData(c.s, c.loss, 500 + ci);
      const m = stackTwin(c.s, c.act, weights, c.timeDistributed);
      const opt = c.tfOpt();
      m.compile({ optimizer: opt, loss: LOSS_NAME[c.loss] });
      const xT = tf.tensor3d(x, [c.s.N, c.s.T, c.s.D]);
      // tfjs's fit wants sparse labels of a 3-D output as [N, T, 1] (its loss flattens them).
      const yT = c.loss === 'sparse' && c.s.seqOut ? tf.tensor3d(y, [c.s.N, c.s.T, 1]) : twinTargets(c.s, c.loss, y);
      const batchSize = c.batchSize ?? c.s.N;
      expect(c.adamEps === undefined || batchSize === c.s.N).toBe(true);
      for (let epoch = 1; epoch <= 3; epoch++) {
        if (c.adamEps) (opt as unknown as { epsilon: number }).epsilon = c.adamEps.epsHat / Math.sqrt(1 - c.adamEps.beta2 ** epoch);
        await m.fit(xT, yT, { epochs: 1, batchSize, shuffle: false, verbose: 0 });
      }
      const ref = m.getWeights().map((w) => Float32Array.from(w.dataSync()));
      tf.dispose([xT, yT]);
      m.dispose();
      opt.dispose();
      for (const kernels of KERNELS) {
        const model = ourModel(c.s, c.act, c.loss, weights, { preset: c.preset, kernels, optimizer: c.ours, timeDistributed: c.timeDistributed });
        try {
          const { xt, yt } = ourData(c.s, c.loss, x, y);
          await model.fit(xt, yt, { epochs: 3, batchSize, shuffle: false, verbose: 0 });
          model.getWeights().forEach((w, k) => {
            // Every tensor, the lowest kernel included, moved by about 3 steps' worth in tfjs...
            const moved = ref[k].reduce((mx, v, i) => Math.max(mx, Math.abs(v - weights[k].data[i])), 0);
            expect(moved, `tfjs's ${w.name} did not move`).toBeGreaterThan(0.5 * c.lr * (c.adamEps || c.ours.className === 'RMSprop' ? 1 : 1e-2));
            // ...and ours landed at the same place.
            expectClose(`${c.name} ${kernels}: ${w.name} after 3 epochs vs tfjs fit`, w.data, ref[k], { atol: c.atol, rtol: 1e-5 }, w.shape);
          });
        } finally {
          model.dispose();
        }
      }
    });
  });
});

describe('5. gradients vs float64 central differences (every tensor, the lowest kernel through the stack)', () => {
  // The FD side is float64 (h = 1e-5: truncation ~h^2, round-off ~1e-16/h, both < 1e-9), so what
  // remains is the float32 arithmetic of computeGradients. Tolerances as test/gradcheck.test.ts:
  // scalar kernels 3e-7 + 3e-5 relative, SIMD (tanh/exp approximation budget ~1e-6) 1e-6 + 1e-4.
  // Measured worst |diff| here ~8e-8 for both kernel sets (gradients O(1e-3..1e-1)).
  const H_FD = 1e-5;
  const FD_TOL: Record<Kernels, { atol: number; rtol: number }> = {
    scalar: { atol: 3e-7, rtol: 3e-5 },
    simd: { atol: 1e-6, rtol: 1e-4 },
  };
  const CASES: Array<{ s: StackSpec; act: Act; preset: PresetName; loss: LossKind; td?: boolean; scale?: number }> = [
    { s: { N: 4, T: 4, D: 3, units: [5, 6], V: 4, seqOut: false, head: 'softmax' }, act: 'sigmoid', preset: 'keras3', loss: 'cce' },
    { s: { N: 4, T: 4, D: 3, units: [5, 6], V: 4, seqOut: false, head: 'softmax' }, act: 'hardSigmoid', preset: 'keras2', loss: 'cce' },
    { s: { N: 3, T: 4, D: 2, units: [3, 8, 5], V: 3, seqOut: false, head: 'softmax' }, act: 'sigmoid', preset: 'keras2', loss: 'sparse' },
    { s: { N: 3, T: 4, D: 3, units: [6, 5], V: 4, seqOut: true, head: 'softmax' }, act: 'sigmoid', preset: 'keras2', loss: 'cce' },
    { s: { N: 3, T: 4, D: 3, units: [6, 5], V: 4, seqOut: true, head: 'softmax' }, act: 'hardSigmoid', preset: 'keras3', loss: 'sparse' },
    { s: { N: 3, T: 5, D: 2, units: [4, 5, 3], V: 3, seqOut: true, head: 'softmax' }, act: 'sigmoid', preset: 'keras3', loss: 'sparse' },
    { s: { N: 4, T: 4, D: 3, units: [5], V: 2, seqOut: true, head: 'linear' }, act: 'sigmoid', preset: 'keras2', loss: 'mse', td: true },
    { s: { N: 3, T: 3, D: 2, units: [4, 33], V: 3, seqOut: true, head: 'linear' }, act: 'hardSigmoid', preset: 'keras2', loss: 'mse' },
  ];
  CASES.forEach((c, ci) => {
    it(`${c.act}, ${c.preset}, ${c.loss}${c.td ? ' timeDistributed' : ''}: ${specTag(c.s)}`, () => {
      const { rng, weights, x, y } = caseData(c.s, c.loss, 600 + ci, c.scale);
      const clip = c.preset === 'keras2';
      const w64 = weights.map((w) => Float64Array.from(w.data));
      const trace = newTrace();
      const ref = forwardStack64(w64, x, y, c.s, c.act, c.loss, clip, trace);
      expect(trace.clipped).toBe(0);
      // FD across a hard-sigmoid kink is meaningless: the perturbation moves a pre-activation by ~h.
      if (c.act === 'hardSigmoid') expect(trace.minKink, 'a gate next to a kink: pick another seed').toBeGreaterThan(1e-3);
      // In every tensor (the lowest kernel included): all weights when <= 24, else 24 sampled.
      const pick = weights.map((w) => rng.sample(w.data.length, 24));
      const fd = fdStack64(w64, x, y, c.s, c.act, c.loss, clip, H_FD, pick);
      const { xt, yt } = ourData(c.s, c.loss, x, y);
      for (const kernels of KERNELS) {
        const tag = `${c.act}/${c.preset}/${kernels} ${c.loss} ${specTag(c.s)}`;
        const model = ourModel(c.s, c.act, c.loss, weights, { preset: c.preset, kernels, timeDistributed: c.td });
        try {
          expectClose(`${tag} predict vs float64 forward`, model.predict(xt).data, ref.out, { atol: 1e-6, rtol: 1e-5 });
          expectClose(`${tag} evaluate loss vs float64 forward`, [model.evaluate(xt, yt)[0]], [ref.loss], { atol: 1e-6, rtol: 1e-6 });
          const { loss, grads } = model.computeGradients(xt, yt);
          expectClose(`${tag} computeGradients loss vs float64 forward`, [loss], [ref.loss], { atol: 1e-6, rtol: 1e-6 });
          grads.forEach((g, k) => {
            const ours = pick[k].map((i) => g.data[i]);
            expectClose(`${tag} d loss/d ${g.name} (${pick[k].length} of ${g.data.length}) vs float64 FD`, ours, fd[k], FD_TOL[kernels]);
          });
          // The lowest kernel's FD gradient is far from zero: the check above discriminates.
          expect(Math.max(...fd[0].map(Math.abs))).toBeGreaterThan(1e-3);
        } finally {
          model.dispose();
        }
      }
    });
  });

  it("float32 central differences of the library's own evaluate: lowest kernel and recurrent kernel of a stack and a sequence output", () => {
    // Independent path (setWeights -> evaluate). The float32 loss has ~1e-7 relative noise, so
    // h = 3e-3 balances it against h^2 truncation; as gradcheck.test.ts: 1.5e-4 + 0.5%
    // (measured worst |diff| ~2e-5).
    const h = 3e-3;
    const tol = { atol: 1.5e-4, rtol: 5e-3 };
    const specs: Array<[StackSpec, LossKind]> = [
      [{ N: 4, T: 4, D: 3, units: [5, 6], V: 4, seqOut: false, head: 'softmax' }, 'cce'],
      [{ N: 3, T: 4, D: 3, units: [6, 5], V: 4, seqOut: true, head: 'softmax' }, 'sparse'],
    ];
    specs.forEach(([s, loss], si) => {
      const { rng, weights, x, y } = caseData(s, loss, 700 + si);
      const { xt, yt } = ourData(s, loss, x, y);
      for (const kernels of KERNELS) {
        const model = ourModel(s, 'sigmoid', loss, weights, { preset: 'keras3', kernels });
        try {
          const { grads } = model.computeGradients(xt, yt);
          for (const k of [0, 1, 3]) { // lstm/kernel, lstm/recurrent_kernel, lstm_1/kernel
            const idx = rng.sample(weights[k].data.length, 8);
            const fd = idx.map((i) => {
              const pert = weights.map((w) => Float32Array.from(w.data));
              pert[k][i] = weights[k].data[i] + h;
              model.setWeights(pert);
              const lp = model.evaluate(xt, yt)[0];
              pert[k][i] = weights[k].data[i] - h;
              model.setWeights(pert);
              const lm = model.evaluate(xt, yt)[0];
              return (lp - lm) / (Math.fround(weights[k].data[i] + h) - Math.fround(weights[k].data[i] - h));
            });
            model.setWeights(weights);
            expectClose(`${kernels} ${specTag(s)} d loss/d ${grads[k].name} vs float32 FD of evaluate (h=${h})`, idx.map((i) => grads[k].data[i]), fd, tol);
          }
        } finally {
          model.dispose();
        }
      }
    });
  });
});

describe("6. 'simd' and 'scalar' kernels agree on stacked and sequence-output gradients", () => {
  // Same float32 math, different summation order and the SIMD tanh/exp approximations
  // (<= ~1e-6 absolute on a gate). Outputs/loss: 1e-6 + 1e-5 relative; gradients: 1e-6 + 1e-4
  // relative (SPEC's SIMD budget, as gradcheck.test.ts). Measured worst |diff|: gradients ~3e-8,
  // outputs ~1.2e-7 (1 ulp of a linear output of size ~1).
  const CASES: Array<{ s: StackSpec; loss: LossKind; td?: boolean }> = [
    { s: { N: 5, T: 5, D: 3, units: [33, 5], V: 6, seqOut: false, head: 'softmax' }, loss: 'cce' },
    { s: { N: 4, T: 4, D: 2, units: [8, 3, 33], V: 4, seqOut: false, head: 'softmax' }, loss: 'sparse' },
    { s: { N: 4, T: 5, D: 3, units: [5, 33], V: 5, seqOut: true, head: 'softmax' }, loss: 'sparse' },
    { s: { N: 3, T: 4, D: 1, units: [33], V: 3, seqOut: true, head: 'linear' }, loss: 'mse', td: true },
  ];
  for (const act of ACTS) {
    it(`${act} gates: ${CASES.length} models`, () => {
      CASES.forEach((c, ci) => {
        const { weights, x, y } = caseData(c.s, c.loss, 800 + ci + (act === 'sigmoid' ? 10 : 0));
        const { xt, yt } = ourData(c.s, c.loss, x, y);
        const run = (kernels: Kernels) => {
          const model = ourModel(c.s, act, c.loss, weights, { kernels, timeDistributed: c.td });
          try {
            return { p: model.predict(xt).data, ...model.computeGradients(xt, yt) };
          } finally {
            model.dispose();
          }
        };
        const a = run('scalar');
        const b = run('simd');
        const tag = `${act} ${c.loss} ${specTag(c.s)}`;
        expectClose(`${tag} predict simd vs scalar`, b.p, a.p, { atol: 1e-6, rtol: 1e-5 });
        expectClose(`${tag} loss simd vs scalar`, [b.loss], [a.loss], { atol: 1e-6, rtol: 1e-5 });
        b.grads.forEach((g, k) => expectClose(`${tag} d loss/d ${g.name} simd vs scalar`, g.data, a.grads[k].data, { atol: 1e-6, rtol: 1e-4 }, g.shape));
        // The lowest kernel's gradient is >= 100x the atol: the comparison discriminates.
        expect(Math.max(...a.grads[0].data.map(Math.abs)), `${tag}: d loss/d lstm/kernel too small`).toBeGreaterThan(1e-4);
      });
    });
  }
});

/** A hand-built tfjs model's outputs and its gradients of Keras 2's clipped categorical cross-entropy, in trainable-weight order. */
function cceOutputsAndGrads(t: tf.Sequential, x: Float32Array, shape: [number, number, number], y: Float32Array, V: number) {
  return tf.tidy(() => {
    const xT = tf.tensor3d(x, shape);
    const out = (t.predict(xT) as tf.Tensor).dataSync() as Float32Array;
    const { grads } = tf.variableGrads(() => tf.mean(tf.metrics.categoricalCrossentropy(tf.tensor2d(y, [shape[0], V]), t.apply(xT, { training: true }) as tf.Tensor)) as tf.Scalar,
      t.trainableWeights.map((w) => w.read() as tf.Variable));
    return { out, grads: t.trainableWeights.map((w) => grads[(w.read() as tf.Variable).name].dataSync() as Float32Array) };
  });
}

describe('7. each LSTM keeps its own gate activation (Keras allows them to differ)', () => {
  it('[lstm(rs, sigmoid) 5 -> lstm(hardSigmoid) 6 -> dense softmax]: predictions and gradients vs a tfjs twin with the same mix', () => {
    const rng = new Prng(31);
    const N = 3, T = 4, D = 2, V = 3;
    const ours = sequential({ seed: 5, layers: [
      lstm({ units: 5, returnSequences: true, inputShape: [T, D], recurrentActivation: 'sigmoid' }),
      lstm({ units: 6, recurrentActivation: 'hardSigmoid' }),
      dense({ units: V, activation: 'softmax' }),
    ] });
    ours.compile({ loss: 'categoricalCrossentropy' });
    const t = tf.sequential();
    [['sigmoid', 5], ['hardSigmoid', 6]].forEach(([act, units], l) => t.add(tf.layers.lstm({
      units: units as number, ...(l === 0 ? { inputShape: [T, D] } : {}), recurrentActivation: act as 'sigmoid' | 'hardSigmoid',
      activation: 'tanh', useBias: true, unitForgetBias: true, returnSequences: l === 0, kernelInitializer: 'zeros', recurrentInitializer: 'zeros',
    })));
    t.add(tf.layers.dense({ units: V, activation: 'softmax', kernelInitializer: 'zeros' }));
    t.setWeights(ours.getWeights().map((w) => tf.tensor(w.data, w.shape)));
    const x = Float32Array.from({ length: N * T * D }, () => rng.uniform(-1, 1));
    const y = Float32Array.from({ length: N * V }, (_, i) => (i % V === Math.floor(i / V) % V ? 1 : 0));
    const ref = cceOutputsAndGrads(t, x, [N, T, D], y, V);
    expectClose('mixed gates: predict vs tfjs', ours.predict({ shape: [N, T, D], data: x }).data, ref.out, OUT_TOL);
    ours.computeGradients({ shape: [N, T, D], data: x }, { shape: [N, V], data: y }).grads
      .forEach((g, k) => expectClose(`mixed gates: d loss/d ${g.name}`, g.data, ref.grads[k], GRAD_TOL, g.shape));
    // the two activations give different outputs, so the comparison can tell them apart
    const allSigmoid = sequential({ seed: 5, layers: [
      lstm({ units: 5, returnSequences: true, inputShape: [T, D], recurrentActivation: 'sigmoid' }),
      lstm({ units: 6, recurrentActivation: 'sigmoid' }), dense({ units: V, activation: 'softmax' }),
    ] });
    allSigmoid.setWeights(ours.getWeights());
    const d = allSigmoid.predict({ shape: [N, T, D], data: x }).data.map((v, i) => Math.abs(v - ref.out[i]));
    expect(Math.max(...d)).toBeGreaterThan(1e-4); // 50x OUT_TOL's atol
    ours.dispose();
    allSigmoid.dispose();
    t.dispose();
  });
});

describe('8. exchange with tfjs: stacked, sequence-output and stateful models both ways', () => {
  const cases = [
    { name: 'two stacked LSTMs (sigmoid over hardSigmoid), last step', T: 4, layers: () => [
      lstm({ units: 5, returnSequences: true, inputShape: [4, 2], recurrentActivation: 'sigmoid' }), lstm({ units: 3 }), dense({ units: 3, activation: 'softmax' })] },
    { name: 'sequence output through timeDistributed(dense linear)', T: 4, layers: () => [
      lstm({ units: 6, returnSequences: true, inputShape: [4, 2] }), timeDistributed(dense({ units: 2, activation: 'linear' }))] },
    { name: 'stateful stack, batch 2', T: 3, layers: () => [
      lstm({ units: 4, returnSequences: true, stateful: true, batchInputShape: [2, 3, 2] }), lstm({ units: 4, stateful: true }), dense({ units: 3, activation: 'softmax' })] },
  ];
  for (const k of cases) {
    it(`${k.name}: toTfjsLayers -> tf.loadLayersModel predicts as ours; fromTfjsLayers gives back the same model`, async () => {
      const rng = new Prng(41);
      const ours = sequential({ seed: 8, layers: k.layers() });
      const N = 2;
      const x = Float32Array.from({ length: N * k.T * 2 }, () => rng.uniform(-1, 1));
      const mine = ours.predict({ shape: [N, k.T, 2], data: x });
      ours.resetStates();
      const art = toTfjsLayers(ours);
      const t = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: art.modelTopology, weightSpecs: art.weightSpecs, weightData: art.weightData }));
      const theirs = tf.tidy(() => (t.predict(tf.tensor3d(x, [N, k.T, 2]), { batchSize: N }) as tf.Tensor).dataSync() as Float32Array);
      expectClose(`${k.name}: tfjs from our export`, theirs, mine.data, OUT_TOL);
      const back = fromTfjsLayers(art);
      expect(back.getWeights().map((w) => [w.name, w.shape])).toEqual(ours.getWeights().map((w) => [w.name, w.shape]));
      back.getWeights().forEach((w, i) => expect(Array.from(w.data)).toEqual(Array.from(ours.getWeights()[i].data)));
      expect([back.stateful, back.sequenceOutput, back.batchSize, back.units]).toEqual([ours.stateful, ours.sequenceOutput, ours.batchSize, ours.units]);
      expect(back.lstmLayers.map((l) => l.config.recurrentActivation)).toEqual(ours.lstmLayers.map((l) => l.config.recurrentActivation ?? 'hardSigmoid'));
      expect(Array.from(back.predict({ shape: [N, k.T, 2], data: x }).data)).toEqual(Array.from(mine.data));
      t.dispose();
      ours.dispose();
      back.dispose();
    });
  }
});

describe('9. masking in front of a stack (pre- and post-padded samples) vs tfjs', () => {
  // Keras/tfjs: the first LSTM carries its state over masked steps and the mask propagates, so the
  // second LSTM skips them too; lstm-wasm runs each sample's real steps only. Same outputs expected.
  for (const padding of ['pre', 'post'] as const) {
    it(`${padding}-padded: predictions and gradients of every weight`, () => {
      const rng = new Prng(padding === 'pre' ? 51 : 52);
      const N = 3, Tn = 5, Dn = 2, V = 3, lens = [5, 3, 1];
      const x = new Float32Array(N * Tn * Dn);
      lens.forEach((L, n) => {
        for (let t = 0; t < L; t++) for (let d = 0; d < Dn; d++) x[(n * Tn + (padding === 'pre' ? Tn - L + t : t)) * Dn + d] = rng.uniform(0.1, 1);
      });
      const y = Float32Array.from({ length: N * V }, (_, i) => (i % V === (Math.floor(i / V) + 1) % V ? 1 : 0));
      const ours = sequential({ seed: 6, layers: [
        masking({ maskValue: 0, inputShape: [Tn, Dn] }),
        lstm({ units: 5, returnSequences: true, recurrentActivation: 'sigmoid' }), lstm({ units: 4, recurrentActivation: 'sigmoid' }),
        dense({ units: V, activation: 'softmax' }),
      ] });
      ours.compile({ loss: 'categoricalCrossentropy' });
      const t = tf.sequential();
      t.add(tf.layers.masking({ maskValue: 0, inputShape: [Tn, Dn] }));
      [5, 4].forEach((units, l) => t.add(tf.layers.lstm({
        units, recurrentActivation: 'sigmoid', activation: 'tanh', useBias: true, unitForgetBias: true, returnSequences: l === 0,
        kernelInitializer: 'zeros', recurrentInitializer: 'zeros',
      })));
      t.add(tf.layers.dense({ units: V, activation: 'softmax', kernelInitializer: 'zeros' }));
      t.setWeights(ours.getWeights().map((w) => tf.tensor(w.data, w.shape)));
      const ref = cceOutputsAndGrads(t, x, [N, Tn, Dn], y, V);
      const xt = { shape: [N, Tn, Dn], data: x };
      expectClose(`${padding}: predict vs tfjs`, ours.predict(xt).data, ref.out, OUT_TOL);
      ours.computeGradients(xt, { shape: [N, V], data: y }).grads
        .forEach((g, k) => expectClose(`${padding}: d loss/d ${g.name}`, g.data, ref.grads[k], GRAD_TOL, g.shape));
      ours.dispose();
      t.dispose();
    });
  }
});

describe('10. clipnorm on a stack clips each of its weight tensors on its own (Keras 2)', () => {
  it('one sgd step with clipnorm equals θ − lr·g·c/max(‖g‖, c) per tensor, from computeGradients', async () => {
    const rng = new Prng(61);
    const N = 4, Tn = 3, Dn = 2, V = 3, c = 0.01, lr = 0.5; // gradient norms here: 0.0038 .. 0.21
    const x = { shape: [N, Tn, Dn], data: Float32Array.from({ length: N * Tn * Dn }, () => rng.uniform(-1, 1)) };
    const y = { shape: [N, V], data: Float32Array.from({ length: N * V }, (_, i) => (i % V === Math.floor(i / V) % V ? 1 : 0)) };
    const build = () => {
      const m = sequential({ seed: 9, layers: [lstm({ units: 4, returnSequences: true, inputShape: [Tn, Dn] }), lstm({ units: 5 }), dense({ units: V, activation: 'softmax' })] });
      m.compile({ loss: 'categoricalCrossentropy', optimizer: sgd({ learningRate: lr, clipnorm: c }) });
      return m;
    };
    const m = build();
    const before = m.getWeights();
    const { grads } = m.computeGradients(x, y);
    const norms = grads.map((g) => Math.sqrt(g.data.reduce((a, v) => a + v * v, 0)));
    expect(norms.filter((n) => n > c).length, 'most tensors get clipped').toBeGreaterThanOrEqual(6);
    expect(norms.some((n) => n < c), 'and at least one does not').toBe(true);
    await m.fit(x, y, { epochs: 1, batchSize: N, shuffle: false, verbose: 0 });
    m.getWeights().forEach((w, k) => {
      const scale = c / Math.max(norms[k], c);
      const want = before[k].data.map((v, i) => v - lr * grads[k].data[i] * scale);
      expectClose(`clipnorm step: ${w.name}`, w.data, want, { atol: 2e-7, rtol: 1e-5 });
    });
    m.dispose();
  });
});

describe('11. a sequence-output model with validationSplit', () => {
  it("val_loss is evaluate() on the held-out tail after the epoch (targets [N, T, V] split per sample)", async () => {
    const rng = new Prng(71);
    const N = 6, Tn = 4, Dn = 2, V = 3;
    const xs = Float32Array.from({ length: N * Tn * Dn }, () => rng.uniform(-1, 1));
    const ys = Float32Array.from({ length: N * Tn * V }, (_, i) => (i % V === Math.floor(i / V) % V ? 1 : 0));
    const m = sequential({ seed: 2, layers: [lstm({ units: 5, returnSequences: true, inputShape: [Tn, Dn] }), dense({ units: V, activation: 'softmax' })] });
    m.compile({ loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const h = await m.fit({ shape: [N, Tn, Dn], data: xs }, { shape: [N, Tn, V], data: ys }, { epochs: 1, batchSize: 2, validationSplit: 0.5, verbose: 0 });
    const tail = m.evaluate({ shape: [3, Tn, Dn], data: xs.subarray(3 * Tn * Dn) }, { shape: [3, Tn, V], data: ys.subarray(3 * Tn * V) });
    expect(h.history.val_loss[0]).toBe(tail[0]);
    expect(h.history.val_acc[0]).toBe(tail[1]);
    m.dispose();
  });
});
