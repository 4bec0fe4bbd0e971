// Optimizer factories: plain validated configuration, no WebAssembly involved.
import { ConfigError } from './errors.js';
import { checkKeys, numOption, describe } from './options.js';

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

/** THE optimizer map: Keras class name -> factory (compile, saved files, workers). */
export const OPTIMIZERS: Readonly<Record<Optimizer['className'], (args: never) => Optimizer>> = Object.freeze({ Adam: adam, SGD: sgd, RMSprop: rmsprop });

/** The factory of a class name, or undefined (never an Object.prototype member). */
export function optimizerFactory(className: unknown): ((args: never) => Optimizer) | undefined {
  return typeof className === 'string' && Object.hasOwn(OPTIMIZERS, className) ? OPTIMIZERS[className as Optimizer['className']] : undefined;
}

/** An optimizer given as an object, rebuilt through its factory (so a hand-made one gets the same checks); undefined options dropped. */
export function rebuildOptimizer(o: Optimizer): Optimizer {
  const cfg = Object.fromEntries(Object.entries(o.config).filter(([, v]) => v !== undefined && v !== null));
  return optimizerFactory(o.className)!(cfg as never);
}
