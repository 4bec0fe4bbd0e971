// Shared test helpers for the kernel tests: a seeded PRNG, a comparison that names the worst
// element, linear-memory helpers, and plain float64 JavaScript references of every kernel's math
// (the independent oracle the `_scalar` twins are checked against).
import { alloc, f32, free } from '../../src/wasm.js';

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n uniform values in [lo, hi). */
export function uniform(rnd: () => number, n: number, lo = -1, hi = 1): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(lo + (hi - lo) * rnd());
  return out;
}

export interface Tol {
  abs: number;
  rel?: number;
}

type Arr = ArrayLike<number>;

/**
 * Passes when |ours[i] - ref[i]| <= abs + rel*|ref[i]| for every i (NaN never passes). On failure
 * throws naming the tensor, how many elements are off, the max |diff|, its index, ours vs ref.
 */
export function expectClose(name: string, ours: Arr, ref: Arr, tol: Tol | number): void {
  const t: Tol = typeof tol === 'number' ? { abs: tol } : tol;
  const rel = t.rel ?? 0;
  if (ours.length !== ref.length) {
    throw new Error(`${name}: length ${ours.length} vs reference ${ref.length}`);
  }
  let off = 0;
  let worst = -1; // the off element with the largest |diff|
  let worstDiff = -1;
  let maxDiff = 0; // over all elements
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(ours[i] - ref[i]);
    const dd = Number.isNaN(d) ? Infinity : d;
    if (dd > maxDiff) maxDiff = dd;
    const ok = d <= t.abs + rel * Math.abs(ref[i]) || ours[i] === ref[i];
    if (ok) continue;
    off++;
    if (dd > worstDiff) {
      worstDiff = dd;
      worst = i;
    }
  }
  if (off > 0) {
    throw new Error(
      `${name}: ${off}/${ref.length} elements off (tol abs ${t.abs}, rel ${rel}); max |diff| ${worstDiff} ` +
        `at [${worst}]: ours ${ours[worst]} vs ref ${ref[worst]}` +
        (maxDiff > worstDiff ? ` (max |diff| of all elements ${maxDiff}, within its relative tolerance)` : ''),
    );
  }
}

/** Exact (bitwise for finite floats) equality with the same failure report. */
export function expectEqual(name: string, ours: Arr, ref: Arr): void {
  expectClose(name, ours, ref, 0);
}

/** Linear memory for one test: `put` copies floats in, `take` copies them out, `done` frees all. */
export class Mem {
  private blocks: number[] = [];
  /** A zeroed block of n floats (at least 16 bytes), or holding `values`. */
  put(values: ArrayLike<number> | number): number {
    const n = typeof values === 'number' ? values : values.length;
    const p = alloc(Math.max(4 * n, 16));
    this.blocks.push(p);
    if (typeof values !== 'number') f32(p, n).set(values);
    return p;
  }
  bytes(n: number): number {
    const p = alloc(n);
    this.blocks.push(p);
    return p;
  }
  take(p: number, n: number): number[] {
    return Array.from(f32(p, n));
  }
  done(): void {
    for (const p of this.blocks) free(p);
    this.blocks = [];
  }
}

/** Rounds every element to float32 (what the kernels see). */
export function fround(a: number[]): number[] {
  return a.map(Math.fround);
}

// ---------------------------------------------------------------------------------------------
// float64 references, written plainly from the formulas (not from the kernels).

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
export const hardSigmoid = (x: number): number => Math.min(1, Math.max(0, 0.2 * x + 0.5));
export const gate = (x: number, act: number): number => (act === 0 ? sigmoid(x) : hardSigmoid(x));
/** derivative of the recurrent activation from its output a */
export const dgate = (a: number, act: number): number => (act === 0 ? a * (1 - a) : a > 0 && a < 1 ? 0.2 : 0);

export interface LstmTrace {
  hs: number[][]; // (L+1, H)
  cs: number[][];
  gates: number[][]; // (L, 4H) post-activation [i|f|g|o]
  z: number[][]; // (L, 4H) pre-activation
}

/** One cell step of one row: z (4H, [i|f|g|o] pre-activations), c_prev (H) -> activations, c, h. */
export function lstmCellRef(z: Arr, cPrev: Arr, H: number, act: number): { gates: number[]; c: number[]; h: number[] } {
  const gates: number[] = new Array(4 * H);
  const c: number[] = [];
  const h: number[] = [];
  for (let u = 0; u < H; u++) {
    const i = gate(z[u], act);
    const f = gate(z[H + u], act);
    const g = Math.tanh(z[2 * H + u]);
    const o = gate(z[3 * H + u], act);
    gates[u] = i;
    gates[H + u] = f;
    gates[2 * H + u] = g;
    gates[3 * H + u] = o;
    const cu = f * cPrev[u] + i * g;
    c.push(cu);
    h.push(o * Math.tanh(cu));
  }
  return { gates, c, h };
}

/**
 * The cell's backward for one row: from dLoss/dh_t (dh), dLoss/dc_t from the step after (dc),
 * the activations (gates), c_{t-1} and c_t: dz (4H) and dLoss/dc_{t-1} (H).
 */
export function lstmCellBackwardRef(
  gates: Arr, dh: Arr, dc: Arr, cPrev: Arr, c: Arr, H: number, act: number,
): { dz: number[]; dcPrev: number[] } {
  const dz = new Array(4 * H).fill(0);
  const dcPrev = new Array(H).fill(0);
  for (let u = 0; u < H; u++) {
    const i = gates[u];
    const f = gates[H + u];
    const gg = gates[2 * H + u];
    const o = gates[3 * H + u];
    const tc = Math.tanh(c[u]);
    const dcu = dc[u] + dh[u] * o * (1 - tc * tc);
    dz[u] = dcu * gg * dgate(i, act);
    dz[H + u] = dcu * cPrev[u] * dgate(f, act);
    dz[2 * H + u] = dcu * i * (1 - gg * gg);
    dz[3 * H + u] = dh[u] * tc * dgate(o, act);
    dcPrev[u] = dcu * f;
  }
  return { dz, dcPrev };
}

/** x (L*D), W (D*4H), U (H*4H), b (4H) flat row-major; h0, c0 (H). */
export function lstmForwardRef(
  x: Arr, W: Arr, U: Arr, b: Arr, h0: Arr, c0: Arr, L: number, D: number, H: number, act: number,
): LstmTrace {
  const G = 4 * H;
  const hs = [Array.from(h0)];
  const cs = [Array.from(c0)];
  const gates: number[][] = [];
  const zs: number[][] = [];
  for (let t = 0; t < L; t++) {
    const h = hs[t];
    const z: number[] = [];
    for (let j = 0; j < G; j++) {
      let s = b[j];
      for (let d = 0; d < D; d++) s += x[t * D + d] * W[d * G + j];
      for (let k = 0; k < H; k++) s += h[k] * U[k * G + j];
      z.push(s);
    }
    const cell = lstmCellRef(z, cs[t], H, act);
    hs.push(cell.h);
    cs.push(cell.c);
    gates.push(cell.gates);
    zs.push(z);
  }
  return { hs, cs, gates, z: zs };
}

export interface LstmGrads {
  dW: number[];
  dU: number[];
  db: number[];
  dh0: number[];
  dc0: number[];
  dz: number[][]; // (L, 4H) pre-activation gate gradients per step
}

/** BPTT from dLoss/dh_L = dhL over a trace from lstmForwardRef; gradients start at zero. */
export function lstmBackwardRef(
  tr: LstmTrace, x: Arr, U: Arr, dhL: Arr, L: number, D: number, H: number, act: number,
): LstmGrads {
  const G = 4 * H;
  const dW = new Array(D * G).fill(0);
  const dU = new Array(H * G).fill(0);
  const db = new Array(G).fill(0);
  let dh = Array.from(dhL);
  let dc = new Array(H).fill(0);
  const dzs: number[][] = new Array(L);
  for (let t = L - 1; t >= 0; t--) {
    const { dz, dcPrev } = lstmCellBackwardRef(tr.gates[t], dh, dc, tr.cs[t], tr.cs[t + 1], H, act);
    const dhPrev = new Array(H).fill(0);
    for (let j = 0; j < G; j++) {
      db[j] += dz[j];
      for (let d = 0; d < D; d++) dW[d * G + j] += x[t * D + d] * dz[j];
      for (let k = 0; k < H; k++) {
        dU[k * G + j] += tr.hs[t][k] * dz[j];
        dhPrev[k] += U[k * G + j] * dz[j];
      }
    }
    dh = dhPrev;
    dc = dcPrev;
    dzs[t] = dz;
  }
  return { dW, dU, db, dh0: dh, dc0: dc, dz: dzs };
}

/** logits (V) = h K + bd */
export function denseForwardRef(h: Arr, K: Arr, bd: Arr, H: number, V: number): number[] {
  const out: number[] = [];
  for (let v = 0; v < V; v++) {
    let s = bd[v];
    for (let k = 0; k < H; k++) s += h[k] * K[k * V + v];
    out.push(s);
  }
  return out;
}

/** softmax and cross-entropy (eps > 0: clipped probabilities; eps = 0: from logits). */
export function softmaxCeRef(logits: Arr, y: Arr, eps: number): { probs: number[]; loss: number } {
  const V = logits.length;
  let mx = -Infinity;
  for (let v = 0; v < V; v++) mx = Math.max(mx, logits[v]);
  let sum = 0;
  for (let v = 0; v < V; v++) sum += Math.exp(logits[v] - mx);
  const probs: number[] = [];
  for (let v = 0; v < V; v++) probs.push(Math.exp(logits[v] - mx) / sum);
  const lse = mx + Math.log(sum);
  let loss = 0;
  for (let v = 0; v < V; v++) {
    if (y[v] === 0) continue;
    if (eps > 0) loss -= y[v] * Math.log(Math.min(1 - eps, Math.max(eps, probs[v])));
    else loss += y[v] * (lse - logits[v]);
  }
  return { probs, loss };
}

/** dLoss/dlogits * scale, the clip passing its gradient at the bounds (as TF and tfjs). */
export function softmaxCeBackwardRef(probs: Arr, y: Arr, eps: number, scale: number): number[] {
  const V = probs.length;
  const m = (p: number): number => (eps <= 0 || (p >= eps && p <= 1 - eps) ? 1 : 0);
  let s = 0;
  for (let v = 0; v < V; v++) s += y[v] * m(probs[v]);
  const out: number[] = [];
  for (let v = 0; v < V; v++) out.push(scale * (probs[v] * s - y[v] * m(probs[v])));
  return out;
}

/** One Keras-form Adam step in float64; returns new params, m, v. */
export function adamRef(
  p: Arr, g: Arr, m: Arr, v: Arr, lrT: number, b1: number, b2: number, eps: number,
): { p: number[]; m: number[]; v: number[] } {
  const P: number[] = [];
  const M: number[] = [];
  const Vv: number[] = [];
  for (let i = 0; i < p.length; i++) {
    const mi = b1 * m[i] + (1 - b1) * g[i];
    const vi = b2 * v[i] + (1 - b2) * g[i] * g[i];
    M.push(mi);
    Vv.push(vi);
    P.push(p[i] - (lrT * mi) / (Math.sqrt(vi) + eps));
  }
  return { p: P, m: M, v: Vv };
}
