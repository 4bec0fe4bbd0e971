// The layer kinds: every factory and type, re-exported.
import type { MaskingLayer } from './masking.js';
import type { LSTMLayer } from './lstm.js';
import type { DenseLayer } from './dense.js';
export { lstm, type LSTMArgs, type LSTMLayer } from './lstm.js';
export { dense, DENSE_ACTIVATIONS, type DenseArgs, type DenseLayer, type DenseActivation } from './dense.js';
export { masking, type MaskingArgs, type MaskingLayer } from './masking.js';
export { timeDistributed } from './time-distributed.js';

/**
 * Any layer factory's result: `sequential` takes one or more `lstm` then `dense`, optionally behind `masking`.
 *
 * @example
 * const layers: Layer[] = [masking({ inputShape: [null, 1] }), lstm({ units: 32 }), dense({ units: 26 })];
 */
export type Layer = MaskingLayer | LSTMLayer | DenseLayer;
