// The model class: construction (plan, generator, initial weights, arena), weights, states and
// thin delegations. compile.ts writes the loss and optimizer records, run.ts evaluates and
// predicts, fit/ trains, io/ saves; they see the model through state.ts's ModelState.
import { StateError } from '../errors.js';
import type { Preset, PresetName } from '../presets.js';
import type { Layer, LSTMLayer, DenseLayer, MaskingLayer } from '../layers/index.js';
import type { Rng } from '../random.js';
import type { ModelArena } from '../arena.js';
import type { Plan } from '../plan.js';
import { type InputData, type SequenceArgs, type TargetData, type TensorLike } from '../inputs.js';
import type { Tensor } from '../tensor.js';
import type { History } from '../callbacks.js';
import { runFit, type FitArgs } from '../fit/fit.js';
import { saveModel, type SaveArgs, type SavedModel, type ModelSource } from '../io/format.js';
import { compileModel, type CompileArgs, type Compiled } from './compile.js';
import { computeGradients, evaluate, predict, predictStep, type EvaluateArgs, type PredictArgs } from './run.js';
import type { ModelState, NamedTensor } from './state.js';
import { buildModel, type SequentialArgs } from './build.js';
import { checkWeights, loadWeightsInto } from './weights.js';

/**
 * Builds a model from its layers, as Keras's `Sequential`. Needs `await ready()` first. Weights
 * are initialised as Keras: glorot-uniform kernels, an orthogonal recurrent kernel, zero biases
 * with forget bias 1.
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
 * A model of layers (LSTMs, Dense layers, optionally behind a Masking layer), as Keras's
 * `Sequential`; its weights live in WebAssembly memory. Made by `sequential(args)` (or
 * `new Sequential(args)`), `loadModel`, `fromTfjsLayers` or `fromPyTorchState`; needs
 * `await ready()` first. Call `dispose()` to free its memory.
 *
 * @example
 * await ready();
 * const model = sequential({ layers: [lstm({ units: 32, inputShape: [5, 1] }), dense({ units: 26, activation: 'softmax' })] });
 * model.compile({ loss: 'categoricalCrossentropy', optimizer: adam(), metrics: ['accuracy'] });
 * await model.fit(x, y, { epochs: 100, verbose: 0 });
 * const probs = model.predict(x); // Tensor [samples, 26]
 */
export class Sequential implements ModelState {
  /** The model's generator: initialisation, then fit's shuffling. */
  readonly rng: Rng;
  /** The resolved semantics (preset, with the first LSTM's gate activation). */
  readonly preset: Readonly<Preset>;
  /** @internal Shapes, the size table and the program (plan.ts). */
  readonly plan: Plan;
  /** The construction options as resolved: layers, preset name, kernels, seed (what a saved model records). */
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
  /** @internal */ arena: ModelArena | null;
  /** @internal */ compiled: Compiled | null = null;
  /** @internal */ busy: string | null = null;
  /**
   * @internal Where the last shuffling `fit` left the sample order and how many epochs it
   * finished; `fit` with `initialEpoch > 0` continues from it, and checkpoints carry it.
   */
  fitState: { order: Int32Array; epochs: number } | null = null;
  /** Set by a callback to end `fit`, as Keras: from onEpochEnd after that epoch, from onBatchEnd after that batch. */
  stopTraining = false;

  /** @param restore internal (loadModel): the saved weights and seed; the generator in `args.rng` is then not consumed. */
  constructor(args: SequentialArgs, /** @internal */ restore?: { weights: Float32Array[]; seed: number | null }) {
    const built = buildModel(args, restore);
    this.plan = built.plan;
    this.rng = built.rng;
    this.config = built.config;
    this.preset = built.preset;
    this.arena = built.arena;
  }

  /** The layers, as resolved (checked by their factories). */
  get layers(): Layer[] { return this.plan.layers.map((l) => l.layer as Layer); }
  /** The `masking(...)` layer given first, or null without one. */
  get maskingLayer(): MaskingLayer | null { return this.plan.masking; }
  /** Every LSTM layer, bottom first. */
  get lstmLayers(): LSTMLayer[] { return this.plan.layers.filter((l) => l.kind.className === 'LSTM').map((l) => l.layer as LSTMLayer); }
  /** The first LSTM layer. */
  get lstmLayer(): LSTMLayer { return this.lstmLayers[0]; }
  /** Units of each LSTM layer, bottom first. */
  get units(): number[] { return this.lstmLayers.map((l) => l.config.units); }
  /** Units of the last LSTM layer. */
  get H(): number { return this.units[this.units.length - 1] ?? 0; }
  /** The last (output) Dense layer. */
  get denseLayer(): DenseLayer { return this.plan.layers[this.plan.layers.length - 1].layer as DenseLayer; }
  /** True when the recurrent layers carry their state from batch to batch (`stateful: true`). */
  get stateful(): boolean { return this.plan.stateful; }
  /** True when the last layer outputs every step: predictions are [samples, T, V]. */
  get sequenceOutput(): boolean { return this.plan.seqOut; }
  /** The fixed batch size of `batchInputShape`, or null. */
  get batchSize(): number | null { return this.plan.batchSize; }
  /** Steps per sample T from `inputShape[0]`, or null when any length is accepted. */
  get T(): number | null { return this.plan.T; }
  /** Features per step D, from `inputShape[1]`. */
  get D(): number { return this.plan.D; }
  /** Output units V of the last layer (classes with a softmax head). */
  get V(): number { return this.plan.V; }

  /** @internal The live arena, or a StateError after dispose(). */
  live(caller: string): ModelArena {
    if (!this.arena) throw new StateError(`${caller}: the model was disposed`);
    return this.arena;
  }

  /** @internal The live arena for evaluate/predict: allowed while fit runs, except on a stateful model (it would move the states fit continues). */
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
    const params = this.live('setWeights()').region('params');
    this.plan.slices.forEach((s, i) => params.set(ws[i], s.offset));
  }

  /**
   * Configures training: loss, optimizer and metrics. Resets the optimizer's state.
   *
   * @example
   * model.compile({ loss: 'categoricalCrossentropy', optimizer: adam(), metrics: ['accuracy'] });
   */
  compile(args: CompileArgs): void {
    const c = 'compile()';
    this.compiled = compileModel(c, this.idle(c), this.plan, this.config.preset, this.preset, args);
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

  /**
   * Loss and metrics over (x, y) without updating anything, as Keras's `evaluate`: `[loss, acc]`
   * (or `[loss]` without metrics; `[loss, ...metrics]` in compile's order). Means over samples.
   *
   * @example
   * const [loss, acc] = model.evaluate(x, y);
   */
  evaluate(x: InputData, y: TargetData, args: EvaluateArgs = {}): number[] {
    return evaluate(this, x, y, args);
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
    return computeGradients(this, x, y, args);
  }

  /**
   * The last layer's outputs for each sample (class probabilities with a softmax head): a Tensor
   * of shape [samples, units] ([samples, steps, units] when the last layer outputs every step).
   *
   * @example
   * const probs = model.predict({ shape: [1, 5, 1], data: new Float32Array([0, 0, 10, 11, 12].map((k) => k / 26)) });
   */
  predict(x: InputData, args: PredictArgs = {}): Tensor {
    return predict(this, x, args);
  }

  /**
   * Clears every recurrent state to zero, as Keras's `reset_states()`: a stateful model's batch
   * states and the stream that `predictStep` continues.
   *
   * @example
   * model.resetStates();
   */
  resetStates(): void {
    this.idle('resetStates()').states().fill(0);
  }

  /**
   * Streams one timestep: continues each recurrent layer's state (kept in WASM memory) with the
   * step `x` and returns the last layer's output for it, a Tensor [rows, units]. `x` holds D
   * features, or [rows, D] for a stateful model with a batch size of rows. The state persists
   * across calls (and, for a stateful model, is the state fit, evaluate and predict continue)
   * until `resetStates()`.
   *
   * @example
   * model.resetStates();
   * for (const v of series) next = model.predictStep([v]).data[0];
   */
  predictStep(x: TensorLike | ArrayLike<number> | number[][]): Tensor {
    return predictStep(this, x);
  }

  /**
   * The weights in Keras order and shapes, layer by layer: an LSTM's kernel (D,4H),
   * recurrent_kernel (H,4H), bias (4H) (gates i, f, c, o); a Dense's kernel (in, units), bias
   * (units). Names as tf.keras numbers layers: lstm, lstm_1, ..., dense, dense_1, ... Copies.
   *
   * @example
   * const [kernel, recurrentKernel, bias, denseKernel, denseBias] = model.getWeights();
   */
  getWeights(): NamedTensor[] {
    const params = this.live('getWeights()').region('params');
    return this.plan.slices.map((s) => ({ name: s.name, shape: [...s.shape], data: params.slice(s.offset, s.offset + s.size) }));
  }

  /**
   * Replaces the weights, in `getWeights()` order: tensors (shape checked) or plain arrays of the
   * right length. All are checked before any is written; the optimizer state is kept, as Keras.
   *
   * @example
   * other.setWeights(model.getWeights());
   */
  setWeights(weights: Array<Tensor | Float32Array | number[]>, /** @internal */ caller = 'setWeights()'): void {
    this.idle(caller);
    this.writeParams(checkWeights(caller, this.plan.slices, weights));
  }

  /**
   * The whole model as a versioned, self-describing artefact: `json` (architecture, options,
   * compile arguments, the optimizer's step, the generator's state, where fit's shuffling stands)
   * and `weights` (weights, the optimizer's m and v, fit's order, a stateful model's states;
   * CRC-32 checked). `loadModel(saved)` restores it exactly; `encodeModel(saved)` makes it one
   * file. A checkpoint taken in `onEpochEnd(epoch)` resumes with `initialEpoch: epoch + 1`.
   *
   * @example
   * const saved = model.save();
   * const again = loadModel(saved); // same predictions; training continues where it stopped
   */
  save(args: SaveArgs = {}): SavedModel {
    return saveModel(this, args);
  }

  /**
   * Replaces this model's weights with a saved model's, as Keras's `load_weights`: the
   * architectures must match (ShapeError otherwise); optimizer state, generator and compile
   * settings stay. Everything is checked first: a refused file changes nothing.
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


export type { CompileArgs, EvaluateArgs, PredictArgs, NamedTensor, SequentialArgs };
