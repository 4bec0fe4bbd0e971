// A TypeScript user of the installed package: the public API under `strict`, no `any`, every
// named type imported by name. test/package.test.ts type-checks it in a fresh project with
// `tsc --noEmit --strict` against the packed .d.ts files; it is never run.
import {
  ready, isReady, sequential, Sequential, lstm, dense, adam, masking, earlyStopping, EarlyStopping, History,
  padSequences, toCategorical, alphabetDataset, alphabetPatterns, tensor, reshape, divide, createRng, NumpyRandomState,
  trainingCurveSvg, formatLogValue, trainInWorker, PRESETS, DEFAULT_PRESET, CharVocab,
  timeDistributed, toTfjsLayers, fromTfjsLayers, loadModel,
  LstmWasmError, ShapeError, ValueError, ConfigError, StateError,
} from 'lstm-wasm';
import type {
  LSTMArgs, DenseArgs, AdamArgs, MaskingArgs, FitArgs, CompileArgs, SequentialArgs, EvaluateArgs, PredictArgs,
  Tensor, NamedTensor, Callback, Logs, EarlyStoppingArgs, PlotArgs, InputData, TargetData, Rng, RngState,
  Layer, LSTMLayer, DenseLayer, AdamOptimizer, PresetName, RecurrentActivation, TrainInWorkerArgs, TrainInWorkerResult,
} from 'lstm-wasm';

export async function main(): Promise<number> {
  await ready();
  const readyNow: boolean = isReady();

  const { dataX, dataY } = alphabetDataset({ numInputs: 100, maxLen: 3, seed: 7, rng: 'numpy' });
  const padded: Tensor = padSequences(dataX, { maxLen: 3, dtype: 'float32' });
  const x: Tensor = divide(reshape(padded, [dataX.length, 3, 1]), 26);
  const y: Tensor = toCategorical(dataY, 26);
  const shape: number[] = x.shape;
  const data: Float32Array = y.data;

  const lstmArgs: LSTMArgs = { units: 8, inputShape: [3, 1], recurrentActivation: 'sigmoid', unitForgetBias: true };
  const denseArgs: DenseArgs = { units: 26, activation: 'softmax' };
  const adamArgs: AdamArgs = { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
  const maskArgs: MaskingArgs = { maskValue: 0, inputShape: [3, 1] };
  const layers: Layer[] = [masking(maskArgs), lstm(lstmArgs), dense(denseArgs)];
  const l: LSTMLayer = lstm({ units: 4 });
  const d: DenseLayer = dense({ units: 2 });
  const act: RecurrentActivation = l.config.recurrentActivation ?? 'hardSigmoid';
  const preset: PresetName = DEFAULT_PRESET;
  const rng: Rng = createRng(1, 'seedrandom');
  const state: RngState = rng.getState();
  rng.setState(state);
  const modelArgs: SequentialArgs = { layers, rng, preset, kernels: 'simd' };
  const model: Sequential = sequential(modelArgs);
  const optimizer: AdamOptimizer = adam(adamArgs);
  const compileArgs: CompileArgs = { loss: 'categoricalCrossentropy', optimizer, metrics: ['accuracy'] };
  model.compile(compileArgs);

  const seen: number[] = [];
  const logger: Callback = {
    onEpochEnd: (epoch: number, logs: Logs) => { seen.push(epoch, logs.loss); },
    onBatchEnd: async (batch: number, logs: Logs) => { if (!Number.isFinite(logs.loss)) throw new Error(`batch ${batch}`); },
  };
  const stopArgs: EarlyStoppingArgs = { monitor: 'val_loss', patience: 2, restoreBestWeights: true };
  const stopper: EarlyStopping = earlyStopping(stopArgs);
  const controller = new AbortController();
  const fitArgs: FitArgs = {
    epochs: 3, batchSize: 8, shuffle: true, verbose: 0, validationSplit: 0.2,
    callbacks: [logger, stopper], signal: controller.signal,
  };
  const history: History = await model.fit(x, y, fitArgs);
  const losses: number[] = history.history.loss;
  const epochs: number[] = history.epoch;
  const svg: string = trainingCurveSvg(history, { title: 'curve', width: 640 } satisfies PlotArgs);

  const evalArgs: EvaluateArgs = { batchSize: 32 };
  const [loss, acc] = model.evaluate(x, y, evalArgs);
  const predictArgs: PredictArgs = { batchSize: 4 };
  const probs: Tensor = model.predict([[[0.1], [0.2], [0.3]]], predictArgs);
  const ragged: InputData = [[0.1, 0.2], [0.3]];
  const targets: TargetData = [[1, 0], [0, 1]];
  const weights: NamedTensor[] = model.getWeights();
  const names: string[] = weights.map((w) => w.name);
  model.setWeights(weights);
  model.setWeights(weights.map((w) => Array.from(w.data)));
  const { grads } = model.computeGradients(x, y);
  model.dispose();

  try {
    tensor([1, 2, 3], [2, 2]);
  } catch (e: unknown) {
    if (e instanceof ShapeError || e instanceof ValueError || e instanceof ConfigError || e instanceof StateError) {
      const base: LstmWasmError = e;
      console.error(base.name, base.message);
    }
  }

  const job: TrainInWorkerArgs = {
    model: { seed: 7, layers: [lstm({ units: 4, inputShape: [3, 1] }), dense({ units: 26, activation: 'softmax' })] },
    compile: { loss: 'categoricalCrossentropy', optimizer: adam() },
    x, y, fit: { epochs: 1, batchSize: 16 },
    onEpoch: (epoch, logs, timing) => console.log(epoch, formatLogValue(logs.loss), timing.samplesPerSecond),
  };
  const result: TrainInWorkerResult = await trainInWorker(job);
  const aborted: boolean = result.aborted;

  // Stacked, per-step and stateful models; streaming; exchange and worker checkpoints.
  const stack: Sequential = sequential({ layers: [
    lstm({ units: 4, returnSequences: true, stateful: true, batchInputShape: [2, 3, 1] }),
    lstm({ units: 4, returnSequences: true, stateful: true }),
    timeDistributed(dense({ units: 2, activation: 'linear' })),
  ] });
  stack.compile({ loss: 'mse' });
  await stack.fit({ shape: [2, 3, 1], data: new Float32Array(6) }, { shape: [2, 3, 2], data: new Float32Array(12) }, { epochs: 1, shuffle: false });
  const step: Tensor = stack.predictStep([[0.5], [0.25]]);
  stack.resetStates();
  const units: number[] = stack.units;
  const same: Sequential = fromTfjsLayers(toTfjsLayers(stack));
  const resumed: TrainInWorkerResult = await trainInWorker({ from: stack.save(), x, y, fit: { epochs: 1 } });
  const again: Sequential = loadModel(resumed.saved);
  for (const m of [stack, same, again]) m.dispose();

  const vocab = new CharVocab('ABC');
  const codes: number[] = vocab.encode('CAB');
  const numpy = new NumpyRandomState(0);
  const u: number = numpy.random();
  const patterns: number = alphabetPatterns({ maxLen: 5 }).dataX.length;
  const eps: number = PRESETS.keras3.adamEpsilon;
  return [readyNow ? 1 : 0, shape.length, data.length, act.length, d.config.units, seen.length, losses.length,
    epochs.length, svg.length, loss, acc, probs.data.length, names.length, grads.length, ragged.length,
    Array.isArray(targets) ? 1 : 0, aborted ? 1 : 0, codes.length, u, patterns, eps, step.data.length, units.length].reduce((a, b) => a + b, 0);
}
