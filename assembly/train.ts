// Whole runs over a dataset with no return to JavaScript: LSTM -> Dense -> softmax/CE, BPTT, Adam.
// Two descriptors (i32 slots; f32 slots hold their bit pattern) describe the model and the data:
//   MODEL: 0 Tcap 1 D 2 H 3 V 4 act 5 simd 6 params 7 grads 8 m 9 v 10 P 11 offW 12 offU 13 offB
//          14 offK 15 offBd 16 hs 17 cs 18 gates 19 logits 20 probs 21 dlogits 22 dh 23 dc
//          24 dgates 25 step(i32) 26 lr 27 beta1 28 beta2 29 adamEps 30 lossEps (f32)
//   DATA:  0 N 1 Tdata 2 x (N,Tdata,D) 3 y (N,V) or 0 4 starts i32[N] 5 lens i32[N]
// Sample n runs x[n][starts[n] .. starts[n]+lens[n]) from h_0 = c_0 = 0.
// stats (f64[3]) accumulates [Σ loss, Σ correct, Σ samples]; order (i32[]) or 0 for identity.
import { lstm_forward, lstm_forward_scalar, lstm_backward_train, lstm_backward_scalar } from './lstm';
import { dense_forward, dense_forward_scalar, dense_backward, dense_backward_scalar } from './dense';
import {
  softmax_ce_forward, softmax_ce_forward_scalar, softmax_ce_backward, softmax_ce_backward_scalar,
  softmax_simd, softmax_ref,
} from './loss';
import { adam_update, adam_update_scalar } from './adam';
import { zero_bytes } from './simd';

// MODEL slots
const M_D = 1, M_H = 2, M_V = 3, M_ACT = 4, M_SIMD = 5;
const M_PARAMS = 6, M_GRADS = 7, M_M = 8, M_V2 = 9, M_P = 10;
const M_OFFW = 11, M_OFFU = 12, M_OFFB = 13, M_OFFK = 14, M_OFFBD = 15;
const M_HS = 16, M_CS = 17, M_GATES = 18, M_LOGITS = 19, M_PROBS = 20, M_DLOGITS = 21;
const M_DH = 22, M_DC = 23, M_DGATES = 24, M_STEP = 25;
const M_LR = 26, M_BETA1 = 27, M_BETA2 = 28, M_ADAMEPS = 29, M_LOSSEPS = 30;
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
  if (withLoss) {
    const y = uslot(data, D_Y) + (<usize>(n * V) << 2);
    const eps = fslot(model, M_LOSSEPS);
    const loss = simd
      ? softmax_ce_forward(probs, logits, y, V, eps)
      : softmax_ce_forward_scalar(probs, logits, y, V, eps);
    store<f64>(stats, load<f64>(stats) + <f64>loss);
    if (argmax(y, V) == argmax(probs, V)) store<f64>(stats, load<f64>(stats, 8) + 1.0, 8);
    store<f64>(stats, load<f64>(stats, 16) + 1.0, 16);
  } else if (simd) {
    softmax_simd(probs, logits, V, false);
  } else {
    softmax_ref(probs, logits, V, false);
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
  const y = uslot(data, D_Y) + (<usize>(n * V) << 2);
  const offW = uslot(model, M_OFFW);
  const offU = uslot(model, M_OFFU);
  const offB = uslot(model, M_OFFB);
  const offK = uslot(model, M_OFFK);
  const offBd = uslot(model, M_OFFBD);
  const eps = fslot(model, M_LOSSEPS);
  const hL = hs + (<usize>(L * H) << 2);
  if (simd) {
    softmax_ce_backward(dlogits, probs, y, V, eps, scale);
    dense_backward(dh, grads + offK, grads + offBd, dlogits, hL, params + offK, H, V);
    lstm_backward_train(grads + offW, grads + offU, grads + offB, dh, dc,
      hs, cs, gates, x, params + offU, L, D, H, act);
  } else {
    softmax_ce_backward_scalar(dlogits, probs, y, V, eps, scale);
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

/** Consecutive batches of `batch` samples from order[0..count) (the last may be short): grad + Adam each. */
export function train_batches(model: usize, data: usize, order: usize, count: i32, batch: i32, stats: usize): void {
  const step = batch > 0 ? batch : count; // a bad batch size must not loop forever
  for (let first = 0; first < count; first += step) {
    const nb = min(step, count - first);
    grad_slice(model, data, order, first, nb, stats);
    adam_step(model);
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
