// The size table: one place derives every offset of a model's arena and of a dataset's block.
// Nothing else in src/ computes a pointer. Slots mirror assembly/train.ts.
import { alloc, free, i32, f32, requireBytes } from './wasm.js';

/** Model descriptor slots (i32 each; f32 values stored as their bits). Mirrors assembly/train.ts. */
export const M = {
  Tcap: 0, V: 1, simd: 2, params: 3, grads: 4, m: 5, v: 6, P: 7, offK: 8, offBd: 9,
  logits: 10, probs: 11, dlogits: 12, step: 13, lr: 14, beta1: 15, beta2: 16, adamEps: 17, lossEps: 18, opt: 19,
  momentum: 20, nesterov: 21, rho: 22, centered: 23, rmsInside: 24, clipnorm: 25, clipvalue: 26, head: 27, loss: 28, accuracy: 29,
  aux: 30, metrics: 31, NL: 32, LT: 33, seqOut: 34, stateful: 35, NT: 36, TT: 37, Bs: 38, Htop: 39,
} as const;
/** Layer table entry slots, LT_SLOTS per LSTM layer. Mirrors assembly/train.ts. */
export const LT = { D: 0, H: 1, offW: 2, offU: 3, offB: 4, hs: 5, cs: 6, gates: 7, dh: 8, dc: 9, dext: 10, stateH: 11, stateC: 12, act: 13 } as const;
export const LT_SLOTS = 16;
/** The stats block: f64 [Σ loss, Σ correct, Σ samples, Σ mae, Σ mse] (train.ts). */
export const STATS = 5;
/** Values of slot M.opt. */
export const OPT_KIND = { Adam: 0, SGD: 1, RMSprop: 2 } as const;
export const MODEL_SLOTS = 40;

/** Data descriptor slots. Mirrors assembly/train.ts. */
export const DS = { N: 0, Tdata: 1, x: 2, y: 3, starts: 4, lens: 5 } as const;
export const DATA_SLOTS = 8;

const pad4 = (n: number) => (n + 3) & ~3;

/**
 * What an arena holds: D input features, the units (and gate activation) of each LSTM layer bottom first, V outputs,
 * whether the head runs on every step (return_sequences on the last LSTM), and the rows of each
 * layer's state block (the batch size of a stateful model; 1 for predictStep's stream otherwise).
 */
export interface ArenaSpec {
  D: number;
  units: number[];
  /** Each layer's gate activation: 0 sigmoid, 1 hard sigmoid. */
  acts: number[];
  V: number;
  seqOut: boolean;
  stateRows: number;
}

/** Keras's layer names in a Sequential: lstm, lstm_1, ... (tf.keras's numbering), then dense. */
export const lstmName = (l: number): string => (l === 0 ? 'lstm' : `lstm_${l}`);

/** The parameter tensors in Keras order (each LSTM's kernel, recurrent kernel, bias; then dense's). */
export function paramShapes(spec: Pick<ArenaSpec, 'D' | 'units' | 'V'>): Array<{ name: string; shape: number[] }> {
  const out: Array<{ name: string; shape: number[] }> = [];
  spec.units.forEach((H, l) => {
    const D = l === 0 ? spec.D : spec.units[l - 1];
    const n = lstmName(l);
    out.push({ name: `${n}/kernel`, shape: [D, 4 * H] }, { name: `${n}/recurrent_kernel`, shape: [H, 4 * H] }, { name: `${n}/bias`, shape: [4 * H] });
  });
  const Ht = spec.units[spec.units.length - 1];
  out.push({ name: 'dense/kernel', shape: [Ht, spec.V] }, { name: 'dense/bias', shape: [spec.V] });
  return out;
}

export interface ParamSlice {
  name: string;
  shape: number[];
  /** float offset inside a region (params, grads, m, v share it) */
  offset: number;
  size: number;
}

/**
 * A model's memory: one block `params | grads | m | v | descriptor | stats | layer table |
 * tensor table | states` (params, grads, m and v share one layout, so the optimizer is one flat
 * loop) and one scratch block sized for the longest sequence seen so far, regrown on demand.
 */
export class ModelArena {
  readonly base: number;
  readonly desc: number;
  readonly stats: number;
  readonly P: number;
  readonly slices: ParamSlice[];
  readonly spec: Readonly<ArenaSpec>;
  private readonly lt: number;
  private readonly statesAt: number;
  /** Floats in the states block: every layer's h and c rows. */
  readonly stateFloats: number;
  private scratchBase = 0;
  private tcap = 0;

  constructor(spec: ArenaSpec, Tcap: number) {
    this.spec = { ...spec, units: [...spec.units], acts: [...spec.acts] };
    this.slices = ModelArena.paramSlices(spec);
    this.P = this.slices.reduce((a, s) => a + pad4(s.size), 0);
    const NL = spec.units.length;
    const NT = this.slices.length;
    this.stateFloats = ModelArena.stateFloatsOf(spec);
    const regionBytes = this.P * 4;
    this.base = alloc(ModelArena.baseBytes(spec));
    this.desc = this.base + 4 * regionBytes;
    this.stats = this.desc + MODEL_SLOTS * 4;
    this.lt = this.stats + STATS * 8;
    const tt = this.lt + pad4(NL * LT_SLOTS) * 4;
    this.statesAt = tt + pad4(2 * NT) * 4;
    const d = i32(this.desc, MODEL_SLOTS);
    d[M.V] = spec.V;
    d[M.params] = this.base;
    d[M.grads] = this.base + regionBytes;
    d[M.m] = this.base + 2 * regionBytes;
    d[M.v] = this.base + 3 * regionBytes;
    d[M.P] = this.P;
    d[M.offK] = this.slices[3 * NL].offset * 4;
    d[M.offBd] = this.slices[3 * NL + 1].offset * 4;
    d[M.NL] = NL;
    d[M.LT] = this.lt;
    d[M.seqOut] = spec.seqOut ? 1 : 0;
    d[M.NT] = NT;
    d[M.TT] = tt;
    d[M.Bs] = spec.stateRows;
    d[M.Htop] = spec.units[NL - 1];
    const t = i32(tt, 2 * NT);
    this.slices.forEach((s, i) => {
      t[2 * i] = s.offset * 4;
      t[2 * i + 1] = s.size;
    });
    let st = this.statesAt;
    spec.units.forEach((H, l) => {
      const e = this.layer(l);
      e[LT.D] = l === 0 ? spec.D : spec.units[l - 1];
      e[LT.H] = H;
      e[LT.act] = spec.acts[l];
      e[LT.offW] = this.slices[3 * l].offset * 4;
      e[LT.offU] = this.slices[3 * l + 1].offset * 4;
      e[LT.offB] = this.slices[3 * l + 2].offset * 4;
      e[LT.stateH] = st;
      st += pad4(spec.stateRows * H) * 4;
      e[LT.stateC] = st;
      st += pad4(spec.stateRows * H) * 4;
    });
    this.states().fill(0);
    try {
      this.ensureSteps(Tcap);
    } catch (e) {
      free(this.base);
      throw e;
    }
  }

  private static paramSlices(spec: ArenaSpec): ParamSlice[] {
    let off = 0;
    return paramShapes(spec).map(({ name, shape }) => {
      const size = shape.reduce((a, b) => a * b, 1);
      const s = { name, shape, offset: off, size };
      off += pad4(size);
      return s;
    });
  }

  private static stateFloatsOf(spec: ArenaSpec): number {
    return spec.units.reduce((a, H) => a + 2 * pad4(spec.stateRows * H), 0);
  }

  private static tableBytes(spec: ArenaSpec): number {
    return (MODEL_SLOTS + pad4(spec.units.length * LT_SLOTS) + pad4(2 * paramShapes(spec).length)) * 4 + STATS * 8;
  }

  /** Bytes of the block that lives as long as the model: params, grads, m, v, tables, states. */
  static baseBytes(spec: ArenaSpec): number {
    const P = ModelArena.paramSlices(spec).reduce((a, s) => a + pad4(s.size), 0);
    return 16 * P + ModelArena.tableBytes(spec) + 4 * ModelArena.stateFloatsOf(spec);
  }

  /** Steps the scratch can hold. */
  get Tcap(): number {
    return this.tcap;
  }

  /** Fresh view of layer l's entry in the layer table. */
  private layer(l: number): Int32Array {
    return i32(this.lt + l * LT_SLOTS * 4, LT_SLOTS);
  }

  /** Makes the scratch hold at least `T` steps (per layer hs, cs, gates, dext for T steps; per-sample vectors). */
  ensureSteps(T: number, caller = 'ensureSteps()'): void {
    if (T <= this.tcap && this.scratchBase) return;
    const bytes = ModelArena.scratchBytes(this.spec, T);
    requireBytes(caller, `the scratch of LSTM(${this.spec.units.join(', ')}) for ${T} steps`, bytes);
    const fresh = alloc(bytes); // before freeing the old one: a failed call changes nothing
    if (this.scratchBase) free(this.scratchBase);
    this.scratchBase = fresh;
    let p = this.scratchBase;
    for (const [where, key, n] of ModelArena.scratchTable(this.spec, T)) {
      if (where === -1) this.slots()[M[key as keyof typeof M]] = p;
      else this.layer(where)[LT[key as keyof typeof LT]] = n > 0 ? p : 0;
      p += pad4(n) * 4;
    }
    this.slots()[M.Tcap] = T;
    this.tcap = T;
  }

  // [layer (-1: the model), slot name, floats]
  private static scratchTable(spec: ArenaSpec, T: number): Array<[number, string, number]> {
    const NL = spec.units.length;
    const out: Array<[number, string, number]> = [];
    spec.units.forEach((H, l) => {
      const dext = l < NL - 1 || spec.seqOut ? T * H : 0;
      out.push([l, 'hs', (T + 1) * H], [l, 'cs', (T + 1) * H], [l, 'gates', T * 4 * H], [l, 'dh', H], [l, 'dc', H], [l, 'dext', dext]);
    });
    const V = spec.V;
    out.push([-1, 'logits', V], [-1, 'probs', spec.seqOut ? T * V : V], [-1, 'dlogits', V], [-1, 'aux', V]);
    return out;
  }

  /** Bytes of scratch for sequences of up to T steps. */
  static scratchBytes(spec: ArenaSpec, T: number): number {
    return ModelArena.scratchTable(spec, T).reduce((a, [, , n]) => a + pad4(n), 0) * 4;
  }

  /** Fresh view of one region: 'params' | 'grads' | 'm' | 'v'. Never keep it across an alloc. */
  region(which: 'params' | 'grads' | 'm' | 'v'): Float32Array {
    return f32(i32(this.desc, MODEL_SLOTS)[M[which]], this.P);
  }

  /** Fresh view of every layer's state rows (h then c per layer, bottom first). */
  states(): Float32Array {
    return f32(this.statesAt, this.stateFloats);
  }

  /** Layer l's state rows, h then c: a copy of [2, stateRows, H]. */
  layerState(l: number): Float32Array {
    const e = this.layer(l);
    const n = this.spec.stateRows * this.spec.units[l];
    const out = new Float32Array(2 * n);
    out.set(f32(e[LT.stateH], n));
    out.set(f32(e[LT.stateC], n), n);
    return out;
  }

  /** Writes layer l's state rows from [2, stateRows, H] (h then c). */
  setLayerState(l: number, hc: Float32Array): void {
    const e = this.layer(l);
    const n = this.spec.stateRows * this.spec.units[l];
    f32(e[LT.stateH], n).set(hc.subarray(0, n));
    f32(this.layer(l)[LT.stateC], n).set(hc.subarray(n, 2 * n));
  }

  /** Fresh view of the descriptor's slots. */
  slots(): Int32Array {
    return i32(this.desc, MODEL_SLOTS);
  }

  setF32(slot: number, value: number): void {
    new Float32Array(this.slots().buffer, this.desc + slot * 4, 1)[0] = value;
  }

  getF32(slot: number): number {
    return new Float32Array(this.slots().buffer, this.desc + slot * 4, 1)[0];
  }

  dispose(): void {
    free(this.scratchBase);
    free(this.base);
  }
}

/** A dataset copied once into linear memory: x (N,T,D) sample-major, y (N,V), per-sample starts and lengths. */
export class DataBlock {
  readonly base: number;
  readonly desc: number;
  readonly x: number;
  readonly y: number;
  readonly starts: number;
  readonly lens: number;
  readonly order: number;

  constructor(readonly N: number, readonly T: number, readonly D: number, readonly V: number) {
    const xf = pad4(N * T * D);
    const yf = pad4(N * V);
    const n4 = pad4(N);
    const bytes = (xf + yf + 3 * n4 + DATA_SLOTS) * 4;
    this.base = alloc(bytes);
    this.x = this.base;
    this.y = this.x + xf * 4;
    this.starts = this.y + yf * 4;
    this.lens = this.starts + n4 * 4;
    this.order = this.lens + n4 * 4;
    this.desc = this.order + n4 * 4;
    const d = i32(this.desc, DATA_SLOTS);
    d[DS.N] = N; d[DS.Tdata] = T; d[DS.x] = this.x; d[DS.y] = V > 0 ? this.y : 0;
    d[DS.starts] = this.starts; d[DS.lens] = this.lens;
  }

  /** Two new blocks: samples [0, n) and [n, N), copied (Keras's validationSplit takes the tail). */
  split(n: number): [DataBlock, DataBlock] {
    const parts: Array<[number, number]> = [[0, n], [n, this.N]];
    const [a, b] = parts.map(([from, to]) => {
      const part = new DataBlock(to - from, this.T, this.D, this.V);
      const row = this.T * this.D;
      f32(part.x, part.N * row).set(f32(this.x + from * row * 4, part.N * row));
      if (this.V > 0) f32(part.y, part.N * this.V).set(f32(this.y + from * this.V * 4, part.N * this.V));
      i32(part.starts, part.N).set(i32(this.starts + from * 4, part.N));
      i32(part.lens, part.N).set(i32(this.lens + from * 4, part.N));
      return part;
    });
    return [a, b];
  }

  dispose(): void {
    free(this.base);
  }
}
