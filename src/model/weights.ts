// Weights given by users (setWeights, the importers, loadWeights): checked in full against the
// size table before any is written, so a refused call changes nothing.
import { ShapeError, ValueError } from '../errors.js';
import { describe } from '../options.js';
import { isTensorLike } from '../inputs.js';
import type { Tensor } from '../tensor.js';
import { describePlan, type ParamSlice } from '../plan.js';
import { restore } from '../io/restore.js';
import type { ModelSource } from '../io/format.js';
import type { ModelState } from './state.js';

/** Checks `weights` against the slices (count, shapes, sizes, finite numbers); returns float32 copies. */
export function checkWeights(c: string, slices: ParamSlice[], weights: Array<Tensor | Float32Array | number[]>): Float32Array[] {
  if (!Array.isArray(weights) || weights.length !== slices.length) {
    throw new ShapeError(`${c}: expected ${slices.length} weight tensors (${slices.map((s) => s.name).join(', ')}), received ${describe(weights)}`);
  }
  return slices.map((s, i) => {
    const w = weights[i];
    let data: ArrayLike<number>;
    if (isTensorLike(w)) {
      if (w.shape.length !== s.shape.length || w.shape.some((d, j) => d !== s.shape[j])) {
        throw new ShapeError(`${c}: weights[${i}] (${s.name}) has shape [${w.shape.join(', ')}], expected [${s.shape.join(', ')}]`);
      }
      data = w.data;
    } else if (w instanceof Float32Array || Array.isArray(w)) data = w;
    else throw new ShapeError(`${c}: weights[${i}] (${s.name}) must be a tensor, Float32Array or number[], received ${describe(w)}`);
    if (data.length !== s.size) throw new ShapeError(`${c}: weights[${i}] (${s.name}) has ${data.length} values, expected ${s.size} (shape [${s.shape.join(', ')}])`);
    if (!(data instanceof Float32Array)) {
      const j = Array.prototype.findIndex.call(data, (v: unknown) => typeof v !== 'number');
      if (j >= 0) throw new ValueError(`${c}: weights[${i}] (${s.name}) has ${describe(data[j])} at flat index ${j}; weights must be numbers`);
    }
    const out = Float32Array.from(data);
    const bad = out.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new ValueError(`${c}: weights[${i}] (${s.name}) has ${data[bad]} at flat index ${bad}; weights must be finite`);
    return out;
  });
}

/** @internal The body of `Sequential.loadWeights`. */
export function loadWeightsInto(model: ModelState, source: ModelSource): void {
  const c = 'loadWeights()';
  model.idle(c);
  const r = restore(c, source);
  const mine = model.plan;
  const same = r.plan.slices.length === mine.slices.length &&
    r.plan.slices.every((s, i) => s.name === mine.slices[i].name && s.shape.join() === mine.slices[i].shape.join());
  if (!same) {
    const lstmUnits = (p: typeof mine) => p.layers.filter((l) => l.kind.className === 'LSTM').map((l) => (l.layer.config as { units: number }).units).join(', ');
    throw new ShapeError(`${c}: wrong shape: the file holds a model with D=${r.D} features, LSTM units [${lstmUnits(r.plan)}], V=${r.V} classes; ` +
      `this model has D=${mine.D}, LSTM units [${lstmUnits(mine)}], V=${mine.V} (the file: ${describePlan(r.plan)}; this model: ${describePlan(mine)})`);
  }
  model.writeParams(r.params);
}
