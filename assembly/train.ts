// Whole runs over a dataset with no return to JavaScript: LSTM -> Dense -> softmax/CE, BPTT, Adam.
// Two descriptors (i32 slots; f32 slots hold their bit pattern) describe the model and the data:
//   MODEL: 0 Tcap 1 D 2 H 3 V 4 act 5 simd 6 params 7 grads 8 m 9 v 10 P 11 offW 12 offU 13 offB
//          14 offK 15 offBd 16 hs 17 cs 18 gates 19 logits 20 probs 21 dlogits 22 dh 23 dc
//          24 dgates 25 step(i32) 26 lr 27 beta1 28 beta2 29 adamEps 30 lossEps (f32)
//          31 opt (0 adam, 1 sgd, 2 rmsprop) 32 momentum (f32) 33 nesterov 34 rho (f32)
//          35 centered 36 rmsInside (ε inside the root: Keras 3) 37 clipnorm 38 clipvalue (f32, 0 = off)
//          39 head (0 softmax, 1 linear, 2 sigmoid, 3 tanh, 4 relu) 40 loss (0 categorical CE,
//          1 sparse categorical CE: y (N,1) labels, 2 binary CE, 3 MSE, 4 MAE; 0 and 1 need head 0)
//          41 accuracy (0 categorical/sparse: argmax, 1 binary: mean of [p > 0.5] == y) 42 aux (V floats)
//          43 metrics (bit 0: mae, bit 1: mse, summed into stats[3], stats[4])
//   DATA:  0 N 1 Tdata 2 x (N,Tdata,D) 3 y (N,V) or 0 4 starts i32[N] 5 lens i32[N]
// Sample n runs x[n][starts[n] .. starts[n]+lens[n]) from h_0 = c_0 = 0.
// stats (f64[5]) accumulates [Σ loss, Σ correct, Σ samples, Σ mae, Σ mse]; order (i32[]) or 0 for identity.
import { lstm_forward, lstm_forward_scalar, lstm_backward_train, lstm_backward_scalar } from './lstm';
import { dense_forward, dense_forward_scalar, dense_backward, dense_backward_scalar } from './dense';
import {
  softmax_ce_forward, softmax_ce_forward_scalar, softmax_ce_backward, softmax_ce_backward_scalar,
  softmax_simd, softmax_ref,
} from './loss';
import { adam_update, adam_update_scalar } from './adam';
import {
  sgd_update, sgd_update_scalar, rmsprop_update, rmsprop_update_scalar,
  clip_norm, clip_norm_scalar, clip_value, clip_value_scalar,
} from './optim';
import { zero_bytes } from './simd';
import {
  head_forward, head_forward_scalar, head_backward, head_backward_scalar,
  loss_forward, loss_forward_scalar, loss_backward, loss_backward_scalar,
} from './head';

// MODEL slots
const M_D = 1, M_H = 2, M_V = 3, M_ACT = 4, M_SIMD = 5;
const M_PARAMS = 6, M_GRADS = 7, M_M = 8, M_V2 = 9, M_P = 10;
const M_OFFW = 11, M_OFFU = 12, M_OFFB = 13, M_OFFK = 14, M_OFFBD = 15;
const M_HS = 16, M_CS = 17, M_GATES = 18, M_LOGITS = 19, M_PROBS = 20, M_DLOGITS = 21;
const M_DH = 22, M_DC = 23, M_DGATES = 24, M_STEP = 25;
const M_LR = 26, M_BETA1 = 27, M_BETA2 = 28, M_ADAMEPS = 29, M_LOSSEPS = 30;
const M_OPT = 31, M_MOMENTUM = 32, M_NESTEROV = 33, M_RHO = 34, M_CENTERED = 35, M_RMSIN = 36;
const M_CLIPNORM = 37, M_CLIPVALUE = 38, M_HEAD = 39, M_LOSS = 40, M_ACC = 41, M_AUX = 42, M_METRICS = 43;
const BCE_EPS: f32 = 1e-7; // Keras's backend epsilon, both versions
// DATA slots
const D_TDATA = 1, D_X = 2, D_Y = 3, D_STARTS = 4, D_LENS = 5;

@inline function slot(desc: usize, s: i32): i32 {
  return load<i32>(desc + (<usize>s << 2));
}
@inline function uslot(desc: usize, s: i32): usize {
  return <usize>load<u32>(desc + (<usize>s << 2));
}
@inline function fslot(desc: usize, s: i32): f32 {
  return load<f32>(desc + (<usize>s << 2));
}

@inline function sample_index(order: usize, j: i32): i32 {
  return order == 0 ? j : load<i32>(order + (<usize>j << 2));
}

// argmax with ties to the first index
@inline function argmax(p: usize, V: i32): i32 {
  let best = 0;
  let bv = load<f32>(p);
  for (let v = 1; v < V; v++) {
    const x = load<f32>(p + (<usize>v << 2));
    if (x > bv) {
      bv = x;
      best = v;
    }
  }
  return best;
}

// Sample n's target row: y (N,V), or for the sparse loss the one-hot row of its label, built in aux.
function target(model: usize, data: usize, n: i32, V: i32): usize {
  const y = uslot(data, D_Y);
  if (slot(model, M_LOSS) != 1) return y + (<usize>(n * V) << 2);
  const aux = uslot(model, M_AUX);
  zero_bytes(aux, <usize>V << 2);
  store<f32>(aux + (<usize><i32>load<f32>(y + (<usize>n << 2)) << 2), 1.0);
  return aux;
}

// Forward for sample n; leaves hs/cs/gates/logits/probs filled. With withLoss, adds the sample's
// loss, correctness and count to stats; without, only writes probs (y may be absent).
// Returns the number of steps run.
function forward_sample(model: usize, data: usize, n: i32, withLoss: bool, stats: usize): i32 {
  const D = slot(model, M_D);
  const H = slot(model, M_H);
  const V = slot(model, M_V);
  const act = slot(model, M_ACT);
  const simd = slot(model, M_SIMD) != 0;
  const params = uslot(model, M_PARAMS);
  const hs = uslot(model, M_HS);
  const cs = uslot(model, M_CS);
  const gates = uslot(model, M_GATES);
  const logits = uslot(model, M_LOGITS);
  const probs = uslot(model, M_PROBS);
  const Td = slot(data, D_TDATA);
  const start = load<i32>(uslot(data, D_STARTS) + (<usize>n << 2));
  const L = load<i32>(uslot(data, D_LENS) + (<usize>n << 2));
  const x = uslot(data, D_X) + (<usize>((n * Td + start) * D) << 2);
  const W = params + uslot(model, M_OFFW);
  const U = params + uslot(model, M_OFFU);
  const b = params + uslot(model, M_OFFB);
  const K = params + uslot(model, M_OFFK);
  const bd = params + uslot(model, M_OFFBD);
  const row = <usize>H << 2;
  zero_bytes(hs, row);
  zero_bytes(cs, row);
  const hL = hs + <usize>L * row;
  if (simd) {
    lstm_forward(hs, cs, gates, x, W, U, b, L, D, H, act);
    dense_forward(logits, hL, K, bd, H, V);
  } else {
    lstm_forward_scalar(hs, cs, gates, x, W, U, b, L, D, H, act);
    dense_forward_scalar(logits, hL, K, bd, H, V);
  }
  const head = slot(model, M_HEAD);
  const lk = slot(model, M_LOSS);
  const y = withLoss ? target(model, data, n, V) : 0;
  let loss: f32 = 0;
  if (withLoss && lk <= 1) {
    const eps = fslot(model, M_LOSSEPS);
    loss = simd
      ? softmax_ce_forward(probs, logits, y, V, eps)
      : softmax_ce_forward_scalar(probs, logits, y, V, eps);
  } else {
    // the head alone (predict, or before a loss of head.ts)
    if (head != 0) {
      if (simd) head_forward(probs, logits, V, head);
      else head_forward_scalar(probs, logits, V, head);
    } else if (simd) {
      softmax_simd(probs, logits, V, false);
    } else {
      softmax_ref(probs, logits, V, false);
    }
    if (withLoss) loss = simd ? loss_forward(probs, y, V, lk, BCE_EPS) : loss_forward_scalar(probs, y, V, lk, BCE_EPS);
  }
  if (withLoss) {
    store<f64>(stats, load<f64>(stats) + <f64>loss);
    if (slot(model, M_ACC) == 1) {
      let hit = 0;
      for (let v = 0; v < V; v++) {
        const o = <usize>v << 2;
        if ((load<f32>(probs + o) > 0.5 ? <f32>1 : <f32>0) == load<f32>(y + o)) hit++;
      }
      store<f64>(stats, load<f64>(stats, 8) + <f64>hit / <f64>V, 8);
    } else if (argmax(y, V) == argmax(probs, V)) store<f64>(stats, load<f64>(stats, 8) + 1.0, 8);
    store<f64>(stats, load<f64>(stats, 16) + 1.0, 16);
    const mets = slot(model, M_METRICS);
    if (mets != 0) {
      let ae: f64 = 0;
      let se: f64 = 0;
      for (let v = 0; v < V; v++) {
        const d = <f64>load<f32>(probs + (<usize>v << 2)) - <f64>load<f32>(y + (<usize>v << 2));
        ae += Math.abs(d);
        se += d * d;
      }
      if (mets & 1) store<f64>(stats, load<f64>(stats, 24) + ae / <f64>V, 24);
      if (mets & 2) store<f64>(stats, load<f64>(stats, 32) + se / <f64>V, 32);
    }
  }
  return L;
}

// Forward, stats, and backward (gradients scaled by `scale`, accumulated into grads) for sample n.
function train_sample(model: usize, data: usize, n: i32, scale: f32, stats: usize): void {
  const L = forward_sample(model, data, n, true, stats);
  const D = slot(model, M_D);
  const H = slot(model, M_H);
  const V = slot(model, M_V);
  const act = slot(model, M_ACT);
  const simd = slot(model, M_SIMD) != 0;
  const params = uslot(model, M_PARAMS);
  const grads = uslot(model, M_GRADS);
  const hs = uslot(model, M_HS);
  const cs = uslot(model, M_CS);
  const gates = uslot(model, M_GATES);
  const probs = uslot(model, M_PROBS);
  const dlogits = uslot(model, M_DLOGITS);
  const dh = uslot(model, M_DH);
  const dc = uslot(model, M_DC);
  const dgates = uslot(model, M_DGATES);
  const Td = slot(data, D_TDATA);
  const start = load<i32>(uslot(data, D_STARTS) + (<usize>n << 2));
  const x = uslot(data, D_X) + (<usize>((n * Td + start) * D) << 2);
  const y = target(model, data, n, V);
  const lk = slot(model, M_LOSS);
  const head = slot(model, M_HEAD);
  const aux = uslot(model, M_AUX);
  const offW = uslot(model, M_OFFW);
  const offU = uslot(model, M_OFFU);
  const offB = uslot(model, M_OFFB);
  const offK = uslot(model, M_OFFK);
  const offBd = uslot(model, M_OFFBD);
  const eps = fslot(model, M_LOSSEPS);
  const hL = hs + (<usize>(L * H) << 2);
  if (lk >= 2) {
    // aux is free here (only the sparse loss keeps a one-hot row in it): dp there
    if (simd) {
      loss_backward(aux, probs, y, V, lk, BCE_EPS, scale);
      head_backward(dlogits, aux, probs, V, head);
    } else {
      loss_backward_scalar(aux, probs, y, V, lk, BCE_EPS, scale);
      head_backward_scalar(dlogits, aux, probs, V, head);
    }
  }
  if (simd) {
    if (lk <= 1) softmax_ce_backward(dlogits, probs, y, V, eps, scale);
    dense_backward(dh, grads + offK, grads + offBd, dlogits, hL, params + offK, H, V);
    lstm_backward_train(grads + offW, grads + offU, grads + offB, dh, dc,
      hs, cs, gates, x, params + offU, L, D, H, act);
  } else {
    if (lk <= 1) softmax_ce_backward_scalar(dlogits, probs, y, V, eps, scale);
    dense_backward_scalar(dh, grads + offK, grads + offBd, dlogits, hL, params + offK, H, V);
    lstm_backward_scalar(grads + offW, grads + offU, grads + offB, dh, dc, dgates,
      hs, cs, gates, x, params + offU, L, D, H, act);
  }
}

// Gradients of the mean loss over samples order[first .. first+count) (or first.. with no order).
function grad_slice(model: usize, data: usize, order: usize, first: i32, count: i32, stats: usize): void {
  memory.fill(uslot(model, M_GRADS), 0, <usize>slot(model, M_P) << 2);
  const scale: f32 = <f32>1.0 / <f32>count;
  for (let j = 0; j < count; j++) train_sample(model, data, sample_index(order, first + j), scale, stats);
}

/** Zeroes grads, then forward + backward for `count` samples (gradient of their mean loss). */
export function grad_batch(model: usize, data: usize, order: usize, count: i32, stats: usize): void {
  // Its own loop rather than grad_slice(.., 0, count, ..): with two callers, train_sample stays a
  // function of its own, called once per sample, so V8 tiers it up (wasm has no OSR).
  memory.fill(uslot(model, M_GRADS), 0, <usize>slot(model, M_P) << 2);
  const scale: f32 = <f32>1.0 / <f32>count;
  for (let j = 0; j < count; j++) train_sample(model, data, sample_index(order, j), scale, stats);
}

/** step += 1; lr_t = lr sqrt(1-β2^t)/(1-β1^t) (f64, then f32); Adam over all P floats. */
export function adam_step(model: usize): void {
  const t = slot(model, M_STEP) + 1;
  store<i32>(model + (<usize>M_STEP << 2), t);
  const lr = <f64>fslot(model, M_LR);
  const b1 = fslot(model, M_BETA1);
  const b2 = fslot(model, M_BETA2);
  const lr_t = <f32>((lr * Math.sqrt(1.0 - Math.pow(<f64>b2, <f64>t))) / (1.0 - Math.pow(<f64>b1, <f64>t)));
  const params = uslot(model, M_PARAMS);
  const grads = uslot(model, M_GRADS);
  const m = uslot(model, M_M);
  const v = uslot(model, M_V2);
  const P = slot(model, M_P);
  const eps = fslot(model, M_ADAMEPS);
  if (slot(model, M_SIMD) != 0) adam_update(params, grads, m, v, P, lr_t, b1, b2, eps);
  else adam_update_scalar(params, grads, m, v, P, lr_t, b1, b2, eps);
}

/**
 * One optimizer step from the gradients in grads: Keras 2's clipping (clipnorm per weight tensor,
 * clipvalue per element), then the update rule of slot opt (adam_step, SGD or RMSprop); step += 1.
 */
export function optimizer_step(model: usize): void {
  const simd = slot(model, M_SIMD) != 0;
  const grads = uslot(model, M_GRADS);
  const P = slot(model, M_P);
  const cn = fslot(model, M_CLIPNORM);
  if (cn > 0) {
    const D = slot(model, M_D), H = slot(model, M_H), V = slot(model, M_V);
    for (let k = 0; k < 5; k++) {
      // W (D,4H), U (H,4H), b (4H), K (H,V), bd (V)
      const n = k == 0 ? D * 4 * H : k == 1 ? H * 4 * H : k == 2 ? 4 * H : k == 3 ? H * V : V;
      const g = grads + uslot(model, M_OFFW + k);
      if (simd) clip_norm(g, n, cn);
      else clip_norm_scalar(g, n, cn);
    }
  }
  const cv = fslot(model, M_CLIPVALUE);
  if (cv > 0) {
    if (simd) clip_value(grads, P, cv);
    else clip_value_scalar(grads, P, cv);
  }
  const kind = slot(model, M_OPT);
  if (kind == 0) {
    adam_step(model);
    return;
  }
  store<i32>(model + (<usize>M_STEP << 2), slot(model, M_STEP) + 1);
  const params = uslot(model, M_PARAMS);
  const m = uslot(model, M_M);
  const v = uslot(model, M_V2);
  const lr = fslot(model, M_LR);
  const mu = fslot(model, M_MOMENTUM);
  if (kind == 1) {
    const nest = slot(model, M_NESTEROV);
    if (simd) sgd_update(params, grads, m, P, lr, mu, nest);
    else sgd_update_scalar(params, grads, m, P, lr, mu, nest);
  } else {
    const rho = fslot(model, M_RHO);
    const eps = fslot(model, M_ADAMEPS);
    const cen = slot(model, M_CENTERED);
    const ins = slot(model, M_RMSIN);
    if (simd) rmsprop_update(params, grads, m, v, P, lr, rho, eps, mu, cen, ins);
    else rmsprop_update_scalar(params, grads, m, v, P, lr, rho, eps, mu, cen, ins);
  }
}

/** Consecutive batches of `batch` samples from order[0..count) (the last may be short): grad + optimizer step each. */
export function train_batches(model: usize, data: usize, order: usize, count: i32, batch: i32, stats: usize): void {
  const step = batch > 0 ? batch : count; // a bad batch size must not loop forever
  for (let first = 0; first < count; first += step) {
    const nb = min(step, count - first);
    grad_slice(model, data, order, first, nb, stats);
    optimizer_step(model);
  }
}

/** Forward only over order[0..count); accumulates stats. */
export function eval_batches(model: usize, data: usize, order: usize, count: i32, stats: usize): void {
  for (let j = 0; j < count; j++) forward_sample(model, data, sample_index(order, j), true, stats);
}

/** Forward for samples first..first+count-1; writes their probs to out (count, V). */
export function predict_batch(model: usize, data: usize, first: i32, count: i32, out: usize): void {
  const V = slot(model, M_V);
  const probs = uslot(model, M_PROBS);
  const vb = <usize>V << 2;
  for (let j = 0; j < count; j++) {
    forward_sample(model, data, first + j, false, 0);
    memory.copy(out + <usize>j * vb, probs, vb);
  }
}
