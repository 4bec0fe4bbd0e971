// The layer kinds: THE registry (Keras class name -> kind), and every factory and type, re-exported.
// A new kind is one file in this folder plus one line in REGISTRY.
import { MASKING_KIND, type MaskingLayer } from './masking.js';
import { LSTM_KIND, type LSTMLayer } from './lstm.js';
import { DENSE_KIND, type DenseLayer } from './dense.js';
import type { LayerKind } from './kind.js';
export { lstm, type LSTMArgs, type LSTMLayer } from './lstm.js';
export { dense, DENSE_ACTIVATIONS, type DenseArgs, type DenseLayer, type DenseActivation } from './dense.js';
export { masking, type MaskingArgs, type MaskingLayer } from './masking.js';
export { timeDistributed } from './time-distributed.js';

/**
 * Any layer factory's result: `sequential` takes layers ending in `dense`, e.g. LSTMs then Dense layers, optionally behind `masking`.
 *
 * @example
 * const layers: Layer[] = [masking({ inputShape: [null, 1] }), lstm({ units: 32 }), dense({ units: 26 })];
 */
export type Layer = MaskingLayer | LSTMLayer | DenseLayer;

/** Every layer kind, by Keras class name. */
export const REGISTRY: Readonly<Record<string, LayerKind>> = Object.freeze({
  Masking: MASKING_KIND as unknown as LayerKind,
  LSTM: LSTM_KIND as unknown as LayerKind,
  Dense: DENSE_KIND as unknown as LayerKind,
});

/** The kind of a class name, or undefined (never an Object.prototype member). */
export function kindOf(className: unknown): LayerKind | undefined {
  return typeof className === 'string' && Object.hasOwn(REGISTRY, className) ? REGISTRY[className] : undefined;
}

/** The factories' names, for messages: 'lstm(...), dense(...), masking(...)'. */
export const FACTORY_NAMES = (): string => Object.values(REGISTRY).map((k) => `${k.factory}(...)`).join(', ');
