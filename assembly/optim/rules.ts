// SGD and RMSprop (Keras forms) and Keras's per-tensor gradient clipping, over n floats of regions
// that share one layout (params, grads, m, v), beside adam.ts.
//   sgd (tf.keras 2.x / Keras 3):  m = μ m - lr g;  θ += m   (nesterov: θ += μ m - lr g);
//                                  μ = 0: θ -= lr g (m untouched)
//   rmsprop:  v = ρ v + (1-ρ) g²;  centered: m = ρ m + (1-ρ) g, den = v - m², else den = v
//             inside = 0 (Keras 2.0):  θ -= lr g / (√den + ε)
//             inside = 1 (Keras 3):    inc = lr g / √(den + ε); μ > 0: m = μ m + inc, θ -= m; else θ -= inc
//             (m holds the momentum or the centered mean, never both)
//   clip_norm:  g *= c / max(‖g‖, c)  (‖g‖ summed in f64; one tensor);  clip_value: g = clamp(g, -c, c)
import { splat } from '../simd';

@inline function sgd_one(p: usize, gp: usize, mp: usize, lr: f32, mu: f32, nest: i32): void {
  const g = load<f32>(gp);
  if (mu == 0) {
    store<f32>(p, load<f32>(p) - lr * g);
    return;
  }
  const mi = mu * load<f32>(mp) - lr * g;
  store<f32>(mp, mi);
  store<f32>(p, load<f32>(p) + (nest ? mu * mi - lr * g : mi));
}

/** One SGD update of n floats (SIMD; scalar tail for n%4). */
export function sgd_update(params: usize, grads: usize, m: usize, n: i32, lr: f32, momentum: f32, nesterov: i32): void {
  const nb = <usize>n << 2;
  const n4 = <usize>(n & ~3) << 2;
  const lrv = splat(lr);
  const muv = splat(momentum);
  let i: usize = 0;
  for (; i < n4; i += 16) {
    const g = f32x4.mul(lrv, v128.load(grads + i));
    const p = v128.load(params + i);
    if (momentum == 0) {
      v128.store(params + i, f32x4.sub(p, g));
      continue;
    }
    const mi = f32x4.sub(f32x4.mul(muv, v128.load(m + i)), g);
    v128.store(m + i, mi);
    v128.store(params + i, f32x4.add(p, nesterov ? f32x4.sub(f32x4.mul(muv, mi), g) : mi));
  }
  for (; i < nb; i += 4) sgd_one(params + i, grads + i, m + i, lr, momentum, nesterov);
}

/** Reference twin of sgd_update: the same arithmetic, one float at a time. */
export function sgd_update_scalar(params: usize, grads: usize, m: usize, n: i32, lr: f32, momentum: f32, nesterov: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    sgd_one(params + o, grads + o, m + o, lr, momentum, nesterov);
  }
}

@inline function rms_one(p: usize, gp: usize, mp: usize, vp: usize, lr: f32, rho: f32, c: f32, eps: f32,
  mu: f32, centered: i32, inside: i32): void {
  const g = load<f32>(gp);
  const vi = rho * load<f32>(vp) + c * (g * g);
  store<f32>(vp, vi);
  let den = vi;
  if (centered) {
    const mg = rho * load<f32>(mp) + c * g;
    store<f32>(mp, mg);
    den = vi - mg * mg;
  }
  if (!inside) {
    store<f32>(p, load<f32>(p) - (lr * g) / (Mathf.sqrt(den) + eps));
    return;
  }
  let inc = (lr * g) / Mathf.sqrt(den + eps);
  if (mu > 0) {
    inc = mu * load<f32>(mp) + inc;
    store<f32>(mp, inc);
  }
  store<f32>(p, load<f32>(p) - inc);
}

/** One RMSprop update of n floats (SIMD; scalar tail for n%4); see the forms atop this file. */
export function rmsprop_update(params: usize, grads: usize, m: usize, v: usize, n: i32,
  lr: f32, rho: f32, eps: f32, momentum: f32, centered: i32, inside: i32): void {
  const c: f32 = <f32>1.0 - rho;
  const nb = <usize>n << 2;
  const n4 = <usize>(n & ~3) << 2;
  const lrv = splat(lr);
  const rhov = splat(rho);
  const cv = splat(c);
  const epv = splat(eps);
  const muv = splat(momentum);
  let i: usize = 0;
  for (; i < n4; i += 16) {
    const g = v128.load(grads + i);
    const vi = f32x4.add(f32x4.mul(rhov, v128.load(v + i)), f32x4.mul(cv, f32x4.mul(g, g)));
    v128.store(v + i, vi);
    let den = vi;
    if (centered) {
      const mg = f32x4.add(f32x4.mul(rhov, v128.load(m + i)), f32x4.mul(cv, g));
      v128.store(m + i, mg);
      den = f32x4.sub(vi, f32x4.mul(mg, mg));
    }
    const lg = f32x4.mul(lrv, g);
    let inc = inside ? f32x4.div(lg, f32x4.sqrt(f32x4.add(den, epv))) : f32x4.div(lg, f32x4.add(f32x4.sqrt(den), epv));
    if (inside && momentum > 0) {
      inc = f32x4.add(f32x4.mul(muv, v128.load(m + i)), inc);
      v128.store(m + i, inc);
    }
    v128.store(params + i, f32x4.sub(v128.load(params + i), inc));
  }
  for (; i < nb; i += 4) rms_one(params + i, grads + i, m + i, v + i, lr, rho, c, eps, momentum, centered, inside);
}

/** Reference twin of rmsprop_update: the same arithmetic, one float at a time. */
export function rmsprop_update_scalar(params: usize, grads: usize, m: usize, v: usize, n: i32,
  lr: f32, rho: f32, eps: f32, momentum: f32, centered: i32, inside: i32): void {
  const c: f32 = <f32>1.0 - rho;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    rms_one(params + o, grads + o, m + o, v + o, lr, rho, c, eps, momentum, centered, inside);
  }
}

// ‖g‖ of n floats, summed in f64 in index order (shared by both twins, so they agree bitwise).
function norm2(g: usize, n: i32): f64 {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) {
    const x = <f64>load<f32>(g + (<usize>i << 2));
    s += x * x;
  }
  return Math.sqrt(s);
}

/** Keras clip_by_norm of one tensor of n floats: g *= c / max(‖g‖, c) (SIMD scaling). */
export function clip_norm(g: usize, n: i32, c: f32): void {
  const nrm = norm2(g, n);
  if (nrm <= <f64>c) return;
  const s = <f32>(<f64>c / nrm);
  const sv = splat(s);
  const nb = <usize>n << 2;
  const n4 = <usize>(n & ~3) << 2;
  let i: usize = 0;
  for (; i < n4; i += 16) v128.store(g + i, f32x4.mul(v128.load(g + i), sv));
  for (; i < nb; i += 4) store<f32>(g + i, load<f32>(g + i) * s);
}

/** Reference twin of clip_norm. */
export function clip_norm_scalar(g: usize, n: i32, c: f32): void {
  const nrm = norm2(g, n);
  if (nrm <= <f64>c) return;
  const s = <f32>(<f64>c / nrm);
  for (let i = 0; i < n; i++) {
    const p = g + (<usize>i << 2);
    store<f32>(p, load<f32>(p) * s);
  }
}

/** Keras clip_by_value over n floats: g = min(max(g, -c), c) (SIMD). */
export function clip_value(g: usize, n: i32, c: f32): void {
  const nb = <usize>n << 2;
  const n4 = <usize>(n & ~3) << 2;
  const hi = splat(c);
  const lo = splat(-c);
  let i: usize = 0;
  for (; i < n4; i += 16) v128.store(g + i, f32x4.pmin(hi, f32x4.pmax(lo, v128.load(g + i))));
  for (; i < nb; i += 4) store<f32>(g + i, min(c, max(-c, load<f32>(g + i))));
}

/** Reference twin of clip_value. */
export function clip_value_scalar(g: usize, n: i32, c: f32): void {
  for (let i = 0; i < n; i++) {
    const p = g + (<usize>i << 2);
    store<f32>(p, min(c, max(-c, load<f32>(p))));
  }
}
