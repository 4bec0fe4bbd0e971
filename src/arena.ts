// A model's memory, laid out from its plan (plan.ts): one block
// `params | grads | m | v | header | program | loss record | optimizer record | stats | tensor table | states`
// (params, grads, m and v share one layout, so the optimizer is one flat loop) and one scratch block
// for chunks of up to (TCAP steps, BCAP samples), regrown on demand. The slots are abi.ts's, through
// its generated copy; nothing else in src/ computes a pointer.
import * as ABI from './generated/abi.js';
import {
  H_SIMD, H_PARAMS_PTR, H_GRADS_PTR, H_M_PTR, H_V_PTR, H_P, H_NL, H_PROGRAM_PTR, H_LOSS_PTR, H_OPT_PTR, H_NT, H_TT_PTR,
  H_STATEFUL, H_BS, H_TCAP, H_BCAP, H_SEQOUT, H_D, H_V, H_SLOTS, H_X0_PTR, LR_SLOTS, LR_KIND, LR_D, LR_F, LR_H, LR_FLAGS,
  LR_ACT, LR_RACT, LR_W0, LR_S0_PTR, LR_X_PTR, LR_Y_PTR, LR_DX_PTR, LR_DY_PTR, LR_K0_PTR, LS_SLOTS, OP_SLOTS, STATS,
  DS_N, DS_TDATA, DS_X_PTR, DS_Y_PTR, DS_STARTS_PTR, DS_LENS_PTR, DS_SLOTS,
} from './generated/abi.js';
import { alloc, free, i32, f32, requireBytes } from './wasm.js';
import { baseBytes, describePlan, pad4, scratchBytes, scratchTable, stateFloats, type Plan } from './plan.js';

const SLOT = ABI as unknown as Record<string, number>;

export class ModelArena {
  readonly plan: Plan;
  readonly base: number;
  /** The header's address: the `model` argument of every WASM entry point. */
  readonly desc: number;
  readonly stats: number;
  readonly P: number;
  private readonly programAt: number;
  private readonly lossAt: number;
  private readonly optAt: number;
  private readonly statesAt: number;
  /** Per program record: the address of each of its state blocks. */
  private readonly stateBlocks: number[][];
  private scratchBase = 0;
  private tcap = 0;
  private bcap = 0;

  constructor(plan: Plan, simd: boolean, T: number, B: number) {
    this.plan = plan;
    this.P = plan.P;
    const regionBytes = plan.P * 4;
    this.base = alloc(baseBytes(plan));
    this.desc = this.base + 4 * regionBytes;
    this.programAt = this.desc + H_SLOTS * 4;
    this.lossAt = this.programAt + plan.program.length * LR_SLOTS * 4;
    this.optAt = this.lossAt + LS_SLOTS * 4;
    this.stats = (this.optAt + OP_SLOTS * 4 + 7) & ~7;
    const tt = this.stats + STATS * 8;
    this.statesAt = (tt + pad4(2 * plan.slices.length) * 4 + 15) & ~15;
    const h = this.header();
    h[H_SIMD] = simd ? 1 : 0;
    h[H_PARAMS_PTR] = this.base;
    h[H_GRADS_PTR] = this.base + regionBytes;
    h[H_M_PTR] = this.base + 2 * regionBytes;
    h[H_V_PTR] = this.base + 3 * regionBytes;
    h[H_P] = plan.P;
    h[H_NL] = plan.program.length;
    h[H_PROGRAM_PTR] = this.programAt;
    h[H_LOSS_PTR] = this.lossAt;
    h[H_OPT_PTR] = this.optAt;
    h[H_NT] = plan.slices.length;
    h[H_TT_PTR] = tt;
    h[H_STATEFUL] = plan.stateful ? 1 : 0;
    h[H_BS] = plan.stateRows;
    h[H_SEQOUT] = plan.seqOut ? 1 : 0;
    h[H_D] = plan.D;
    h[H_V] = plan.V;
    const t = i32(tt, 2 * plan.slices.length);
    plan.slices.forEach((s, i) => {
      t[2 * i] = s.offset * 4;
      t[2 * i + 1] = s.size;
    });
    let st = this.statesAt;
    this.stateBlocks = plan.program.map((l, i) => {
      const r = this.record(i);
      const v = l.record!;
      r[LR_KIND] = l.kind.code;
      r[LR_D] = v.D;
      r[LR_F] = v.F;
      r[LR_H] = v.H ?? 0;
      r[LR_FLAGS] = v.flags;
      r[LR_ACT] = v.act ?? 0;
      r[LR_RACT] = v.ract ?? 0;
      l.slices.forEach((s, k) => (r[LR_W0 + k] = s.offset * 4));
      return l.states.map((n, k) => {
        r[LR_S0_PTR + k] = st;
        const at = st;
        st += pad4(plan.stateRows * n) * 4;
        return at;
      });
    });
    this.states().fill(0);
    try {
      this.ensure(T, B);
    } catch (e) {
      free(this.base);
      throw e;
    }
  }

  /** Steps and samples per chunk the scratch can hold. */
  get Tcap(): number {
    return this.tcap;
  }
  get Bcap(): number {
    return this.bcap;
  }

  /** Makes the scratch hold chunks of at least T steps and B samples (never shrinks). */
  ensure(T: number, B: number, caller = 'ensure()'): void {
    const nT = Math.max(T, this.tcap, 1);
    const nB = Math.max(B, this.bcap, 1);
    if (nT === this.tcap && nB === this.bcap && this.scratchBase) return;
    const bytes = scratchBytes(this.plan, nT, nB);
    requireBytes(caller, `the scratch of ${describePlan(this.plan)} for chunks of ${nB} samples of ${nT} steps`, bytes);
    const fresh = alloc(bytes); // before freeing the old one: a failed call changes nothing
    if (this.scratchBase) free(this.scratchBase);
    this.scratchBase = fresh;
    let p = fresh;
    const h = this.header();
    for (const e of scratchTable(this.plan, nT, nB)) {
      const ptr = e.floats > 0 ? p : 0;
      if (e.at === 'header') h[SLOT[e.slot]] = ptr;
      else this.record(e.at)[SLOT[e.slot]] = ptr;
      p += pad4(e.floats) * 4;
    }
    // the wiring: a record reads the Y of the one below (the packed inputs for the first), and
    // writes its input gradient into the DY of the one below (none for the first)
    this.plan.program.forEach((l, i) => {
      const r = this.record(i);
      const inK = l.kind.outputIn?.(l.layer, nB);
      if (inK) r[LR_Y_PTR] = r[LR_K0_PTR + inK.k] + inK.floats * 4;
      r[LR_X_PTR] = i === 0 ? h[H_X0_PTR] : this.record(i - 1)[LR_Y_PTR];
      r[LR_DX_PTR] = i === 0 ? 0 : this.record(i - 1)[LR_DY_PTR];
    });
    h[H_TCAP] = nT;
    h[H_BCAP] = nB;
    this.tcap = nT;
    this.bcap = nB;
  }

  /** Fresh view of one region: 'params' | 'grads' | 'm' | 'v'. Never keep it across an alloc. */
  region(which: 'params' | 'grads' | 'm' | 'v'): Float32Array {
    const slot = { params: H_PARAMS_PTR, grads: H_GRADS_PTR, m: H_M_PTR, v: H_V_PTR }[which];
    return f32(this.header()[slot], this.P);
  }

  /** Fresh view of every state block (per recurrent record, its vectors' rows). */
  states(): Float32Array {
    return f32(this.statesAt, stateFloats(this.plan));
  }

  /** Record i's state rows: a copy of [vectors, stateRows, units] (LSTM: h then c). */
  layerState(i: number): Float32Array {
    const l = this.plan.program[i];
    const rows = this.plan.stateRows;
    const out = new Float32Array(l.states.reduce((a, n) => a + rows * n, 0));
    let o = 0;
    l.states.forEach((n, k) => {
      out.set(f32(this.stateBlocks[i][k], rows * n), o);
      o += rows * n;
    });
    return out;
  }

  /** Writes record i's state rows from [vectors, stateRows, units]. */
  setLayerState(i: number, data: Float32Array): void {
    const l = this.plan.program[i];
    const rows = this.plan.stateRows;
    let o = 0;
    l.states.forEach((n, k) => {
      f32(this.stateBlocks[i][k], rows * n).set(data.subarray(o, o + rows * n));
      o += rows * n;
    });
  }

  /** Fresh view of the header's slots. */
  header(): Int32Array {
    return i32(this.desc, H_SLOTS);
  }

  /** Fresh view of program record i. */
  record(i: number): Int32Array {
    return i32(this.programAt + i * LR_SLOTS * 4, LR_SLOTS);
  }

  /** Fresh view of the loss record. */
  loss(): Int32Array {
    return i32(this.lossAt, LS_SLOTS);
  }

  /** Fresh view of the optimizer record. */
  opt(): Int32Array {
    return i32(this.optAt, OP_SLOTS);
  }

  /** An f32 slot of a record ('loss' or 'opt'). */
  getF32(table: 'loss' | 'opt', slot: number): number {
    return f32(table === 'loss' ? this.lossAt : this.optAt, table === 'loss' ? LS_SLOTS : OP_SLOTS)[slot];
  }

  setF32(table: 'loss' | 'opt', slot: number, value: number): void {
    f32(table === 'loss' ? this.lossAt : this.optAt, table === 'loss' ? LS_SLOTS : OP_SLOTS)[slot] = value;
  }

  dispose(): void {
    free(this.scratchBase);
    free(this.base);
  }
}

/** A dataset copied once into linear memory: x (N,T,D) sample-major, y (N·Ty rows), per-sample starts and lengths. */
export class DataBlock {
  readonly base: number;
  readonly desc: number;
  readonly x: number;
  readonly y: number;
  readonly starts: number;
  readonly lens: number;
  readonly order: number;

  /** `yFloats`: floats of targets per sample (0: none). */
  constructor(readonly N: number, readonly T: number, readonly D: number, readonly yFloats: number) {
    const xf = pad4(N * T * D);
    const yf = pad4(N * yFloats);
    const n4 = pad4(N);
    const bytes = (xf + yf + 3 * n4 + DS_SLOTS) * 4;
    this.base = alloc(bytes);
    this.x = this.base;
    this.y = this.x + xf * 4;
    this.starts = this.y + yf * 4;
    this.lens = this.starts + n4 * 4;
    this.order = this.lens + n4 * 4;
    this.desc = this.order + n4 * 4;
    const d = i32(this.desc, DS_SLOTS);
    d[DS_N] = N; d[DS_TDATA] = T; d[DS_X_PTR] = this.x; d[DS_Y_PTR] = yFloats > 0 ? this.y : 0;
    d[DS_STARTS_PTR] = this.starts; d[DS_LENS_PTR] = this.lens;
  }

  /** Two new blocks: samples [0, n) and [n, N), copied (Keras's validationSplit takes the tail). */
  split(n: number): [DataBlock, DataBlock] {
    const parts: Array<[number, number]> = [[0, n], [n, this.N]];
    const [a, b] = parts.map(([from, to]) => {
      const part = new DataBlock(to - from, this.T, this.D, this.yFloats);
      const row = this.T * this.D;
      f32(part.x, part.N * row).set(f32(this.x + from * row * 4, part.N * row));
      if (this.yFloats > 0) f32(part.y, part.N * this.yFloats).set(f32(this.y + from * this.yFloats * 4, part.N * this.yFloats));
      i32(part.starts, part.N).set(i32(this.starts + from * 4, part.N));
      i32(part.lens, part.N).set(i32(this.lens + from * 4, part.N));
      return part;
    });
    return [a, b];
  }

  /** The longest sample's steps. */
  longest(): number {
    return i32(this.lens, this.N).reduce((m, l) => Math.max(m, l), 0);
  }

  dispose(): void {
    free(this.base);
  }
}
