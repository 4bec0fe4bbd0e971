// Softmax + categorical cross-entropy on one vector.   logits, probs, y, dlogits (V)
//   p = softmax(logits) (max subtracted first)
//   eps > 0 (Keras 2 / tfjs):      loss = -Σ y_j log(clip(p_j, eps, 1-eps))
//   eps = 0 (from logits, Keras 3): loss = Σ y_j (logsumexp(logits) - logits_j)
//   backward: dlogits = scale (p s - y m), m_j = [eps <= p_j <= 1-eps] (1 when eps = 0), s = Σ y_j m_j
// Derivation: d(-Σ y_j log clip(p_j))/dp_j = -y_j m_j / p_j and dp_j/dz_i = p_j (δ_ij - p_i), so
// dL/dz_i = -y_i m_i + p_i Σ_j y_j m_j. The clip passes the gradient at its bounds (inclusive), as
// the clip_by_value / clipByValue gradients of TF and tfjs do.
import { splat, hsum, hmax, exp4, exp1 } from './simd';

/** probs = softmax(logits) using exp4; returns logsumexp(logits) if wantLse, else 0. */
@inline export function softmax_simd(probs: usize, logits: usize, V: i32, wantLse: bool): f32 {
  const vb = <usize>V << 2;
  const v4 = <usize>(V & ~3) << 2;
  let v: usize = 0;
  let mx: f32 = <f32>-Infinity;
  if (v4 > 0) {
    let m4 = v128.load(logits);
    for (v = 16; v < v4; v += 16) m4 = f32x4.pmax(m4, v128.load(logits + v));
    mx = hmax(m4);
  }
  for (v = v4; v < vb; v += 4) {
    const l = load<f32>(logits + v);
    if (l > mx) mx = l;
  }
  const mv = splat(mx);
  let s4 = splat(0.0);
  for (v = 0; v < v4; v += 16) {
    const e = exp4(f32x4.sub(v128.load(logits + v), mv));
    v128.store(probs + v, e);
    s4 = f32x4.add(s4, e);
  }
  let sum = hsum(s4);
  for (; v < vb; v += 4) {
    const e = exp1(load<f32>(logits + v) - mx);
    store<f32>(probs + v, e);
    sum += e;
  }
  const sv = splat(sum);
  for (v = 0; v < v4; v += 16) v128.store(probs + v, f32x4.div(v128.load(probs + v), sv));
  for (; v < vb; v += 4) store<f32>(probs + v, load<f32>(probs + v) / sum);
  return wantLse ? mx + Mathf.log(sum) : 0;
}

/** Reference softmax with Mathf.exp; same return convention as softmax_simd. */
@inline export function softmax_ref(probs: usize, logits: usize, V: i32, wantLse: bool): f32 {
  let mx: f32 = <f32>-Infinity;
  for (let v = 0; v < V; v++) {
    const l = load<f32>(logits + (<usize>v << 2));
    if (l > mx) mx = l;
  }
  let sum: f32 = 0;
  for (let v = 0; v < V; v++) {
    const e = Mathf.exp(load<f32>(logits + (<usize>v << 2)) - mx);
    store<f32>(probs + (<usize>v << 2), e);
    sum += e;
  }
  for (let v = 0; v < V; v++) {
    const p = probs + (<usize>v << 2);
    store<f32>(p, load<f32>(p) / sum);
  }
  return wantLse ? mx + Mathf.log(sum) : 0;
}

// The loss from probs (eps > 0) or from logsumexp (eps = 0); terms with y_j = 0 are skipped.
@inline function ce_loss(probs: usize, logits: usize, y: usize, V: i32, eps: f32, lse: f32): f32 {
  let loss: f32 = 0;
  if (eps > 0) {
    const hi: f32 = 1.0 - eps;
    for (let v = 0; v < V; v++) {
      const yv = load<f32>(y + (<usize>v << 2));
      if (yv != 0) {
        let p = load<f32>(probs + (<usize>v << 2));
        p = p < eps ? eps : p > hi ? hi : p;
        loss -= yv * Mathf.log(p);
      }
    }
  } else {
    for (let v = 0; v < V; v++) {
      const yv = load<f32>(y + (<usize>v << 2));
      if (yv != 0) loss += yv * (lse - load<f32>(logits + (<usize>v << 2)));
    }
  }
  return loss;
}

/** Writes probs = softmax(logits); returns the cross-entropy against y (see the header). */
export function softmax_ce_forward(probs: usize, logits: usize, y: usize, V: i32, eps: f32): f32 {
  const lse = softmax_simd(probs, logits, V, eps <= 0);
  return ce_loss(probs, logits, y, V, eps, lse);
}

/** Reference twin of softmax_ce_forward (Mathf.exp). */
export function softmax_ce_forward_scalar(probs: usize, logits: usize, y: usize, V: i32, eps: f32): f32 {
  const lse = softmax_ref(probs, logits, V, eps <= 0);
  return ce_loss(probs, logits, y, V, eps, lse);
}

/** Writes dlogits = scale (p s - y m) (see the header). */
export function softmax_ce_backward(dlogits: usize, probs: usize, y: usize, V: i32, eps: f32, scale: f32): void {
  const vb = <usize>V << 2;
  const v4 = <usize>(V & ~3) << 2;
  const lo = splat(eps);
  const hi = splat(<f32>1.0 - eps);
  const all = eps <= 0;
  // s = Σ y_j m_j
  let s4 = splat(0.0);
  let v: usize = 0;
  for (; v < v4; v += 16) {
    const p = v128.load(probs + v);
    const m = v128.and(f32x4.ge(p, lo), f32x4.le(p, hi));
    const yv = v128.load(y + v);
    s4 = f32x4.add(s4, all ? yv : v128.and(m, yv));
  }
  let s = hsum(s4);
  const hs: f32 = 1.0 - eps;
  for (; v < vb; v += 4) {
    const p = load<f32>(probs + v);
    if (all || (p >= eps && p <= hs)) s += load<f32>(y + v);
  }
  const sv = splat(s);
  const cv = splat(scale);
  for (v = 0; v < v4; v += 16) {
    const p = v128.load(probs + v);
    const m = v128.and(f32x4.ge(p, lo), f32x4.le(p, hi));
    const yv = v128.load(y + v);
    const ym = all ? yv : v128.and(m, yv);
    v128.store(dlogits + v, f32x4.mul(cv, f32x4.sub(f32x4.mul(p, sv), ym)));
  }
  for (; v < vb; v += 4) {
    const p = load<f32>(probs + v);
    const ym = all || (p >= eps && p <= hs) ? load<f32>(y + v) : <f32>0;
    store<f32>(dlogits + v, scale * (p * s - ym));
  }
}

/** Reference twin of softmax_ce_backward. */
export function softmax_ce_backward_scalar(dlogits: usize, probs: usize, y: usize, V: i32, eps: f32, scale: f32): void {
  const hi: f32 = 1.0 - eps;
  let s: f32 = 0;
  for (let v = 0; v < V; v++) {
    const p = load<f32>(probs + (<usize>v << 2));
    if (eps <= 0 || (p >= eps && p <= hi)) s += load<f32>(y + (<usize>v << 2));
  }
  for (let v = 0; v < V; v++) {
    const p = load<f32>(probs + (<usize>v << 2));
    const ym = eps <= 0 || (p >= eps && p <= hi) ? load<f32>(y + (<usize>v << 2)) : <f32>0;
    store<f32>(dlogits + (<usize>v << 2), scale * (p * s - ym));
  }
}
