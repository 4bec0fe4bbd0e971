// Helpers for the tfjs-twin, variable-length and callback tests: a tfjs-layers twin with an optional
// Masking layer first (every LSTM option spelled out, as tfjs's defaults are not Keras's), its
// loss and gradients via tf.variableGrads, padding of ragged data, softmax in float64 and a
// weight hash. Used alongside compare.ts; changes nothing there.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll } from 'vitest';
import { ready } from '../../src/index.js';
import type { Prng } from './compare.js';

/** Registers the hooks every twin test file needs: tfjs on its 'cpu' backend, our WASM ready. */
export function useTfjsCpuAndWasm(): void {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    await tf.ready();
    await ready();
  });
  afterAll(() => {
    tf.disposeVariables();
  });
}

export type Act = 'sigmoid' | 'hardSigmoid';
export type Weights = Array<{ shape: number[]; data: Float32Array }>;
export interface TwinDims { T: number | null; D: number; H: number; V: number }

/**
 * tf.sequential([masking?, lstm, dense]) with every option given; weights copied from ours.
 * With `maskValue` a `tf.layers.masking({ maskValue })` layer comes first and carries inputShape.
 */
export function twin(d: TwinDims, act: Act, weights: Weights, maskValue?: number, head: 'softmax' | 'linear' = 'softmax'): tf.Sequential {
  const m = tf.sequential();
  if (maskValue !== undefined) m.add(tf.layers.masking({ maskValue, inputShape: [d.T, d.D] }));
  m.add(tf.layers.lstm({
    units: d.H,
    ...(maskValue === undefined ? { inputShape: [d.T, d.D] } : {}),
    activation: 'tanh',
    recurrentActivation: act,
    useBias: true,
    unitForgetBias: true,
    // Initialisers are overwritten by setWeights below; seeded so nothing depends on Math.random.
    kernelInitializer: tf.initializers.glorotUniform({ seed: 11 }),
    recurrentInitializer: tf.initializers.orthogonal({ gain: 1, seed: 12 }),
    biasInitializer: tf.initializers.zeros(),
    dropout: 0,
    recurrentDropout: 0,
    returnSequences: false,
    returnState: false,
    goBackwards: false,
    stateful: false,
    unroll: false,
  }));
  m.add(tf.layers.dense({
    units: d.V,
    activation: head,
    useBias: true,
    kernelInitializer: tf.initializers.glorotUniform({ seed: 13 }),
    biasInitializer: tf.initializers.zeros(),
  }));
  const ts = weights.map((w) => tf.tensor(w.data, w.shape, 'float32'));
  m.setWeights(ts);
  tf.dispose(ts);
  return m;
}

/**
 * The twin's predictions, mean loss and gradients of the 5 weights (Keras order) on a padded
 * [N, T, D] input. Loss: keras2 = tf.metrics.categoricalCrossentropy (clips p to [1e-7, 1-1e-7]),
 * keras3 = -sum(y log p) without clip.
 */
export function twinRun(m: tf.Sequential, preset: 'keras2' | 'keras3', x: Float32Array, shape: [number, number, number], y: Float32Array, V: number):
  { probs: Float32Array; loss: number; grads: Float32Array[] } {
  return tf.tidy(() => {
    const xT = tf.tensor3d(x, shape);
    const yT = tf.tensor2d(y, [shape[0], V]);
    const probs = (m.predict(xT) as tf.Tensor).dataSync() as Float32Array;
    const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => {
      const p = m.apply(xT, { training: true }) as tf.Tensor;
      return (preset === 'keras2'
        ? tf.mean(tf.metrics.categoricalCrossentropy(yT, p))
        : tf.mean(tf.neg(tf.sum(tf.mul(yT, tf.log(p)), -1)))) as tf.Scalar;
    }, vars);
    return { probs: Float32Array.from(probs), loss: value.dataSync()[0], grads: vars.map((v) => Float32Array.from(grads[v.name].dataSync())) };
  });
}

/** Random weights in Keras order and shapes, small enough that nothing saturates. */
export function randomWeights(rng: Prng, D: number, H: number, V: number, scale = 1): Weights {
  return [
    { shape: [D, 4 * H], data: rng.floats(D * 4 * H, -0.6 * scale, 0.6 * scale) },
    { shape: [H, 4 * H], data: rng.floats(H * 4 * H, -0.5 * scale, 0.5 * scale) },
    { shape: [4 * H], data: rng.floats(4 * H, -0.5, 0.5) },
    { shape: [H, V], data: rng.floats(H * V, -0.8 * scale, 0.8 * scale) },
    { shape: [V], data: rng.floats(V, -0.3, 0.3) },
  ];
}

/** Ragged samples (each a list of D-feature steps) padded to T steps with `value`, 'pre' or 'post'. */
export function padRagged(seqs: number[][][], T: number, D: number, padding: 'pre' | 'post', value: number): Float32Array {
  const out = new Float32Array(seqs.length * T * D).fill(value);
  seqs.forEach((s, n) => {
    const off = padding === 'pre' ? T - s.length : 0;
    s.forEach((step, t) => step.forEach((v, d) => (out[(n * T + off + t) * D + d] = v)));
  });
  return out;
}

/** softmax in float64 */
export function softmax64(z: ArrayLike<number>): number[] {
  const mx = Math.max(...Array.from(z));
  const e = Array.from(z, (v) => Math.exp(v - mx));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** FNV-1a over the float32 bytes of every weight: equal hashes, bit-identical weights. */
export function weightsHash(ws: ReadonlyArray<{ data: Float32Array }>): string {
  let h = 0x811c9dc5;
  for (const w of ws) {
    const b = new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength);
    for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 0x01000193);
    h = Math.imul(h ^ 0xff, 0x01000193); // tensor separator
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}
