// Other libraries' formats: TensorFlow.js Layers (model.json + weights.bin, what tf.loadLayersModel
// reads and tfjs's model.save writes) and PyTorch's nn.LSTM + nn.Linear state_dict as plain
// { name: { shape, data } } maps. Keras's get_weights() order is ours: getWeights/setWeights.
//
// Gate order: Keras and tfjs (i, f, c, o) and PyTorch (i, f, g, o) are the same order; c and g are
// both the cell candidate. Only ONNX differs (i, o, f, c).
import { ConfigError, LstmWasmError, ShapeError, ValueError } from '../errors.js';
import { checkKeys, describe } from '../options.js';
import { REGISTRY, kindOf, type Layer } from '../layers/index.js';
import { kerasInputShape, type LayerKind } from '../layers/kind.js';
import { describePlan, planModel } from '../plan.js';
import { sequential, type Sequential, type SequentialArgs } from '../model/sequential.js';
import { LIBRARY_VERSION } from '../io/format.js';
import { PRESETS, type PresetName } from '../presets.js';

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
  const plan = model.plan;
  const first = { batch_input_shape: [plan.batchSize, plan.T, plan.D], dtype: 'float32' };
  const layers = plan.layers.map((l, i) =>
    l.kind.toKeras(l.layer, { name: l.name, first: i === 0 ? first : null, preset: plan.preset, kerasVersion: '', at: `${c}: layers[${i}] (${l.kind.factory})` }));
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

  // Layers: [InputLayer?] then any registered kinds (TimeDistributed(Dense) as the Dense it wraps:
  // ours runs on every step of a sequence). Each kind reads its own Keras config.
  let input: { shape: unknown[]; batch: unknown } | null = null;
  const seq: Array<{ className: string; config: Cfg; kind: LayerKind; args: Record<string, unknown> }> = [];
  (rawLayers as unknown[]).forEach((l, i) => {
    if (!isObj(l) || typeof l.class_name !== 'string' || !isObj(l.config)) throw new ValueError(`${c}: every layer must be { class_name, config }, received ${describe(l)}`);
    let cls = l.class_name;
    let cfg = l.config;
    if (cls === 'InputLayer') {
      input = kerasInputShape(cfg);
      return;
    }
    if (cls === 'TimeDistributed' && isObj(cfg.layer) && cfg.layer.class_name === 'Dense' && isObj(cfg.layer.config)) {
      input ??= seq.length === 0 ? kerasInputShape(cfg) : null;
      cls = 'Dense';
      cfg = cfg.layer.config;
    }
    const kind = kindOf(cls);
    if (!kind) {
      throw new ConfigError(`${c}: layers[${i}] is a ${describe(cls)}; lstm-wasm imports ${Object.keys(REGISTRY).join(', ')} layers (and TimeDistributed(Dense), InputLayer)`);
    }
    if (seq.length === 0) input ??= kerasInputShape(cfg);
    const ctx = { name: String(cfg.name ?? kind.factory), first: null, preset: PRESETS.keras2, kerasVersion, at: `${c}: layers[${i}] ${cls}` };
    seq.push({ className: cls, config: cfg, kind, args: kind.fromKeras(cfg, ctx) });
  });
  if (seq.length === 0) throw new ConfigError(`${c}: the model has no layers`);
  const inputShape = (input as { shape: unknown[]; batch: unknown } | null)?.shape ?? null;
  const inputBatch = (input as { shape: unknown[]; batch: unknown } | null)?.batch ?? null;

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
  // The layers, with the input shape on the first; D from the input shape, else the first kernel's rows.
  let T: number | null = null;
  let D: unknown = located[0] && (located[0].spec.shape as unknown[]).length === 2 ? (located[0].spec.shape as number[])[0] : undefined;
  if (inputShape) {
    if (inputShape.length !== 2) throw new ShapeError(`${c}: the input shape is [${inputShape.join(', ')}] per sample; lstm-wasm reads [timesteps, features]`);
    T = inputShape[0] === null ? null : (inputShape[0] as number);
    D = inputShape[1];
  }
  const wrap = <R>(f: () => R): R => {
    try {
      return f();
    } catch (e) {
      if (e instanceof LstmWasmError) throw new (e.constructor as new (m: string) => Error)(`${c}: ${e.message}`);
      throw e;
    }
  };
  const stateful = seq.some((l) => l.args.stateful === true);
  const layers = wrap(() => seq.map((l, i) => {
    const firstArgs = i !== 0 ? {} : stateful ? { batchInputShape: [inputBatch as number, T, D as number] } : { inputShape: [T, D as number] };
    return l.kind.make({ ...l.args, ...firstArgs }) as Layer;
  }));
  const plan = wrap(() => planModel('sequential()', layers, PRESETS[args.preset as PresetName] ?? PRESETS.keras2));

  // Each planned weight, found by its layer's name in the file (tfjs may prefix paths:
  // 'model/lstm_1/kernel'), else all of them by position (Keras's order).
  const wanted: Array<[string, string]> = plan.layers.flatMap((l, i) => {
    const fileName = typeof seq[i].config.name === 'string' ? (seq[i].config.name as string) : l.name;
    return l.slices.map((w): [string, string] => [fileName, w.name.slice(l.name.length + 1)]);
  });
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
  weights.forEach((w, i) => {
    const want = plan.slices[i];
    if (w.shape.length !== want.shape.length || w.shape.some((d, j) => d !== want.shape[j])) {
      throw new ShapeError(`${c}: wrong shape: weight '${w.name}' is [${w.shape.join(', ')}], but ${want.name} of this ${describePlan(plan)} on ${D} features must be [${want.shape.join(', ')}]`);
    }
  });
  const model = wrap(() => sequential({ ...args, layers }));
  try {
    model.setWeights(weights.map((w) => w.data), c);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}
