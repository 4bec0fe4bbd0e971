// The LSTM kind (Keras LSTM): options and factory, shapes, weights and their initialisation,
// states, scratch, its record for assembly/layers/lstm.ts, and its Keras config.
import { ConfigError, ShapeError } from '../errors.js';
import { checkKeys, enumOption, intOption, describe } from '../options.js';
import type { RecurrentActivation } from '../presets.js';
import { glorotUniform, initializerRng, lstmBias, orthogonal } from '../random.js';
import { KIND_LSTM, FL_SEQ_IN, FL_SEQ_OUT, FL_PACK, RACT_SIGMOID, RACT_HARD_SIGMOID } from '../generated/abi.js';
import {
  checkInputShape, featuresOf, isSeq, showShape, refuseKeras, glorotUniformJSON, zerosJSON, NO_REGULARIZERS, isNullish,
  type LayerKind,
} from './kind.js';

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

const RACT: Record<RecurrentActivation, number> = { sigmoid: RACT_SIGMOID, hardSigmoid: RACT_HARD_SIGMOID };
const KERAS_RACT: Record<RecurrentActivation, string> = { hardSigmoid: 'hard_sigmoid', sigmoid: 'sigmoid' };

// GEMMs over 16-column panels of U (packed once per chunk) pay off once U outgrows the L1 cache
// and its 4H-float rows put a large stride between the rows a column walk reads.
const packs = (H: number): boolean => H >= 64;

/** The LSTM kind. */
export const LSTM_KIND: LayerKind<LSTMLayer> = {
  className: 'LSTM',
  factory: 'lstm',
  code: KIND_LSTM,
  recurrent: true,
  takesInput: true,
  make: (config) => lstm(config as LSTMArgs),
  inputOf(l) {
    const c = l.config;
    if (c.inputShape) return { shape: [c.inputShape[0], c.inputShape[1]], batch: null };
    if (c.batchInputShape) return { shape: [c.batchInputShape[1], c.batchInputShape[2]], batch: c.batchInputShape[0] };
    return null;
  },
  outputShape(l, ctx) {
    if (!isSeq(ctx.input)) {
      throw new ConfigError(`${ctx.at} expects [timesteps, features] per sample, but ${ctx.below ?? 'its input'} outputs ${showShape(ctx.input)}` +
        (ctx.droppedSteps ? ` (give ${ctx.droppedSteps === ctx.below ? 'it' : ctx.droppedSteps} returnSequences: true)` : ''));
    }
    const H = l.config.units;
    return l.config.returnSequences ? [ctx.input[0], H] : [H];
  },
  weights(l, ctx) {
    const H = l.config.units;
    const D = featuresOf(ctx.input);
    return [{ name: 'kernel', shape: [D, 4 * H] }, { name: 'recurrent_kernel', shape: [H, 4 * H] }, { name: 'bias', shape: [4 * H] }];
  },
  // Keras 2.0's draw order (Theano backend): a seed for the kernel's own generator, then the
  // recurrent kernel's normal draw from the model's stream.
  init(l, ctx, rng) {
    const H = l.config.units;
    const W = glorotUniform(initializerRng(rng), featuresOf(ctx.input), 4 * H);
    const U = orthogonal(rng, H, 4 * H, { method: ctx.preset.orthogonalMethod });
    return [W, U, lstmBias(H, l.config.unitForgetBias ?? true)];
  },
  states: (l) => [l.config.units, l.config.units],
  record(l, ctx) {
    const H = l.config.units;
    const flags = FL_SEQ_IN | (l.config.returnSequences ? FL_SEQ_OUT : 0) | (packs(H) ? FL_PACK : 0);
    return { D: featuresOf(ctx.input), F: H, H, flags, ract: RACT[l.config.recurrentActivation ?? ctx.preset.recurrentActivation] };
  },
  outputIn: (l, B) => (l.config.returnSequences ? { k: 0, floats: B * l.config.units } : null),
  // K0 hs, K1 cs ((B + R) rows), K2 gates, K3 h_{t-1} rows, K4 dh, K5 dc, K6 U and W panels, K7 dz panels
  scratch(l, ctx, B, R, pack) {
    const H = l.config.units;
    const panels = (K: number) => Math.ceil((4 * H) / 16) * 16 * K;
    return [(B + R) * H, (B + R) * H, R * 4 * H, R * H, B * H, B * H, pack ? panels(H) + panels(ctx.input[ctx.input.length - 1] as number) : 0, pack ? panels(R) : 0];
  },
  toKeras(l, ctx) {
    const lc = l.config;
    return {
      class_name: 'LSTM',
      config: {
        name: ctx.name, trainable: true, ...(ctx.first ?? {}),
        units: lc.units, activation: 'tanh', recurrent_activation: KERAS_RACT[lc.recurrentActivation ?? ctx.preset.recurrentActivation], use_bias: true,
        kernel_initializer: glorotUniformJSON(), recurrent_initializer: { class_name: 'Orthogonal', config: { gain: 1, seed: null } },
        bias_initializer: zerosJSON(), unit_forget_bias: lc.unitForgetBias ?? true,
        kernel_regularizer: null, recurrent_regularizer: null, bias_regularizer: null, activity_regularizer: null,
        kernel_constraint: null, recurrent_constraint: null, bias_constraint: null,
        dropout: 0, recurrent_dropout: 0, implementation: 1,
        return_sequences: lc.returnSequences === true, return_state: false, go_backwards: false, stateful: lc.stateful === true, unroll: false,
      },
    };
  },
  fromKeras(cfg, ctx) {
    for (const k of NO_REGULARIZERS) refuseKeras(ctx, cfg, k, isNullish, 'lstm-wasm has no regularizers or constraints');
    refuseKeras(ctx, cfg, 'activation', (v) => v === 'tanh', "only 'tanh' is supported");
    refuseKeras(ctx, cfg, 'use_bias', (v) => v === true, 'lstm-wasm LSTMs have a bias');
    const zero = (v: unknown) => v === 0 || v === null;
    refuseKeras(ctx, cfg, 'dropout', zero, 'lstm-wasm has no dropout (set it to 0 to import the trained weights)');
    refuseKeras(ctx, cfg, 'recurrent_dropout', zero, 'lstm-wasm has no dropout (set it to 0 to import the trained weights)');
    const off = (v: unknown) => v === false || v === null;
    for (const k of ['return_state', 'go_backwards', 'time_major']) refuseKeras(ctx, cfg, k, off, 'lstm-wasm LSTMs run forward and return their outputs only');
    const bool = (v: unknown) => typeof v === 'boolean' || v === null;
    for (const k of ['return_sequences', 'stateful']) refuseKeras(ctx, cfg, k, bool, 'expected a boolean');
    const ra = cfg.recurrent_activation;
    let recurrentActivation: RecurrentActivation;
    if (ra === 'sigmoid') recurrentActivation = 'sigmoid';
    else if (ra === 'hard_sigmoid' || ra === 'hardSigmoid') {
      // Keras 3 redefined hard_sigmoid as relu6(x + 3) / 6; Keras 2 and tfjs use clip(0.2x + 0.5, 0, 1).
      if (/^3\./.test(ctx.kerasVersion)) throw new ConfigError(`${ctx.at}: a Keras ${ctx.kerasVersion} hard_sigmoid is relu6(x + 3) / 6, which lstm-wasm lacks (its hardSigmoid is Keras 2's clip(0.2x + 0.5, 0, 1))`);
      recurrentActivation = 'hardSigmoid';
    } else throw new ConfigError(`${ctx.at} has recurrent_activation ${describe(ra)}; lstm-wasm supports 'hard_sigmoid' and 'sigmoid'`);
    return {
      units: cfg.units as number, recurrentActivation,
      ...(typeof cfg.unit_forget_bias === 'boolean' ? { unitForgetBias: cfg.unit_forget_bias } : {}),
      ...(cfg.return_sequences === true ? { returnSequences: true } : {}),
      ...(cfg.stateful === true ? { stateful: true } : {}),
    };
  },
};
