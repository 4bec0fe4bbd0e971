// The whole WASM surface at a glance: re-exports only (plus heap_base for the allocator in src/wasm.ts).
// Pointers are byte offsets into linear memory; every SIMD kernel has a `_scalar` twin with the
// same signature. Shapes and math are stated atop each file.
export { lstm_forward, lstm_forward_scalar, lstm_backward, lstm_backward_scalar } from './lstm';
export { dense_forward, dense_forward_scalar, dense_backward, dense_backward_scalar } from './dense';
export {
  softmax_ce_forward, softmax_ce_forward_scalar, softmax_ce_backward, softmax_ce_backward_scalar,
} from './loss';
export { adam_update, adam_update_scalar } from './adam';
export { vec_exp, vec_tanh, vec_sigmoid } from './simd';
export { grad_batch, adam_step, train_batches, eval_batches, predict_batch } from './train';

export function heap_base(): usize { return __heap_base; }
