// Adam (Keras form) over n floats of four regions with one layout: params, grads, m, v.
//   m = β1 m + (1-β1) g;  v = β2 v + (1-β2) g²;  θ -= lr_t m / (sqrt(v) + ε)
// lr_t = lr sqrt(1-β2^t) / (1-β1^t) is computed by the caller (train.ts adam_step).
import { splat } from '../simd';

// 1-β1 and 1-β2 are computed once per call and passed in, never written inside a loop body
// (PERF.md: TurboFan sank loop-invariant float math into Adam's loop, 2.6x slower). The loop is
// bound by f32x4.sqrt and f32x4.div (~3 µs for 5,216 floats here).
function adam_simd(params: usize, grads: usize, m: usize, v: usize, n: i32,
  lr_t: f32, b1: f32, c1: f32, b2: f32, c2: f32, eps: f32): void {
  const nb = <usize>n << 2;
  const n4 = <usize>(n & ~3) << 2;
  const lrv = splat(lr_t);
  const b1v = splat(b1);
  const c1v = splat(c1);
  const b2v = splat(b2);
  const c2v = splat(c2);
  const epv = splat(eps);
  let i: usize = 0;
  for (; i < n4; i += 16) {
    const g = v128.load(grads + i);
    const mi = f32x4.add(f32x4.mul(b1v, v128.load(m + i)), f32x4.mul(c1v, g));
    const vi = f32x4.add(f32x4.mul(b2v, v128.load(v + i)), f32x4.mul(c2v, f32x4.mul(g, g)));
    v128.store(m + i, mi);
    v128.store(v + i, vi);
    const step = f32x4.div(f32x4.mul(lrv, mi), f32x4.add(f32x4.sqrt(vi), epv));
    v128.store(params + i, f32x4.sub(v128.load(params + i), step));
  }
  for (; i < nb; i += 4) adam_one(params + i, grads + i, m + i, v + i, lr_t, b1, c1, b2, c2, eps);
}

@inline function adam_one(p: usize, gp: usize, mp: usize, vp: usize,
  lr_t: f32, b1: f32, c1: f32, b2: f32, c2: f32, eps: f32): void {
  const g = load<f32>(gp);
  const mi = b1 * load<f32>(mp) + c1 * g;
  const vi = b2 * load<f32>(vp) + c2 * (g * g);
  store<f32>(mp, mi);
  store<f32>(vp, vi);
  store<f32>(p, load<f32>(p) - (lr_t * mi) / (Mathf.sqrt(vi) + eps));
}

function adam_ref(params: usize, grads: usize, m: usize, v: usize, n: i32,
  lr_t: f32, b1: f32, c1: f32, b2: f32, c2: f32, eps: f32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    adam_one(params + o, grads + o, m + o, v + o, lr_t, b1, c1, b2, c2, eps);
  }
}

/** One Adam update of n floats (SIMD; scalar tail for n%4). */
export function adam_update(params: usize, grads: usize, m: usize, v: usize, n: i32,
  lr_t: f32, beta1: f32, beta2: f32, eps: f32): void {
  adam_simd(params, grads, m, v, n, lr_t, beta1, <f32>1.0 - beta1, beta2, <f32>1.0 - beta2, eps);
}

/** Reference twin of adam_update: the same arithmetic, one float at a time. */
export function adam_update_scalar(params: usize, grads: usize, m: usize, v: usize, n: i32,
  lr_t: f32, beta1: f32, beta2: f32, eps: f32): void {
  adam_ref(params, grads, m, v, n, lr_t, beta1, <f32>1.0 - beta1, beta2, <f32>1.0 - beta2, eps);
}
