// @inline helpers shared by the kernels: splats, horizontal sums, and fast f32x4 exp / tanh /
// sigmoid. Nothing here is exported from the module (v128 never crosses the JS boundary).
//
// Stated error bounds (asserted by test/kernels/simd.test.ts over dense grids, vs float64):
//   exp4      relative error <= 2e-7 on [-87, 88]   (measured 1.0e-7)
//             valid input range [-87.33, 88.37]; inputs outside are clamped to it (no inf, no 0).
//   tanh4     absolute error <= 4e-7 on all of f32  (measured 3.5e-7; relative <= 4e-7 for |x| < 1)
//   sigmoid4  absolute error <= 2e-7 on all of f32  (measured 0.9e-7)
// The `_scalar` kernels use Mathf instead. The SIMD kernels' scalar tails use these same
// approximations on lane 0 (exp1/tanh1/sigmoid1), so every unit of a SIMD kernel sees one function.

// ---- exp: x = n*ln2 + r, |r| <= ln2/2; e^r by its degree-7 Taylor polynomial (truncation 5e-9),
// 2^n built in the exponent bits. n = round(x*log2e) via the 1.5*2^23 magic-number add, whose low
// mantissa bits then hold n, so 2^n = bits(v + 127) << 23 (the magic's own bits shift out).
const EXP_HI: f32 = 88.37; // 127.5*ln2 would round n to 128 (inf); stay just below
const EXP_LO: f32 = -87.33654; // -126*ln2: smallest normal result, no denormals
const LOG2E: f32 = 1.4426950408889634;
const MAGIC: f32 = 12582912.0; // 1.5 * 2^23
const LN2_HI: f32 = 0.693359375; // 9 significant bits: n*LN2_HI is exact (Cody-Waite split)
const LN2_LO: f32 = -2.12194440054690583e-4; // ln2 - LN2_HI
const E2: f32 = 0.5;
const E3: f32 = 0.16666666666666666;
const E4: f32 = 0.041666666666666664;
const E5: f32 = 0.008333333333333333;
const E6: f32 = 0.001388888888888889;
const E7: f32 = 0.0001984126984126984;

// ---- tanh: x * P(x^2) / Q(x^2), deg P = 6, deg Q = 3 (a 13/6 rational), x clamped to [-9, 9]
// (tanh(9) rounds to 1 in f32). Coefficients are our own minimax fit on [0, 9] (Loeb/Lawson
// iteration in float64, analytic error 6e-9); the rest of the error is f32 rounding of P/Q.
const TANH_CLAMP: f32 = 9.0;
const TP0: f32 = 0.9999999403953552;
const TP1: f32 = 0.13079163432121277;
const TP2: f32 = 0.003098654095083475;
const TP3: f32 = 1.1101816198788583e-5;
const TP4: f32 = -2.002950516555302e-8;
const TP5: f32 = 5.1926542926628017e-11;
const TP6: f32 = -8.291190135715013e-14;
const TQ1: f32 = 0.4641248285770416;
const TQ2: f32 = 0.024473760277032852;
const TQ3: f32 = 0.0002538600529078394;

@inline export function splat(x: f32): v128 {
  return f32x4.splat(x);
}

@inline export function madd(acc: v128, a: v128, b: v128): v128 {
  return f32x4.add(acc, f32x4.mul(a, b));
}

/** a0 + a1 + a2 + a3 (pairwise). */
@inline export function hsum(a: v128): f32 {
  const s = f32x4.add(a, f32x4.shuffle(a, a, 2, 3, 0, 1));
  return f32x4.extract_lane(f32x4.add(s, f32x4.shuffle(s, s, 1, 0, 3, 2)), 0);
}

/** max(a0..a3) with pmax. */
@inline export function hmax(a: v128): f32 {
  const s = f32x4.pmax(a, f32x4.shuffle(a, a, 2, 3, 0, 1));
  return f32x4.extract_lane(f32x4.pmax(s, f32x4.shuffle(s, s, 1, 0, 3, 2)), 0);
}

/** Transposed reduce: [hsum(a), hsum(b), hsum(c), hsum(d)]. */
@inline export function hsum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(f32x4.shuffle(a, b, 0, 4, 1, 5), f32x4.shuffle(a, b, 2, 6, 3, 7)); // a02 b02 a13 b13
  const cd = f32x4.add(f32x4.shuffle(c, d, 0, 4, 1, 5), f32x4.shuffle(c, d, 2, 6, 3, 7));
  return f32x4.add(f32x4.shuffle(ab, cd, 0, 1, 4, 5), f32x4.shuffle(ab, cd, 2, 3, 6, 7));
}

@inline export function exp4(x: v128): v128 {
  x = f32x4.pmax(f32x4.pmin(x, f32x4.splat(EXP_HI)), f32x4.splat(EXP_LO));
  const v = f32x4.add(f32x4.mul(x, f32x4.splat(LOG2E)), f32x4.splat(MAGIC));
  const n = f32x4.sub(v, f32x4.splat(MAGIC));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = f32x4.add(f32x4.mul(f32x4.splat(E7), r), f32x4.splat(E6));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(E5));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(E4));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(E3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(E2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0));
  const scale = i32x4.shl(i32x4.add(v, i32x4.splat(127)), 23);
  return f32x4.mul(p, scale);
}

@inline export function tanh4(x: v128): v128 {
  x = f32x4.pmax(f32x4.pmin(x, f32x4.splat(TANH_CLAMP)), f32x4.splat(-TANH_CLAMP));
  const s = f32x4.mul(x, x);
  let p = f32x4.add(f32x4.mul(f32x4.splat(TP6), s), f32x4.splat(TP5));
  p = f32x4.add(f32x4.mul(p, s), f32x4.splat(TP4));
  p = f32x4.add(f32x4.mul(p, s), f32x4.splat(TP3));
  p = f32x4.add(f32x4.mul(p, s), f32x4.splat(TP2));
  p = f32x4.add(f32x4.mul(p, s), f32x4.splat(TP1));
  p = f32x4.add(f32x4.mul(p, s), f32x4.splat(TP0));
  p = f32x4.mul(p, x);
  let q = f32x4.add(f32x4.mul(f32x4.splat(TQ3), s), f32x4.splat(TQ2));
  q = f32x4.add(f32x4.mul(q, s), f32x4.splat(TQ1));
  q = f32x4.add(f32x4.mul(q, s), f32x4.splat(1.0));
  return f32x4.div(p, q);
}

/** 1/(1+e^-x). */
@inline export function sigmoid4(x: v128): v128 {
  const one = f32x4.splat(1.0);
  return f32x4.div(one, f32x4.add(one, exp4(f32x4.neg(x))));
}

/** clip(0.2*x + 0.5, 0, 1): mul, then add, then clamp (no FMA), as Keras 2.0 / tfjs. */
@inline export function hard_sigmoid4(x: v128): v128 {
  const y = f32x4.add(f32x4.mul(x, f32x4.splat(0.2)), f32x4.splat(0.5));
  return f32x4.pmax(f32x4.pmin(y, f32x4.splat(1.0)), f32x4.splat(0.0));
}

/** Recurrent activation: act 0 = sigmoid, 1 = hard_sigmoid. */
@inline export function gate4(x: v128, act: i32): v128 {
  return act == 0 ? sigmoid4(x) : hard_sigmoid4(x);
}

/** Derivative of the recurrent activation from its output a: a(1-a), or 0.2 where 0 < a < 1. */
@inline export function dgate4(a: v128, act: i32): v128 {
  if (act == 0) return f32x4.mul(a, f32x4.sub(f32x4.splat(1.0), a));
  const inside = v128.and(f32x4.gt(a, f32x4.splat(0.0)), f32x4.lt(a, f32x4.splat(1.0)));
  return v128.and(inside, f32x4.splat(0.2));
}

// One-lane versions of the same approximations, for the scalar tails of SIMD kernels.
@inline export function exp1(x: f32): f32 {
  return f32x4.extract_lane(exp4(f32x4.splat(x)), 0);
}
@inline export function tanh1(x: f32): f32 {
  return f32x4.extract_lane(tanh4(f32x4.splat(x)), 0);
}
@inline export function gate1(x: f32, act: i32): f32 {
  return f32x4.extract_lane(gate4(f32x4.splat(x), act), 0);
}

// Exact scalar forms (Mathf), for the `_scalar` reference kernels.
@inline export function sigmoidf(x: f32): f32 {
  return 1.0 / (1.0 + Mathf.exp(-x));
}
@inline export function hard_sigmoidf(x: f32): f32 {
  const y: f32 = x * 0.2 + 0.5;
  return y < 0 ? 0 : y > 1 ? 1 : y;
}
@inline export function gatef(x: f32, act: i32): f32 {
  return act == 0 ? sigmoidf(x) : hard_sigmoidf(x);
}
@inline export function dgatef(a: f32, act: i32): f32 {
  if (act == 0) return a * (1.0 - a);
  return a > 0 && a < 1 ? <f32>0.2 : <f32>0.0;
}

// ---- Exported for testing the approximations: out[i] = f(inp[i]), i < n. The n%4 tail uses the
// same approximation on lane 0, so every element sees the same function.
export function vec_exp(out: usize, inp: usize, n: i32): void {
  const n4 = <usize>(n & ~3) << 2;
  const nb = <usize>n << 2;
  let i: usize = 0;
  for (; i < n4; i += 16) v128.store(out + i, exp4(v128.load(inp + i)));
  for (; i < nb; i += 4) store<f32>(out + i, exp1(load<f32>(inp + i)));
}

export function vec_tanh(out: usize, inp: usize, n: i32): void {
  const n4 = <usize>(n & ~3) << 2;
  const nb = <usize>n << 2;
  let i: usize = 0;
  for (; i < n4; i += 16) v128.store(out + i, tanh4(v128.load(inp + i)));
  for (; i < nb; i += 4) store<f32>(out + i, tanh1(load<f32>(inp + i)));
}

export function vec_sigmoid(out: usize, inp: usize, n: i32): void {
  const n4 = <usize>(n & ~3) << 2;
  const nb = <usize>n << 2;
  let i: usize = 0;
  for (; i < n4; i += 16) v128.store(out + i, sigmoid4(v128.load(inp + i)));
  for (; i < nb; i += 4) store<f32>(out + i, gate1(load<f32>(inp + i), 0));
}

/** Zeroes `bytes` (a multiple of 4) at p. For short rows: memory.fill is a call out of the JIT code. */
@inline export function zero_bytes(p: usize, bytes: usize): void {
  const b16 = bytes & ~15;
  let i: usize = 0;
  const z = f32x4.splat(0);
  for (; i < b16; i += 16) v128.store(p + i, z);
  for (; i < bytes; i += 4) store<f32>(p + i, 0);
}

/** Copies `bytes` (a multiple of 4) from src to dst (not overlapping). For short rows: memory.copy is a call out of the JIT code. */
@inline export function copy_bytes(dst: usize, src: usize, bytes: usize): void {
  const b16 = bytes & ~15;
  let i: usize = 0;
  for (; i < b16; i += 16) v128.store(dst + i, v128.load(src + i));
  for (; i < bytes; i += 4) store<f32>(dst + i, load<f32>(src + i));
}

