// Public exports only.
export { ready, isReady } from './wasm.js';
export { sequential, Sequential } from './model.js';
export type { SequentialArgs, CompileArgs, EvaluateArgs, PredictArgs, NamedTensor, LossName, MetricName } from './model.js';
export { lstm, dense, adam, sgd, rmsprop, masking, timeDistributed } from './layers.js';
export type { LSTMArgs, DenseArgs, AdamArgs, AdamOptimizer, SGDArgs, SGDOptimizer, RMSpropArgs, RMSpropOptimizer, Optimizer, ClipArgs, ClipConfig, DenseActivation, MaskingArgs, Layer, LSTMLayer, DenseLayer, MaskingLayer } from './layers.js';
export type { FitArgs } from './fit.js';
export { History, formatLogValue, earlyStopping, EarlyStopping } from './callbacks.js';
export type { Callback, Logs, EarlyStoppingArgs } from './callbacks.js';
export { trainingCurveSvg } from './plot.js';
export type { PlotArgs } from './plot.js';
export { PRESETS, DEFAULT_PRESET } from './presets.js';
export type { Preset, PresetName, RecurrentActivation } from './presets.js';
export { alphabetDataset, alphabetPatterns, padSequences, toCategorical, CharVocab } from './data.js';
export { tensor, reshape, divide, scale } from './tensor.js';
export type { Tensor, PaddingInfo } from './tensor.js';
export type { TensorLike, InputData, TargetData, SequenceArgs } from './inputs.js';
export { createRng, NumpyRandomState, SeededRandom } from './random.js';
export type { Rng, RngKind, RngState, NumpyRngState, SeedrandomRngState, MutableArrayLike } from './random.js';
export type { AlphabetDataset, AlphabetDatasetArgs, PadSequencesArgs, ToCategoricalArgs } from './data.js';
export { LstmWasmError, ShapeError, ValueError, ConfigError, StateError } from './errors.js';
export { trainInWorker, serveWorker } from './worker.js';
export {
  loadModel, encodeModel, decodeModel, crc32, saveModelIndexedDB, loadModelIndexedDB, deleteModelIndexedDB, downloadModel,
  FORMAT, FORMAT_VERSION, LIBRARY_VERSION,
} from './io.js';
export type { SavedModel, SavedModelJSON, SavedTensor, SavedLayer, ModelSource, SaveArgs, IndexedDBArgs } from './io.js';
export { toTfjsLayers, tfjsModelJSON, fromTfjsLayers, toPyTorchState, fromPyTorchState } from './interop.js';
export type { TfjsLayersArtifacts, TfjsLayersSource, TfjsWeightSpec, ImportArgs, PlainTensor, PyTorchState, PyTorchNames, FromPyTorchArgs } from './interop.js';
export type { TrainInWorkerArgs, TrainInWorkerResult, WorkerFitArgs, EpochTiming, WorkerPort } from './worker.js';
