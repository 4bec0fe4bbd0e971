// Other libraries' formats: TensorFlow.js Layers (model.json + weights.bin, what tf.loadLayersModel
// reads and tfjs's model.save writes) and PyTorch's nn.LSTM + nn.Linear state_dict as plain
// { name: { shape, data } } maps. Keras's get_weights() order is ours: getWeights/setWeights.
//
// Gate order: Keras and tfjs (i, f, c, o) and PyTorch (i, f, g, o) are the same order; c and g are
// both the cell candidate. Only ONNX differs (i, o, f, c).
import { ConfigError, LstmWasmError, ShapeError, ValueError } from '../errors.js';
import { checkKeys, describe } from '../options.js';
import { dense, lstm, masking, DENSE_ACTIVATIONS, type DenseActivation, type Layer } from '../layers/index.js';
import { lstmName, paramShapes } from '../layout.js';
import { sequential, type Sequential, type SequentialArgs } from '../model/sequential.js';
import { LIBRARY_VERSION } from '../io/format.js';
import { PRESETS, type RecurrentActivation } from '../presets.js';

// ---- TensorFlow.js Layers --------------------------------------------------------------------

/**
 * One entry of a tfjs weights manifest.
 *
 * @example
 * toTfjsLayers(model).weightSpecs[0]; // { name: 'lstm/kernel', shape: [D, 4 * H], dtype: 'float32' }
 */
export interface TfjsWeightSpec {
  /** The weight's name, e.g. 'lstm/kernel' (tfjs may prefix the layer's name: 'lstm_1/kernel'). */
  name: string;
  /** The weight's shape, row-major. */
  shape: number[];
  /** Element type; `fromTfjsLayers` accepts only 'float32'. */
  dtype: 'float32' | 'int32' | 'bool' | 'string' | 'complex64';
  /** Quantized weights are refused by `fromTfjsLayers`. */
  quantization?: unknown;
  /** tfjs's weight group name; ignored. */
  group?: string;
}

/**
 * A TensorFlow.js Layers model in memory: `tf.io.fromMemory(artifacts)` loads it, and
 * `{ modelTopology, format, generatedBy, convertedBy, weightsManifest }` is its model.json with
 * `weightData` as the weights file (see `saveTfjsLayersFiles` in 'lstm-wasm/node').
 *
 * @example
 * const artifacts: TfjsLayersArtifacts = toTfjsLayers(model);
 * writeFileSync('model.json', tfjsModelJSON(artifacts));
 * writeFileSync('weights.bin', new Uint8Array(artifacts.weightData));
 */
export interface TfjsLayersArtifacts {
  /** Keras's JSON model description (snake_case, as Keras and tfjs write it). */
  modelTopology: Record<string, unknown>;
  /** Always 'layers-model' (tfjs's model.json `format`). */
  format: 'layers-model';
  /** 'lstm-wasm <version>'. */
  generatedBy: string;
  /** Always null (not made by tensorflowjs_converter). */
  convertedBy: null;
  /** The weights in `weightData`'s order (what `tf.io.fromMemory` reads). */
  weightSpecs: TfjsWeightSpec[];
  /** model.json's manifest: the same specs, stored in one file named `paths[0]`. */
  weightsManifest: Array<{
    /** The weight files, relative to model.json: `[weightsPath]` ('weights.bin' by default). */
    paths: string[];
    /** The weights stored in those files, in order. */
    weights: TfjsWeightSpec[];
  }>;
  /** The weights, float32 little-endian, concatenated in `weightSpecs` order (weights.bin). */
  weightData: ArrayBuffer;
}

/**
 * What `fromTfjsLayers` accepts: tfjs `ModelArtifacts` (from a save handler) or a parsed model.json plus its weights.
 *
 * @example
 * const json = JSON.parse(readFileSync('model/model.json', 'utf8'));
 * const source: TfjsLayersSource = { ...json, weightData: readFileSync('model/group1-shard1of1.bin') };
 * const model = fromTfjsLayers(source);
 */
export interface TfjsLayersSource {
  /** Keras's JSON model description: model.json's `modelTopology` (an object or its JSON text). */
  modelTopology: unknown;
  /** The weights in `weightData`'s order, as tfjs `ModelArtifacts` carry them; or give `weightsManifest`. */
  weightSpecs?: TfjsWeightSpec[];
  /** model.json's manifest; its groups' `weights`, in order, describe `weightData`. */
  weightsManifest?: Array<{
    /** The group's files (not read here: pass their bytes as `weightData`). */
    paths?: string[];
    /** The weights stored in the group, in order. */
    weights: TfjsWeightSpec[];
  }>;
  /** The weights: one buffer (weights.bin) or several (the manifest's shards, in order). */
  weightData: ArrayBuffer | ArrayBufferView | ArrayBuffer[];
}

/**
 * Options of `fromTfjsLayers` and `fromPyTorchState`: those of `sequential` besides `layers`.
 *
 * @example
 * const args: ImportArgs = { preset: 'keras3', seed: 1 };
 * const model = fromTfjsLayers(artifacts, args);
 */
export type ImportArgs = Omit<SequentialArgs, 'layers'>;

const TFJS_ACT: Record<RecurrentActivation, string> = { hardSigmoid: 'hard_sigmoid', sigmoid: 'sigmoid' };

const glorotUniformJSON = () => ({ class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_avg', distribution: 'uniform', seed: null } });
const zerosJSON = () => ({ class_name: 'Zeros', config: {} });

/**
 * The model as TensorFlow.js Layers artefacts, every Keras option spelled out. Load them in tfjs
 * with `tf.loadLayersModel(tf.io.fromMemory(artifacts))` (or serve model.json + weights.bin and
 * `tf.loadLayersModel(url)`); predictions equal ours to float32 rounding.
 *
 * @example
 * const tfModel = await tf.loadLayersModel(tf.io.fromMemory(toTfjsLayers(model)));
 */
export function toTfjsLayers(model: Sequential, args: { weightsPath?: string } = {}): TfjsLayersArtifacts {
  const c = 'toTfjsLayers()';
  checkKeys(c, args, ['weightsPath']);
  const weightsPath = args.weightsPath ?? 'weights.bin';
  if (typeof weightsPath !== 'string' || weightsPath === '') throw new ValueError(`${c}: weightsPath must be a non-empty string, received ${describe(weightsPath)}`);
  const ws = model.getWeights();
  const batchInputShape = [model.batchSize, model.T, model.D];
  const layers: Array<{ class_name: string; config: Record<string, unknown> }> = [];
  const first = { batch_input_shape: batchInputShape, dtype: 'float32' };
  if (model.maskingLayer) {
    const maskValue = model.maskingLayer.config.maskValue;
    if (!Number.isFinite(maskValue)) throw new ValueError(`${c}: the masking layer's maskValue ${maskValue} cannot be written in JSON`);
    layers.push({ class_name: 'Masking', config: { name: 'masking', trainable: true, ...first, mask_value: maskValue } });
  }
  model.lstmLayers.forEach((l, i) => {
    const lc = l.config;
    layers.push({
      class_name: 'LSTM',
      config: {
        name: lstmName(i), trainable: true, ...(model.maskingLayer || i > 0 ? {} : first),
        units: lc.units, activation: 'tanh', recurrent_activation: TFJS_ACT[lc.recurrentActivation ?? PRESETS[model.config.preset].recurrentActivation], use_bias: true,
        kernel_initializer: glorotUniformJSON(), recurrent_initializer: { class_name: 'Orthogonal', config: { gain: 1, seed: null } },
        bias_initializer: zerosJSON(), unit_forget_bias: lc.unitForgetBias ?? true,
        kernel_regularizer: null, recurrent_regularizer: null, bias_regularizer: null, activity_regularizer: null,
        kernel_constraint: null, recurrent_constraint: null, bias_constraint: null,
        dropout: 0, recurrent_dropout: 0, implementation: 1,
        return_sequences: lc.returnSequences === true, return_state: false, go_backwards: false, stateful: model.stateful, unroll: false,
      },
    });
  });
  layers.push({
    class_name: 'Dense',
    config: {
      name: 'dense', trainable: true, units: model.V, activation: model.denseLayer.config.activation ?? 'softmax', use_bias: true,
      kernel_initializer: glorotUniformJSON(), bias_initializer: zerosJSON(),
      kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null,
    },
  });
  const weightSpecs: TfjsWeightSpec[] = ws.map((w) => ({ name: w.name, shape: [...w.shape], dtype: 'float32' }));
  const total = ws.reduce((n, w) => n + w.data.length, 0);
  const weightData = new ArrayBuffer(total * 4);
  const dv = new DataView(weightData);
  let at = 0;
  for (const w of ws) for (let k = 0; k < w.data.length; k++, at += 4) dv.setFloat32(at, w.data[k], true);
  return {
    modelTopology: {
      class_name: 'Sequential',
      config: { name: 'sequential', layers },
      keras_version: `lstm-wasm ${LIBRARY_VERSION}`,
      backend: 'tensor_flow.js',
    },
    format: 'layers-model',
    generatedBy: `lstm-wasm ${LIBRARY_VERSION}`,
    convertedBy: null,
    weightSpecs,
    weightsManifest: [{ paths: [weightsPath], weights: weightSpecs.map((s) => ({ ...s, shape: [...s.shape] })) }],
    weightData,
  };
}

/**
 * The JSON of model.json for `toTfjsLayers` output (everything but the weights' bytes).
 *
 * @example
 * writeFileSync('model.json', tfjsModelJSON(toTfjsLayers(model)));
 */
export function tfjsModelJSON(artifacts: TfjsLayersArtifacts): string {
  const { modelTopology, format, generatedBy, convertedBy, weightsManifest } = artifacts;
  return JSON.stringify({ format, generatedBy, convertedBy, modelTopology, weightsManifest });
}

type Cfg = Record<string, unknown>;
export const isObj = (v: unknown): v is Cfg => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * A model from TensorFlow.js Layers artefacts (`model.save(tf.io.withSaveHandler(...))`'s, or a
 * parsed model.json with its weights; also Keras models converted by tensorflowjs_converter):
 * `[InputLayer?] [Masking?] LSTM Dense(softmax)`. `recurrent_activation` 'hard_sigmoid' (Keras 2,
 * tfjs) or 'sigmoid' is kept. The model is built as `sequential(args)` then `setWeights`, and is
 * not compiled. Options that would change the result and that lstm-wasm lacks (dropout,
 * regularizers, go_backwards, ...) are refused with a ConfigError naming them.
 *
 * @example
 * let artifacts;
 * await tfModel.save(tf.io.withSaveHandler(async (a) => { artifacts = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
 * const model = fromTfjsLayers(artifacts);
 */
export function fromTfjsLayers(artifacts: TfjsLayersSource, args: ImportArgs = {}): Sequential {
  const c = 'fromTfjsLayers()';
  if (!isObj(artifacts)) throw new ValueError(`${c}: expected { modelTopology, weightSpecs or weightsManifest, weightData }, received ${describe(artifacts)}`);
  checkKeys(c, args, ['seed', 'rng', 'preset', 'kernels']);
  let topo: unknown = artifacts.modelTopology;
  if (typeof topo === 'string') {
    try {
      topo = JSON.parse(topo);
    } catch (e) {
      throw new ValueError(`${c}: modelTopology does not parse as JSON (${(e as Error).message})`);
    }
  }
  if (isObj(topo) && isObj(topo.model_config)) topo = topo.model_config; // Keras HDF5-style wrapper
  if (!isObj(topo)) throw new ValueError(`${c}: modelTopology must be Keras's model JSON, received ${describe(topo)}`);
  if (topo.class_name !== 'Sequential') throw new ConfigError(`${c}: only Sequential models are supported, this is a ${describe(topo.class_name)}`);
  const kerasVersion = typeof topo.keras_version === 'string' ? topo.keras_version : '';
  const rawLayers = Array.isArray(topo.config) ? topo.config : isObj(topo.config) && Array.isArray(topo.config.layers) ? topo.config.layers : null;
  if (!rawLayers) throw new ValueError(`${c}: modelTopology.config.layers is missing`);

  // Layers: [InputLayer?] [Masking?] LSTM+ (Dense | TimeDistributed(Dense)).
  let inputShape: unknown[] | null = null;
  let inputBatch: unknown = null;
  const shapeOf = (cfg: Cfg): unknown[] | null =>
    Array.isArray(cfg.batch_input_shape) ? cfg.batch_input_shape.slice(1)
      : Array.isArray(cfg.batch_shape) ? cfg.batch_shape.slice(1)
        : Array.isArray(cfg.input_shape) ? cfg.input_shape
          : null;
  const batchOf = (cfg: Cfg): unknown =>
    Array.isArray(cfg.batch_input_shape) ? cfg.batch_input_shape[0] : Array.isArray(cfg.batch_shape) ? cfg.batch_shape[0] : null;
  const seq: Array<{ className: string; config: Cfg }> = [];
  for (const l of rawLayers as unknown[]) {
    if (!isObj(l) || typeof l.class_name !== 'string' || !isObj(l.config)) throw new ValueError(`${c}: every layer must be { class_name, config }, received ${describe(l)}`);
    if (l.class_name === 'InputLayer') {
      inputShape = shapeOf(l.config);
      inputBatch = batchOf(l.config);
    } else if (l.class_name === 'TimeDistributed' && isObj(l.config.layer) && l.config.layer.class_name === 'Dense' && isObj(l.config.layer.config)) {
      seq.push({ className: 'Dense', config: l.config.layer.config }); // Dense on every step, as ours after a returnSequences LSTM
    } else seq.push({ className: l.class_name, config: l.config });
  }
  const kinds = seq.map((l) => l.className).join(', ');
  if (!/^(Masking, )?(LSTM, )+Dense$/.test(kinds)) {
    throw new ConfigError(`${c}: the layers are [${kinds}]; lstm-wasm imports one or more LSTM then Dense (or TimeDistributed(Dense)), optionally behind Masking`);
  }
  const mc = seq[0].className === 'Masking' ? seq[0].config : null;
  const lcs = seq.filter((l) => l.className === 'LSTM').map((l) => l.config);
  const dc = seq[seq.length - 1].config;
  inputShape ??= shapeOf(seq[0].config);
  inputBatch ??= batchOf(seq[0].config);

  const refuse = (layer: string, cfg: Cfg, key: string, ok: (v: unknown) => boolean, why: string) => {
    if (cfg[key] !== undefined && !ok(cfg[key])) throw new ConfigError(`${c}: ${layer} has ${key}: ${describe(cfg[key])}; ${why}`);
  };
  const isNull = (v: unknown) => v === null;
  const isZero = (v: unknown) => v === 0 || v === null;
  const isFalse = (v: unknown) => v === false || v === null;
  const isBool = (v: unknown) => typeof v === 'boolean' || v === null;
  for (const k of ['kernel_regularizer', 'recurrent_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'recurrent_constraint', 'bias_constraint']) {
    lcs.forEach((lc) => refuse('LSTM', lc, k, isNull, 'lstm-wasm has no regularizers or constraints'));
    refuse('Dense', dc, k, isNull, 'lstm-wasm has no regularizers or constraints');
  }
  const recurrentActivations = lcs.map((lc): RecurrentActivation => {
    refuse('LSTM', lc, 'activation', (v) => v === 'tanh', "only 'tanh' is supported");
    refuse('LSTM', lc, 'use_bias', (v) => v === true, 'lstm-wasm LSTMs have a bias');
    refuse('LSTM', lc, 'dropout', isZero, 'lstm-wasm has no dropout (set it to 0 to import the trained weights)');
    refuse('LSTM', lc, 'recurrent_dropout', isZero, 'lstm-wasm has no dropout (set it to 0 to import the trained weights)');
    for (const k of ['return_state', 'go_backwards', 'time_major']) refuse('LSTM', lc, k, isFalse, 'lstm-wasm LSTMs run forward and return their outputs only');
    for (const k of ['return_sequences', 'stateful']) refuse('LSTM', lc, k, isBool, 'expected a boolean');
    const ra = lc.recurrent_activation;
    if (ra === 'sigmoid') return 'sigmoid';
    if (ra === 'hard_sigmoid' || ra === 'hardSigmoid') {
      // Keras 3 redefined hard_sigmoid as relu6(x + 3) / 6; Keras 2 and tfjs use clip(0.2x + 0.5, 0, 1).
      if (/^3\./.test(kerasVersion)) throw new ConfigError(`${c}: a Keras ${kerasVersion} hard_sigmoid is relu6(x + 3) / 6, which lstm-wasm lacks (its hardSigmoid is Keras 2's clip(0.2x + 0.5, 0, 1))`);
      return 'hardSigmoid';
    }
    throw new ConfigError(`${c}: LSTM has recurrent_activation ${describe(ra)}; lstm-wasm supports 'hard_sigmoid' and 'sigmoid'`);
  });
  refuse('Dense', dc, 'activation', (v) => (DENSE_ACTIVATIONS as readonly unknown[]).includes(v), `lstm-wasm supports ${DENSE_ACTIVATIONS.join(', ')}`);
  refuse('Dense', dc, 'use_bias', (v) => v === true, 'lstm-wasm Dense layers have a bias');

  // Weights: concatenated buffers, specs in order, matched to layers by name (else by position).
  const specs = artifacts.weightSpecs ?? (Array.isArray(artifacts.weightsManifest) ? artifacts.weightsManifest.flatMap((g) => (isObj(g) && Array.isArray(g.weights) ? g.weights : [])) : null);
  if (!Array.isArray(specs)) throw new ValueError(`${c}: weightSpecs or weightsManifest is required`);
  const buffers = Array.isArray(artifacts.weightData) ? artifacts.weightData : [artifacts.weightData];
  const parts = buffers.map((b) => {
    if (b instanceof ArrayBuffer) return new Uint8Array(b);
    if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    throw new ValueError(`${c}: weightData must be an ArrayBuffer (or an array of them), received ${describe(b)}`);
  });
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (bytes.set(p, at), at + p.length), 0);
  let offset = 0;
  const located = specs.map((s) => {
    if (!isObj(s) || typeof s.name !== 'string' || !Array.isArray(s.shape)) throw new ValueError(`${c}: a weight spec must be { name, shape, dtype }, received ${describe(s)}`);
    if (s.quantization !== undefined && s.quantization !== null) throw new ConfigError(`${c}: weight '${s.name}' is quantized; lstm-wasm reads float32 weights only (convert without quantization)`);
    if (s.dtype !== 'float32') throw new ConfigError(`${c}: weight '${s.name}' has dtype ${describe(s.dtype)}; lstm-wasm reads float32 weights only`);
    const size = (s.shape as number[]).reduce((n, d) => n * d, 1);
    const at = offset;
    offset += size * 4;
    return { spec: s, at, size };
  });
  if (offset !== bytes.length) {
    throw new ValueError(`${c}: ${offset > bytes.length ? 'truncated' : 'oversized'} weightData: the specs describe ${offset} bytes, weightData has ${bytes.length}`);
  }
  const dname = typeof dc.name === 'string' ? dc.name : 'dense';
  const wanted: Array<[string, string]> = [
    ...lcs.flatMap((lc, i): Array<[string, string]> => {
      const n = typeof lc.name === 'string' ? lc.name : lstmName(i);
      return [[n, 'kernel'], [n, 'recurrent_kernel'], [n, 'bias']];
    }),
    [dname, 'kernel'], [dname, 'bias'],
  ];
  let chosen = wanted.map(([layer, w]) => {
    const hits = located.filter(({ spec }) => {
      const path = spec.name.replace(/:\d+$/, '').split('/');
      return path.includes(layer) && path[path.length - 1] === w;
    });
    return hits.length === 1 ? hits[0] : null;
  });
  if (chosen.some((x) => x === null)) {
    if (located.length !== wanted.length) {
      throw new ValueError(`${c}: could not find the weights ${wanted.map(([l, w]) => `${l}/${w}`).join(', ')} among ${located.map((l) => l.spec.name).join(', ')}`);
    }
    chosen = located; // unnamed or renamed: Keras's order
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const weights = chosen.map((x) => {
    const out = new Float32Array(x!.size);
    for (let k = 0; k < out.length; k++) out[k] = dv.getFloat32(x!.at + 4 * k, true);
    return { name: x!.spec.name, shape: [...(x!.spec.shape as number[])], data: out };
  });

  const units = lcs.map((lc) => lc.units as number);
  const V = dc.units;
  const W = weights[0];
  let T: number | null = null;
  let D: unknown = W.shape.length === 2 ? W.shape[0] : undefined;
  if (inputShape) {
    if (inputShape.length !== 2) throw new ShapeError(`${c}: the input shape is [${inputShape.join(', ')}] per sample; lstm-wasm reads [timesteps, features]`);
    T = inputShape[0] === null ? null : (inputShape[0] as number);
    D = inputShape[1];
  }
  const stateful = lcs[0].stateful === true;
  const wrap = <R>(f: () => R): R => {
    try {
      return f();
    } catch (e) {
      if (e instanceof LstmWasmError) throw new (e.constructor as new (m: string) => Error)(`${c}: ${e.message}`);
      throw e;
    }
  };
  const layers: Layer[] = wrap(() => {
    const ls: Layer[] = [];
    const shape: [number | null, number] = [T, D as number];
    if (mc) ls.push(masking({ maskValue: (mc.mask_value ?? 0) as number, inputShape: shape }));
    lcs.forEach((lc, i) => {
      const first = i === 0 && !mc;
      ls.push(lstm({
        units: lc.units as number, recurrentActivation: recurrentActivations[i],
        ...(typeof lc.unit_forget_bias === 'boolean' ? { unitForgetBias: lc.unit_forget_bias } : {}),
        ...(lc.return_sequences === true ? { returnSequences: true } : {}),
        ...(lc.stateful === true ? { stateful: true } : {}),
        ...(first && stateful ? { batchInputShape: [inputBatch as number, T, D as number] as [number, number | null, number] } : first ? { inputShape: shape } : {}),
      }));
    });
    ls.push(dense({ units: V as number, activation: dc.activation as DenseActivation }));
    return ls;
  });
  const need = paramShapes({ D: D as number, units, V: V as number });
  weights.forEach((w, i) => {
    const want = need[i].shape;
    if (w.shape.length !== want.length || w.shape.some((d, j) => d !== want[j])) {
      throw new ShapeError(`${c}: wrong shape: weight '${w.name}' is [${w.shape.join(', ')}], but ${need[i].name} of this LSTM(${units.join(', ')}) -> Dense(${V}) on ${D} features must be [${want.join(', ')}]`);
    }
  });
  const model = wrap(() => sequential({ ...args, layers }));
  try {
    model.setWeights(weights.map((w) => w.data));
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}
