// The Masking kind (Keras Masking, first only): its options and factory. It runs in TypeScript:
// inputs.ts's applyMask drops the masked steps before the data reaches WASM, so it has no record.
import { ConfigError, ValueError } from '../errors.js';
import { checkKeys, describe } from '../options.js';
import { checkInputShape, type LayerKind } from './kind.js';

/**
 * Options of `masking`, as Keras's `Masking`.
 *
 * @example
 * const args: MaskingArgs = { maskValue: -1, inputShape: [null, 1] };
 * masking(args);
 */
export interface MaskingArgs {
  /** A step whose features all equal this value is skipped. Default 0. */
  maskValue?: number;
  /** [timesteps, features]; timesteps null accepts any length. */
  inputShape?: [number | null, number];
}

/**
 * What `masking` returns: plain, checked configuration (no weights), passed to `sequential`.
 *
 * @example
 * masking({ maskValue: 0 }).config.maskValue; // 0
 */
export interface MaskingLayer {
  /** Keras's class name, 'Masking'. */
  readonly className: 'Masking';
  /** The checked options, `maskValue` resolved (default 0). */
  readonly config: Readonly<{
    /** A step whose features all equal this value is skipped. */
    maskValue: number;
    /** [timesteps, features] when given; timesteps null accepts any length. */
    inputShape?: [number | null, number];
  }>;
}

/**
 * Keras's `Masking`, placed first: a step whose features all equal `maskValue` is skipped, so the
 * LSTM state carries over it unchanged; leading masked steps leave the state at zero. lstm-wasm
 * skips such steps outright (the same result as Keras, with less work), for pre- and post-padding.
 *
 * @example
 * sequential({ layers: [masking({ maskValue: 0, inputShape: [5, 1] }), lstm({ units: 32 }), dense({ units: 26, activation: 'softmax' })] });
 */
export function masking(args: MaskingArgs = {}): MaskingLayer {
  const c = 'masking()';
  checkKeys(c, args, ['maskValue', 'inputShape']);
  const maskValue = args.maskValue ?? 0;
  if (typeof maskValue !== 'number' || Number.isNaN(maskValue)) throw new ValueError(`${c}: maskValue must be a number, received ${describe(maskValue)}`);
  if (args.inputShape !== undefined) checkInputShape(c, args.inputShape);
  return { className: 'Masking', config: { maskValue, inputShape: args.inputShape ? [...args.inputShape] : undefined } };
}


/** The Masking kind. */
export const MASKING_KIND: LayerKind<MaskingLayer> = {
  className: 'Masking',
  factory: 'masking',
  code: 0,
  recurrent: false,
  takesInput: true,
  make: (config) => masking(config as MaskingArgs),
  inputOf: (l) => (l.config.inputShape ? { shape: [l.config.inputShape[0], l.config.inputShape[1]], batch: null } : null),
  outputShape: (_l, ctx) => ctx.input,
  weights: () => [],
  init: () => [],
  states: () => [],
  record: () => ({ D: 0, F: 0, flags: 0 }),
  scratch: () => [],
  toKeras(l, ctx) {
    const maskValue = l.config.maskValue;
    if (!Number.isFinite(maskValue)) throw new ValueError(`${ctx.at}: the masking layer's maskValue ${maskValue} cannot be written in JSON`);
    return { class_name: 'Masking', config: { name: ctx.name, trainable: true, ...(ctx.first ?? {}), mask_value: maskValue } };
  },
  fromKeras(cfg, ctx) {
    if (cfg.mask_value !== undefined && typeof cfg.mask_value !== 'number') throw new ConfigError(`${ctx.at} has mask_value ${describe(cfg.mask_value)}; expected a number`);
    return { maskValue: (cfg.mask_value ?? 0) as number };
  },
};
