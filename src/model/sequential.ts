// The model: sequential([masking?, lstm, ..., lstm, dense]) over one arena in WASM memory; compile, evaluate, predict,
// getWeights/setWeights. The training loop lives in fit.ts.
import { ConfigError, ShapeError, StateError, ValueError } from '../errors.js';
import { checkKeys, describe, enumOption, intOption } from '../options.js';
import { DEFAULT_PRESET, PRESETS, type Preset, type PresetName } from '../presets.js';
import { lstm, dense, masking, type Layer, type LSTMLayer, type DenseLayer, type MaskingLayer } from '../layers/index.js';
import { adam, sgd, rmsprop, type Optimizer } from '../optimizers.js';
import { createRng, glorotUniform, initializerRng, lstmBias, orthogonal, type Rng } from '../random.js';
import { DataBlock, M, ModelArena, OPT_KIND, STATS } from '../layout.js';
import { alloc, f32, f64, free, i32, kernels, requireBytes } from '../wasm.js';
import { applyMask, toSequences, toTargets, toLabels, toSeqTargets, isTensorLike, type InputData, type SequenceArgs, type TargetData } from '../inputs.js';
import type { Tensor } from '../tensor.js';
import type { TensorLike } from '../inputs.js';
import type { History } from '../callbacks.js';
import { runFit, type FitArgs } from '../fit/fit.js';
import { saveModel, type ModelSource, type SaveArgs, type SavedModel } from '../io/format.js';
import { loadWeightsInto } from './load.js';

/**
 * A weight tensor with its Keras name (`lstm/kernel`, ...), as `getWeights` returns it.
 *
 * @example
 * const [kernel] = model.getWeights();
 * kernel.name;  // 'lstm/kernel'
 * kernel.shape; // [D, 4 * H]
 */
export interface NamedTensor extends Tensor {
  /** The Keras weight name: `lstm/kernel`, `lstm/recurrent_kernel`, `lstm/bias` (`lstm_1/...` for a second LSTM, ...), `dense/kernel` or `dense/bias`. */
  readonly name: string;
}

/**
 * Options of `sequential`.
 *
 * @example
 * const args: SequentialArgs = {
 *   seed: 7, rng: 'numpy', preset: 'keras2',
 *   layers: [lstm({ units: 32, inputShape: [5, 1] }), dense({ units: 26, activation: 'softmax' })],
 * };
 * const model = sequential(args);
 */
export interface SequentialArgs {
  /** One or more `lstm(...)` (each but the last with `returnSequences: true`) then `dense(...)`, optionally with `masking(...)` first. */
  layers: Layer[];
  /** Seed of the model's generator: initialisation and fit's shuffling. Default 0. */
  seed?: number;
  /** 'seedrandom' (default), 'numpy' (numpy's legacy MT19937 stream), or a generator to keep consuming. */
  rng?: 'seedrandom' | 'numpy' | Rng;
  /** Semantics preset for every option left out: 'keras2' (default, the seed listing) or 'keras3'. */
  preset?: PresetName;
  /** 'simd' (default) or 'scalar': the scalar twins of every kernel, for comparison and benchmarks. */
  kernels?: 'simd' | 'scalar';
}

/**
 * The losses `compile` accepts (camelCase, Keras's snake_case, and 'mse'/'mae').
 *
 * @example
 * const loss: LossName = 'sparse_categorical_crossentropy'; // same as 'sparseCategoricalCrossentropy'
 */
export type LossName =
  | 'categoricalCrossentropy' | 'categorical_crossentropy'
  | 'sparseCategoricalCrossentropy' | 'sparse_categorical_crossentropy'
  | 'binaryCrossentropy' | 'binary_crossentropy'
  | 'meanSquaredError' | 'mean_squared_error' | 'mse'
  | 'meanAbsoluteError' | 'mean_absolute_error' | 'mae';

// Loss name -> descriptor code (train.ts slot 40).
export const LOSSES: Readonly<Record<LossName, number>> = {
  categoricalCrossentropy: 0, categorical_crossentropy: 0,
  sparseCategoricalCrossentropy: 1, sparse_categorical_crossentropy: 1,
  binaryCrossentropy: 2, binary_crossentropy: 2,
  meanSquaredError: 3, mean_squared_error: 3, mse: 3,
  meanAbsoluteError: 4, mean_absolute_error: 4, mae: 4,
};
// Dense activation -> descriptor code (train.ts slot 39).
const HEADS = { softmax: 0, linear: 1, sigmoid: 2, tanh: 3, relu: 4 } as const;

/**
 * The metrics `compile` accepts.
 *
 * @example
 * model.compile({ loss: 'mse', metrics: ['mae'] });
 */
export type MetricName = 'accuracy' | 'acc' | 'mae' | 'mse' | 'mean_absolute_error' | 'mean_squared_error';
// Metric name -> its sum's index in the stats block, and its Keras 2.0 log key.
const METRICS: Record<MetricName, [number, string]> = {
  accuracy: [1, 'acc'], acc: [1, 'acc'],
  mae: [3, 'mean_absolute_error'], mean_absolute_error: [3, 'mean_absolute_error'],
  mse: [4, 'mean_squared_error'], mean_squared_error: [4, 'mean_squared_error'],
};
export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];

/**
 * Options of `compile`.
 *
 * @example
 * const args: CompileArgs = { loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 0.01 }), metrics: ['accuracy'] };
 * model.compile(args);
 */
export interface CompileArgs {
  /**
   * 'categoricalCrossentropy' (one-hot targets, softmax head), 'sparseCategoricalCrossentropy'
   * (integer labels, softmax head), 'binaryCrossentropy' (sigmoid head), 'meanSquaredError' or
   * 'meanAbsoluteError' (any head); Keras's snake_case names and 'mse'/'mae' also work.
   */
  loss: LossName;
  /** `adam(...)`, `sgd(...)`, `rmsprop(...)`, or their names 'adam', 'sgd', 'rmsprop' (defaults). */
  optimizer?: Optimizer | 'adam' | 'sgd' | 'rmsprop';
  /**
   * Any of 'accuracy' (alias 'acc'; binary, categorical or sparse categorical as Keras resolves it
   * from the loss and the output units), 'mae', 'mse' (aliases 'mean_absolute_error',
   * 'mean_squared_error'; not with the sparse loss).
   */
  metrics?: MetricName[];
}

/**
 * Options of `evaluate`, as Keras's; `lengths`/`padding` give padded tensors' real lengths (see `SequenceArgs`).
 *
 * @example
 * const [loss, acc] = model.evaluate(x, y, { batchSize: 32, verbose: 0 });
 */
export interface EvaluateArgs extends SequenceArgs {
  /** Accepted as Keras's (a positive integer); the result does not depend on it: all samples run in one pass. */
  batchSize?: number;
  /** Accepted as Keras's (0 or 1); `evaluate` prints nothing either way. */
  verbose?: 0 | 1;
}

/**
 * Options of `predict`, as Keras's; `lengths`/`padding` give padded tensors' real lengths (see `SequenceArgs`).
 *
 * @example
 * const probs = model.predict(padded, { lengths: [3, 5], padding: 'pre' });
 */
export interface PredictArgs extends SequenceArgs {
  /** Accepted as Keras's (a positive integer); the result does not depend on it: all samples run in one pass. */
  batchSize?: number;
}

/**
 * Builds a model: one or more LSTM layers feeding one Dense output layer, as Keras's `Sequential`.
 * Needs `await ready()` first. Weights are initialised as Keras: glorot-uniform kernels,
 * an orthogonal recurrent kernel, zero biases with forget bias 1.
 *
 * @example
 * const model = sequential({ seed: 1234, layers: [
 *   lstm({ units: 32, inputShape: [5, 1] }),
 *   dense({ units: 26, activation: 'softmax' }) ] });
 */
export function sequential(args: SequentialArgs): Sequential {
  return new Sequential(args);
}

/**
 * A model of one or more LSTM layers feeding one Dense output layer (optionally behind a Masking layer),
 * as Keras's `Sequential`; its weights live in WebAssembly memory. Made by `sequential(args)`
 * (or `new Sequential(args)`), `loadModel`, `fromTfjsLayers` or `fromPyTorchState`; needs
 * `await ready()` first. Call `dispose()` to free its memory.
 *
 * @example
 * await ready();
 * const model = sequential({ layers: [lstm({ units: 32, inputShape: [5, 1] }), dense({ units: 26, activation: 'softmax' })] });
 * model.compile({ loss: 'categoricalCrossentropy', optimizer: adam(), metrics: ['accuracy'] });
 * await model.fit(x, y, { epochs: 100, verbose: 0 });
 * const probs = model.predict(x); // Tensor [samples, 26]
 */
export class Sequential {
  /** The model's generator: initialisation, then fit's shuffling. */
  readonly rng: Rng;
  /** The resolved semantics (preset plus overrides). */
  readonly preset: Readonly<Preset>;
  /** The `masking(...)` layer given first, or null without one. */
  readonly maskingLayer: MaskingLayer | null;
  /** The (first) LSTM layer, as `lstm(...)` made it (its checked options in `config`). */
  readonly lstmLayer: LSTMLayer;
  /** Every LSTM layer, bottom first. */
  readonly lstmLayers: LSTMLayer[];
  /** Units of each LSTM layer, bottom first. */
  readonly units: number[];
  /** True when the LSTMs carry their state from batch to batch (`stateful: true`). */
  readonly stateful: boolean;
  /** True when the last LSTM has `returnSequences`: the dense head runs on every step, outputs [samples, T, V]. */
  readonly sequenceOutput: boolean;
  /** The fixed batch size of `batchInputShape`, or null. */
  readonly batchSize: number | null;
  /** The Dense output layer, as `dense(...)` made it (its checked options in `config`). */
  readonly denseLayer: DenseLayer;
  /** Steps per sample T from `inputShape[0]`, or null when any length is accepted. */
  readonly T: number | null;
  /** Features per step D, from `inputShape[1]`. */
  readonly D: number;
  /** Units H of the last LSTM layer (the dense layer's inputs). */
  readonly H: number;
  /** Output units V (classes with a softmax head). */
  readonly V: number;
  /** @internal */ arena: ModelArena | null;
  /** @internal */ compiled: { accuracy: boolean; accuracyKey: string; sparse: boolean; metricStats: Array<[string, number]>; args: { loss: string; optimizer: Optimizer; metrics: string[] } } | null = null;
  /** The resolved construction options: layers, preset name, kernels (what a saved model records). */
  readonly config: Readonly<{
    /** The layers as given to `sequential`, masking included. */
    layers: Layer[];
    /** The preset's name: 'keras2' or 'keras3'. */
    preset: PresetName;
    /** The kernel set in use: 'simd' or 'scalar'. */
    kernels: 'simd' | 'scalar';
    /** The construction seed, or null when the model was given a generator object. */
    seed: number | null;
  }>;
  /** @internal */ busy: string | null = null;
  /**
   * @internal Where the last shuffling `fit` left the sample order (the permutation its last
   * epoch used) and how many epochs it finished; `fit` with `initialEpoch > 0` continues from it,
   * and checkpoints carry it, so a resumed run repeats an uninterrupted one bit for bit.
   */
  fitState: { order: Int32Array; epochs: number } | null = null;
  /**
   * Set by a callback to end `fit`, as Keras: from onEpochEnd after that epoch, from onBatchEnd
   * after that batch (the epoch's logs then cover the batches that ran).
   */
  stopTraining = false;
  private warnedMask = false;

  /**
   * @param restore internal (loadModel): the saved weights and seed; the generator given in
   *   `args.rng` is then not consumed by initialisation.
   */
  constructor(args: SequentialArgs, /** @internal */ restore?: { weights: Float32Array[]; seed: number | null }) {
    const c = 'sequential()';
    if (args === null || typeof args !== 'object') throw new ConfigError(`${c}: options with 'layers' are required, received ${describe(args)}`);
    checkKeys(c, args, ['layers', 'seed', 'rng', 'preset', 'kernels']);
    kernels(c); // a StateError before ready()
    const presetName = args.preset === undefined ? DEFAULT_PRESET : enumOption(c, 'preset', args.preset, Object.keys(PRESETS) as PresetName[]);
    const given = args.layers;
    const masked = Array.isArray(given) && given[0]?.className === 'Masking';
    const layers = masked ? given.slice(1) : given;
    const nl = Array.isArray(layers) ? layers.length - 1 : 0;
    if (!Array.isArray(layers) || nl < 1 || layers.slice(0, nl).some((l) => l?.className !== 'LSTM') || layers[nl]?.className !== 'Dense') {
      throw new ConfigError(`${c}: layers must be one or more lstm(...) then dense(...), optionally behind masking(...) (made by the layer factories), received ${describe(given)}`);
    }
    // Rebuilt through the factories, so hand-made layer objects get the same checks.
    const cfgOf = (l: Layer) => (typeof l.config === 'object' && l.config !== null ? l.config : undefined) as never;
    this.maskingLayer = masked ? masking(cfgOf(given[0])) : null;
    this.lstmLayers = layers.slice(0, nl).map((l) => lstm(cfgOf(l)));
    this.lstmLayer = this.lstmLayers[0];
    this.denseLayer = dense(cfgOf(layers[nl]));
    this.lstmLayers.forEach((l, i) => {
      const at = `layers[${i + (masked ? 1 : 0)}]`;
      if (i > 0 && (l.config.inputShape || l.config.batchInputShape)) throw new ConfigError(`${c}: ${at}: only the first layer takes inputShape / batchInputShape`);
      if (i < nl - 1 && !l.config.returnSequences) {
        throw new ConfigError(`${c}: ${at}: an lstm under another lstm needs returnSequences: true (the next one reads every step)`);
      }
      if (!!l.config.stateful !== !!this.lstmLayers[0].config.stateful) {
        throw new ConfigError(`${c}: ${at}: give stateful: true to every lstm of a stateful model or to none`);
      }
    });
    const first = this.lstmLayers[0].config;
    if (this.maskingLayer && (first.inputShape || first.batchInputShape)) {
      throw new ConfigError(`${c}: give inputShape to the first layer (masking), not to lstm`);
    }
    this.stateful = first.stateful === true;
    if (this.stateful && !first.batchInputShape) {
      throw new ConfigError(`${c}: stateful: true needs batchInputShape: [batch, timesteps, features] on the first lstm (the batch size fixes which state each sample continues)`);
    }
    this.sequenceOutput = this.lstmLayers[nl - 1].config.returnSequences === true;
    if (this.maskingLayer && (this.stateful || this.sequenceOutput)) {
      throw new ConfigError(`${c}: masking works with models that output the last step and are not stateful; ` +
        `this one is ${this.stateful ? 'stateful' : 'returnSequences on its last lstm'} (pad to full length instead)`);
    }
    const shape = this.maskingLayer?.config.inputShape ?? first.inputShape ?? (first.batchInputShape ? [first.batchInputShape[1], first.batchInputShape[2]] as [number | null, number] : undefined);
    if (!shape) throw new ShapeError(`${c}: the first layer needs inputShape: [timesteps, features] (timesteps may be null)`);
    this.batchSize = first.batchInputShape?.[0] ?? null;
    const seed = args.seed === undefined ? 0 : intOption(c, 'seed', args.seed, 0, 0xffffffff);
    const simd = args.kernels === undefined ? 'simd' : enumOption(c, 'kernels', args.kernels, ['simd', 'scalar'] as const);
    let rng: Rng;
    if (args.rng === undefined || typeof args.rng === 'string') {
      rng = createRng(seed, args.rng === undefined ? 'seedrandom' : enumOption(c, 'rng', args.rng, ['seedrandom', 'numpy'] as const));
    } else if (typeof args.rng === 'object' && args.rng !== null && typeof args.rng.randint === 'function') {
      if (args.seed !== undefined) throw new ConfigError(`${c}: give either seed or an rng object, not both (the rng is already seeded)`);
      rng = args.rng;
    } else throw new ConfigError(`${c}: rng must be 'seedrandom', 'numpy' or a generator, received ${describe(args.rng)}`);
    this.rng = rng;
    this.config = { layers: [...args.layers], preset: presetName, kernels: simd, seed: restore ? restore.seed : typeof args.rng === 'object' ? null : seed };
    const base = PRESETS[presetName];
    const acts = this.lstmLayers.map((l) => l.config.recurrentActivation ?? base.recurrentActivation);
    this.preset = { ...base, recurrentActivation: acts[0] }; // the first layer's (each layer keeps its own)
    [this.T, this.D] = shape;
    this.units = this.lstmLayers.map((l) => l.config.units);
    this.H = this.units[nl - 1];
    this.V = this.denseLayer.config.units;

    // Initialise in Keras 2.0's order, consuming the generator as it did (Theano backend): per LSTM
    // layer, bottom first, a seed for its kernel's own generator and the recurrent kernel's normal
    // draw; then a seed for the Dense kernel's generator.
    const { D, V } = this;
    const spec = { D, units: this.units, acts: acts.map((a) => (a === 'hardSigmoid' ? 1 : 0)), V, seqOut: this.sequenceOutput, stateRows: this.batchSize ?? 1 };
    // Sizes first: a model that could never fit in memory is refused before the (slow) initialisers.
    requireBytes(c, `LSTM(${this.units.join(', ')}) -> Dense(${V})'s weights, optimizer state${this.stateful ? `, states of ${this.batchSize} rows` : ''} and scratch for ${this.T ?? 1} steps`,
      ModelArena.baseBytes(spec) + ModelArena.scratchBytes(spec, this.T ?? 1));
    let init: Float32Array[];
    if (restore) init = restore.weights; // checked by loadModel against paramShapes
    else {
      init = [];
      this.lstmLayers.forEach((l, i) => {
        const H = l.config.units;
        const Din = i === 0 ? D : this.units[i - 1];
        const W = glorotUniform(initializerRng(rng), Din, 4 * H);
        const U = orthogonal(rng, H, 4 * H, { method: this.preset.orthogonalMethod });
        init.push(W, U, lstmBias(H, l.config.unitForgetBias ?? true));
      });
      init.push(glorotUniform(initializerRng(rng), this.H, V), new Float32Array(V));
    }

    this.arena = new ModelArena(spec, this.T ?? 1);
    const slots = this.arena.slots();
    slots[M.simd] = simd === 'simd' ? 1 : 0;
    slots[M.stateful] = this.stateful ? 1 : 0;
    slots[M.head] = HEADS[this.denseLayer.config.activation ?? 'softmax']; // predict works before compile
    this.writeParams(init);
  }

  /** @internal The live arena, or a StateError after dispose(). */
  live(caller: string): ModelArena {
    if (!this.arena) throw new StateError(`${caller}: the model was disposed`);
    return this.arena;
  }

  /**
   * @internal The live arena for evaluate/predict: allowed while fit runs (they read the weights of
   * the last finished batch), except on a stateful model, where they would move the states fit
   * continues.
   */
  liveForRead(caller: string): ModelArena {
    if (this.busy && this.stateful) {
      throw new StateError(`${caller}: the stateful model is busy in ${this.busy}, and this call would move the LSTM states it continues; wait for it to finish`);
    }
    return this.live(caller);
  }

  /** @internal Refuses calls that would change the model while fit runs. */
  idle(caller: string): ModelArena {
    if (this.busy) throw new StateError(`${caller}: the model is busy in ${this.busy}; wait for it to finish`);
    return this.live(caller);
  }

  /** @internal Writes checked weights (used by setWeights and by callbacks while fit runs). */
  writeParams(ws: Float32Array[]): void {
    const a = this.live('setWeights()');
    const params = a.region('params');
    a.slices.forEach((s, i) => params.set(ws[i], s.offset));
  }

  /**
   * Configures training: loss, optimizer and metrics. Resets the optimizer's state.
   *
   * @example
   * model.compile({ loss: 'categoricalCrossentropy', optimizer: adam(), metrics: ['accuracy'] });
   */
  compile(args: CompileArgs): void {
    const c = 'compile()';
    const a = this.idle(c);
    if (args === null || typeof args !== 'object') throw new ConfigError(`${c}: options with 'loss' are required, received ${describe(args)}`);
    checkKeys(c, args, ['loss', 'optimizer', 'metrics']);
    const lossCode = LOSSES[enumOption(c, 'loss', args.loss, Object.keys(LOSSES) as LossName[])];
    const head = this.denseLayer.config.activation ?? 'softmax';
    if (lossCode <= 1 && head !== 'softmax') {
      throw new ConfigError(`${c}: loss '${args.loss}' needs dense activation 'softmax' (it takes probabilities), but the last layer has '${head}'`);
    }
    if (lossCode === 2 && head !== 'sigmoid') {
      throw new ConfigError(`${c}: loss '${args.loss}' needs dense activation 'sigmoid' (one probability per unit), but the last layer has '${head}'` +
        (head === 'softmax' ? '; for one-of-V classes use categoricalCrossentropy' : ''));
    }
    let opt: Optimizer;
    const o = args.optimizer;
    if (o === undefined || o === 'adam') opt = adam();
    else if (o === 'sgd') opt = sgd();
    else if (o === 'rmsprop') opt = rmsprop();
    else if (typeof o === 'object' && o !== null && ['Adam', 'SGD', 'RMSprop'].includes(o.className) && typeof o.config === 'object' && o.config !== null) {
      // Rebuilt through its factory, so a hand-made object gets the same checks as adam(...) etc.
      const cfg = Object.fromEntries(Object.entries(o.config).filter(([, v]) => v !== undefined));
      opt = o.className === 'Adam' ? adam(cfg) : o.className === 'SGD' ? sgd(cfg) : rmsprop(cfg);
    }
    else throw new ConfigError(`${c}: optimizer must be adam(...), sgd(...), rmsprop(...) or 'adam', 'sgd', 'rmsprop', received ${describe(o)}`);
    if (opt.className === 'RMSprop' && this.config.preset === 'keras2' && (opt.config.momentum > 0 || opt.config.centered)) {
      throw new ConfigError(`${c}: Keras 2.0's RMSprop has no momentum or centered; use preset: 'keras3' for them`);
    }
    const metrics = args.metrics ?? [];
    if (!Array.isArray(metrics)) throw new ConfigError(`${c}: metrics must be an array, received ${describe(metrics)}`);
    metrics.forEach((m, i) => enumOption(c, `metrics[${i}]`, m, METRIC_NAMES));
    // Keys: Keras 2.0's (acc, mean_absolute_error, ...) under keras2, the name given under keras3.
    const metricStats: Array<[string, number]> = [];
    for (const m of metrics) {
      const [j, k2] = METRICS[m];
      if (j >= 3 && lossCode === 1) throw new ConfigError(`${c}: metric '${m}' compares the outputs with one-hot targets; with sparseCategoricalCrossentropy's labels use 'accuracy'`);
      if (!metricStats.some(([, i]) => i === j)) metricStats.push([this.preset.accuracyKey === 'acc' ? k2 : m, j]);
    }
    const accEntry = metricStats.find(([, j]) => j === 1);
    const accuracy = accEntry !== undefined;
    const accuracyKey = accEntry?.[0] ?? (this.preset.accuracyKey === 'acc' ? 'acc' : 'accuracy');
    // All checked: now change the model.
    const slots = a.slots();
    slots[M.step] = 0;
    slots[M.head] = HEADS[head];
    slots[M.loss] = lossCode;
    // 'accuracy' as Keras 2.0 resolves it: binary for a single output unit or binary CE, argmax
    // otherwise (sparse categorical against the labels, or categorical).
    slots[M.accuracy] = lossCode === 2 || this.V === 1 ? 1 : 0;
    slots[M.metrics] = (metricStats.some(([, j]) => j === 3) ? 1 : 0) | (metricStats.some(([, j]) => j === 4) ? 2 : 0);
    const cfg = opt.config;
    slots[M.opt] = OPT_KIND[opt.className];
    a.setF32(M.lr, cfg.learningRate);
    a.setF32(M.beta1, opt.className === 'Adam' ? opt.config.beta1 : 0);
    a.setF32(M.beta2, opt.className === 'Adam' ? opt.config.beta2 : 0);
    a.setF32(M.adamEps, (opt.className === 'SGD' ? 0 : opt.config.epsilon) ?? this.preset.adamEpsilon);
    a.setF32(M.momentum, opt.className === 'Adam' ? 0 : opt.config.momentum);
    slots[M.nesterov] = opt.className === 'SGD' && opt.config.nesterov ? 1 : 0;
    a.setF32(M.rho, opt.className === 'RMSprop' ? opt.config.rho : 0);
    slots[M.centered] = opt.className === 'RMSprop' && opt.config.centered ? 1 : 0;
    slots[M.rmsInside] = this.config.preset === 'keras2' ? 0 : 1;
    a.setF32(M.clipnorm, cfg.clipnorm ?? 0);
    a.setF32(M.clipvalue, cfg.clipvalue ?? 0);
    a.setF32(M.lossEps, this.preset.lossEpsilon);
    a.region('m').fill(0);
    a.region('v').fill(0);
    this.compiled = { accuracy, accuracyKey, sparse: lossCode === 1, metricStats, args: { loss: args.loss, optimizer: opt, metrics: [...metrics] } };
  }

  /**
   * Trains the model, as Keras's `fit`; resolves to a `History`. See `FitArgs`.
   *
   * @example
   * const history = await model.fit(x, y, { epochs: 500, batchSize: 1, verbose: 2 });
   */
  fit(x: InputData, y: TargetData, args: FitArgs = {}): Promise<History> {
    return runFit(this, x, y, args);
  }

  /** @internal Validates x and y, finds each sample's real steps, and copies them into a fresh DataBlock. */
  loadData(caller: string, x: unknown, y: unknown, seqArgs: SequenceArgs = {}, withTargets = true): DataBlock {
    const a = this.live(caller);
    if (seqArgs.padding !== undefined) enumOption(caller, 'padding', seqArgs.padding, ['pre', 'post'] as const);
    let seqs = toSequences(caller, x, this.T, this.D, seqArgs);
    if (this.batchSize !== null && seqs.N % this.batchSize !== 0) {
      throw new ShapeError(`${caller}: x has ${seqs.N} samples; a stateful model takes a multiple of its batch size ${this.batchSize} (batchInputShape), so every batch continues full states`);
    }
    if (this.sequenceOutput) {
      const short = seqs.lens.findIndex((l, i) => l !== seqs.T || seqs.starts[i] !== 0);
      if (short >= 0) {
        throw new ShapeError(`${caller}: x[${short}] has ${seqs.lens[short]} of ${seqs.T} steps; a model that outputs every step (returnSequences) needs every sample at full length`);
      }
    }
    const sparse = this.compiled?.sparse === true;
    const Ty = this.sequenceOutput ? seqs.T : 1; // target rows per sample
    const tgt = !withTargets ? null
      : this.sequenceOutput ? toSeqTargets(caller, y, seqs.N, seqs.T, this.V, sparse)
      : sparse ? toLabels(caller, y, seqs.N, this.V) : toTargets(caller, y, seqs.N, this.V);
    const yw = (sparse ? 1 : this.V) * Ty;
    // Cross-entropy targets are probabilities: a value outside [0, 1] would give a negative or
    // meaningless loss. (Keras does not check; regression losses take any finite target.)
    const lossCode = this.compiled ? LOSSES[this.compiled.args.loss as LossName] : -1;
    if (tgt && !sparse && (lossCode === 0 || lossCode === 2)) {
      const bad = tgt.findIndex((v) => v < 0 || v > 1);
      if (bad >= 0) {
        const at = this.sequenceOutput
          ? `[${Math.floor(bad / yw)}][${Math.floor((bad % yw) / this.V)}][${bad % this.V}]`
          : `[${Math.floor(bad / this.V)}][${bad % this.V}]`;
        throw new ValueError(`${caller}: y${at} is ${tgt[bad]}; ${this.compiled!.args.loss} targets must be probabilities in [0, 1]`);
      }
    }
    if (this.maskingLayer) {
      const fromPad = isTensorLike(x) ? (x as Tensor).padded : undefined;
      const real = !seqs.full ? 'all' : fromPad && fromPad.lengths.length === seqs.N ? fromPad : null;
      const { maskValue } = this.maskingLayer.config;
      const masked = applyMask(seqs, maskValue, real);
      seqs = masked.seqs;
      if (masked.collisions > 0 && !this.warnedMask) {
        this.warnedMask = true;
        console.warn(
          `lstm-wasm: ${caller}: ${masked.collisions} real step(s) of the data equal the mask value ${maskValue}; ` +
            'masking skips them as if they were padding (e.g. a letter scaled to 0). Pad with a value the data never takes, ' +
            'or pass ragged sequences / lengths without a masking layer. (Shown once per model.)',
        );
      }
    }
    const longest = seqs.lens.reduce((m, l) => Math.max(m, l), 0);
    a.ensureSteps(longest, caller);
    const block = new DataBlock(seqs.N, seqs.T, seqs.D, tgt ? yw : 0);
    f32(block.x, seqs.N * seqs.T * seqs.D).set(seqs.data);
    if (tgt) f32(block.y, seqs.N * yw).set(tgt);
    i32(block.starts, seqs.N).set(seqs.starts);
    i32(block.lens, seqs.N).set(seqs.lens);
    return block;
  }

  /**
   * Loss and metrics over (x, y) without updating anything, as Keras's `evaluate`: `[loss, acc]`
   * (or `[loss]` without metrics; `[loss, ...metrics]` in compile's order). Means over samples.
   *
   * @example
   * const [loss, acc] = model.evaluate(x, y);
   */
  evaluate(x: InputData, y: TargetData, args: EvaluateArgs = {}): number[] {
    const c = 'evaluate()';
    checkKeys(c, args, ['batchSize', 'verbose', 'lengths', 'padding']);
    this.checkBatchSize(c, args.batchSize);
    if (args.verbose !== undefined) enumOption(c, 'verbose', String(args.verbose), ['0', '1']);
    const a = this.liveForRead(c);
    if (!this.compiled) throw new StateError(`${c}: call compile() first`);
    const block = this.loadData(c, x, y, { lengths: args.lengths, padding: args.padding });
    try {
      const stats = f64(a.stats, STATS);
      stats.fill(0);
      kernels().eval_batches(a.desc, block.desc, 0, block.N, a.stats);
      const st = f64(a.stats, STATS);
      return [st[0] / st[2], ...this.compiled.metricStats.map(([, j]) => st[j] / st[2])];
    } finally {
      block.dispose();
    }
  }

  /**
   * The mean loss over (x, y) and its gradient with respect to every weight, in `getWeights()`
   * order and shapes, without updating anything (as `tf.variableGrads` of the loss).
   *
   * @example
   * const { loss, grads } = model.computeGradients(x, y);
   */
  computeGradients(x: InputData, y: TargetData, args: SequenceArgs = {}): {
    /** Mean loss over the samples. */
    loss: number;
    /** d loss / d weight, one tensor per weight in `getWeights()` order and shapes. */
    grads: NamedTensor[];
  } {
    const c = 'computeGradients()';
    checkKeys(c, args, ['lengths', 'padding']);
    const a = this.idle(c);
    if (!this.compiled) throw new StateError(`${c}: call compile() first`);
    const block = this.loadData(c, x, y, args);
    const states = a.states().slice(); // a stateful model's states are read, not advanced
    try {
      f64(a.stats, STATS).fill(0);
      kernels().grad_batch(a.desc, block.desc, 0, block.N, a.stats);
      a.states().set(states);
      const [lossSum, , n] = f64(a.stats, STATS);
      const g = a.region('grads');
      return { loss: lossSum / n, grads: a.slices.map((s) => ({ name: s.name, shape: [...s.shape], data: g.slice(s.offset, s.offset + s.size) })) };
    } finally {
      block.dispose();
    }
  }

  /**
   * The last layer's outputs for each sample (class probabilities with a softmax head): a Tensor
   * of shape [samples, units].
   *
   * @example
   * const probs = model.predict({ shape: [1, 5, 1], data: new Float32Array([0, 0, 10, 11, 12].map((k) => k / 26)) });
   */
  predict(x: InputData, args: PredictArgs = {}): Tensor {
    const c = 'predict()';
    checkKeys(c, args, ['batchSize', 'lengths', 'padding']);
    this.checkBatchSize(c, args.batchSize);
    const a = this.liveForRead(c);
    const block = this.loadData(c, x, undefined, { lengths: args.lengths, padding: args.padding }, false);
    let out = 0;
    try {
      const shape = this.sequenceOutput ? [block.N, block.T, this.V] : [block.N, this.V];
      const n = shape.reduce((p, d) => p * d, 1);
      out = alloc(n * 4);
      kernels().predict_batch(a.desc, block.desc, 0, block.N, out);
      return { shape, data: f32(out, n).slice() };
    } finally {
      if (out) free(out);
      block.dispose();
    }
  }

  /** @internal A batch size given to evaluate/predict/fit: a positive integer, the fixed one of a stateful model. Returns it or the default. */
  checkBatchSize(caller: string, batchSize: number | undefined, fallback = 32): number {
    if (batchSize !== undefined) intOption(caller, 'batchSize', batchSize, 1);
    if (this.batchSize !== null && batchSize !== undefined && batchSize !== this.batchSize) {
      throw new ValueError(`${caller}: batchSize ${batchSize} differs from batchInputShape's ${this.batchSize}; a stateful model runs batches of exactly that size`);
    }
    return batchSize ?? this.batchSize ?? fallback;
  }

  /**
   * Clears every LSTM state to zero, as Keras's `reset_states()`: a stateful model's batch states
   * and the stream that `predictStep` continues.
   *
   * @example
   * for (let i = 0; i < 300; i++) {
   *   await model.fit(x, y, { epochs: 1, batchSize: 1, shuffle: false, verbose: 0 });
   *   model.resetStates();
   * }
   */
  resetStates(): void {
    this.idle('resetStates()').states().fill(0);
  }

  /**
   * Streams one timestep: continues each LSTM's state (kept in WASM memory) with the step `x` and
   * returns the head's output for it, a Tensor [rows, units]. `x` holds D features, or [rows, D]
   * for a stateful model with a batch size of rows. The state persists across calls (and, for a
   * stateful model, is the same state fit, evaluate and predict continue) until `resetStates()`.
   *
   * @example
   * model.resetStates();
   * for (const v of series) next = model.predictStep([v]).data[0];
   */
  predictStep(x: TensorLike | ArrayLike<number> | number[][]): Tensor {
    const c = 'predictStep()';
    const a = this.idle(c);
    const rows = this.batchSize ?? 1;
    const { D, V } = this;
    let x3: unknown;
    if (isTensorLike(x)) {
      const sh = x.shape;
      const ok = (sh.length === 2 && sh[0] === rows && sh[1] === D) || (sh.length === 1 && rows === 1 && sh[0] === D);
      if (!ok) throw new ShapeError(`${c}: x has shape [${sh.join(', ')}], expected [${rows === 1 ? `${D}] or [1, ${D}` : `${rows}, ${D}`}] (one step${rows > 1 ? ' for each of the batch\'s rows' : ''})`);
      x3 = { shape: [rows, 1, D], data: x.data };
    } else if (Array.isArray(x) && Array.isArray(x[0])) {
      if (x.length !== rows) throw new ShapeError(`${c}: x has ${x.length} rows, the model streams ${rows} (batchInputShape's batch size)`);
      x3 = (x as number[][]).map((r) => [r]);
    } else if (Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView))) {
      const n = (x as ArrayLike<number>).length;
      if (n !== rows * D) throw new ShapeError(`${c}: x has ${n} values, expected ${rows * D} (${rows > 1 ? `${rows} rows of ` : ''}${D} features)`);
      x3 = { shape: [rows, 1, D], data: x as ArrayLike<number> };
    } else throw new ShapeError(`${c}: x must be one step: ${D} numbers, [rows, ${D}] nested arrays or a tensor, received ${describe(x)}`);
    const seqs = toSequences(c, x3, null, D);
    let block: DataBlock | null = null;
    let out = 0;
    try {
      block = new DataBlock(rows, 1, D, 0);
      f32(block.x, rows * D).set(seqs.data);
      i32(block.starts, rows).fill(0);
      i32(block.lens, rows).fill(1);
      out = alloc(rows * V * 4);
      kernels().predict_steps(a.desc, block.desc, rows, out);
      return { shape: [rows, V], data: f32(out, rows * V).slice() };
    } finally {
      if (out) free(out);
      block?.dispose();
    }
  }

  /**
   * The weights in Keras order and shapes: lstm/kernel (D,4H), lstm/recurrent_kernel (H,4H),
   * lstm/bias (4H), then the same three for each further LSTM (lstm_1/..., with D = the units
   * below), dense/kernel (H,V), dense/bias (V); gates i, f, c, o. Copies.
   *
   * @example
   * const [kernel, recurrentKernel, bias, denseKernel, denseBias] = model.getWeights();
   */
  getWeights(): NamedTensor[] {
    const a = this.live('getWeights()');
    const params = a.region('params');
    return a.slices.map((s) => ({ name: s.name, shape: [...s.shape], data: params.slice(s.offset, s.offset + s.size) }));
  }

  /**
   * Replaces the weights, in `getWeights()` order: tensors (shape checked) or plain arrays of the
   * right length. All are checked before any is written; the optimizer state is kept, as Keras.
   *
   * @example
   * other.setWeights(model.getWeights());
   */
  setWeights(weights: Array<Tensor | Float32Array | number[]>): void {
    const c = 'setWeights()';
    const a = this.idle(c);
    if (!Array.isArray(weights) || weights.length !== a.slices.length) {
      throw new ShapeError(`${c}: expected ${a.slices.length} weight tensors (${a.slices.map((s) => s.name).join(', ')}), received ${describe(weights)}`);
    }
    const checked = a.slices.map((s, i) => {
      const w = weights[i];
      let data: ArrayLike<number>;
      if (isTensorLike(w)) {
        if (w.shape.length !== s.shape.length || w.shape.some((d, j) => d !== s.shape[j])) {
          throw new ShapeError(`${c}: weights[${i}] (${s.name}) has shape [${w.shape.join(', ')}], expected [${s.shape.join(', ')}]`);
        }
        data = w.data;
      } else if (w instanceof Float32Array || Array.isArray(w)) data = w;
      else throw new ShapeError(`${c}: weights[${i}] (${s.name}) must be a tensor, Float32Array or number[], received ${describe(w)}`);
      if (data.length !== s.size) {
        throw new ShapeError(`${c}: weights[${i}] (${s.name}) has ${data.length} values, expected ${s.size} (shape [${s.shape.join(', ')}])`);
      }
      if (!(data instanceof Float32Array)) {
        const j = Array.prototype.findIndex.call(data, (v: unknown) => typeof v !== 'number');
        if (j >= 0) throw new ValueError(`${c}: weights[${i}] (${s.name}) has ${describe(data[j])} at flat index ${j}; weights must be numbers`);
      }
      const out = Float32Array.from(data);
      const bad = out.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new ValueError(`${c}: weights[${i}] (${s.name}) has ${data[bad]} at flat index ${bad}; weights must be finite`);
      return out;
    });
    this.writeParams(checked);
  }

  /**
   * The whole model as a versioned, self-describing artefact: `json` (architecture, every option
   * and the preset, compile arguments, Adam's step, the generator's state, where fit's shuffling
   * stands) and `weights` (the weights, Adam's m and v, fit's sample order; little-endian, CRC-32
   * checked). `loadModel(saved)` restores it exactly; `encodeModel(saved)` makes it one file.
   * May be called from a fit callback: a checkpoint taken in `onEpochEnd(epoch)` resumes exactly
   * with `fit({ ..., initialEpoch: epoch + 1 })`.
   *
   * @example
   * const saved = model.save();
   * const again = loadModel(saved); // same predictions; training continues where it stopped
   */
  save(args: SaveArgs = {}): SavedModel {
    return saveModel(this, args);
  }

  /**
   * Replaces this model's weights with a saved model's (`save()` output or `encodeModel` bytes),
   * as Keras's `load_weights`: the architectures must match (ShapeError otherwise); the optimizer
   * state, generator and compile settings stay. Everything is checked first: a refused file
   * changes nothing.
   *
   * @example
   * model.loadWeights(await readFile('best.lstm'));
   */
  loadWeights(source: ModelSource): void {
    loadWeightsInto(this, source);
  }

  /**
   * Frees the model's WASM memory for reuse; the model can no longer be used (StateError).
   *
   * @example
   * model.dispose();
   */
  dispose(): void {
    this.idle('dispose()');
    this.arena?.dispose();
    this.arena = null;
  }
}
