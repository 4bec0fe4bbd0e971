// compile(): the loss, metrics and optimizer, checked, then written into the loss and optimizer
// records (abi.ts LS_*, OP_*). The name tables of losses and metrics live here.
import { ConfigError } from '../errors.js';
import { checkKeys, describe, enumOption } from '../options.js';
import { adam, sgd, rmsprop, optimizerFactory, rebuildOptimizer, type Optimizer } from '../optimizers.js';
import { denseActivation } from '../layers/dense.js';
import type { DenseLayer } from '../layers/dense.js';
import {
  LS_KIND, LS_ACC, LS_METRICS, LS_EPS, LOSS_CCE, LOSS_SCCE, LOSS_BCE, LOSS_MSE, LOSS_MAE, OP_KIND, OP_STEP, OP_LR,
  OP_BETA1, OP_BETA2, OP_EPS, OP_MOMENTUM, OP_NESTEROV, OP_RHO, OP_CENTERED, OP_RMS_INSIDE, OP_CLIPNORM, OP_CLIPVALUE,
  OPT_ADAM, OPT_SGD, OPT_RMSPROP,
} from '../generated/abi.js';
import type { ModelArena } from '../arena.js';
import type { Plan } from '../plan.js';
import type { Preset, PresetName } from '../presets.js';

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

/** Loss name -> LOSS_* of abi.ts. */
export const LOSSES: Readonly<Record<LossName, number>> = {
  categoricalCrossentropy: LOSS_CCE, categorical_crossentropy: LOSS_CCE,
  sparseCategoricalCrossentropy: LOSS_SCCE, sparse_categorical_crossentropy: LOSS_SCCE,
  binaryCrossentropy: LOSS_BCE, binary_crossentropy: LOSS_BCE,
  meanSquaredError: LOSS_MSE, mean_squared_error: LOSS_MSE, mse: LOSS_MSE,
  meanAbsoluteError: LOSS_MAE, mean_absolute_error: LOSS_MAE, mae: LOSS_MAE,
};

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

/** What compile resolved: the log keys and where their sums are, and the arguments (what a save records). */
export interface Compiled {
  accuracy: boolean;
  accuracyKey: string;
  sparse: boolean;
  /** [log key, index in the stats block] per metric, in compile's order. */
  metricStats: Array<[string, number]>;
  args: { loss: string; optimizer: Optimizer; metrics: string[] };
}

const OPT_CODE = { Adam: OPT_ADAM, SGD: OPT_SGD, RMSprop: OPT_RMSPROP } as const;

/** @internal The body of `Sequential.compile`: checks everything, then writes the records and clears m, v, step. */
export function compileModel(c: string, a: ModelArena, plan: Plan, presetName: PresetName, preset: Preset, args: CompileArgs): Compiled {
  if (args === null || typeof args !== 'object') throw new ConfigError(`${c}: options with 'loss' are required, received ${describe(args)}`);
  checkKeys(c, args, ['loss', 'optimizer', 'metrics']);
  const lossCode = LOSSES[enumOption(c, 'loss', args.loss, Object.keys(LOSSES) as LossName[])];
  const head = denseActivation(plan.layers[plan.layers.length - 1].layer as DenseLayer);
  if (lossCode <= LOSS_SCCE && head !== 'softmax') {
    throw new ConfigError(`${c}: loss '${args.loss}' needs dense activation 'softmax' (it takes probabilities), but the last layer has '${head}'`);
  }
  if (lossCode === LOSS_BCE && head !== 'sigmoid') {
    throw new ConfigError(`${c}: loss '${args.loss}' needs dense activation 'sigmoid' (one probability per unit), but the last layer has '${head}'` +
      (head === 'softmax' ? '; for one-of-V classes use categoricalCrossentropy' : ''));
  }
  let opt: Optimizer;
  const o = args.optimizer;
  if (o === undefined || o === 'adam') opt = adam();
  else if (o === 'sgd') opt = sgd();
  else if (o === 'rmsprop') opt = rmsprop();
  else if (typeof o === 'object' && o !== null && optimizerFactory(o.className) && typeof o.config === 'object' && o.config !== null) opt = rebuildOptimizer(o);
  else throw new ConfigError(`${c}: optimizer must be adam(...), sgd(...), rmsprop(...) or 'adam', 'sgd', 'rmsprop', received ${describe(o)}`);
  if (opt.className === 'RMSprop' && presetName === 'keras2' && (opt.config.momentum > 0 || opt.config.centered)) {
    throw new ConfigError(`${c}: Keras 2.0's RMSprop has no momentum or centered; use preset: 'keras3' for them`);
  }
  const metrics = args.metrics ?? [];
  if (!Array.isArray(metrics)) throw new ConfigError(`${c}: metrics must be an array, received ${describe(metrics)}`);
  metrics.forEach((m, i) => enumOption(c, `metrics[${i}]`, m, METRIC_NAMES));
  // Keys: Keras 2.0's (acc, mean_absolute_error, ...) under keras2, the name given under keras3.
  const metricStats: Array<[string, number]> = [];
  for (const m of metrics) {
    const [j, k2] = METRICS[m];
    if (j >= 3 && lossCode === LOSS_SCCE) throw new ConfigError(`${c}: metric '${m}' compares the outputs with one-hot targets; with sparseCategoricalCrossentropy's labels use 'accuracy'`);
    if (!metricStats.some(([, i]) => i === j)) metricStats.push([preset.accuracyKey === 'acc' ? k2 : m, j]);
  }
  const accEntry = metricStats.find(([, j]) => j === 1);
  const accuracyKey = accEntry?.[0] ?? (preset.accuracyKey === 'acc' ? 'acc' : 'accuracy');

  // All checked: now change the model.
  const ls = a.loss();
  ls[LS_KIND] = lossCode;
  // 'accuracy' as Keras 2.0 resolves it: binary for a single output unit or binary CE, argmax
  // otherwise (sparse categorical against the labels, or categorical).
  ls[LS_ACC] = lossCode === LOSS_BCE || plan.V === 1 ? 1 : 0;
  ls[LS_METRICS] = (metricStats.some(([, j]) => j === 3) ? 1 : 0) | (metricStats.some(([, j]) => j === 4) ? 2 : 0);
  a.setF32('loss', LS_EPS, preset.lossEpsilon);
  const op = a.opt();
  op.fill(0);
  op[OP_KIND] = OPT_CODE[opt.className];
  op[OP_STEP] = 0;
  op[OP_NESTEROV] = opt.className === 'SGD' && opt.config.nesterov ? 1 : 0;
  op[OP_CENTERED] = opt.className === 'RMSprop' && opt.config.centered ? 1 : 0;
  op[OP_RMS_INSIDE] = presetName === 'keras2' ? 0 : 1;
  const cfg = opt.config;
  a.setF32('opt', OP_LR, cfg.learningRate);
  a.setF32('opt', OP_BETA1, opt.className === 'Adam' ? opt.config.beta1 : 0);
  a.setF32('opt', OP_BETA2, opt.className === 'Adam' ? opt.config.beta2 : 0);
  a.setF32('opt', OP_EPS, (opt.className === 'SGD' ? 0 : opt.config.epsilon) ?? preset.adamEpsilon);
  a.setF32('opt', OP_MOMENTUM, opt.className === 'Adam' ? 0 : opt.config.momentum);
  a.setF32('opt', OP_RHO, opt.className === 'RMSprop' ? opt.config.rho : 0);
  a.setF32('opt', OP_CLIPNORM, cfg.clipnorm ?? 0);
  a.setF32('opt', OP_CLIPVALUE, cfg.clipvalue ?? 0);
  a.region('m').fill(0);
  a.region('v').fill(0);
  return { accuracy: accEntry !== undefined, accuracyKey, sparse: lossCode === LOSS_SCCE, metricStats, args: { loss: args.loss, optimizer: opt, metrics: [...metrics] } };
}
