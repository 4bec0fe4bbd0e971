// Reading a saved model: every byte checked into plain data before any WASM memory is touched.
// The native model format: save() -> { json, weights } -> loadModel(), the one-file container
// (encodeModel/decodeModel), and the browser's IndexedDB and download helpers. Every byte of a
// file is checked before any WASM memory is touched, so a refused file leaves nothing behind.
// File layout and JSON fields: see SavedModelJSON and encodeModel below, and the README.
import { ConfigError, LstmWasmError, ShapeError, ValueError } from '../errors.js';
import { describe } from '../options.js';
import { PRESETS, type PresetName } from '../presets.js';
import { REGISTRY, kindOf, type Layer, type LSTMLayer } from '../layers/index.js';
import { optimizerFactory, type Optimizer } from '../optimizers.js';
import { createRng, type Rng, type RngKind, type RngState } from '../random.js';
import { describePlan, planModel, type Plan } from '../plan.js';
import { LOSSES, METRIC_NAMES, type CompileArgs, type LossName, type MetricName } from '../model/compile.js';
import { FORMAT, FORMAT_VERSION, bytesOf, crc32, decodeModel, hex32, statePrefix, versionError, type ModelSource, type SavedModelJSON, type SavedTensor } from './format.js';

export interface Restored {
  layers: Layer[];
  plan: Plan;
  preset: PresetName;
  kernels: 'simd' | 'scalar';
  seed: number | null;
  rng: Rng;
  D: number;
  units: number[];
  V: number;
  /** Per program record of a stateful model, its saved [vectors, batch, units] states, or null. */
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
export function restore(caller: string, source: ModelSource): Restored {
  const { json, bin } = open(caller, source);
  const bad = (what: string) => new ValueError(`${caller}: corrupted model: ${what}`);
  const w = json.weights;
  if (!isObj(w) || !isInt(w.byteLength) || typeof w.crc32 !== 'string' || !Array.isArray(w.tensors)) throw bad('json.weights must be { byteLength, crc32, tensors }');
  if (bin.length < w.byteLength) throw new ValueError(`${caller}: truncated weights: ${bin.length} bytes, the model describes ${w.byteLength}`);
  if (bin.length > w.byteLength) throw bad(`the weights have ${bin.length} bytes, the model describes ${w.byteLength}`);
  const crc = hex32(crc32(bin));
  if (crc !== w.crc32.toLowerCase()) throw bad(`the weights' CRC-32 is ${crc}, the model says ${w.crc32} (the file was damaged or edited)`);

  // The architecture, rebuilt through each kind's factory (which checks every option), then
  // planned (shapes, the size table): the same checks as sequential(), before any allocation.
  const m = json.model;
  if (!isObj(m) || m.className !== 'Sequential' || !Array.isArray(m.layers)) throw bad("json.model must be { className: 'Sequential', layers, ... }");
  const layers = m.layers.map((l: unknown, i: number): Layer => {
    if (!isObj(l) || !isObj(l.config)) throw new ConfigError(`${caller}: layer ${i} must be { className, config }, received ${describe(l)}`);
    const kind = kindOf(l.className);
    if (!kind) throw new ConfigError(`${caller}: layer ${i} has className ${describe(l.className)}; lstm-wasm models have ${Object.keys(REGISTRY).join(', ')} layers`);
    const cfg = { ...l.config };
    if (cfg.maskValue === 'Infinity' || cfg.maskValue === '-Infinity') cfg.maskValue = Number(cfg.maskValue);
    try {
      return kind.make(cfg) as Layer;
    } catch (e) {
      if (e instanceof LstmWasmError) throw new (e.constructor as new (m: string) => Error)(`${caller}: layer ${i} (${kind.className}): ${e.message}`);
      throw e;
    }
  });
  if (typeof m.preset !== 'string' || !Object.hasOwn(PRESETS, m.preset)) throw new ConfigError(`${caller}: unknown preset ${describe(m.preset)}; this lstm-wasm knows ${Object.keys(PRESETS).join(', ')}`);
  if (m.kernels !== 'simd' && m.kernels !== 'scalar') throw new ConfigError(`${caller}: kernels must be 'simd' or 'scalar', received ${describe(m.kernels)}`);
  if (m.seed !== null && !isInt(m.seed)) throw bad(`model.seed must be an integer or null, received ${describe(m.seed)}`);
  const preset = m.preset as PresetName;
  const plan = planModel(`${caller}: the file's model.layers`, layers, PRESETS[preset]);
  const { D, V } = plan;
  const units = plan.layers.filter((l) => l.kind.className === 'LSTM').map((l) => (l.layer.config as { units: number }).units);
  const firstRact = (layers.find((l) => l.className === 'LSTM') as LSTMLayer | undefined)?.config.recurrentActivation;
  // The saved semantics must be what this version resolves the same options to.
  const saved = m.resolved as unknown;
  if (isObj(saved)) {
    const now = { ...PRESETS[preset], recurrentActivation: firstRact ?? PRESETS[preset].recurrentActivation } as Record<string, unknown>;
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
  const floats = (prefix: string, what: string): Float32Array[] =>
    plan.slices.map(({ name, shape: want }) => {
      const t = byName.get(prefix + name);
      if (!t) throw bad(`the tensor '${prefix + name}' (${what}) is missing`);
      if (t.dtype !== 'float32') throw bad(`'${t.name}' has dtype ${t.dtype}, expected float32`);
      if (t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i])) {
        throw new ShapeError(
          `${caller}: wrong shape: '${t.name}' is [${t.shape.join(', ')}] in the file, but the saved architecture (D=${D} features, LSTM units ${units.join(', ')}, V=${V} classes) needs [${want.join(', ')}] (${describePlan(plan)})`,
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
    const factory = isObj(cp) && isObj(cp.optimizer) ? optimizerFactory(cp.optimizer.className) : undefined;
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
  // A stateful model's states: [vectors, batch, units] per recurrent layer, when saved (files of 0.1.0 have none).
  const states = plan.stateful
    ? plan.program.map((l) => {
      if (l.states.length === 0) return null;
      const t = byName.get(`${l.name}/states`);
      if (!t) return null;
      const want = [l.states.length, plan.stateRows, l.states[0]];
      if (t.dtype !== 'float32' || t.shape.join() !== want.join()) throw bad(`'${t.name}' must be float32 [${want.join(', ')}]`);
      const out = new Float32Array(t.byteLength / 4);
      for (let k = 0; k < out.length; k++) out[k] = dv.getFloat32(t.byteOffset + 4 * k, true);
      const at = out.findIndex((x) => !Number.isFinite(x));
      if (at >= 0) throw new ValueError(`${caller}: '${t.name}' has ${out[at]} at flat index ${at}; saved states must be finite`);
      return out;
    })
    : [];
  return { layers, plan, preset, kernels: m.kernels, seed: m.seed as number | null, rng, D, units, V, compile, params, m: mm, v: vv, step, fit, states };
}
