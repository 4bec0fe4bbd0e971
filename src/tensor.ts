/**
 * The smallest tensor the library needs: a row-major Float32Array plus its shape. No broadcasting,
 * no ops beyond what data preparation uses; the kernels work on raw buffers.
 */
import { ShapeError, ValueError } from './errors.js';
import { describe } from './options.js';

/**
 * A dense float32 tensor: row-major data plus shape, a plain object (no methods, nothing to dispose).
 *
 * @example
 * const x: Tensor = { shape: [2, 3, 1], data: new Float32Array(6) }; // 2 samples, 3 steps, 1 feature
 * model.predict(x).shape; // [2, V]
 */
export interface Tensor {
  /** Size of each dimension, outermost first; the product is `data.length`. */
  readonly shape: number[];
  /** The values in row-major order: element [i, j] of shape [R, C] is `data[i * C + j]`. */
  readonly data: Float32Array;
  /**
   * Set by `padSequences`: each sequence's true length and the side padded. `reshape`, `divide`
   * and `scale` keep it. It never changes what a model computes; a `masking` layer uses it to warn
   * when real data equals the mask value.
   */
  readonly padded?: PaddingInfo;
}

/**
 * Where the real steps of padded sequences are (a tensor's `padded`, set by `padSequences`).
 *
 * @example
 * padSequences([[1], [2, 3]]).padded; // { lengths: Int32Array [1, 2], padding: 'pre' }
 */
export interface PaddingInfo {
  /** Each sequence's number of real steps, after any truncation. */
  readonly lengths: Int32Array;
  /** The side that holds the padding: 'pre' (the start) or 'post' (the end). */
  readonly padding: 'pre' | 'post';
}

/** Keeps `padded` when the sample axis is unchanged. */
function keepPadded(t: Tensor, shape: number[]): { padded?: PaddingInfo } {
  return t.padded && shape[0] === t.shape[0] ? { padded: t.padded } : {};
}

function isTensor(t: unknown): t is Tensor {
  return typeof t === 'object' && t !== null && Array.isArray((t as Tensor).shape) && ArrayBuffer.isView((t as Tensor).data);
}

function checkShape(fn: string, shape: number[]): number {
  if (!Array.isArray(shape)) throw new ShapeError(`${fn}: shape must be an array of sizes, got ${describe(shape)}`);
  let size = 1;
  for (let k = 0; k < shape.length; k++) {
    const d = shape[k];
    if (!Number.isInteger(d) || d < 0) {
      throw new ShapeError(`${fn}: shape[${k}] must be a non-negative integer, got ${describe(d)} in [${shape.join(', ')}]`);
    }
    size *= d;
  }
  return size;
}

/**
 * Make a tensor. A `number[]` is copied into a new Float32Array (values rounded to float32); a
 * Float32Array is used as is, without a copy.
 * Throws ShapeError when `data.length` is not the product of `shape`.
 *
 * @example
 * const t = tensor([1, 2, 3, 4, 5, 6], [2, 3]); // t.data[1 * 3 + 2] === 6
 */
export function tensor(data: Float32Array | number[], shape: number[]): Tensor {
  const size = checkShape('tensor()', shape);
  if (!(data instanceof Float32Array) && !Array.isArray(data)) {
    throw new ShapeError(`tensor(): data must be a Float32Array or number[], got ${typeof data}`);
  }
  if (data.length !== size) {
    throw new ShapeError(`tensor(): data has ${data.length} elements but shape [${shape.join(', ')}] needs ${size}`);
  }
  if (!(data instanceof Float32Array)) {
    const bad = data.findIndex((v) => typeof v !== 'number');
    if (bad >= 0) throw new ValueError(`tensor(): data[${bad}] is ${describe(data[bad])}; values must be numbers`);
  }
  const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
  return { shape: shape.slice(), data: f32 };
}

/**
 * Same data (shared, not copied), new shape. One dimension may be -1 and is then inferred.
 * Throws ShapeError when the sizes do not agree or the -1 cannot be inferred.
 *
 * @example
 * const t = reshape(tensor([1, 2, 3, 4, 5, 6], [6]), [-1, 1, 3]); // t.shape: [2, 1, 3]
 */
export function reshape(t: Tensor, shape: number[]): Tensor {
  if (!isTensor(t)) throw new ShapeError(`reshape(): expected a tensor {shape, data}, got ${describe(t)}`);
  if (!Array.isArray(shape)) throw new ShapeError(`reshape(): shape must be an array of sizes, got ${describe(shape)}`);
  const n = t.data.length;
  let known = 1;
  let infer = -1;
  for (let k = 0; k < shape.length; k++) {
    const d = shape[k];
    if (d === -1) {
      if (infer >= 0) throw new ShapeError(`reshape(): only one -1 allowed, got [${shape.join(', ')}]`);
      infer = k;
    } else if (!Number.isInteger(d) || d < 0) {
      throw new ShapeError(`reshape(): shape[${k}] must be a non-negative integer or -1, got ${describe(d)}`);
    } else {
      known *= d;
    }
  }
  const out = shape.slice();
  if (infer >= 0) {
    if (known === 0 || n % known !== 0) {
      throw new ShapeError(`reshape(): cannot infer -1 in [${shape.join(', ')}] for ${n} elements (shape [${t.shape.join(', ')}])`);
    }
    out[infer] = n / known;
  } else if (known !== n) {
    throw new ShapeError(`reshape(): [${t.shape.join(', ')}] has ${n} elements, [${shape.join(', ')}] needs ${known}`);
  }
  return { shape: out, data: t.data, ...keepPadded(t, out) };
}

/**
 * Element-wise `x / d` rounded to float32: `Math.fround(x / d)`. For float32 inputs this is the
 * correctly rounded float32 quotient, i.e. what numpy's `float32_array / 26.0` gives (the listing's
 * `X / float(len(alphabet))`). Returns a new tensor.
 *
 * @example
 * divide(tensor([0, 13, 25], [3]), 26).data; // Float32Array [0, 0.5, 0.9615384...]
 */
export function divide(t: Tensor, d: number): Tensor {
  if (!isTensor(t)) throw new ShapeError(`divide(): expected a tensor {shape, data}, got ${describe(t)}`);
  if (typeof d !== 'number' || Number.isNaN(d)) throw new ValueError(`divide(): divisor must be a number, got ${describe(d)}`);
  const src = t.data;
  const out = new Float32Array(src.length);
  for (let k = 0; k < src.length; k++) out[k] = Math.fround(src[k] / d);
  return { shape: t.shape.slice(), data: out, ...keepPadded(t, t.shape) };
}

/**
 * Element-wise `x * k` rounded to float32: `Math.fround(x * k)`. Returns a new tensor.
 * To reproduce a division in float32 use {@link divide}: `x * (1/26)` can differ from `x / 26`.
 *
 * @example
 * scale(tensor([1, 2], [2]), 0.5).data; // Float32Array [0.5, 1]
 */
export function scale(t: Tensor, k: number): Tensor {
  if (!isTensor(t)) throw new ShapeError(`scale(): expected a tensor {shape, data}, got ${describe(t)}`);
  if (typeof k !== 'number' || Number.isNaN(k)) throw new ValueError(`scale(): factor must be a number, got ${describe(k)}`);
  const src = t.data;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = Math.fround(src[i] * k);
  return { shape: t.shape.slice(), data: out, ...keepPadded(t, t.shape) };
}
