// The layer-kind contract: one shared run for EVERY entry of src/layers/index.ts's REGISTRY, so a
// newly registered kind is covered without editing this file -- except that it needs an example
// model in EXAMPLES (keyed by Keras class name), and the first test fails, naming the kind, until
// it has one. Per kind, on its example model (and its round-trip variants):
//  1. options round-trip through save -> loadModel and through toTfjsLayers -> fromTfjsLayers (and
//     through tfjs itself: tf.loadLayersModel then tfjs's own model.save): the same layer configs,
//     weights bit for bit, predictions bit for bit;
//  2. weight names and shapes as Keras names them: the tfjs twin's model.weights after renumbering
//     tfjs's global layer counters ('dense_Dense7' -> 'dense', 'dense_1', ... per model);
//  3. unknown option keys: a ConfigError naming the key, from the factory, from sequential() given
//     plain { className, config }, from loadModel of an edited file and from a worker;
//  4. getWeights / setWeights round trip, bit for bit;
//  5. the layer crosses to a worker: trainInWorker (Node worker_threads, the shipped dist/ build, as
//     test/browser/worker.test.ts) for one shuffled epoch equals fit() on this thread bit for bit;
//  6. gradients vs float64 central differences of a float64 reference written here layer by
//     layer from Keras's definitions (LSTM: z = x W + h U + b, gates i, f, c, o; Dense:
//     act(x K + b) on every row; Masking: the masked steps skipped, state carried), itself checked
//     against test/helpers/stack-twin.ts's forwardStack64 (the existing LSTM-stack reference) and
//     against the tfjs twin on every example;
//  7. the tfjs-layers twin (every option spelled out; our documented defaults resolved here by
//     hand: Dense 'softmax', gates from the preset, unitForgetBias true) agrees on predictions and
//     on one epoch of SGD at batch 1 and at batch 7 (N = 9, ragged lengths, a short last batch);
//  8. a training step lowers the loss.
// Ragged inputs: as test/layers/dense-stack.test.ts (garbage padding + `lengths` on our side, or
// the mask value for a model with masking; the twin gets -1 padding behind tf.layers.masking).
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  ConfigError, dense, encodeModel, fromTfjsLayers, loadModel, lstm, masking, sequential, sgd, toTfjsLayers,
  type Layer, type Sequential, type TfjsLayersSource,
} from '../../src/index.js';
import { REGISTRY } from '../../src/layers/index.js';
import { centralDiffs, expectClose, Prng } from '../helpers/compare.js';
import { useTfjsCpuAndWasm } from '../helpers/twin.js';
import { forwardStack64, type StackSpec } from '../helpers/stack-twin.js';

type Lib = typeof import('../../src/index.js');
/** The shipped build: trainInWorker's worker runs dist/worker-entry.js, so both sides of the worker check use dist/. */
const L = (await import(new URL('../../dist/index.js', import.meta.url).href)) as Lib;

type Act = 'sigmoid' | 'hardSigmoid';
type DAct = 'softmax' | 'linear' | 'sigmoid' | 'tanh' | 'relu';
type PresetName = 'keras2' | 'keras3';
type Kernels = 'simd' | 'scalar';
interface LC { className: string; config: Record<string, unknown> }

const PRESET_ACT: Record<PresetName, Act> = { keras2: 'hardSigmoid', keras3: 'sigmoid' };
const MASK = -1;
const GARBAGE = 7.25;
const SGD_LR = 0.3;

// Tolerances. vs the tfjs twin: as test/tfjs-twin.test.ts (float32 on both sides, SIMD tanh/exp
// approximations <= ~1e-6, other summation orders; real errors >= 1e-3). After one SGD epoch: as
// test/stacked.test.ts (SGD, lr 0.3 here, is linear in g; a few float32 roundings of ~1e-7 per step). vs float64
// FD (h = 1e-5: truncation ~h^2 and round-off ~1e-16/h, both < 1e-9): as test/gradcheck.test.ts,
// scalar kernels 3e-7 + 3e-5 relative, SIMD (approximation budget) 1e-6 + 1e-4 relative; the
// float64 forward itself vs our float32 predict: 1e-6 + 1e-5 relative.
const OUT_TOL = { atol: 2e-6, rtol: 1e-5 };
const LOSS_TOL = { atol: 2e-6, rtol: 2e-6 };
const TRAIN_TOL = { atol: 2e-6, rtol: 1e-5 };
// The update (after - before) of one SGD epoch: a few float32 roundings of weights of size ~1
// (ulp 6e-8 to 1.2e-7) per step, so 5e-7 absolute; 1% relative.
const STEP_TOL = { atol: 5e-7, rtol: 1e-2 };
const H_FD = 1e-5;
const FD_TOL: Record<Kernels, { atol: number; rtol: number }> = { scalar: { atol: 3e-7, rtol: 3e-5 }, simd: { atol: 1e-6, rtol: 1e-4 } };
const F64_TOL = { atol: 1e-6, rtol: 1e-5 };
// Measured worst |diff| (tfjs 4.22, this machine): vs tfjs predictions 6e-8, weights after SGD 3e-8,
// updates 6e-8; float64 reference vs tfjs 4.5e-8; FD 1.6e-8 (scalar): >= 35x margin everywhere.

// ---- the examples: one model per kind that places it, plus round-trip-only variants ----------

interface Example {
  /** The model: must contain the kind; stateless, last-step output, categorical cross-entropy (so it can be ragged and batched). */
  layers: () => Layer[];
  /** Steps of the data (the example's inputShape may leave T null). */
  T: number;
  /** More models for the option round trips (1) only: other option values of the kind. */
  variants: Array<{ name: string; layers: () => Layer[]; T: number }>;
}

const EXAMPLES: Record<string, Example> = {
  Masking: {
    // any length (T null), a mask value other than the default, a Dense on the masked sequence
    layers: () => [masking({ maskValue: MASK, inputShape: [null, 2] }), dense({ units: 3, activation: 'tanh' }), lstm({ units: 4, recurrentActivation: 'sigmoid' }), dense({ units: 3, activation: 'softmax' })],
    T: 5,
    variants: [
      { name: 'default maskValue 0, fixed T', T: 4, layers: () => [masking({ inputShape: [4, 1] }), lstm({ units: 3, recurrentActivation: 'hardSigmoid' }), dense({ units: 2, activation: 'softmax' })] },
    ],
  },
  LSTM: {
    // a stack: sigmoid gates returning sequences under hardSigmoid gates; unitForgetBias false
    layers: () => [
      lstm({ units: 5, inputShape: [4, 2], recurrentActivation: 'sigmoid', unitForgetBias: false, returnSequences: true }),
      lstm({ units: 3, recurrentActivation: 'hardSigmoid' }),
      dense({ units: 3, activation: 'softmax' }),
    ],
    T: 4,
    variants: [
      { name: 'stateful stack, batchInputShape, any length', T: 3, layers: () => [
        lstm({ units: 3, batchInputShape: [2, null, 2], stateful: true, returnSequences: true, recurrentActivation: 'sigmoid' }),
        lstm({ units: 2, stateful: true, recurrentActivation: 'sigmoid', unitForgetBias: true }), dense({ units: 2, activation: 'softmax' })] },
      { name: 'sequence output', T: 3, layers: () => [lstm({ units: 3, inputShape: [3, 2], returnSequences: true, recurrentActivation: 'hardSigmoid' }), dense({ units: 2, activation: 'linear' })] },
    ],
  },
  Dense: {
    // every activation; on a sequence (per step), between LSTMs, stacked on h_T, last
    layers: () => [
      lstm({ units: 4, inputShape: [4, 2], returnSequences: true, recurrentActivation: 'sigmoid' }),
      dense({ units: 3, activation: 'sigmoid' }),
      lstm({ units: 5, recurrentActivation: 'sigmoid' }),
      dense({ units: 6, activation: 'relu' }),
      dense({ units: 4, activation: 'tanh' }),
      dense({ units: 5, activation: 'linear' }),
      dense({ units: 3, activation: 'softmax' }),
    ],
    T: 4,
    variants: [
      { name: 'activation left out (lstm-wasm default softmax)', T: 3, layers: () => [lstm({ units: 3, inputShape: [3, 2], recurrentActivation: 'sigmoid' }), dense({ units: 4, activation: 'relu' }), dense({ units: 2 })] },
    ],
  },
};

const KINDS = Object.values(REGISTRY);

// ---- our layers, read generically (as the twin and the float64 reference see them) -----------

const cfgOf = (l: Layer) => l as unknown as LC;
const lstmAct = (c: Record<string, unknown>, preset: PresetName): Act => (c.recurrentActivation as Act | undefined) ?? PRESET_ACT[preset];
const denseAct = (c: Record<string, unknown>): DAct => (c.activation as DAct | undefined) ?? 'softmax'; // lstm-wasm's documented default
const firstShape = (layers: Layer[]) => {
  const c = cfgOf(layers[0]).config;
  return (c.inputShape as [number | null, number] | undefined) ?? ((c.batchInputShape as number[]).slice(1) as [number | null, number]);
};
const D_of = (layers: Layer[]) => firstShape(layers)[1];
const lastUnits = (layers: Layer[]) => cfgOf(layers[layers.length - 1]).config.units as number;
const hasMasking = (layers: Layer[]) => cfgOf(layers[0]).className === 'Masking';
const isSeqOut = (layers: Layer[]) => {
  let seq = true;
  for (const l of layers) if (cfgOf(l).className === 'LSTM') seq = cfgOf(l).config.returnSequences === true;
  return seq;
};

/** Keras names and shapes, from Keras's conventions (per-model numbering by class). */
function kerasWeights(layers: Layer[]): Array<{ name: string; shape: number[] }> {
  const counts: Record<string, number> = {};
  const out: Array<{ name: string; shape: number[] }> = [];
  let F = D_of(layers);
  for (const l of layers.map(cfgOf)) {
    const base = l.className.toLowerCase();
    const n = (counts[base] = (counts[base] ?? -1) + 1);
    const name = n === 0 ? base : `${base}_${n}`;
    const u = l.config.units as number;
    if (l.className === 'LSTM') {
      out.push({ name: `${name}/kernel`, shape: [F, 4 * u] }, { name: `${name}/recurrent_kernel`, shape: [u, 4 * u] }, { name: `${name}/bias`, shape: [4 * u] });
      F = u;
    } else if (l.className === 'Dense') {
      out.push({ name: `${name}/kernel`, shape: [F, u] }, { name: `${name}/bias`, shape: [u] });
      F = u;
    }
  }
  return out;
}

/** tfjs's global numbering ('dense_Dense7/kernel') -> Keras's per-model one, by order of appearance. */
function normaliseTfjsNames(names: string[]): string[] {
  const seen = new Map<string, string>();
  const counts: Record<string, number> = {};
  return names.map((full) => {
    const parts = full.split('/');
    if (!seen.has(parts[0])) {
      const base = parts[0].replace(/_[A-Z][A-Za-z]*\d+$/, '');
      const n = (counts[base] = (counts[base] ?? -1) + 1);
      seen.set(parts[0], n === 0 ? base : `${base}_${n}`);
    }
    return `${seen.get(parts[0])}/${parts[parts.length - 1]}`;
  });
}

/** The tfjs twin, every option spelled out; `maskFront` puts a tf.layers.masking first (our side then uses `lengths`). */
function twinModel(layers: Layer[], preset: PresetName, weights: Float32Array[], T: number | null, maskFront?: number): tf.Sequential {
  const m = tf.sequential();
  const c0 = cfgOf(layers[0]).config;
  const input = c0.batchInputShape ? { batchInputShape: c0.batchInputShape as number[] } : { inputShape: [T, D_of(layers)] };
  let pending: Record<string, unknown> = input;
  if (maskFront !== undefined) {
    m.add(tf.layers.masking({ maskValue: maskFront, ...input }));
    pending = {};
  }
  layers.map(cfgOf).forEach((l, i) => {
    const inp = pending;
    pending = {};
    const c = l.config;
    if (l.className === 'Masking') m.add(tf.layers.masking({ maskValue: c.maskValue as number, ...inp }));
    else if (l.className === 'LSTM') {
      m.add(tf.layers.lstm({
        units: c.units as number, ...inp, activation: 'tanh', recurrentActivation: lstmAct(c, preset), useBias: true, unitForgetBias: (c.unitForgetBias as boolean | undefined) ?? true,
        kernelInitializer: tf.initializers.glorotUniform({ seed: 10 + i }), recurrentInitializer: tf.initializers.orthogonal({ gain: 1, seed: 20 + i }),
        biasInitializer: tf.initializers.zeros(), dropout: 0, recurrentDropout: 0, returnSequences: c.returnSequences === true, returnState: false,
        goBackwards: false, stateful: c.stateful === true, unroll: false,
      }));
    } else if (l.className === 'Dense') {
      m.add(tf.layers.dense({ units: c.units as number, ...inp, activation: denseAct(c), useBias: true, kernelInitializer: tf.initializers.glorotUniform({ seed: 30 + i }), biasInitializer: tf.initializers.zeros() }));
    } else throw new Error(`twinModel: no tfjs twin for ${l.className}; add one here`);
  });
  const ts = weights.map((w, k) => tf.tensor(w, m.weights[k].shape as number[], 'float32'));
  m.setWeights(ts);
  tf.dispose(ts);
  return m;
}

// ---- the float64 reference -------------------------------------------------------------------

interface Trace { minKink: number; minRelu: number; clipped: number }
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const hardSigmoid = (z: number) => Math.min(1, Math.max(0, 0.2 * z + 0.5));
const ACT64: Record<Exclude<DAct, 'softmax'>, (z: number) => number> = { linear: (z) => z, sigmoid, tanh: Math.tanh, relu: (z) => Math.max(0, z) };

/**
 * The model in float64, layer by layer from Keras's definitions. x (N,T,D) row-major; sample n's
 * real steps are lens[n] on `padding`'s side (a Masking layer or `lengths`: the others are skipped,
 * the LSTM state carried over them). Loss: categorical cross-entropy of the last (softmax) Dense,
 * mean over samples; keras2 (clip): -log(clip(p_y, 1e-7, 1-1e-7)); keras3: -(z_y - logsumexp z).
 */
function forward64(layers: Layer[], preset: PresetName, w: ArrayLike<number>[], x: ArrayLike<number>, N: number, T: number, lens: number[], padding: 'pre' | 'post', y: ArrayLike<number>, trace?: Trace) {
  const D = D_of(layers);
  const V = lastUnits(layers);
  const out = new Float64Array(N * V);
  let lossSum = 0;
  for (let n = 0; n < N; n++) {
    const off = padding === 'pre' ? T - lens[n] : 0;
    let rows: Float64Array[] = [];
    for (let t = off; t < off + lens[n]; t++) rows.push(Float64Array.from({ length: D }, (_, d) => x[(n * T + t) * D + d]));
    let F = D;
    let wi = 0;
    let logits: Float64Array | null = null;
    for (const l of layers.map(cfgOf)) {
      const c = l.config;
      if (l.className === 'Masking') continue;
      const u = c.units as number;
      if (l.className === 'LSTM') {
        const [W, U, b] = [w[wi], w[wi + 1], w[wi + 2]];
        wi += 3;
        const sig = lstmAct(c, preset) === 'sigmoid' ? sigmoid : hardSigmoid;
        const G = 4 * u;
        const h = new Float64Array(u);
        const cs = new Float64Array(u);
        const hs: Float64Array[] = [];
        for (const r of rows) {
          const z = new Float64Array(G);
          for (let g = 0; g < G; g++) {
            let a = b[g];
            for (let k = 0; k < F; k++) a += r[k] * W[k * G + g];
            for (let k = 0; k < u; k++) a += h[k] * U[k * G + g];
            z[g] = a;
          }
          for (let j = 0; j < u; j++) {
            if (trace && sig === hardSigmoid) for (const q of [z[j], z[u + j], z[3 * u + j]]) trace.minKink = Math.min(trace.minKink, Math.abs(Math.abs(q) - 2.5));
            cs[j] = sig(z[u + j]) * cs[j] + sig(z[j]) * Math.tanh(z[2 * u + j]);
            h[j] = sig(z[3 * u + j]) * Math.tanh(cs[j]);
          }
          hs.push(Float64Array.from(h));
        }
        rows = c.returnSequences === true ? hs : [Float64Array.from(h)]; // h_T, or zeros for a sample with no real step
      } else {
        const [K, b] = [w[wi], w[wi + 1]];
        wi += 2;
        const act = denseAct(c);
        rows = rows.map((r) => {
          const z = new Float64Array(u);
          for (let v = 0; v < u; v++) {
            let a = b[v];
            for (let k = 0; k < F; k++) a += r[k] * K[k * u + v];
            z[v] = a;
          }
          if (act === 'softmax') {
            logits = z;
            const mx = Math.max(...z);
            const e = z.map((v) => Math.exp(v - mx));
            const s = e.reduce((p, q) => p + q, 0);
            return e.map((v) => v / s);
          }
          if (trace && act === 'relu') for (const v of z) trace.minRelu = Math.min(trace.minRelu, Math.abs(v));
          return z.map(ACT64[act]);
        });
      }
      F = u;
    }
    if (rows.length !== 1 || !logits) throw new Error('forward64: the examples end in one softmax row per sample');
    out.set(rows[0], n * V);
    const z: Float64Array = logits;
    const lse = Math.max(...z) + Math.log(z.reduce((s, v) => s + Math.exp(v - Math.max(...z)), 0));
    for (let v = 0; v < V; v++) {
      const yv = y[n * V + v];
      if (yv === 0) continue;
      if (preset === 'keras2') {
        const p = rows[0][v];
        const pc = Math.min(1 - 1e-7, Math.max(1e-7, p));
        if (trace && pc !== p) trace.clipped++;
        lossSum -= yv * Math.log(pc);
      } else lossSum -= yv * (z[v] - lse);
    }
  }
  return { loss: lossSum / N, out };
}

// ---- data and the two sides ------------------------------------------------------------------

interface Data { N: number; T: number; lens: number[]; padding: 'pre' | 'post'; xReal: Float32Array; xMask: Float32Array; xGarbage: Float32Array; y: Float32Array }

function makeData(rng: Prng, layers: Layer[], N: number, T: number, lens: number[], padding: 'pre' | 'post'): Data {
  const D = D_of(layers);
  const xReal = new Float32Array(N * T * D);
  const xMask = new Float32Array(N * T * D).fill(MASK);
  const xGarbage = new Float32Array(N * T * D).fill(GARBAGE);
  for (let n = 0; n < N; n++) {
    const off = padding === 'pre' ? T - lens[n] : 0;
    for (let t = 0; t < T; t++) for (let d = 0; d < D; d++) {
      const i = (n * T + t) * D + d;
      xReal[i] = Math.fround(rng.uniform(-0.9, 0.9));
      if (t >= off && t < off + lens[n]) xMask[i] = xGarbage[i] = xReal[i];
    }
  }
  const V = lastUnits(layers);
  const y = new Float32Array(N * V);
  for (let n = 0; n < N; n++) y[n * V + rng.int(V)] = 1;
  return { N, T, lens, padding, xReal, xMask, xGarbage, y };
}

/** Random weights in Keras order, uniform in ±r with r ~ 1/sqrt(fan-in), so nothing saturates. */
function randomWeights(rng: Prng, layers: Layer[]): Float32Array[] {
  return kerasWeights(layers).map(({ name, shape }) => {
    const r = name.endsWith('/bias') ? 0.3 : Math.min(0.8, 1.6 / Math.sqrt(shape[0]));
    return rng.floats(shape.reduce((a, b) => a * b, 1), -r, r);
  });
}

const ragged = (d: Data) => d.lens.some((l) => l !== d.T);

/** Our x and sequence options: the -1 padding for a model with masking, else garbage + lengths. */
function ourInput(layers: Layer[], d: Data) {
  const shape = [d.N, d.T, D_of(layers)];
  if (!ragged(d)) return { x: { shape, data: d.xReal }, seq: {} };
  if (hasMasking(layers)) return { x: { shape, data: d.xMask }, seq: {} };
  return { x: { shape, data: d.xGarbage }, seq: { lengths: d.lens, padding: d.padding } };
}
const ourY = (layers: Layer[], d: Data) => ({ shape: [d.N, lastUnits(layers)], data: d.y });
/** The x the float64 reference reads: real steps where they are (it skips the rest by `lens`). */
const refX = (d: Data) => (ragged(d) ? d.xMask : d.xReal);

function twinFor(layers: Layer[], preset: PresetName, weights: Float32Array[], d: Data) {
  const T = firstShape(layers)[0];
  const front = ragged(d) && !hasMasking(layers) ? MASK : undefined;
  return { t: twinModel(layers, preset, weights, T, front), x: ragged(d) ? d.xMask : d.xReal };
}

function ourModel(layers: Layer[], preset: PresetName, kernels: Kernels, weights?: Float32Array[]): Sequential {
  const m = sequential({ seed: 3, preset, kernels, layers });
  m.compile({ loss: 'categoricalCrossentropy', optimizer: sgd({ learningRate: SGD_LR }) });
  if (weights) m.setWeights(weights);
  return m;
}

const bits = (f: Float32Array) => Array.from(new Uint32Array(f.buffer, f.byteOffset, f.length));
const weightBits = (m: Pick<Sequential, 'getWeights'>) => m.getWeights().map((w) => [w.name, w.shape, bits(w.data)]);
/** The Keras JSON of a model's layers (toKeras: every option spelled out), without tfjs's layer names. */
const kerasLayers = (m: Sequential) => (toTfjsLayers(m).modelTopology.config as { layers: unknown[] }).layers;
/** Layer configs with undefined keys dropped, for exact comparison. */
const configs = (ls: Layer[]) => ls.map((l) => JSON.parse(JSON.stringify(l)));

/** Predictions of a model on the example's data (ragged where allowed), in a fresh state. */
function predictBits(m: Sequential, layers: Layer[], d: Data): number[] {
  m.resetStates();
  const { x, seq } = ourInput(layers, d);
  const p = m.predict(x, { ...seq, ...(m.batchSize ? { batchSize: m.batchSize } : {}) });
  m.resetStates();
  return bits(p.data);
}

/** Data for a model (examples and variants): full length for stateful and sequence-output models, else ragged. */
function dataFor(rng: Prng, layers: Layer[], T: number, N: number): Data {
  const full = isSeqOut(layers) || cfgOf(layers[0]).config.stateful === true;
  const lens = full ? Array(N).fill(T) : Array.from({ length: N }, (_, n) => (n === 0 ? T : n === 1 ? 0 : 1 + ((n * 3) % T)));
  const d = makeData(rng, layers, N, T, lens, 'post');
  if (isSeqOut(layers)) d.y = rng.floats(N * T * lastUnits(layers), -1, 1);
  return d;
}

useTfjsCpuAndWasm();

// ---- the contract ----------------------------------------------------------------------------

describe('every registered kind has an example model that places it', () => {
  it(`REGISTRY (${Object.keys(REGISTRY).join(', ')}): an entry in EXAMPLES for each, and the example contains the kind`, () => {
    const missing = KINDS.filter((k) => !Object.hasOwn(EXAMPLES, k.className)).map((k) => k.className);
    expect(missing, `registered kinds without an example in test/layers/contract.test.ts's EXAMPLES: ${missing.join(', ')}`).toEqual([]);
    for (const k of KINDS) {
      const m = sequential({ layers: EXAMPLES[k.className].layers() });
      expect(m.plan.layers.some((l) => l.kind === k), `${k.className}'s example does not place a ${k.className}`).toBe(true);
      m.dispose();
    }
    const stale = Object.keys(EXAMPLES).filter((c) => !Object.hasOwn(REGISTRY, c));
    expect(stale, 'EXAMPLES for kinds that are no longer registered').toEqual([]);
  });
});

describe('the oracles', () => {
  it('the float64 reference equals forwardStack64 (test/helpers/stack-twin.ts) on a pure LSTM stack', () => {
    const s: StackSpec = { N: 3, T: 4, D: 2, units: [4, 3], V: 3, seqOut: false, head: 'softmax' };
    const layers = [lstm({ units: 4, inputShape: [4, 2], returnSequences: true, recurrentActivation: 'sigmoid' }), lstm({ units: 3, recurrentActivation: 'sigmoid' }), dense({ units: 3, activation: 'softmax' })];
    const rng = new Prng(1);
    const w = randomWeights(rng, layers);
    const d = makeData(rng, layers, 3, 4, [4, 4, 4], 'post');
    for (const preset of ['keras2', 'keras3'] as const) {
      const a = forward64(layers, preset, w, d.xReal, 3, 4, d.lens, 'post', d.y);
      const b = forwardStack64(w, d.xReal, d.y, s, 'sigmoid', 'cce', preset === 'keras2');
      expectClose(`${preset} outputs`, a.out, b.out, { atol: 1e-14, rtol: 1e-12 });
      expectClose(`${preset} loss`, [a.loss], [b.loss], { atol: 1e-14, rtol: 1e-12 });
    }
  });

  it("the renumbering of tfjs's weight names", () => {
    expect(normaliseTfjsNames(['lstm_LSTM7/kernel', 'dense_Dense3/kernel', 'dense_Dense3/bias', 'dense_Dense9/kernel'])).toEqual(['lstm/kernel', 'dense/kernel', 'dense/bias', 'dense_1/kernel']);
  });
});

for (const kind of KINDS) {
  const ex = EXAMPLES[kind.className] as Example; // undefined: the first test fails, naming the kind
  describe.runIf(ex !== undefined)(`${kind.className} (${kind.factory}(...))`, () => {
    const all = ex ? [{ name: 'example', layers: ex.layers, T: ex.T }, ...ex.variants] : [];

    it('options round-trip through save -> loadModel: same layer configs, weights and predictions bit for bit', () => {
      for (const v of all) {
        const layers = v.layers();
        const m = sequential({ seed: 5, layers });
        const d = dataFor(new Prng(2), layers, v.T, m.batchSize ?? 4);
        for (const back of [loadModel(m.save()), loadModel(encodeModel(m.save()))]) {
          expect(configs(back.layers), `${v.name}: layer configs`).toEqual(configs(m.layers));
          expect(weightBits(back), `${v.name}: weights`).toEqual(weightBits(m));
          expect(predictBits(back, layers, d), `${v.name}: predictions`).toEqual(predictBits(m, layers, d));
          back.dispose();
        }
        m.dispose();
      }
    });

    it('options round-trip through toTfjsLayers -> fromTfjsLayers, and through tfjs (loadLayersModel, then its own save)', async () => {
      for (const v of all) {
        const layers = v.layers();
        const m = sequential({ seed: 6, layers });
        const d = dataFor(new Prng(3), layers, v.T, m.batchSize ?? 4);
        const art = toTfjsLayers(m);
        const t = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: art.modelTopology, weightSpecs: art.weightSpecs, weightData: art.weightData }));
        let saved: tf.io.ModelArtifacts | undefined;
        await t.save(tf.io.withSaveHandler(async (a) => {
          saved = a;
          return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
        }));
        // tfjs itself read our file as the same model: its weights, bit for bit
        expect(t.getWeights().map((w) => bits(Float32Array.from(w.dataSync()))), `${v.name}: tfjs's weights`).toEqual(m.getWeights().map((w) => bits(w.data)));
        t.dispose();
        for (const [how, src] of [['ours', art], ['tfjs-written', saved as TfjsLayersSource]] as const) {
          const back = fromTfjsLayers(src as TfjsLayersSource);
          const tag = `${v.name} (${how})`;
          // the same model: its Keras JSON (every option spelled out) and its factory options, resolved
          expect(kerasLayers(back), `${tag}: Keras layer configs`).toEqual(kerasLayers(m));
          expect(back.layers.map((l) => l.className), `${tag}: classes`).toEqual(m.layers.map((l) => l.className));
          back.layers.forEach((l, i) => {
            const k = REGISTRY[l.className];
            const ctx = { name: '', first: null, preset: m.preset, kerasVersion: '', at: '' };
            expect(k.fromKeras(k.toKeras(l, ctx).config, ctx), `${tag}: layers[${i}] options`).toEqual(k.fromKeras(k.toKeras(m.layers[i], ctx).config, ctx));
          });
          expect(back.getWeights().map((w) => [w.shape, bits(w.data)]), `${tag}: weights`).toEqual(m.getWeights().map((w) => [w.shape, bits(w.data)]));
          expect(predictBits(back, layers, d), `${tag}: predictions`).toEqual(predictBits(m, layers, d));
          back.dispose();
        }
        m.dispose();
      }
    });

    it("weight names and shapes are Keras's: the tfjs twin's model.weights, renumbered per model", () => {
      for (const v of all) {
        const layers = v.layers();
        const m = sequential({ seed: 7, layers });
        const t = twinModel(layers, 'keras2', m.getWeights().map((w) => w.data), firstShape(layers)[0]);
        const theirs = t.weights.map((w) => w.name);
        expect(m.getWeights().map((w) => w.name), `${v.name}: names`).toEqual(normaliseTfjsNames(theirs));
        expect(m.getWeights().map((w) => w.shape), `${v.name}: shapes`).toEqual(t.weights.map((w) => w.shape));
        expect(m.getWeights().map((w) => [w.name, w.shape]), `${v.name}: Keras's conventions`).toEqual(kerasWeights(layers).map((w) => [w.name, w.shape]));
        expect(m.plan.slices.map((s) => s.name)).toEqual(kerasWeights(layers).map((w) => w.name));
        t.dispose();
        m.dispose();
      }
    });

    it('an unknown option key is a ConfigError naming the key: factory, sequential({ className, config }), loadModel, worker', async () => {
      const layers = ex.layers();
      const i = layers.findIndex((l) => l.className === kind.className);
      const bad = { ...cfgOf(layers[i]).config, unitz: 3 };
      expect(() => kind.make(bad)).toThrow(ConfigError);
      expect(() => kind.make(bad)).toThrow(/'unitz'/);
      const plain = layers.map((l, j) => (j === i ? { className: kind.className, config: bad } : l)) as unknown as Layer[];
      expect(() => sequential({ layers: plain })).toThrow(ConfigError);
      expect(() => sequential({ layers: plain })).toThrow(/'unitz'/);
      const m = sequential({ layers });
      const saved = m.save();
      m.dispose();
      const json = JSON.parse(JSON.stringify(saved.json));
      json.model.layers[i].config.unitz = 3;
      expect(() => loadModel({ json, weights: saved.weights })).toThrow(ConfigError);
      expect(() => loadModel({ json, weights: saved.weights })).toThrow(new RegExp(`layer ${i}.*'unitz'`));
      const d = dataFor(new Prng(4), layers, ex.T, 2);
      const { x } = ourInput(layers, d);
      await expect(L.trainInWorker({ model: { layers: plain }, compile: { loss: 'categoricalCrossentropy' }, x, y: ourY(layers, d) })).rejects.toThrow(L.ConfigError);
      await expect(L.trainInWorker({ model: { layers: plain }, compile: { loss: 'categoricalCrossentropy' }, x, y: ourY(layers, d) })).rejects.toThrow(/'unitz'/);
    });

    it('getWeights / setWeights round trip bit for bit; a copy predicts bit for bit', () => {
      for (const v of all) {
        const layers = v.layers();
        const a = sequential({ seed: 8, layers });
        const ws = randomWeights(new Prng(9), layers);
        a.setWeights(ws);
        expect(a.getWeights().map((w) => bits(w.data)), `${v.name}: getWeights after setWeights`).toEqual(ws.map(bits));
        expect(a.getWeights().map((w) => w.shape)).toEqual(kerasWeights(layers).map((w) => w.shape));
        const b = sequential({ seed: 99, layers });
        expect(weightBits(b)).not.toEqual(weightBits(a)); // another seed: the copy below is not trivially equal
        b.setWeights(a.getWeights());
        expect(weightBits(b)).toEqual(weightBits(a));
        const d = dataFor(new Prng(10), layers, v.T, a.batchSize ?? 4);
        expect(predictBits(b, layers, d), `${v.name}: predictions of the copy`).toEqual(predictBits(a, layers, d));
        a.dispose();
        b.dispose();
      }
    });

    it('crosses to a worker: trainInWorker for one shuffled epoch equals fit() on this thread bit for bit (dist/ build)', async () => {
      await L.ready();
      const layers = ex.layers();
      const d = dataFor(new Prng(11), layers, ex.T, 9);
      const { x, seq } = ourInput(layers, d);
      const y = ourY(layers, d);
      const compile = () => ({ loss: 'categoricalCrossentropy' as const, optimizer: L.adam({ learningRate: 0.01 }) });
      const fit = { epochs: 1, batchSize: 4, shuffle: true, ...seq };
      const here = L.sequential({ seed: 12, layers });
      here.compile(compile());
      const h = await here.fit(x, y, { ...fit, verbose: 0 });
      const r = await L.trainInWorker({ model: { seed: 12, layers }, compile: compile(), x, y, fit });
      expect(r.weights.map((w) => [w.name, w.shape, bits(w.data)])).toEqual(weightBits(here));
      expect(r.history.history).toEqual(h.history);
      // and training moved the weights (an untrained copy would not compare equal)
      const init = L.sequential({ seed: 12, layers });
      expect(weightBits(init)).not.toEqual(weightBits(here));
      init.dispose();
      here.dispose();
    });

    for (const preset of ['keras2', 'keras3'] as const) {
      it(`${preset}: gradients vs float64 central differences (ragged batch, kernels scalar and simd)`, () => {
        const layers = ex.layers();
        const rng = new Prng(20 + (preset === 'keras3' ? 1 : 0));
        const w = randomWeights(rng, layers);
        const d = dataFor(rng, layers, ex.T, 5);
        const w64 = w.map((t) => Float64Array.from(t));
        const trace: Trace = { minKink: Infinity, minRelu: Infinity, clipped: 0 };
        const ref = forward64(layers, preset, w64, refX(d), d.N, d.T, d.lens, d.padding, d.y, trace);
        // FD across a kink (hard sigmoid at ±2.5, relu at 0) or a clip is meaningless: demand a margin.
        expect(trace.minKink, 'a hard-sigmoid gate next to a kink: pick another seed').toBeGreaterThan(1e-3);
        expect(trace.minRelu, 'a relu pre-activation next to 0: pick another seed').toBeGreaterThan(1e-3);
        expect(trace.clipped).toBe(0);
        const pick = w64.map((t) => rng.sample(t.length, 16));
        const fd = centralDiffs(w64, pick, H_FD, () => forward64(layers, preset, w64, refX(d), d.N, d.T, d.lens, d.padding, d.y).loss);
        const { x, seq } = ourInput(layers, d);
        for (const kernels of ['scalar', 'simd'] as const) {
          const m = ourModel(layers, preset, kernels, w);
          try {
            const tag = `${kind.className} example ${preset}/${kernels}`;
            expectClose(`${tag} predict vs float64`, m.predict(x, seq).data, ref.out, F64_TOL, [d.N, lastUnits(layers)]);
            const g = m.computeGradients(x, ourY(layers, d), seq);
            expectClose(`${tag} loss vs float64`, [g.loss], [ref.loss], { atol: 1e-6, rtol: 1e-6 });
            g.grads.forEach((gr, k) => expectClose(`${tag} d loss/d ${gr.name} (${pick[k].length} of ${gr.data.length}) vs float64 FD`, pick[k].map((i) => gr.data[i]), fd[k], FD_TOL[kernels]));
            expect(Math.max(...fd[0].map(Math.abs)), `${tag}: the lowest kernel's FD gradient is too small to discriminate`).toBeGreaterThan(1e-4);
          } finally {
            m.dispose();
          }
        }
      });

      it(`${preset}: tfjs twin: predictions (and the float64 reference), then one epoch of SGD at batch 1 and at batch 7 (ragged)`, async () => {
        const layers = ex.layers();
        for (const batch of [1, 7] as const) {
          const rng = new Prng(40 + batch + (preset === 'keras3' ? 1 : 0));
          const w = randomWeights(rng, layers);
          const d = dataFor(rng, layers, ex.T, batch === 1 ? 4 : 9);
          expect(ragged(d)).toBe(true);
          const tag = `${kind.className} example ${preset} batch ${batch}`;
          // predictions: tfjs, float64 and ours
          const { t, x: tx } = twinFor(layers, preset, w, d);
          const theirs = tf.tidy(() => Float32Array.from((t.predict(tf.tensor3d(tx, [d.N, d.T, D_of(layers)])) as tf.Tensor).dataSync()));
          const f64 = forward64(layers, preset, w, refX(d), d.N, d.T, d.lens, d.padding, d.y);
          expectClose(`${tag}: float64 reference vs tfjs`, f64.out, theirs, F64_TOL);
          const m = ourModel(layers, preset, 'simd', w);
          const { x, seq } = ourInput(layers, d);
          expectClose(`${tag}: predict vs tfjs`, m.predict(x, seq).data, theirs, OUT_TOL, [d.N, lastUnits(layers)]);
          expectClose(`${tag}: evaluate loss vs float64`, [m.evaluate(x, ourY(layers, d), seq)[0]], [f64.loss], LOSS_TOL);
          // one epoch of SGD, shuffle false
          const opt = tf.train.sgd(SGD_LR);
          t.compile({ optimizer: opt, loss: 'categoricalCrossentropy' });
          const xT = tf.tensor3d(tx, [d.N, d.T, D_of(layers)]);
          const yT = tf.tensor2d(d.y, [d.N, lastUnits(layers)]);
          await t.fit(xT, yT, { epochs: 1, batchSize: batch, shuffle: false, verbose: 0 });
          const ref = t.getWeights().map((v) => Float32Array.from(v.dataSync()));
          tf.dispose([xT, yT]);
          t.dispose();
          opt.dispose();
          await m.fit(x, ourY(layers, d), { epochs: 1, batchSize: batch, shuffle: false, verbose: 0, ...seq });
          m.getWeights().forEach((gw, k) => {
            expectClose(`${tag}: ${gw.name} after one SGD epoch vs tfjs fit`, gw.data, ref[k], TRAIN_TOL, gw.shape);
            // The update itself (after - before), so that a small one (the lowest layers under five
            // Dense layers move by ~1e-4) is resolved to ~1%, and is well above the tolerance.
            const theirs = ref[k].map((v, i) => v - w[k][i]);
            expect(Math.max(...theirs.map(Math.abs)), `${tag}: tfjs's ${gw.name} moved too little to discriminate`).toBeGreaterThan(20 * STEP_TOL.atol);
            expectClose(`${tag}: the update of ${gw.name} vs tfjs fit's`, gw.data.map((v, i) => v - w[k][i]), theirs, STEP_TOL, gw.shape);
          });
          m.dispose();
        }
      });

      it(`${preset}: a training step lowers the loss`, async () => {
        const layers = ex.layers();
        const rng = new Prng(60 + (preset === 'keras3' ? 1 : 0));
        const d = dataFor(rng, layers, ex.T, 6);
        const m = sequential({ seed: 61, preset, layers });
        m.compile({ loss: 'categoricalCrossentropy', optimizer: sgd({ learningRate: 0.05 }) });
        const { x, seq } = ourInput(layers, d);
        const before = m.evaluate(x, ourY(layers, d), seq)[0];
        await m.fit(x, ourY(layers, d), { epochs: 1, batchSize: d.N, shuffle: false, verbose: 0, ...seq });
        const after = m.evaluate(x, ourY(layers, d), seq)[0];
        expect(after, `${kind.className} example ${preset}: loss ${before} -> ${after}`).toBeLessThan(before);
        // first-order: the decrease is about lr·|g|² (within 50%), so it is the gradient step that lowered it
        const g = sequential({ seed: 61, preset, layers });
        g.compile({ loss: 'categoricalCrossentropy' });
        const { grads } = g.computeGradients(x, ourY(layers, d), seq);
        const g2 = grads.reduce((s, t) => s + t.data.reduce((a, v) => a + v * v, 0), 0);
        expect(before - after).toBeGreaterThan(0.5 * 0.05 * g2);
        expect(before - after).toBeLessThan(1.5 * 0.05 * g2);
        g.dispose();
        m.dispose();
      });
    }
  });
}
