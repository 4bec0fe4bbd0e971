// Layer and optimizer factories: plain validated configuration, no WebAssembly involved.
import { ConfigError, ShapeError, ValueError } from './errors.js';
import { checkKeys, enumOption, intOption, numOption, describe } from './options.js';
import type { RecurrentActivation } from './presets.js';

/**
 * Options of `lstm`, as Keras's `LSTM` in tfjs casing. Options left out take the model's preset
 * (see `sequential`).
 *
 * @example
 * const args: LSTMArgs = { units: 32, inputShape: [null, 1], recurrentActivation: 'sigmoid' };
 * lstm(args);
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
  /**
   * true: the layer outputs h_t at every step (Keras's `return_sequences`), to feed another `lstm`
   * or, on the last LSTM, a per-step `dense` (Keras's `TimeDistributed(Dense)`). Default false:
   * only h_T.
   */
  returnSequences?: boolean;
  /**
   * true: the last state of sample i of a batch is the initial state of sample i of the next batch
   * (Keras's `stateful`), until `model.resetStates()`. Needs `batchInputShape`; fit then needs
   * `shuffle: false` and every call a multiple of the batch size of samples. Default false.
   */
  stateful?: boolean;
  /**
   * [batch, timesteps, features], as Keras's `batch_input_shape`: the first layer's input shape with
   * a fixed batch size (required by `stateful`; timesteps may be null). Give it or `inputShape`.
   */
  batchInputShape?: [number, number | null, number];
}

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
 * What `lstm` returns: plain, checked configuration (the weights live in the model), passed to `sequential`.
 *
 * @example
 * lstm({ units: 32, inputShape: [5, 1] }).config.units; // 32
 */
export interface LSTMLayer {
  /** Keras's class name, 'LSTM'. */
  readonly className: 'LSTM';
  /** The options as given (checked); those left out take the model's preset. */
  readonly config: Readonly<LSTMArgs>;
}
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
 * Any layer factory's result: `sequential` takes one or more `lstm` then `dense`, optionally behind `masking`.
 *
 * @example
 * const layers: Layer[] = [masking({ inputShape: [null, 1] }), lstm({ units: 32 }), dense({ units: 26 })];
 */
export type Layer = MaskingLayer | LSTMLayer | DenseLayer;

const LSTM_KEYS = ['units', 'inputShape', 'recurrentActivation', 'activation', 'unitForgetBias', 'kernelInitializer', 'recurrentInitializer', 'returnSequences', 'stateful', 'batchInputShape'] as const;

/**
 * An LSTM layer (Keras `LSTM`): gates ordered i, f, c, o; returns h_T, or h_1..h_T with
 * `returnSequences`. Layers stack: every LSTM but the last needs `returnSequences: true`.
 *
 * @example
 * lstm({ units: 32, inputShape: [5, 1], recurrentActivation: 'hardSigmoid' })
 * lstm({ units: 50, stateful: true, batchInputShape: [1, 1, 1] })
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
  for (const key of ['unitForgetBias', 'returnSequences', 'stateful'] as const) {
    if (args[key] !== undefined && typeof args[key] !== 'boolean') throw new ConfigError(`${c}: ${key} must be a boolean, received ${describe(args[key])}`);
  }
  const b = args.batchInputShape;
  if (b !== undefined) {
    if (!Array.isArray(b) || b.length !== 3) throw new ShapeError(`${c}: batchInputShape must be [batch, timesteps, features], received ${describe(b)}`);
    intOption(c, 'batchInputShape[0] (batch)', b[0], 1, 1 << 16);
    checkInputShape(c, [b[1], b[2]]);
    if (args.inputShape !== undefined) throw new ConfigError(`${c}: give inputShape or batchInputShape, not both`);
  }
  const config: LSTMArgs = { ...args, inputShape: args.inputShape ? [...args.inputShape] : undefined };
  if (b !== undefined) config.batchInputShape = [b[0], b[1], b[2]];
  return { className: 'LSTM', config };
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

/**
 * Keras 2's gradient clipping, accepted by every optimizer; give at most one.
 *
 * @example
 * adam({ clipnorm: 1 });
 * sgd({ learningRate: 0.1, clipvalue: 0.5 });
 */
export interface ClipArgs {
  /** Each weight tensor's gradient g becomes g·clipnorm/max(‖g‖, clipnorm) (tf.clip_by_norm), before the update. */
  clipnorm?: number;
  /** Each gradient element is clipped to [-clipvalue, clipvalue], before the update. */
  clipvalue?: number;
}

/**
 * Options of `adam`, as Keras's `Adam`; `epsilon` defaults to the model's preset (1e-8 in Keras 2,
 * 1e-7 in Keras 3).
 *
 * @example
 * const args: AdamArgs = { learningRate: 0.01, beta1: 0.9, beta2: 0.999 };
 * model.compile({ loss: 'categoricalCrossentropy', optimizer: adam(args) });
 */
export interface AdamArgs extends ClipArgs {
  /** Step size lr. Default 0.001. */
  learningRate?: number;
  /** Decay β1 of the first-moment mean m, in [0, 1). Default 0.9. */
  beta1?: number;
  /** Decay β2 of the second-moment mean v, in [0, 1). Default 0.999. */
  beta2?: number;
  /** ε̂ of Keras's form θ -= lr_t·m/(√v + ε̂). */
  epsilon?: number;
}

/**
 * The clipping options as resolved (present only when given).
 *
 * @example
 * adam({ clipnorm: 1 }).config.clipnorm; // 1
 */
export type ClipConfig = {
  /** As `ClipArgs.clipnorm`. */
  clipnorm?: number;
  /** As `ClipArgs.clipvalue`. */
  clipvalue?: number;
};

/**
 * What `adam` returns: the resolved options, passed to `compile`.
 *
 * @example
 * adam().config; // { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: undefined }
 */
export interface AdamOptimizer {
  /** Keras's class name, 'Adam'. */
  readonly className: 'Adam';
  /** Every option with its default filled in, plus any clipping. */
  readonly config: Readonly<{
    /** Step size lr. */
    learningRate: number;
    /** First-moment decay β1. */
    beta1: number;
    /** Second-moment decay β2. */
    beta2: number;
    /** ε̂, or undefined to take the model's preset. */
    epsilon: number | undefined;
  } & ClipConfig>;
}

/**
 * Options of `sgd`, as Keras's `SGD`.
 *
 * @example
 * const args: SGDArgs = { learningRate: 0.1, momentum: 0.9, nesterov: true };
 * model.compile({ loss: 'mse', optimizer: sgd(args) });
 */
export interface SGDArgs extends ClipArgs {
  /** Default 0.01. */
  learningRate?: number;
  /** μ in [0, 1); default 0 (plain gradient descent). */
  momentum?: number;
  /** Nesterov momentum (needs momentum > 0 to matter); default false. */
  nesterov?: boolean;
}

/**
 * What `sgd` returns: the resolved options, passed to `compile`.
 *
 * @example
 * sgd().config; // { learningRate: 0.01, momentum: 0, nesterov: false }
 */
export interface SGDOptimizer {
  /** Keras's class name, 'SGD'. */
  readonly className: 'SGD';
  /** Every option with its default filled in, plus any clipping. */
  readonly config: Readonly<{
    /** Step size lr. */
    learningRate: number;
    /** Momentum μ (0: plain gradient descent). */
    momentum: number;
    /** Nesterov momentum. */
    nesterov: boolean;
  } & ClipConfig>;
}

/**
 * Options of `rmsprop`, as Keras's `RMSprop`.
 *
 * @example
 * const args: RMSpropArgs = { learningRate: 0.001, rho: 0.9 };
 * model.compile({ loss: 'categoricalCrossentropy', optimizer: rmsprop(args) });
 */
export interface RMSpropArgs extends ClipArgs {
  /** Default 0.001. */
  learningRate?: number;
  /** Decay ρ of the mean square, in [0, 1); default 0.9. */
  rho?: number;
  /** ε; defaults to the model's preset (1e-8 in Keras 2, 1e-7 in Keras 3). */
  epsilon?: number;
  /** Keras 3 only (preset 'keras3'): μ in [0, 1), default 0. */
  momentum?: number;
  /** Keras 3 only (preset 'keras3'): divide by the centered second moment v - m²; default false. Not with momentum. */
  centered?: boolean;
}

/**
 * What `rmsprop` returns: the resolved options, passed to `compile`.
 *
 * @example
 * rmsprop().config; // { learningRate: 0.001, rho: 0.9, epsilon: undefined, momentum: 0, centered: false }
 */
export interface RMSpropOptimizer {
  /** Keras's class name, 'RMSprop'. */
  readonly className: 'RMSprop';
  /** Every option with its default filled in, plus any clipping. */
  readonly config: Readonly<{
    /** Step size lr. */
    learningRate: number;
    /** Decay ρ of the mean square. */
    rho: number;
    /** ε, or undefined to take the model's preset. */
    epsilon: number | undefined;
    /** Momentum μ (keras3 preset only; 0: none). */
    momentum: number;
    /** Centered second moment (keras3 preset only). */
    centered: boolean;
  } & ClipConfig>;
}

/**
 * Any optimizer factory's result: what `compile`'s `optimizer` takes besides a name.
 *
 * @example
 * const optimizer: Optimizer = useSgd ? sgd({ learningRate: 0.1 }) : adam();
 * model.compile({ loss: 'categoricalCrossentropy', optimizer });
 */
export type Optimizer = AdamOptimizer | SGDOptimizer | RMSpropOptimizer;

const CLIP_KEYS = ['clipnorm', 'clipvalue'] as const;

function clipOptions(c: string, args: ClipArgs): ClipConfig {
  const out: ClipConfig = {};
  if (args.clipnorm !== undefined) out.clipnorm = numOption(c, 'clipnorm', args.clipnorm, 0, Infinity);
  if (args.clipvalue !== undefined) out.clipvalue = numOption(c, 'clipvalue', args.clipvalue, 0, Infinity);
  if (out.clipnorm !== undefined && out.clipvalue !== undefined) {
    throw new ConfigError(`${c}: give clipnorm or clipvalue, not both (as Keras 3; their order would matter)`);
  }
  return out;
}

function boolOption(c: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new ConfigError(`${c}: ${name} must be a boolean, received ${describe(v)}`);
  return v;
}

/**
 * Adam in Keras's form: lr_t = lr·√(1-β2^t)/(1-β1^t); θ -= lr_t·m/(√v + ε̂).
 *
 * @example
 * model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 0.001 }) });
 */
export function adam(args: AdamArgs = {}): AdamOptimizer {
  const c = 'adam()';
  checkKeys(c, args, ['learningRate', 'beta1', 'beta2', 'epsilon', ...CLIP_KEYS]);
  const learningRate = args.learningRate === undefined ? 0.001 : numOption(c, 'learningRate', args.learningRate, 0, Infinity);
  const beta1 = args.beta1 === undefined ? 0.9 : numOption(c, 'beta1', args.beta1, 0, 1, true);
  const beta2 = args.beta2 === undefined ? 0.999 : numOption(c, 'beta2', args.beta2, 0, 1, true);
  if (beta1 === 1 || beta2 === 1) throw new ConfigError(`${c}: beta1 and beta2 must be below 1 (lr_t divides by 1-β^t)`);
  const epsilon = args.epsilon === undefined ? undefined : numOption(c, 'epsilon', args.epsilon, 0, Infinity);
  return { className: 'Adam', config: { learningRate, beta1, beta2, epsilon, ...clipOptions(c, args) } };
}

/**
 * Stochastic gradient descent in Keras's form (tf.keras 2.x and Keras 3 `SGD`):
 * m = μ·m - lr·g; θ += m (nesterov: θ += μ·m - lr·g); with μ = 0, θ -= lr·g.
 *
 * @example
 * model.compile({ loss: 'categoricalCrossentropy', optimizer: sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true }) });
 */
export function sgd(args: SGDArgs = {}): SGDOptimizer {
  const c = 'sgd()';
  checkKeys(c, args, ['learningRate', 'momentum', 'nesterov', ...CLIP_KEYS]);
  const learningRate = args.learningRate === undefined ? 0.01 : numOption(c, 'learningRate', args.learningRate, 0, Infinity);
  const momentum = args.momentum === undefined ? 0 : numOption(c, 'momentum', args.momentum, 0, 1, true);
  if (momentum === 1) throw new ConfigError(`${c}: momentum must be below 1`);
  const nesterov = args.nesterov === undefined ? false : boolOption(c, 'nesterov', args.nesterov);
  return { className: 'SGD', config: { learningRate, momentum, nesterov, ...clipOptions(c, args) } };
}

/**
 * RMSprop in Keras's form: v = ρ·v + (1-ρ)·g². Under preset 'keras2' (Keras 2.0):
 * θ -= lr·g/(√v + ε). Under 'keras3' (Keras 3, tf.keras 2.11+, tfjs): θ -= lr·g/√(v + ε), with
 * optional momentum (m = μ·m + lr·g/√(v + ε); θ -= m) or centered (v - ḡ² in place of v).
 *
 * @example
 * model.compile({ loss: 'categoricalCrossentropy', optimizer: rmsprop({ learningRate: 0.001, rho: 0.9 }) });
 */
export function rmsprop(args: RMSpropArgs = {}): RMSpropOptimizer {
  const c = 'rmsprop()';
  checkKeys(c, args, ['learningRate', 'rho', 'epsilon', 'momentum', 'centered', ...CLIP_KEYS]);
  const learningRate = args.learningRate === undefined ? 0.001 : numOption(c, 'learningRate', args.learningRate, 0, Infinity);
  const rho = args.rho === undefined ? 0.9 : numOption(c, 'rho', args.rho, 0, 1, true);
  if (rho === 1) throw new ConfigError(`${c}: rho must be below 1`);
  const epsilon = args.epsilon === undefined ? undefined : numOption(c, 'epsilon', args.epsilon, 0, Infinity);
  const momentum = args.momentum === undefined ? 0 : numOption(c, 'momentum', args.momentum, 0, 1, true);
  if (momentum === 1) throw new ConfigError(`${c}: momentum must be below 1`);
  const centered = args.centered === undefined ? false : boolOption(c, 'centered', args.centered);
  if (centered && momentum > 0) throw new ConfigError(`${c}: centered with momentum is not supported (each needs its own state; lstm-wasm keeps one)`);
  return { className: 'RMSprop', config: { learningRate, rho, epsilon, momentum, centered, ...clipOptions(c, args) } };
}
