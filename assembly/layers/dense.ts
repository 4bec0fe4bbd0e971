// Dense over rows (one per sample, or one per step when FL_SEQ_IN: Keras's Dense on 3-D input,
// TimeDistributed(Dense)), Keras layout.   X (rows, D)  K (D, F)  bd (F)  Z, Y (rows, F)
//   forward:  Z = X K + bd;  Y = act(Z) (ACT_*; softmax over each row)
//   backward: dZ = dY·act'(Z) (in place in DY; the loss writes dZ itself when fused with softmax);
//             dK += Xᵀ dZ;  dbd += Σ_rows dZ;  dX = dZ Kᵀ
// Record: W0 kernel, W1 bias, K0 Z. Each Z element is summed as bd, then over d in order: the
// per-vector kernel this replaced gave the same bits.
import {
  H_SIMD, H_PARAMS_PTR, H_GRADS_PTR, H_B, H_R, LR_D, LR_F, LR_FLAGS, LR_ACT, LR_W0, LR_W1, LR_X_PTR, LR_Y_PTR,
  LR_DX_PTR, LR_DY_PTR, LR_K0_PTR, FL_SEQ_IN, ACT_SOFTMAX,
} from '../abi';
import { slot, uslot } from '../slots';
import { gemm_nn_bias, gemm_nn_bias_scalar, gemm_nt, gemm_nt_scalar, gemm_tn, gemm_tn_scalar, col_sum, col_sum_scalar } from '../ops/gemm';
import { head_forward, head_forward_scalar, head_backward, head_backward_scalar } from '../head';
import { softmax_simd, softmax_ref } from '../loss';

@inline function rows_of(model: usize, r: usize): i32 {
  return (slot(r, LR_FLAGS) & FL_SEQ_IN) != 0 ? slot(model, H_R) : slot(model, H_B);
}

/** Y = act(X K + bd) per row; with `noAct` only Z (the loss applies the activation). */
export function dense_layer_forward(model: usize, r: usize, noAct: bool): void {
  const simd = slot(model, H_SIMD) != 0;
  const rows = rows_of(model, r);
  const D = slot(r, LR_D);
  const F = slot(r, LR_F);
  const params = uslot(model, H_PARAMS_PTR);
  const K = params + uslot(r, LR_W0);
  const bd = params + uslot(r, LR_W1);
  const X = uslot(r, LR_X_PTR);
  const Z = uslot(r, LR_K0_PTR);
  const frow = <usize>F << 2;
  if (simd) gemm_nn_bias(Z, X, K, bd, rows, F, D, D, F, F, 0, 1);
  else gemm_nn_bias_scalar(Z, X, K, bd, rows, F, D, D, F, F, 0, 1);
  if (noAct) return;
  const Y = uslot(r, LR_Y_PTR);
  const act = slot(r, LR_ACT);
  for (let q = 0; q < rows; q++) dense_activate(Y + <usize>q * frow, Z + <usize>q * frow, F, act, simd);
}

/** y (F) = act(z): ACT_SOFTMAX over the row, else head.ts's element-wise activations. */
export function dense_activate(y: usize, z: usize, F: i32, act: i32, simd: bool): void {
  if (act == ACT_SOFTMAX) {
    if (simd) softmax_simd(y, z, F, false);
    else softmax_ref(y, z, F, false);
  } else if (simd) head_forward(y, z, F, act);
  else head_forward_scalar(y, z, F, act);
}

/** From DY (dZ when `dzReady`): accumulates dK, dbd; writes DX when wanted. */
export function dense_layer_backward(model: usize, r: usize, dzReady: bool): void {
  const simd = slot(model, H_SIMD) != 0;
  const rows = rows_of(model, r);
  const D = slot(r, LR_D);
  const F = slot(r, LR_F);
  const params = uslot(model, H_PARAMS_PTR);
  const grads = uslot(model, H_GRADS_PTR);
  const K = params + uslot(r, LR_W0);
  const dK = grads + uslot(r, LR_W0);
  const dbd = grads + uslot(r, LR_W1);
  const X = uslot(r, LR_X_PTR);
  const Y = uslot(r, LR_Y_PTR);
  const dZ = uslot(r, LR_DY_PTR);
  const dX = uslot(r, LR_DX_PTR);
  const frow = <usize>F << 2;
  if (!dzReady) {
    const act = slot(r, LR_ACT);
    for (let q = 0; q < rows; q++) {
      const d = dZ + <usize>q * frow;
      if (simd) head_backward(d, d, Y + <usize>q * frow, F, act);
      else head_backward_scalar(d, d, Y + <usize>q * frow, F, act);
    }
  }
  if (simd) {
    col_sum(dbd, dZ, rows, F, F);
    gemm_tn(dK, X, dZ, D, F, rows, D, F, F, 0, 1);
    if (dX != 0) gemm_nt(dX, dZ, K, rows, D, F, F, F, D, 0, 0, 1);
  } else {
    col_sum_scalar(dbd, dZ, rows, F, F);
    gemm_tn_scalar(dK, X, dZ, D, F, rows, D, F, F, 0, 1);
    if (dX != 0) gemm_nt_scalar(dX, dZ, K, rows, D, F, F, F, D, 0, 0, 1);
  }
}
