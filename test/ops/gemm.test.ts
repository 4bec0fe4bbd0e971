// pack_panels, gemm_nn(_p), gemm_tn(_p), gemm_nt, col_sum (assembly/ops/gemm.ts). Oracles, most
// independent first: hand-worked 2x2 products; a float64 reference written here from the formulas
// (tolerance (K+2)·max|a||b|·2^-23 plus the initial C's rounding); JS emulations of each stated
// summation order with Math.fround at every step (bitwise: the SIMD kernels and their `_scalar`
// twins for nn/tn/col_sum, the lane-sum order for SIMD nt, the sequential dot for gemm_nt_scalar);
// and the shares ith of nth, each alone on a NaN-sentinel C, against the documented partition.
// Shapes are sampled from M x N x K so every blocked loop runs zero, one and several times with a
// tail in every dimension, with strided and unaligned operands and both acc modes.
import { beforeAll, describe, expect, it } from 'vitest';
import { ready, kernels } from '../../src/wasm.js';
import { Mem, prng, uniform, fround, expectClose } from '../kernels/util.js';

beforeAll(async () => {
  await ready();
});

const MS = [1, 2, 3, 4, 5, 6, 33]; // 6: a row quad and a row pair (tn)
const NS = [1, 3, 4, 5, 15, 16, 17, 31, 32, 33, 48, 63, 64, 65, 70, 113]; // 113: the 1x48 odd-row tile twice
const KS = [0, 1, 3, 4, 5, 17, 257];
const PADS = [0, 1, 3, 5]; // leading dimension = width + pad
const U = 2 ** -23;
const f = Math.fround;

interface Case {
  M: number; N: number; K: number; // K is R for tn and col_sum
  lda: number; ldb: number; ldc: number;
  acc: number;
  off: number; // every operand starts `off` floats past a 16-byte boundary
}

/**
 * A deterministic sample of M x N x K: for each (M, N), three K values rotating through KS so every
 * pair of dimensions meets every value; pads, acc and alignment rotate independently.
 * `aw`/`bw` give the widths A and B are strided over (they differ by product).
 */
function cases(aw: (c: Case) => number, bw: (c: Case) => number): Case[] {
  const out: Case[] = [];
  let t = 0;
  MS.forEach((M, i) =>
    NS.forEach((N, j) => {
      for (let r = 0; r < 3; r++, t++) {
        const K = KS[(i + 2 * j + 3 * r) % KS.length];
        const c: Case = { M, N, K, lda: 0, ldb: 0, ldc: N + PADS[(t + 2) % 4], acc: (t >> 1) & 1, off: t % 3 === 2 ? 1 : 0 };
        c.lda = aw(c) + PADS[t % 4];
        c.ldb = bw(c) + PADS[(t + 1) % 4];
        out.push(c);
      }
    }),
  );
  return out;
}

const name = (c: Case) =>
  `M=${c.M} N=${c.N} K=${c.K} lda=${c.lda} ldb=${c.ldb} ldc=${c.ldc} acc=${c.acc}${c.off ? ' unaligned' : ''}`;

/** Bitwise equality of float32 values, reported like expectClose (worst = first differing index). */
function expectBits(what: string, ours: ArrayLike<number>, ref: ArrayLike<number>): void {
  const a = new Uint32Array(Float32Array.from(ours).buffer);
  const b = new Uint32Array(Float32Array.from(ref).buffer);
  if (a.length !== b.length) throw new Error(`${what}: length ${a.length} vs reference ${b.length}`);
  let off = 0;
  let worst = -1;
  let worstDiff = -1;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    off++;
    const d = Number.isNaN(ours[i] - ref[i]) ? Infinity : Math.abs(ours[i] - ref[i]);
    if (d > worstDiff) {
      worstDiff = d;
      worst = i;
    }
  }
  if (off > 0) {
    throw new Error(
      `${what}: ${off}/${a.length} elements not bitwise equal; max |diff| ${worstDiff} at [${worst}]: ` +
        `ours ${ours[worst]} (0x${a[worst].toString(16)}) vs ref ${ref[worst]} (0x${b[worst].toString(16)})`,
    );
  }
}

/** Row-major (rows, ld) filled in the first `cols` columns, padding left as `fill` (checks no reads). */
function matrix(rnd: () => number, rows: number, cols: number, ld: number, fill = 0): number[] {
  const out = new Array(Math.max(rows * ld, 1)).fill(fill);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) out[r * ld + j] = f(rnd() * 2 - 1);
  return out;
}

interface Operands { A: number[]; B: number[]; C: number[] }

// A product's element (m, n) as a list of (a, b) pairs in k order, and the shapes of its operands.
interface Product {
  kernel: string; // SIMD name; `${kernel}_scalar` is its twin
  packed: boolean; // B goes through pack_panels first
  alwaysAcc: boolean; // tn: C += always (no acc argument)
  aShape: (c: Case) => [number, number]; // rows, cols of A
  bShape: (c: Case) => [number, number];
  a: (o: Operands, c: Case, m: number, k: number) => number;
  b: (o: Operands, c: Case, k: number, n: number) => number;
}

const NN: Omit<Product, 'kernel' | 'packed'> = {
  alwaysAcc: false,
  aShape: (c) => [c.M, c.K],
  bShape: (c) => [c.K, c.N],
  a: (o, c, m, k) => o.A[m * c.lda + k],
  b: (o, c, k, n) => o.B[k * c.ldb + n],
};
const TN: Omit<Product, 'kernel' | 'packed'> = {
  alwaysAcc: true,
  aShape: (c) => [c.K, c.M],
  bShape: (c) => [c.K, c.N],
  a: (o, c, m, r) => o.A[r * c.lda + m],
  b: (o, c, r, n) => o.B[r * c.ldb + n],
};
const NT: Omit<Product, 'kernel' | 'packed'> = {
  alwaysAcc: false,
  aShape: (c) => [c.M, c.K],
  bShape: (c) => [c.N, c.K],
  a: (o, c, m, k) => o.A[m * c.lda + k],
  b: (o, c, k, n) => o.B[n * c.ldb + k],
};
const PRODUCTS: Record<string, Product> = {
  gemm_nn: { kernel: 'gemm_nn', packed: false, ...NN },
  gemm_nn_p: { kernel: 'gemm_nn_p', packed: true, ...NN },
  gemm_tn: { kernel: 'gemm_tn', packed: false, ...TN },
  gemm_tn_p: { kernel: 'gemm_tn_p', packed: true, ...TN },
  gemm_nt: { kernel: 'gemm_nt', packed: false, ...NT },
};

function operands(p: Product, c: Case, seed: number): Operands {
  const r = prng(seed);
  const [ar, ac] = p.aShape(c);
  const [br, bc] = p.bShape(c);
  return {
    A: matrix(r, ar, ac, c.lda, 1e30), // padding that would show if read
    B: matrix(r, br, bc, c.ldb, 1e30),
    C: matrix(r, c.M, c.N, c.ldc, 7.25), // padding that must survive
  };
}

/** Runs `kernel` (SIMD or `_scalar`) on share ith of nth; returns all M*ldc floats of C. */
function run(p: Product, kernel: string, c: Case, o: Operands, ith = 0, nth = 1, C0 = o.C): number[] {
  const k = kernels();
  const m = new Mem();
  const at = (values: number[]) => m.put([...new Array(c.off).fill(0), ...values]) + 4 * c.off;
  const A = at(o.A);
  const B = at(o.B);
  const C = at(C0);
  const acc = p.alwaysAcc ? [] : [c.acc];
  if (p.packed) {
    const Bp = m.put(k.panel_floats(c.K, c.N));
    k.pack_panels(Bp, B, c.K, c.N, c.ldb);
    k[kernel](C, A, Bp, c.M, c.N, c.K, c.lda, c.ldc, ...acc, ith, nth);
  } else {
    k[kernel](C, A, B, c.M, c.N, c.K, c.lda, c.ldb, c.ldc, ...acc, ith, nth);
  }
  const out = m.take(C, C0.length);
  m.done();
  return out;
}

type Dot = (p: Product, o: Operands, c: Case, m: number, n: number) => number;

/** float64: init + Σ a·b. */
const dotF64: Dot = (p, o, c, m, n) => {
  let s = 0;
  for (let k = 0; k < c.K; k++) s += p.a(o, c, m, k) * p.b(o, c, k, n);
  return s;
};
/** The nn/tn contract: s = init; s = s + a·b in k order, all in f32 (init added by the caller). */
const seqF32 = (p: Product, o: Operands, c: Case, m: number, n: number, init: number): number => {
  let s = init;
  for (let k = 0; k < c.K; k++) s = f(s + f(p.a(o, c, m, k) * p.b(o, c, k, n)));
  return s;
};
/** The nt contract: four lane sums over k < K&~3, (s0+s2)+(s1+s3), then the K%4 tail, in f32. */
const laneF32: Dot = (p, o, c, m, n) => {
  const s = [0, 0, 0, 0];
  const K4 = c.K & ~3;
  for (let k = 0; k < K4; k++) s[k & 3] = f(s[k & 3] + f(p.a(o, c, m, k) * p.b(o, c, k, n)));
  let d = f(f(s[0] + s[2]) + f(s[1] + s[3]));
  for (let k = K4; k < c.K; k++) d = f(d + f(p.a(o, c, m, k) * p.b(o, c, k, n)));
  return d;
};

/** C after the product with element values from `value(m, n, init)`; padding untouched. */
function expected(c: Case, o: Operands, value: (m: number, n: number, init: number) => number): number[] {
  const out = o.C.slice();
  for (let m = 0; m < c.M; m++) for (let n = 0; n < c.N; n++) out[m * c.ldc + n] = value(m, n, out[m * c.ldc + n]);
  return out;
}

function accOf(p: Product, c: Case): boolean {
  return p.alwaysAcc || c.acc === 1;
}

function f64Check(p: Product, c: Case, o: Operands, ours: number[], label: string): void {
  const acc = accOf(p, c);
  const ref = expected(c, o, (m, n, init) => (acc ? init : 0) + dotF64(p, o, c, m, n));
  // |a|, |b| <= 1 (the padding, 1e30, is never a term), |C0| <= 1
  const tol = { abs: (c.K + 2) * U + (acc ? U : 0), rel: 0 };
  expectClose(`${label} vs float64 reference`, ours, ref, tol);
}

describe('panel_floats and pack_panels', () => {
  it('hand-worked: K=2 N=17 into two panels, the second zero past column 16', () => {
    const k = kernels();
    expect(k.panel_floats(2, 17)).toBe(64);
    expect(k.panel_floats(0, 17)).toBe(0);
    expect(k.panel_floats(5, 16)).toBe(80);
    expect(k.panel_floats(5, 0)).toBe(0);
  });
  for (const K of [0, 1, 3, 17])
    for (const N of [1, 3, 4, 5, 16, 17, 33, 70])
      for (const pad of [0, 3]) {
        it(`K=${K} N=${N} ldb=${N + pad}`, () => {
          const k = kernels();
          const ldb = N + pad;
          const B = matrix(prng(K * 100 + N), K, N, ldb, 1e30);
          const ref: number[] = new Array(k.panel_floats(K, N)).fill(0);
          for (let kk = 0; kk < K; kk++)
            for (let n = 0; n < N; n++) ref[((n >> 4) * K + kk) * 16 + (n & 15)] = B[kk * ldb + n];
          const m = new Mem();
          const len = ref.length + 4;
          const Bp = m.put(new Array(len).fill(-3)); // 4 floats past the end must survive
          k.pack_panels(Bp, m.put(B), K, N, ldb);
          const out = m.take(Bp, len);
          m.done();
          expectBits('Bp (layout)', out, [...ref, -3, -3, -3, -3]);
        });
      }
});

describe('hand-worked 2x2 products', () => {
  // A = [[1,2],[3,4]], B = [[5,6],[7,8]], C0 = [[1,1],[1,1]]
  // A·B = [[19,22],[43,50]];  Aᵀ·B = [[26,30],[38,44]];  A·Bᵀ = [[17,23],[39,53]]
  const o: Operands = { A: [1, 2, 3, 4], B: [5, 6, 7, 8], C: [1, 1, 1, 1] };
  const c: Case = { M: 2, N: 2, K: 2, lda: 2, ldb: 2, ldc: 2, acc: 0, off: 0 };
  const want: Record<string, number[]> = {
    gemm_nn: [19, 22, 43, 50], gemm_nn_p: [19, 22, 43, 50], gemm_tn: [27, 31, 39, 45], gemm_tn_p: [27, 31, 39, 45],
    gemm_nt: [17, 23, 39, 53],
  };
  for (const [key, p] of Object.entries(PRODUCTS))
    for (const suffix of ['', '_scalar']) {
      it(`${key}${suffix}`, () => {
        expectBits(`${key}${suffix} (acc 0; tn accumulates)`, run(p, p.kernel + suffix, c, o), want[key]);
        if (!p.alwaysAcc) {
          expectBits(`${key}${suffix} (acc 1)`, run(p, p.kernel + suffix, { ...c, acc: 1 }, o), want[key].map((x) => x + 1));
        }
      });
    }
  it('col_sum and col_sum_scalar', () => {
    for (const kname of ['col_sum', 'col_sum_scalar']) {
      const m = new Mem();
      const cp = m.put([10, 20]);
      kernels()[kname](cp, m.put([1, 2, 3, 4, 5, 6]), 3, 2, 2);
      expectBits(kname, m.take(cp, 2), [19, 32]);
      m.done();
    }
  });
});

describe.each(['gemm_nn', 'gemm_nn_p', 'gemm_tn', 'gemm_tn_p'])('%s: scalar twin and SIMD vs the order contract and float64', (key) => {
  const p = PRODUCTS[key];
  const tn = p.alwaysAcc;
  const all = cases((c) => (tn ? c.M : c.K), (c) => c.N);
  for (const M of MS) {
    it(`M=${M}, ${all.filter((c) => c.M === M).length} shapes of N, K, strides, acc`, () => {
      all.filter((c) => c.M === M).forEach((c, i) => {
        const o = operands(p, c, 1000 * M + i);
        const acc = accOf(p, c);
        const simd = run(p, p.kernel, c, o);
        const scalar = run(p, p.kernel + '_scalar', c, o);
        const order = expected(c, o, (m, n, init) => seqF32(p, o, c, m, n, acc ? init : 0));
        expectBits(`${key}_scalar ${name(c)} vs JS emulation of the stated order`, scalar, order);
        expectBits(`${key} ${name(c)} vs ${key}_scalar`, simd, scalar);
        f64Check(p, c, o, simd, `${key} ${name(c)}`);
      });
    });
  }
});

describe('packed and plain B give the same bits', () => {
  for (const [plain, packed] of [['gemm_nn', 'gemm_nn_p'], ['gemm_tn', 'gemm_tn_p']]) {
    it(`${packed} == ${plain}`, () => {
      const tn = PRODUCTS[plain].alwaysAcc;
      cases((c) => (tn ? c.M : c.K), (c) => c.N).filter((_, i) => i % 5 === 0).forEach((c, i) => {
        const o = operands(PRODUCTS[plain], c, 77 + i);
        expectBits(`${packed} vs ${plain} ${name(c)}`, run(PRODUCTS[packed], packed, c, o), run(PRODUCTS[plain], plain, c, o));
      });
    });
  }
});

describe('gemm_nn_bias(_p): C = bias rows + A·B, the bits of bias copied into C then gemm_nn with acc 1', () => {
  // Oracles: gemm_nn(_scalar) on C pre-filled with the bias rows (the order contract makes the two
  // bitwise equal), and a float64 reference of bias + A·B.
  const shapes: Array<[number, number, number]> = [[1, 1, 0], [1, 5, 1], [2, 16, 3], [3, 17, 4], [5, 33, 17], [6, 70, 5], [33, 113, 16], [64, 128, 1]];
  for (const [M, N, K] of shapes) {
    it(`M=${M} N=${N} K=${K}, strided`, () => {
      const k = kernels();
      const r = prng(1000 + M * 131 + N * 7 + K);
      const [lda, ldb, ldc] = [K + 1, N + 3, N + 2];
      const m = new Mem();
      const Av = fround(uniform(r, Math.max(1, M * lda), -1, 1));
      const Bv = fround(uniform(r, Math.max(1, K * ldb), -1, 1));
      const bias = fround(uniform(r, N, -1, 1));
      const A = m.put(Av);
      const B = m.put(Bv);
      const Bp = m.put(k.panel_floats(K, N) || 1);
      k.pack_panels(Bp, B, K, N, ldb);
      const pb = m.put(bias);
      const rows = new Array(M * ldc).fill(0);
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) rows[i * ldc + j] = bias[j];
      const grab = (C: number) => { const all = m.take(C, M * ldc); return Array.from({ length: M * N }, (_, q) => all[Math.floor(q / N) * ldc + (q % N)]); };
      const ref = m.put(rows);
      k.gemm_nn(ref, A, B, M, N, K, lda, ldb, ldc, 1, 0, 1);
      const refScalar = m.put(rows);
      k.gemm_nn_scalar(refScalar, A, B, M, N, K, lda, ldb, ldc, 1, 0, 1);
      const ours = m.put(M * ldc);
      k.gemm_nn_bias(ours, A, B, pb, M, N, K, lda, ldb, ldc, 0, 1);
      const oursP = m.put(M * ldc);
      k.gemm_nn_bias_p(oursP, A, Bp, pb, M, N, K, lda, ldc, 0, 1);
      const oursS = m.put(M * ldc);
      k.gemm_nn_bias_scalar(oursS, A, B, pb, M, N, K, lda, ldb, ldc, 0, 1);
      expectBits('gemm_nn_bias vs bias rows + gemm_nn', grab(ours), grab(ref));
      expectBits('gemm_nn_bias_p vs bias rows + gemm_nn', grab(oursP), grab(ref));
      expectBits('gemm_nn_bias_scalar vs bias rows + gemm_nn_scalar', grab(oursS), grab(refScalar));
      const f64 = Array.from({ length: M * N }, (_, q) => {
        const [i, j] = [Math.floor(q / N), q % N];
        let s = bias[j];
        for (let t = 0; t < K; t++) s += Av[i * lda + t] * Bv[t * ldb + j];
        return s;
      });
      expectClose('gemm_nn_bias vs float64', grab(ours), f64, { abs: (K + 2) * U * 4 });
      m.done();
    });
  }
});

describe('gemm_nt: SIMD vs the lane-sum order, scalar twin vs the sequential dot, both vs float64', () => {
  const p = PRODUCTS.gemm_nt;
  const all = cases((c) => c.K, (c) => c.K);
  for (const M of MS) {
    it(`M=${M}, ${all.filter((c) => c.M === M).length} shapes`, () => {
      all.filter((c) => c.M === M).forEach((c, i) => {
        const o = operands(p, c, 5000 + 1000 * M + i);
        const acc = c.acc === 1;
        const simd = run(p, 'gemm_nt', c, o);
        const scalar = run(p, 'gemm_nt_scalar', c, o);
        const lane = expected(c, o, (m, n, init) => {
          const d = laneF32(p, o, c, m, n);
          return acc ? f(init + d) : d;
        });
        const seq = expected(c, o, (m, n, init) => {
          const d = seqF32(p, o, c, m, n, 0);
          return acc ? f(init + d) : d;
        });
        expectBits(`gemm_nt ${name(c)} vs JS emulation of the lane-sum order`, simd, lane);
        expectBits(`gemm_nt_scalar ${name(c)} vs JS emulation of the sequential dot`, scalar, seq);
        f64Check(p, c, o, simd, `gemm_nt ${name(c)}`);
        f64Check(p, c, o, scalar, `gemm_nt_scalar ${name(c)}`);
      });
    });
  }
  // (That this order is the retired per-sample kernels' rows_dot is what keeps batch 1's bits:
  // test/listing-bits.test.ts pins the listing's hashes through the engine.)
});

describe('col_sum', () => {
  for (const R of KS) {
    it(`R=${R}, N in ${NS.length} widths, strided`, () => {
      NS.forEach((N, i) => {
        const lda = N + PADS[i % 4];
        const r = prng(300 * R + N);
        const A = matrix(r, R, N, lda, 1e30);
        const c0 = fround(uniform(r, N));
        const ref64 = c0.map((v, n) => {
          let s = v;
          for (let q = 0; q < R; q++) s += A[q * lda + n];
          return s;
        });
        const order = c0.map((v, n) => {
          let s = v;
          for (let q = 0; q < R; q++) s = f(s + A[q * lda + n]);
          return s;
        });
        const out: Record<string, number[]> = {};
        for (const kname of ['col_sum', 'col_sum_scalar']) {
          const m = new Mem();
          const cp = m.put([...c0, -3]); // one float past N must survive
          kernels()[kname](cp, m.put(A), R, N, lda);
          out[kname] = m.take(cp, N + 1);
          m.done();
        }
        expectBits(`col_sum_scalar R=${R} N=${N} vs JS emulation of the stated order`, out.col_sum_scalar, [...order, -3]);
        expectBits(`col_sum R=${R} N=${N} vs col_sum_scalar`, out.col_sum, out.col_sum_scalar);
        expectClose(`col_sum R=${R} N=${N} vs float64 reference`, out.col_sum.slice(0, N), ref64, (R + 1) * U);
      });
    });
  }
});

describe('shares: ith of nth covers the documented columns once, bitwise equal to nth = 1', () => {
  const SENTINEL = -1234.5; // no result reaches it: |a|, |b|, |C0| <= 1, K <= 257
  const shapes: Array<[number, number, number]> = [[1, 130, 17], [1, 70, 17], [3, 33, 5], [5, 48, 257], [2, 5, 3], [4, 130, 4]];
  for (const key of [...Object.keys(PRODUCTS)])
    for (const suffix of ['', '_scalar']) {
      it(`${key}${suffix}`, () => {
        const p = PRODUCTS[key];
        const unit = key === 'gemm_nt' ? 4 : 16; // columns per share unit: 4-row groups of B, or panels
        shapes.forEach(([M, N, K], si) => {
          const tn = p.alwaysAcc;
          const c: Case = { M, N, K, lda: (tn ? M : K) + 1, ldb: (key === 'gemm_nt' ? K : N) + 2, ldc: N + 3, acc: 1, off: 0 };
          const o = operands(p, c, 4242 + si);
          const whole = run(p, p.kernel + suffix, c, o);
          const run0 = tn ? whole : run(p, p.kernel + suffix, { ...c, acc: 0 }, o);
          for (const nth of [2, 3, 5]) {
            // each share alone on a C of sentinels (acc 0; tn is always +=, so from the real C and
            // compared by which elements changed): exactly its columns change, to the whole's bits
            const units = Math.ceil(N / unit);
            const combined = o.C.slice();
            for (let ith = 0; ith < nth; ith++) {
              const lo = Math.floor((units * ith) / nth) * unit;
              const hi = Math.min(N, Math.floor((units * (ith + 1)) / nth) * unit);
              const start = tn ? o.C : o.C.map(() => SENTINEL);
              const part = run(p, p.kernel + suffix, { ...c, acc: 0 }, o, ith, nth, start);
              const want = start.slice();
              for (let m = 0; m < M; m++)
                for (let n = lo; n < hi; n++) want[m * c.ldc + n] = tn ? whole[m * c.ldc + n] : run0[m * c.ldc + n];
              expectBits(`${key}${suffix} M=${M} N=${N} K=${K} share ${ith}/${nth} (columns ${lo}..${hi - 1})`, part, want);
              for (let m = 0; m < M; m++) for (let n = lo; n < hi; n++) combined[m * c.ldc + n] = part[m * c.ldc + n];
            }
            if (tn) expectBits(`${key}${suffix} M=${M} N=${N} K=${K} shares of ${nth} together vs nth=1`, combined, whole);
          }
          // acc 1: the shares one after another on the same C give the one-call bits
          if (!tn) {
            for (const nth of [2, 3, 5]) {
              let C = o.C;
              for (let ith = 0; ith < nth; ith++) C = run(p, p.kernel + suffix, c, o, ith, nth, C);
              expectBits(`${key}${suffix} M=${M} N=${N} K=${K} acc 1, ${nth} shares in turn vs nth=1`, C, whole);
            }
          }
        });
      });
    }
});
