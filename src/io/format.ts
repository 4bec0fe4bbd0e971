// The native model format: save() -> { json, weights }, the one-file container
// (encodeModel/decodeModel) and its CRC-32. Reading a file back is restore.ts (every byte checked
// before any WASM memory is touched, so a refused file leaves nothing behind), then
// model/load.ts; browsers' IndexedDB and downloads are browser.ts.
// File layout and JSON fields: see SavedModelJSON and encodeModel below, and the README.
import { ConfigError, ValueError } from '../errors.js';
import { checkKeys, describe } from '../options.js';
import type { PresetName } from '../presets.js';
import type { LayerConfig } from '../layers/kind.js';
import type { Optimizer } from '../optimizers.js';
import type { RngState } from '../random.js';
import { OP_STEP } from '../generated/abi.js';
import type { ModelState } from '../model/state.js';

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
  /** The layer's Keras class name, the key of its kind in the registry: 'Masking', 'LSTM', 'Dense'. */
  className: string;
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

export const hex32 = (n: number): string => n.toString(16).padStart(8, '0');

// ---- saving ----------------------------------------------------------------------------------------

// JSON has no ±Infinity; a masking layer's maskValue may be one.
function layerToJSON(l: LayerConfig): SavedLayer {
  const config: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(l.config)) {
    if (v === undefined) continue;
    config[k] = typeof v === 'number' && !Number.isFinite(v) ? String(v) : Array.isArray(v) ? [...v] : v;
  }
  return { className: l.className, config };
}

// The prefix of an optimizer's m and v tensors ('adam/m/...').
export const statePrefix = (className: string): string => `${className.toLowerCase()}/`;

function optimizerConfigJSON(opt: Optimizer): Record<string, number | boolean | null> {
  const out: Record<string, number | boolean | null> = { ...opt.config } as Record<string, number | boolean>;
  if ('epsilon' in out && out.epsilon === undefined) out.epsilon = null;
  for (const k of ['clipnorm', 'clipvalue']) if (out[k] === undefined) delete out[k];
  return out;
}

/** @internal The body of `Sequential.save`. */
export function saveModel(model: ModelState, args: SaveArgs = {}): SavedModel {
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
    for (const s of model.plan.slices) add(prefix + s.name, s.shape, r.slice(s.offset, s.offset + s.size));
  }
  const fit = withOptimizer ? model.fitState : null;
  if (fit) add('fit/order', [fit.order.length], fit.order.slice());
  // A stateful model's states (what the next batch continues): per recurrent layer, [vectors
  // (LSTM: h, c), batch, units].
  if (model.stateful) {
    model.plan.program.forEach((l, i) => {
      if (l.states.length > 0) add(`${l.name}/states`, [l.states.length, model.plan.stateRows, l.states[0]], a.layerState(i));
    });
  }
  const weights = new ArrayBuffer(offset);
  const view = new DataView(weights);
  tensors.forEach((t, i) => {
    const d = parts[i];
    if (d instanceof Int32Array) for (let k = 0; k < d.length; k++) view.setInt32(t.byteOffset + 4 * k, d[k], true);
    else for (let k = 0; k < d.length; k++) view.setFloat32(t.byteOffset + 4 * k, d[k], true);
  });

  const cmp = model.compiled?.args;
  const p = model.preset;
  const plan = model.plan;
  const units = plan.layers.filter((l) => l.kind.className === 'LSTM').map((l) => (l.layer.config as { units: number }).units);
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
        T: plan.T, D: plan.D, H: units[units.length - 1] ?? 0, units, V: plan.V, recurrentActivation: p.recurrentActivation,
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
    optimizer: withOptimizer ? { step: a.opt()[OP_STEP] } : null,
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

export function bytesOf(caller: string, what: string, v: unknown): Uint8Array {
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  throw new ValueError(`${caller}: ${what} must be an ArrayBuffer or a byte view, received ${describe(v)}`);
}

export function versionError(caller: string, version: unknown, by: unknown): ConfigError {
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
