// TimeDistributed(Dense): spelled the Keras way, the same dense on every step.
import { ConfigError } from '../errors.js';
import { describe } from '../options.js';
import { dense, type DenseLayer } from './dense.js';

/**
 * Keras's `TimeDistributed(Dense(...))`: the same `dense` applied to every step's output of a
 * `returnSequences` LSTM. A `dense` after such an LSTM already does this (as Keras 2.2+'s Dense on
 * 3-D input); this wrapper only spells it the Keras way.
 *
 * @example
 * sequential({ layers: [lstm({ units: 16, returnSequences: true, inputShape: [10, 1] }), timeDistributed(dense({ units: 1, activation: 'linear' }))] });
 */
export function timeDistributed(layer: DenseLayer): DenseLayer {
  if (layer === null || typeof layer !== 'object' || layer.className !== 'Dense') {
    throw new ConfigError(`timeDistributed(): wraps a dense(...) layer, received ${describe(layer)}`);
  }
  return dense(layer.config);
}
