// The LSTM kind: its options and factory.
import { ConfigError, ShapeError } from '../errors.js';
import { checkKeys, enumOption, intOption, describe } from '../options.js';
import type { RecurrentActivation } from '../presets.js';
import { checkInputShape } from './kind.js';

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
