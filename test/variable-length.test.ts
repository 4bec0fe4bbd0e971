// Variable-length input (issue 5): ragged nested arrays, explicit `lengths` with padded tensors
// (pre and post), and the `masking` layer, against these oracles, most independent first:
//  - hand-worked: a zero-length sample returns h = 0, so its output is softmax(dense bias)
//    computed here in float64, and its gradients are zero except d/d dense bias = p - y;
//  - a PADDED tfjs-layers twin (tfjs 4.22, 'cpu' backend, float32) whose first layer is
//    tf.layers.masking({ maskValue }), every LSTM option spelled out, our weights copied in with
//    setWeights: predictions, the mean loss and tf.variableGrads of all 5 weights.
//    tfjs's rnn() (layers/recurrent.js) carries h and c over a masked step as
//    out*m + prev*(1-m): exact for finite values, so it equals skipping the step;
//  - float64 Adam in Keras's form (SPEC.md §3) applied to the twin's per-batch gradients;
//  - for mini-batches, the float64 mean of our own single-sample gradients;
//  - the same model through three of our paths (masking layer on the padded tensor, ragged
//    nested input, padded tensor + lengths), which must run exactly the same steps.
// The mask value -1 is one the data never takes (uniform in (-0.9, 0.9)), so masking is exact;
// the padded tensor given with `lengths` is filled with 7.25, a garbage value that would change
// every output if a padded step were ever computed.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  adam, alphabetPatterns, ConfigError, dense, divide, lstm, masking, padSequences, ready, reshape, sequential, ShapeError, toCategorical, ValueError,
  type Sequential,
} from '../src/index.js';
import { expectClose, KerasAdam, Prng, randomOneHot } from './helpers/compare.js';
import { padRagged, randomWeights, softmax64, twin, twinRun, weightsHash, type Act, type Weights, useTfjsCpuAndWasm } from './helpers/twin.js';

type Kernels = 'simd' | 'scalar';
type PresetName = 'keras2' | 'keras3';
const KERNELS: Kernels[] = ['scalar', 'simd'];
const NAMES = ['lstm/kernel', 'lstm/recurrent_kernel', 'lstm/bias', 'dense/kernel', 'dense/bias'];
// Same budget as tfjs-twin.test.ts: float32 on both sides, SIMD tanh/exp approximations
// (<= ~1e-6) and different summation orders; a wrong skipped/computed step is >= 1e-3.
const PROB_TOL = { atol: 2e-6, rtol: 1e-5 };
const LOSS_TOL = { atol: 2e-6, rtol: 2e-6 };
const GRAD_TOL = { atol: 3e-6, rtol: 1e-4 };
const EXACT = { atol: 0, rtol: 0 };
const MASK = -1;
const GARBAGE = 7.25;

interface ModelOpts { T: number | null; D: number; H: number; V: number; act: Act; preset?: PresetName; kernels?: Kernels; maskValue?: number; seed?: number }

function ourModel(o: ModelOpts, weights?: Weights): Sequential {
  const layers = o.maskValue === undefined
    ? [lstm({ units: o.H, inputShape: [o.T, o.D], recurrentActivation: o.act }), dense({ units: o.V, activation: 'softmax' })]
    : [masking({ maskValue: o.maskValue, inputShape: [o.T, o.D] }), lstm({ units: o.H, recurrentActivation: o.act }), dense({ units: o.V, activation: 'softmax' })];
  const model = sequential({ seed: o.seed ?? 1, preset: o.preset ?? 'keras2', kernels: o.kernels ?? 'simd', layers });
  model.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam', metrics: ['accuracy'] });
  if (weights) model.setWeights(weights);
  return model;
}

/** Ragged samples: sample n has lens[n] steps of D features, uniform in (-0.9, 0.9). */
function raggedSeqs(rng: Prng, lens: number[], D: number): number[][][] {
  return lens.map((L) => Array.from({ length: L }, () => Array.from({ length: D }, () => Math.fround(rng.uniform(-0.9, 0.9)))));
}

/** Nested form of ragged samples: number[][] for one feature per step, number[][][] otherwise. */
const nested = (seqs: number[][][], D: number): number[][] | number[][][] => (D === 1 ? seqs.map((s) => s.map((step) => step[0])) : seqs);

const tensor3 = (data: Float32Array, N: number, T: number, D: number) => ({ shape: [N, T, D], data });
const adamLr = (learningRate: number) => adam({ learningRate });
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

useTfjsCpuAndWasm();

describe('ragged, lengths and masking paths vs a padded tfjs twin with tf.layers.masking', () => {
  // Each case has an all-masked (zero-length) sample and a full-length one; H runs the SIMD loop
  // zero times (3), once with a tail (5) and twice (8); D=1 uses the number[][] ragged form.
  const CASES = [
    { T: 6, D: 1, H: 3, V: 5, lens: [0, 6, 1, 3, 6, 2] },
    { T: 5, D: 3, H: 8, V: 5, lens: [5, 0, 2, 4, 1] },
    { T: 7, D: 2, H: 5, V: 4, lens: [3, 7, 0, 1, 6, 2, 5] },
  ];
  const SETTINGS: Array<{ act: Act; preset: PresetName }> = [
    { act: 'hardSigmoid', preset: 'keras2' },
    { act: 'sigmoid', preset: 'keras3' },
    { act: 'sigmoid', preset: 'keras2' },
  ];
  for (const s of SETTINGS) {
    for (const padding of ['pre', 'post'] as const) {
      it(`${s.act}, ${s.preset} loss, ${padding}-padded, kernels scalar and simd: predict, evaluate, computeGradients`, () => {
        CASES.forEach((c, k) => {
          const N = c.lens.length;
          const rng = new Prng(500 + 17 * k + (s.act === 'sigmoid' ? 3 : 0) + (s.preset === 'keras3' ? 5 : 0));
          const weights = randomWeights(rng, c.D, c.H, c.V);
          const seqs = raggedSeqs(rng, c.lens, c.D);
          const { data: y } = randomOneHot(rng, N, c.V);
          const xMasked = padRagged(seqs, c.T, c.D, padding, MASK);
          const xGarbage = padRagged(seqs, c.T, c.D, padding, GARBAGE);
          const m = twin(c, s.act, weights, MASK);
          const ref = twinRun(m, s.preset, xMasked, [N, c.T, c.D], y, c.V);
          m.dispose();
          // Sanity of the oracle: the all-masked sample's output is softmax(dense bias), as Keras.
          const empty = c.lens.indexOf(0);
          expectClose(`twin all-masked sample = softmax(dense bias)`, ref.probs.slice(empty * c.V, (empty + 1) * c.V), softmax64(weights[4].data), PROB_TOL);
          const yt = { shape: [N, c.V], data: y };
          for (const kernels of KERNELS) {
            const base = { ...c, act: s.act, preset: s.preset, kernels };
            const withMask = ourModel({ ...base, maskValue: MASK }, weights);
            const plain = ourModel(base, weights);
            const paths: Array<{ name: string; model: Sequential; x: unknown; seq: { lengths?: number[]; padding?: 'pre' | 'post' } }> = [
              { name: '(a) masking layer, padded tensor', model: withMask, x: tensor3(xMasked, N, c.T, c.D), seq: {} },
              { name: '(b) ragged nested input', model: plain, x: nested(seqs, c.D), seq: {} },
              // 'pre' is the default: given explicitly for evaluate only, to cover both.
              { name: '(c) padded tensor + lengths', model: plain, x: tensor3(xGarbage, N, c.T, c.D), seq: { lengths: c.lens, padding } },
            ];
            const outs: Array<{ probs: Float32Array; loss: number; grads: Float32Array[] }> = [];
            try {
              for (const p of paths) {
                const tag = `${s.act}/${s.preset}/${kernels} ${padding} T${c.T} D${c.D} H${c.H} ${p.name}`;
                const seqArgs = (what: 'predict' | 'evaluate' | 'grads') =>
                  p.seq.lengths && padding === 'pre' && what !== 'evaluate' ? { lengths: p.seq.lengths } : p.seq;
                const probs = p.model.predict(p.x as never, seqArgs('predict'));
                expect(probs.shape).toEqual([N, c.V]);
                expectClose(`${tag} predict`, probs.data, ref.probs, PROB_TOL, [N, c.V]);
                const [evLoss] = p.model.evaluate(p.x as never, yt, seqArgs('evaluate'));
                expectClose(`${tag} evaluate loss`, [evLoss], [ref.loss], LOSS_TOL);
                const { loss, grads } = p.model.computeGradients(p.x as never, yt, seqArgs('grads'));
                expectClose(`${tag} computeGradients loss`, [loss], [ref.loss], LOSS_TOL);
                expect(grads.map((g) => g.name)).toEqual(NAMES);
                grads.forEach((g, i) => expectClose(`${tag} d loss/d ${g.name}`, g.data, ref.grads[i], GRAD_TOL, g.shape));
                outs.push({ probs: probs.data, loss, grads: grads.map((g) => g.data) });
              }
              // The three paths run exactly the same steps with the same kernels: bit-identical.
              for (let j = 1; j < outs.length; j++) {
                const tag = `${s.act}/${s.preset}/${kernels} ${padding} T${c.T} ${paths[j].name} vs ${paths[0].name}`;
                expectClose(`${tag} predict`, outs[j].probs, outs[0].probs, EXACT, [N, c.V]);
                expectClose(`${tag} loss`, [outs[j].loss], [outs[0].loss], EXACT);
                outs[j].grads.forEach((g, i) => expectClose(`${tag} d loss/d ${NAMES[i]}`, g, outs[0].grads[i], EXACT));
              }
            } finally {
              withMask.dispose();
              plain.dispose();
            }
          }
        });
      });
    }
  }

  it('masking 0 with zeros in the middle of a sequence equals skipping those steps (and warns once: real data equals the mask value)', () => {
    // D=2: a step is masked only when BOTH features are 0; [0, 0.4] is real data and is kept.
    const T = 5, D = 2, H = 5, V = 4;
    const padded = [
      [[0, 0], [0.3, -0.2], [0, 0], [0, 0.4], [0.5, 0.1]], // masked at 0 (leading) and 2 (middle)
      [[0.1, 0.2], [0, 0], [0, 0], [0, 0], [0, 0]], // post-padding-like
      [[0, 0], [0, 0], [0, 0], [0, 0], [0, 0]], // all masked
      [[-0.7, 0.6], [0, 0], [0.2, 0], [0, 0], [0.8, -0.5]], // masked at 1 and 3, [0.2, 0] kept
    ];
    const skipped = [
      [[0.3, -0.2], [0, 0.4], [0.5, 0.1]],
      [[0.1, 0.2]],
      [],
      [[-0.7, 0.6], [0.2, 0], [0.8, -0.5]],
    ];
    const rng = new Prng(77);
    const weights = randomWeights(rng, D, H, V);
    const { data: y } = randomOneHot(rng, padded.length, V);
    const yt = { shape: [padded.length, V], data: y };
    const flat = Float32Array.from(padded.flat(2));
    for (const act of ['hardSigmoid', 'sigmoid'] as const) {
      const m = twin({ T, D, H, V }, act, weights, 0);
      const ref = twinRun(m, 'keras2', flat, [padded.length, T, D], y, V);
      m.dispose();
      for (const kernels of KERNELS) {
        const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
        const withMask = ourModel({ T, D, H, V, act, kernels, maskValue: 0 }, weights);
        const plain = ourModel({ T: null, D, H, V, act, kernels }, weights);
        try {
          const tag = `middle zeros ${act}/${kernels}`;
          const pm = withMask.predict(padded);
          const ps = plain.predict(skipped);
          expectClose(`${tag} masking(0) vs tfjs Masking(0)`, pm.data, ref.probs, PROB_TOL, [padded.length, V]);
          expectClose(`${tag} masking(0) vs ragged with the zero steps removed`, pm.data, ps.data, EXACT, [padded.length, V]);
          const gm = withMask.computeGradients(padded, yt);
          const gs = plain.computeGradients(skipped, yt);
          gm.grads.forEach((g, i) => {
            expectClose(`${tag} d loss/d ${g.name} masking(0) vs tfjs`, g.data, ref.grads[i], GRAD_TOL, g.shape);
            expectClose(`${tag} d loss/d ${g.name} masking(0) vs skipped`, g.data, gs.grads[i].data, EXACT, g.shape);
          });
          // Masked steps between unmasked ones are real data equal to the mask value: warned, once.
          expect(warn).toHaveBeenCalledTimes(1);
          expect(String(warn.mock.calls[0][0])).toMatch(/mask value 0/);
        } finally {
          warn.mockRestore();
          withMask.dispose();
          plain.dispose();
        }
      }
    }
  });
});

describe('mini-batches', () => {
  const D = 2, H = 5, V = 4;

  it('the gradient of a ragged batch is the mean of the single-sample gradients (lengths 0..6 in one batch)', () => {
    const rng = new Prng(31);
    const weights = randomWeights(rng, D, H, V);
    const lens = [3, 6, 1, 0, 5, 2, 6, 4];
    const seqs = raggedSeqs(rng, lens, D);
    const { data: y } = randomOneHot(rng, lens.length, V);
    for (const act of ['hardSigmoid', 'sigmoid'] as const) {
      for (const kernels of KERNELS) {
        const model = ourModel({ T: null, D, H, V, act, kernels }, weights);
        try {
          const batch = model.computeGradients(seqs, { shape: [lens.length, V], data: y });
          const sum = batch.grads.map((g) => new Float64Array(g.data.length));
          const losses: number[] = [];
          lens.forEach((_, n) => {
            const one = model.computeGradients([seqs[n]], { shape: [1, V], data: y.slice(n * V, (n + 1) * V) });
            losses.push(one.loss);
            one.grads.forEach((g, i) => g.data.forEach((v, j) => (sum[i][j] += v)));
          });
          const tag = `batch of ${lens.length} ragged ${act}/${kernels}`;
          expectClose(`${tag} loss vs mean of single losses`, [batch.loss], [mean(losses)], { atol: 1e-7, rtol: 1e-6 });
          batch.grads.forEach((g, i) =>
            expectClose(`${tag} d loss/d ${g.name} vs mean of single-sample gradients`, g.data, sum[i].map((v) => v / lens.length), { atol: 1e-8, rtol: 1e-5 }, g.shape));
        } finally {
          model.dispose();
        }
      }
    }
  });

  // N=37 ragged samples (lengths 0..6), shuffle false, 2 epochs, lr 0.01. Oracle: a float64 Adam
  // in Keras's form driven by the tfjs Masking twin's gradients (tf.variableGrads) on each batch
  // (consecutive slices, the last one short; samples -1-padded to T=6), at the reference's own
  // weights rounded to float32. Measured worst |diff| ~4e-7 after 74 steps (1/25 of the
  // tolerance). Also: per-batch callbacks (one batch per call into WASM) give bit-identical
  // weights to the chunked run, and the logs are the sample-weighted means of the pre-update
  // batch losses.
  for (const batchSize of [1, 3, 32]) {
    it(`fit with batchSize ${batchSize} (N=37, last batch ${37 % batchSize || batchSize}) equals float64 Keras Adam over the tfjs twin's gradients`, async () => {
      const N = 37, epochs = 2, lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
      const rng = new Prng(1000 + batchSize);
      const weights = randomWeights(rng, D, H, V);
      const lens = Array.from({ length: N }, (_, n) => (n === 5 ? 0 : n === 6 ? 6 : rng.int(7)));
      const seqs = raggedSeqs(rng, lens, D);
      const { data: y } = randomOneHot(rng, N, V);
      const opts = { T: null, D, H, V, act: 'sigmoid' as Act, kernels: 'simd' as Kernels };
      // Reference trajectory: gradients from the tfjs Masking twin on the -1-padded batch.
      const T = 6;
      const xPad = padRagged(seqs, T, D, 'pre', MASK);
      const tw = twin({ T, D, H, V }, opts.act, weights, MASK);
      const theta = weights.map((w) => Float64Array.from(w.data));
      const ref = new KerasAdam({ learningRate: lr, beta1: b1, beta2: b2, epsilon: eps }, theta.map((t) => t.length));
      const refEpochLoss: number[] = [];
      const refBatches: Array<{ size: number; loss: number }> = [];
      for (let e = 0; e < epochs; e++) {
        let lossSum = 0;
        for (let start = 0; start < N; start += batchSize) {
          const n = Math.min(batchSize, N - start);
          const ts = theta.map((t, k) => tf.tensor(Float32Array.from(t), weights[k].shape, 'float32'));
          tw.setWeights(ts);
          tf.dispose(ts);
          const { loss, grads } = twinRun(tw, 'keras2', xPad.slice(start * T * D, (start + n) * T * D), [n, T, D], y.slice(start * V, (start + n) * V), V);
          lossSum += loss * n;
          refBatches.push({ size: n, loss });
          ref.step(theta, grads);
        }
        refEpochLoss.push(lossSum / N);
      }
      tw.dispose();
      expect(ref.t).toBe(epochs * Math.ceil(N / batchSize));

      const yt = { shape: [N, V], data: y };
      const chunked = ourModel(opts, weights);
      const perBatch = ourModel(opts, weights);
      chunked.compile({ loss: 'categoricalCrossentropy', optimizer: adamLr(lr), metrics: ['accuracy'] });
      perBatch.compile({ loss: 'categoricalCrossentropy', optimizer: adamLr(lr), metrics: ['accuracy'] });
      try {
        const h1 = await chunked.fit(seqs, yt, { epochs, batchSize, shuffle: false, verbose: 0 });
        const seen: Array<{ batch: number; size: number; loss: number }> = [];
        const h2 = await perBatch.fit(seqs, yt, { epochs, batchSize, shuffle: false, verbose: 0, callbacks: { onBatchEnd: (batch, logs) => void seen.push({ batch, size: logs.size, loss: logs.loss }) } });
        const tag = `batchSize ${batchSize}`;
        chunked.getWeights().forEach((w, k) => {
          // Weights moved by many steps' worth and land where the float64 Keras form says.
          const moved = w.data.reduce((mx, val, i) => Math.max(mx, Math.abs(val - weights[k].data[i])), 0);
          expect(moved, `${w.name} did not move`).toBeGreaterThan(lr);
          expectClose(`${tag} ${w.name} after ${ref.t} Adam steps vs float64 Adam over tfjs gradients`, w.data, theta[k], { atol: 2e-6, rtol: 2e-5 }, w.shape);
        });
        perBatch.getWeights().forEach((w, k) => expectClose(`${tag} ${w.name}: per-batch callbacks vs chunked run`, w.data, chunked.getWeights()[k].data, EXACT, w.shape));
        expectClose(`${tag} epoch losses vs sample-weighted mean of reference batch losses`, h1.history.loss, refEpochLoss, { atol: 1e-6, rtol: 1e-5 });
        expect(h2.history.loss).toEqual(h1.history.loss);
        expect(seen.map((b) => b.size)).toEqual(refBatches.map((b) => b.size));
        expect(seen.map((b) => b.batch)).toEqual(refBatches.map((_, i) => i % Math.ceil(N / batchSize)));
        expectClose(`${tag} onBatchEnd losses vs reference batch losses`, seen.map((b) => b.loss), refBatches.map((b) => b.loss), { atol: 1e-6, rtol: 1e-5 });
      } finally {
        chunked.dispose();
        perBatch.dispose();
      }
    });
  }
});

describe('the mask-collision warning', () => {
  const { dataX, dataY } = alphabetPatterns({ maxLen: 5 });
  const V = 26;
  const y = toCategorical(dataY, V);

  function letters(offset: number, padding: 'pre' | 'post' = 'pre') {
    // The listing's preprocessing: pad (float32) to 5, reshape to [N, 5, 1], divide by 26.
    return divide(reshape(padSequences(dataX.map((s) => s.map((k) => k + offset)), { maxLen: 5, padding, dtype: 'float32' }), [dataX.length, 5, 1]), 26);
  }

  for (const padding of ['pre', 'post'] as const) {
    it(`fires once for the listing's ${padding}-padded tensor, where 'A' scales to 0 and maskValue is 0`, async () => {
      expect(dataX.length).toBe(114);
      const x = letters(0, padding);
      expect(x.padded?.lengths.length).toBe(114);
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      const model = ourModel({ T: 5, D: 1, H: 8, V, act: 'hardSigmoid', maskValue: 0 });
      try {
        model.predict(x);
        model.evaluate(x, y);
        await model.fit(x, y, { epochs: 1, batchSize: 32, verbose: 0 });
        model.computeGradients(x, y);
        expect(warn).toHaveBeenCalledTimes(1);
        // The 'A' patterns: A, AB, ABC, ABCD, ABCDE each hold one real 0 (leading, so only the
        // recorded true lengths tell it from padding).
        expect(String(warn.mock.calls[0][0])).toMatch(/5 real step\(s\).*mask value 0/);
      } finally {
        warn.mockRestore();
        model.dispose();
      }
    });
  }

  it('fires once for ragged input or explicit lengths whose real steps equal the mask value', () => {
    for (const how of ['ragged', 'lengths'] as const) {
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      const model = ourModel({ T: 4, D: 1, H: 3, V: 3, act: 'sigmoid', maskValue: 0 });
      try {
        // The leading 0 of sample 1 is real (inside its length), not padding.
        if (how === 'ragged') model.predict([[0.5, 0.2], [0, 0.3, 0.1]]);
        else model.predict({ shape: [2, 4, 1], data: Float32Array.from([0, 0, 0.5, 0.2, 0, 0, 0.3, 0.1]) }, { lengths: [2, 4] });
        expect(warn, how).toHaveBeenCalledTimes(1);
      } finally {
        warn.mockRestore();
        model.dispose();
      }
    }
  });

  it('does not fire for data without collisions (letters + 1, so no real 0), nor without a masking layer', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const masked = ourModel({ T: 5, D: 1, H: 8, V: 27, act: 'hardSigmoid', maskValue: 0 });
    const plain = ourModel({ T: 5, D: 1, H: 8, V, act: 'hardSigmoid' });
    try {
      const x1 = letters(1);
      masked.predict(x1);
      await masked.fit(x1, toCategorical(dataY.map((k) => k + 1), 27), { epochs: 1, verbose: 0 });
      // Ragged and padded-tensor inputs whose real steps are never 0, through a masking model.
      masked.predict([[0.5], [0.1, 0.2, 0.3]]);
      masked.predict({ shape: [2, 5, 1], data: Float32Array.from([0, 0, 0, 0.5, 0.1, 0.2, 0.3, 0, 0, 0]) });
      // The listing's tensor (with its real zeros) through a model without masking.
      plain.predict(letters(0));
      plain.predict(letters(0), { lengths: Array.from(letters(0).padded!.lengths) });
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
      masked.dispose();
      plain.dispose();
    }
  });
});

describe('bad input: typed errors naming the index, and the model unchanged', () => {
  const D = 2, H = 3, V = 3;

  it('rejects bad lengths, lengths with ragged input, ragged feature sizes and too-long samples; weights keep their hash', async () => {
    const rng = new Prng(9);
    const model = ourModel({ T: 4, D, H, V, act: 'sigmoid' }, randomWeights(rng, D, H, V));
    const before = weightsHash(model.getWeights());
    const x = { shape: [3, 4, D], data: rng.floats(3 * 4 * D, -1, 1) };
    const y = { shape: [3, V], data: Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]) };
    const cases: Array<{ what: string; x: unknown; y?: unknown; seq?: object; err: typeof ShapeError | typeof ValueError | typeof ConfigError; msg: RegExp }> = [
      { what: 'a length longer than the padded tensor', x, seq: { lengths: [4, 5, 1] }, err: ValueError, msg: /lengths\[1\] is 5.*\[0, 4\]/ },
      { what: 'a negative length', x, seq: { lengths: [1, 2, -1] }, err: ValueError, msg: /lengths\[2\] is -1/ },
      { what: 'a non-integer length', x, seq: { lengths: [2.5, 2, 1] }, err: ValueError, msg: /lengths\[0\] is 2\.5/ },
      { what: 'a NaN length', x, seq: { lengths: [2, NaN, 1] }, err: ValueError, msg: /lengths\[1\]/ },
      { what: 'too few lengths', x, seq: { lengths: [2, 2] }, err: ShapeError, msg: /lengths has 2 entries but x has 3 samples/ },
      { what: 'too many lengths', x, seq: { lengths: [2, 2, 2, 2] }, err: ShapeError, msg: /lengths has 4 entries but x has 3 samples/ },
      { what: "an unknown padding side", x, seq: { lengths: [1, 2, 3], padding: 'left' }, err: ConfigError, msg: /padding must be one of 'pre', 'post', received 'left'/ },
      { what: 'lengths with ragged input', x: [[[1, 2]], [[1, 2], [3, 4]], [[5, 6]]], seq: { lengths: [1, 2, 1] }, err: ShapeError, msg: /lengths go with padded tensors/ },
      { what: 'ragged feature sizes', x: [[[1, 2], [3, 4]], [[1, 2, 3]], [[5, 6]]], err: ShapeError, msg: /x\[1\]\[0\] has 3 features, the model expects 2/ },
      { what: 'ragged feature sizes later in a sample', x: [[[1, 2]], [[1, 2], [3, 4], [5]]], y: { shape: [2, V], data: new Float32Array(2 * V) }, err: ShapeError, msg: /x\[1\]\[2\] has 1 features/ },
      { what: 'a ragged sample longer than inputShape', x: [[[1, 2]], [[1, 2], [3, 4]], [[1, 2], [3, 4], [5, 6], [7, 8], [9, 0], [1, 1]]], err: ShapeError, msg: /x\[2\] has 6 steps, the model expects at most 4/ },
      { what: 'a non-finite ragged value', x: [[[1, 2]], [[1, NaN]], [[5, 6]]], err: ValueError, msg: /x\[1\]\[0\]\[1\]/ },
    ];
    for (const c of cases) {
      const yy = (c.y ?? y) as never;
      const calls: Array<[string, () => unknown]> = [
        ['predict', () => model.predict(c.x as never, c.seq as never)],
        ['evaluate', () => model.evaluate(c.x as never, yy, c.seq as never)],
        ['computeGradients', () => model.computeGradients(c.x as never, yy, c.seq as never)],
      ];
      for (const [fn, call] of calls) {
        let caught: unknown;
        try { call(); } catch (e) { caught = e; }
        expect(caught, `${c.what}: ${fn} did not throw`).toBeInstanceOf(c.err);
        expect((caught as Error).message, `${c.what}: ${fn}`).toMatch(c.msg);
        expect((caught as Error).message, `${c.what}: ${fn} names the function`).toContain(`${fn}()`);
      }
      await expect(model.fit(c.x as never, yy, { epochs: 1, verbose: 0, ...(c.seq ?? {}) }), `${c.what}: fit`).rejects.toThrow(c.err);
      await expect(model.fit(c.x as never, yy, { epochs: 1, verbose: 0, ...(c.seq ?? {}) }), `${c.what}: fit`).rejects.toThrow(c.msg);
      // The same bad data as validationData is rejected before training starts.
      await expect(model.fit(x, y, { epochs: 1, verbose: 0, validationData: c.seq ? [c.x, yy, c.seq] : [c.x, yy] } as never), `${c.what}: validationData`)
        .rejects.toThrow(c.msg);
      expect(weightsHash(model.getWeights()), `${c.what} changed the weights`).toBe(before);
    }
    // Still usable: a good call after all the rejected ones.
    expect(model.predict(x, { lengths: [4, 0, 2] }).data.every(Number.isFinite)).toBe(true);
    model.dispose();
  });

  it('a zero-length sample returns the initial state: output softmax(dense bias), gradients zero except dense bias (p - y)', () => {
    const rng = new Prng(10);
    const weights = randomWeights(rng, D, H, V);
    const expected = softmax64(weights[4].data); // h = 0, so logits = dense bias
    const y1 = Float32Array.from([0, 1, 0]);
    for (const kernels of KERNELS) {
      const plain = ourModel({ T: 4, D, H, V, act: 'hardSigmoid', kernels }, weights);
      const masked = ourModel({ T: 4, D, H, V, act: 'hardSigmoid', kernels, maskValue: MASK }, weights);
      try {
        const inputs: Array<[string, Sequential, unknown, object]> = [
          ['ragged [[]]', plain, [[]], {}],
          ['ragged [[], [[0.1, 0.2]]] sample 0', plain, [[], [[0.1, 0.2]]], {}],
          ['padded tensor, lengths [0] (pre)', plain, { shape: [1, 4, D], data: new Float32Array(4 * D).fill(GARBAGE) }, { lengths: [0] }],
          ['padded tensor, lengths [0] (post)', plain, { shape: [1, 4, D], data: new Float32Array(4 * D).fill(GARBAGE) }, { lengths: [0], padding: 'post' }],
          ['masking, all-masked sample', masked, { shape: [1, 4, D], data: new Float32Array(4 * D).fill(MASK) }, {}],
        ];
        for (const [name, model, x, seq] of inputs) {
          const tag = `${kernels} ${name}`;
          const p = model.predict(x as never, seq);
          expectClose(`${tag} predict vs softmax(dense bias) in float64`, p.data.slice(0, V), expected, { atol: 1e-7, rtol: 1e-6 });
          const N = p.shape[0];
          const yy = new Float32Array(N * V);
          yy.set(y1);
          if (N > 1) yy[V] = 1;
          if (N === 1) {
            const { loss, grads } = model.computeGradients(x as never, { shape: [1, V], data: yy }, seq);
            expectClose(`${tag} loss = -log softmax(bias)[1]`, [loss], [-Math.log(expected[1])], { atol: 1e-6, rtol: 1e-6 });
            grads.forEach((g, i) => {
              const want = i === 4 ? expected.map((pv, j) => pv - y1[j]) : new Array(g.data.length).fill(0);
              expectClose(`${tag} d loss/d ${g.name}`, g.data, want, { atol: 1e-7, rtol: 1e-6 }, g.shape);
            });
          }
        }
        // A batch of only zero-length samples.
        const all = plain.predict([[], [], []]);
        expect(all.shape).toEqual([3, V]);
        for (let n = 0; n < 3; n++) expectClose(`${kernels} all-empty batch, sample ${n}`, all.data.slice(n * V, (n + 1) * V), expected, { atol: 1e-7, rtol: 1e-6 });
      } finally {
        plain.dispose();
        masked.dispose();
      }
    }
  });
});

describe('inputShape [null, D] accepts any length across calls', () => {
  it('trains on lengths <= 3, then predicts, evaluates and differentiates length-12 and length-300 sequences as the tfjs twin does', async () => {
    const D = 2, H = 5, V = 4;
    for (const kernels of KERNELS) {
      for (const withMask of [false, true]) {
        const rng = new Prng(kernels === 'simd' ? 60 : 61);
        const model = ourModel({ T: null, D, H, V, act: 'sigmoid', kernels, ...(withMask ? { maskValue: MASK } : {}) }, randomWeights(rng, D, H, V));
        const lens = Array.from({ length: 20 }, () => 1 + rng.int(3));
        const seqs = raggedSeqs(rng, lens, D);
        const { data: y } = randomOneHot(rng, 20, V);
        const tag = `${kernels}${withMask ? ' masking' : ''}`;
        try {
          if (withMask) {
            // A masking model takes padded tensors of any T: train on T=3 tensors.
            await model.fit({ shape: [20, 3, D], data: padRagged(seqs, 3, D, 'pre', MASK) }, { shape: [20, V], data: y }, { epochs: 2, batchSize: 4, verbose: 0 });
          } else {
            await model.fit(seqs, { shape: [20, V], data: y }, { epochs: 2, batchSize: 4, verbose: 0 });
          }
          const weights = model.getWeights().map((w) => ({ shape: [...w.shape], data: w.data }));
          for (const T of [12, 300, 2]) {
            const long = raggedSeqs(rng, [T, T], D);
            const flat = Float32Array.from(long.flat(2));
            const yl = Float32Array.from([0, 0, 1, 0, 1, 0, 0, 0]);
            const m = twin({ T, D, H, V }, 'sigmoid', weights);
            const ref = twinRun(m, 'keras2', flat, [2, T, D], yl, V);
            m.dispose();
            const xl = withMask ? { shape: [2, T, D], data: flat } : long;
            const p = model.predict(xl as never);
            expect(p.data.every(Number.isFinite), `${tag} T=${T} finite`).toBe(true);
            expectClose(`${tag} T=${T} predict vs tfjs twin`, p.data, ref.probs, PROB_TOL, [2, V]);
            expectClose(`${tag} T=${T} evaluate vs tfjs twin`, [model.evaluate(xl as never, { shape: [2, V], data: yl })[0]], [ref.loss], { atol: 1e-5, rtol: 1e-5 });
            const { grads } = model.computeGradients(xl as never, { shape: [2, V], data: yl });
            grads.forEach((g, i) => expectClose(`${tag} T=${T} d loss/d ${g.name} vs tfjs twin`, g.data, ref.grads[i], GRAD_TOL, g.shape));
          }
        } finally {
          model.dispose();
        }
      }
    }
  });
});

describe('nested samples shorter than a fixed inputShape', () => {
  it('run at their own length, equal-length or not', async () => {
    await ready();
    const m = sequential({ seed: 2, layers: [lstm({ units: 3, inputShape: [5, 2] }), dense({ units: 4, activation: 'softmax' })] });
    const one = m.predict([[[1, 2], [3, 4]]]).data;
    const two = m.predict([[[1, 2], [3, 4]], [[1, 2]]]).data;
    const padded = m.predict({ shape: [1, 5, 2], data: new Float32Array([9, 9, 9, 9, 9, 9, 1, 2, 3, 4]) }, { lengths: [2] }).data;
    expect(Array.from(one)).toEqual(Array.from(two.slice(0, 4)));
    expect(Array.from(one)).toEqual(Array.from(padded));
  });
});
