// Output heads other than the fused softmax + categorical cross-entropy of loss.ts.  p, z, y, dp, dz (V)
//   activation act: 1 linear, 2 sigmoid, 3 tanh, 4 relu;  p = act(z)  (softmax, act 0: loss.ts's
//   softmax_simd / softmax_ref, called by train.ts; head_backward takes act 0 as softmax's Jacobian)
//   backward: dz = dp·act'(z) from p: 1; p(1-p); 1-p²; [p > 0]; softmax: dz_i = p_i (dp_i - Σ_j dp_j p_j)
//   loss kind (mean over the V units, as Keras 2's K.mean(..., axis=-1)):
//     2 binary CE: q = clip(p, ε, 1-ε);  -(y log q + (1-y) log(1-q));  d/dp = [ε <= p <= 1-ε] (p-y)/(p(1-p))
//     3 MSE: (p-y)²;  d/dp = 2(p-y)        4 MAE: |p-y|;  d/dp = sign(p-y)
//   backward writes dp = scale/V · d/dp.
// SIMD kernels use simd.ts's sigmoid4/tanh4 (their stated error bounds); `_scalar` twins use Mathf.
import { splat, hsum, sigmoid4, tanh4, sigmoidf } from './simd';

@inline function act4(x: v128, act: i32): v128 {
  if (act == 2) return sigmoid4(x);
  if (act == 3) return tanh4(x);
  if (act == 4) return f32x4.pmax(x, splat(0));
  return x;
}

@inline function actf(x: f32, act: i32): f32 {
  if (act == 2) return sigmoidf(x);
  if (act == 3) return Mathf.tanh(x);
  if (act == 4) return x < 0 ? <f32>0 : x;
  return x;
}

/** p = act(z) over V floats (act 1..4). */
export function head_forward(p: usize, z: usize, V: i32, act: i32): void {
  // One loop: the V%4 tail (1-3 values) as the first lanes of one last vector, so act4 appears
  // once in the code (compact) and every unit sees the same approximation.
  const vb = <usize>V << 2;
  for (let i: usize = 0; i < vb; i += 16) {
    const rem = vb - i;
    let x: v128;
    if (rem >= 16) x = v128.load(z + i);
    else {
      x = v128.load32_splat(z + i);
      if (rem > 4) x = f32x4.replace_lane(x, 1, load<f32>(z + i, 4));
      if (rem > 8) x = f32x4.replace_lane(x, 2, load<f32>(z + i, 8));
    }
    const r = act4(x, act);
    if (rem >= 16) v128.store(p + i, r);
    else {
      store<f32>(p + i, f32x4.extract_lane(r, 0));
      if (rem > 4) store<f32>(p + i, f32x4.extract_lane(r, 1), 4);
      if (rem > 8) store<f32>(p + i, f32x4.extract_lane(r, 2), 8);
    }
  }
}

/** Reference twin of head_forward (Mathf). */
export function head_forward_scalar(p: usize, z: usize, V: i32, act: i32): void {
  for (let i = 0; i < V; i++) {
    const o = <usize>i << 2;
    store<f32>(p + o, actf(load<f32>(z + o), act));
  }
}

@inline function dact4(g: v128, p: v128, act: i32): v128 {
  const one = splat(1);
  if (act == 2) return f32x4.mul(g, f32x4.mul(p, f32x4.sub(one, p)));
  if (act == 3) return f32x4.mul(g, f32x4.sub(one, f32x4.mul(p, p)));
  if (act == 4) return v128.and(f32x4.gt(p, splat(0)), g);
  return g;
}

@inline function dactf(g: f32, p: f32, act: i32): f32 {
  if (act == 2) return g * (p * (<f32>1 - p));
  if (act == 3) return g * (<f32>1 - p * p);
  if (act == 4) return p > 0 ? g : <f32>0;
  return g;
}

/** dz = dp·act'(z), from p = act(z) (act 0: softmax's Jacobian). */
export function head_backward(dz: usize, dp: usize, p: usize, V: i32, act: i32): void {
  const vb = <usize>V << 2;
  const v4 = <usize>(V & ~3) << 2;
  let i: usize = 0;
  if (act == 0) {
    let s4 = splat(0);
    for (; i < v4; i += 16) s4 = f32x4.add(s4, f32x4.mul(v128.load(dp + i), v128.load(p + i)));
    let s = hsum(s4);
    for (; i < vb; i += 4) s += load<f32>(dp + i) * load<f32>(p + i);
    const sv = splat(s);
    for (i = 0; i < v4; i += 16) v128.store(dz + i, f32x4.mul(v128.load(p + i), f32x4.sub(v128.load(dp + i), sv)));
    for (; i < vb; i += 4) store<f32>(dz + i, load<f32>(p + i) * (load<f32>(dp + i) - s));
    return;
  }
  for (; i < v4; i += 16) v128.store(dz + i, dact4(v128.load(dp + i), v128.load(p + i), act));
  for (; i < vb; i += 4) store<f32>(dz + i, dactf(load<f32>(dp + i), load<f32>(p + i), act));
}

/** Reference twin of head_backward. */
export function head_backward_scalar(dz: usize, dp: usize, p: usize, V: i32, act: i32): void {
  let s: f32 = 0;
  if (act == 0) for (let i = 0; i < V; i++) s += load<f32>(dp + (<usize>i << 2)) * load<f32>(p + (<usize>i << 2));
  for (let i = 0; i < V; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(dp + o);
    const q = load<f32>(p + o);
    store<f32>(dz + o, act == 0 ? q * (g - s) : dactf(g, q, act));
  }
}

// One unit's loss term (kind 2 BCE, 3 MSE, 4 MAE).
@inline function term(p: f32, y: f32, kind: i32, eps: f32): f32 {
  if (kind == 2) {
    const q = min(max(p, eps), <f32>1 - eps);
    return -(y * Mathf.log(q) + (<f32>1 - y) * Mathf.log(<f32>1 - q));
  }
  const d = p - y;
  return kind == 3 ? d * d : Mathf.abs(d);
}

/** The loss of one sample: the mean over V units of the kind's term (binary CE's log per unit). */
export function loss_forward(p: usize, y: usize, V: i32, kind: i32, eps: f32): f32 {
  const vb = <usize>V << 2;
  const v4 = <usize>(V & ~3) << 2;
  let i: usize = 0;
  let s: f32 = 0;
  if (kind != 2) {
    let s4 = splat(0);
    for (; i < v4; i += 16) {
      const d = f32x4.sub(v128.load(p + i), v128.load(y + i));
      s4 = f32x4.add(s4, kind == 3 ? f32x4.mul(d, d) : f32x4.abs(d));
    }
    s = hsum(s4);
  }
  for (; i < vb; i += 4) s += term(load<f32>(p + i), load<f32>(y + i), kind, eps);
  return s / <f32>V;
}

/** Reference twin of loss_forward (one sum in index order). */
export function loss_forward_scalar(p: usize, y: usize, V: i32, kind: i32, eps: f32): f32 {
  let s: f32 = 0;
  for (let i = 0; i < V; i++) s += term(load<f32>(p + (<usize>i << 2)), load<f32>(y + (<usize>i << 2)), kind, eps);
  return s / <f32>V;
}

@inline function dterm(p: f32, y: f32, kind: i32, eps: f32, s: f32): f32 {
  const d = p - y;
  if (kind == 2) return p >= eps && p <= <f32>1 - eps ? (s * d) / (p * (<f32>1 - p)) : <f32>0;
  if (kind == 3) return s * (d + d);
  return d > 0 ? s : d < 0 ? -s : <f32>0;
}

/** dp = scale/V · d(term)/dp for one sample. */
export function loss_backward(dp: usize, p: usize, y: usize, V: i32, kind: i32, eps: f32, scale: f32): void {
  const s: f32 = scale / <f32>V;
  const vb = <usize>V << 2;
  const v4 = <usize>(V & ~3) << 2;
  const sv = splat(s);
  const one = splat(1);
  let i: usize = 0;
  for (; i < v4; i += 16) {
    const pv = v128.load(p + i);
    const d = f32x4.sub(pv, v128.load(y + i));
    let r: v128;
    if (kind == 2) {
      const inside = v128.and(f32x4.ge(pv, splat(eps)), f32x4.le(pv, splat(<f32>1 - eps)));
      r = v128.and(inside, f32x4.div(f32x4.mul(sv, d), f32x4.mul(pv, f32x4.sub(one, pv))));
    } else if (kind == 3) {
      r = f32x4.mul(sv, f32x4.add(d, d));
    } else {
      const pos = v128.and(f32x4.gt(d, splat(0)), sv);
      const neg = v128.and(f32x4.lt(d, splat(0)), f32x4.neg(sv));
      r = v128.or(pos, neg);
    }
    v128.store(dp + i, r);
  }
  for (; i < vb; i += 4) store<f32>(dp + i, dterm(load<f32>(p + i), load<f32>(y + i), kind, eps, s));
}

/** Reference twin of loss_backward. */
export function loss_backward_scalar(dp: usize, p: usize, y: usize, V: i32, kind: i32, eps: f32, scale: f32): void {
  const s: f32 = scale / <f32>V;
  for (let i = 0; i < V; i++) {
    const o = <usize>i << 2;
    store<f32>(dp + o, dterm(load<f32>(p + o), load<f32>(y + o), kind, eps, s));
  }
}
