// Helpers for test/stacked.test.ts: stacked LSTMs (every LSTM but the last with returnSequences)
// and sequence outputs (the last LSTM with returnSequences, a Dense on every step).
//  - stackTwin / stackTwinRun: the tfjs-layers twin (every option spelled out, as tfjs's defaults
//    are not Keras's), its outputs, mean loss and tf.variableGrads of every weight;
//  - forwardStack64 / fdStack64: an independent float64 forward of the same model written from
//    Keras's definitions (not from our kernels), and central differences of its loss.
// Weights everywhere are in Keras order: per LSTM layer bottom first kernel (Din,4H),
// recurrent_kernel (H,4H), bias (4H), gates i, f, c, o; then dense kernel (Htop,V), bias (V).
import * as tf from '@tensorflow/tfjs';
import { centralDiffs, type Prng } from './compare.js';

export type Act = 'sigmoid' | 'hardSigmoid';
export type Head = 'softmax' | 'linear';
/**
 * cce: one-hot (or probability) targets, rows of V; sparse: integer labels, one per row;
 * mse: mean over V of (p - y)^2. A row is a sample (last-step output) or a (sample, step) pair.
 */
export type LossKind = 'cce' | 'sparse' | 'mse';
export type Weights = Array<{ shape: number[]; data: Float32Array }>;

/** N samples of T steps of D features; LSTM units bottom first; V outputs; seqOut: the head runs on every step. */
export interface StackSpec {
  N: number;
  T: number;
  D: number;
  units: number[];
  V: number;
  seqOut: boolean;
  head: Head;
}

/** Target rows per sample: T with a sequence output, else 1. */
export const rowsPerSample = (s: StackSpec): number => (s.seqOut ? s.T : 1);

/** Shapes of every weight tensor, in Keras (and getWeights) order. */
export function stackShapes(s: StackSpec): number[][] {
  const out: number[][] = [];
  s.units.forEach((H, l) => {
    const Din = l === 0 ? s.D : s.units[l - 1];
    out.push([Din, 4 * H], [H, 4 * H], [4 * H]);
  });
  const Htop = s.units[s.units.length - 1];
  out.push([Htop, s.V], [s.V]);
  return out;
}

/** Keras's weight names, as the brief of issue #8 gives them: lstm/..., lstm_1/..., dense/... */
export function stackNames(s: StackSpec): string[] {
  const out: string[] = [];
  s.units.forEach((_, l) => {
    const p = l === 0 ? 'lstm' : `lstm_${l}`;
    out.push(`${p}/kernel`, `${p}/recurrent_kernel`, `${p}/bias`);
  });
  out.push('dense/kernel', 'dense/bias');
  return out;
}

/**
 * Random weights in Keras order, uniform in +-(range x scale): kernels 0.6, recurrent kernels
 * 0.5, LSTM biases 0.5, dense kernel 0.8, dense bias 0.3 (unscaled). Scaled by 1/sqrt(fan-in/4)
 * for wide layers so that the pre-activations stay O(1) whatever H is.
 */
export function randomStackWeights(rng: Prng, s: StackSpec, scale = 1): Weights {
  return stackShapes(s).map((shape, k) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const isDense = k >= 3 * s.units.length;
    const role = isDense ? (k === 3 * s.units.length ? 'K' : 'bd') : (['W', 'U', 'b'] as const)[k % 3];
    const base = { W: 0.6, U: 0.5, b: 0.5, K: 0.8, bd: 0.3 }[role];
    const fan = shape.length === 2 ? shape[0] : 4;
    const r = base * (role === 'b' || role === 'bd' ? 1 : scale * Math.min(1, Math.sqrt(4 / fan)));
    return { shape, data: rng.floats(n, -r, r) };
  });
}

/**
 * tf.sequential([lstm, ..., lstm, dense | timeDistributed(dense)]) with every option given;
 * weights copied from `weights` (ours). Every LSTM but the last returns sequences; the last does
 * when `s.seqOut`.
 */
export function stackTwin(s: StackSpec, act: Act, weights: Weights, timeDistributed = false): tf.Sequential {
  const m = tf.sequential();
  const L = s.units.length;
  s.units.forEach((H, l) => {
    m.add(tf.layers.lstm({
      units: H,
      ...(l === 0 ? { inputShape: [s.T, s.D] } : {}),
      activation: 'tanh',
      recurrentActivation: act,
      useBias: true,
      unitForgetBias: true,
      // Initialisers are overwritten by setWeights below; seeded so nothing depends on Math.random.
      kernelInitializer: tf.initializers.glorotUniform({ seed: 11 + l }),
      recurrentInitializer: tf.initializers.orthogonal({ gain: 1, seed: 21 + l }),
      biasInitializer: tf.initializers.zeros(),
      dropout: 0,
      recurrentDropout: 0,
      returnSequences: l < L - 1 || s.seqOut,
      returnState: false,
      goBackwards: false,
      stateful: false,
      unroll: false,
    }));
  });
  const head = tf.layers.dense({
    units: s.V,
    activation: s.head,
    useBias: true,
    kernelInitializer: tf.initializers.glorotUniform({ seed: 31 }),
    biasInitializer: tf.initializers.zeros(),
  });
  m.add(timeDistributed ? tf.layers.timeDistributed({ layer: head }) : head);
  const got = m.getWeights().map((w) => w.shape);
  const want = stackShapes(s);
  if (JSON.stringify(got) !== JSON.stringify(want)) {
    throw new Error(`stackTwin: tfjs weight shapes ${JSON.stringify(got)} differ from Keras order ${JSON.stringify(want)}`);
  }
  const ts = weights.map((w) => tf.tensor(w.data, w.shape, 'float32'));
  m.setWeights(ts);
  tf.dispose(ts);
  return m;
}

/**
 * The tfjs loss of a twin's output p ([N, V] or [N, T, V]) against y, as a mean over every row
 * (tfjs reduces the per-row loss [N] or [N, T] with tf.mean; with full-length samples that is
 * Keras's mean over steps, then over samples).
 *  - cce, clip (keras2): tf.metrics.categoricalCrossentropy (p / sum p, clip to [1e-7, 1-1e-7]);
 *  - cce, no clip (keras3, from logits): -sum(y log p) on the softmax output;
 *  - sparse: the same on tf.oneHot(labels) (the definition of sparse categorical cross-entropy);
 *  - mse: tf.metrics.meanSquaredError (mean over the last axis).
 */
export function twinLoss(loss: LossKind, clip: boolean, y: tf.Tensor, p: tf.Tensor, V: number): tf.Scalar {
  if (loss === 'mse') return tf.mean(tf.metrics.meanSquaredError(y, p)) as tf.Scalar;
  const oneHot = loss === 'sparse' ? tf.oneHot(tf.cast(y, 'int32'), V) : y;
  return (clip
    ? tf.mean(tf.metrics.categoricalCrossentropy(oneHot, p))
    : tf.mean(tf.neg(tf.sum(tf.mul(oneHot, tf.log(p)), -1)))) as tf.Scalar;
}

/** The y tensor for the twin: [N, V] or [N, T, V]; labels [N] or [N, T]. */
export function twinTargets(s: StackSpec, loss: LossKind, y: Float32Array): tf.Tensor {
  const lead = s.seqOut ? [s.N, s.T] : [s.N];
  return loss === 'sparse' ? tf.tensor(y, lead, 'float32') : tf.tensor(y, [...lead, s.V], 'float32');
}

/** The twin's outputs (predict), mean loss and d loss / d every weight (Keras order), float32. */
export function stackTwinRun(m: tf.Sequential, s: StackSpec, loss: LossKind, clip: boolean, x: Float32Array, y: Float32Array):
  { out: Float32Array; loss: number; grads: Float32Array[] } {
  return tf.tidy(() => {
    const xT = tf.tensor3d(x, [s.N, s.T, s.D]);
    const yT = twinTargets(s, loss, y);
    const out = Float32Array.from((m.predict(xT) as tf.Tensor).dataSync());
    const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => twinLoss(loss, clip, yT, m.apply(xT, { training: true }) as tf.Tensor, s.V), vars);
    return { out, loss: value.dataSync()[0], grads: vars.map((v) => Float32Array.from(grads[v.name].dataSync())) };
  });
}

/** What forwardStack64 saw: how close any gate came to the hard sigmoid's kinks, clipped rows. */
export interface Trace {
  /** smallest | |z| - 2.5 | over every gate pre-activation (i, f, o) of every layer */
  minKink: number;
  /** rows whose target probability was clipped (cce/sparse with clip) */
  clipped: number;
}

export const newTrace = (): Trace => ({ minKink: Infinity, clipped: 0 });

const CLIP = 1e-7;
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const hardSigmoid = (z: number) => Math.min(1, Math.max(0, 0.2 * z + 0.5));

/**
 * The model in float64, from Keras's definitions. x (N,T,D) row-major; y (N,rows,V) or labels
 * (N,rows). Per layer: z = x_t W + h U + b; i, f, o = act(z_i, z_f, z_o); c = f c + i tanh(z_c);
 * h = o tanh(c); h_0 = c_0 = 0. The head on h_T (or every h_t of the last layer); the loss is the
 * mean over rows of each sample, then over samples:
 *  cce/sparse, clip: -sum y log(clip(p, 1e-7, 1-1e-7)); no clip: -sum y (z - logsumexp z);
 *  mse: mean_v (p - y)^2 (linear head).
 * Returns the loss and the outputs, (N,V) or (N,T,V).
 */
export function forwardStack64(
  w: ArrayLike<number>[], x: ArrayLike<number>, y: ArrayLike<number>, s: StackSpec, act: Act, loss: LossKind, clip: boolean, trace?: Trace,
): { loss: number; out: Float64Array } {
  const { N, T, D, V, units } = s;
  const L = units.length;
  const R = rowsPerSample(s);
  const sig = act === 'sigmoid' ? sigmoid : hardSigmoid;
  const out = new Float64Array(N * R * V);
  const logits = new Float64Array(V);
  let lossSum = 0;
  for (let n = 0; n < N; n++) {
    // seq: the current layer's input, T rows of Din
    let Din = D;
    let seq = new Float64Array(T * D);
    for (let i = 0; i < T * D; i++) seq[i] = x[n * T * D + i];
    for (let l = 0; l < L; l++) {
      const H = units[l];
      const G = 4 * H;
      const [W, U, b] = [w[3 * l], w[3 * l + 1], w[3 * l + 2]];
      const h = new Float64Array(H);
      const c = new Float64Array(H);
      const z = new Float64Array(G);
      const hs = new Float64Array(T * H);
      for (let t = 0; t < T; t++) {
        for (let g = 0; g < G; g++) {
          let a = b[g];
          for (let k = 0; k < Din; k++) a += seq[t * Din + k] * W[k * G + g];
          for (let k = 0; k < H; k++) a += h[k] * U[k * G + g];
          z[g] = a;
        }
        for (let j = 0; j < H; j++) {
          const zi = z[j], zf = z[H + j], zc = z[2 * H + j], zo = z[3 * H + j];
          if (trace) for (const q of [zi, zf, zo]) trace.minKink = Math.min(trace.minKink, Math.abs(Math.abs(q) - 2.5));
          c[j] = sig(zf) * c[j] + sig(zi) * Math.tanh(zc);
          h[j] = sig(zo) * Math.tanh(c[j]);
        }
        hs.set(h, t * H);
      }
      seq = hs;
      Din = H;
    }
    // Head: on every step (seqOut) or on h_T only.
    const K = w[3 * L];
    const bd = w[3 * L + 1];
    const Htop = Din;
    let sampleLoss = 0;
    for (let r = 0; r < R; r++) {
      const t = s.seqOut ? r : T - 1;
      const row = n * R + r;
      for (let v = 0; v < V; v++) {
        let a = bd[v];
        for (let j = 0; j < Htop; j++) a += seq[t * Htop + j] * K[j * V + v];
        logits[v] = a;
      }
      if (s.head === 'linear') {
        for (let v = 0; v < V; v++) out[row * V + v] = logits[v];
      } else {
        const mx = Math.max(...logits);
        let se = 0;
        for (let v = 0; v < V; v++) se += Math.exp(logits[v] - mx);
        const lse = mx + Math.log(se);
        for (let v = 0; v < V; v++) out[row * V + v] = Math.exp(logits[v] - lse);
        if (loss !== 'mse') {
          for (let v = 0; v < V; v++) {
            const yv = loss === 'sparse' ? (y[row] === v ? 1 : 0) : y[row * V + v];
            if (yv === 0) continue;
            if (clip) {
              const p = out[row * V + v];
              const pc = Math.min(1 - CLIP, Math.max(CLIP, p));
              if (trace && pc !== p) trace.clipped++;
              sampleLoss -= yv * Math.log(pc);
            } else {
              sampleLoss -= yv * (logits[v] - lse);
            }
          }
        }
      }
      if (loss === 'mse') {
        let se = 0;
        for (let v = 0; v < V; v++) se += (out[row * V + v] - y[row * V + v]) ** 2;
        sampleLoss += se / V;
      }
    }
    lossSum += sampleLoss / R;
  }
  return { loss: lossSum / N, out };
}

/** Central differences (step h) of forwardStack64's loss at the chosen flat indices of each tensor. */
export function fdStack64(
  w: Float64Array[], x: ArrayLike<number>, y: ArrayLike<number>, s: StackSpec, act: Act, loss: LossKind, clip: boolean, h: number, pick: number[][],
): Float64Array[] {
  return centralDiffs(w, pick, h, () => forwardStack64(w, x, y, s, act, loss, clip).loss);
}

/**
 * Random targets for a spec: one-hot rows (cce), labels (sparse) or uniform values in [-1, 1)
 * (mse), N x rows of them.
 */
export function randomTargets(rng: Prng, s: StackSpec, loss: LossKind): Float32Array {
  const rows = s.N * rowsPerSample(s);
  if (loss === 'mse') return rng.floats(rows * s.V, -1, 1);
  if (loss === 'sparse') return Float32Array.from({ length: rows }, () => rng.int(s.V));
  const y = new Float32Array(rows * s.V);
  for (let r = 0; r < rows; r++) y[r * s.V + rng.int(s.V)] = 1;
  return y;
}
