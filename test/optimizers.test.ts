// sgd(), rmsprop() and clipnorm/clipvalue through the whole model: 3 optimizer steps of fit
// (N=5, batch 2, last batch short, shuffle false) against
//  (a) the Keras-form update applied in float64 to tfjs's gradients of the same batch at each step
//      (the twin of test/tfjs-twin.test.ts, 'cpu' backend, every LSTM option spelled out), and
//  (b) tfjs's own optimizers where their form equals Keras's, read from
//      node_modules/@tensorflow/tfjs-core/dist/optimizers (4.22.0):
//      - sgd_optimizer.js: θ -= lr·g (Keras SGD with momentum 0);
//      - momentum_optimizer.js: a = μa + g; θ -= lr·a (nesterov: θ -= lr·(g + μa)): Keras's
//        m = μm - lr·g; θ += m (nesterov θ += μm - lr·g) with m = -lr·a, constant lr;
//      - rmsprop_optimizer.js, not centered: ms = ρms + (1-ρ)g²; mom = μ·mom + lr·g/√(ms + ε);
//        θ -= mom: Keras 3's form (ε inside the root). Its centered branch computes
//        √(ms - (mg² + ε)) (ε subtracted), not Keras 3's √(ms - mg² + ε): checked by (a) only.
//      Keras 2.0's RMSprop (preset keras2: θ -= lr·g/(√a + ε)) has no tfjs counterpart: (a) only.
// Plus: save/load round trips, and refusals with clear errors.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  adam, dense, lstm, rmsprop, sequential, sgd, loadModel, encodeModel, decodeModel,
  ConfigError, ValueError, type Optimizer,
} from '../src/index.js';
import { OP_STEP, OP_LR, OP_EPS } from '../src/generated/abi.js';
import { expectClose, KerasAdam, Prng, randomOneHot } from './helpers/compare.js';
import { randomWeights, twin, twinRun, useTfjsCpuAndWasm, type Weights } from './helpers/twin.js';

type PresetName = 'keras2' | 'keras3';
const d = { N: 5, T: 4, D: 3, H: 5, V: 3 };
const batchSize = 2;
const act = 'sigmoid' as const;

useTfjsCpuAndWasm();

function inputs(seed: number): { weights: Weights; x: Float32Array; y: Float32Array } {
  const rng = new Prng(seed);
  const weights = randomWeights(rng, d.D, d.H, d.V);
  const x = rng.floats(d.N * d.T * d.D, -1, 1);
  const y = randomOneHot(rng, d.N, d.V).data;
  return { weights, x, y };
}

function ours(preset: PresetName, kernels: 'simd' | 'scalar', weights: Weights, optimizer: Optimizer) {
  const model = sequential({ seed: 1, preset, kernels, layers: [
    lstm({ units: d.H, inputShape: [d.T, d.D], recurrentActivation: act }),
    dense({ units: d.V, activation: 'softmax' }),
  ] });
  model.compile({ loss: 'categoricalCrossentropy', optimizer, metrics: ['accuracy'] });
  model.setWeights(weights);
  return model;
}

async function fitOurs(preset: PresetName, kernels: 'simd' | 'scalar', weights: Weights, optimizer: Optimizer, x: Float32Array, y: Float32Array) {
  const model = ours(preset, kernels, weights, optimizer);
  try {
    await model.fit({ shape: [d.N, d.T, d.D], data: x }, { shape: [d.N, d.V], data: y }, { epochs: 1, batchSize, shuffle: false, verbose: 0 });
    expect(model.arena!.opt()[OP_STEP]).toBe(3);
    return model.getWeights().map((w) => w.data);
  } finally {
    model.dispose();
  }
}

/** tfjs's gradients of each batch at the float64 trajectory's weights; `update` applies one step. */
function reference(preset: PresetName, weights: Weights, x: Float32Array, y: Float32Array,
  update: (theta: Float64Array[], g: Float64Array[], step: number) => void): Float64Array[] {
  const theta = weights.map((w) => Float64Array.from(w.data));
  const m32 = twin(d, act, weights);
  let step = 0;
  for (let start = 0; start < d.N; start += batchSize) {
    const n = Math.min(batchSize, d.N - start);
    const ts = theta.map((t, k) => tf.tensor(Float32Array.from(t), weights[k].shape, 'float32'));
    m32.setWeights(ts);
    tf.dispose(ts);
    const { grads } = twinRun(m32, preset, x.slice(start * d.T * d.D, (start + n) * d.T * d.D), [n, d.T, d.D], y.slice(start * d.V, (start + n) * d.V), d.V);
    update(theta, grads.map((g) => Float64Array.from(g)), ++step);
  }
  m32.dispose();
  return theta;
}

/** Keras 2's clipping of one tensor's gradient, in float64. Returns whether it changed anything. */
function clip(g: Float64Array, clipnorm?: number, clipvalue?: number): boolean {
  let changed = false;
  if (clipnorm !== undefined) {
    const norm = Math.sqrt(g.reduce((s, v) => s + v * v, 0));
    if (norm > clipnorm) {
      changed = true;
      for (let i = 0; i < g.length; i++) g[i] = (g[i] * clipnorm) / norm;
    }
  }
  if (clipvalue !== undefined) {
    for (let i = 0; i < g.length; i++) {
      const c = Math.min(clipvalue, Math.max(-clipvalue, g[i]));
      if (c !== g[i]) changed = true;
      g[i] = c;
    }
  }
  return changed;
}

interface SgdCase { lr: number; momentum: number; nesterov: boolean; clipnorm?: number; clipvalue?: number }
interface RmsCase { preset: PresetName; lr: number; rho: number; eps: number; momentum: number; centered: boolean; clipnorm?: number; clipvalue?: number }

function sgdRef(c: SgdCase, preset: PresetName, weights: Weights, x: Float32Array, y: Float32Array) {
  const m = weights.map((w) => new Float64Array(w.data.length));
  let clipped = false;
  const theta = reference(preset, weights, x, y, (th, gs) => {
    th.forEach((t, k) => {
      const g = gs[k];
      clipped = clip(g, c.clipnorm, c.clipvalue) || clipped;
      for (let i = 0; i < t.length; i++) {
        if (c.momentum === 0) t[i] -= c.lr * g[i];
        else {
          m[k][i] = c.momentum * m[k][i] - c.lr * g[i];
          t[i] += c.nesterov ? c.momentum * m[k][i] - c.lr * g[i] : m[k][i];
        }
      }
    });
  });
  return { theta, clipped };
}

function rmsRef(c: RmsCase, weights: Weights, x: Float32Array, y: Float32Array) {
  const m = weights.map((w) => new Float64Array(w.data.length));
  const v = weights.map((w) => new Float64Array(w.data.length));
  let clipped = false;
  const theta = reference(c.preset, weights, x, y, (th, gs) => {
    th.forEach((t, k) => {
      const g = gs[k];
      clipped = clip(g, c.clipnorm, c.clipvalue) || clipped;
      for (let i = 0; i < t.length; i++) {
        v[k][i] = c.rho * v[k][i] + (1 - c.rho) * g[i] * g[i];
        let den = v[k][i];
        if (c.centered) {
          m[k][i] = c.rho * m[k][i] + (1 - c.rho) * g[i];
          den -= m[k][i] * m[k][i];
        }
        if (c.preset === 'keras2') {
          t[i] -= (c.lr * g[i]) / (Math.sqrt(den) + c.eps);
          continue;
        }
        let inc = (c.lr * g[i]) / Math.sqrt(den + c.eps);
        if (c.momentum > 0) inc = m[k][i] = c.momentum * m[k][i] + inc;
        t[i] -= inc;
      }
    });
  });
  return { theta, clipped };
}

/** tfjs's optimizer on the twin, 3 steps over the same batches; the twin's final weights. */
function tfjsRun(preset: PresetName, weights: Weights, x: Float32Array, y: Float32Array, opt: tf.Optimizer): Float32Array[] {
  const m32 = twin(d, act, weights);
  const vars = m32.trainableWeights.map((w) => w.read() as tf.Variable);
  for (let start = 0; start < d.N; start += batchSize) {
    const n = Math.min(batchSize, d.N - start);
    tf.tidy(() => {
      const xT = tf.tensor3d(x.slice(start * d.T * d.D, (start + n) * d.T * d.D), [n, d.T, d.D]);
      const yT = tf.tensor2d(y.slice(start * d.V, (start + n) * d.V), [n, d.V]);
      opt.minimize(() => {
        const p = m32.apply(xT, { training: true }) as tf.Tensor;
        return (preset === 'keras2' ? tf.mean(tf.metrics.categoricalCrossentropy(yT, p)) : tf.mean(tf.neg(tf.sum(tf.mul(yT, tf.log(p)), -1)))) as tf.Scalar;
      }, false, vars);
    });
  }
  const out = m32.getWeights().map((w) => Float32Array.from(w.dataSync()));
  m32.dispose();
  opt.dispose();
  return out;
}

const NAMES = ['lstm/kernel', 'lstm/recurrent_kernel', 'lstm/bias', 'dense/kernel', 'dense/bias'];

// atol = 2e-7 (a few ulps of weights ~1, where float32 rounding of θ itself dominates) + k·lr
// (the float32 update and the two libraries' gradient sums). Measured worst |diff| - its share of
// the floor: SGD 3e-6·lr, Adam 5e-6·lr, RMSprop 6e-5·lr at lr = 1e-3 (one ulp of θ).
function compare(label: string, got: Float32Array[], ref: ArrayLike<number>[], weights: Weights, lr: number, k = 1e-5) {
  got.forEach((w, i) => {
    const moved = w.reduce((mx, val, j) => Math.max(mx, Math.abs(val - weights[i].data[j])), 0);
    expect(moved, `${label} ${NAMES[i]} did not move`).toBeGreaterThan(1e-3 * lr);
    expectClose(`${label} ${NAMES[i]}`, w, ref[i], { atol: 2e-7 + k * lr, rtol: 2e-6 }, weights[i].shape);
  });
}

describe('sgd(): 3 steps of fit', () => {
  const cases: SgdCase[] = [
    { lr: 0.01, momentum: 0, nesterov: false },
    { lr: 0.05, momentum: 0.9, nesterov: false },
    { lr: 0.05, momentum: 0.9, nesterov: true },
    { lr: 0.05, momentum: 0.5, nesterov: false, clipnorm: 0.05 },
    { lr: 0.05, momentum: 0, nesterov: false, clipvalue: 0.01 },
  ];
  for (const c of cases) {
    for (const preset of ['keras2', 'keras3'] as const) {
      it(`${JSON.stringify(c)}, ${preset}: float64 Keras form of tfjs's gradients${c.clipnorm || c.clipvalue ? '' : ", and tfjs's optimizer"}`, async () => {
        const { weights, x, y } = inputs(300 + Math.round(c.momentum * 10) + (c.nesterov ? 1 : 0) + (c.clipnorm ? 5 : 0));
        const { theta, clipped } = sgdRef(c, preset, weights, x, y);
        if (c.clipnorm || c.clipvalue) expect(clipped, 'the clip must be active in this case').toBe(true);
        const opt = sgd({ learningRate: c.lr, momentum: c.momentum, nesterov: c.nesterov, ...(c.clipnorm ? { clipnorm: c.clipnorm } : {}), ...(c.clipvalue ? { clipvalue: c.clipvalue } : {}) });
        for (const kernels of ['scalar', 'simd'] as const) {
          const got = await fitOurs(preset, kernels, weights, opt, x, y);
          compare(`sgd ${kernels} vs float64`, got, theta, weights, c.lr);
          if (!c.clipnorm && !c.clipvalue) {
            const tfOpt = c.momentum === 0 ? tf.train.sgd(c.lr) : tf.train.momentum(c.lr, c.momentum, c.nesterov);
            compare(`sgd ${kernels} vs tfjs`, got, tfjsRun(preset, weights, x, y, tfOpt), weights, c.lr);
          }
        }
      });
    }
  }
});

describe('rmsprop(): 3 steps of fit', () => {
  const cases: RmsCase[] = [
    { preset: 'keras2', lr: 0.001, rho: 0.9, eps: 1e-8, momentum: 0, centered: false },
    { preset: 'keras2', lr: 0.01, rho: 0.8, eps: 1e-4, momentum: 0, centered: false },
    { preset: 'keras3', lr: 0.001, rho: 0.9, eps: 1e-7, momentum: 0, centered: false },
    { preset: 'keras3', lr: 0.01, rho: 0.8, eps: 1e-6, momentum: 0.7, centered: false },
    { preset: 'keras3', lr: 0.01, rho: 0.9, eps: 1e-7, momentum: 0, centered: true },
    { preset: 'keras2', lr: 0.001, rho: 0.9, eps: 1e-8, momentum: 0, centered: false, clipnorm: 0.05 },
    { preset: 'keras3', lr: 0.001, rho: 0.9, eps: 1e-7, momentum: 0, centered: false, clipvalue: 0.01 },
  ];
  for (const c of cases) {
    const tfjsToo = c.preset === 'keras3' && !c.centered && !c.clipnorm && !c.clipvalue;
    it(`${JSON.stringify(c)}: float64 Keras form of tfjs's gradients${tfjsToo ? ", and tfjs's rmsprop" : ''}`, async () => {
      const { weights, x, y } = inputs(500 + Math.round(c.lr * 1000) + (c.centered ? 3 : 0) + Math.round(c.momentum * 10));
      const { theta, clipped } = rmsRef(c, weights, x, y);
      if (c.clipnorm || c.clipvalue) expect(clipped, 'the clip must be active in this case').toBe(true);
      // ε: the default is the preset's (1e-8 keras2, 1e-7 keras3); the custom cases give it.
      const defaultEps = c.eps === (c.preset === 'keras2' ? 1e-8 : 1e-7);
      const opt = rmsprop({
        learningRate: c.lr, rho: c.rho, ...(defaultEps ? {} : { epsilon: c.eps }),
        ...(c.momentum ? { momentum: c.momentum } : {}), ...(c.centered ? { centered: true } : {}),
        ...(c.clipnorm ? { clipnorm: c.clipnorm } : {}), ...(c.clipvalue ? { clipvalue: c.clipvalue } : {}),
      });
      for (const kernels of ['scalar', 'simd'] as const) {
        const got = await fitOurs(c.preset, kernels, weights, opt, x, y);
        // RMSprop's first steps are ≈ lr·sign(g)·√(1/(1-ρ)): tolerance scaled by lr.
        compare(`rmsprop ${kernels} vs float64`, got, theta, weights, c.lr, 3e-5);
        if (tfjsToo) compare(`rmsprop ${kernels} vs tfjs`, got, tfjsRun(c.preset, weights, x, y, tf.train.rmsprop(c.lr, c.rho, c.momentum, c.eps, false)), weights, c.lr, 3e-5);
      }
    });
  }
});

describe('adam() with clipnorm / clipvalue', () => {
  for (const clipArgs of [{ clipnorm: 0.05 }, { clipvalue: 0.01 }]) {
    it(`${JSON.stringify(clipArgs)}: the Keras form of tfjs's clipped gradients`, async () => {
      const { weights, x, y } = inputs(777);
      const lr = 0.01;
      const ref = new KerasAdam({ learningRate: lr, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }, weights.map((w) => w.data.length));
      let clipped = false;
      const theta = reference('keras2', weights, x, y, (th, gs) => {
        for (const g of gs) clipped = clip(g, (clipArgs as { clipnorm?: number }).clipnorm, (clipArgs as { clipvalue?: number }).clipvalue) || clipped;
        ref.step(th, gs);
      });
      expect(clipped).toBe(true);
      for (const kernels of ['scalar', 'simd'] as const) {
        compare(`adam ${kernels}`, await fitOurs('keras2', kernels, weights, adam({ learningRate: lr, ...clipArgs }), x, y), theta, weights, lr, 2e-5);
      }
    });
  }

  it('a clip larger than every gradient changes nothing: bitwise the unclipped run', async () => {
    const { weights, x, y } = inputs(778);
    for (const make of [(a: object) => adam({ learningRate: 0.01, ...a }), (a: object) => sgd({ momentum: 0.9, ...a }), (a: object) => rmsprop(a)]) {
      const plain = await fitOurs('keras2', 'simd', weights, make({}), x, y);
      for (const big of [{ clipnorm: 1e6 }, { clipvalue: 1e6 }]) {
        const got = await fitOurs('keras2', 'simd', weights, make(big), x, y);
        got.forEach((w, k) => expect(Array.from(w)).toEqual(Array.from(plain[k])));
      }
    }
  });
});

describe('save and load with sgd and rmsprop', () => {
  for (const [preset, opt] of [
    ['keras2', sgd({ learningRate: 0.05, momentum: 0.9, nesterov: true, clipnorm: 1 })],
    ['keras3', rmsprop({ learningRate: 0.01, rho: 0.8, momentum: 0.5, clipvalue: 0.5 })],
    ['keras3', rmsprop({ centered: true })],
    ['keras2', rmsprop({ epsilon: 1e-6 })],
  ] as Array<[PresetName, Optimizer]>) {
    it(`${opt.className} ${JSON.stringify(opt.config)} (${preset}): resumes bit for bit, compile arguments restored`, async () => {
      const { weights, x, y } = inputs(42);
      const X = { shape: [d.N, d.T, d.D], data: x };
      const Y = { shape: [d.N, d.V], data: y };
      const a = ours(preset, 'simd', weights, opt);
      const b = ours(preset, 'simd', weights, opt);
      try {
        await a.fit(X, Y, { epochs: 2, batchSize, shuffle: false, verbose: 0 });
        await b.fit(X, Y, { epochs: 2, batchSize, shuffle: false, verbose: 0 });
        const saved = a.save();
        const prefix = opt.className.toLowerCase();
        expect(saved.json.compile!.optimizer.className).toBe(opt.className);
        expect(saved.json.weights.tensors.map((t) => t.name)).toContain(`${prefix}/m/lstm/kernel`);
        expect(saved.json.weights.tensors.map((t) => t.name)).toContain(`${prefix}/v/dense/bias`);
        const c = loadModel(decodeModel(encodeModel(JSON.parse(JSON.stringify(saved.json)) && saved)));
        try {
          expect(c.compiled!.args.optimizer).toEqual(opt);
          await b.fit(X, Y, { epochs: 2, batchSize, shuffle: false, verbose: 0 });
          await c.fit(X, Y, { epochs: 2, batchSize, shuffle: false, verbose: 0 });
          c.getWeights().forEach((w, k) => expect(Array.from(w.data)).toEqual(Array.from(b.getWeights()[k].data)));
        } finally {
          c.dispose();
        }
      } finally {
        a.dispose();
        b.dispose();
      }
    });
  }

  it('a saved file naming an unknown optimizer or a bad option is refused with a ConfigError', () => {
    const { weights } = inputs(43);
    const a = ours('keras2', 'simd', weights, sgd({ momentum: 0.5 }));
    try {
      const saved = a.save();
      const edit = (f: (j: typeof saved.json) => void) => {
        const j = JSON.parse(JSON.stringify(saved.json));
        f(j);
        return () => loadModel({ json: j, weights: saved.weights });
      };
      expect(edit((j) => (j.compile!.optimizer.className = 'Adagrad' as never))).toThrow(ConfigError);
      expect(edit((j) => (j.compile!.optimizer.config.momentum = 2))).toThrow(/the saved optimizer: sgd\(\): momentum must be/);
      expect(edit((j) => (j.compile!.optimizer.config.beta1 = 0.9))).toThrow(/the saved optimizer: sgd\(\): unknown option 'beta1'/);
    } finally {
      a.dispose();
    }
  });
});

describe('refusals', () => {
  const cases: Array<[string, () => unknown, new (...a: never[]) => Error, RegExp]> = [
    ['sgd momentum 1', () => sgd({ momentum: 1 }), ConfigError, /sgd\(\): momentum must be below 1/],
    ['sgd momentum -0.1', () => sgd({ momentum: -0.1 }), ValueError, /sgd\(\): momentum must be a finite number in \[0, 1\], received -0.1/],
    ['sgd nesterov "yes"', () => sgd({ nesterov: 'yes' as never }), ConfigError, /sgd\(\): nesterov must be a boolean, received 'yes'/],
    ['sgd unknown key', () => sgd({ lr: 0.1 } as never), ConfigError, /sgd\(\): unknown option 'lr'/],
    ['sgd learningRate 0', () => sgd({ learningRate: 0 }), ValueError, /learningRate must be a finite number in \(0, Infinity\)/],
    ['rmsprop rho 1', () => rmsprop({ rho: 1 }), ConfigError, /rmsprop\(\): rho must be below 1/],
    ['rmsprop centered + momentum', () => rmsprop({ centered: true, momentum: 0.5 }), ConfigError, /centered with momentum is not supported/],
    ['rmsprop epsilon NaN', () => rmsprop({ epsilon: NaN }), ValueError, /rmsprop\(\): epsilon must be a finite number/],
    ['clipnorm and clipvalue', () => adam({ clipnorm: 1, clipvalue: 1 }), ConfigError, /adam\(\): give clipnorm or clipvalue, not both/],
    ['clipnorm 0', () => sgd({ clipnorm: 0 }), ValueError, /sgd\(\): clipnorm must be a finite number in \(0, Infinity\), received 0/],
    ['clipvalue -1', () => rmsprop({ clipvalue: -1 }), ValueError, /rmsprop\(\): clipvalue must be a finite number in \(0, Infinity\), received -1/],
  ];
  for (const [name, f, type, msg] of cases) {
    it(name, () => {
      expect(f).toThrow(type);
      expect(f).toThrow(msg);
    });
  }

  it("compile(): RMSprop's momentum or centered under preset keras2 (Keras 2.0 has neither); unknown optimizers", () => {
    const { weights } = inputs(44);
    const m = ours('keras2', 'simd', weights, adam());
    try {
      expect(() => m.compile({ loss: 'categoricalCrossentropy', optimizer: rmsprop({ momentum: 0.9 }) })).toThrow(/Keras 2.0's RMSprop has no momentum or centered; use preset: 'keras3'/);
      expect(() => m.compile({ loss: 'categoricalCrossentropy', optimizer: rmsprop({ centered: true }) })).toThrow(ConfigError);
      expect(() => m.compile({ loss: 'categoricalCrossentropy', optimizer: 'adagrad' as never })).toThrow(/optimizer must be adam\(...\), sgd\(...\), rmsprop\(...\) or 'adam', 'sgd', 'rmsprop', received 'adagrad'/);
      expect(() => m.compile({ loss: 'categoricalCrossentropy', optimizer: { className: 'SGD' } as never })).toThrow(ConfigError);
      // the refusals left the model compiled with Adam
      expect(m.compiled!.args.optimizer.className).toBe('Adam');
      m.compile({ loss: 'categoricalCrossentropy', optimizer: 'sgd' });
      expect(m.compiled!.args.optimizer).toEqual(sgd());
      m.compile({ loss: 'categoricalCrossentropy', optimizer: 'rmsprop' });
      expect(m.compiled!.args.optimizer).toEqual(rmsprop());
    } finally {
      m.dispose();
    }
  });
});

describe('trainInWorker with the new optimizers and heads (dist build, worker_threads)', () => {
  it('sgd with momentum and clipnorm, and rmsprop with a sigmoid/BCE head: the weights of an in-thread fit, bit for bit', async () => {
    const L = (await import(new URL('../dist/index.js', import.meta.url).href)) as typeof import('../src/index.js');
    await L.ready();
    const { x, y } = inputs(99);
    const runs: Array<[Optimizer, 'softmax' | 'sigmoid', string]> = [
      [L.sgd({ learningRate: 0.05, momentum: 0.9, nesterov: true, clipnorm: 0.5 }), 'softmax', 'categoricalCrossentropy'],
      [L.rmsprop({ learningRate: 0.01, clipvalue: 0.1 }), 'sigmoid', 'binaryCrossentropy'],
    ];
    for (const [optimizer, activation, loss] of runs) {
      const layers = [L.lstm({ units: d.H, inputShape: [d.T, d.D] }), L.dense({ units: d.V, activation })];
      const compile = { loss: loss as 'binaryCrossentropy', optimizer, metrics: ['accuracy' as const] };
      const X = { shape: [d.N, d.T, d.D], data: x };
      const Y = { shape: [d.N, d.V], data: y };
      const m = L.sequential({ seed: 3, layers });
      m.compile(compile);
      const h = await m.fit(X, Y, { epochs: 3, batchSize, verbose: 0 });
      const r = await L.trainInWorker({ model: { seed: 3, layers }, compile, x: X, y: Y, fit: { epochs: 3, batchSize } });
      expect(r.history.history).toEqual(h.history);
      r.weights.forEach((w, k) => expect(Array.from(w.data)).toEqual(Array.from(m.getWeights()[k].data)));
      m.dispose();
    }
  });
});
