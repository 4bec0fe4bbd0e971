// The native model format: save() -> { json, weights } -> loadModel(), the one-file container
// (encodeModel/decodeModel), and the browser's IndexedDB and download helpers. Every byte of a
// file is checked before any WASM memory is touched, so a refused file leaves nothing behind.
// File layout and JSON fields: see SavedModelJSON and encodeModel below, and the README.
import { ConfigError, LstmWasmError, ShapeError, StateError, ValueError } from './errors.js';
import { checkKeys, describe } from './options.js';
import { PRESETS, type PresetName } from './presets.js';
import { adam, sgd, rmsprop, dense, lstm, masking, type Optimizer, type Layer, type LSTMLayer } from './layers.js';
import { createRng, type Rng, type RngKind, type RngState } from './random.js';
import { M, lstmName, paramShapes } from './layout.js';
import { kernels } from './wasm.js';
import { Sequential, LOSSES, METRIC_NAMES, type CompileArgs, type LossName, type MetricName } from './model.js';

/**
 * Name in every saved model's `format` field.
 *
 * @example
 * model.save().json.format === FORMAT; // true
 */
export const FORMAT = 'lstm-wasm/model';
/**
 * The format this library writes and the only one it reads. Bumped on any incompatible change.
 *
 * @example
 * decodeModel(bytes).json.formatVersion === FORMAT_VERSION; // else loadModel refuses it
 */
export const FORMAT_VERSION = 1;
/**
 * This library's version (package.json's; a test keeps them equal), recorded in every save.
 *
 * @example
 * console.log(`lstm-wasm ${LIBRARY_VERSION}`);
 */
export const LIBRARY_VERSION = '0.1.0';

/** The container's first 8 bytes: "LSTMWASM". */
const MAGIC = [0x4c, 0x53, 0x54, 0x4d, 0x57, 0x41, 0x53, 0x4d];
const HEADER_BYTES = 24; // magic(8) version(4) jsonBytes(4) jsonCrc(4) weightBytes(4)

/**
 * One tensor in the binary part: `byteLength` bytes at `byteOffset`, little-endian, row-major.
 *
 * @example
 * const saved = model.save();
 * const t = saved.json.weights.tensors[0]; // lstm/kernel
 * const kernel = new Float32Array(saved.weights, t.byteOffset, t.byteLength / 4);
 */
export interface SavedTensor {
  /** `lstm/kernel` ... `dense/bias` (the weights), `adam/m/<weight>`, `adam/v/<weight>`, `fit/order`. */
  name: string;
  /** 'float32' (weights, optimizer moments) or 'int32' (`fit/order`). */
  dtype: 'float32' | 'int32';
  /** The tensor's shape, as `getWeights()` gives it. */
  shape: number[];
  /** Start in the binary part, in bytes (a multiple of 4). */
  byteOffset: number;
  /** Length in bytes: 4 times the product of `shape`. */
  byteLength: number;
}

/**
 * A layer as saved: the factory's name and the options it was given (tfjs casing).
 *
 * @example
 * model.save().json.model.layers[0]; // { className: 'LSTM', config: { units: 32, inputShape: [5, 1] } }
 */
export interface SavedLayer {
  /** The factory: 'Masking' (`masking`), 'LSTM' (`lstm`) or 'Dense' (`dense`). */
  className: 'Masking' | 'LSTM' | 'Dense';
  /** The factory's options, as given. */
  config: Record<string, unknown>;
}

/**
 * The JSON half of a saved model. Plain JSON: `JSON.parse(JSON.stringify(json))` loads the same.
 *
 * @example
 * const { json } = model.save({ metadata: { dataset: 'alphabet' } });
 * json.model.resolved.H; // the LSTM's units
 * json.metadata;         // { dataset: 'alphabet' }
 */
export interface SavedModelJSON {
  /** Always `FORMAT`, 'lstm-wasm/model'. */
  format: typeof FORMAT;
  /** The format's version, `FORMAT_VERSION` when written by this library. */
  formatVersion: number;
  /** The lstm-wasm that wrote it. */
  libraryVersion: string;
  /** The architecture and construction options. */
  model: {
    /** Always 'Sequential'. */
    className: 'Sequential';
    /** The layer factories' options, as given (maskValue ±Infinity saved as the strings 'Infinity'/'-Infinity'). */
    layers: SavedLayer[];
    /** The preset's name. */
    preset: PresetName;
    /** The kernel set: 'simd' or 'scalar'. */
    kernels: 'simd' | 'scalar';
    /** The construction seed, or null when the model was given a generator object. */
    seed: number | null;
    /** What the options resolved to (preset plus overrides): informative, and checked on load. */
    resolved: {
      /** Steps per sample, or null for any length. */
      T: number | null;
      /** Features per step. */
      D: number;
      /** Units of the last LSTM layer. */
      H: number;
      /** Units of every LSTM layer, bottom first (absent in files of lstm-wasm 0.1: one layer of H). */
      units?: number[];
      /** Output units. */
      V: number;
      /** 'hardSigmoid' or 'sigmoid'. */
      recurrentActivation: string;
      /** The orthogonal initializer's method: 'svd' or 'qr'. */
      orthogonalMethod: string;
      /** The preset's Adam ε̂. */
      adamEpsilon: number;
      /** The preset's cross-entropy clip ε. */
      lossEpsilon: number;
      /** 'acc' or 'accuracy'. */
      accuracyKey: string;
    };
  };
  /** compile()'s arguments, or null if the model was never compiled. */
  compile: null | {
    /** The loss name, as given. */
    loss: string;
    /** The factory (adam, sgd, rmsprop) and its resolved options; an epsilon left to the preset is null. */
    optimizer: {
      /** 'Adam', 'SGD' or 'RMSprop'. */
      className: 'Adam' | 'SGD' | 'RMSprop';
      /** The factory's resolved options. */
      config: Record<string, number | boolean | null>;
    };
    /** The metric names, as given. */
    metrics: string[];
  };
  /** Adam's step count t; m and v are in the binary part. Null: saved without optimizer state. */
  optimizer: null | {
    /** Updates made so far (Adam's t). */
    step: number;
  };
  /** The model's generator (initialisation, fit's shuffling), to continue its stream exactly. */
  rng: RngState;
  /** The last shuffling fit: epochs it finished and its sample count; its order is `fit/order`. */
  fit: null | {
    /** Epochs the fit finished (its last epoch index + 1). */
    epochs: number;
    /** Its training sample count; resuming needs the same count. */
    samples: number;
  };
  /** The binary part: its length, CRC-32 and tensors. */
  weights: {
    /** Length of the binary part in bytes. */
    byteLength: number;
    /** CRC-32 of the binary part, 8 lowercase hex digits. */
    crc32: string;
    /** Where each tensor is in the binary part. */
    tensors: SavedTensor[];
  };
  /** The caller's JSON-able data from `save({ metadata })`. */
  metadata?: unknown;
}

/**
 * What `model.save()` returns: the description and the binary part.
 *
 * @example
 * const saved: SavedModel = model.save();
 * const copy = loadModel({ json: JSON.stringify(saved.json), weights: saved.weights });
 */
export interface SavedModel {
  /** Architecture, options, compile settings and training state, as plain JSON. */
  json: SavedModelJSON;
  /** The tensors listed in `json.weights.tensors`, little-endian. */
  weights: ArrayBuffer;
}

/**
 * What `loadModel` and `model.loadWeights` accept: `save()` output (its `json` may also be a
 * JSON string, its `weights` any byte view), or the one-file container from `encodeModel`.
 *
 * @example
 * const source: ModelSource = await readFile('letters.lstm'); // a Buffer is an ArrayBufferView
 * const model = loadModel(source);
 */
export type ModelSource =
  | SavedModel
  | {
      /** `SavedModelJSON`, or its JSON text. */
      json: SavedModelJSON | string;
      /** The binary part, as a buffer or any byte view. */
      weights: ArrayBuffer | ArrayBufferView;
    }
  | ArrayBuffer
  | ArrayBufferView;

/**
 * Options of `save` (and of the helpers that save: `downloadModel`, `saveModelIndexedDB`,
 * `saveModelFile`).
 *
 * @example
 * const shipped = model.save({ includeOptimizer: false, metadata: { trainedOn: '2024-05-01' } });
 */
export interface SaveArgs {
  /**
   * Keep the training state, Adam's m, v and step and fit's sample order, so training resumes
   * exactly (default true). With false (for shipping a model) the file holds the weights only, a
   * third the size or less, and the loaded model is compiled with a fresh optimizer.
   */
  includeOptimizer?: boolean;
  /** Any JSON-able value stored with the model (e.g. how its data was made). */
  metadata?: unknown;
}

// ---- CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as zlib's crc32 ----------------------

let CRC_TABLE: Uint32Array | null = null;

/**
 * CRC-32 of bytes (the checksum of zip, gzip and PNG), as an unsigned integer.
 *
 * @example
 * crc32(new TextEncoder().encode('123456789')); // 0xcbf43926
 */
export function crc32(bytes: Uint8Array, crc = 0): number {
  if (!CRC_TABLE) {
    CRC_TABLE = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      CRC_TABLE[n] = c >>> 0;
    }
  }
  const t = CRC_TABLE;
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

const hex32 = (n: number): string => n.toString(16).padStart(8, '0');

// ---- saving ----------------------------------------------------------------------------------------

// JSON has no ±Infinity; a masking layer's maskValue may be one.
function layerToJSON(l: Layer): SavedLayer {
  const config: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(l.config)) {
    if (v === undefined) continue;
    config[k] = typeof v === 'number' && !Number.isFinite(v) ? String(v) : Array.isArray(v) ? [...v] : v;
  }
  return { className: l.className, config };
}

// The optimizers a saved model may name, and the prefix of their m and v tensors ('adam/m/...').
const OPTIMIZERS: Record<string, ((args: never) => Optimizer) | undefined> = { Adam: adam, SGD: sgd, RMSprop: rmsprop };
const statePrefix = (className: string): string => `${className.toLowerCase()}/`;

function optimizerConfigJSON(opt: Optimizer): Record<string, number | boolean | null> {
  const out: Record<string, number | boolean | null> = { ...opt.config } as Record<string, number | boolean>;
  if ('epsilon' in out && out.epsilon === undefined) out.epsilon = null;
  for (const k of ['clipnorm', 'clipvalue']) if (out[k] === undefined) delete out[k];
  return out;
}

/** @internal The body of `Sequential.save`. */
export function saveModel(model: Sequential, args: SaveArgs = {}): SavedModel {
  const c = 'save()';
  checkKeys(c, args, ['includeOptimizer', 'metadata']);
  if (args.includeOptimizer !== undefined && typeof args.includeOptimizer !== 'boolean') {
    throw new ConfigError(`${c}: includeOptimizer must be a boolean, received ${describe(args.includeOptimizer)}`);
  }
  let metadata: unknown;
  if (args.metadata !== undefined) {
    try {
      metadata = JSON.parse(JSON.stringify(args.metadata));
    } catch (e) {
      throw new ValueError(`${c}: metadata must be JSON-able (${(e as Error).message})`);
    }
  }
  // live, not idle: a callback may checkpoint while fit runs (WASM is never mid-call then). Taken
  // from onEpochEnd, the checkpoint resumes exactly with initialEpoch = epoch + 1.
  const a = model.live(c);
  const rng = model.rng;
  if (rng.kind !== 'numpy' && rng.kind !== 'seedrandom') throw new ConfigError(`${c}: the model's generator has kind ${describe(rng.kind)}; only 'numpy' and 'seedrandom' generators can be saved`);
  const withOptimizer = model.compiled !== null && args.includeOptimizer !== false;

  // The binary part: weights, then m and v, then fit's order; each tensor 4-byte aligned.
  const tensors: SavedTensor[] = [];
  const parts: Array<Float32Array | Int32Array> = [];
  let offset = 0;
  const add = (name: string, shape: number[], data: Float32Array | Int32Array) => {
    tensors.push({ name, dtype: data instanceof Int32Array ? 'int32' : 'float32', shape: [...shape], byteOffset: offset, byteLength: data.length * 4 });
    parts.push(data);
    offset += data.length * 4;
  };
  const regions: Array<['params' | 'm' | 'v', string]> = [['params', '']];
  const optPrefix = model.compiled ? statePrefix(model.compiled.args.optimizer.className) : '';
  if (withOptimizer) regions.push(['m', `${optPrefix}m/`], ['v', `${optPrefix}v/`]);
  for (const [region, prefix] of regions) {
    const r = a.region(region);
    for (const s of a.slices) add(prefix + s.name, s.shape, r.slice(s.offset, s.offset + s.size));
  }
  const fit = withOptimizer ? model.fitState : null;
  if (fit) add('fit/order', [fit.order.length], fit.order.slice());
  // A stateful model's LSTM states (what the next batch continues), as [2 (h, c), batch, units].
  if (model.stateful) model.units.forEach((H, l) => add(`${lstmName(l)}/states`, [2, model.batchSize!, H], a.layerState(l)));
  const weights = new ArrayBuffer(offset);
  const view = new DataView(weights);
  tensors.forEach((t, i) => {
    const d = parts[i];
    if (d instanceof Int32Array) for (let k = 0; k < d.length; k++) view.setInt32(t.byteOffset + 4 * k, d[k], true);
    else for (let k = 0; k < d.length; k++) view.setFloat32(t.byteOffset + 4 * k, d[k], true);
  });

  const cmp = model.compiled?.args;
  const p = model.preset;
  const json: SavedModelJSON = {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    libraryVersion: LIBRARY_VERSION,
    model: {
      className: 'Sequential',
      layers: model.config.layers.map(layerToJSON),
      preset: model.config.preset,
      kernels: model.config.kernels,
      seed: model.config.seed,
      resolved: {
        T: model.T, D: model.D, H: model.H, units: [...model.units], V: model.V, recurrentActivation: p.recurrentActivation,
        orthogonalMethod: p.orthogonalMethod, adamEpsilon: p.adamEpsilon, lossEpsilon: p.lossEpsilon, accuracyKey: p.accuracyKey,
      },
    },
    compile: cmp
      ? {
          loss: cmp.loss,
          optimizer: { className: cmp.optimizer.className, config: optimizerConfigJSON(cmp.optimizer) },
          metrics: [...cmp.metrics],
        }
      : null,
    optimizer: withOptimizer ? { step: a.slots()[M.step] } : null,
    rng: rng.getState(),
    fit: fit ? { epochs: fit.epochs, samples: fit.order.length } : null,
    weights: { byteLength: offset, crc32: hex32(crc32(new Uint8Array(weights))), tensors },
  };
  if (metadata !== undefined) json.metadata = metadata;
  return { json, weights };
}

// ---- the one-file container -----------------------------------------------------------------------

/**
 * One file from `save()`'s output (the format of `saveModelFile`, IndexedDB and downloads):
 *
 * | bytes | content |
 * |---|---|
 * | 0-7 | `LSTMWASM` |
 * | 8-11 | format version, u32 little-endian |
 * | 12-15 | J, the JSON's length in bytes, u32 LE |
 * | 16-19 | CRC-32 of the JSON bytes, u32 LE |
 * | 20-23 | W, the binary part's length, u32 LE |
 * | 24.. | the JSON (UTF-8), then zero padding to a multiple of 4 |
 * | then | the binary part (W bytes; its CRC-32 is in the JSON) |
 *
 * @example
 * await writeFile('model.lstm', encodeModel(model.save()));
 */
export function encodeModel(saved: SavedModel): Uint8Array<ArrayBuffer> {
  const c = 'encodeModel()';
  if (saved === null || typeof saved !== 'object' || saved.json === null || typeof saved.json !== 'object') {
    throw new ValueError(`${c}: expected model.save()'s { json, weights }, received ${describe(saved)}`);
  }
  const weights = bytesOf(c, 'weights', saved.weights);
  const text = new TextEncoder().encode(JSON.stringify(saved.json));
  const padded = (text.length + 3) & ~3;
  const out = new Uint8Array(HEADER_BYTES + padded + weights.length);
  out.set(MAGIC, 0);
  const dv = new DataView(out.buffer);
  dv.setUint32(8, saved.json.formatVersion, true);
  dv.setUint32(12, text.length, true);
  dv.setUint32(16, crc32(text), true);
  dv.setUint32(20, weights.length, true);
  out.set(text, HEADER_BYTES);
  out.set(weights, HEADER_BYTES + padded);
  return out;
}

function bytesOf(caller: string, what: string, v: unknown): Uint8Array {
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  throw new ValueError(`${caller}: ${what} must be an ArrayBuffer or a byte view, received ${describe(v)}`);
}

function versionError(caller: string, version: unknown, by: unknown): ConfigError {
  const writer = typeof by === 'string' ? `lstm-wasm ${by}` : 'an unknown lstm-wasm';
  const hint = typeof version === 'number' && version > FORMAT_VERSION ? '; upgrade lstm-wasm to read it' : '';
  return new ConfigError(
    `${caller}: incompatible version: the file is in format version ${describe(version)} (written by ${writer}); ` +
      `lstm-wasm ${LIBRARY_VERSION} reads format version ${FORMAT_VERSION} only${hint}`,
  );
}

/**
 * Splits `encodeModel` bytes back into `{ json, weights }`, checking the header, the lengths and
 * the JSON's checksum (the weights' checksum is checked by `loadModel`).
 *
 * @example
 * const saved = decodeModel(await readFile('model.lstm'));
 * saved.json.libraryVersion; // '0.1.0'
 */
export function decodeModel(bytes: ArrayBuffer | ArrayBufferView, caller = 'decodeModel()'): SavedModel {
  const b = bytesOf(caller, 'the file', bytes);
  if (b.length < MAGIC.length || MAGIC.some((m, i) => b[i] !== m)) {
    const start = new TextDecoder().decode(b.subarray(0, 64)).trimStart();
    const hint = start.startsWith('{') && start.includes('modelTopology') ? ' (it looks like a TensorFlow.js model.json: use fromTfjsLayers)' : '';
    throw new ValueError(`${caller}: not an lstm-wasm model file: it does not start with "LSTMWASM"${hint}`);
  }
  if (b.length < HEADER_BYTES) throw new ValueError(`${caller}: truncated file: ${b.length} bytes, shorter than the ${HEADER_BYTES}-byte header`);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const version = dv.getUint32(8, true);
  const J = dv.getUint32(12, true);
  const W = dv.getUint32(20, true);
  const padded = (J + 3) & ~3;
  const expected = HEADER_BYTES + padded + W;
  if (version !== FORMAT_VERSION) {
    // Checked before the lengths (another format may lay them out differently); name the writer if we can.
    let by: unknown;
    try {
      by = JSON.parse(new TextDecoder().decode(b.subarray(HEADER_BYTES, HEADER_BYTES + J))).libraryVersion;
    } catch {
      by = undefined;
    }
    throw versionError(caller, version, by);
  }
  if (b.length < expected) throw new ValueError(`${caller}: truncated file: ${b.length} bytes, the header announces ${expected} (JSON ${J} + weights ${W})`);
  if (b.length > expected) throw new ValueError(`${caller}: corrupted file: ${b.length - expected} unexpected bytes after the weights (the header announces ${expected})`);
  const text = b.subarray(HEADER_BYTES, HEADER_BYTES + J);
  if (crc32(text) !== dv.getUint32(16, true)) {
    throw new ValueError(`${caller}: corrupted file: the JSON part's CRC-32 is ${hex32(crc32(text))}, the header says ${hex32(dv.getUint32(16, true))}`);
  }
  let json: SavedModelJSON;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(text));
  } catch (e) {
    throw new ValueError(`${caller}: corrupted file: the JSON part does not parse (${(e as Error).message})`);
  }
  const weights = b.slice(HEADER_BYTES + padded, expected).buffer;
  return { json, weights };
}

// ---- reading and checking, before anything is allocated ------------------------------------------

interface Restored {
  layers: Layer[];
  preset: PresetName;
  kernels: 'simd' | 'scalar';
  seed: number | null;
  rng: Rng;
  D: number;
  units: number[];
  V: number;
  /** Per LSTM layer of a stateful model, its saved [2, batch, units] states, or null. */
  states: Array<Float32Array | null>;
  compile: CompileArgs | null;
  params: Float32Array[];
  m: Float32Array[] | null;
  v: Float32Array[] | null;
  step: number;
  fit: { order: Int32Array; epochs: number } | null;
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isInt = (v: unknown, min = 0): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min;

/** The source as { json, weights bytes }, with the format and version checked. */
function open(caller: string, source: ModelSource): { json: SavedModelJSON; bin: Uint8Array } {
  let json: unknown;
  let bin: Uint8Array;
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    const d = decodeModel(source, caller);
    json = d.json;
    bin = new Uint8Array(d.weights);
  } else if (isObj(source) && 'json' in source && 'weights' in source) {
    json = source.json;
    if (typeof json === 'string') {
      try {
        json = JSON.parse(json);
      } catch (e) {
        throw new ValueError(`${caller}: corrupted model: its json does not parse (${(e as Error).message})`);
      }
    }
    bin = bytesOf(caller, 'weights', source.weights);
  } else {
    throw new ValueError(`${caller}: expected model.save()'s { json, weights } or encodeModel() bytes, received ${describe(source)}`);
  }
  if (!isObj(json) || json.format !== FORMAT) {
    throw new ValueError(`${caller}: not an lstm-wasm model: its json has format ${describe(isObj(json) ? json.format : json)}, expected '${FORMAT}'`);
  }
  if (json.formatVersion !== FORMAT_VERSION) throw versionError(caller, json.formatVersion, json.libraryVersion);
  return { json: json as unknown as SavedModelJSON, bin };
}

/** Fully checks a saved model and decodes it into plain arrays; touches no WASM memory. */
function restore(caller: string, source: ModelSource): Restored {
  const { json, bin } = open(caller, source);
  const bad = (what: string) => new ValueError(`${caller}: corrupted model: ${what}`);
  const w = json.weights;
  if (!isObj(w) || !isInt(w.byteLength) || typeof w.crc32 !== 'string' || !Array.isArray(w.tensors)) throw bad('json.weights must be { byteLength, crc32, tensors }');
  if (bin.length < w.byteLength) throw new ValueError(`${caller}: truncated weights: ${bin.length} bytes, the model describes ${w.byteLength}`);
  if (bin.length > w.byteLength) throw bad(`the weights have ${bin.length} bytes, the model describes ${w.byteLength}`);
  const crc = hex32(crc32(bin));
  if (crc !== w.crc32.toLowerCase()) throw bad(`the weights' CRC-32 is ${crc}, the model says ${w.crc32} (the file was damaged or edited)`);

  // The architecture, rebuilt with the layer factories (which check every option).
  const m = json.model;
  if (!isObj(m) || m.className !== 'Sequential' || !Array.isArray(m.layers)) throw bad("json.model must be { className: 'Sequential', layers, ... }");
  const layers = m.layers.map((l: unknown, i: number): Layer => {
    if (!isObj(l) || !isObj(l.config)) throw new ConfigError(`${caller}: layer ${i} must be { className, config }, received ${describe(l)}`);
    const cfg = { ...l.config };
    if (cfg.maskValue === 'Infinity' || cfg.maskValue === '-Infinity') cfg.maskValue = Number(cfg.maskValue);
    try {
      if (l.className === 'Masking') return masking(cfg as never);
      if (l.className === 'LSTM') return lstm(cfg as never);
      if (l.className === 'Dense') return dense(cfg as never);
    } catch (e) {
      if (e instanceof LstmWasmError) throw new (e.constructor as new (m: string) => Error)(`${caller}: layer ${i} (${String(l.className)}): ${e.message}`);
      throw e;
    }
    throw new ConfigError(`${caller}: layer ${i} has className ${describe(l.className)}; lstm-wasm models have Masking, LSTM and Dense layers`);
  });
  const names = layers.map((l) => l.className).join(',');
  if (!/^(Masking,)?(LSTM,)+Dense$/.test(names)) throw new ConfigError(`${caller}: the layers are [${names}]; expected one or more LSTM then Dense, optionally behind Masking`);
  if (typeof m.preset !== 'string' || !(m.preset in PRESETS)) throw new ConfigError(`${caller}: unknown preset ${describe(m.preset)}; this lstm-wasm knows ${Object.keys(PRESETS).join(', ')}`);
  if (m.kernels !== 'simd' && m.kernels !== 'scalar') throw new ConfigError(`${caller}: kernels must be 'simd' or 'scalar', received ${describe(m.kernels)}`);
  if (m.seed !== null && !isInt(m.seed)) throw bad(`model.seed must be an integer or null, received ${describe(m.seed)}`);
  const preset = m.preset as PresetName;
  const first = layers[0].config as { inputShape?: [number | null, number]; batchInputShape?: [number, number | null, number] };
  const D = first.inputShape?.[1] ?? first.batchInputShape?.[2];
  if (D === undefined) throw new ShapeError(`${caller}: the first layer has no inputShape`);
  const lstms = layers.filter((l): l is LSTMLayer => l.className === 'LSTM');
  const lstmCfg = lstms[0].config;
  const units = lstms.map((l) => l.config.units);
  const V = (layers[layers.length - 1].config as { units: number }).units;
  // The saved semantics must be what this version resolves the same options to.
  const saved = m.resolved as unknown;
  if (isObj(saved)) {
    const now = { ...PRESETS[preset], recurrentActivation: lstmCfg.recurrentActivation ?? PRESETS[preset].recurrentActivation } as Record<string, unknown>;
    for (const [k, v] of Object.entries(now)) {
      if (saved[k] !== undefined && saved[k] !== v) {
        throw new ConfigError(`${caller}: incompatible semantics: the model was saved with ${k} = ${describe(saved[k])}, but preset '${preset}' here gives ${describe(v)}`);
      }
    }
  }

  // The tensors: each where the JSON says, of the shape the architecture needs.
  const byName = new Map<string, SavedTensor>();
  for (const t of w.tensors as unknown[]) {
    if (!isObj(t) || typeof t.name !== 'string' || (t.dtype !== 'float32' && t.dtype !== 'int32') || !Array.isArray(t.shape) || !t.shape.every((d) => isInt(d)) || !isInt(t.byteOffset) || !isInt(t.byteLength)) {
      throw bad(`tensor entry ${describe(isObj(t) ? t.name : t)} must be { name, dtype: 'float32' | 'int32', shape, byteOffset, byteLength }`);
    }
    const n = (t.shape as number[]).reduce((p, d) => p * d, 1);
    if (t.byteLength !== n * 4 || t.byteOffset % 4 !== 0 || t.byteOffset + t.byteLength > bin.length) {
      throw bad(`tensor '${t.name}' (shape [${(t.shape as number[]).join(', ')}]) claims ${t.byteLength} bytes at ${t.byteOffset} of ${bin.length}`);
    }
    byName.set(t.name, t as unknown as SavedTensor);
  }
  const dv = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
  const expected = paramShapes({ D, units, V });
  const floats = (prefix: string, what: string): Float32Array[] =>
    expected.map(({ name, shape: want }) => {
      const t = byName.get(prefix + name);
      if (!t) throw bad(`the tensor '${prefix + name}' (${what}) is missing`);
      if (t.dtype !== 'float32') throw bad(`'${t.name}' has dtype ${t.dtype}, expected float32`);
      if (t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i])) {
        throw new ShapeError(
          `${caller}: wrong shape: '${t.name}' is [${t.shape.join(', ')}] in the file, but the saved architecture (D=${D} features, LSTM units ${units.join(', ')}, V=${V} classes) needs [${want.join(', ')}]`,
        );
      }
      const out = new Float32Array(t.byteLength / 4);
      for (let k = 0; k < out.length; k++) out[k] = dv.getFloat32(t.byteOffset + 4 * k, true);
      const nonneg = prefix.endsWith('/v/');
      const at = out.findIndex((x) => !Number.isFinite(x) || (nonneg && x < 0));
      if (at >= 0) throw new ValueError(`${caller}: '${t.name}' has ${out[at]} at flat index ${at}; saved ${what} must be finite${nonneg ? ' and >= 0' : ''}`);
      return out;
    });
  const params = floats('', 'weights');

  // Training state.
  let compile: CompileArgs | null = null;
  if (json.compile !== null) {
    const cp = json.compile;
    const factory = isObj(cp) && isObj(cp.optimizer) ? OPTIMIZERS[cp.optimizer.className as string] : undefined;
    if (!isObj(cp) || !isObj(cp.optimizer) || !factory || !isObj(cp.optimizer.config)) {
      throw new ConfigError(`${caller}: compile must be { loss, optimizer: { className: 'Adam' | 'SGD' | 'RMSprop', config }, metrics }, received ${describe(cp)}`);
    }
    const oc = cp.optimizer.config;
    let opt: Optimizer;
    try {
      opt = factory(Object.fromEntries(Object.entries(oc).filter(([, v]) => v !== null)) as never);
    } catch (e) {
      if (e instanceof LstmWasmError) throw new ConfigError(`${caller}: the saved optimizer: ${e.message}`);
      throw e;
    }
    const loss = cp.loss;
    if (typeof loss !== 'string' || !Object.hasOwn(LOSSES, loss)) throw new ConfigError(`${caller}: unknown loss ${describe(loss)}`);
    const metrics = cp.metrics;
    if (!Array.isArray(metrics) || !metrics.every((x) => (METRIC_NAMES as unknown[]).includes(x))) throw new ConfigError(`${caller}: metrics must be an array of ${METRIC_NAMES.map((n) => `'${n}'`).join(', ')}, received ${describe(metrics)}`);
    compile = { loss: loss as LossName, optimizer: opt, metrics: [...metrics] as MetricName[] };
  }
  let mm: Float32Array[] | null = null;
  let vv: Float32Array[] | null = null;
  let step = 0;
  if (json.optimizer !== null && json.optimizer !== undefined) {
    if (!compile) throw bad('optimizer state without compile arguments');
    if (!isObj(json.optimizer) || !isInt(json.optimizer.step) || json.optimizer.step > 0x7fffffff) throw bad(`optimizer.step must be an integer >= 0, received ${describe(isObj(json.optimizer) ? json.optimizer.step : json.optimizer)}`);
    step = json.optimizer.step;
    const pre = statePrefix(compile.optimizer && typeof compile.optimizer === 'object' ? compile.optimizer.className : 'Adam');
    mm = floats(`${pre}m/`, 'the optimizer\'s m');
    vv = floats(`${pre}v/`, 'the optimizer\'s v');
  }

  const rs = json.rng as unknown;
  if (!isObj(rs) || (rs.kind !== 'numpy' && rs.kind !== 'seedrandom')) throw new ConfigError(`${caller}: rng.kind must be 'numpy' or 'seedrandom', received ${describe(isObj(rs) ? rs.kind : rs)}`);
  const rng = createRng(0, rs.kind as RngKind);
  try {
    rng.setState(rs as unknown as RngState);
  } catch (e) {
    throw bad(`the generator's state: ${(e as Error).message}`);
  }

  let fit: Restored['fit'] = null;
  if (json.fit !== null && json.fit !== undefined) {
    const t = byName.get('fit/order');
    if (!isObj(json.fit) || !isInt(json.fit.epochs) || !isInt(json.fit.samples, 1)) throw bad('fit must be { epochs, samples }');
    if (!t || t.dtype !== 'int32' || t.shape.length !== 1 || t.shape[0] !== json.fit.samples) throw bad(`'fit/order' must be int32 [${json.fit.samples}]`);
    const order = new Int32Array(t.shape[0]);
    const seen = new Uint8Array(order.length);
    for (let k = 0; k < order.length; k++) {
      const x = dv.getInt32(t.byteOffset + 4 * k, true);
      if (x < 0 || x >= order.length || seen[x]) throw bad("'fit/order' is not a permutation");
      seen[x] = 1;
      order[k] = x;
    }
    fit = { order, epochs: json.fit.epochs };
  }
  // A stateful model's states: [2, batch, units] per layer, when saved (files of 0.1.0 have none).
  const batch = (first as { batchInputShape?: number[] }).batchInputShape?.[0];
  const states = lstms[0].config.stateful && batch !== undefined
    ? units.map((H, l) => {
      const t = byName.get(`${lstmName(l)}/states`);
      if (!t) return null;
      if (t.dtype !== 'float32' || t.shape.join() !== [2, batch, H].join()) throw bad(`'${t.name}' must be float32 [2, ${batch}, ${H}]`);
      const out = new Float32Array(2 * batch * H);
      for (let k = 0; k < out.length; k++) out[k] = dv.getFloat32(t.byteOffset + 4 * k, true);
      const at = out.findIndex((x) => !Number.isFinite(x));
      if (at >= 0) throw new ValueError(`${caller}: '${t.name}' has ${out[at]} at flat index ${at}; saved states must be finite`);
      return out;
    })
    : [];
  return { layers, preset, kernels: m.kernels, seed: m.seed as number | null, rng, D, units, V, compile, params, m: mm, v: vv, step, fit, states };
}

/**
 * Restores a model from `model.save()` output or `encodeModel` bytes: architecture, weights,
 * compile settings, Adam's state, the generator and fit's shuffling, so `fit` continues exactly
 * where the saved model stopped (resume with `initialEpoch`, see `FitArgs`). Needs `await ready()`.
 * Refuses, before allocating anything: another format or version (ConfigError), a truncated or
 * corrupted file (ValueError, CRC-32), tensors of the wrong shape (ShapeError).
 *
 * @example
 * const model = loadModel(saved);
 * await model.fit(x, y, { epochs: 10, initialEpoch: 5 }); // epochs 6..10, as if never interrupted
 */
export function loadModel(source: ModelSource): Sequential {
  const c = 'loadModel()';
  kernels(c);
  const r = restore(c, source);
  const model = new Sequential({ layers: r.layers, preset: r.preset, kernels: r.kernels, rng: r.rng }, { weights: r.params, seed: r.seed });
  try {
    if (r.compile) model.compile(r.compile);
    if (r.m && r.v) {
      const a = model.live(c);
      const [m, v] = [a.region('m'), a.region('v')];
      a.slices.forEach((s, i) => {
        m.set(r.m![i], s.offset);
        v.set(r.v![i], s.offset);
      });
      a.slots()[M.step] = r.step;
    }
    model.fitState = r.fit;
    r.states.forEach((hc, l) => hc && model.live(c).setLayerState(l, hc));
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

/** @internal The body of `Sequential.loadWeights`. */
export function loadWeightsInto(model: Sequential, source: ModelSource): void {
  const c = 'loadWeights()';
  model.idle(c);
  const r = restore(c, source);
  if (r.D !== model.D || r.units.join() !== model.units.join() || r.V !== model.V) {
    throw new ShapeError(`${c}: wrong shape: the file holds a model with D=${r.D} features, LSTM units [${r.units.join(', ')}], V=${r.V} classes; this model has D=${model.D}, LSTM units [${model.units.join(', ')}], V=${model.V}`);
  }
  model.writeParams(r.params);
}

// ---- browsers: IndexedDB and downloads ---------------------------------------------------------------

/**
 * Options of the IndexedDB helpers.
 *
 * @example
 * await saveModelIndexedDB(model, 'letters', { dbName: 'my-app', includeOptimizer: false });
 * const again = await loadModelIndexedDB('letters', { dbName: 'my-app' });
 */
export interface IndexedDBArgs extends SaveArgs {
  /** Database name. Default 'lstm-wasm'. */
  dbName?: string;
}

const STORE = 'models';

function idbOpen(caller: string, dbName: string): Promise<IDBDatabase> {
  const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!idb) throw new StateError(`${caller}: this host has no IndexedDB (in Node, use saveModelFile/loadModelFile from 'lstm-wasm/node')`);
  return new Promise((resolve, reject) => {
    const req = idb.open(dbName, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(new StateError(`${caller}: could not open IndexedDB database '${dbName}': ${req.error?.message}`));
    req.onblocked = () => reject(new StateError(`${caller}: IndexedDB database '${dbName}' is blocked by another tab`));
  });
}

function idbRequest<T>(caller: string, db: IDBDatabase, mode: IDBTransactionMode, op: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const req = op(tx.objectStore(STORE));
    let result: T;
    req.onsuccess = () => (result = req.result);
    tx.oncomplete = () => resolve(result);
    tx.onerror = tx.onabort = () => reject(new StateError(`${caller}: IndexedDB: ${tx.error?.message ?? req.error?.message ?? 'transaction failed'}`));
  }).finally(() => db.close()) as Promise<T>;
}

function checkKey(caller: string, key: unknown): string {
  if (typeof key !== 'string' || key === '') throw new ValueError(`${caller}: key must be a non-empty string, received ${describe(key)}`);
  return key;
}

function dbNameOf(caller: string, args: IndexedDBArgs): string {
  const name = args.dbName ?? 'lstm-wasm';
  if (typeof name !== 'string' || name === '') throw new ValueError(`${caller}: dbName must be a non-empty string, received ${describe(name)}`);
  return name;
}

/**
 * Saves the model (the `encodeModel` bytes, taken when called) in the browser's IndexedDB under `key`.
 *
 * @example
 * await saveModelIndexedDB(model, 'letters');
 * const again = await loadModelIndexedDB('letters');
 */
export async function saveModelIndexedDB(model: Sequential, key: string, args: IndexedDBArgs = {}): Promise<void> {
  const c = 'saveModelIndexedDB()';
  checkKeys(c, args, ['dbName', 'includeOptimizer', 'metadata']);
  checkKey(c, key);
  const dbName = dbNameOf(c, args);
  const { dbName: _, ...saveArgs } = args;
  const bytes = encodeModel(model.save(saveArgs));
  const db = await idbOpen(c, dbName);
  await idbRequest(c, db, 'readwrite', (s) => s.put(bytes.buffer, key));
}

/**
 * Loads a model saved by `saveModelIndexedDB`; a ValueError if there is none under `key`.
 *
 * @example
 * const model = await loadModelIndexedDB('letters');
 */
export async function loadModelIndexedDB(key: string, args: Pick<IndexedDBArgs, 'dbName'> = {}): Promise<Sequential> {
  const c = 'loadModelIndexedDB()';
  checkKeys(c, args, ['dbName']);
  checkKey(c, key);
  kernels(c);
  const dbName = dbNameOf(c, args);
  const db = await idbOpen(c, dbName);
  const bytes = await idbRequest<unknown>(c, db, 'readonly', (s) => s.get(key));
  if (bytes === undefined) throw new ValueError(`${c}: no model saved under key '${key}' in IndexedDB database '${dbName}'`);
  return loadModelFromBytes(c, bytes);
}

/**
 * Removes a model saved by `saveModelIndexedDB` (nothing happens if there is none).
 *
 * @example
 * await deleteModelIndexedDB('letters');
 */
export async function deleteModelIndexedDB(key: string, args: Pick<IndexedDBArgs, 'dbName'> = {}): Promise<void> {
  const c = 'deleteModelIndexedDB()';
  checkKeys(c, args, ['dbName']);
  checkKey(c, key);
  const db = await idbOpen(c, dbNameOf(c, args));
  await idbRequest(c, db, 'readwrite', (s) => s.delete(key));
}

function loadModelFromBytes(c: string, bytes: unknown): Sequential {
  if (!(bytes instanceof ArrayBuffer) && !ArrayBuffer.isView(bytes)) throw new ValueError(`${c}: the stored value is ${describe(bytes)}, not model bytes`);
  const saved = decodeModel(bytes, c);
  return loadModel(saved);
}

/**
 * Lets the browser download the model as one file (`encodeModel` bytes); load it again with
 * `loadModel(new Uint8Array(await file.arrayBuffer()))` or `loadModelFile` in Node.
 *
 * @example
 * downloadModel(model, 'letters.lstm');
 */
export function downloadModel(model: Sequential, filename = 'model.lstm', args: SaveArgs = {}): void {
  const c = 'downloadModel()';
  if (typeof filename !== 'string' || filename === '' || /[\\/]/.test(filename)) throw new ValueError(`${c}: filename must be a non-empty name without slashes, received ${describe(filename)}`);
  const g = globalThis as { document?: Document; URL?: typeof URL; Blob?: typeof Blob };
  if (!g.document || !g.URL?.createObjectURL || !g.Blob) throw new StateError(`${c}: needs a browser page (document, Blob, URL.createObjectURL); in Node, use saveModelFile from 'lstm-wasm/node'`);
  const bytes = encodeModel(model.save(args));
  const url = g.URL.createObjectURL(new g.Blob([bytes], { type: 'application/octet-stream' }));
  const link = g.document.createElement('a');
  link.href = url;
  link.download = filename;
  link.style.display = 'none';
  g.document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => g.URL!.revokeObjectURL(url), 10_000);
}
