// One optimizer step from the gradients in grads, as the optimizer record says: Keras 2's clipping
// (clipnorm per weight tensor, clipvalue per element), then the rule (Adam, SGD or RMSprop).
// The rules are flat loops over params | grads | m | v (adam.ts, rules.ts).
import {
  H_SIMD, H_PARAMS_PTR, H_GRADS_PTR, H_M_PTR, H_V_PTR, H_P, H_OPT_PTR, H_NT, H_TT_PTR,
  OP_KIND, OP_STEP, OP_LR, OP_BETA1, OP_BETA2, OP_EPS, OP_MOMENTUM, OP_NESTEROV, OP_RHO, OP_CENTERED,
  OP_RMS_INSIDE, OP_CLIPNORM, OP_CLIPVALUE, OPT_ADAM, OPT_SGD,
} from '../abi';
import { slot, uslot, fslot, set_slot } from '../slots';
import { adam_update, adam_update_scalar } from './adam';
import {
  sgd_update, sgd_update_scalar, rmsprop_update, rmsprop_update_scalar, clip_norm, clip_norm_scalar, clip_value,
  clip_value_scalar,
} from './rules';

/** step += 1; lr_t = lr sqrt(1-β2^t)/(1-β1^t) (f64, then f32); Adam over all P floats. */
export function adam_step(model: usize): void {
  const o = uslot(model, H_OPT_PTR);
  const t = slot(o, OP_STEP) + 1;
  set_slot(o, OP_STEP, t);
  const lr = <f64>fslot(o, OP_LR);
  const b1 = fslot(o, OP_BETA1);
  const b2 = fslot(o, OP_BETA2);
  const lr_t = <f32>((lr * Math.sqrt(1.0 - Math.pow(<f64>b2, <f64>t))) / (1.0 - Math.pow(<f64>b1, <f64>t)));
  const params = uslot(model, H_PARAMS_PTR);
  const grads = uslot(model, H_GRADS_PTR);
  const m = uslot(model, H_M_PTR);
  const v = uslot(model, H_V_PTR);
  const P = slot(model, H_P);
  const eps = fslot(o, OP_EPS);
  if (slot(model, H_SIMD) != 0) adam_update(params, grads, m, v, P, lr_t, b1, b2, eps);
  else adam_update_scalar(params, grads, m, v, P, lr_t, b1, b2, eps);
}

/** Clipping, then the update rule of the optimizer record; step += 1. */
export function optimizer_step(model: usize): void {
  const simd = slot(model, H_SIMD) != 0;
  const o = uslot(model, H_OPT_PTR);
  const grads = uslot(model, H_GRADS_PTR);
  const P = slot(model, H_P);
  const cn = fslot(o, OP_CLIPNORM);
  if (cn > 0) {
    const tt = uslot(model, H_TT_PTR);
    for (let k = 0; k < slot(model, H_NT); k++) {
      // each weight tensor on its own: (byte offset, floats) pairs in the tensor table
      const g = grads + <usize>load<u32>(tt + (<usize>k << 3));
      const n = load<i32>(tt + (<usize>k << 3), 4);
      if (simd) clip_norm(g, n, cn);
      else clip_norm_scalar(g, n, cn);
    }
  }
  const cv = fslot(o, OP_CLIPVALUE);
  if (cv > 0) {
    if (simd) clip_value(grads, P, cv);
    else clip_value_scalar(grads, P, cv);
  }
  const kind = slot(o, OP_KIND);
  if (kind == OPT_ADAM) {
    adam_step(model);
    return;
  }
  set_slot(o, OP_STEP, slot(o, OP_STEP) + 1);
  const params = uslot(model, H_PARAMS_PTR);
  const m = uslot(model, H_M_PTR);
  const v = uslot(model, H_V_PTR);
  const lr = fslot(o, OP_LR);
  const mu = fslot(o, OP_MOMENTUM);
  if (kind == OPT_SGD) {
    const nest = slot(o, OP_NESTEROV);
    if (simd) sgd_update(params, grads, m, P, lr, mu, nest);
    else sgd_update_scalar(params, grads, m, P, lr, mu, nest);
  } else {
    const rho = fslot(o, OP_RHO);
    const eps = fslot(o, OP_EPS);
    const cen = slot(o, OP_CENTERED);
    const ins = slot(o, OP_RMS_INSIDE);
    if (simd) rmsprop_update(params, grads, m, v, P, lr, rho, eps, mu, cen, ins);
    else rmsprop_update_scalar(params, grads, m, v, P, lr, rho, eps, mu, cen, ins);
  }
}
