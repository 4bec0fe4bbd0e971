// LSTM layer over one sample, Keras layout, gate blocks ordered i, f, c(g), o.
//   x (L,D)  W (D,4H)  U (H,4H)  b (4H)  hs, cs ((L+1),H), row 0 = initial state  gates (L,4H)
//   forward:  z = x_t W + h_{t-1} U + b;  i=σ(z_i) f=σ(z_f) g=tanh(z_c) o=σ(z_o)
//             c_t = f*c_{t-1} + i*g;  h_t = o*tanh(c_t)        σ: act 0 = sigmoid, 1 = hard_sigmoid
//   backward: dz_t = ∂L/∂z_t by BPTT;  dW += Σ x_tᵀ dz_t;  dU += Σ h_{t-1}ᵀ dz_t;  db += Σ dz_t;
//             dh_{t-1} = U dz_t
// Forward SIMD, per step: first z = b + x_t W + h_{t-1} U as one row-vector times matrix over the
// 4H columns (16 columns per pass: four accumulators loaded at static offsets from one pointer that
// walks down U, which V8 compiles to ~4 instructions per multiply-add instead of ~5 for a walk with
// a runtime gate stride), written into the gates row; then the activations and the c/h update for
// 4 units at a time, the last H%4 units through a scalar tail using the same approximations on one
// lane. Each z element is summed in the same order (b, then over d, then over k) either way.
// Backward overwrites gates row t with dz_t (the activations of step t are dead after step t), so
// dW/dU/db are summed over steps in registers at the end: one load/store of each gradient row per
// sample instead of one per step (that pass was 55% of the backward time when done per step).
import { splat, madd, hsum, hsum4, tanh4, gate4, dgate4, tanh1, gate1, dgatef, gatef, zero_bytes } from './simd';

// Activations and the c/h update for 4 units from their pre-activations; pointers already offset
// to the units (cp: c_{t-1}, cn: c_t, hn: h_t, gt: the gates row), row = H*4 bytes.
@inline function cell4(zi: v128, zf: v128, zg: v128, zo: v128, act: i32,
  cp: usize, cn: usize, hn: usize, gt: usize, row: usize): void {
  const i = gate4(zi, act);
  const f = gate4(zf, act);
  const g = tanh4(zg);
  const o = gate4(zo, act);
  const c = f32x4.add(f32x4.mul(f, v128.load(cp)), f32x4.mul(i, g));
  v128.store(cn, c);
  v128.store(hn, f32x4.mul(o, tanh4(c)));
  v128.store(gt, i);
  v128.store(gt + row, f);
  v128.store(gt + (row << 1), g);
  v128.store(gt + row * 3, o);
}

/**
 * Forward over L steps: writes hs/cs rows 1..L and the post-activation gates (L,4H).
 * L = 0 does nothing.
 */
export function lstm_forward(
  hs: usize, cs: usize, gates: usize, x: usize, W: usize, U: usize, b: usize,
  L: i32, D: i32, H: i32, act: i32,
): void {
  const row = <usize>H << 2; // bytes of H floats: one gate block, one state row
  const row2 = row << 1;
  const row3 = row * 3;
  const row4 = row << 2; // bytes of a 4H row of W, U, gates
  const H4 = <usize>(H & ~3) << 2;
  const xrow = <usize>D << 2;
  for (let t = 0; t < L; t++) {
    const hp = hs + <usize>t * row;
    const cp = cs + <usize>t * row;
    const hn = hp + row;
    const cn = cp + row;
    const gt = gates + <usize>t * row4;
    const xt = x + <usize>t * xrow;
    // 1. z = b + x_t W + h_{t-1} U over the 4H columns (a row-vector times matrix: the gate
    //    split does not matter here), 16 columns at a time with static load offsets, into gt
    const hpEnd = hp + row;
    let j: usize = 0;
    for (; j + 64 <= row4; j += 64) {
      let a0 = v128.load(b + j);
      let a1 = v128.load(b + j, 16);
      let a2 = v128.load(b + j, 32);
      let a3 = v128.load(b + j, 48);
      let p = W + j;
      for (let d: usize = 0; d < xrow; d += 4) {
        const xv = v128.load32_splat(xt + d);
        a0 = madd(a0, xv, v128.load(p));
        a1 = madd(a1, xv, v128.load(p, 16));
        a2 = madd(a2, xv, v128.load(p, 32));
        a3 = madd(a3, xv, v128.load(p, 48));
        p += row4;
      }
      p = U + j;
      for (let q = hp; q < hpEnd; q += 4) {
        const hv = v128.load32_splat(q);
        a0 = madd(a0, hv, v128.load(p));
        a1 = madd(a1, hv, v128.load(p, 16));
        a2 = madd(a2, hv, v128.load(p, 32));
        a3 = madd(a3, hv, v128.load(p, 48));
        p += row4;
      }
      v128.store(gt + j, a0);
      v128.store(gt + j, a1, 16);
      v128.store(gt + j, a2, 32);
      v128.store(gt + j, a3, 48);
    }
    for (; j < row4; j += 16) {
      let a0 = v128.load(b + j);
      let p = W + j;
      for (let d: usize = 0; d < xrow; d += 4) {
        a0 = madd(a0, v128.load32_splat(xt + d), v128.load(p));
        p += row4;
      }
      p = U + j;
      for (let q = hp; q < hpEnd; q += 4) {
        a0 = madd(a0, v128.load32_splat(q), v128.load(p));
        p += row4;
      }
      v128.store(gt + j, a0);
    }
    // 2. activations and the c/h update, 4 units at a time, then the H%4 tail on one lane
    let u: usize = 0;
    for (; u < H4; u += 16) {
      const g = gt + u;
      cell4(v128.load(g), v128.load(g + row), v128.load(g + row2), v128.load(g + row3), act, cp + u, cn + u, hn + u, g, row);
    }
    for (; u < row; u += 4) {
      const zi = load<f32>(gt + u);
      const zf = load<f32>(gt + row + u);
      const zg = load<f32>(gt + row2 + u);
      const zo = load<f32>(gt + row3 + u);
      const i = gate1(zi, act);
      const f = gate1(zf, act);
      const g = tanh1(zg);
      const o = gate1(zo, act);
      const c = f * load<f32>(cp + u) + i * g;
      store<f32>(cn + u, c);
      store<f32>(hn + u, o * tanh1(c));
      store<f32>(gt + u, i);
      store<f32>(gt + row + u, f);
      store<f32>(gt + row2 + u, g);
      store<f32>(gt + row3 + u, o);
    }
  }
}

/** Reference twin of lstm_forward: plain loops, Mathf activations. */
export function lstm_forward_scalar(
  hs: usize, cs: usize, gates: usize, x: usize, W: usize, U: usize, b: usize,
  L: i32, D: i32, H: i32, act: i32,
): void {
  const G = 4 * H;
  for (let t = 0; t < L; t++) {
    const hp = hs + (<usize>(t * H) << 2);
    const cp = cs + (<usize>(t * H) << 2);
    const hn = hs + (<usize>((t + 1) * H) << 2);
    const cn = cs + (<usize>((t + 1) * H) << 2);
    const z = gates + (<usize>(t * G) << 2);
    const xt = x + (<usize>(t * D) << 2);
    // z = b + x_t W + h_{t-1} U, pre-activation, in the gates row
    for (let j = 0; j < G; j++) store<f32>(z + (<usize>j << 2), load<f32>(b + (<usize>j << 2)));
    for (let d = 0; d < D; d++) {
      const xd = load<f32>(xt + (<usize>d << 2));
      for (let j = 0; j < G; j++) {
        const zj = z + (<usize>j << 2);
        store<f32>(zj, load<f32>(zj) + xd * load<f32>(W + (<usize>(d * G + j) << 2)));
      }
    }
    for (let k = 0; k < H; k++) {
      const hk = load<f32>(hp + (<usize>k << 2));
      for (let j = 0; j < G; j++) {
        const zj = z + (<usize>j << 2);
        store<f32>(zj, load<f32>(zj) + hk * load<f32>(U + (<usize>(k * G + j) << 2)));
      }
    }
    // activations in place, then the cell update
    for (let u = 0; u < H; u++) {
      const pi = z + (<usize>u << 2);
      const pf = z + (<usize>(H + u) << 2);
      const pg = z + (<usize>(2 * H + u) << 2);
      const po = z + (<usize>(3 * H + u) << 2);
      const i = gatef(load<f32>(pi), act);
      const f = gatef(load<f32>(pf), act);
      const g = Mathf.tanh(load<f32>(pg));
      const o = gatef(load<f32>(po), act);
      store<f32>(pi, i);
      store<f32>(pf, f);
      store<f32>(pg, g);
      store<f32>(po, o);
      const c = f * load<f32>(cp + (<usize>u << 2)) + i * g;
      store<f32>(cn + (<usize>u << 2), c);
      store<f32>(hn + (<usize>u << 2), o * Mathf.tanh(c));
    }
  }
}

// Weight-gradient sums over all steps, once per sample, with the step sum held in registers so
// each gradient row is loaded and stored once (not once per step):
//   dst[r, :] += Σ_t a[t, r] dz[t, :]     a (L, R) with row stride astride bytes, dz (L, 4H)
// 16 columns per pass (four accumulators at static offsets from one row pointer), steps innermost
// in order t = 0..L-1; then the 4H%16 rest one vector at a time, same order.
@inline function outer_acc(dst: usize, a: usize, astride: usize, R: i32, dz: usize, L: i32, row4: usize): void {
  const zEnd = dz + <usize>L * row4;
  for (let r = 0; r < R; r++) {
    const drow = dst + <usize>r * row4;
    const ar = a + (<usize>r << 2);
    let j: usize = 0;
    for (; j + 64 <= row4; j += 64) {
      const d = drow + j;
      let a0 = v128.load(d);
      let a1 = v128.load(d, 16);
      let a2 = v128.load(d, 32);
      let a3 = v128.load(d, 48);
      let ap = ar;
      for (let z = dz + j; z < zEnd; z += row4) {
        const s = v128.load32_splat(ap);
        a0 = madd(a0, s, v128.load(z));
        a1 = madd(a1, s, v128.load(z, 16));
        a2 = madd(a2, s, v128.load(z, 32));
        a3 = madd(a3, s, v128.load(z, 48));
        ap += astride;
      }
      v128.store(d, a0);
      v128.store(d, a1, 16);
      v128.store(d, a2, 32);
      v128.store(d, a3, 48);
    }
    for (; j < row4; j += 16) {
      const d = drow + j;
      let a0 = v128.load(d);
      let ap = ar;
      for (let z = dz + j; z < zEnd; z += row4) {
        a0 = madd(a0, v128.load32_splat(ap), v128.load(z));
        ap += astride;
      }
      v128.store(d, a0);
    }
  }
}

// db[:] += Σ_t dz[t, :]
@inline function rows_acc(db: usize, dz: usize, L: i32, row4: usize): void {
  for (let j: usize = 0; j < row4; j += 16) {
    let acc = v128.load(db + j);
    let z = dz + j;
    for (let t = 0; t < L; t++) {
      acc = f32x4.add(acc, v128.load(z));
      z += row4;
    }
    v128.store(db + j, acc);
  }
}

// dst[0..bytes) += src[0..bytes), bytes a multiple of 4
@inline function add_row(dst: usize, src: usize, bytes: usize): void {
  let u: usize = 0;
  for (; u + 16 <= bytes; u += 16) v128.store(dst + u, f32x4.add(v128.load(dst + u), v128.load(src + u)));
  for (; u < bytes; u += 4) store<f32>(dst + u, load<f32>(dst + u) + load<f32>(src + u));
}

// out[r] = Σ_j M[r, j] dz[j] for the R rows of M (4H floats = row4 bytes each; rbytes = R*4):
// four rows at a time with a transposed reduce, then the R%4 rest one row at a time.
@inline function rows_dot(out: usize, Mx: usize, rbytes: usize, dz: usize, row4: usize): void {
  const R4 = rbytes & ~15;
  const stride = row4 >> 2; // bytes of M per byte of out
  let k: usize = 0;
  for (; k < R4; k += 16) {
    const p = Mx + k * stride;
    let a0 = splat(0.0);
    let a1 = splat(0.0);
    let a2 = splat(0.0);
    let a3 = splat(0.0);
    let j: usize = 0;
    for (; j + 32 <= row4; j += 32) {
      const p0 = p + j;
      const p1 = p0 + row4;
      const p2 = p0 + row4 * 2;
      const p3 = p0 + row4 * 3;
      const z0 = v128.load(dz + j);
      a0 = madd(a0, v128.load(p0), z0);
      a1 = madd(a1, v128.load(p1), z0);
      a2 = madd(a2, v128.load(p2), z0);
      a3 = madd(a3, v128.load(p3), z0);
      const z1 = v128.load(dz + j, 16);
      a0 = madd(a0, v128.load(p0, 16), z1);
      a1 = madd(a1, v128.load(p1, 16), z1);
      a2 = madd(a2, v128.load(p2, 16), z1);
      a3 = madd(a3, v128.load(p3, 16), z1);
    }
    if (j < row4) {
      const z0 = v128.load(dz + j);
      a0 = madd(a0, v128.load(p + j), z0);
      a1 = madd(a1, v128.load(p + row4 + j), z0);
      a2 = madd(a2, v128.load(p + row4 * 2 + j), z0);
      a3 = madd(a3, v128.load(p + row4 * 3 + j), z0);
    }
    v128.store(out + k, hsum4(a0, a1, a2, a3));
  }
  for (; k < rbytes; k += 4) {
    const p = Mx + k * stride;
    let a0 = splat(0.0);
    for (let j: usize = 0; j < row4; j += 16) a0 = madd(a0, v128.load(p + j), v128.load(dz + j));
    store<f32>(out + k, hsum(a0));
  }
}

/**
 * BPTT over L steps for one sample. On entry dh (H) = dLoss/dh_L; dc (H) is zeroed here; on exit
 * dh, dc = gradients w.r.t. h_0, c_0. Accumulates dW, dU, db.
 * The gates rows are consumed: row t is overwritten with dz_t (pre-activation gate gradients),
 * so the weight gradients can be summed over steps once at the end. dgates is not used.
 */
export function lstm_backward(
  dW: usize, dU: usize, db: usize, dh: usize, dc: usize, dgates: usize,
  hs: usize, cs: usize, gates: usize, x: usize, U: usize,
  L: i32, D: i32, H: i32, act: i32,
): void {
  lstm_backward_impl(dW, dU, db, dh, dc, 0, 0, hs, cs, gates, x, 0, U, L, D, H, act, true);
}

/**
 * BPTT for a layer whose every output may get a gradient (return_sequences, or a layer below
 * another LSTM), as the whole-run functions call it: as lstm_backward, but dh on exit is
 * unspecified (the U dz_0 product, whose only use is the gradient w.r.t. h_0, is skipped: 1/L of
 * the dh work); plus dext (L,H), the gradient w.r.t. output t = h_{t+1} added to
 * dh at step t (0: none), and dx (L,D), written with the gradient w.r.t. the inputs x_t = W dz_t
 * (0: not wanted). W (D,4H) is read only for dx.
 */
export function lstm_backward_seq(
  dW: usize, dU: usize, db: usize, dh: usize, dc: usize, dext: usize, dx: usize,
  hs: usize, cs: usize, gates: usize, x: usize, W: usize, U: usize,
  L: i32, D: i32, H: i32, act: i32,
): void {
  lstm_backward_impl(dW, dU, db, dh, dc, dext, dx, hs, cs, gates, x, W, U, L, D, H, act, false);
}

@inline function lstm_backward_impl(
  dW: usize, dU: usize, db: usize, dh: usize, dc: usize, dext: usize, dx: usize,
  hs: usize, cs: usize, gates: usize, x: usize, W: usize, U: usize,
  L: i32, D: i32, H: i32, act: i32, wantDh0: bool,
): void {
  const row = <usize>H << 2;
  const row2 = row << 1;
  const row3 = row * 3;
  const row4 = row << 2;
  const H4 = <usize>(H & ~3) << 2;
  const xrow = <usize>D << 2;
  const one = splat(1.0);
  zero_bytes(dc, row);
  for (let t = L - 1; t >= 0; t--) {
    const cp = cs + <usize>t * row; // c_{t-1}
    const cn = cp + row; // c_t
    const gt = gates + <usize>t * row4; // [i|f|g|o] in, dz out
    if (dext != 0) add_row(dh, dext + <usize>t * row, row);
    // 1. elementwise: dz over the gates row; dc <- dc_{t-1}
    let u: usize = 0;
    for (; u < H4; u += 16) {
      const dhv = v128.load(dh + u);
      const i = v128.load(gt + u);
      const f = v128.load(gt + row + u);
      const g = v128.load(gt + row2 + u);
      const o = v128.load(gt + row3 + u);
      const tc = tanh4(v128.load(cn + u));
      const dov = f32x4.mul(dhv, tc);
      const dcv = f32x4.add(v128.load(dc + u), f32x4.mul(f32x4.mul(dhv, o), f32x4.sub(one, f32x4.mul(tc, tc))));
      const di = f32x4.mul(dcv, g);
      const dg = f32x4.mul(dcv, i);
      const df = f32x4.mul(dcv, v128.load(cp + u));
      v128.store(dc + u, f32x4.mul(dcv, f));
      v128.store(gt + u, f32x4.mul(di, dgate4(i, act)));
      v128.store(gt + row + u, f32x4.mul(df, dgate4(f, act)));
      v128.store(gt + row2 + u, f32x4.mul(dg, f32x4.sub(one, f32x4.mul(g, g))));
      v128.store(gt + row3 + u, f32x4.mul(dov, dgate4(o, act)));
    }
    for (; u < row; u += 4) {
      const dhu = load<f32>(dh + u);
      const i = load<f32>(gt + u);
      const f = load<f32>(gt + row + u);
      const g = load<f32>(gt + row2 + u);
      const o = load<f32>(gt + row3 + u);
      const tc = tanh1(load<f32>(cn + u));
      const dov = dhu * tc;
      const dcu = load<f32>(dc + u) + dhu * o * (1.0 - tc * tc);
      const di = dcu * g;
      const dg = dcu * i;
      const df = dcu * load<f32>(cp + u);
      store<f32>(dc + u, dcu * f);
      store<f32>(gt + u, di * dgatef(i, act));
      store<f32>(gt + row + u, df * dgatef(f, act));
      store<f32>(gt + row2 + u, dg * (1.0 - g * g));
      store<f32>(gt + row3 + u, dov * dgatef(o, act));
    }
    // 2. dh_{t-1} = U dz
    if (t == 0 && !wantDh0) break;
    rows_dot(dh, U, row, gt, row4);
  }
  if (dx != 0) {
    for (let t = 0; t < L; t++) rows_dot(dx + <usize>t * xrow, W, xrow, gates + <usize>t * row4, row4);
  }
  // 3. db += Σ_t dz_t;  dW += Σ_t x_tᵀ dz_t;  dU += Σ_t h_{t-1}ᵀ dz_t  (h_{t-1} = hs row t)
  rows_acc(db, gates, L, row4);
  outer_acc(dW, x, xrow, D, gates, L, row4);
  outer_acc(dU, hs, row, H, gates, L, row4);
}

/** Reference twin of lstm_backward: plain loops, Mathf activations; same contract (dz over gates). */
export function lstm_backward_scalar(
  dW: usize, dU: usize, db: usize, dh: usize, dc: usize, dgates: usize,
  hs: usize, cs: usize, gates: usize, x: usize, U: usize,
  L: i32, D: i32, H: i32, act: i32,
): void {
  lstm_backward_seq_scalar(dW, dU, db, dh, dc, 0, 0, hs, cs, gates, x, 0, U, L, D, H, act);
}

/** Reference twin of lstm_backward_seq (dh on exit: the gradient w.r.t. h_0). */
export function lstm_backward_seq_scalar(
  dW: usize, dU: usize, db: usize, dh: usize, dc: usize, dext: usize, dx: usize,
  hs: usize, cs: usize, gates: usize, x: usize, W: usize, U: usize,
  L: i32, D: i32, H: i32, act: i32,
): void {
  const G = 4 * H;
  for (let u = 0; u < H; u++) store<f32>(dc + (<usize>u << 2), 0);
  for (let t = L - 1; t >= 0; t--) {
    const hp = hs + (<usize>(t * H) << 2);
    const cp = cs + (<usize>(t * H) << 2);
    const cn = cs + (<usize>((t + 1) * H) << 2);
    const gt = gates + (<usize>(t * G) << 2);
    const xt = x + (<usize>(t * D) << 2);
    if (dext != 0) {
      for (let u = 0; u < H; u++) {
        const p = dh + (<usize>u << 2);
        store<f32>(p, load<f32>(p) + load<f32>(dext + (<usize>(t * H + u) << 2)));
      }
    }
    for (let u = 0; u < H; u++) {
      const dhu = load<f32>(dh + (<usize>u << 2));
      const i = load<f32>(gt + (<usize>u << 2));
      const f = load<f32>(gt + (<usize>(H + u) << 2));
      const g = load<f32>(gt + (<usize>(2 * H + u) << 2));
      const o = load<f32>(gt + (<usize>(3 * H + u) << 2));
      const tc = Mathf.tanh(load<f32>(cn + (<usize>u << 2)));
      const dov = dhu * tc;
      const dcu = load<f32>(dc + (<usize>u << 2)) + dhu * o * (1.0 - tc * tc);
      const di = dcu * g;
      const dg = dcu * i;
      const df = dcu * load<f32>(cp + (<usize>u << 2));
      store<f32>(dc + (<usize>u << 2), dcu * f);
      store<f32>(gt + (<usize>u << 2), di * dgatef(i, act));
      store<f32>(gt + (<usize>(H + u) << 2), df * dgatef(f, act));
      store<f32>(gt + (<usize>(2 * H + u) << 2), dg * (1.0 - g * g));
      store<f32>(gt + (<usize>(3 * H + u) << 2), dov * dgatef(o, act));
    }
    for (let j = 0; j < G; j++) {
      const dz = load<f32>(gt + (<usize>j << 2));
      const pb = db + (<usize>j << 2);
      store<f32>(pb, load<f32>(pb) + dz);
      for (let d = 0; d < D; d++) {
        const p = dW + (<usize>(d * G + j) << 2);
        store<f32>(p, load<f32>(p) + load<f32>(xt + (<usize>d << 2)) * dz);
      }
    }
    for (let k = 0; k < H; k++) {
      const hk = load<f32>(hp + (<usize>k << 2));
      for (let j = 0; j < G; j++) {
        const p = dU + (<usize>(k * G + j) << 2);
        store<f32>(p, load<f32>(p) + hk * load<f32>(gt + (<usize>j << 2)));
      }
    }
    if (dx != 0) {
      for (let d = 0; d < D; d++) {
        let s: f32 = 0;
        for (let j = 0; j < G; j++) s += load<f32>(W + (<usize>(d * G + j) << 2)) * load<f32>(gt + (<usize>j << 2));
        store<f32>(dx + (<usize>(t * D + d) << 2), s);
      }
    }
    for (let k = 0; k < H; k++) {
      let s: f32 = 0;
      for (let j = 0; j < G; j++) {
        s += load<f32>(U + (<usize>(k * G + j) << 2)) * load<f32>(gt + (<usize>j << 2));
      }
      store<f32>(dh + (<usize>k << 2), s);
    }
  }
}
