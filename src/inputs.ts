// Turning what users pass to fit/evaluate/predict (nested arrays or {shape, data} tensors) into
// flat float32 data, validated: rank, sizes, raggedness and finiteness, with the failing index named.
import { ShapeError, ValueError } from './errors.js';
import { describe } from './options.js';
import { requireBytes } from './wasm.js';
import type { PaddingInfo } from './tensor.js';

/**
 * Anything with a shape and row-major numeric data, such as the Tensor the data utilities return.
 *
 * @example
 * const y: TensorLike = { shape: [2, 3], data: [0, 0, 1, 1, 0, 0] }; // 2 one-hot rows of 3 classes
 */
export interface TensorLike {
  /** Size of each dimension, outermost first; the product is `data.length`. */
  readonly shape: readonly number[];
  /** The values in row-major order (any array-like of numbers; copied to float32 when used). */
  readonly data: ArrayLike<number>;
}

/**
 * Inputs: a rank-3 tensor [samples, steps, features], the same as nested arrays, or ragged nested
 * arrays: `number[][]` (one feature per step) or `number[][][]` whose samples differ in length.
 *
 * @example
 * model.predict([[0.1, 0.2], [0.3, 0.4, 0.5]]); // two ragged samples, one feature per step
 */
export type InputData = TensorLike | number[][][] | number[][];
/**
 * Targets: rows [N, V] (one-hot, or values) as a rank-2 tensor or nested arrays, or for
 * sparseCategoricalCrossentropy integer labels [N].
 *
 * @example
 * model.evaluate(x, [[0, 1], [1, 0]]); // one-hot rows, V = 2
 */
export type TargetData = TensorLike | number[][] | number[] | Int32Array;

export function isTensorLike(v: unknown): v is TensorLike {
  return (
    typeof v === 'object' && v !== null && !Array.isArray(v) &&
    Array.isArray((v as TensorLike).shape) && typeof (v as TensorLike).data === 'object' &&
    (v as TensorLike).data !== null && typeof (v as TensorLike).data.length === 'number'
  );
}

const idx = (parts: number[]) => parts.map((p) => `[${p}]`).join('');

function flatten(caller: string, arg: string, v: unknown, rank: number): { shape: number[]; data: Float32Array } {
  if (isTensorLike(v)) {
    const shape = [...v.shape];
    if (shape.length !== rank) {
      throw new ShapeError(`${caller}: ${arg} must have rank ${rank}, received shape [${shape.join(', ')}]` +
        (rank === 3 && shape.length === 2 ? ` (reshape to [${shape[0]}, ${shape[1]}, 1] for one feature per step)` : ''));
    }
    if (shape.some((s) => !Number.isInteger(s) || s < 0)) throw new ShapeError(`${caller}: ${arg} has an invalid shape [${shape.join(', ')}]`);
    const size = shape.reduce((a, b) => a * b, 1);
    if (v.data.length !== size) {
      throw new ShapeError(`${caller}: ${arg} has shape [${shape.join(', ')}] (${size} values) but ${v.data.length} data values`);
    }
    requireBytes(caller, `${arg} of shape [${shape.join(', ')}]`, size * 4);
    if (!ArrayBuffer.isView(v.data)) {
      const notNumber = Array.prototype.findIndex.call(v.data, (x: unknown) => typeof x !== 'number');
      if (notNumber >= 0) throw new ValueError(`${caller}: ${arg}.data[${notNumber}] is ${describe(v.data[notNumber])}; values must be numbers`);
    }
    const data = Float32Array.from(v.data as ArrayLike<number>);
    const bad = data.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) {
      const at: number[] = [];
      let r = bad;
      for (let k = rank - 1; k >= 0; k--) { at.unshift(r % shape[k]); r = Math.floor(r / shape[k]); }
      throw new ValueError(`${caller}: ${arg}${idx(at)} is ${describe(v.data[bad])}; every value must be a finite float32 (|v| ≤ 3.4028235e38)`);
    }
    return { shape, data };
  }
  if (!Array.isArray(v)) {
    throw new ShapeError(`${caller}: ${arg} must be a rank-${rank} nested array or a {shape, data} tensor, received ${describe(v)}`);
  }
  // Nested arrays: the first element fixes each inner size; every other must match.
  const shape: number[] = [];
  let probe: unknown = v;
  for (let k = 0; k < rank; k++) {
    if (!Array.isArray(probe)) {
      throw new ShapeError(`${caller}: ${arg} must be nested ${rank} deep, but ${arg}${idx(new Array(k).fill(0))} is ${describe(probe)}`);
    }
    shape.push(probe.length);
    probe = probe.length > 0 ? probe[0] : [];
  }
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  let w = 0;
  const walk = (node: unknown, depth: number, at: number[]): void => {
    if (depth === rank) {
      if (typeof node !== 'number' || !Number.isFinite(Math.fround(node))) {
        throw new ValueError(`${caller}: ${arg}${idx(at)} is ${describe(node)}; every value must be a finite float32 (|v| ≤ 3.4028235e38)`);
      }
      data[w++] = node;
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      throw new ShapeError(
        `${caller}: ${arg}${idx(at)} has ${Array.isArray(node) ? `length ${node.length}` : describe(node)}, expected an array of length ${shape[depth]} (ragged input)`,
      );
    }
    for (let i = 0; i < node.length; i++) walk(node[i], depth + 1, [...at, i]);
  };
  walk(v, 0, []);
  return { shape, data };
}

/**
 * How `fit`, `evaluate` and `predict` find each sample's real steps in padded input.
 *
 * @example
 * const x = padSequences([[0.1, 0.2], [0.3, 0.4, 0.5]], { dtype: 'float32' }); // [2, 3], 'pre' padded
 * model.predict(reshape(x, [2, 3, 1]), { lengths: [2, 3], padding: 'pre' }); // the padding step is skipped
 */
export interface SequenceArgs {
  /** Each sample's number of real steps, for padded tensors (0 ≤ length ≤ steps). */
  lengths?: ArrayLike<number>;
  /** Which side of a padded tensor holds the padding when `lengths` is given: 'pre' (default) or 'post'. */
  padding?: 'pre' | 'post';
}

/**
 * Sequences ready for the kernels: [N, T, D] float32 data where sample n runs steps
 * starts[n] .. starts[n]+lens[n]. Padded steps are never computed.
 */
export interface Sequences {
  N: number;
  T: number;
  D: number;
  data: Float32Array;
  starts: Int32Array;
  lens: Int32Array;
  /** True when the input had the model's full, fixed step count for every sample. */
  full: boolean;
}

/** Steps of a ragged nested input: `number[][]` (one feature per step) or `number[][][]`. */
function ragged(caller: string, x: unknown[], D: number): Sequences {
  const N = x.length;
  const lens = new Int32Array(N);
  let T = 0;
  for (let n = 0; n < N; n++) {
    const seq = x[n];
    if (!Array.isArray(seq)) throw new ShapeError(`${caller}: x[${n}] must be an array of steps, received ${describe(seq)}`);
    lens[n] = seq.length;
    T = Math.max(T, seq.length);
  }
  const data = new Float32Array(N * T * D);
  for (let n = 0; n < N; n++) {
    const seq = x[n] as unknown[];
    for (let t = 0; t < seq.length; t++) {
      const step = seq[t];
      const vals = Array.isArray(step) ? step : [step];
      if (vals.length !== D || (D !== 1 && !Array.isArray(step))) {
        throw new ShapeError(`${caller}: x[${n}][${t}] has ${Array.isArray(step) ? step.length : 1} features, the model expects ${D}`);
      }
      for (let d = 0; d < D; d++) {
        const v = vals[d];
        if (typeof v !== 'number' || !Number.isFinite(Math.fround(v))) {
          throw new ValueError(`${caller}: x[${n}][${t}]${Array.isArray(step) ? `[${d}]` : ''} is ${describe(v)}; every value must be a finite float32 (|v| ≤ 3.4028235e38)`);
        }
        data[(n * T + t) * D + d] = v;
      }
    }
  }
  return { N, T, D, data, starts: new Int32Array(N), lens, full: false };
}

function isRegular(x: unknown[]): boolean {
  if (!x.every((s) => Array.isArray(s))) return false;
  const first = x.find((s) => (s as unknown[]).length > 0) as unknown[] | undefined;
  if (!first || !Array.isArray(first[0])) return false; // number[][] (or all empty): ragged form
  return x.every((s) => (s as unknown[]).length === first.length);
}

/**
 * Validates model inputs and finds each sample's real steps. Accepts a rank-3 tensor
 * [N, T, D] (optionally with `lengths`), regular nested arrays `number[][][]`, or ragged ones:
 * `number[][]` (one feature per step) or `number[][][]` of different lengths. `T` null means the
 * model accepts any number of steps.
 */
export function toSequences(caller: string, x: unknown, T: number | null, D: number, args: SequenceArgs = {}): Sequences {
  let seqs: Sequences;
  // Nested arrays are ragged when their lengths differ, or when they are all shorter than a fixed
  // inputShape (each then runs at its own length); tensors always hold their padded shape.
  const shorter = T !== null && Array.isArray(x) && x.every((q) => Array.isArray(q) && q.length < T);
  if (!isTensorLike(x) && Array.isArray(x) && (!isRegular(x) || shorter)) {
    if (args.lengths !== undefined) throw new ShapeError(`${caller}: lengths go with padded tensors; ragged x already has its lengths`);
    seqs = ragged(caller, x, D);
    if (seqs.N === 0) throw new ShapeError(`${caller}: x has 0 samples; at least one is needed`);
  } else {
    const { shape, data } = flatten(caller, 'x', x, 3);
    const [n, t, d] = shape;
    if (n === 0) throw new ShapeError(`${caller}: x has 0 samples; at least one is needed`);
    if (d !== D) throw new ShapeError(`${caller}: x has ${d} features per step (shape [${shape.join(', ')}]), the model expects ${D}`);
    if (t === 0) throw new ShapeError(`${caller}: x has 0 steps per sample; at least one is needed`);
    seqs = { N: n, T: t, D: d, data, starts: new Int32Array(n), lens: new Int32Array(n).fill(t), full: true };
    if (args.lengths !== undefined) {
      const L = args.lengths;
      if (L === null || typeof L !== 'object' || typeof L.length !== 'number') {
        throw new ShapeError(`${caller}: lengths must be an array of ${n} integers, received ${describe(L)}`);
      }
      if (L.length !== n) throw new ShapeError(`${caller}: lengths has ${L.length} entries but x has ${n} samples`);
      const pre = (args.padding ?? 'pre') === 'pre';
      for (let i = 0; i < n; i++) {
        const len = L[i];
        if (!Number.isInteger(len) || len < 0 || len > t) {
          throw new ValueError(`${caller}: lengths[${i}] is ${describe(len)}; it must be an integer in [0, ${t}] (the padded length)`);
        }
        seqs.lens[i] = len;
        seqs.starts[i] = pre ? t - len : 0;
      }
      seqs.full = false;
    }
  }
  if (T !== null) {
    const longest = seqs.lens.reduce((a, b) => Math.max(a, b), 0);
    if (seqs.full && seqs.T !== T) throw new ShapeError(`${caller}: x has ${seqs.T} steps, the model expects ${T} (inputShape)`);
    if (longest > T) {
      const i = seqs.lens.findIndex((l) => l === longest);
      throw new ShapeError(`${caller}: x[${i}] has ${longest} steps, the model expects at most ${T} (inputShape)`);
    }
  }
  return seqs;
}

/**
 * Keras `Masking`: drops the steps whose features all equal `maskValue` from each sample's run
 * (the state carries over a masked step unchanged, which is the same as skipping it). Also counts
 * masked steps that are known to be real data: with `real` 'all' every step of a sample's run is
 * real (ragged input, explicit lengths); with padding info (from padSequences) the steps inside
 * the true lengths are; with null only a masked step between two unmasked ones is known to be real.
 */
export function applyMask(seqs: Sequences, maskValue: number, real: 'all' | PaddingInfo | null): { seqs: Sequences; collisions: number } {
  const { N, T, D, data, starts, lens } = seqs;
  const out = new Float32Array(data.length);
  const newLens = new Int32Array(N);
  let collisions = 0;
  for (let n = 0; n < N; n++) {
    const from = starts[n];
    const to = from + lens[n];
    let lo = from;
    let hi = to;
    if (real !== 'all' && real !== null) {
      lo = real.padding === 'pre' ? T - real.lengths[n] : 0;
      hi = lo + real.lengths[n];
    }
    let w = 0;
    let pending = 0; // masked steps since the last unmasked one (null mode)
    for (let t = from; t < to; t++) {
      const src = (n * T + t) * D;
      let masked = true;
      for (let d = 0; d < D; d++) if (data[src + d] !== maskValue) masked = false;
      if (masked) {
        if (real !== null && t >= lo && t < hi) collisions++;
        else if (real === null && w > 0) pending++;
        continue;
      }
      collisions += pending;
      pending = 0;
      out.set(data.subarray(src, src + D), (n * T + w) * D);
      w++;
    }
    newLens[n] = w;
  }
  return { seqs: { N, T, D, data: out, starts: new Int32Array(N), lens: newLens, full: false }, collisions };
}

/**
 * Validates integer class labels for the sparse loss: shape [N] (or [N, 1], as Keras), each an
 * integer in [0, V). Returns them as N floats.
 */
export function toLabels(caller: string, y: unknown, N: number, V: number): Float32Array {
  const rank = isTensorLike(y) ? y.shape.length : Array.isArray(y) && Array.isArray(y[0]) ? 2 : ArrayBuffer.isView(y) ? 1 : Array.isArray(y) ? 1 : 0;
  if (rank === 2) {
    const { shape, data } = flatten(caller, 'y', y, 2);
    if (shape[1] !== 1) {
      throw new ShapeError(
        `${caller}: sparseCategoricalCrossentropy takes integer labels of shape [${N}], received y of shape [${shape.join(', ')}]` +
          (shape[1] === V ? ' (one-hot rows: use categoricalCrossentropy, or pass the labels)' : ''),
      );
    }
    return checkLabels(caller, data, N, V);
  }
  let data: Float32Array;
  if (isTensorLike(y)) data = flatten(caller, 'y', y, 1).data;
  else if (Array.isArray(y) || (ArrayBuffer.isView(y) && !(y instanceof DataView))) data = Float32Array.from(y as ArrayLike<number>);
  else throw new ShapeError(`${caller}: y must be integer labels (number[], Int32Array or a tensor of shape [${N}]), received ${describe(y)}`);
  return checkLabels(caller, data, N, V, y as ArrayLike<number>);
}

function checkLabels(caller: string, data: Float32Array, N: number, V: number, raw: ArrayLike<number> = data): Float32Array {
  if (data.length !== N) throw new ShapeError(`${caller}: x has ${N} samples but y has ${data.length} labels`);
  for (let i = 0; i < N; i++) {
    const v = raw[i] ?? data[i];
    if (!(Number.isInteger(v) && v >= 0 && v < V)) {
      throw new ValueError(`${caller}: y[${i}] is ${describe(v)}; labels must be integers in [0, ${V - 1}] (the last layer has ${V} units)`);
    }
  }
  return data;
}

/** Validates and flattens targets to [N, V] float32. */
export function toTargets(caller: string, y: unknown, N: number, V: number): Float32Array {
  const { shape, data } = flatten(caller, 'y', y, 2);
  if (shape[0] !== N) throw new ShapeError(`${caller}: x has ${N} samples but y has ${shape[0]}`);
  if (shape[1] !== V) {
    throw new ShapeError(`${caller}: y has ${shape[1]} classes per row (shape [${shape.join(', ')}]), the model's last layer has ${V} units`);
  }
  return data;
}

/**
 * Targets of a sequence-output model (a `returnSequences` LSTM feeding `dense`): [N, T, V] values,
 * or for the sparse loss [N, T] (or [N, T, 1]) integer labels in [0, V). Returns N·T rows.
 */
export function toSeqTargets(caller: string, y: unknown, N: number, T: number, V: number, sparse: boolean): Float32Array {
  const depth = (v: unknown): number => (isTensorLike(v) ? v.shape.length : Array.isArray(v) ? 1 + depth(v[0]) : 0);
  const rank = depth(y);
  const want = sparse ? `[${N}, ${T}] integer labels` : `[${N}, ${T}, ${V}]`;
  if (!(rank === 3 || (sparse && rank === 2))) {
    throw new ShapeError(`${caller}: the model outputs every step (returnSequences), so y must have shape ${want}, received ${describe(y)}${isTensorLike(y) ? ` of shape [${y.shape.join(', ')}]` : ''}`);
  }
  const { shape, data } = flatten(caller, 'y', y, rank);
  const width = rank === 3 ? shape[2] : 1;
  if (shape[0] !== N || shape[1] !== T || (sparse ? width !== 1 : width !== V)) {
    throw new ShapeError(
      `${caller}: y has shape [${shape.join(', ')}], expected ${want} (samples, steps of x, ${sparse ? 'labels' : 'units of the last layer'})` +
        (sparse && width === V ? ' (one-hot rows: use categoricalCrossentropy, or pass the labels)' : ''),
    );
  }
  if (sparse) {
    for (let i = 0; i < data.length; i++) {
      if (!(Number.isInteger(data[i]) && data[i] >= 0 && data[i] < V)) {
        throw new ValueError(`${caller}: y[${Math.floor(i / T)}][${i % T}] is ${data[i]}; labels must be integers in [0, ${V - 1}] (the last layer has ${V} units)`);
      }
    }
  }
  return data;
}
