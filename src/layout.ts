// The size table: one place derives every offset of a model's arena and of a dataset's block.
// Nothing else in src/ computes a pointer. Slots mirror assembly/train.ts.
import { alloc, free, i32, f32, requireBytes } from './wasm.js';

/** Model descriptor slots (i32 each; f32 values stored as their bits). Mirrors assembly/train.ts. */
export const M = {
  Tcap: 0, D: 1, H: 2, V: 3, act: 4, simd: 5,
  params: 6, grads: 7, m: 8, v: 9, P: 10,
  offW: 11, offU: 12, offB: 13, offK: 14, offBd: 15,
  hs: 16, cs: 17, gates: 18, logits: 19, probs: 20, dlogits: 21, dh: 22, dc: 23, dgates: 24,
  step: 25, lr: 26, beta1: 27, beta2: 28, adamEps: 29, lossEps: 30,
  opt: 31, momentum: 32, nesterov: 33, rho: 34, centered: 35, rmsInside: 36, clipnorm: 37, clipvalue: 38, head: 39, loss: 40, accuracy: 41, aux: 42, metrics: 43,
} as const;
/** The stats block: f64 [Σ loss, Σ correct, Σ samples, Σ mae, Σ mse] (train.ts). */
export const STATS = 5;
/** Values of slot M.opt. */
export const OPT_KIND = { Adam: 0, SGD: 1, RMSprop: 2 } as const;
export const MODEL_SLOTS = 48;

/** Data descriptor slots. Mirrors assembly/train.ts. */
export const DS = { N: 0, Tdata: 1, x: 2, y: 3, starts: 4, lens: 5 } as const;
export const DATA_SLOTS = 8;

const pad4 = (n: number) => (n + 3) & ~3;

/** The five parameter tensors in Keras order, with their shapes for D features, H units, V classes. */
export function paramShapes(D: number, H: number, V: number): Array<{ name: string; shape: number[] }> {
  return [
    { name: 'lstm/kernel', shape: [D, 4 * H] },
    { name: 'lstm/recurrent_kernel', shape: [H, 4 * H] },
    { name: 'lstm/bias', shape: [4 * H] },
    { name: 'dense/kernel', shape: [H, V] },
    { name: 'dense/bias', shape: [V] },
  ];
}

export interface ParamSlice {
  name: string;
  shape: number[];
  /** float offset inside a region (params, grads, m, v share it) */
  offset: number;
  size: number;
}

/**
 * A model's memory: one block `params | grads | m | v | descriptor | stats` (params, grads, m and v
 * share one layout, so Adam is one flat loop) and one scratch block sized for the longest
 * sequence seen so far, regrown on demand.
 */
export class ModelArena {
  readonly base: number;
  readonly desc: number;
  readonly stats: number;
  readonly P: number;
  readonly slices: ParamSlice[];
  private scratchBase = 0;
  private tcap = 0;

  constructor(readonly D: number, readonly H: number, readonly V: number, Tcap: number) {
    let off = 0;
    this.slices = paramShapes(D, H, V).map(({ name, shape }) => {
      const size = shape.reduce((a, b) => a * b, 1);
      const s = { name, shape, offset: off, size };
      off += pad4(size);
      return s;
    });
    this.P = off;
    const regionBytes = this.P * 4;
    this.base = alloc(4 * regionBytes + MODEL_SLOTS * 4 + STATS * 8); // + descriptor + f64[STATS] stats
    this.desc = this.base + 4 * regionBytes;
    this.stats = this.desc + MODEL_SLOTS * 4;
    const d = i32(this.desc, MODEL_SLOTS);
    d[M.D] = D; d[M.H] = H; d[M.V] = V;
    d[M.params] = this.base;
    d[M.grads] = this.base + regionBytes;
    d[M.m] = this.base + 2 * regionBytes;
    d[M.v] = this.base + 3 * regionBytes;
    d[M.P] = this.P;
    const names = [M.offW, M.offU, M.offB, M.offK, M.offBd];
    this.slices.forEach((s, i) => (d[names[i]] = s.offset * 4));
    try {
      this.ensureSteps(Tcap);
    } catch (e) {
      free(this.base);
      throw e;
    }
  }

  /** Steps the scratch can hold. */
  get Tcap(): number {
    return this.tcap;
  }

  /** Makes the scratch hold at least `T` steps (hs, cs, gates for T steps plus the per-sample vectors). */
  ensureSteps(T: number, caller = 'ensureSteps()'): void {
    if (T <= this.tcap && this.scratchBase) return;
    const scratch = ModelArena.scratchTable(this.H, this.V, T);
    const bytes = ModelArena.scratchBytes(this.H, this.V, T);
    requireBytes(caller, `a ${this.H}-unit LSTM's scratch for ${T} steps`, bytes);
    const fresh = alloc(bytes); // before freeing the old one: a failed call changes nothing
    if (this.scratchBase) free(this.scratchBase);
    this.scratchBase = fresh;
    const d = this.slots();
    let p = this.scratchBase;
    for (const [k, n] of scratch) {
      d[M[k]] = p;
      p += pad4(n) * 4;
    }
    d[M.Tcap] = T;
    this.tcap = T;
  }

  private static scratchTable(H: number, V: number, T: number): Array<[keyof typeof M, number]> {
    return [
      ['hs', (T + 1) * H], ['cs', (T + 1) * H], ['gates', T * 4 * H],
      ['logits', V], ['probs', V], ['dlogits', V], ['dh', H], ['dc', H], ['dgates', 4 * H], ['aux', V],
    ];
  }

  /** Bytes of scratch for sequences of up to T steps (hs, cs, gates, and per-sample vectors). */
  static scratchBytes(H: number, V: number, T: number): number {
    return ModelArena.scratchTable(H, V, T).reduce((a, [, n]) => a + pad4(n), 0) * 4;
  }


  /** Fresh view of one region: 'params' | 'grads' | 'm' | 'v'. Never keep it across an alloc. */
  region(which: 'params' | 'grads' | 'm' | 'v'): Float32Array {
    return f32(i32(this.desc, MODEL_SLOTS)[M[which]], this.P);
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
