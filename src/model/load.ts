// loadModel and loadWeights: where a checked file meets the model class.
// The native model format: save() -> { json, weights } -> loadModel(), the one-file container
// (encodeModel/decodeModel), and the browser's IndexedDB and download helpers. Every byte of a
// file is checked before any WASM memory is touched, so a refused file leaves nothing behind.
// File layout and JSON fields: see SavedModelJSON and encodeModel below, and the README.
import { OP_STEP } from '../generated/abi.js';
import { kernels } from '../wasm.js';
import { Sequential } from './sequential.js';
import { restore } from '../io/restore.js';
import type { ModelSource } from '../io/format.js';

/**
 * Restores a model from `model.save()` output or `encodeModel` bytes: architecture, weights,
 * compile settings, Adam's state, the generator and fit's shuffling, so `fit` continues exactly
 * where the saved model stopped (resume with `initialEpoch`, see `FitArgs`). Needs `await ready()`.
 * Refuses, before allocating anything: another format or version (ConfigError), a truncated or
 * corrupted file (ValueError, CRC-32), tensors of the wrong shape (ShapeError).
 *
 * @example
 * const model = loadModel(saved);
 * await model.fit(x, y, { epochs: 10, initialEpoch: 5 }); // epochs 6..10, as if never interrupted
 */
export function loadModel(source: ModelSource): Sequential {
  const c = 'loadModel()';
  kernels(c);
  const r = restore(c, source);
  const model = new Sequential({ layers: r.layers, preset: r.preset, kernels: r.kernels, rng: r.rng }, { weights: r.params, seed: r.seed });
  try {
    if (r.compile) model.compile(r.compile);
    if (r.m && r.v) {
      const a = model.live(c);
      const [m, v] = [a.region('m'), a.region('v')];
      model.plan.slices.forEach((s, i) => {
        m.set(r.m![i], s.offset);
        v.set(r.v![i], s.offset);
      });
      a.opt()[OP_STEP] = r.step;
    }
    model.fitState = r.fit;
    r.states.forEach((hc, l) => hc && model.live(c).setLayerState(l, hc));
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}
