// Matrix products of the batched engine, row-major f32. Pointers are byte offsets; leading
// dimensions (lda, ldb, ldc) are in floats and need not be multiples of 4 (loads are unaligned-safe).
//   gemm_nn   C (M,N) = (acc ? C : 0) + A (M,K) · B (K,N)         gates += h·U
//   gemm_tn   C (M,N) += A (R,M)ᵀ · B (R,N)                        dU += hᵀ·dz
//   gemm_nt   C (M,N) = (acc ? C : 0) + A (M,K) · B (N,K)ᵀ         dh = dz·Uᵀ
//   col_sum   c (N) += Σ_r A (R,N)[r]                              db += Σ dz
//   *_p       the same with B packed by pack_panels into ceil(N/16) panels of 16 columns,
//             B[k][16p+j] at float (p*K + k)*16 + j, columns past N zero: a 2x16 tile then reads
//             64 contiguous bytes per k instead of walking B with a row stride (which at a 4 KiB
//             stride lands every row in one L1 set).
// Summation order (bit-exact; the `_scalar` twins follow it too, so SIMD == scalar bitwise):
//   nn, tn, col_sum: s = (C or 0); s = s + a·b for k (or r) = 0.. in order (f32 mul, then f32 add).
//     No element's result depends on M, N, the tiling or the share, so shares are bitwise exact.
//   nt: four lane sums s_l over k ≡ l (mod 4), k < K&~3, then d = (s0+s2)+(s1+s3) (hsum), then
//     d = d + a·b for the K%4 tail, then C = d or C = C + d: the order of rows_dot in lstm.ts.
//     gemm_nt_scalar is the plain sequential dot instead (differs by rounding only).
// Shares (ith of nth, 0 <= ith < nth): a contiguous range of output columns, in units of
//   nn, tn:  16-column panels, panels [floor(P·ith/nth), floor(P·(ith+1)/nth)), P = ceil(N/16)
//   nt:      4-row groups of B (= 4 columns of C), [floor(G·ith/nth), ...), G = ceil(N/4)
// so the shares of ith = 0..nth-1 cover every element of C once and no two write the same bytes.
// Tiles (8 f32x4 accumulators: V8 has ~15 usable xmm registers and spills beyond): nn 2 rows x 16
// columns; tn 4 rows x 8 columns (the quad's A values are adjacent: one pointer), a leftover row
// pair 2 x 16; an odd last row (all of M = 1) 1 x 48, then 1 x 32 (three or two panels at once:
// a matrix-vector product loads one B vector per multiply-add, so more columns per A splat
// amortize the loop's overhead; 12 accumulators still fit); nt 2 rows of A x 4 rows of B
// (2x2 and 4x2 measured 25% and 20% slower).
// Loops run one k per pass, ended by comparing the B pointer: unrolling two k per pass lets
// binaryen and TurboFan hoist the loads and spill (measured 10-20% slower for every tile).
import { madd, hsum, hsum4 } from '../simd';

// ---- helpers -----------------------------------------------------------------------------------

/** Start of share ith of nth over n units. */
@inline function share(n: i32, ith: i32, nth: i32): i32 {
  return <i32>((<i64>n * ith) / nth);
}

/** min(n, 4) floats at p into lanes 0.., zeros after (never reads past them). */
function load_n(p: usize, n: i32): v128 {
  if (n >= 4) return v128.load(p);
  let v = f32x4.splat(0);
  if (n > 0) v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (n > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (n > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

/** Stores lanes 0..min(n, 4)-1 of v at p (never writes past them). */
function store_n(p: usize, v: v128, n: i32): void {
  if (n >= 4) {
    v128.store(p, v);
    return;
  }
  if (n > 0) store<f32>(p, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

// ---- nn / tn core ------------------------------------------------------------------------------
// One core serves gemm_nn, gemm_tn and their packed forms: A[m][k] is at A + m*am + k*ak bytes
// (nn: am = lda*4, ak = 4; tn: am = 4, ak = lda*4), B[k][n] at B + (n>>4)*pstep + (n&15)*4 + k*bstep
// (packed: pstep = K*64, bstep = 64; plain: pstep = 64, bstep = ldb*4).

// C rows c0, c1 (cols 0..nv-1, nv <= 16) = init + A rows a0, a1 · the 16 columns at b.
// nv < 16 only for a packed panel (its columns past N are zero): computed 16 wide, stored nv wide.
// Inlined into mm's two loop orders: a call per tile cost 10-17% at R = 8 (8 k per tile).
@inline function tile2x16(c0: usize, c1: usize, i0: usize, i1: usize, a0: usize, a1: usize, ak: usize, b: usize, bstep: usize, K: i32, nv: i32): void {
  let x0 = f32x4.splat(0), x1 = x0, x2 = x0, x3 = x0;
  let y0 = x0, y1 = x0, y2 = x0, y3 = x0;
  if (i0 != 0) {
    if (nv >= 16) {
      x0 = v128.load(i0); x1 = v128.load(i0, 16); x2 = v128.load(i0, 32); x3 = v128.load(i0, 48);
      y0 = v128.load(i1); y1 = v128.load(i1, 16); y2 = v128.load(i1, 32); y3 = v128.load(i1, 48);
    } else {
      x0 = load_n(i0, nv); x1 = load_n(i0 + 16, nv - 4); x2 = load_n(i0 + 32, nv - 8); x3 = load_n(i0 + 48, nv - 12);
      y0 = load_n(i1, nv); y1 = load_n(i1 + 16, nv - 4); y2 = load_n(i1 + 32, nv - 8); y3 = load_n(i1 + 48, nv - 12);
    }
  }
  const bEnd = b + <usize>K * bstep;
  for (; b != bEnd; b += bstep) {
    const s = v128.load32_splat(a0);
    const t = v128.load32_splat(a1);
    const b0 = v128.load(b);
    x0 = madd(x0, s, b0);
    y0 = madd(y0, t, b0);
    const b1 = v128.load(b, 16);
    x1 = madd(x1, s, b1);
    y1 = madd(y1, t, b1);
    const b2 = v128.load(b, 32);
    x2 = madd(x2, s, b2);
    y2 = madd(y2, t, b2);
    const b3 = v128.load(b, 48);
    x3 = madd(x3, s, b3);
    y3 = madd(y3, t, b3);
    a0 += ak;
    a1 += ak;
  }
  if (nv >= 16) {
    v128.store(c0, x0); v128.store(c0, x1, 16); v128.store(c0, x2, 32); v128.store(c0, x3, 48);
    v128.store(c1, y0); v128.store(c1, y1, 16); v128.store(c1, y2, 32); v128.store(c1, y3, 48);
  } else {
    store_n(c0, x0, nv); store_n(c0 + 16, x1, nv - 4); store_n(c0 + 32, x2, nv - 8); store_n(c0 + 48, x3, nv - 12);
    store_n(c1, y0, nv); store_n(c1 + 16, y1, nv - 4); store_n(c1 + 32, y2, nv - 8); store_n(c1 + 48, y3, nv - 12);
  }
}

// One C row, 32 full columns: 16 at b and 16 at b2 (the next panel).
function tile1x32(c: usize, ic: usize, a: usize, ak: usize, b: usize, b2: usize, bstep: usize, K: i32): void {
  let x0 = f32x4.splat(0), x1 = x0, x2 = x0, x3 = x0;
  let y0 = x0, y1 = x0, y2 = x0, y3 = x0;
  if (ic != 0) {
    x0 = v128.load(ic); x1 = v128.load(ic, 16); x2 = v128.load(ic, 32); x3 = v128.load(ic, 48);
    y0 = v128.load(ic, 64); y1 = v128.load(ic, 80); y2 = v128.load(ic, 96); y3 = v128.load(ic, 112);
  }
  const bEnd = b + <usize>K * bstep;
  for (; b != bEnd; b += bstep) {
    const s = v128.load32_splat(a);
    x0 = madd(x0, s, v128.load(b));
    x1 = madd(x1, s, v128.load(b, 16));
    x2 = madd(x2, s, v128.load(b, 32));
    x3 = madd(x3, s, v128.load(b, 48));
    y0 = madd(y0, s, v128.load(b2));
    y1 = madd(y1, s, v128.load(b2, 16));
    y2 = madd(y2, s, v128.load(b2, 32));
    y3 = madd(y3, s, v128.load(b2, 48));
    a += ak;
    b2 += bstep;
  }
  v128.store(c, x0); v128.store(c, x1, 16); v128.store(c, x2, 32); v128.store(c, x3, 48);
  v128.store(c, y0, 64); v128.store(c, y1, 80); v128.store(c, y2, 96); v128.store(c, y3, 112);
}

// One C row, 48 full columns: three panels at b, b2, b3 (12 accumulators).
function tile1x48(c: usize, ic: usize, a: usize, ak: usize, b: usize, b2: usize, b3: usize, bstep: usize, K: i32): void {
  let x0 = f32x4.splat(0), x1 = x0, x2 = x0, x3 = x0;
  let y0 = x0, y1 = x0, y2 = x0, y3 = x0;
  let z0 = x0, z1 = x0, z2 = x0, z3 = x0;
  if (ic != 0) {
    x0 = v128.load(ic); x1 = v128.load(ic, 16); x2 = v128.load(ic, 32); x3 = v128.load(ic, 48);
    y0 = v128.load(ic, 64); y1 = v128.load(ic, 80); y2 = v128.load(ic, 96); y3 = v128.load(ic, 112);
    z0 = v128.load(ic, 128); z1 = v128.load(ic, 144); z2 = v128.load(ic, 160); z3 = v128.load(ic, 176);
  }
  const bEnd = b + <usize>K * bstep;
  for (; b != bEnd; b += bstep) {
    const s = v128.load32_splat(a);
    x0 = madd(x0, s, v128.load(b));
    x1 = madd(x1, s, v128.load(b, 16));
    x2 = madd(x2, s, v128.load(b, 32));
    x3 = madd(x3, s, v128.load(b, 48));
    y0 = madd(y0, s, v128.load(b2));
    y1 = madd(y1, s, v128.load(b2, 16));
    y2 = madd(y2, s, v128.load(b2, 32));
    y3 = madd(y3, s, v128.load(b2, 48));
    z0 = madd(z0, s, v128.load(b3));
    z1 = madd(z1, s, v128.load(b3, 16));
    z2 = madd(z2, s, v128.load(b3, 32));
    z3 = madd(z3, s, v128.load(b3, 48));
    a += ak;
    b2 += bstep;
    b3 += bstep;
  }
  v128.store(c, x0); v128.store(c, x1, 16); v128.store(c, x2, 32); v128.store(c, x3, 48);
  v128.store(c, y0, 64); v128.store(c, y1, 80); v128.store(c, y2, 96); v128.store(c, y3, 112);
  v128.store(c, z0, 128); v128.store(c, z1, 144); v128.store(c, z2, 160); v128.store(c, z3, 176);
}

// One C row, nv <= 16 columns at b: 16 wide when packed (zero-padded panel), else vectors of 4
// columns, then single columns.
function tile1x16(c: usize, ic: usize, a: usize, ak: usize, b: usize, bstep: usize, K: i32, nv: i32, packed: bool): void {
  if (packed || nv == 16) {
    let x0 = f32x4.splat(0), x1 = x0, x2 = x0, x3 = x0;
    if (ic != 0) {
      x0 = load_n(ic, nv); x1 = load_n(ic + 16, nv - 4); x2 = load_n(ic + 32, nv - 8); x3 = load_n(ic + 48, nv - 12);
    }
    let pa = a, pb = b;
    for (let k = 0; k < K; k++) {
      const s = v128.load32_splat(pa);
      x0 = madd(x0, s, v128.load(pb));
      x1 = madd(x1, s, v128.load(pb, 16));
      x2 = madd(x2, s, v128.load(pb, 32));
      x3 = madd(x3, s, v128.load(pb, 48));
      pa += ak;
      pb += bstep;
    }
    store_n(c, x0, nv); store_n(c + 16, x1, nv - 4); store_n(c + 32, x2, nv - 8); store_n(c + 48, x3, nv - 12);
    return;
  }
  const n4 = <usize>(nv & ~3) << 2;
  const nb = <usize>nv << 2;
  let j: usize = 0;
  for (; j < n4; j += 16) {
    let x = ic != 0 ? v128.load(ic + j) : f32x4.splat(0);
    let pa = a, pb = b + j;
    for (let k = 0; k < K; k++) {
      x = madd(x, v128.load32_splat(pa), v128.load(pb));
      pa += ak;
      pb += bstep;
    }
    v128.store(c + j, x);
  }
  for (; j < nb; j += 4) {
    let s: f32 = ic != 0 ? load<f32>(ic + j) : 0;
    let pa = a, pb = b + j;
    for (let k = 0; k < K; k++) {
      s += load<f32>(pa) * load<f32>(pb);
      pa += ak;
      pb += bstep;
    }
    store<f32>(c + j, s);
  }
}

// tn only: C rows c .. c+3*ldcb (cols 0..nv-1, nv <= 8) += Σ_r A[r][m..m+3] · the 8 columns at b;
// A[r][m+j] at a + r*ak + 4j (one pointer, static offsets). Measured against 2x16 for tn at
// R = 8-32: +12-20% (a smaller loop body, which TurboFan unrolls); for nn (four row pointers)
// it is within noise of 2x16, so nn keeps 2x16.
@inline function tile4x8(c: usize, ldcb: usize, a: usize, ak: usize, b: usize, bstep: usize, K: i32, nv: i32): void {
  const c1 = c + ldcb, c2 = c1 + ldcb, c3 = c2 + ldcb;
  let x0: v128, x1: v128, y0: v128, y1: v128, z0: v128, z1: v128, w0: v128, w1: v128;
  if (nv >= 8) {
    x0 = v128.load(c); x1 = v128.load(c, 16); y0 = v128.load(c1); y1 = v128.load(c1, 16);
    z0 = v128.load(c2); z1 = v128.load(c2, 16); w0 = v128.load(c3); w1 = v128.load(c3, 16);
  } else {
    x0 = load_n(c, nv); x1 = load_n(c + 16, nv - 4); y0 = load_n(c1, nv); y1 = load_n(c1 + 16, nv - 4);
    z0 = load_n(c2, nv); z1 = load_n(c2 + 16, nv - 4); w0 = load_n(c3, nv); w1 = load_n(c3 + 16, nv - 4);
  }
  const bEnd = b + <usize>K * bstep;
  for (; b != bEnd; b += bstep) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let s = v128.load32_splat(a);
    x0 = madd(x0, s, b0);
    x1 = madd(x1, s, b1);
    s = v128.load32_splat(a, 4);
    y0 = madd(y0, s, b0);
    y1 = madd(y1, s, b1);
    s = v128.load32_splat(a, 8);
    z0 = madd(z0, s, b0);
    z1 = madd(z1, s, b1);
    s = v128.load32_splat(a, 12);
    w0 = madd(w0, s, b0);
    w1 = madd(w1, s, b1);
    a += ak;
  }
  if (nv >= 8) {
    v128.store(c, x0); v128.store(c, x1, 16); v128.store(c1, y0); v128.store(c1, y1, 16);
    v128.store(c2, z0); v128.store(c2, z1, 16); v128.store(c3, w0); v128.store(c3, w1, 16);
  } else {
    store_n(c, x0, nv); store_n(c + 16, x1, nv - 4); store_n(c1, y0, nv); store_n(c1 + 16, y1, nv - 4);
    store_n(c2, z0, nv); store_n(c2 + 16, z1, nv - 4); store_n(c3, w0, nv); store_n(c3 + 16, w1, nv - 4);
  }
}

// Rows m, m+1 of C over panel p (nv valid columns).
@inline function pair(C: usize, ldcb: usize, A: usize, am: usize, ak: usize, B: usize, pstep: usize, bstep: usize,
  N: i32, K: i32, ib: usize, ibs: usize, packed: bool, m: i32, p: i32): void {
  const nv = min(16, N - (p << 4));
  const b = B + <usize>p * pstep;
  const c0 = C + <usize>m * ldcb + (<usize>p << 6);
  const i0 = ib == 0 ? <usize>0 : ib + <usize>m * ibs + (<usize>p << 6);
  const i1 = ib == 0 ? <usize>0 : i0 + ibs;
  const a0 = A + <usize>m * am;
  if (packed || nv == 16) {
    tile2x16(c0, c0 + ldcb, i0, i1, a0, a0 + am, ak, b, bstep, K, nv);
  } else {
    tile1x16(c0, i0, a0, ak, b, bstep, K, nv, false);
    tile1x16(c0 + ldcb, i1, a0 + am, ak, b, bstep, K, nv, false);
  }
}

// Panels [ith share] of C (M,N, row stride ldcb bytes), then an odd last row three or two panels
// at a time. nn (tn false): row pairs panel by panel, so the panel of B stays in L1 while A
// streams. tn (A[k][m] at A + k*ak + m*4; C is the big operand, B's panel only R rows): row quads
// (then a pair) row by row, so C is walked contiguously (panel-first jumps a C row per tile and
// defeats the prefetcher: 15 -> 25 GFLOP/s at H=512, B=8, with 2x16 tiles).
function mm(C: usize, ldcb: usize, A: usize, am: usize, ak: usize, B: usize, pstep: usize, bstep: usize,
  M: i32, N: i32, K: i32, ib: usize, ibs: usize, ith: i32, nth: i32, packed: bool, tn: bool): void {
  const P = (N + 15) >> 4;
  const p0 = share(P, ith, nth);
  const p1 = share(P, ith + 1, nth);
  const M2 = M & ~1;
  if (tn) {
    const M4 = M & ~3;
    for (let m = 0; m < M4; m += 4) {
      const a = A + (<usize>m << 2);
      for (let p = p0; p < p1; p++) {
        const nv = min(16, N - (p << 4));
        const b = B + <usize>p * pstep;
        const c = C + <usize>m * ldcb + (<usize>p << 6);
        if (packed || nv == 16) {
          tile4x8(c, ldcb, a, ak, b, bstep, K, nv);
          if (nv > 8) tile4x8(c + 32, ldcb, a, ak, b + 32, bstep, K, nv - 8);
        } else {
          for (let j: usize = 0; j < 4; j++) tile1x16(c + j * ldcb, c + j * ldcb, a + (j << 2), ak, b, bstep, K, nv, false);
        }
      }
    }
    for (let m = M4; m < M2; m += 2) for (let p = p0; p < p1; p++) pair(C, ldcb, A, am, ak, B, pstep, bstep, N, K, ib, ibs, packed, m, p);
  } else {
    for (let p = p0; p < p1; p++) for (let m = 0; m < M2; m += 2) pair(C, ldcb, A, am, ak, B, pstep, bstep, N, K, ib, ibs, packed, m, p);
  }
  if (M2 == M) return;
  const c = C + <usize>M2 * ldcb;
  const ic = ib == 0 ? <usize>0 : ib + <usize>M2 * ibs;
  const a = A + <usize>M2 * am;
  let p = p0;
  for (; p + 2 < p1 && (p + 3) << 4 <= N; p += 3) {
    const b = B + <usize>p * pstep;
    tile1x48(c + (<usize>p << 6), ic == 0 ? <usize>0 : ic + (<usize>p << 6), a, ak, b, b + pstep, b + pstep * 2, bstep, K);
  }
  for (; p + 1 < p1 && (p + 2) << 4 <= N; p += 2) {
    const b = B + <usize>p * pstep;
    tile1x32(c + (<usize>p << 6), ic == 0 ? <usize>0 : ic + (<usize>p << 6), a, ak, b, b + pstep, bstep, K);
  }
  for (; p < p1; p++) {
    tile1x16(c + (<usize>p << 6), ic == 0 ? <usize>0 : ic + (<usize>p << 6), a, ak, B + <usize>p * pstep, bstep, K, min(16, N - (p << 4)), packed);
  }
}

// The plain-loop twin of mm over the same share (element by element, same order).
function mm_scalar(C: usize, ldcb: usize, A: usize, am: usize, ak: usize, B: usize, pstep: usize, bstep: usize,
  M: i32, N: i32, K: i32, ib: usize, ibs: usize, ith: i32, nth: i32): void {
  const P = (N + 15) >> 4;
  const n0 = share(P, ith, nth) << 4;
  const n1 = min(N, share(P, ith + 1, nth) << 4);
  for (let m = 0; m < M; m++) {
    for (let n = n0; n < n1; n++) {
      const c = C + <usize>m * ldcb + (<usize>n << 2);
      const bn = B + <usize>(n >> 4) * pstep + (<usize>(n & 15) << 2);
      let s: f32 = ib != 0 ? load<f32>(ib + <usize>m * ibs + (<usize>n << 2)) : 0;
      for (let k = 0; k < K; k++) {
        s += load<f32>(A + <usize>m * am + <usize>k * ak) * load<f32>(bn + <usize>k * bstep);
      }
      store<f32>(c, s);
    }
  }
}

// ---- exported: packing -------------------------------------------------------------------------

/** Floats that pack_panels writes for a (K,N) matrix: ceil(N/16)*16*K. */
export function panel_floats(K: i32, N: i32): i32 {
  return ((N + 15) >> 4) * 16 * K;
}

/**
 * Bp = B (K,N, row stride ldb floats) in ceil(N/16) panels of 16 columns: B[k][16p+j] to float
 * (p*K + k)*16 + j of Bp; columns past N are zero. Bp holds panel_floats(K, N) floats.
 */
export function pack_panels(Bp: usize, B: usize, K: i32, N: i32, ldb: i32): void {
  const P = (N + 15) >> 4;
  const ldbb = <usize>ldb << 2;
  let q = Bp;
  for (let p = 0; p < P; p++) {
    const nv = min(16, N - (p << 4));
    let src = B + (<usize>p << 6);
    for (let k = 0; k < K; k++) {
      if (nv == 16) {
        v128.store(q, v128.load(src));
        v128.store(q, v128.load(src, 16), 16);
        v128.store(q, v128.load(src, 32), 32);
        v128.store(q, v128.load(src, 48), 48);
      } else {
        v128.store(q, load_n(src, nv));
        v128.store(q, load_n(src + 16, nv - 4), 16);
        v128.store(q, load_n(src + 32, nv - 8), 32);
        v128.store(q, load_n(src + 48, nv - 12), 48);
      }
      src += ldbb;
      q += 64;
    }
  }
}

// ---- exported: nn, tn --------------------------------------------------------------------------

/** C (M,N) = (acc ? C : 0) + A (M,K) · B (K,N); the share ith of nth (16-column panels). */
export function gemm_nn(C: usize, A: usize, B: usize, M: i32, N: i32, K: i32, lda: i32, ldb: i32, ldc: i32, acc: i32, ith: i32, nth: i32): void {
  mm(C, <usize>ldc << 2, A, <usize>lda << 2, 4, B, 64, <usize>ldb << 2, M, N, K, acc != 0 ? C : 0, <usize>ldc << 2, ith, nth, false, false);
}

/** gemm_nn with B packed: Bp = pack_panels(B (K,N)). */
export function gemm_nn_p(C: usize, A: usize, Bp: usize, M: i32, N: i32, K: i32, lda: i32, ldc: i32, acc: i32, ith: i32, nth: i32): void {
  mm(C, <usize>ldc << 2, A, <usize>lda << 2, 4, Bp, <usize>K << 6, 64, M, N, K, acc != 0 ? C : 0, <usize>ldc << 2, ith, nth, true, false);
}

// tn runs R in blocks of TN_RB rows, the whole share of C per block: each row's running sum is
// stored to C and continued from it, so the order (r = 0.. in order) and the bits are unchanged,
// while a block of A and of B stays in L2 (at R = 1600, H = 256 unblocked fell to 22 GFLOP/s).
const TN_RB = 128;

/**
 * C (M,N) = bias (N, one row for every row) + A (M,K) · B (K,N): as gemm_nn from C = bias rows
 * with acc 1, bit for bit, without writing the bias rows first (a layer's input projection).
 */
export function gemm_nn_bias(C: usize, A: usize, B: usize, bias: usize, M: i32, N: i32, K: i32, lda: i32, ldb: i32, ldc: i32, ith: i32, nth: i32): void {
  mm(C, <usize>ldc << 2, A, <usize>lda << 2, 4, B, 64, <usize>ldb << 2, M, N, K, bias, 0, ith, nth, false, false);
}

/** gemm_nn_bias with B packed: Bp = pack_panels(B (K,N)). */
export function gemm_nn_bias_p(C: usize, A: usize, Bp: usize, bias: usize, M: i32, N: i32, K: i32, lda: i32, ldc: i32, ith: i32, nth: i32): void {
  mm(C, <usize>ldc << 2, A, <usize>lda << 2, 4, Bp, <usize>K << 6, 64, M, N, K, bias, 0, ith, nth, true, false);
}

/** Reference twin of gemm_nn_bias. */
export function gemm_nn_bias_scalar(C: usize, A: usize, B: usize, bias: usize, M: i32, N: i32, K: i32, lda: i32, ldb: i32, ldc: i32, ith: i32, nth: i32): void {
  mm_scalar(C, <usize>ldc << 2, A, <usize>lda << 2, 4, B, 64, <usize>ldb << 2, M, N, K, bias, 0, ith, nth);
}

/** C (M,N) += A (R,M)ᵀ · B (R,N); the share ith of nth (16-column panels). */
export function gemm_tn(C: usize, A: usize, B: usize, M: i32, N: i32, R: i32, lda: i32, ldb: i32, ldc: i32, ith: i32, nth: i32): void {
  const ak = <usize>lda << 2;
  const bstep = <usize>ldb << 2;
  for (let r = 0; r < R; r += TN_RB) {
    mm(C, <usize>ldc << 2, A + <usize>r * ak, 4, ak, B + <usize>r * bstep, 64, bstep, M, N, min(TN_RB, R - r), C, <usize>ldc << 2, ith, nth, false, true);
  }
}

/** gemm_tn with B packed: Bp = pack_panels(B (R,N)). */
export function gemm_tn_p(C: usize, A: usize, Bp: usize, M: i32, N: i32, R: i32, lda: i32, ldc: i32, ith: i32, nth: i32): void {
  const ak = <usize>lda << 2;
  for (let r = 0; r < R; r += TN_RB) {
    mm(C, <usize>ldc << 2, A + <usize>r * ak, 4, ak, Bp + (<usize>r << 6), <usize>R << 6, 64, M, N, min(TN_RB, R - r), C, <usize>ldc << 2, ith, nth, true, true);
  }
}

/** Reference twin of gemm_nn. */
export function gemm_nn_scalar(C: usize, A: usize, B: usize, M: i32, N: i32, K: i32, lda: i32, ldb: i32, ldc: i32, acc: i32, ith: i32, nth: i32): void {
  mm_scalar(C, <usize>ldc << 2, A, <usize>lda << 2, 4, B, 64, <usize>ldb << 2, M, N, K, acc != 0 ? C : 0, <usize>ldc << 2, ith, nth);
}

/** Reference twin of gemm_nn_p (reads the packed layout). */
export function gemm_nn_p_scalar(C: usize, A: usize, Bp: usize, M: i32, N: i32, K: i32, lda: i32, ldc: i32, acc: i32, ith: i32, nth: i32): void {
  mm_scalar(C, <usize>ldc << 2, A, <usize>lda << 2, 4, Bp, <usize>K << 6, 64, M, N, K, acc != 0 ? C : 0, <usize>ldc << 2, ith, nth);
}

/** Reference twin of gemm_tn. */
export function gemm_tn_scalar(C: usize, A: usize, B: usize, M: i32, N: i32, R: i32, lda: i32, ldb: i32, ldc: i32, ith: i32, nth: i32): void {
  mm_scalar(C, <usize>ldc << 2, A, 4, <usize>lda << 2, B, 64, <usize>ldb << 2, M, N, R, C, <usize>ldc << 2, ith, nth);
}

/** Reference twin of gemm_tn_p (reads the packed layout). */
export function gemm_tn_p_scalar(C: usize, A: usize, Bp: usize, M: i32, N: i32, R: i32, lda: i32, ldc: i32, ith: i32, nth: i32): void {
  mm_scalar(C, <usize>ldc << 2, A, 4, <usize>lda << 2, Bp, <usize>R << 6, 64, M, N, R, C, <usize>ldc << 2, ith, nth);
}

// ---- exported: nt ------------------------------------------------------------------------------

// C rows c0, c1 (4 columns) from A rows a0, a1 and B rows b..b+3*ldbb: 8 lane-sum accumulators
// over k < K4, hsum4 per row, the K%4 tail lane-wise (lane j = B row j), then = or +=.
function nt2x4(c0: usize, c1: usize, a0: usize, a1: usize, b: usize, ldbb: usize, K: i32, acc: i32): void {
  const b1 = b + ldbb, b2 = b1 + ldbb, b3 = b2 + ldbb;
  let x0 = f32x4.splat(0), x1 = x0, x2 = x0, x3 = x0;
  let y0 = x0, y1 = x0, y2 = x0, y3 = x0;
  const k4 = <usize>(K & ~3) << 2;
  let i: usize = 0;
  for (; i < k4; i += 16) {
    const s = v128.load(a0 + i);
    const t = v128.load(a1 + i);
    let v = v128.load(b + i);
    x0 = madd(x0, s, v);
    y0 = madd(y0, t, v);
    v = v128.load(b1 + i);
    x1 = madd(x1, s, v);
    y1 = madd(y1, t, v);
    v = v128.load(b2 + i);
    x2 = madd(x2, s, v);
    y2 = madd(y2, t, v);
    v = v128.load(b3 + i);
    x3 = madd(x3, s, v);
    y3 = madd(y3, t, v);
  }
  let d0 = hsum4(x0, x1, x2, x3);
  let d1 = hsum4(y0, y1, y2, y3);
  const kb = <usize>K << 2;
  for (; i < kb; i += 4) {
    let v = f32x4.splat(load<f32>(b + i));
    v = f32x4.replace_lane(v, 1, load<f32>(b1 + i));
    v = f32x4.replace_lane(v, 2, load<f32>(b2 + i));
    v = f32x4.replace_lane(v, 3, load<f32>(b3 + i));
    d0 = madd(d0, v128.load32_splat(a0 + i), v);
    d1 = madd(d1, v128.load32_splat(a1 + i), v);
  }
  if (acc != 0) {
    d0 = f32x4.add(v128.load(c0), d0);
    d1 = f32x4.add(v128.load(c1), d1);
  }
  v128.store(c0, d0);
  v128.store(c1, d1);
}

// One C row, 4 columns: as nt2x4 for a single row of A.
function nt1x4(c: usize, a: usize, b: usize, ldbb: usize, K: i32, acc: i32): void {
  const b1 = b + ldbb, b2 = b1 + ldbb, b3 = b2 + ldbb;
  let x0 = f32x4.splat(0), x1 = x0, x2 = x0, x3 = x0;
  const k4 = <usize>(K & ~3) << 2;
  let i: usize = 0;
  for (; i < k4; i += 16) {
    const s = v128.load(a + i);
    x0 = madd(x0, s, v128.load(b + i));
    x1 = madd(x1, s, v128.load(b1 + i));
    x2 = madd(x2, s, v128.load(b2 + i));
    x3 = madd(x3, s, v128.load(b3 + i));
  }
  let d = hsum4(x0, x1, x2, x3);
  const kb = <usize>K << 2;
  for (; i < kb; i += 4) {
    let v = f32x4.splat(load<f32>(b + i));
    v = f32x4.replace_lane(v, 1, load<f32>(b1 + i));
    v = f32x4.replace_lane(v, 2, load<f32>(b2 + i));
    v = f32x4.replace_lane(v, 3, load<f32>(b3 + i));
    d = madd(d, v128.load32_splat(a + i), v);
  }
  if (acc != 0) d = f32x4.add(v128.load(c), d);
  v128.store(c, d);
}

// One element: the lane-sum dot of A row a and B row b.
function nt1x1(c: usize, a: usize, b: usize, K: i32, acc: i32): void {
  let x = f32x4.splat(0);
  const k4 = <usize>(K & ~3) << 2;
  let i: usize = 0;
  for (; i < k4; i += 16) x = madd(x, v128.load(a + i), v128.load(b + i));
  let d = hsum(x);
  const kb = <usize>K << 2;
  for (; i < kb; i += 4) d += load<f32>(a + i) * load<f32>(b + i);
  store<f32>(c, acc != 0 ? load<f32>(c) + d : d);
}

/**
 * C (M,N) = (acc ? C : 0) + A (M,K) · B (N,K)ᵀ, each element a lane-sum dot (see the header); the
 * share ith of nth (4-row groups of B). Groups outer (4 rows of B stay in L1), row pairs of A inner.
 */
export function gemm_nt(C: usize, A: usize, B: usize, M: i32, N: i32, K: i32, lda: i32, ldb: i32, ldc: i32, acc: i32, ith: i32, nth: i32): void {
  const G = (N + 3) >> 2;
  const g0 = share(G, ith, nth);
  const g1 = share(G, ith + 1, nth);
  const ldab = <usize>lda << 2, ldbb = <usize>ldb << 2, ldcb = <usize>ldc << 2;
  const M2 = M & ~1;
  for (let g = g0; g < g1; g++) {
    const n = g << 2;
    const b = B + <usize>n * ldbb;
    const c = C + (<usize>n << 2);
    if (n + 4 <= N) {
      let m = 0;
      for (; m < M2; m += 2) {
        const c0 = c + <usize>m * ldcb;
        const a0 = A + <usize>m * ldab;
        nt2x4(c0, c0 + ldcb, a0, a0 + ldab, b, ldbb, K, acc);
      }
      if (m < M) nt1x4(c + <usize>m * ldcb, A + <usize>m * ldab, b, ldbb, K, acc);
    } else {
      for (let m = 0; m < M; m++) {
        for (let j = n; j < N; j++) {
          nt1x1(C + <usize>m * ldcb + (<usize>j << 2), A + <usize>m * ldab, B + <usize>j * ldbb, K, acc);
        }
      }
    }
  }
}

/** Reference twin of gemm_nt: the plain sequential dot (d = 0; d += a·b for k = 0..K-1). */
export function gemm_nt_scalar(C: usize, A: usize, B: usize, M: i32, N: i32, K: i32, lda: i32, ldb: i32, ldc: i32, acc: i32, ith: i32, nth: i32): void {
  const G = (N + 3) >> 2;
  const n0 = share(G, ith, nth) << 2;
  const n1 = min(N, share(G, ith + 1, nth) << 2);
  for (let m = 0; m < M; m++) {
    for (let n = n0; n < n1; n++) {
      let d: f32 = 0;
      for (let k = 0; k < K; k++) {
        d += load<f32>(A + (<usize>(m * lda + k) << 2)) * load<f32>(B + (<usize>(n * ldb + k) << 2));
      }
      const c = C + (<usize>(m * ldc + n) << 2);
      store<f32>(c, acc != 0 ? load<f32>(c) + d : d);
    }
  }
}

// ---- exported: col_sum -------------------------------------------------------------------------

/** c (N) += Σ_r A (R,N)[r], r = 0..R-1 in order: 16 columns at a time, then 4, then 1. */
export function col_sum(c: usize, A: usize, R: i32, N: i32, lda: i32): void {
  const ldab = <usize>lda << 2;
  const nb = <usize>N << 2;
  let j: usize = 0;
  for (; j + 64 <= nb; j += 64) {
    const cj = c + j;
    let x0 = v128.load(cj), x1 = v128.load(cj, 16), x2 = v128.load(cj, 32), x3 = v128.load(cj, 48);
    let p = A + j;
    for (let r = 0; r < R; r++) {
      x0 = f32x4.add(x0, v128.load(p));
      x1 = f32x4.add(x1, v128.load(p, 16));
      x2 = f32x4.add(x2, v128.load(p, 32));
      x3 = f32x4.add(x3, v128.load(p, 48));
      p += ldab;
    }
    v128.store(cj, x0); v128.store(cj, x1, 16); v128.store(cj, x2, 32); v128.store(cj, x3, 48);
  }
  for (; j + 16 <= nb; j += 16) {
    let x = v128.load(c + j);
    let p = A + j;
    for (let r = 0; r < R; r++) {
      x = f32x4.add(x, v128.load(p));
      p += ldab;
    }
    v128.store(c + j, x);
  }
  for (; j < nb; j += 4) {
    let s = load<f32>(c + j);
    let p = A + j;
    for (let r = 0; r < R; r++) {
      s += load<f32>(p);
      p += ldab;
    }
    store<f32>(c + j, s);
  }
}

/** Reference twin of col_sum. */
export function col_sum_scalar(c: usize, A: usize, R: i32, N: i32, lda: i32): void {
  for (let n = 0; n < N; n++) {
    const cn = c + (<usize>n << 2);
    let s = load<f32>(cn);
    for (let r = 0; r < R; r++) s += load<f32>(A + (<usize>(r * lda + n) << 2));
    store<f32>(cn, s);
  }
}
