// Public exports only.
export { ready, isReady } from './wasm.js';
export { sequential, Sequential } from './model.js';
export type { SequentialArgs, CompileArgs, EvaluateArgs, PredictArgs, NamedTensor } from './model.js';
export { lstm, dense, adam } from './layers.js';
export type { LSTMArgs, DenseArgs, AdamArgs, AdamOptimizer, Layer, LSTMLayer, DenseLayer } from './layers.js';
export type { FitArgs } from './fit.js';
export { History, formatLogValue } from './callbacks.js';
export type { Callback, Logs } from './callbacks.js';
export { PRESETS, DEFAULT_PRESET } from './presets.js';
export type { Preset, PresetName, RecurrentActivation } from './presets.js';
export { alphabetDataset, padSequences, toCategorical, CharVocab } from './data.js';
export { tensor, reshape, divide } from './tensor.js';
export type { Tensor } from './tensor.js';
export type { TensorLike, InputData, TargetData } from './inputs.js';
export { createRng, NumpyRandomState, SeededRandom } from './random.js';
export type { Rng, RngKind, RngState } from './random.js';
export { LstmWasmError, ShapeError, ValueError, ConfigError, StateError } from './errors.js';
