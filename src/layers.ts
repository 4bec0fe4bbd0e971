// Layer and optimizer factories: plain validated configuration, no WebAssembly involved.
import { ConfigError, ShapeError, ValueError } from './errors.js';
import { checkKeys, enumOption, intOption, numOption, describe } from './options.js';
import type { RecurrentActivation } from './presets.js';

/**
 * Options of `lstm`, as Keras's `LSTM` in tfjs casing. Options left out take the model's preset
 * (see `sequential`).
 */
export interface LSTMArgs {
  /** Number of units H. */
  units: number;
  /** [timesteps, features] of one sample, as Keras's `input_shape`; timesteps null accepts any length. */
  inputShape?: [number | null, number];
  /** Gate activation: 'hardSigmoid' (Keras 2, clip(0.2x+0.5, 0, 1)) or 'sigmoid' (Keras 3). */
  recurrentActivation?: RecurrentActivation;
  /** Cell and output activation; only 'tanh', as Keras's default. */
  activation?: 'tanh';
  /** Forget-gate bias initialised to 1 (Keras's `unit_forget_bias`, default true). */
  unitForgetBias?: boolean;
  /** Only 'glorotUniform' (Keras's default). */
  kernelInitializer?: 'glorotUniform';
  /** Only 'orthogonal' (Keras's default); SVD or QR per the preset. */
  recurrentInitializer?: 'orthogonal';
  /** Only false for now: the layer returns its last output h_T. */
  returnSequences?: false;
}

/** Options of `dense`, as Keras's `Dense`. */
export interface DenseArgs {
  /** Number of output units V. */
  units: number;
  /** Only 'softmax' for now. */
  activation?: 'softmax';
}

/** Options of `masking`, as Keras's `Masking`. */
export interface MaskingArgs {
  /** A step whose features all equal this value is skipped. Default 0. */
  maskValue?: number;
  /** [timesteps, features]; timesteps null accepts any length. */
  inputShape?: [number | null, number];
}

export interface MaskingLayer { readonly className: 'Masking'; readonly config: Readonly<{ maskValue: number; inputShape?: [number | null, number] }> }
export interface LSTMLayer { readonly className: 'LSTM'; readonly config: Readonly<LSTMArgs> }
export interface DenseLayer { readonly className: 'Dense'; readonly config: Readonly<DenseArgs> }
export type Layer = MaskingLayer | LSTMLayer | DenseLayer;

const LSTM_KEYS = ['units', 'inputShape', 'recurrentActivation', 'activation', 'unitForgetBias', 'kernelInitializer', 'recurrentInitializer', 'returnSequences'] as const;

/**
 * An LSTM layer (Keras `LSTM`): gates ordered i, f, c, o; returns h_T.
 *
 * @example
 * lstm({ units: 32, inputShape: [5, 1], recurrentActivation: 'hardSigmoid' })
 */
export function lstm(args: LSTMArgs): LSTMLayer {
  const c = 'lstm()';
  if (args === undefined) throw new ConfigError(`${c}: options with at least 'units' are required`);
  checkKeys(c, args, LSTM_KEYS);
  intOption(c, 'units', args.units, 1, 4096);
  if (args.inputShape !== undefined) {
    const s = args.inputShape;
    if (!Array.isArray(s) || s.length !== 2) {
      throw new ShapeError(`${c}: inputShape must be [timesteps, features], received ${describe(s)}`);
    }
    checkInputShape(c, s);
  }
  if (args.recurrentActivation !== undefined) enumOption(c, 'recurrentActivation', args.recurrentActivation, ['sigmoid', 'hardSigmoid'] as const);
  if (args.activation !== undefined) enumOption(c, 'activation', args.activation, ['tanh'] as const);
  if (args.kernelInitializer !== undefined) enumOption(c, 'kernelInitializer', args.kernelInitializer, ['glorotUniform'] as const);
  if (args.recurrentInitializer !== undefined) enumOption(c, 'recurrentInitializer', args.recurrentInitializer, ['orthogonal'] as const);
  if (args.unitForgetBias !== undefined && typeof args.unitForgetBias !== 'boolean') {
    throw new ConfigError(`${c}: unitForgetBias must be a boolean, received ${describe(args.unitForgetBias)}`);
  }
  if (args.returnSequences !== undefined && args.returnSequences !== false) {
    throw new ConfigError(`${c}: returnSequences: ${describe(args.returnSequences)} is not supported yet; the layer returns h_T`);
  }
  return { className: 'LSTM', config: { ...args, inputShape: args.inputShape ? [...args.inputShape] : undefined } };
}

function checkInputShape(c: string, s: unknown): void {
  if (!Array.isArray(s) || s.length !== 2) throw new ShapeError(`${c}: inputShape must be [timesteps, features], received ${describe(s)}`);
  if (s[0] !== null) intOption(c, 'inputShape[0] (timesteps)', s[0], 1, 1 << 20);
  intOption(c, 'inputShape[1] (features)', s[1], 1, 1 << 16);
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

/**
 * A fully connected output layer (Keras `Dense`).
 *
 * @example
 * dense({ units: 26, activation: 'softmax' })
 */
export function dense(args: DenseArgs): DenseLayer {
  const c = 'dense()';
  if (args === undefined) throw new ConfigError(`${c}: options with at least 'units' are required`);
  checkKeys(c, args, ['units', 'activation']);
  intOption(c, 'units', args.units, 1, 1 << 16);
  if (args.activation !== undefined) enumOption(c, 'activation', args.activation, ['softmax'] as const);
  return { className: 'Dense', config: { ...args } };
}

/** Options of `adam`; `epsilon` defaults to the model's preset (1e-8 in Keras 2, 1e-7 in Keras 3). */
export interface AdamArgs {
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  /** ε̂ of Keras's form θ -= lr_t·m/(√v + ε̂). */
  epsilon?: number;
}

export interface AdamOptimizer {
  readonly className: 'Adam';
  readonly config: Readonly<{ learningRate: number; beta1: number; beta2: number; epsilon: number | undefined }>;
}

/**
 * Adam in Keras's form: lr_t = lr·√(1-β2^t)/(1-β1^t); θ -= lr_t·m/(√v + ε̂).
 *
 * @example
 * model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 0.001 }) });
 */
export function adam(args: AdamArgs = {}): AdamOptimizer {
  const c = 'adam()';
  checkKeys(c, args, ['learningRate', 'beta1', 'beta2', 'epsilon']);
  const learningRate = args.learningRate === undefined ? 0.001 : numOption(c, 'learningRate', args.learningRate, 0, Infinity);
  const beta1 = args.beta1 === undefined ? 0.9 : numOption(c, 'beta1', args.beta1, 0, 1, true);
  const beta2 = args.beta2 === undefined ? 0.999 : numOption(c, 'beta2', args.beta2, 0, 1, true);
  if (beta1 === 1 || beta2 === 1) throw new ConfigError(`${c}: beta1 and beta2 must be below 1 (lr_t divides by 1-β^t)`);
  const epsilon = args.epsilon === undefined ? undefined : numOption(c, 'epsilon', args.epsilon, 0, Infinity);
  return { className: 'Adam', config: { learningRate, beta1, beta2, epsilon } };
}
