// What a layer kind is: the LayerKind descriptor every kind's file exports (its options, shapes,
// weights and their initialisation, states, scratch, the record it writes for WASM, its Keras/tfjs
// config and PyTorch mapping), and the option checks the kinds share. Nothing here touches WASM.
import { ConfigError, ShapeError } from '../errors.js';
import { describe, intOption } from '../options.js';
import type { Preset } from '../presets.js';
import type { Rng } from '../random.js';

/**
 * A layer as the factories make it: plain, checked configuration (the weights live in the model),
 * which crosses to workers and into saved files as it is.
 *
 * @example
 * const l: LayerConfig = lstm({ units: 8, inputShape: [5, 1] }); // { className: 'LSTM', config: {...} }
 */
export interface LayerConfig {
  /** Keras's class name: 'LSTM', 'Dense', 'Masking'. */
  readonly className: string;
  /** The factory's options, as given (checked). */
  readonly config: Readonly<object>;
}

/** One sample's shape between layers: [timesteps (null: any), features] or [features]. */
export type Shape = readonly [number | null, number] | readonly [number];

/** True when the shape has a step axis. */
export const isSeq = (s: Shape): s is readonly [number | null, number] => s.length === 2;
/** Features per step (or per sample): the last axis. */
export const featuresOf = (s: Shape): number => s[s.length - 1] as number;
export const showShape = (s: Shape): string => `[${s.map((d) => (d === null ? 'null' : d)).join(', ')}]`;

/** A weight of a kind, in Keras order: `name` is the suffix after the layer's name ('kernel'). */
export interface WeightSpec {
  name: string;
  shape: number[];
}

/** Where a layer stands in its model, for the kinds' checks and records. */
export interface LayerCtx {
  /** Its Keras name in a Sequential: 'lstm', 'lstm_1', 'dense', ... (tf.keras's numbering). */
  name: string;
  /** 'layers[i] (lstm)', for messages. */
  at: string;
  /** The layer below, for messages: 'layers[i-1] (lstm)', or null for the first. */
  below: string | null;
  /** The layer that dropped the step axis (a recurrent layer without returnSequences), for messages, or null. */
  droppedSteps: string | null;
  /** Its input shape (per sample). */
  input: Shape;
  /** The model's resolved semantics. */
  preset: Preset;
  /** First layer with weights after masking (the one that reads the data). */
  first: boolean;
  /** Last layer of the model. */
  last: boolean;
}

/** The record values a kind sets (abi.ts LR_*); the plan adds the weight offsets and pointers. */
export interface RecordValues {
  D: number;
  F: number;
  H?: number;
  flags: number;
  act?: number;
  ract?: number;
}

/** Keras/tfjs config context. */
export interface KerasCtx {
  name: string;
  /** Keys the first layer carries: batch_input_shape and dtype. */
  first: Record<string, unknown> | null;
  preset: Preset;
  /** model_config's keras_version ('' when absent), for version-dependent meanings. */
  kerasVersion: string;
  /** For messages: `${caller}: ${at}`. */
  at: string;
}

/** A kind's PyTorch side: module names are chosen by the caller. */
export interface TorchCtx {
  module: string;
  /** Which layer of a stacked nn.LSTM (0 for the first). */
  index: number;
}

/**
 * A layer kind: everything the engine needs to know about it, in one place. Registered in
 * layers/index.ts's REGISTRY under its Keras class name.
 */
export interface LayerKind<L extends LayerConfig = LayerConfig> {
  /** Keras's class name: 'LSTM'. */
  className: string;
  /** The factory's name: 'lstm' (worker rebuilds, docs). */
  factory: string;
  /** KIND_* of abi.ts, or 0 for a kind that runs in TypeScript before the data reaches WASM (Masking). */
  code: number;
  /** True for kinds that carry a state across steps (the recurrent kinds). */
  recurrent: boolean;
  /** True when the kind's options include inputShape / batchInputShape, so it can come first. */
  takesInput: boolean;
  /** The factory: checks the options (unknown keys are ConfigErrors) and returns the layer. */
  make(config: unknown): L;
  /** The input shape the layer carries (inputShape / batchInputShape), and the fixed batch size. */
  inputOf(l: L): { shape: readonly [number | null, number]; batch: number | null } | null;
  /** The output shape for this input: the stack's grammar. Throws a ConfigError naming the fix. */
  outputShape(l: L, ctx: LayerCtx): Shape;
  /** Its weights in Keras order and shapes. */
  weights(l: L, ctx: LayerCtx): WeightSpec[];
  /** Initial weights (in `weights` order), drawing from rng in Keras 2.0's order for this kind. */
  init(l: L, ctx: LayerCtx, rng: Rng): Float32Array[];
  /** Keras's state_size per sample: LSTM [H, H] (h and c), none for stateless kinds. */
  states(l: L): number[];
  /** The record's values (dims, flags, activations). */
  record(l: L, ctx: LayerCtx): RecordValues;
  /** Floats of scratch K0..K7 for chunks of B samples and R packed rows (R ≤ T·B); `pack`: FL_PACK is set. */
  scratch(l: L, ctx: LayerCtx, B: number, R: number, pack: boolean): number[];
  /** Where the output rows live when they are part of the kind's scratch (no copy): K slot and float offset. */
  outputIn?(l: L, B: number): { k: number; floats: number } | null;
  /** Keras's layer JSON, every option spelled out. */
  toKeras(l: L, ctx: KerasCtx): { class_name: string; config: Record<string, unknown> };
  /** The factory's options from Keras's config (without input shapes); refuses, naming the option, what would change the result. */
  fromKeras(cfg: Record<string, unknown>, ctx: KerasCtx): Record<string, unknown>;
}

/** Checks [timesteps, features] (timesteps may be null) of an inputShape option. */
export function checkInputShape(c: string, s: unknown): void {
  if (!Array.isArray(s) || s.length !== 2) throw new ShapeError(`${c}: inputShape must be [timesteps, features], received ${describe(s)}`);
  if (s[0] !== null) intOption(c, 'inputShape[0] (timesteps)', s[0], 1, 1 << 20);
  intOption(c, 'inputShape[1] (features)', s[1], 1, 1 << 16);
}

/** Checks a boolean option (undefined passes). */
export function boolKey(c: string, args: Record<string, unknown>, key: string): void {
  if (args[key] !== undefined && typeof args[key] !== 'boolean') throw new ConfigError(`${c}: ${key} must be a boolean, received ${describe(args[key])}`);
}

/** Keras's shape keys of a layer config, per sample: batch_input_shape, batch_shape or input_shape. */
export function kerasInputShape(cfg: Record<string, unknown>): { shape: unknown[]; batch: unknown } | null {
  if (Array.isArray(cfg.batch_input_shape)) return { shape: cfg.batch_input_shape.slice(1), batch: cfg.batch_input_shape[0] };
  if (Array.isArray(cfg.batch_shape)) return { shape: cfg.batch_shape.slice(1), batch: cfg.batch_shape[0] };
  if (Array.isArray(cfg.input_shape)) return { shape: cfg.input_shape, batch: null };
  return null;
}

/** Refuses a Keras option whose value lstm-wasm does not implement. */
export function refuseKeras(ctx: KerasCtx, cfg: Record<string, unknown>, key: string, ok: (v: unknown) => boolean, why: string): void {
  if (cfg[key] !== undefined && !ok(cfg[key])) throw new ConfigError(`${ctx.at} has ${key}: ${describe(cfg[key])}; ${why}`);
}

export const isNullish = (v: unknown): boolean => v === null || v === undefined;

/** Keras's initializer JSON for the ones lstm-wasm uses. */
export const glorotUniformJSON = () => ({ class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_avg', distribution: 'uniform', seed: null } });
export const zerosJSON = () => ({ class_name: 'Zeros', config: {} });
export const NO_REGULARIZERS = ['kernel_regularizer', 'recurrent_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'recurrent_constraint', 'bias_constraint'];
