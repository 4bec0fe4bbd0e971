// Dense layer on one vector, Keras layout.   h (H)  K (H,V)  bd (V)  logits (V)
//   forward:  logits = h K + bd
//   backward: dK += h ⊗ dlogits;  dbd += dlogits;  dh = K dlogits (written, not accumulated)
import { splat, madd, hsum } from './simd';

/** logits (V) = h K + bd. */
export function dense_forward(logits: usize, h: usize, K: usize, bd: usize, H: i32, V: i32): void {
  const vrow = <usize>V << 2; // bytes of one K row
  const hrow = <usize>H << 2;
  let v: usize = 0;
  // 16 columns at a time: four accumulators share each h[k] splat
  for (; v + 64 <= vrow; v += 64) {
    let a0 = v128.load(bd + v);
    let a1 = v128.load(bd + v + 16);
    let a2 = v128.load(bd + v + 32);
    let a3 = v128.load(bd + v + 48);
    let p = K + v;
    for (let k: usize = 0; k < hrow; k += 4) {
      const hv = splat(load<f32>(h + k));
      a0 = madd(a0, hv, v128.load(p));
      a1 = madd(a1, hv, v128.load(p, 16));
      a2 = madd(a2, hv, v128.load(p, 32));
      a3 = madd(a3, hv, v128.load(p, 48));
      p += vrow;
    }
    v128.store(logits + v, a0);
    v128.store(logits + v, a1, 16);
    v128.store(logits + v, a2, 32);
    v128.store(logits + v, a3, 48);
  }
  for (; v + 16 <= vrow; v += 16) {
    let a0 = v128.load(bd + v);
    let p = K + v;
    for (let k: usize = 0; k < hrow; k += 4) {
      a0 = madd(a0, splat(load<f32>(h + k)), v128.load(p));
      p += vrow;
    }
    v128.store(logits + v, a0);
  }
  for (; v < vrow; v += 4) {
    let s = load<f32>(bd + v);
    let p = K + v;
    for (let k: usize = 0; k < hrow; k += 4) {
      s += load<f32>(h + k) * load<f32>(p);
      p += vrow;
    }
    store<f32>(logits + v, s);
  }
}

/** Reference twin of dense_forward. */
export function dense_forward_scalar(logits: usize, h: usize, K: usize, bd: usize, H: i32, V: i32): void {
  for (let v = 0; v < V; v++) {
    let s = load<f32>(bd + (<usize>v << 2));
    for (let k = 0; k < H; k++) s += load<f32>(h + (<usize>k << 2)) * load<f32>(K + (<usize>(k * V + v) << 2));
    store<f32>(logits + (<usize>v << 2), s);
  }
}

/** dK += h ⊗ dlogits; dbd += dlogits; writes dh (H) = K dlogits. */
export function dense_backward(dh: usize, dK: usize, dbd: usize, dlogits: usize, h: usize, K: usize, H: i32, V: i32): void {
  const vrow = <usize>V << 2;
  const v4 = <usize>(V & ~3) << 2;
  const hrow = <usize>H << 2;
  let v: usize = 0;
  for (; v < v4; v += 16) v128.store(dbd + v, f32x4.add(v128.load(dbd + v), v128.load(dlogits + v)));
  for (; v < vrow; v += 4) store<f32>(dbd + v, load<f32>(dbd + v) + load<f32>(dlogits + v));
  // Two rows of K / dK per pass share each dlogits load; each row keeps its own accumulator
  // (same order as one row at a time), then the V%4 tail in scalar.
  const hrow2 = <usize>(H & ~1) << 2;
  let p = K;
  let q = dK;
  let k: usize = 0;
  for (; k < hrow2; k += 8) {
    const h0 = load<f32>(h + k);
    const h1 = load<f32>(h + k, 4);
    const hv0 = splat(h0);
    const hv1 = splat(h1);
    const p1 = p + vrow;
    const q1 = q + vrow;
    let acc0 = splat(0.0);
    let acc1 = splat(0.0);
    v = 0;
    for (; v < v4; v += 16) {
      const dl = v128.load(dlogits + v);
      v128.store(q + v, madd(v128.load(q + v), hv0, dl));
      acc0 = madd(acc0, v128.load(p + v), dl);
      v128.store(q1 + v, madd(v128.load(q1 + v), hv1, dl));
      acc1 = madd(acc1, v128.load(p1 + v), dl);
    }
    let s0 = hsum(acc0);
    let s1 = hsum(acc1);
    for (; v < vrow; v += 4) {
      const dl = load<f32>(dlogits + v);
      store<f32>(q + v, load<f32>(q + v) + h0 * dl);
      s0 += load<f32>(p + v) * dl;
      store<f32>(q1 + v, load<f32>(q1 + v) + h1 * dl);
      s1 += load<f32>(p1 + v) * dl;
    }
    store<f32>(dh + k, s0);
    store<f32>(dh + k, s1, 4);
    p += vrow << 1;
    q += vrow << 1;
  }
  for (; k < hrow; k += 4) {
    const hk = load<f32>(h + k);
    const hv = splat(hk);
    let acc = splat(0.0);
    v = 0;
    for (; v < v4; v += 16) {
      const dl = v128.load(dlogits + v);
      v128.store(q + v, madd(v128.load(q + v), hv, dl));
      acc = madd(acc, v128.load(p + v), dl);
    }
    let s = hsum(acc);
    for (; v < vrow; v += 4) {
      const dl = load<f32>(dlogits + v);
      store<f32>(q + v, load<f32>(q + v) + hk * dl);
      s += load<f32>(p + v) * dl;
    }
    store<f32>(dh + k, s);
    p += vrow;
    q += vrow;
  }
}

/** Reference twin of dense_backward. */
export function dense_backward_scalar(dh: usize, dK: usize, dbd: usize, dlogits: usize, h: usize, K: usize, H: i32, V: i32): void {
  for (let v = 0; v < V; v++) {
    const p = dbd + (<usize>v << 2);
    store<f32>(p, load<f32>(p) + load<f32>(dlogits + (<usize>v << 2)));
  }
  for (let k = 0; k < H; k++) {
    const hk = load<f32>(h + (<usize>k << 2));
    let s: f32 = 0;
    for (let v = 0; v < V; v++) {
      const dl = load<f32>(dlogits + (<usize>v << 2));
      const j = <usize>(k * V + v) << 2;
      store<f32>(dK + j, load<f32>(dK + j) + hk * dl);
      s += load<f32>(K + j) * dl;
    }
    store<f32>(dh + (<usize>k << 2), s);
  }
}
