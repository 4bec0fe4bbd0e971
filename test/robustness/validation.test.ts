// Input validation everywhere in the public API (issue 7): every refused call throws a documented
// error type (ShapeError, ValueError, ConfigError, StateError) whose message names the argument,
// what was expected and what was received; and a refused call leaves the model exactly as it was.
// Oracle for "exactly as it was": a sha256 of the weights, Adam's m and v, the step and compile
// slots, the generator and fit's sample order, taken before and after every refused call, plus an
// untouched twin model that must train to the same bits afterwards.
import { describe, it, expect, beforeAll } from 'vitest';
import {
  ready, sequential, lstm, dense, masking, timeDistributed, adam, padSequences, toCategorical, tensor, reshape, divide, CharVocab,
  alphabetDataset, alphabetPatterns, createRng, trainInWorker, ShapeError, ValueError, ConfigError, StateError, type Sequential,
} from '../../src/index.js';
import { memoryStats, refused, stateHash, task, smallModel, expectSameBits, type ErrorClass } from '../helpers/robust.js';

beforeAll(async () => {
  await ready();
});

type Case = [label: string, call: () => unknown, type: ErrorClass, says: Array<string | RegExp>];

const layers = () => [lstm({ units: 2, inputShape: [3, 1] }), dense({ units: 2, activation: 'softmax' })];

describe('layer, optimizer and model factories', () => {
  const cases: Case[] = [
    ['sequential(): no options', () => sequential(undefined as never), ConfigError, ['sequential()', "'layers'", 'received undefined']],
    ['sequential(): typo layer', () => sequential({ layer: layers() } as never), ConfigError, ["unknown option 'layer'", 'known options: layers']],
    ['sequential(): typo Layers', () => sequential({ Layers: layers() } as never), ConfigError, ["unknown option 'Layers'", "did you mean 'layers'"]],
    ['sequential(): layers a string', () => sequential({ layers: 'lstm' as never }), ConfigError, ['layers must be a non-empty array of layers made by the layer factories', 'ending in dense(...)', "received 'lstm'"]],
    ['sequential(): layers reversed', () => sequential({ layers: [dense({ units: 2 }), lstm({ units: 2, inputShape: [3, 1] })] as never }), ConfigError, ['layers[0] (dense) cannot come first: it takes no inputShape']],
    ['sequential(): seed -1', () => sequential({ seed: -1, layers: layers() }), ValueError, ['seed must be an integer in [0, 4294967295]', 'received -1']],
    ['sequential(): seed 1.5', () => sequential({ seed: 1.5, layers: layers() }), ValueError, ['seed must be an integer', 'received 1.5']],
    ['sequential(): seed NaN', () => sequential({ seed: NaN, layers: layers() }), ValueError, ['seed must be an integer', 'received NaN']],
    ["sequential(): seed '7'", () => sequential({ seed: '7' as never, layers: layers() }), ValueError, ['seed must be an integer', "received '7'"]],
    ['sequential(): preset keras4', () => sequential({ preset: 'keras4' as never, layers: layers() }), ConfigError, ["preset must be one of 'keras2', 'keras3'", "received 'keras4'"]],
    ['sequential(): kernels gpu', () => sequential({ kernels: 'gpu' as never, layers: layers() }), ConfigError, ["kernels must be one of 'simd', 'scalar'", "received 'gpu'"]],
    ['sequential(): rng mt', () => sequential({ rng: 'mt' as never, layers: layers() }), ConfigError, ["rng must be one of 'seedrandom', 'numpy'", "received 'mt'"]],
    ['sequential(): rng object and seed', () => sequential({ rng: createRng(1), seed: 2, layers: layers() }), ConfigError, ['either seed or an rng object']],
    ['sequential(): no inputShape', () => sequential({ layers: [lstm({ units: 2 }), dense({ units: 2 })] }), ShapeError, ['inputShape: [timesteps, features]']],
    ['lstm(): no options', () => lstm(undefined as never), ConfigError, ['lstm()', "'units'"]],
    ['lstm(): options null', () => lstm(null as never), ConfigError, ['options must be an object', 'received null']],
    ['lstm(): units 0', () => lstm({ units: 0 }), ValueError, ['units must be an integer in [1, 4096]', 'received 0']],
    ['lstm(): units -3', () => lstm({ units: -3 }), ValueError, ['units must be an integer in [1, 4096]', 'received -3']],
    ['lstm(): units 2.5', () => lstm({ units: 2.5 }), ValueError, ['units must be an integer', 'received 2.5']],
    ['lstm(): units NaN', () => lstm({ units: NaN }), ValueError, ['units must be an integer', 'received NaN']],
    ["lstm(): units '4'", () => lstm({ units: '4' as never }), ValueError, ['units must be an integer', "received '4'"]],
    ['lstm(): units 4097', () => lstm({ units: 4097 }), ValueError, ['units must be an integer in [1, 4096]', 'received 4097']],
    ['lstm(): typo unit', () => lstm({ unit: 4 } as never), ConfigError, ["unknown option 'unit'", 'known options: units']],
    ['lstm(): typo inputshape', () => lstm({ units: 4, inputshape: [3, 1] } as never), ConfigError, ["unknown option 'inputshape'", "did you mean 'inputShape'"]],
    ['lstm(): inputShape [3]', () => lstm({ units: 4, inputShape: [3] as never }), ShapeError, ['inputShape must be [timesteps, features]', 'received an array of length 1']],
    ['lstm(): 0 timesteps', () => lstm({ units: 4, inputShape: [0, 1] }), ValueError, ['inputShape[0] (timesteps) must be an integer in [1, 1048576]', 'received 0']],
    ['lstm(): 0 features', () => lstm({ units: 4, inputShape: [3, 0] }), ValueError, ['inputShape[1] (features) must be an integer in [1, 65536]', 'received 0']],
    ['lstm(): recurrentActivation relu', () => lstm({ units: 4, recurrentActivation: 'relu' as never }), ConfigError, ["recurrentActivation must be one of 'sigmoid', 'hardSigmoid'", "received 'relu'"]],
    ['lstm(): returnSequences not a boolean', () => lstm({ units: 4, returnSequences: 'yes' as never }), ConfigError, ["returnSequences must be a boolean, received 'yes'"]],
    ['lstm(): stateful not a boolean', () => lstm({ units: 4, stateful: 1 as never }), ConfigError, ['stateful must be a boolean, received 1']],
    ['lstm(): batchInputShape of two', () => lstm({ units: 4, batchInputShape: [1, 5] as never }), ShapeError, ['batchInputShape must be [batch, timesteps, features]']],
    ['sequential(): a lower lstm without returnSequences', () => sequential({ layers: [lstm({ units: 4, inputShape: [5, 1] }), lstm({ units: 3 }), dense({ units: 2 })] }), ConfigError, ['layers[1] (lstm) expects [timesteps, features] per sample, but layers[0] (lstm) outputs [4] (give it returnSequences: true)']],
    ['sequential(): inputShape on a second lstm', () => sequential({ layers: [lstm({ units: 4, returnSequences: true, inputShape: [5, 1] }), lstm({ units: 3, inputShape: [5, 4] }), dense({ units: 2 })] }), ConfigError, ['layers[1]: only the first layer takes inputShape']],
    ['sequential(): masking with a sequence output', () => sequential({ layers: [masking({ inputShape: [5, 1] }), lstm({ units: 4, returnSequences: true }), dense({ units: 2 })] }), ConfigError, ['masking works with models that output the last step']],
    ['timeDistributed(): not a dense', () => timeDistributed(lstm({ units: 3 }) as never), ConfigError, ['wraps a dense(...) layer']],
    ["lstm(): unitForgetBias 'yes'", () => lstm({ units: 4, unitForgetBias: 'yes' as never }), ConfigError, ['unitForgetBias must be a boolean', "received 'yes'"]],
    ['dense(): units 0', () => dense({ units: 0 }), ValueError, ['units must be an integer in [1, 65536]', 'received 0']],
    ['dense(): activation swish', () => dense({ units: 3, activation: 'swish' as never }), ConfigError, ['activation must be one of', "'softmax'", "received 'swish'"]],
    ['dense(): typo activaton', () => dense({ units: 3, activaton: 'softmax' } as never), ConfigError, ["unknown option 'activaton'", 'known options: units, activation']],
    ['masking(): maskValue NaN', () => masking({ maskValue: NaN }), ValueError, ['maskValue must be a number', 'received NaN']],
    ['masking(): typo mask_value', () => masking({ mask_value: 0 } as never), ConfigError, ["unknown option 'mask_value'"]],
    ['adam(): learningRate NaN', () => adam({ learningRate: NaN }), ValueError, ['learningRate must be a finite number in (0, Infinity)', 'received NaN']],
    ['adam(): learningRate 0', () => adam({ learningRate: 0 }), ValueError, ['learningRate must be a finite number in (0, Infinity)', 'received 0']],
    ['adam(): learningRate -1', () => adam({ learningRate: -1 }), ValueError, ['learningRate', 'received -1']],
    ['adam(): learningRate Infinity', () => adam({ learningRate: Infinity }), ValueError, ['learningRate', 'received Infinity']],
    ["adam(): learningRate '0.1'", () => adam({ learningRate: '0.1' as never }), ValueError, ['learningRate', "received '0.1'"]],
    ['adam(): typo learningrate', () => adam({ learningrate: 0.1 } as never), ConfigError, ["unknown option 'learningrate'", "did you mean 'learningRate'"]],
    ['adam(): typo lr', () => adam({ lr: 0.1 } as never), ConfigError, ["unknown option 'lr'", 'known options: learningRate']],
    ['adam(): beta1 1.5', () => adam({ beta1: 1.5 }), ValueError, ['beta1 must be a finite number in [0, 1]', 'received 1.5']],
    ['adam(): beta2 1', () => adam({ beta2: 1 }), ConfigError, ['beta1 and beta2 must be below 1']],
    ['adam(): epsilon -1', () => adam({ epsilon: -1 }), ValueError, ['epsilon must be a finite number in (0, Infinity)', 'received -1']],
  ];
  it.each(cases)('%s', async (label, call, type, says) => {
    const before = memoryStats().liveBytes;
    await refused(call, type, says, label);
    expect(memoryStats().liveBytes, `${label}: WASM memory handed out`).toBe(before);
  });
});

describe('data utilities', () => {
  const t6 = () => tensor([1, 2, 3, 4, 5, 6], [6]);
  const cases: Case[] = [
    ["padSequences(): sequences 'abc'", () => padSequences('abc' as never), ValueError, ['sequences must be an array of arrays', 'got string']],
    ['padSequences(): sequence 1 is 5', () => padSequences([[1], 5] as never), ValueError, ['sequence 1 must be an array', 'got number']],
    ['padSequences(): NaN step', () => padSequences([[1, NaN]]), ValueError, ['sequence 0, step 1 is NaN', 'finite']],
    ['padSequences(): typo maxlen', () => padSequences([[1]], { maxlen: 2 } as never), ConfigError, ["unknown option 'maxlen'", 'maxLen']],
    ['padSequences(): padding mid', () => padSequences([[1]], { padding: 'mid' as never }), ConfigError, ["padding must be 'pre' or 'post'", "got 'mid'"]],
    ['padSequences(): maxLen -1', () => padSequences([[1]], { maxLen: -1 }), ValueError, ['maxLen must be a non-negative integer', 'got -1']],
    ['padSequences(): int32 value NaN', () => padSequences([[1]], { value: NaN }), ValueError, ["value = NaN does not fit dtype 'int32'"]],
    ['padSequences(): ragged features', () => padSequences([[[1, 2], [3]]]), ShapeError, ['sequence 0, step 1 has 1 features', '2 features']],
    ['toCategorical(): label 3 of 3', () => toCategorical([0, 3], 3), ValueError, ['y[1] = 3 is not in [0, 3)']],
    ['toCategorical(): label -1', () => toCategorical([-1]), ValueError, ['y[0] = -1', 'non-negative integers']],
    ['toCategorical(): label 1.5', () => toCategorical([1.5]), ValueError, ['y[0] = 1.5', 'non-negative integers']],
    ['toCategorical(): label NaN', () => toCategorical([0, NaN], 2), ValueError, ['y[1] = NaN']],
    ['toCategorical(): numClasses 0', () => toCategorical([0], 0), ValueError, ['numClasses must be a positive integer', 'got 0']],
    ['toCategorical(): typo vocabsize', () => toCategorical([0], 2, { vocabsize: 3 } as never), ConfigError, ["unknown option 'vocabsize'", 'vocabularySize']],
    ['toCategorical(): y null', () => toCategorical(null as never), ValueError, ['y must be an array of integer labels', 'got null']],
    ['tensor(): size mismatch', () => tensor([1, 2, 3], [2, 2]), ShapeError, ['data has 3 elements', 'shape [2, 2] needs 4']],
    ['tensor(): shape [-1]', () => tensor([], [-1]), ShapeError, ['shape[0] must be a non-negative integer', 'got -1']],
    ['reshape(): size mismatch', () => reshape(t6(), [4, 2]), ShapeError, ['[6] has 6 elements', '[4, 2] needs 8']],
    ['reshape(): two -1', () => reshape(t6(), [-1, -1]), ShapeError, ['only one -1 allowed']],
    ['reshape(): cannot infer', () => reshape(t6(), [4, -1]), ShapeError, ['cannot infer -1 in [4, -1] for 6 elements']],
    ['divide(): divisor NaN', () => divide(t6(), NaN), ValueError, ['divisor must be a number', 'got NaN']],
    ["divide(): divisor '2'", () => divide(t6(), '2' as never), ValueError, ['divisor must be a number', "got '2'"]],
    ["CharVocab(): ''", () => new CharVocab(''), ValueError, ['alphabet must be a non-empty string']],
    ["CharVocab(): 'ABA'", () => new CharVocab('ABA'), ValueError, ["character 'A' appears twice", 'at 0 and 2']],
    ['CharVocab.encode(): unknown Z', () => new CharVocab('ABC').encode('AZ'), ValueError, ["unknown character 'Z' at index 1", "the alphabet is 'ABC'"]],
    ['CharVocab.decode(): 3', () => new CharVocab('ABC').decode([0, 3]), ValueError, ['value 3 at index 1 is not an integer in [0, 3)']],
    ['alphabetDataset(): numInputs 0', () => alphabetDataset({ numInputs: 0 }), ValueError, ['numInputs must be an integer in [1, 10000000]', 'got 0']],
    ['alphabetDataset(): typo numinputs', () => alphabetDataset({ numinputs: 5 } as never), ConfigError, ["unknown option 'numinputs'", 'numInputs']],
    ["alphabetDataset(): alphabet 'AB'", () => alphabetDataset({ alphabet: 'AB' }), ValueError, ['alphabet must have at least 3 letters', 'got 2']],
    ["alphabetDataset(): rng 'mt'", () => alphabetDataset({ rng: 'mt' as never }), ConfigError, ["unknown rng kind 'mt'", "'numpy', 'seedrandom'"]],
    ['trainInWorker(): null', () => trainInWorker(null as never), ConfigError, ['options with model, compile, x and y are required', 'received null']],
    ['trainInWorker(): typo compiled', () => trainInWorker({ model: {}, compiled: {}, x: [], y: [] } as never), ConfigError, ["unknown option 'compiled'", 'known options: model, from, compile, x, y']],
    ['trainInWorker(): no y', () => trainInWorker({ model: {}, compile: {}, x: [] } as never), ConfigError, ["'y' is required"]],
    ['trainInWorker(): fit.callbacks', () => trainInWorker({ model: {}, compile: {}, x: [], y: [], fit: { callbacks: [] } } as never), ConfigError, ['fit.callbacks cannot cross to a worker']],
  ];
  it.each(cases)('%s', async (label, call, type, says) => {
    await refused(call, type, says, label);
  });
});

// Fixed-length task: 8 samples of 3 steps, 1 feature, 5 classes; the model: H 4.
const N = 8;
const { x, y } = task(N, 3, 5);
const nested = Array.from({ length: N }, (_, i) => Array.from({ length: 3 }, (_, t) => [x.data[i * 3 + t]]));
const ys = Array.from({ length: N }, (_, i) => Array.from(y.data.subarray(i * 5, i * 5 + 5)));
const withValue = (at: number, v: number) => {
  const d = Float32Array.from(x.data);
  d[at] = v;
  return { shape: [N, 3, 1], data: d };
};

// A saved model of another architecture (H 3), its WASM memory freed before the call.
const otherSaved = () => {
  const o = sequential({ seed: 1, layers: [lstm({ units: 3, inputShape: [3, 1] }), dense({ units: 5, activation: 'softmax' })] });
  try {
    return o.save();
  } finally {
    o.dispose();
  }
};

// Every refused call on a live, compiled, already trained model (so Adam's m, v and step are not
// zero and a reset would show).
const modelCases: Array<[label: string, call: (m: Sequential) => unknown, type: ErrorClass, says: Array<string | RegExp>]> = [
  ['compile(): no options', (m) => m.compile(undefined as never), ConfigError, ['compile()', "'loss'", 'received undefined']],
  ['compile(): loss crossentropy', (m) => m.compile({ loss: 'crossentropy' as never }), ConfigError, ["loss must be one of 'categoricalCrossentropy'", "received 'crossentropy'"]],
  ['compile(): typo optimiser', (m) => m.compile({ loss: 'categoricalCrossentropy', optimiser: 'adam' } as never), ConfigError, ["unknown option 'optimiser'", 'known options: loss, optimizer, metrics']],
  ['compile(): optimizer adamm', (m) => m.compile({ loss: 'categoricalCrossentropy', optimizer: 'adamm' as never }), ConfigError, ['optimizer must be adam(...)', "received 'adamm'"]],
  ["compile(): metrics 'accuracy'", (m) => m.compile({ loss: 'categoricalCrossentropy', metrics: 'accuracy' as never }), ConfigError, ['metrics must be an array', "received 'accuracy'"]],
  ['compile(): metrics [accurcy]', (m) => m.compile({ loss: 'categoricalCrossentropy', metrics: ['accurcy' as never] }), ConfigError, ['metrics[0] must be one of', "'accuracy'", "received 'accurcy'"]],
  ['fit(): options null', (m) => m.fit(x, y, null as never), ConfigError, ['fit(): options must be an object', 'received null']],
  ['fit(): epochs 0', (m) => m.fit(x, y, { epochs: 0 }), ValueError, ['fit(): epochs must be an integer in [1, ∞]', 'received 0']],
  ['fit(): epochs -1', (m) => m.fit(x, y, { epochs: -1 }), ValueError, ['epochs must be an integer', 'received -1']],
  ['fit(): epochs 2.5', (m) => m.fit(x, y, { epochs: 2.5 }), ValueError, ['epochs must be an integer', 'received 2.5']],
  ['fit(): epochs Infinity', (m) => m.fit(x, y, { epochs: Infinity }), ValueError, ['epochs must be an integer', 'received Infinity']],
  ["fit(): epochs '3'", (m) => m.fit(x, y, { epochs: '3' as never }), ValueError, ['epochs must be an integer', "received '3'"]],
  ['fit(): batchSize 0', (m) => m.fit(x, y, { batchSize: 0 }), ValueError, ['batchSize must be an integer in [1, ∞]', 'received 0']],
  ['fit(): batchSize NaN', (m) => m.fit(x, y, { batchSize: NaN }), ValueError, ['batchSize must be an integer', 'received NaN']],
  ['fit(): typo batchsize', (m) => m.fit(x, y, { batchsize: 2 } as never), ConfigError, ["unknown option 'batchsize'", "did you mean 'batchSize'"]],
  ['fit(): typo epoch', (m) => m.fit(x, y, { epoch: 2 } as never), ConfigError, ["unknown option 'epoch'", 'known options: epochs']],
  ['fit(): typo validation_split', (m) => m.fit(x, y, { validation_split: 0.2 } as never), ConfigError, ["unknown option 'validation_split'", 'validationSplit']],
  ['fit(): verbose 3', (m) => m.fit(x, y, { verbose: 3 as never }), ConfigError, ["verbose must be one of '0', '1', '2'", "received '3'"]],
  ["fit(): shuffle 'yes'", (m) => m.fit(x, y, { shuffle: 'yes' as never }), ValueError, ['shuffle must be a boolean', "received 'yes'"]],
  ['fit(): initialEpoch >= epochs', (m) => m.fit(x, y, { epochs: 3, initialEpoch: 3 }), ValueError, ['initialEpoch (3) must be below epochs (3)']],
  ['fit(): validationSplit 1', (m) => m.fit(x, y, { validationSplit: 1 }), ValueError, ['validationSplit must be a number in (0, 1)', 'received 1']],
  ['fit(): validationSplit NaN', (m) => m.fit(x, y, { validationSplit: NaN }), ValueError, ['validationSplit must be a number in (0, 1)', 'received NaN']],
  ['fit(): validationSplit leaves none', (m) => m.fit(x, y, { validationSplit: 0.99 }), ValueError, ['validationSplit 0.99 of 8 samples leaves 0 for training']],
  ['fit(): split and data', (m) => m.fit(x, y, { validationSplit: 0.5, validationData: [x, y] }), ValueError, ['give validationSplit or validationData, not both']],
  ["fit(): validationData 'abc'", (m) => m.fit(x, y, { validationData: 'abc' as never }), ValueError, ['validationData must be [x, y]', "received 'abc'"]],
  ['fit(): validationData typo', (m) => m.fit(x, y, { validationData: [x, y, { lenghts: [] } as never] }), ConfigError, ["unknown option 'lenghts'"]],
  ['fit(): validationData wrong classes', (m) => m.fit(x, y, { validationData: [x, toCategorical([0], 4)] }), ShapeError, ['validationData', 'x has 8 samples but y has 1']],
  ['fit(): callbacks 5', (m) => m.fit(x, y, { callbacks: 5 as never }), ValueError, ['callbacks[0] must be an object of hooks', 'received 5']],
  ['fit(): typo onEpochend', (m) => m.fit(x, y, { callbacks: { onEpochend() {} } as never }), ConfigError, ["unknown option 'onEpochend'", "did you mean 'onEpochEnd'"]],
  ['fit(): signal {}', (m) => m.fit(x, y, { signal: {} as never }), ValueError, ['signal must be an AbortSignal', 'received an object']],
  ['fit(): x null', (m) => m.fit(null as never, y), ShapeError, ['x must be a rank-3 nested array or a {shape, data} tensor', 'received null']],
  ["fit(): x 'abc'", (m) => m.fit('abc' as never, y), ShapeError, ['x must be a rank-3', "received 'abc'"]],
  ['fit(): x rank 2', (m) => m.fit({ shape: [N, 3], data: x.data }, y), ShapeError, ['x must have rank 3, received shape [8, 3]', 'reshape to [8, 3, 1]']],
  ['fit(): x 4 steps', (m) => m.fit({ shape: [2, 4, 1], data: new Float32Array(8) }, toCategorical([0, 1], 5)), ShapeError, ['x has 4 steps, the model expects 3']],
  ['fit(): x 2 features', (m) => m.fit({ shape: [4, 3, 2], data: new Float32Array(24) }, toCategorical([0, 1, 2, 3], 5)), ShapeError, ['x has 2 features per step', 'the model expects 1']],
  ['fit(): x data short', (m) => m.fit({ shape: [N, 3, 1], data: x.data.subarray(1) }, y), ShapeError, ['x has shape [8, 3, 1] (24 values) but 23 data values']],
  ['fit(): x shape NaN', (m) => m.fit({ shape: [NaN, 3, 1], data: x.data }, y), ShapeError, ['x has an invalid shape [NaN, 3, 1]']],
  ['fit(): x 0 samples', (m) => m.fit({ shape: [0, 3, 1], data: new Float32Array(0) }, { shape: [0, 5], data: new Float32Array(0) }), ShapeError, ['x has 0 samples; at least one is needed']],
  ['fit(): x NaN', (m) => m.fit(withValue(5, NaN), y), ValueError, ['x[1][2][0] is NaN', 'every value must be a finite float32']],
  ['fit(): x Infinity', (m) => m.fit(withValue(0, Infinity), y), ValueError, ['x[0][0][0] is Infinity']],
  ['fit(): x -Infinity', (m) => m.fit(withValue(23, -Infinity), y), ValueError, ['x[7][2][0] is -Infinity']],
  ['fit(): nested x NaN', (m) => m.fit(nested.map((s, i) => (i === 2 ? [[0], [NaN], [0]] : s)), ys), ValueError, ['x[2][1][0] is NaN', 'finite float32']],
  ["fit(): nested x '0.5'", (m) => m.fit(nested.map((s, i) => (i === 0 ? [[0], ['0.5'], [0]] : s)) as never, ys), ValueError, ["x[0][1][0] is '0.5'"]],
  ['fit(): nested x 2 features', (m) => m.fit([[[0, 1], [0, 1]], [[0, 1]]], [ys[0], ys[1]]), ShapeError, ['x[0][0] has 2 features, the model expects 1']],
  ['fit(): nested x holey', (m) => m.fit([[[1], , [2]]] as never, [ys[0]]), ShapeError, ['x[0][1] has undefined', 'expected an array of length 1']],
  ['fit(): x 4 steps ragged', (m) => m.fit([[1, 2, 3, 4], [1]], [ys[0], ys[1]]), ShapeError, ['x[0] has 4 steps, the model expects at most 3']],
  ['fit(): y 7 samples', (m) => m.fit(x, { shape: [7, 5], data: y.data.subarray(0, 35) }), ShapeError, ['x has 8 samples but y has 7']],
  ['fit(): y 4 classes', (m) => m.fit(x, toCategorical([0, 1, 2, 3, 0, 1, 2, 3], 4)), ShapeError, ['y has 4 classes per row (shape [8, 4])', "the model's last layer has 5 units"]],
  ['fit(): y labels not one-hot', (m) => m.fit(x, [0, 1, 2, 3, 4, 0, 1, 2] as never), ShapeError, ['y must be nested 2 deep', 'y[0] is 0']],
  ['fit(): y NaN', (m) => m.fit(x, { shape: [N, 5], data: Float32Array.from(y.data, (v, i) => (i === 11 ? NaN : v)) }), ValueError, ['y[2][1] is NaN']],
  ['fit(): y rank 3', (m) => m.fit(x, { shape: [N, 5, 1], data: y.data }), ShapeError, ['y must have rank 2, received shape [8, 5, 1]']],
  ['fit(): lengths 7 entries', (m) => m.fit(x, y, { lengths: [3, 3, 3, 3, 3, 3, 3] }), ShapeError, ['lengths has 7 entries but x has 8 samples']],
  ['fit(): lengths 4 > 3', (m) => m.fit(x, y, { lengths: [3, 3, 4, 3, 3, 3, 3, 3] }), ValueError, ['lengths[2] is 4', 'integer in [0, 3]']],
  ['fit(): lengths -1', (m) => m.fit(x, y, { lengths: [3, 3, 3, 3, 3, 3, 3, -1] }), ValueError, ['lengths[7] is -1']],
  ['fit(): lengths 1.5', (m) => m.fit(x, y, { lengths: [1.5, 3, 3, 3, 3, 3, 3, 3] }), ValueError, ['lengths[0] is 1.5']],
  ["fit(): lengths 'abc'", (m) => m.fit(x, y, { lengths: 5 as never }), ShapeError, ['lengths must be an array of 8 integers', 'received 5']],
  ['fit(): lengths with ragged x', (m) => m.fit([[1], [1, 2]], [ys[0], ys[1]], { lengths: [1, 2] }), ShapeError, ['lengths go with padded tensors']],
  ['fit(): padding middle', (m) => m.fit(x, y, { padding: 'middle' as never }), ConfigError, ["padding must be one of 'pre', 'post'", "received 'middle'"]],
  ['evaluate(): typo batchsize', (m) => m.evaluate(x, y, { batchsize: 2 } as never), ConfigError, ["unknown option 'batchsize'", "did you mean 'batchSize'"]],
  ['evaluate(): verbose 2', (m) => m.evaluate(x, y, { verbose: 2 as never }), ConfigError, ["verbose must be one of '0', '1'", "received '2'"]],
  ['evaluate(): batchSize 0', (m) => m.evaluate(x, y, { batchSize: 0 }), ValueError, ['batchSize must be an integer', 'received 0']],
  ['evaluate(): y 4 classes', (m) => m.evaluate(x, toCategorical([0, 1, 2, 3, 0, 1, 2, 3], 4)), ShapeError, ['evaluate()', 'y has 4 classes per row']],
  ['evaluate(): x NaN', (m) => m.evaluate(withValue(3, NaN), y), ValueError, ['evaluate()', 'x[1][0][0] is NaN']],
  ['predict(): x null', (m) => m.predict(null as never), ShapeError, ['predict()', 'x must be a rank-3', 'received null']],
  ['predict(): options null', (m) => m.predict(x, null as never), ConfigError, ['predict(): options must be an object', 'received null']],
  ['predict(): typo Lengths', (m) => m.predict(x, { Lengths: [] } as never), ConfigError, ["unknown option 'Lengths'", "did you mean 'lengths'"]],
  ['predict(): batchSize -1', (m) => m.predict(x, { batchSize: -1 }), ValueError, ['batchSize must be an integer in [1, ∞]', 'received -1']],
  ['predict(): x Infinity', (m) => m.predict(withValue(4, Infinity)), ValueError, ['predict()', 'x[1][1][0] is Infinity']],
  ['computeGradients(): typo length', (m) => m.computeGradients(x, y, { length: [] } as never), ConfigError, ["unknown option 'length'", 'known options: lengths, padding']],
  ['computeGradients(): y 7 samples', (m) => m.computeGradients(x, { shape: [7, 5], data: y.data.subarray(0, 35) }), ShapeError, ['computeGradients()', 'x has 8 samples but y has 7']],
  ['setWeights(): null', (m) => m.setWeights(null as never), ShapeError, ['expected 5 weight tensors (lstm/kernel, lstm/recurrent_kernel, lstm/bias, dense/kernel, dense/bias)', 'received null']],
  ['setWeights(): 4 tensors', (m) => m.setWeights(m.getWeights().slice(0, 4)), ShapeError, ['expected 5 weight tensors', 'received an array of length 4']],
  ['setWeights(): wrong shape', (m) => m.setWeights(m.getWeights().map((w, i) => (i === 1 ? { shape: [16, 4], data: w.data } : w))), ShapeError, ['weights[1] (lstm/recurrent_kernel) has shape [16, 4], expected [4, 16]']],
  ['setWeights(): wrong length', (m) => m.setWeights(m.getWeights().map((w, i) => (i === 2 ? Array.from(w.data).slice(1) : w))), ShapeError, ['weights[2] (lstm/bias) has 15 values, expected 16']],
  ['setWeights(): NaN', (m) => m.setWeights(m.getWeights().map((w, i) => (i === 3 ? Float32Array.from(w.data, (v, j) => (j === 5 ? NaN : v)) : w))), ValueError, ['weights[3] (dense/kernel) has NaN at flat index 5', 'must be finite']],
  ['setWeights(): 1e39 overflows float32', (m) => m.setWeights(m.getWeights().map((w, i) => (i === 4 ? [1e39, 0, 0, 0, 0] : w))), ValueError, ['weights[4] (dense/bias) has 1e+39 at flat index 0']],
  ['loadWeights(): 3 bytes', (m) => m.loadWeights(new Uint8Array([1, 2, 3])), ValueError, ['loadWeights(): not an lstm-wasm model file', 'LSTMWASM']],
  ['loadWeights(): null', (m) => m.loadWeights(null as never), ValueError, ["expected model.save()'s { json, weights } or encodeModel() bytes", 'received null']],
  ['loadWeights(): other architecture', (m) => m.loadWeights(otherSaved()), ShapeError, ['the file holds a model with D=1 features, LSTM units [3], V=5 classes', 'this model has D=1, LSTM units [4], V=5']],
  ['save(): typo includeOptimiser', (m) => m.save({ includeOptimiser: true } as never), ConfigError, ["unknown option 'includeOptimiser'", 'includeOptimizer']],
  ["setWeights(): a string", (m) => m.setWeights(m.getWeights().map((w, i) => (i === 0 ? 'w' : w)) as never), ShapeError, ['weights[0] (lstm/kernel) must be a tensor, Float32Array or number[]', "received 'w'"]],
];

describe('model calls: refused, typed, and the model unchanged', () => {
  let m: Sequential;
  let twin: Sequential;
  beforeAll(async () => {
    m = smallModel({ seed: 11 });
    twin = smallModel({ seed: 11 });
    for (const model of [m, twin]) await model.fit(x, y, { epochs: 2, batchSize: 3, verbose: 0 });
    expect(stateHash(m)).toBe(stateHash(twin));
  });

  it.each(modelCases)('%s', async (label, call, type, says) => {
    const hash = stateHash(m);
    const live = memoryStats().liveBytes;
    await refused(() => call(m), type, says, label);
    expect(stateHash(m), `${label}: weights, m, v, step, generator or sample order changed`).toBe(hash);
    expect(memoryStats().liveBytes, `${label}: WASM memory handed out`).toBe(live);
    expect(m.busy, `${label}: the model stays idle`).toBeNull();
  });

  it('after every refusal above, the model trains to the same bits as its untouched twin', async () => {
    expect(stateHash(m)).toBe(stateHash(twin));
    const [hm, ht] = [await m.fit(x, y, { epochs: 3, batchSize: 3, verbose: 0 }), await twin.fit(x, y, { epochs: 3, batchSize: 3, verbose: 0 })];
    expect(hm.history).toEqual(ht.history);
    expectSameBits(m.getWeights(), twin.getWeights(), 'refused calls, then fit');
    expect(stateHash(m)).toBe(stateHash(twin));
    expect(Array.from(m.predict(x).data)).toEqual(Array.from(twin.predict(x).data));
  });
});

describe('state errors', () => {
  it('evaluate, fit and computeGradients before compile() are StateErrors that say so', async () => {
    const m = sequential({ seed: 1, layers: [lstm({ units: 2, inputShape: [3, 1] }), dense({ units: 5, activation: 'softmax' })] });
    const hash = stateHash(m);
    await refused(() => m.evaluate(x, y), StateError, ['evaluate(): call compile() first']);
    await refused(() => m.fit(x, y), StateError, ['fit(): call compile() first']);
    await refused(() => m.computeGradients(x, y), StateError, ['computeGradients(): call compile() first']);
    expect(stateHash(m)).toBe(hash);
    m.dispose();
  });

  it('every call on a disposed model is a StateError naming the call', async () => {
    const m = smallModel();
    m.dispose();
    const calls: Array<[string, () => unknown]> = [
      ['fit()', () => m.fit(x, y)], ['evaluate()', () => m.evaluate(x, y)], ['predict()', () => m.predict(x)],
      ['computeGradients()', () => m.computeGradients(x, y)], ['getWeights()', () => m.getWeights()],
      ['setWeights()', () => m.setWeights([])], ['compile()', () => m.compile({ loss: 'categoricalCrossentropy' })],
      ['dispose()', () => m.dispose()],
    ];
    for (const [name, call] of calls) await refused(call, StateError, [`${name}: the model was disposed`], name);
  });
});

describe('junk arguments to the data utilities are documented errors', () => {
  it('reshape/divide of a non-tensor, decode of a non-array, non-numbers in tensor(), typo keys, warn not a function', () => {
    expect(() => reshape(null as never, [1])).toThrow(/reshape\(\): expected a tensor \{shape, data\}, got null/);
    expect(() => divide(null as never, 2)).toThrow(/divide\(\): expected a tensor/);
    expect(() => new CharVocab('ABC').decode(null as never)).toThrow(/ints must be an array of integers, got null/);
    expect(() => new CharVocab('ABC').decode(5 as never)).toThrow(/got 5/);
    expect(() => tensor(['a'] as never, [1])).toThrow(/data\[0\] is 'a'; values must be numbers/);
    expect(() => tensor([1n] as never, [1])).toThrow(ValueError);
    expect(() => alphabetPatterns({ maxlen: 2 } as never)).toThrow(/unknown option 'maxlen'/);
    expect(() => toCategorical([0], undefined, { vocabularySize: 5, warn: 5 as never })).toThrow(/warn must be a function, got 5/);
  });
});
