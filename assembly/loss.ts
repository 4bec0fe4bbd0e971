// Softmax + categorical cross-entropy on one vector.   logits, probs, y, dlogits (V)
//   p = softmax(logits) (max subtracted first)
//   eps > 0 (Keras 2 / tfjs):      loss = -Σ y_j log(clip(p_j, eps, 1-eps))
//   eps = 0 (from logits, Keras 3): loss = Σ y_j (logsumexp(logits) - logits_j)
//   backward: dlogits = scale (p s - y m), m_j = [eps <= p_j <= 1-eps] (1 when eps = 0), s = Σ y_j m_j
// Derivation: d(-Σ y_j log clip(p_j))/dp_j = -y_j m_j / p_j and dp_j/dz_i = p_j (δ_ij - p_i), so
// dL/dz_i = -y_i m_i + p_i Σ_j y_j m_j. The clip passes the gradient at its bounds (inclusive), as
// the clip_by_value / clipByValue gradients of TF and tfjs do.
import { splat, hsum, hmax, exp4 } from './simd';

/** probs = softmax(logits) using exp4; returns logsumexp(logits) if wantLse, else 0. */
export function softmax_simd(probs: usize, logits: usize, V: i32, wantLse: bool): f32 {
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
  // The V%4 tail (0-3 values) as the lanes of one vector, exponentiated next to the main loop
  // rather than after it (exp4 acts lane by lane: the same values as one exp1 per element).
  const tail = vb - v4;
  let te = splat(0.0);
  if (tail > 0) {
    let tv = v128.load32_splat(logits + v4);
    if (tail > 4) tv = f32x4.replace_lane(tv, 1, load<f32>(logits + v4, 4));
    if (tail > 8) tv = f32x4.replace_lane(tv, 2, load<f32>(logits + v4, 8));
    te = exp4(f32x4.sub(tv, mv));
  }
  let s4 = splat(0.0);
  for (v = 0; v < v4; v += 16) {
    const e = exp4(f32x4.sub(v128.load(logits + v), mv));
    v128.store(probs + v, e);
    s4 = f32x4.add(s4, e);
  }
  let sum = hsum(s4);
  if (tail > 0) sum += f32x4.extract_lane(te, 0);
  if (tail > 4) sum += f32x4.extract_lane(te, 1);
  if (tail > 8) sum += f32x4.extract_lane(te, 2);
  const sv = splat(sum);
  for (v = 0; v < v4; v += 16) v128.store(probs + v, f32x4.div(v128.load(probs + v), sv));
  if (tail > 0) {
    const tp = f32x4.div(te, sv);
    store<f32>(probs + v4, f32x4.extract_lane(tp, 0));
    if (tail > 4) store<f32>(probs + v4, f32x4.extract_lane(tp, 1), 4);
    if (tail > 8) store<f32>(probs + v4, f32x4.extract_lane(tp, 2), 8);
  }
  return wantLse ? mx + Mathf.log(sum) : 0;
}

/** Reference softmax with Mathf.exp; same return convention as softmax_simd. */
export function softmax_ref(probs: usize, logits: usize, V: i32, wantLse: bool): f32 {
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

// ce_loss with the search for nonzero targets done 4 at a time: the same terms, in the same order.
@inline function ce_loss_simd(probs: usize, logits: usize, y: usize, V: i32, eps: f32, lse: f32): f32 {
  const vb = <usize>V << 2;
  const v4 = <usize>(V & ~3) << 2;
  const zero = splat(0.0);
  let loss: f32 = 0;
  let v: usize = 0;
  for (; v < vb; v += 16) {
    const n = v < v4 ? v + 16 : vb;
    if (v < v4 && !v128.any_true(f32x4.ne(v128.load(y + v), zero))) continue;
    for (let w = v; w < n; w += 4) {
      const yv = load<f32>(y + w);
      if (yv != 0) {
        if (eps > 0) {
          const hi: f32 = 1.0 - eps;
          let p = load<f32>(probs + w);
          p = p < eps ? eps : p > hi ? hi : p;
          loss -= yv * Mathf.log(p);
        } else {
          loss += yv * (lse - load<f32>(logits + w));
        }
      }
    }
  }
  return loss;
}

/** Writes probs = softmax(logits); returns the cross-entropy against y (see the header). */
export function softmax_ce_forward(probs: usize, logits: usize, y: usize, V: i32, eps: f32): f32 {
  const lse = softmax_simd(probs, logits, V, eps <= 0);
  return ce_loss_simd(probs, logits, y, V, eps, lse);
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
  // s = Σ y_j m_j; y m is parked in dlogits for the second pass
  let s4 = splat(0.0);
  let v: usize = 0;
  for (; v < v4; v += 16) {
    let ym = v128.load(y + v);
    if (!all) {
      const p = v128.load(probs + v);
      ym = v128.and(v128.and(f32x4.ge(p, lo), f32x4.le(p, hi)), ym);
    }
    v128.store(dlogits + v, ym);
    s4 = f32x4.add(s4, ym);
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
    v128.store(dlogits + v, f32x4.mul(cv, f32x4.sub(f32x4.mul(p, sv), v128.load(dlogits + v))));
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
