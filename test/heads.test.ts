// dense activations (linear, sigmoid, tanh, relu, softmax) with the losses
// sparseCategoricalCrossentropy, binaryCrossentropy, meanSquaredError, meanAbsoluteError
// (categoricalCrossentropy + softmax: test/tfjs-twin.test.ts). Oracles:
//  - a tfjs-layers twin (tfjs 4.22 'cpu', every option spelled out, weights copied): predictions,
//    the mean loss and all five gradients (tf.variableGrads) with tfjs's own losses, which are
//    Keras 2's forms: tf.metrics.binaryCrossentropy (clip p to [1e-7, 1-1e-7], mean over units),
//    tf.metrics.meanSquaredError / meanAbsoluteError (mean over units), and for the sparse loss
//    tf.metrics.categoricalCrossentropy of tf.oneHot(labels) (keras2; keras3: -log p, no clip);
//  - central finite differences of a float64 JS forward of the whole model, written here;
//  - float64 metrics (accuracy resolved as Keras 2, mae, mse) from our own predictions.
// Plus refusals (sparse labels out of range, mismatched loss and head or targets) and save/load.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  adam, dense, lstm, sequential, loadModel, toTfjsLayers, ConfigError, ShapeError, ValueError,
  type DenseActivation, type LossName, type MetricName,
} from '../src/index.js';
import { expectClose, Prng } from './helpers/compare.js';
import { randomWeights, twin, useTfjsCpuAndWasm, type Weights } from './helpers/twin.js';

type PresetName = 'keras2' | 'keras3';
const KERNELS = ['scalar', 'simd'] as const;
const NAMES = ['lstm/kernel', 'lstm/recurrent_kernel', 'lstm/bias', 'dense/kernel', 'dense/bias'];

useTfjsCpuAndWasm();

interface Case { act: DenseActivation; loss: LossName; V: number }
const CASES: Case[] = [
  { act: 'softmax', loss: 'sparseCategoricalCrossentropy', V: 5 },
  { act: 'softmax', loss: 'sparse_categorical_crossentropy', V: 3 },
  { act: 'sigmoid', loss: 'binaryCrossentropy', V: 1 },
  { act: 'sigmoid', loss: 'binaryCrossentropy', V: 5 },
  { act: 'linear', loss: 'meanSquaredError', V: 1 },
  { act: 'linear', loss: 'mse', V: 26 },
  { act: 'tanh', loss: 'meanAbsoluteError', V: 3 },
  { act: 'relu', loss: 'meanSquaredError', V: 5 },
  { act: 'sigmoid', loss: 'mae', V: 3 },
  { act: 'softmax', loss: 'meanSquaredError', V: 5 },
  { act: 'relu', loss: 'mean_absolute_error', V: 1 },
];
const T = 4;
const D = 2;
const H = 5;
const N = 6;

const kind = (loss: LossName) =>
  /sparse/i.test(loss) ? 'sparse' : /binary/i.test(loss) ? 'bce' : /squared|mse/i.test(loss) ? 'mse' : 'mae';

/** Inputs, weights and targets for a case: labels for the sparse loss, 0/1 for BCE, reals else. */
function inputs(c: Case, seed: number) {
  const rng = new Prng(seed);
  const weights = randomWeights(rng, D, H, c.V);
  const x = rng.floats(N * T * D, -1, 1);
  const labels = Array.from({ length: N }, () => rng.int(c.V));
  const k = kind(c.loss);
  const rows = k === 'bce' ? Float32Array.from({ length: N * c.V }, () => rng.int(2))
    : k === 'sparse' ? Float32Array.from({ length: N * c.V }, (_, i) => (labels[Math.floor(i / c.V)] === i % c.V ? 1 : 0))
      : rng.floats(N * c.V, -0.5, 1);
  return { weights, x, labels, rows, y: k === 'sparse' ? labels : { shape: [N, c.V], data: rows } };
}

function ours(c: Case, preset: PresetName, kernels: 'simd' | 'scalar', weights: Weights, metrics: MetricName[] = []) {
  const m = sequential({ seed: 1, preset, kernels, layers: [
    lstm({ units: H, inputShape: [T, D], recurrentActivation: 'sigmoid' }),
    dense({ units: c.V, activation: c.act }),
  ] });
  m.compile({ loss: c.loss, optimizer: adam(), metrics });
  m.setWeights(weights);
  return m;
}

/** The twin's predictions, mean loss and gradients with tfjs's losses. */
function twinRun(c: Case, preset: PresetName, weights: Weights, x: Float32Array, rows: Float32Array) {
  const m = twin({ T, D, H, V: c.V }, 'sigmoid', weights, undefined, c.act as never);
  const out = tf.tidy(() => {
    const xT = tf.tensor3d(x, [N, T, D]);
    const yT = tf.tensor2d(rows, [N, c.V]);
    const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
    const lossOf = (p: tf.Tensor): tf.Scalar => {
      const k = kind(c.loss);
      if (k === 'sparse') return (preset === 'keras2' ? tf.mean(tf.metrics.categoricalCrossentropy(yT, p)) : tf.mean(tf.neg(tf.sum(tf.mul(yT, tf.log(p)), -1)))) as tf.Scalar;
      if (k === 'bce') return tf.mean(tf.metrics.binaryCrossentropy(yT, p)) as tf.Scalar;
      if (k === 'mse') return tf.mean(tf.metrics.meanSquaredError(yT, p)) as tf.Scalar;
      return tf.mean(tf.metrics.meanAbsoluteError(yT, p)) as tf.Scalar;
    };
    const probs = Float32Array.from((m.predict(xT) as tf.Tensor).dataSync());
    const { value, grads } = tf.variableGrads(() => lossOf(m.apply(xT, { training: true }) as tf.Tensor), vars);
    return { probs, loss: value.dataSync()[0], grads: vars.map((v) => Float32Array.from(grads[v.name].dataSync())) };
  });
  m.dispose();
  return out;
}

describe('heads and losses against the tfjs twin', () => {
  for (const c of CASES) {
    for (const preset of ['keras2', 'keras3'] as const) {
      it(`dense(${c.V}, ${c.act}) + ${c.loss}, ${preset}: predictions, loss and gradients (scalar and simd)`, () => {
        const { weights, x, rows, y } = inputs(c, 40 + c.V + CASES.indexOf(c));
        const ref = twinRun(c, preset, weights, x, rows);
        for (const kernels of KERNELS) {
          const m = ours(c, preset, kernels, weights);
          try {
            const X = { shape: [N, T, D], data: x };
            expectClose(`predict ${kernels}`, m.predict(X).data, ref.probs, { atol: 2e-6, rtol: 1e-5 }, [N, c.V]);
            const { loss, grads } = m.computeGradients(X, y);
            expectClose(`loss ${kernels}`, [loss], [ref.loss], { atol: 2e-6, rtol: 2e-6 });
            expectClose(`evaluate ${kernels}`, m.evaluate(X, y), [ref.loss], { atol: 2e-6, rtol: 2e-6 });
            grads.forEach((g, i) => expectClose(`${NAMES[i]} gradient ${kernels}`, g.data, ref.grads[i], { atol: 3e-6, rtol: 1e-4 }, g.shape));
          } finally {
            m.dispose();
          }
        }
      });
    }
  }
});

// ---- float64 forward for finite differences ----
const sig = (z: number) => 1 / (1 + Math.exp(-z));
function forward64(w: Float64Array[], x: Float32Array, c: Case, labels: number[], rows: Float32Array, preset: PresetName): number {
  const [W, U, b, K, bd] = w;
  const { V } = c;
  let total = 0;
  for (let n = 0; n < N; n++) {
    let h = new Float64Array(H);
    let cs = new Float64Array(H);
    for (let t = 0; t < T; t++) {
      const z = new Float64Array(4 * H);
      for (let j = 0; j < 4 * H; j++) {
        let s = b[j];
        for (let dd = 0; dd < D; dd++) s += x[(n * T + t) * D + dd] * W[dd * 4 * H + j];
        for (let u = 0; u < H; u++) s += h[u] * U[u * 4 * H + j];
        z[j] = s;
      }
      const hn = new Float64Array(H);
      const cn = new Float64Array(H);
      for (let u = 0; u < H; u++) {
        cn[u] = sig(z[H + u]) * cs[u] + sig(z[u]) * Math.tanh(z[2 * H + u]);
        hn[u] = sig(z[3 * H + u]) * Math.tanh(cn[u]);
      }
      h = hn;
      cs = cn;
    }
    const zl = Array.from({ length: V }, (_, v) => bd[v] + h.reduce((s, hu, u) => s + hu * K[u * V + v], 0));
    let p: number[];
    if (c.act === 'softmax') {
      const mx = Math.max(...zl);
      const e = zl.map((q) => Math.exp(q - mx));
      const sum = e.reduce((a, q) => a + q, 0);
      p = e.map((q) => q / sum);
    } else p = zl.map((q) => (c.act === 'sigmoid' ? sig(q) : c.act === 'tanh' ? Math.tanh(q) : c.act === 'relu' ? Math.max(0, q) : q));
    const yr = Array.from(rows.subarray(n * V, (n + 1) * V));
    const k = kind(c.loss);
    if (k === 'sparse') total += -Math.log(preset === 'keras2' ? Math.min(1 - 1e-7, Math.max(1e-7, p[labels[n]])) : p[labels[n]]);
    else if (k === 'bce') total += p.reduce((s, q, v) => { const qc = Math.min(1 - 1e-7, Math.max(1e-7, q)); return s - (yr[v] * Math.log(qc) + (1 - yr[v]) * Math.log(1 - qc)); }, 0) / V;
    else if (k === 'mse') total += p.reduce((s, q, v) => s + (q - yr[v]) ** 2, 0) / V;
    else total += p.reduce((s, q, v) => s + Math.abs(q - yr[v]), 0) / V;
  }
  return total / N;
}

describe('gradients against central finite differences of a float64 forward', () => {
  for (const c of CASES) {
    it(`dense(${c.V}, ${c.act}) + ${c.loss} (keras2 and keras3)`, () => {
      for (const preset of ['keras2', 'keras3'] as const) {
        const { weights, x, labels, rows, y } = inputs(c, 90 + CASES.indexOf(c));
        const w64 = weights.map((w) => Float64Array.from(w.data));
        const m = ours(c, preset, 'scalar', weights);
        try {
          const { loss, grads } = m.computeGradients({ shape: [N, T, D], data: x }, y);
          expectClose('float64 forward = our loss', [forward64(w64, x, c, labels, rows, preset)], [loss], { atol: 1e-6, rtol: 1e-6 });
          const h = 1e-6;
          let checked = 0;
          grads.forEach((g, i) => {
            // every element of the small tensors, a spread of the larger ones
            const step = Math.max(1, Math.floor(g.data.length / 12));
            for (let j = 0; j < g.data.length; j += step) {
              const wp = w64.map((a) => a.slice());
              wp[i][j] += h;
              const up = forward64(wp, x, c, labels, rows, preset);
              wp[i][j] -= 2 * h;
              const down = forward64(wp, x, c, labels, rows, preset);
              const fd = (up - down) / (2 * h);
              // MAE and relu have kinks; with these inputs no element sits within h of one
              expectClose(`${preset} ${NAMES[i]}[${j}]`, [g.data[j]], [fd], { atol: 5e-6, rtol: 1e-3 });
              checked++;
            }
          });
          expect(checked).toBeGreaterThan(20);
        } finally {
          m.dispose();
        }
      }
    });
  }
});

describe('metrics as Keras resolves them', () => {
  const cases: Array<[Case, string]> = [
    [{ act: 'sigmoid', loss: 'binaryCrossentropy', V: 3 }, 'binary: mean over units of [p > 0.5] == y'],
    [{ act: 'linear', loss: 'mse', V: 1 }, 'binary: one output unit'],
    [{ act: 'softmax', loss: 'sparseCategoricalCrossentropy', V: 5 }, 'sparse categorical: argmax p == label'],
    [{ act: 'softmax', loss: 'mae', V: 5 }, 'categorical: argmax p == argmax y'],
  ];
  for (const [c, what] of cases) {
    it(`${c.loss} with dense(${c.V}, ${c.act}): 'accuracy' is ${what}; mae/mse as means over units (keys per preset)`, async () => {
      const { weights, x, labels, rows, y } = inputs(c, 7 + c.V);
      const sparse = kind(c.loss) === 'sparse';
      const metrics: MetricName[] = sparse ? ['accuracy'] : ['accuracy', 'mae', 'mse'];
      for (const preset of ['keras2', 'keras3'] as const) {
        const m = ours(c, preset, 'simd', weights, metrics);
        try {
          const X = { shape: [N, T, D], data: x };
          const p = m.predict(X).data;
          let acc = 0;
          let mae = 0;
          let mse = 0;
          for (let n = 0; n < N; n++) {
            const pr = Array.from(p.subarray(n * c.V, (n + 1) * c.V));
            const yr = Array.from(rows.subarray(n * c.V, (n + 1) * c.V));
            const arg = (a: number[]) => a.indexOf(Math.max(...a));
            if (kind(c.loss) === 'bce' || c.V === 1) acc += pr.filter((q, v) => (q > 0.5 ? 1 : 0) === yr[v]).length / c.V;
            else acc += sparse ? Number(arg(pr) === labels[n]) : Number(arg(pr) === arg(yr));
            mae += pr.reduce((s, q, v) => s + Math.abs(q - yr[v]), 0) / c.V;
            mse += pr.reduce((s, q, v) => s + (q - yr[v]) ** 2, 0) / c.V;
          }
          const ev = m.evaluate(X, y);
          expect(ev.length).toBe(1 + metrics.length);
          expectClose('accuracy', [ev[1]], [acc / N], { atol: 1e-12, rtol: 0 });
          if (!sparse) expectClose('mae, mse', ev.slice(2), [mae / N, mse / N], { atol: 1e-7, rtol: 1e-6 });
          const h = await m.fit(X, y, { epochs: 1, batchSize: 3, verbose: 0, validationData: [X, y] });
          const keys = preset === 'keras2' ? ['acc', 'mean_absolute_error', 'mean_squared_error'] : ['accuracy', 'mae', 'mse'];
          const want = ['loss', ...keys.slice(0, metrics.length)];
          expect(Object.keys(h.history).sort()).toEqual([...want, ...want.map((k) => `val_${k}`)].sort());
        } finally {
          m.dispose();
        }
      }
    });
  }
});

describe('refusals', () => {
  const make = (act: DenseActivation, V = 3) => sequential({ seed: 1, layers: [lstm({ units: 2, inputShape: [T, D] }), dense({ units: V, activation: act })] });
  const X = { shape: [2, T, D], data: new Float32Array(2 * T * D) };

  it('sparse labels out of range, negative or not integers: ValueError naming the index and value', async () => {
    const m = make('softmax');
    try {
      m.compile({ loss: 'sparseCategoricalCrossentropy' });
      expect(() => m.evaluate(X, [0, 3])).toThrow(ValueError);
      expect(() => m.evaluate(X, [0, 3])).toThrow(/y\[1\] is 3; labels must be integers in \[0, 2\] \(the last layer has 3 units\)/);
      expect(() => m.evaluate(X, Int32Array.from([-1, 0]))).toThrow(/y\[0\] is -1/);
      expect(() => m.evaluate(X, [0, 1.5])).toThrow(/y\[1\] is 1.5/);
      expect(() => m.evaluate(X, { shape: [2], data: new Float32Array([2, 7]) })).toThrow(/y\[1\] is 7/);
      await expect(m.fit(X, [0, 9], { verbose: 0 })).rejects.toThrow(/y\[1\] is 9/);
      expect(() => m.evaluate(X, [0])).toThrow(/x has 2 samples but y has 1 labels/);
      // accepted: number[], Int32Array, tensors [N] and [N, 1]
      const ref = m.evaluate(X, [2, 0]);
      expect(m.evaluate(X, Int32Array.from([2, 0]))).toEqual(ref);
      expect(m.evaluate(X, { shape: [2], data: Int32Array.from([2, 0]) })).toEqual(ref);
      expect(m.evaluate(X, { shape: [2, 1], data: new Float32Array([2, 0]) })).toEqual(ref);
      expect(m.evaluate(X, [[2], [0]])).toEqual(ref);
    } finally {
      m.dispose();
    }
  });

  it('the sparse loss with one-hot targets, and one-hot losses with labels: ShapeError', () => {
    const m = make('softmax');
    try {
      m.compile({ loss: 'sparseCategoricalCrossentropy' });
      expect(() => m.evaluate(X, [[1, 0, 0], [0, 1, 0]])).toThrow(ShapeError);
      expect(() => m.evaluate(X, [[1, 0, 0], [0, 1, 0]])).toThrow(/takes integer labels of shape \[2\], received y of shape \[2, 3\] \(one-hot rows: use categoricalCrossentropy, or pass the labels\)/);
      m.compile({ loss: 'categoricalCrossentropy' });
      expect(() => m.evaluate(X, [1, 2] as never)).toThrow(ShapeError);
    } finally {
      m.dispose();
    }
  });

  it('mismatched loss and head: ConfigError, and the model keeps its previous compile', () => {
    const cases: Array<[DenseActivation, LossName, RegExp]> = [
      ['sigmoid', 'categoricalCrossentropy', /loss 'categoricalCrossentropy' needs dense activation 'softmax' \(it takes probabilities\), but the last layer has 'sigmoid'/],
      ['linear', 'sparseCategoricalCrossentropy', /needs dense activation 'softmax'/],
      ['softmax', 'binaryCrossentropy', /loss 'binaryCrossentropy' needs dense activation 'sigmoid'.*has 'softmax'; for one-of-V classes use categoricalCrossentropy/],
      ['linear', 'binary_crossentropy', /needs dense activation 'sigmoid'/],
    ];
    for (const [act, loss, msg] of cases) {
      const m = make(act);
      try {
        expect(() => m.compile({ loss })).toThrow(ConfigError);
        expect(() => m.compile({ loss })).toThrow(msg);
        expect(m.compiled).toBe(null);
      } finally {
        m.dispose();
      }
    }
    const m = make('softmax');
    try {
      expect(() => m.compile({ loss: 'sparseCategoricalCrossentropy', metrics: ['mae'] })).toThrow(/metric 'mae' compares the outputs with one-hot targets/);
      expect(() => m.compile({ loss: 'hinge' as never })).toThrow(ConfigError);
      expect(() => m.compile({ loss: 'mse', metrics: ['auc' as never] })).toThrow(ConfigError);
      expect(() => dense({ units: 2, activation: 'elu' as never })).toThrow(/activation must be one of 'softmax', 'linear', 'sigmoid', 'tanh', 'relu'/);
    } finally {
      m.dispose();
    }
  });
});

describe('save, load and tfjs export with the new heads', () => {
  for (const c of [{ act: 'sigmoid', loss: 'binaryCrossentropy', V: 2 }, { act: 'softmax', loss: 'sparseCategoricalCrossentropy', V: 3 }, { act: 'relu', loss: 'mae', V: 1 }] as Case[]) {
    it(`dense(${c.V}, ${c.act}) + ${c.loss}: loadModel restores the head, loss and metrics; training resumes bit for bit`, async () => {
      const { weights, x, y } = inputs(c, 5);
      const X = { shape: [N, T, D], data: x };
      const metrics: MetricName[] = kind(c.loss) === 'sparse' ? ['accuracy'] : ['acc', 'mse'];
      const a = ours(c, 'keras3', 'simd', weights, metrics);
      const b = ours(c, 'keras3', 'simd', weights, metrics);
      await a.fit(X, y, { epochs: 2, batchSize: 4, shuffle: false, verbose: 0 });
      await b.fit(X, y, { epochs: 2, batchSize: 4, shuffle: false, verbose: 0 });
      const l = loadModel(a.save());
      try {
        expect(l.compiled!.args.loss).toBe(c.loss);
        expect(l.compiled!.args.metrics).toEqual(metrics);
        expect(l.denseLayer.config.activation).toBe(c.act);
        expect(l.predict(X).data).toEqual(a.predict(X).data);
        const hb = await b.fit(X, y, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
        const hl = await l.fit(X, y, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
        expect(hl.history).toEqual(hb.history);
        expect(l.getWeights().map((w) => Array.from(w.data))).toEqual(b.getWeights().map((w) => Array.from(w.data)));
        const art = toTfjsLayers(l);
        expect(JSON.stringify(art.modelTopology)).toContain(`"activation":"${c.act}"`);
      } finally {
        l.dispose();
        a.dispose();
        b.dispose();
      }
    });
  }
});
