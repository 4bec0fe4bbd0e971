// The whole WASM surface at a glance: re-exports only (plus heap_base for the allocator in src/wasm.ts).
// Pointers are byte offsets into linear memory; every SIMD kernel has a `_scalar` twin with the
// same signature. Shapes and math are stated atop each file; the tables' slots are in abi.ts.
export {
  panel_floats, pack_panels, gemm_nn, gemm_nn_scalar, gemm_nn_p, gemm_nn_p_scalar, gemm_nn_bias, gemm_nn_bias_scalar, gemm_nn_bias_p, gemm_tn, gemm_tn_scalar,
  gemm_tn_p, gemm_tn_p_scalar, gemm_nt, gemm_nt_scalar, col_sum, col_sum_scalar,
} from './ops/gemm';
export {
  lstm_cell_forward, lstm_cell_forward_scalar, lstm_cell_backward, lstm_cell_backward_scalar,
} from './layers/lstm';
export {
  softmax_ce_forward, softmax_ce_forward_scalar, softmax_ce_backward, softmax_ce_backward_scalar,
} from './loss';
export { adam_update, adam_update_scalar } from './optim/adam';
export {
  sgd_update, sgd_update_scalar, rmsprop_update, rmsprop_update_scalar,
  clip_norm, clip_norm_scalar, clip_value, clip_value_scalar,
} from './optim/rules';
export {
  head_forward, head_forward_scalar, head_backward, head_backward_scalar,
  loss_forward, loss_forward_scalar, loss_backward, loss_backward_scalar,
} from './head';
export { vec_exp, vec_tanh, vec_sigmoid } from './simd';
export { adam_step, optimizer_step } from './optim/index';
export { grad_batch, train_batches, eval_batches, predict_batch, predict_steps } from './model';

export function heap_base(): usize { return __heap_base; }
