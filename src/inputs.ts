// Turning what users pass to fit/evaluate/predict (nested arrays or {shape, data} tensors) into
// flat float32 data, validated: rank, sizes, raggedness and finiteness, with the failing index named.
import { ShapeError, ValueError } from './errors.js';
import { describe } from './options.js';

/** Anything with a shape and row-major numeric data, such as the Tensor the data utilities return. */
export interface TensorLike {
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
}

/** Inputs: a rank-3 tensor [samples, steps, features] or the same as nested arrays. */
export type InputData = TensorLike | number[][][];
/** Targets: a rank-2 tensor [samples, classes] (one-hot or soft) or the same as nested arrays. */
export type TargetData = TensorLike | number[][];

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
    const data = Float32Array.from(v.data as ArrayLike<number>);
    const bad = data.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) {
      const at: number[] = [];
      let r = bad;
      for (let k = rank - 1; k >= 0; k--) { at.unshift(r % shape[k]); r = Math.floor(r / shape[k]); }
      throw new ValueError(`${caller}: ${arg}${idx(at)} is ${v.data[bad]}; every value must be finite`);
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
      if (typeof node !== 'number' || !Number.isFinite(node)) {
        throw new ValueError(`${caller}: ${arg}${idx(at)} is ${describe(node)}; every value must be a finite number`);
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

/** Validates and flattens model inputs to [N, T, D] float32. `T` null accepts any number of steps. */
export function toInputs(caller: string, x: unknown, T: number | null, D: number): { N: number; T: number; D: number; data: Float32Array } {
  const { shape, data } = flatten(caller, 'x', x, 3);
  const [n, t, d] = shape;
  if (n === 0) throw new ShapeError(`${caller}: x has 0 samples; at least one is needed`);
  if (d !== D) throw new ShapeError(`${caller}: x has ${d} features per step (shape [${shape.join(', ')}]), the model expects ${D}`);
  if (T !== null && t !== T) throw new ShapeError(`${caller}: x has ${t} steps (shape [${shape.join(', ')}]), the model expects ${T}`);
  if (t === 0) throw new ShapeError(`${caller}: x has 0 steps per sample; at least one is needed`);
  return { N: n, T: t, D: d, data };
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
