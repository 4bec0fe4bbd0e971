// LSTM over a chunk of B samples, Keras layout, gate blocks ordered i, f, c(g), o.
//   z_t = x_t W + h_{t-1} U + b;  i=σ(z_i) f=σ(z_f) g=tanh(z_c) o=σ(z_o)
//   c_t = f*c_{t-1} + i*g;  h_t = o*tanh(c_t)                 σ: RACT_SIGMOID or RACT_HARD_SIGMOID
//   backward (BPTT): dz_t;  dW += Σ x_tᵀ dz_t;  dU += Σ h_{t-1}ᵀ dz_t;  db += Σ dz_t;
//                    dh_{t-1} = dz_t Uᵀ;  dx_t = dz_t Wᵀ
// Rows are packed per step (the idea of PyTorch's packed sequences): the chunk's samples are sorted
// longest first, step t runs the ACT[t] samples still going, a prefix, in rows OFF[t] .. OFF[t+1).
// Padded steps are never computed.
// Record: W0 kernel (D,4H)  W1 recurrent_kernel (H,4H)  W2 bias (4H)  S0, S1 state blocks h, c (BS,H)
//   K0 hs, K1 cs ((BCAP + RCAP), H): rows [BCAP - B, BCAP) the initial states, then row BCAP + OFF[t] + p
//      holds h_t (c_t) of sorted sample p; so with equal lengths, h_{t-1} of every row is one block.
//   K2 gates (RCAP, 4H): z, then the activations [i|f|g|o] after the forward, dz after the backward
//   K3 (RCAP, H): h_{t-1} per row, gathered when lengths differ   K4 dh, K5 dc (BCAP, H)
//   K6 (FL_PACK) U, then W, in 16-column panels   K7 (FL_PACK) dz in 16-column panels
//   Y: h of every step (an alias of hs rows, FL_SEQ_OUT) or each sample's last h (B, H)
// Every z element is summed in the same order as the per-sample kernels this replaced (b, then over
// d, then over k): the SIMD forward keeps their bits at any B. The backward's per-sample order is
// kept at B = 1 (dh by 4-lane sums, weight gradients summed over steps t = 0..L-1; the scalar twin
// sums t = L-1..0 per step); at B > 1 sums run over rows in packed order (t-major).
import {
  H_SIMD, H_PARAMS_PTR, H_GRADS_PTR, H_B, H_T, H_R, H_BCAP, H_EQUAL, H_USESTATE, H_BS, H_POS_PTR, H_LEN_PTR,
  H_ACT_PTR, H_OFF_PTR, LR_D, LR_H, LR_FLAGS, LR_RACT, LR_W0, LR_W1, LR_W2, LR_S0_PTR, LR_S1_PTR, LR_X_PTR,
  LR_Y_PTR, LR_DX_PTR, LR_DY_PTR, LR_K0_PTR, LR_K1_PTR, LR_K2_PTR, LR_K3_PTR, LR_K4_PTR, LR_K5_PTR, LR_K6_PTR,
  LR_K7_PTR, FL_SEQ_OUT, FL_PACK,
} from '../abi';
import { slot, uslot, ival } from '../slots';
import { tanh4, gate4, dgate4, tanh1, gate1, dgatef, gatef, zero_bytes, copy_bytes, splat } from '../simd';
import {
  gemm_nn, gemm_nn_scalar, gemm_nn_p, gemm_nn_bias, gemm_nn_bias_p, gemm_nn_bias_scalar, pack_panels, panel_floats,
  gemm_nt, gemm_nt_scalar, gemm_tn, gemm_tn_scalar, gemm_tn_p, col_sum, col_sum_scalar,
} from '../ops/gemm';

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
 * The cell over `rows` rows: gates (rows, 4H) holds z on entry, the activations [i|f|g|o] on exit;
 * reads c_prev (rows, H), writes c, h (rows, H). 4 units at a time, the H%4 tail on one lane with
 * the same approximations.
 */
export function lstm_cell_forward(gates: usize, c_prev: usize, c: usize, h: usize, rows: i32, H: i32, act: i32): void {
  const row = <usize>H << 2;
  const row2 = row << 1;
  const row3 = row * 3;
  const row4 = row << 2;
  const H4 = <usize>(H & ~3) << 2;
  for (let q = 0; q < rows; q++) {
    const gt = gates + <usize>q * row4;
    const cp = c_prev + <usize>q * row;
    const cn = c + <usize>q * row;
    const hn = h + <usize>q * row;
    let u: usize = 0;
    for (; u < H4; u += 16) {
      const g = gt + u;
      cell4(v128.load(g), v128.load(g + row), v128.load(g + row2), v128.load(g + row3), act, cp + u, cn + u, hn + u, g, row);
    }
    for (; u < row; u += 4) {
      const i = gate1(load<f32>(gt + u), act);
      const f = gate1(load<f32>(gt + row + u), act);
      const g = tanh1(load<f32>(gt + row2 + u));
      const o = gate1(load<f32>(gt + row3 + u), act);
      const cv = f * load<f32>(cp + u) + i * g;
      store<f32>(cn + u, cv);
      store<f32>(hn + u, o * tanh1(cv));
      store<f32>(gt + u, i);
      store<f32>(gt + row + u, f);
      store<f32>(gt + row2 + u, g);
      store<f32>(gt + row3 + u, o);
    }
  }
}

/** Reference twin of lstm_cell_forward: Mathf activations. */
export function lstm_cell_forward_scalar(gates: usize, c_prev: usize, c: usize, h: usize, rows: i32, H: i32, act: i32): void {
  for (let q = 0; q < rows; q++) {
    const z = gates + (<usize>(q * 4 * H) << 2);
    const cp = c_prev + (<usize>(q * H) << 2);
    const cn = c + (<usize>(q * H) << 2);
    const hn = h + (<usize>(q * H) << 2);
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
      const cv = f * load<f32>(cp + (<usize>u << 2)) + i * g;
      store<f32>(cn + (<usize>u << 2), cv);
      store<f32>(hn + (<usize>u << 2), o * Mathf.tanh(cv));
    }
  }
}

/**
 * The cell's backward over `rows` rows: on entry dh = dLoss/dh_t, dc = dLoss/dc_t from the step
 * after (0 at a sample's last step), gates the activations; on exit gates holds dz_t and
 * dc = dLoss/dc_{t-1}. c_prev, c: (rows, H).
 */
export function lstm_cell_backward(gates: usize, dh: usize, dc: usize, c_prev: usize, c: usize, rows: i32, H: i32, act: i32): void {
  const row = <usize>H << 2;
  const row2 = row << 1;
  const row3 = row * 3;
  const row4 = row << 2;
  const H4 = <usize>(H & ~3) << 2;
  const one = splat(1.0);
  for (let q = 0; q < rows; q++) {
    const gt = gates + <usize>q * row4;
    const cp = c_prev + <usize>q * row;
    const cn = c + <usize>q * row;
    const dhq = dh + <usize>q * row;
    const dcq = dc + <usize>q * row;
    let u: usize = 0;
    for (; u < H4; u += 16) {
      const dhv = v128.load(dhq + u);
      const i = v128.load(gt + u);
      const f = v128.load(gt + row + u);
      const g = v128.load(gt + row2 + u);
      const o = v128.load(gt + row3 + u);
      const tc = tanh4(v128.load(cn + u));
      const dov = f32x4.mul(dhv, tc);
      const dcv = f32x4.add(v128.load(dcq + u), f32x4.mul(f32x4.mul(dhv, o), f32x4.sub(one, f32x4.mul(tc, tc))));
      const di = f32x4.mul(dcv, g);
      const dg = f32x4.mul(dcv, i);
      const df = f32x4.mul(dcv, v128.load(cp + u));
      v128.store(dcq + u, f32x4.mul(dcv, f));
      v128.store(gt + u, f32x4.mul(di, dgate4(i, act)));
      v128.store(gt + row + u, f32x4.mul(df, dgate4(f, act)));
      v128.store(gt + row2 + u, f32x4.mul(dg, f32x4.sub(one, f32x4.mul(g, g))));
      v128.store(gt + row3 + u, f32x4.mul(dov, dgate4(o, act)));
    }
    for (; u < row; u += 4) {
      const dhu = load<f32>(dhq + u);
      const i = load<f32>(gt + u);
      const f = load<f32>(gt + row + u);
      const g = load<f32>(gt + row2 + u);
      const o = load<f32>(gt + row3 + u);
      const tc = tanh1(load<f32>(cn + u));
      const dov = dhu * tc;
      const dcu = load<f32>(dcq + u) + dhu * o * (1.0 - tc * tc);
      const di = dcu * g;
      const dg = dcu * i;
      const df = dcu * load<f32>(cp + u);
      store<f32>(dcq + u, dcu * f);
      store<f32>(gt + u, di * dgatef(i, act));
      store<f32>(gt + row + u, df * dgatef(f, act));
      store<f32>(gt + row2 + u, dg * (1.0 - g * g));
      store<f32>(gt + row3 + u, dov * dgatef(o, act));
    }
  }
}

/** Reference twin of lstm_cell_backward: Mathf activations. */
export function lstm_cell_backward_scalar(gates: usize, dh: usize, dc: usize, c_prev: usize, c: usize, rows: i32, H: i32, act: i32): void {
  for (let q = 0; q < rows; q++) {
    const gt = gates + (<usize>(q * 4 * H) << 2);
    const cp = c_prev + (<usize>(q * H) << 2);
    const cn = c + (<usize>(q * H) << 2);
    const dhq = dh + (<usize>(q * H) << 2);
    const dcq = dc + (<usize>(q * H) << 2);
    for (let u = 0; u < H; u++) {
      const dhu = load<f32>(dhq + (<usize>u << 2));
      const i = load<f32>(gt + (<usize>u << 2));
      const f = load<f32>(gt + (<usize>(H + u) << 2));
      const g = load<f32>(gt + (<usize>(2 * H + u) << 2));
      const o = load<f32>(gt + (<usize>(3 * H + u) << 2));
      const tc = Mathf.tanh(load<f32>(cn + (<usize>u << 2)));
      const dov = dhu * tc;
      const dcu = load<f32>(dcq + (<usize>u << 2)) + dhu * o * (1.0 - tc * tc);
      const di = dcu * g;
      const dg = dcu * i;
      const df = dcu * load<f32>(cp + (<usize>u << 2));
      store<f32>(dcq + (<usize>u << 2), dcu * f);
      store<f32>(gt + (<usize>u << 2), di * dgatef(i, act));
      store<f32>(gt + (<usize>(H + u) << 2), df * dgatef(f, act));
      store<f32>(gt + (<usize>(2 * H + u) << 2), dg * (1.0 - g * g));
      store<f32>(gt + (<usize>(3 * H + u) << 2), dov * dgatef(o, act));
    }
  }
}

// dst[0..bytes) += src[0..bytes), bytes a multiple of 4
@inline function add_bytes(dst: usize, src: usize, bytes: usize): void {
  let u: usize = 0;
  for (; u + 16 <= bytes; u += 16) v128.store(dst + u, f32x4.add(v128.load(dst + u), v128.load(src + u)));
  for (; u < bytes; u += 4) store<f32>(dst + u, load<f32>(dst + u) + load<f32>(src + u));
}

// The row of sorted sample p's state after its last step: its initial row when it has no steps.
@inline function last_row(model: usize, out: usize, init: usize, p: i32, row: usize): usize {
  const L = ival(uslot(model, H_LEN_PTR), p);
  return L == 0 ? init + <usize>p * row : out + <usize>(ival(uslot(model, H_OFF_PTR), L - 1) + p) * row;
}

/** Forward over the chunk: hs, cs, gates filled; Y the outputs; state slots updated when used. */
export function lstm_layer_forward(model: usize, r: usize): void {
  const simd = slot(model, H_SIMD) != 0;
  const B = slot(model, H_B);
  const T = slot(model, H_T);
  const R = slot(model, H_R);
  const Bcap = slot(model, H_BCAP);
  const D = slot(r, LR_D);
  const H = slot(r, LR_H);
  const G = 4 * H;
  const act = slot(r, LR_RACT);
  const pack = (slot(r, LR_FLAGS) & FL_PACK) != 0;
  const params = uslot(model, H_PARAMS_PTR);
  const W = params + uslot(r, LR_W0);
  const U = params + uslot(r, LR_W1);
  const b = params + uslot(r, LR_W2);
  const X = uslot(r, LR_X_PTR);
  const row = <usize>H << 2;
  const grow = <usize>G << 2;
  const hs = uslot(r, LR_K0_PTR);
  const cs = uslot(r, LR_K1_PTR);
  const gates = uslot(r, LR_K2_PTR);
  const h0 = hs + <usize>(Bcap - B) * row;
  const c0 = cs + <usize>(Bcap - B) * row;
  const outH = hs + <usize>Bcap * row;
  const outC = cs + <usize>Bcap * row;
  const act_t = uslot(model, H_ACT_PTR);
  const off_t = uslot(model, H_OFF_PTR);
  const useState = slot(model, H_USESTATE) != 0;
  const pos = uslot(model, H_POS_PTR);
  const BS = max(1, slot(model, H_BS));
  const S0 = uslot(r, LR_S0_PTR);
  const S1 = uslot(r, LR_S1_PTR);
  // 1. initial states: each sample's slot, or zeros
  if (useState) {
    for (let p = 0; p < B; p++) {
      const s = <usize>(ival(pos, p) % BS) * row;
      copy_bytes(h0 + <usize>p * row, S0 + s, row);
      copy_bytes(c0 + <usize>p * row, S1 + s, row);
    }
  } else {
    zero_bytes(h0, <usize>B * row);
    zero_bytes(c0, <usize>B * row);
  }
  // 2. z = b + x W for every row at once (W in panels too, when U is)
  const Up = uslot(r, LR_K6_PTR);
  if (!simd) gemm_nn_bias_scalar(gates, X, W, b, R, G, D, D, G, G, 0, 1);
  else if (pack) {
    const Wp = Up + (<usize>panel_floats(H, G) << 2);
    pack_panels(Up, U, H, G, G);
    pack_panels(Wp, W, D, G, G);
    gemm_nn_bias_p(gates, X, Wp, b, R, G, D, D, G, 0, 1);
  } else gemm_nn_bias(gates, X, W, b, R, G, D, D, G, G, 0, 1);
  // 3. the steps: z += h_{t-1} U over the samples still running, then the cell
  for (let t = 0; t < T; t++) {
    const At = ival(act_t, t);
    const off = ival(off_t, t);
    const hp = t == 0 ? h0 : outH + <usize>ival(off_t, t - 1) * row;
    const cp = t == 0 ? c0 : outC + <usize>ival(off_t, t - 1) * row;
    const gt = gates + <usize>off * grow;
    if (!simd) {
      gemm_nn_scalar(gt, hp, U, At, G, H, H, G, G, 1, 0, 1);
      lstm_cell_forward_scalar(gt, cp, outC + <usize>off * row, outH + <usize>off * row, At, H, act);
    } else {
      if (pack) gemm_nn_p(gt, hp, Up, At, G, H, H, G, 1, 0, 1);
      else gemm_nn(gt, hp, U, At, G, H, H, G, G, 1, 0, 1);
      lstm_cell_forward(gt, cp, outC + <usize>off * row, outH + <usize>off * row, At, H, act);
    }
  }
  // 4. last states into the slots; the last step's h as the output (without returnSequences)
  if (useState) {
    for (let p = 0; p < B; p++) {
      const s = <usize>(ival(pos, p) % BS) * row;
      copy_bytes(S0 + s, last_row(model, outH, h0, p, row), row);
      copy_bytes(S1 + s, last_row(model, outC, c0, p, row), row);
    }
  }
  if ((slot(r, LR_FLAGS) & FL_SEQ_OUT) == 0) {
    const Y = uslot(r, LR_Y_PTR);
    for (let p = 0; p < B; p++) copy_bytes(Y + <usize>p * row, last_row(model, outH, h0, p, row), row);
  }
}

/** BPTT over the chunk from DY; accumulates dW, dU, db into grads; writes DX when wanted. */
export function lstm_layer_backward(model: usize, r: usize): void {
  const simd = slot(model, H_SIMD) != 0;
  const B = slot(model, H_B);
  const T = slot(model, H_T);
  const R = slot(model, H_R);
  const Bcap = slot(model, H_BCAP);
  const D = slot(r, LR_D);
  const H = slot(r, LR_H);
  const G = 4 * H;
  const act = slot(r, LR_RACT);
  const flags = slot(r, LR_FLAGS);
  const pack = (flags & FL_PACK) != 0;
  const seq = (flags & FL_SEQ_OUT) != 0;
  const params = uslot(model, H_PARAMS_PTR);
  const grads = uslot(model, H_GRADS_PTR);
  const W = params + uslot(r, LR_W0);
  const U = params + uslot(r, LR_W1);
  const dW = grads + uslot(r, LR_W0);
  const dU = grads + uslot(r, LR_W1);
  const db = grads + uslot(r, LR_W2);
  const X = uslot(r, LR_X_PTR);
  const dX = uslot(r, LR_DX_PTR);
  const dY = uslot(r, LR_DY_PTR);
  const row = <usize>H << 2;
  const grow = <usize>G << 2;
  const xrow = <usize>D << 2;
  const hs = uslot(r, LR_K0_PTR);
  const cs = uslot(r, LR_K1_PTR);
  const gates = uslot(r, LR_K2_PTR);
  const dh = uslot(r, LR_K4_PTR);
  const dc = uslot(r, LR_K5_PTR);
  const h0 = hs + <usize>(Bcap - B) * row;
  const c0 = cs + <usize>(Bcap - B) * row;
  const outH = hs + <usize>Bcap * row;
  const outC = cs + <usize>Bcap * row;
  const act_t = uslot(model, H_ACT_PTR);
  const off_t = uslot(model, H_OFF_PTR);
  // dh starts as each sample's last-output gradient, or 0 when every output's comes per step
  if (seq) zero_bytes(dh, <usize>B * row);
  else copy_bytes(dh, dY, <usize>B * row);
  zero_bytes(dc, <usize>B * row);
  for (let t = T - 1; t >= 0; t--) {
    const At = ival(act_t, t);
    const off = ival(off_t, t);
    const gt = gates + <usize>off * grow;
    const cp = t == 0 ? c0 : outC + <usize>ival(off_t, t - 1) * row;
    if (seq) add_bytes(dh, dY + <usize>off * row, <usize>At * row);
    if (simd) {
      lstm_cell_backward(gt, dh, dc, cp, outC + <usize>off * row, At, H, act);
      if (t == 0) break; // dh_0 has no use
      gemm_nt(dh, gt, U, At, H, G, G, G, H, 0, 0, 1);
    } else {
      // the reference order: every weight gradient summed per step, t = T-1 .. 0
      const hp = t == 0 ? h0 : outH + <usize>ival(off_t, t - 1) * row;
      lstm_cell_backward_scalar(gt, dh, dc, cp, outC + <usize>off * row, At, H, act);
      col_sum_scalar(db, gt, At, G, G);
      gemm_tn_scalar(dW, X + <usize>off * xrow, gt, D, G, At, D, G, G, 0, 1);
      gemm_tn_scalar(dU, hp, gt, H, G, At, H, G, G, 0, 1);
      if (dX != 0) gemm_nt_scalar(dX + <usize>off * xrow, gt, W, At, D, G, G, G, D, 0, 0, 1);
      gemm_nt_scalar(dh, gt, U, At, H, G, G, G, H, 0, 0, 1);
    }
  }
  if (!simd) return;
  // every row at once: dx = dz Wᵀ; db += Σ dz; dW += xᵀ dz; dU += h_{t-1}ᵀ dz
  if (dX != 0) gemm_nt(dX, gates, W, R, D, G, G, G, D, 0, 0, 1);
  col_sum(db, gates, R, G, G);
  let hprev = h0; // with equal lengths row (t, p)'s h_{t-1} is row t·B + p of this block
  if (slot(model, H_EQUAL) == 0) {
    hprev = uslot(r, LR_K3_PTR);
    for (let t = 0; t < T; t++) {
      const src = t == 0 ? h0 : outH + <usize>ival(off_t, t - 1) * row;
      copy_bytes(hprev + <usize>ival(off_t, t) * row, src, <usize>ival(act_t, t) * row);
    }
  }
  if (pack) {
    const Gp = uslot(r, LR_K7_PTR);
    pack_panels(Gp, gates, R, G, G);
    gemm_tn_p(dW, X, Gp, D, G, R, D, G, 0, 1);
    gemm_tn_p(dU, hprev, Gp, H, G, R, H, G, 0, 1);
  } else {
    gemm_tn(dW, X, gates, D, G, R, D, G, G, 0, 1);
    gemm_tn(dU, hprev, gates, H, G, R, H, G, G, 0, 1);
  }
}
