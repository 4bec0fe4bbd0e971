// Shared helpers for the oracle tests: an element-wise comparison that reports the worst element
// (STYLE.md habit 10) and a small deterministic PRNG for test inputs (never Math.random).

export interface Tolerance {
  /** absolute tolerance */
  atol: number;
  /** relative tolerance, against |ref| */
  rtol: number;
}

export interface CloseReport {
  /** elements compared */
  n: number;
  /** elements with |ours - ref| > atol + rtol * |ref| (NaN on either side counts as off) */
  off: number;
  /** largest |ours - ref| and where */
  maxAbs: number;
  maxAbsIndex: number;
  /** largest |ours - ref| / (atol + rtol * |ref|) and where: > 1 means off */
  worstRatio: number;
  worstIndex: number;
}

/** Row-major flat index -> "[i, j, k]" for a shape (or just "[i]" without one). */
export function formatIndex(flat: number, shape?: readonly number[]): string {
  if (!shape || shape.length === 0) return `[${flat}]`;
  const at: number[] = [];
  let r = flat;
  for (let k = shape.length - 1; k >= 0; k--) {
    at.unshift(r % shape[k]);
    r = Math.floor(r / shape[k]);
  }
  return `[${at.join(', ')}]`;
}

/** Compares without throwing; see `expectClose`. */
export function compareClose(ours: ArrayLike<number>, ref: ArrayLike<number>, tol: Tolerance): CloseReport {
  const rep: CloseReport = { n: ref.length, off: 0, maxAbs: 0, maxAbsIndex: -1, worstRatio: 0, worstIndex: -1 };
  for (let i = 0; i < ref.length; i++) {
    const o = ours[i];
    const r = ref[i];
    const d = o === r ? 0 : Math.abs(o - r);
    const allowed = tol.atol + tol.rtol * Math.abs(r);
    // NaN-safe: a NaN or infinite mismatch is "off" with an infinite ratio.
    const bad = !(d <= allowed);
    const ratio = Number.isNaN(d) ? Infinity : d / allowed;
    if (bad) rep.off++;
    // max |diff|: a NaN difference wins over any number and is kept once found.
    if (rep.maxAbsIndex < 0 || (!Number.isNaN(rep.maxAbs) && (Number.isNaN(d) || d > rep.maxAbs))) {
      rep.maxAbs = d;
      rep.maxAbsIndex = i;
    }
    if (ratio > rep.worstRatio || rep.worstIndex < 0) {
      rep.worstRatio = ratio;
      rep.worstIndex = i;
    }
  }
  return rep;
}

const fmt = (v: number) => (Number.isFinite(v) ? v.toPrecision(9) : String(v));

/**
 * Throws (failing the test) unless every |ours[i] - ref[i]| <= atol + rtol * |ref[i]| and the
 * lengths agree. The message names the tensor, how many elements are off, the max |diff| with its
 * index and both values, and the element furthest outside the tolerance.
 * Returns the report so callers can also assert on it or log the margin.
 */
export function expectClose(
  name: string,
  ours: ArrayLike<number>,
  ref: ArrayLike<number>,
  tol: Tolerance,
  shape?: readonly number[],
): CloseReport {
  if (ours.length !== ref.length) {
    throw new Error(`${name}: length mismatch, ours has ${ours.length} elements, reference ${ref.length}`);
  }
  const rep = compareClose(ours, ref, tol);
  if (rep.off > 0) {
    const a = rep.maxAbsIndex;
    const w = rep.worstIndex;
    throw new Error(
      `${name}: ${rep.off} of ${rep.n} elements off (atol ${tol.atol}, rtol ${tol.rtol}); ` +
        `max |diff| ${fmt(rep.maxAbs)} at ${formatIndex(a, shape)}: ours ${fmt(ours[a])} vs ref ${fmt(ref[a])}; ` +
        `worst vs tolerance (x${rep.worstRatio.toPrecision(3)}) at ${formatIndex(w, shape)}: ours ${fmt(ours[w])} vs ref ${fmt(ref[w])}`,
    );
  }
  return rep;
}

/**
 * mulberry32: a tiny, fast, deterministic 32-bit PRNG. Same seed, same stream, on every host.
 */
export class Prng {
  private s: number;

  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  /** uniform in [0, 1) with 32 random bits */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** uniform in [lo, hi) */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** integer in [0, n) */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** n float32 values uniform in [lo, hi) */
  floats(n: number, lo: number, hi: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.uniform(lo, hi);
    return out;
  }

  /** `count` distinct integers from [0, n), sorted (all of them when count >= n) */
  sample(n: number, count: number): number[] {
    if (count >= n) return Array.from({ length: n }, (_, i) => i);
    const idx = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < count; i++) {
      const j = i + this.int(n - i);
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    return idx.slice(0, count).sort((a, b) => a - b);
  }
}

/** N one-hot rows of V classes (flat, row-major) with labels drawn from the PRNG; also returns the labels. */
export function randomOneHot(rng: Prng, N: number, V: number): { data: Float32Array; labels: number[] } {
  const data = new Float32Array(N * V);
  const labels: number[] = [];
  for (let n = 0; n < N; n++) {
    const k = rng.int(V);
    labels.push(k);
    data[n * V + k] = 1;
  }
  return { data, labels };
}

/** A Keras-order weight list as plain {shape, data} tensors (copies). */
export function cloneWeights(ws: ReadonlyArray<{ shape: readonly number[]; data: ArrayLike<number> }>): Array<{ shape: number[]; data: Float32Array }> {
  return ws.map((w) => ({ shape: [...w.shape], data: Float32Array.from(w.data) }));
}

/**
 * Central differences (step h) of `loss()` with respect to the chosen flat indices of each tensor
 * of `w`, which `loss` reads: each entry is nudged in place and restored.
 */
export function centralDiffs(w: Float64Array[], pick: number[][], h: number, loss: () => number): Float64Array[] {
  return w.map((tensor, k) => {
    const out = new Float64Array(pick[k].length);
    pick[k].forEach((i, j) => {
      const keep = tensor[i];
      tensor[i] = keep + h;
      const lp = loss();
      tensor[i] = keep - h;
      const lm = loss();
      tensor[i] = keep;
      out[j] = (lp - lm) / (2 * h);
    });
    return out;
  });
}

/** Adam's settings, as adam() takes them (epsilon = Keras's ε̂). */
export interface AdamCfg { learningRate: number; beta1: number; beta2: number; epsilon: number }

/**
 * SPEC.md's Adam in Keras's form, by hand in float64, on float64 copies of the weights:
 *   t += 1; lr_t = lr √(1 − β2^t) / (1 − β1^t); m = β1 m + (1 − β1) g; v = β2 v + (1 − β2) g²;
 *   θ −= lr_t m / (√v + ε̂)
 */
export class KerasAdam {
  t = 0;
  m: Float64Array[];
  v: Float64Array[];

  constructor(readonly cfg: AdamCfg, sizes: number[]) {
    this.m = sizes.map((n) => new Float64Array(n));
    this.v = sizes.map((n) => new Float64Array(n));
  }

  /** One step in place. */
  step(theta: Float64Array[], grads: ArrayLike<number>[]): void {
    const { learningRate: lr, beta1: b1, beta2: b2, epsilon: eps } = this.cfg;
    this.t += 1;
    const lrT = (lr * Math.sqrt(1 - b2 ** this.t)) / (1 - b1 ** this.t);
    theta.forEach((th, k) => {
      const m = this.m[k];
      const v = this.v[k];
      const g = grads[k];
      for (let i = 0; i < th.length; i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        th[i] -= (lrT * m[i]) / (Math.sqrt(v[i]) + eps);
      }
    });
  }
}

/**
 * A hand-worked LSTM of one unit and one feature, in float64: h_T over the steps `x` with gate
 * weights W, U, b given as [i, f, c, o] (or in the order `order` names them) and gate function `sig`.
 */
export function handLstm1(x: number[], W: number[], U: number[], b: number[], sig: (z: number) => number, order: ReadonlyArray<'i' | 'f' | 'c' | 'o'> = ['i', 'f', 'c', 'o']): number {
  let h = 0;
  let c = 0;
  for (const xt of x) {
    const z = Object.fromEntries(order.map((name, g) => [name, xt * W[g] + h * U[g] + b[g]])) as Record<'i' | 'f' | 'c' | 'o', number>;
    c = sig(z.f) * c + sig(z.i) * Math.tanh(z.c);
    h = sig(z.o) * Math.tanh(c);
  }
  return h;
}
