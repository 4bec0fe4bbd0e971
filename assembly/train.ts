// Whole runs over a dataset with no return to JavaScript: a stack of LSTM layers -> Dense head ->
// loss, BPTT through the stack, optimizer step.
// Descriptors (i32 slots; f32 slots hold their bit pattern) describe the model and the data:
//   MODEL: 0 Tcap 1 V 2 simd 3 params 4 grads 5 m 6 v 7 P 8 offK 9 offBd 10 logits (V)
//          11 probs (V, or Tcap×V with sequence outputs) 12 dlogits 13 step (i32)
//          14 lr 15 beta1 16 beta2 17 adamEps 18 lossEps (f32)
//          19 opt (0 adam, 1 sgd, 2 rmsprop) 20 momentum (f32) 21 nesterov 22 rho (f32)
//          23 centered 24 rmsInside (ε inside the root: Keras 3) 25 clipnorm 26 clipvalue (f32, 0 = off)
//          27 head (0 softmax, 1 linear, 2 sigmoid, 3 tanh, 4 relu) 28 loss (0 categorical CE,
//          1 sparse categorical CE: y (rows,1) labels, 2 binary CE, 3 MSE, 4 MAE; 0 and 1 need head 0)
//          29 accuracy (0 categorical/sparse: argmax, 1 binary: mean of [p > 0.5] == y) 30 aux (V floats)
//          31 metrics (bit 0: mae, bit 1: mse, summed into stats[3], stats[4])
//          32 NL (LSTM layers) 33 layer table 34 seqOut (1: the head runs on every step's output,
//          y (N,Tdata,V), the loss is the mean over steps) 35 stateful (1: fit/evaluate/predict
//          start each sample from its batch slot's state and leave its last state there)
//          36 NT 37 tensor table (NT pairs: byte offset, floats; clipnorm is per tensor)
//          38 Bs (rows of each state block) 39 Htop (units of the last LSTM layer)
//   LAYER (LT_SLOTS each, bottom first): 0 D (inputs) 1 H 2 offW 3 offU 4 offB 5 hs ((Tcap+1)H)
//          6 cs 7 gates (Tcap×4H) 8 dh (H) 9 dc (H) 10 dext (Tcap×H: gradient w.r.t. each output,
//          for a layer under another or a sequence-output top; else 0) 11 stateH 12 stateC (Bs×H)
//          13 act (gates: 0 sigmoid, 1 hard sigmoid)
//   DATA:  0 N 1 Tdata 2 x (N,Tdata,D) 3 y (N,V) or (N,Tdata,V) or 0 4 starts i32[N] 5 lens i32[N]
// Sample n runs x[n][starts[n] .. starts[n]+lens[n]) from h_0 = c_0 = 0 (or a stored state).
// stats (f64[5]) accumulates [Σ loss, Σ correct, Σ samples, Σ mae, Σ mse]; order (i32[]) or 0 for identity.
import { lstm_forward, lstm_forward_scalar, lstm_backward_seq, lstm_backward_seq_scalar } from './lstm';
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
const M_V = 1, M_SIMD = 2, M_PARAMS = 3, M_GRADS = 4, M_M = 5, M_V2 = 6, M_P = 7;
const M_OFFK = 8, M_OFFBD = 9, M_LOGITS = 10, M_PROBS = 11, M_DLOGITS = 12, M_STEP = 13, M_LR = 14;
const M_BETA1 = 15, M_BETA2 = 16, M_ADAMEPS = 17, M_LOSSEPS = 18, M_OPT = 19, M_MOMENTUM = 20, M_NESTEROV = 21;
const M_RHO = 22, M_CENTERED = 23, M_RMSIN = 24, M_CLIPNORM = 25, M_CLIPVALUE = 26, M_HEAD = 27, M_LOSS = 28;
const M_ACC = 29, M_AUX = 30, M_METRICS = 31, M_NL = 32, M_LT = 33, M_SEQOUT = 34, M_STATEFUL = 35;
const M_NT = 36, M_TT = 37, M_BS = 38, M_HTOP = 39;
// Layer table entry slots (LT_SLOTS i32 each)
const LT_SLOTS = 16;
const LT_D = 0, LT_H = 1, LT_OFFW = 2, LT_OFFU = 3, LT_OFFB = 4, LT_HS = 5, LT_CS = 6, LT_GATES = 7;
const LT_DH = 8, LT_DC = 9, LT_DEXT = 10, LT_STATEH = 11, LT_STATEC = 12, LT_ACT = 13;
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

// Row r of the targets: y (rows,V), or for the sparse loss the one-hot row of label r, built in aux.
// r is the sample (last-step output) or sample*Tdata + step (sequence output).
function target(model: usize, data: usize, r: i32, V: i32): usize {
  const y = uslot(data, D_Y);
  if (slot(model, M_LOSS) != 1) return y + (<usize>(r * V) << 2);
  const aux = uslot(model, M_AUX);
  zero_bytes(aux, <usize>V << 2);
  store<f32>(aux + (<usize><i32>load<f32>(y + (<usize>r << 2)) << 2), 1.0);
  return aux;
}

// The Dense head on one output h: logits, then probs (the head's activation). With y != 0, adds
// w × (the loss, the correctness, and the mae/mse metrics) of this output to stats.
function head_step(model: usize, h: usize, probs: usize, y: usize, stats: usize, w: f64): void {
  const V = slot(model, M_V);
  const H = slot(model, M_HTOP);
  const simd = slot(model, M_SIMD) != 0;
  const params = uslot(model, M_PARAMS);
  const logits = uslot(model, M_LOGITS);
  const K = params + uslot(model, M_OFFK);
  const bd = params + uslot(model, M_OFFBD);
  if (simd) dense_forward(logits, h, K, bd, H, V);
  else dense_forward_scalar(logits, h, K, bd, H, V);
  const head = slot(model, M_HEAD);
  const lk = slot(model, M_LOSS);
  const withLoss = y != 0;
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
  if (!withLoss) return;
  store<f64>(stats, load<f64>(stats) + <f64>loss * w);
  if (slot(model, M_ACC) == 1) {
    let hit = 0;
    for (let v = 0; v < V; v++) {
      const o = <usize>v << 2;
      if ((load<f32>(probs + o) > 0.5 ? <f32>1 : <f32>0) == load<f32>(y + o)) hit++;
    }
    store<f64>(stats, load<f64>(stats, 8) + <f64>hit / <f64>V * w, 8);
  } else if (argmax(y, V) == argmax(probs, V)) store<f64>(stats, load<f64>(stats, 8) + w, 8);
  const mets = slot(model, M_METRICS);
  if (mets != 0) {
    let ae: f64 = 0;
    let se: f64 = 0;
    for (let v = 0; v < V; v++) {
      const d = <f64>load<f32>(probs + (<usize>v << 2)) - <f64>load<f32>(y + (<usize>v << 2));
      ae += Math.abs(d);
      se += d * d;
    }
    if (mets & 1) store<f64>(stats, load<f64>(stats, 24) + ae / <f64>V * w, 24);
    if (mets & 2) store<f64>(stats, load<f64>(stats, 32) + se / <f64>V * w, 32);
  }
}

// Backward through the head for one output: dlogits from the loss (scaled by `scale`), then
// dK += h ⊗ dlogits, dbd += dlogits, and dh (H) = K dlogits (written).
function head_backward_step(model: usize, dh: usize, h: usize, probs: usize, y: usize, scale: f32): void {
  const V = slot(model, M_V);
  const H = slot(model, M_HTOP);
  const simd = slot(model, M_SIMD) != 0;
  const lk = slot(model, M_LOSS);
  const head = slot(model, M_HEAD);
  const aux = uslot(model, M_AUX);
  const dlogits = uslot(model, M_DLOGITS);
  const offK = uslot(model, M_OFFK);
  const grads = uslot(model, M_GRADS);
  const K = uslot(model, M_PARAMS) + offK;
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
  const eps = fslot(model, M_LOSSEPS);
  if (simd) {
    if (lk <= 1) softmax_ce_backward(dlogits, probs, y, V, eps, scale);
    dense_backward(dh, grads + offK, grads + uslot(model, M_OFFBD), dlogits, h, K, H, V);
  } else {
    if (lk <= 1) softmax_ce_backward_scalar(dlogits, probs, y, V, eps, scale);
    dense_backward_scalar(dh, grads + offK, grads + uslot(model, M_OFFBD), dlogits, h, K, H, V);
  }
}

// Layer l's entry in the layer table.
@inline function layer(model: usize, l: i32): usize {
  return uslot(model, M_LT) + (<usize>(l * LT_SLOTS) << 2);
}

// Sample n's first input step x_start (layer 0's input).
@inline function sample_x(data: usize, n: i32, D: i32): usize {
  const start = load<i32>(uslot(data, D_STARTS) + (<usize>n << 2));
  return uslot(data, D_X) + (<usize>((n * slot(data, D_TDATA) + start) * D) << 2);
}

// Forward for sample n through every LSTM layer and the head; leaves each layer's hs/cs/gates and
// probs (one row per output) filled. With withLoss, adds the sample's loss, correctness and count
// to stats; without, only writes probs (y may be absent). With useState, layer l starts from (and
// leaves its last state in) row `pos` of its state block, else from zeros. Returns the steps run.
function forward_sample(model: usize, data: usize, n: i32, pos: i32, useState: bool, withLoss: bool, stats: usize): i32 {
  const NL = slot(model, M_NL);
  const simd = slot(model, M_SIMD) != 0;
  const params = uslot(model, M_PARAMS);
  const L = load<i32>(uslot(data, D_LENS) + (<usize>n << 2));
  let Din = slot(layer(model, 0), LT_D);
  let xin = sample_x(data, n, Din);
  let hs: usize = 0;
  let row: usize = 0;
  for (let l = 0; l < NL; l++) {
    const e = layer(model, l);
    const H = slot(e, LT_H);
    const act = slot(e, LT_ACT);
    hs = uslot(e, LT_HS);
    const cs = uslot(e, LT_CS);
    const gates = uslot(e, LT_GATES);
    const W = params + uslot(e, LT_OFFW);
    const U = params + uslot(e, LT_OFFU);
    const b = params + uslot(e, LT_OFFB);
    row = <usize>H << 2;
    const sh = uslot(e, LT_STATEH) + <usize>pos * row;
    const sc = uslot(e, LT_STATEC) + <usize>pos * row;
    if (useState) {
      memory.copy(hs, sh, row);
      memory.copy(cs, sc, row);
    } else {
      zero_bytes(hs, row);
      zero_bytes(cs, row);
    }
    if (simd) lstm_forward(hs, cs, gates, xin, W, U, b, L, Din, H, act);
    else lstm_forward_scalar(hs, cs, gates, xin, W, U, b, L, Din, H, act);
    if (useState) {
      memory.copy(sh, hs + <usize>L * row, row);
      memory.copy(sc, cs + <usize>L * row, row);
    }
    xin = hs + row; // this layer's outputs h_1..h_L feed the next
    Din = H;
  }
  const V = slot(model, M_V);
  const probs = uslot(model, M_PROBS);
  if (slot(model, M_SEQOUT) == 0) {
    head_step(model, hs + <usize>L * row, probs, withLoss ? target(model, data, n, V) : 0, stats, 1.0);
  } else {
    const w = 1.0 / <f64>L;
    const r0 = n * slot(data, D_TDATA) + load<i32>(uslot(data, D_STARTS) + (<usize>n << 2));
    for (let t = 0; t < L; t++) {
      const y = withLoss ? target(model, data, r0 + t, V) : 0;
      head_step(model, hs + <usize>(t + 1) * row, probs + (<usize>(t * V) << 2), y, stats, w);
    }
  }
  if (withLoss) store<f64>(stats, load<f64>(stats, 16) + 1.0, 16);
  return L;
}

// Forward, stats, and backward (gradients scaled by `scale`, accumulated into grads) for sample n.
function train_sample(model: usize, data: usize, n: i32, pos: i32, scale: f32, stats: usize): void {
  const L = forward_sample(model, data, n, pos, slot(model, M_STATEFUL) != 0, true, stats);
  const NL = slot(model, M_NL);
  const simd = slot(model, M_SIMD) != 0;
  const params = uslot(model, M_PARAMS);
  const grads = uslot(model, M_GRADS);
  const V = slot(model, M_V);
  const probs = uslot(model, M_PROBS);
  const top = layer(model, NL - 1);
  const Ht = slot(top, LT_H);
  const hsTop = uslot(top, LT_HS);
  const rowTop = <usize>Ht << 2;
  if (slot(model, M_SEQOUT) == 0) {
    head_backward_step(model, uslot(top, LT_DH), hsTop + <usize>L * rowTop, probs, target(model, data, n, V), scale);
  } else {
    // every step's output has a loss: their gradients go to the top layer's dext rows
    const s = scale / <f32>L;
    const r0 = n * slot(data, D_TDATA) + load<i32>(uslot(data, D_STARTS) + (<usize>n << 2));
    const dext = uslot(top, LT_DEXT);
    for (let t = 0; t < L; t++) {
      head_backward_step(model, dext + <usize>t * rowTop, hsTop + <usize>(t + 1) * rowTop,
        probs + (<usize>(t * V) << 2), target(model, data, r0 + t, V), s);
    }
    zero_bytes(uslot(top, LT_DH), rowTop);
  }
  for (let l = NL - 1; l >= 0; l--) {
    const e = layer(model, l);
    const H = slot(e, LT_H);
    const act = slot(e, LT_ACT);
    let D: i32;
    let x: usize;
    let dx: usize = 0;
    if (l == 0) {
      D = slot(e, LT_D);
      x = sample_x(data, n, D);
    } else {
      const below = layer(model, l - 1);
      D = slot(below, LT_H);
      x = uslot(below, LT_HS) + (<usize>D << 2);
      dx = uslot(below, LT_DEXT);
    }
    // a layer below another gets its whole gradient through dext (its last output included)
    if (l < NL - 1) zero_bytes(uslot(e, LT_DH), <usize>H << 2);
    const dext = uslot(e, LT_DEXT);
    const gW = grads + uslot(e, LT_OFFW);
    const gU = grads + uslot(e, LT_OFFU);
    const gb = grads + uslot(e, LT_OFFB);
    const U = params + uslot(e, LT_OFFU);
    const W = params + uslot(e, LT_OFFW);
    if (simd) {
      lstm_backward_seq(gW, gU, gb, uslot(e, LT_DH), uslot(e, LT_DC), dext, dx,
        uslot(e, LT_HS), uslot(e, LT_CS), uslot(e, LT_GATES), x, W, U, L, D, H, act);
    } else {
      lstm_backward_seq_scalar(gW, gU, gb, uslot(e, LT_DH), uslot(e, LT_DC), dext, dx,
        uslot(e, LT_HS), uslot(e, LT_CS), uslot(e, LT_GATES), x, W, U, L, D, H, act);
    }
  }
}

// Position of the j-th sample of a run in the state block (stateful models: its slot in the batch).
@inline function state_pos(model: usize, j: i32): i32 {
  return j % max(1, slot(model, M_BS));
}

// Gradients of the mean loss over samples order[first .. first+count) (or first.. with no order).
function grad_slice(model: usize, data: usize, order: usize, first: i32, count: i32, stats: usize): void {
  memory.fill(uslot(model, M_GRADS), 0, <usize>slot(model, M_P) << 2);
  const scale: f32 = <f32>1.0 / <f32>count;
  for (let j = 0; j < count; j++) train_sample(model, data, sample_index(order, first + j), state_pos(model, j), scale, stats);
}

/** Zeroes grads, then forward + backward for `count` samples (gradient of their mean loss). */
export function grad_batch(model: usize, data: usize, order: usize, count: i32, stats: usize): void {
  // Its own loop rather than grad_slice(.., 0, count, ..): with two callers, train_sample stays a
  // function of its own, called once per sample, so V8 tiers it up (wasm has no OSR).
  memory.fill(uslot(model, M_GRADS), 0, <usize>slot(model, M_P) << 2);
  const scale: f32 = <f32>1.0 / <f32>count;
  for (let j = 0; j < count; j++) train_sample(model, data, sample_index(order, j), state_pos(model, j), scale, stats);
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
    const tt = uslot(model, M_TT);
    for (let k = 0; k < slot(model, M_NT); k++) {
      // each weight tensor on its own: (byte offset, floats) pairs in the tensor table
      const g = grads + <usize>load<u32>(tt + (<usize>k << 3));
      const n = load<i32>(tt + (<usize>k << 3), 4);
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
  const useState = slot(model, M_STATEFUL) != 0;
  for (let j = 0; j < count; j++) forward_sample(model, data, sample_index(order, j), state_pos(model, j), useState, true, stats);
}

/**
 * Forward for samples first..first+count-1; writes their outputs to out: (count, V), or
 * (count, Tdata, V) with sequence outputs (every sample then runs all Tdata steps).
 */
export function predict_batch(model: usize, data: usize, first: i32, count: i32, out: usize): void {
  predict_run(model, data, first, count, out, slot(model, M_STATEFUL) != 0);
}

/**
 * Streaming: samples 0..count-1 of data (one or more steps each) continue the states in rows
 * 0..count-1 of every layer's state block, which keep their last state; outputs as predict_batch.
 */
export function predict_steps(model: usize, data: usize, count: i32, out: usize): void {
  predict_run(model, data, 0, count, out, true);
}

function predict_run(model: usize, data: usize, first: i32, count: i32, out: usize, useState: bool): void {
  const V = slot(model, M_V);
  const probs = uslot(model, M_PROBS);
  const seq = slot(model, M_SEQOUT) != 0;
  const vb = (seq ? <usize>slot(data, D_TDATA) : 1) * (<usize>V << 2);
  for (let j = 0; j < count; j++) {
    const n = first + j;
    const L = forward_sample(model, data, n, state_pos(model, n), useState, false, 0);
    memory.copy(out + <usize>j * vb, probs, seq ? <usize>(L * V) << 2 : vb);
  }
}
