// PyTorch's nn.LSTM + nn.Linear state_dict, as plain { name: { shape, data } } maps.
// Other libraries' formats: TensorFlow.js Layers (model.json + weights.bin, what tf.loadLayersModel
// reads and tfjs's model.save writes) and PyTorch's nn.LSTM + nn.Linear state_dict as plain
// { name: { shape, data } } maps. Keras's get_weights() order is ours: getWeights/setWeights.
//
// Gate order: Keras and tfjs (i, f, c, o) and PyTorch (i, f, g, o) are the same order; c and g are
// both the cell candidate. Only ONNX differs (i, o, f, c).
import { ConfigError, LstmWasmError, ShapeError, ValueError } from '../errors.js';
import { checkKeys, describe } from '../options.js';
import { dense, lstm, masking, type Layer } from '../layers/index.js';
import { sequential, type Sequential } from '../model/sequential.js';
import { PRESETS } from '../presets.js';
import { describePlan } from '../plan.js';
import { isObj, type ImportArgs } from './tfjs.js';

/**
 * A tensor as plain data: row-major `data` of `shape` (from JSON, `data` may be a number array).
 *
 * @example
 * const t: PlainTensor = toPyTorchState(model)['dense.bias'];
 * t.shape; // [V]
 */
export interface PlainTensor {
  /** Size of each dimension, PyTorch's `tensor.shape`. */
  shape: number[];
  /** The values in row-major order (`tensor.flatten()`). */
  data: Float32Array;
}

/**
 * A PyTorch state_dict as plain tensors, e.g. `{ 'lstm.weight_ih_l0': { shape: [4H, D], data } }`.
 *
 * @example
 * const state: PyTorchState = toPyTorchState(model);
 * writeFileSync('state.json', JSON.stringify(state, (k, v) => (v instanceof Float32Array ? Array.from(v) : v)));
 */
export type PyTorchState = Record<string, PlainTensor>;

/**
 * Options of `toPyTorchState`: the attribute names of the modules in your nn.Module.
 *
 * @example
 * const names: PyTorchNames = { lstmName: 'rnn', denseName: 'head' };
 * Object.keys(toPyTorchState(model, names)); // ['rnn.weight_ih_l0', ..., 'head.weight', 'head.bias']
 */
export interface PyTorchNames {
  /** The nn.LSTM's attribute name. Default 'lstm'. */
  lstmName?: string;
  /** The nn.Linear's attribute name. Default 'dense'. */
  denseName?: string;
}

/** Row-major (R, C) -> (C, R). */
function transpose(a: ArrayLike<number>, R: number, C: number): Float32Array {
  const out = new Float32Array(R * C);
  for (let r = 0; r < R; r++) for (let k = 0; k < C; k++) out[k * R + r] = a[r * C + k];
  return out;
}

/**
 * The weights as a PyTorch `nn.LSTM(D, H, batch_first=True)` + `nn.Linear(H, V)` state_dict,
 * by plain copy: `weight_ih_l0` (4H, D) = kernelᵀ, `weight_hh_l0` (4H, H) = recurrent_kernelᵀ,
 * `bias_ih_l0` = bias and `bias_hh_l0` = 0 (PyTorch adds the two), Linear `weight` (V, H) =
 * dense kernelᵀ, `bias`. Gate rows i, f, g, o are Keras's i, f, c, o. PyTorch's gates are
 * sigmoid, so the model must use `recurrentActivation: 'sigmoid'` (ConfigError otherwise).
 * Stacked LSTMs become `nn.LSTM(D, H, num_layers=n)` (keys `..._l1`, ...; PyTorch needs one H
 * for all layers, so a stack of different units is a ConfigError). Follow the Linear with softmax
 * in PyTorch.
 *
 * @example
 * const state = toPyTorchState(model, { lstmName: 'lstm', denseName: 'fc' });
 * state['lstm.weight_ih_l0'].shape; // [4 * H, D]
 */
export function toPyTorchState(model: Sequential, args: PyTorchNames = {}): PyTorchState {
  const c = 'toPyTorchState()';
  checkKeys(c, args, ['lstmName', 'denseName']);
  const ln = args.lstmName ?? 'lstm';
  const dn = args.denseName ?? 'dense';
  for (const [k, v] of [['lstmName', ln], ['denseName', dn]]) {
    if (typeof v !== 'string' || v === '') throw new ValueError(`${c}: ${k} must be a non-empty string, received ${describe(v)}`);
  }
  if (ln === dn) throw new ValueError(`${c}: lstmName and denseName must differ, both are '${ln}'`);
  const kinds = model.plan.program.map((l) => l.kind.className).join(',');
  if (!/^(LSTM,)+Dense$/.test(kinds)) {
    throw new ConfigError(`${c}: a state_dict of one nn.LSTM and one nn.Linear holds LSTMs then one Dense; this model is ${describePlan(model.plan)} (copy getWeights() per layer instead)`);
  }
  if (new Set(model.units).size > 1) {
    throw new ConfigError(`${c}: this model stacks LSTMs of ${model.units.join(', ')} units; one PyTorch nn.LSTM stacks layers of a single hidden_size (copy getWeights() per layer instead)`);
  }
  const base = PRESETS[model.config.preset].recurrentActivation;
  model.lstmLayers.forEach((l, i) => {
    const act = l.config.recurrentActivation ?? base;
    if (act !== 'sigmoid') {
      throw new ConfigError(`${c}: LSTM layer ${i}'s gates use ${act}; PyTorch's nn.LSTM uses sigmoid. Build it with lstm({ recurrentActivation: 'sigmoid', ... }) or preset 'keras3'`);
    }
  });
  const ws = model.getWeights();
  const { D, H, V } = model;
  const NL = model.units.length;
  const out: PyTorchState = {};
  for (let l = 0; l < NL; l++) {
    const [W, U, b] = ws.slice(3 * l, 3 * l + 3);
    const Din = l === 0 ? D : H;
    out[`${ln}.weight_ih_l${l}`] = { shape: [4 * H, Din], data: transpose(W.data, Din, 4 * H) };
    out[`${ln}.weight_hh_l${l}`] = { shape: [4 * H, H], data: transpose(U.data, H, 4 * H) };
    out[`${ln}.bias_ih_l${l}`] = { shape: [4 * H], data: b.data.slice() };
    out[`${ln}.bias_hh_l${l}`] = { shape: [4 * H], data: new Float32Array(4 * H) };
  }
  const [K, bd] = ws.slice(3 * NL);
  out[`${dn}.weight`] = { shape: [V, H], data: transpose(K.data, H, V) };
  out[`${dn}.bias`] = { shape: [V], data: bd.data.slice() };
  return out;
}

/**
 * Options of `fromPyTorchState`, besides those of `sequential` (`ImportArgs`).
 *
 * @example
 * const args: FromPyTorchArgs = { timesteps: null, maskValue: 0, preset: 'keras3' };
 * const model = fromPyTorchState(state, args);
 */
export interface FromPyTorchArgs extends ImportArgs {
  /** Steps per sample, or null (default) for any length. */
  timesteps?: number | null;
  /** Put a `masking({ maskValue })` layer first (for padded input, as PyTorch's packed sequences). */
  maskValue?: number;
}

/**
 * A model from a PyTorch `nn.LSTM` (any num_layers, unidirectional, with biases) + `nn.Linear`
 * state_dict given as plain tensors (the inverse of `toPyTorchState`; module names are found by
 * suffix): per layer l, kernel = weight_ih_llᵀ, recurrent_kernel = weight_hh_llᵀ,
 * bias = bias_ih_ll + bias_hh_ll (layers below the last return sequences); dense kernel = weightᵀ. Gates are sigmoid. The model is `sequential(args)` then `setWeights`;
 * it is not compiled.
 *
 * @example
 * const model = fromPyTorchState(JSON.parse(text), { timesteps: 5 });
 */
export function fromPyTorchState(state: Record<string, { shape: number[]; data: ArrayLike<number> }>, args: FromPyTorchArgs = {}): Sequential {
  const c = 'fromPyTorchState()';
  if (!isObj(state)) throw new ValueError(`${c}: expected a { name: { shape, data } } map, received ${describe(state)}`);
  checkKeys(c, args, ['seed', 'rng', 'preset', 'kernels', 'timesteps', 'maskValue']);
  const keys = Object.keys(state);
  const unsupported = keys.find((k) => /_reverse$|weight_hr_l\d+$/.test(k));
  if (unsupported) throw new ConfigError(`${c}: '${unsupported}' belongs to a bidirectional or projected nn.LSTM; lstm-wasm reads unidirectional layers (bidirectional=False, proj_size=0)`);
  const one = (what: string, test: (k: string) => boolean): { key: string; shape: number[]; data: Float32Array } => {
    const hits = keys.filter(test);
    if (hits.length !== 1) throw new ConfigError(`${c}: expected one ${what} key, found ${hits.length ? hits.join(', ') : 'none'} among ${keys.join(', ')}`);
    const t = state[hits[0]];
    if (!isObj(t) || !Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d > 0) || t.data === null || typeof t.data !== 'object' || typeof (t.data as ArrayLike<number>).length !== 'number') {
      throw new ValueError(`${c}: '${hits[0]}' must be { shape, data }, received ${describe(t)}`);
    }
    const n = t.shape.reduce((p: number, d: number) => p * d, 1);
    if ((t.data as ArrayLike<number>).length !== n) throw new ShapeError(`${c}: '${hits[0]}' has ${(t.data as ArrayLike<number>).length} values for shape [${t.shape.join(', ')}]`);
    return { key: hits[0], shape: [...t.shape], data: Float32Array.from(t.data as ArrayLike<number>) };
  };
  const lstmKey = /(^|\.)(weight|bias)_(ih|hh)_l(\d+)$/;
  // num_layers: l0 .. l(n-1), every one present
  const NL = 1 + keys.reduce((m, k) => Math.max(m, Number(lstmKey.exec(k)?.[4] ?? 0)), 0);
  const tensorsOf = (l: number) => ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'].map((w) => one(`${w}_l${l}`, (k) => k.endsWith(`${w}_l${l}`)));
  const lstmTensors = Array.from({ length: NL }, (_, l) => tensorsOf(l));
  const lw = one('nn.Linear weight', (k) => !lstmKey.test(k) && /(^|\.)weight$/.test(k));
  const lb = one('nn.Linear bias', (k) => !lstmKey.test(k) && /(^|\.)bias$/.test(k));
  const shapeErr = (t: { key: string; shape: number[] }, want: string) => new ShapeError(`${c}: wrong shape: '${t.key}' is [${t.shape.join(', ')}], expected ${want}`);
  const wih0 = lstmTensors[0][0];
  if (wih0.shape.length !== 2 || wih0.shape[0] % 4 !== 0) throw shapeErr(wih0, '[4H, D]');
  const H = wih0.shape[0] / 4;
  const D = wih0.shape[1];
  if (lw.shape.length !== 2) throw shapeErr(lw, '[V, H]');
  const V = lw.shape[0];
  const is = (t: { shape: number[] }, s: number[]) => t.shape.length === s.length && t.shape.every((d, i) => d === s[i]);
  const weights: Float32Array[] = [];
  lstmTensors.forEach(([wih, whh, bih, bhh], l) => {
    const Din = l === 0 ? D : H;
    if (!is(wih, [4 * H, Din])) throw shapeErr(wih, `[${4 * H}, ${Din}] (4H, ${l === 0 ? 'D' : 'H of the layer below'})`);
    if (!is(whh, [4 * H, H])) throw shapeErr(whh, `[${4 * H}, ${H}] (4H, H)`);
    if (!is(bih, [4 * H])) throw shapeErr(bih, `[${4 * H}]`);
    if (!is(bhh, [4 * H])) throw shapeErr(bhh, `[${4 * H}]`);
    const bias = new Float32Array(4 * H);
    for (let k = 0; k < bias.length; k++) bias[k] = bih.data[k] + bhh.data[k];
    weights.push(transpose(wih.data, 4 * H, Din), transpose(whh.data, 4 * H, H), bias);
  });
  if (!is(lw, [V, H])) throw shapeErr(lw, `[${V}, ${H}] (V, H): the Linear must read the LSTM's ${H} units`);
  if (!is(lb, [V])) throw shapeErr(lb, `[${V}]`);
  weights.push(transpose(lw.data, V, H), lb.data);
  const T = args.timesteps ?? null;
  const { timesteps: _t, maskValue, ...seqArgs } = args;
  let layers: Layer[];
  try {
    const shape: [number | null, number] = [T, D];
    layers = [
      ...(maskValue === undefined ? [] : [masking({ maskValue, inputShape: shape })]),
      ...Array.from({ length: NL }, (_, l) => lstm({
        units: H, recurrentActivation: 'sigmoid', ...(l < NL - 1 ? { returnSequences: true } : {}),
        ...(maskValue === undefined && l === 0 ? { inputShape: shape } : {}),
      })),
      dense({ units: V, activation: 'softmax' }),
    ];
  } catch (e) {
    if (e instanceof LstmWasmError) throw new (e.constructor as new (m: string) => Error)(`${c}: ${e.message}`);
    throw e;
  }
  const model = sequential({ ...seqArgs, layers });
  try {
    model.setWeights(weights);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}
