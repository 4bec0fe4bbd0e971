// The Dense kind (Keras Dense, on one row per sample or, after a layer that returns sequences, on
// every step): options and factory, shapes, weights, its record for assembly/layers/dense.ts, and
// its Keras config. Any number of Dense layers may follow each other.
import { ConfigError } from '../errors.js';
import { checkKeys, enumOption, intOption } from '../options.js';
import { glorotUniform, initializerRng } from '../random.js';
import { KIND_DENSE, FL_SEQ_IN, FL_SEQ_OUT, ACT_SOFTMAX, ACT_LINEAR, ACT_SIGMOID, ACT_TANH, ACT_RELU } from '../generated/abi.js';
import { featuresOf, isSeq, refuseKeras, glorotUniformJSON, zerosJSON, NO_REGULARIZERS, isNullish, type LayerKind } from './kind.js';

/**
 * Options of `dense`, as Keras's `Dense`.
 *
 * @example
 * const args: DenseArgs = { units: 26, activation: 'softmax' };
 * dense(args);
 */
export interface DenseArgs {
  /** Number of output units V. */
  units: number;
  /**
   * 'softmax', 'linear', 'sigmoid', 'tanh' or 'relu'. Left out: 'softmax' (lstm-wasm's default
   * since 0.1, kept so existing code and saved models keep their meaning; Keras's is 'linear').
   */
  activation?: DenseActivation;
}

/**
 * The output activations of `dense`.
 *
 * @example
 * const activation: DenseActivation = 'sigmoid';
 * dense({ units: 1, activation });
 */
export type DenseActivation = 'softmax' | 'linear' | 'sigmoid' | 'tanh' | 'relu';
export const DENSE_ACTIVATIONS: readonly DenseActivation[] = ['softmax', 'linear', 'sigmoid', 'tanh', 'relu'];

/**
 * What `dense` returns: plain, checked configuration (the weights live in the model), passed to `sequential`.
 *
 * @example
 * dense({ units: 26, activation: 'softmax' }).className; // 'Dense'
 */
export interface DenseLayer {
  /** Keras's class name, 'Dense'. */
  readonly className: 'Dense';
  /** The options as given (checked); a left-out activation means 'softmax'. */
  readonly config: Readonly<DenseArgs>;
}

/**
 * A fully connected output layer (Keras `Dense`): p = activation(h·K + b).
 *
 * @example
 * dense({ units: 26, activation: 'softmax' }) // classes
 * dense({ units: 1, activation: 'linear' })   // regression
 * dense({ units: 1, activation: 'sigmoid' })  // binary
 */
export function dense(args: DenseArgs): DenseLayer {
  const c = 'dense()';
  if (args === undefined) throw new ConfigError(`${c}: options with at least 'units' are required`);
  checkKeys(c, args, ['units', 'activation']);
  intOption(c, 'units', args.units, 1, 1 << 16);
  if (args.activation !== undefined) enumOption(c, 'activation', args.activation, DENSE_ACTIVATIONS);
  return { className: 'Dense', config: { ...args } };
}


/** Dense activation -> ACT_* of abi.ts. */
export const DENSE_ACT: Readonly<Record<DenseActivation, number>> = {
  softmax: ACT_SOFTMAX, linear: ACT_LINEAR, sigmoid: ACT_SIGMOID, tanh: ACT_TANH, relu: ACT_RELU,
};

/** The activation a Dense layer applies: its own, or the 0.x default 'softmax'. */
export const denseActivation = (l: DenseLayer): DenseActivation => l.config.activation ?? 'softmax';

/** The Dense kind. */
export const DENSE_KIND: LayerKind<DenseLayer> = {
  className: 'Dense',
  factory: 'dense',
  code: KIND_DENSE,
  recurrent: false,
  takesInput: false,
  make: (config) => dense(config as DenseArgs),
  inputOf: () => null,
  outputShape: (l, ctx) => (isSeq(ctx.input) ? [ctx.input[0], l.config.units] : [l.config.units]),
  weights: (l, ctx) => [{ name: 'kernel', shape: [featuresOf(ctx.input), l.config.units] }, { name: 'bias', shape: [l.config.units] }],
  // Keras 2.0's draw order: a seed for the kernel's own generator; the bias is zeros.
  init: (l, ctx, rng) => [glorotUniform(initializerRng(rng), featuresOf(ctx.input), l.config.units), new Float32Array(l.config.units)],
  states: () => [],
  record(l, ctx) {
    const seq = isSeq(ctx.input);
    return { D: featuresOf(ctx.input), F: l.config.units, flags: seq ? FL_SEQ_IN | FL_SEQ_OUT : 0, act: DENSE_ACT[denseActivation(l)] };
  },
  // K0 Z (rows, F): one row per step on sequences
  scratch: (l, ctx, B, R) => [(isSeq(ctx.input) ? R : B) * l.config.units],
  toKeras: (l, ctx) => ({
    class_name: 'Dense',
    config: {
      name: ctx.name, trainable: true, ...(ctx.first ?? {}), units: l.config.units, activation: denseActivation(l), use_bias: true,
      kernel_initializer: glorotUniformJSON(), bias_initializer: zerosJSON(),
      kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null,
    },
  }),
  fromKeras(cfg, ctx) {
    for (const k of NO_REGULARIZERS) refuseKeras(ctx, cfg, k, isNullish, 'lstm-wasm has no regularizers or constraints');
    refuseKeras(ctx, cfg, 'activation', (v) => (DENSE_ACTIVATIONS as readonly unknown[]).includes(v), `lstm-wasm supports ${DENSE_ACTIVATIONS.join(', ')}`);
    refuseKeras(ctx, cfg, 'use_bias', (v) => v === true, 'lstm-wasm Dense layers have a bias');
    // Keras and tfjs read a missing activation as linear (lstm-wasm's own default is softmax)
    return { units: cfg.units as number, activation: (cfg.activation ?? 'linear') as DenseActivation };
  },
};
