// The interpreter: whole runs over a dataset with no return to JavaScript. A model is a header, a
// program of layer records (abi.ts), a loss record and an optimizer record; a run goes through
// its samples in chunks of at most H_BCAP samples:
//   prepare: sort the chunk's samples longest first (stable), pack their steps time-major
//            (step t's rows OFF[t] .. OFF[t] + ACT[t]) and gather their targets;
//   forward: every record bottom-up (layers/index.ts); the loss on the top layer's rows;
//   backward: the loss gradient, then every record top-down, gradients accumulated in grads;
//   stats:   each output row's loss and metrics summed into the f64 stats in run order, so the
//            sums do not depend on how a run is cut into chunks or calls.
// A training batch of more than CHUNK samples runs as chunks of CHUNK, their gradients summed in
// chunk order before the optimizer step. Entry points keep the per-sample engine's contracts:
// stats (f64[STATS]) accumulates [Σ loss, Σ correct, Σ samples, Σ mae, Σ mse]; order (i32[]) or 0
// for identity.
import {
  H_P, H_NL, H_PROGRAM_PTR, H_LOSS_PTR, H_SIMD, H_GRADS_PTR, H_STATEFUL, H_BS, H_BCAP, H_SEQOUT, H_D, H_V,
  H_IDX_PTR, H_POS_PTR, H_LEN_PTR, H_INV_PTR, H_ACT_PTR, H_OFF_PTR, H_X0_PTR, H_Y0_PTR, H_ROWSTATS_PTR, H_B, H_T,
  H_R, H_EQUAL, H_USESTATE, CHUNK, LR_SLOTS, LR_Y_PTR, LR_DY_PTR, LR_K0_PTR, LR_ACT, LS_KIND, LS_ACC, LS_METRICS,
  LS_EPS, LOSS_SCCE, DS_TDATA, DS_X_PTR, DS_Y_PTR, DS_STARTS_PTR, DS_LENS_PTR,
} from './abi';
import { slot, uslot, fslot, set_slot, ival } from './slots';
import { layer_forward, layer_backward } from './layers/index';
import { softmax_ce_forward, softmax_ce_forward_scalar, softmax_ce_backward, softmax_ce_backward_scalar } from './loss';
import { dense_activate } from './layers/dense';
import { loss_forward, loss_forward_scalar, loss_backward, loss_backward_scalar } from './head';
import { zero_bytes, copy_bytes } from './simd';
import { optimizer_step } from './optim/index';

const BCE_EPS: f32 = 1e-7; // Keras's backend epsilon, both versions

@inline function record(model: usize, l: i32): usize {
  return uslot(model, H_PROGRAM_PTR) + (<usize>(l * LR_SLOTS) << 2);
}

@inline function sample_index(order: usize, j: i32): i32 {
  return order == 0 ? j : ival(order, j);
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

// Target row `src` of the data (a sample, or sample·TDATA + step) into dst (V floats): y's row,
// or for the sparse loss the one-hot row of its label.
@inline function put_target(model: usize, data: usize, dst: usize, src: i32, V: i32): void {
  const y = uslot(data, DS_Y_PTR);
  if (slot(uslot(model, H_LOSS_PTR), LS_KIND) != LOSS_SCCE) {
    copy_bytes(dst, y + (<usize>(src * V) << 2), <usize>V << 2);
    return;
  }
  zero_bytes(dst, <usize>V << 2);
  store<f32>(dst + (<usize><i32>load<f32>(y + (<usize>src << 2)) << 2), 1.0);
}

/**
 * Makes the chunk: samples order[first .. first+count), at run positions pos0 + j. Sorts them by
 * real steps, longest first (stable: a counting sort), fills IDX/POS/LEN/INV, ACT and OFF, packs
 * their steps into X0 and, with targets, their target rows into Y0.
 */
function prepare(model: usize, data: usize, order: usize, first: i32, count: i32, pos0: i32, targets: bool): void {
  const idx = uslot(model, H_IDX_PTR);
  const pos = uslot(model, H_POS_PTR);
  const len = uslot(model, H_LEN_PTR);
  const inv = uslot(model, H_INV_PTR);
  const act = uslot(model, H_ACT_PTR);
  const off = uslot(model, H_OFF_PTR);
  const lens = uslot(data, DS_LENS_PTR);
  const starts = uslot(data, DS_STARTS_PTR);
  let T = 0;
  for (let j = 0; j < count; j++) T = max(T, ival(lens, sample_index(order, first + j)));
  // counting sort, descending and stable; ACT serves as the counts first
  for (let L = 0; L <= T; L++) store<i32>(act + (<usize>L << 2), 0);
  for (let j = 0; j < count; j++) {
    const a = act + (<usize>ival(lens, sample_index(order, first + j)) << 2);
    store<i32>(a, load<i32>(a) + 1);
  }
  let run = 0;
  for (let L = T; L >= 0; L--) {
    const a = act + (<usize>L << 2);
    const c = load<i32>(a);
    store<i32>(a, run);
    run += c;
  }
  for (let j = 0; j < count; j++) {
    const n = sample_index(order, first + j);
    const L = ival(lens, n);
    const a = act + (<usize>L << 2);
    const p = load<i32>(a);
    store<i32>(a, p + 1);
    store<i32>(idx + (<usize>p << 2), n);
    store<i32>(pos + (<usize>p << 2), pos0 + j);
    store<i32>(len + (<usize>p << 2), L);
    store<i32>(inv + (<usize>j << 2), p);
  }
  // samples running at step t: a prefix of the sorted chunk
  let a = count;
  let R = 0;
  for (let t = 0; t < T; t++) {
    while (a > 0 && ival(len, a - 1) <= t) a--;
    store<i32>(act + (<usize>t << 2), a);
    store<i32>(off + (<usize>t << 2), R);
    R += a;
  }
  store<i32>(off + (<usize>T << 2), R);
  set_slot(model, H_B, count);
  set_slot(model, H_T, T);
  set_slot(model, H_R, R);
  set_slot(model, H_EQUAL, count == 0 || ival(len, count - 1) == T ? 1 : 0);
  // the steps, packed
  const D = slot(model, H_D);
  const Tdata = slot(data, DS_TDATA);
  const x = uslot(data, DS_X_PTR);
  const X0 = uslot(model, H_X0_PTR);
  const xrow = <usize>D << 2;
  for (let p = 0; p < count; p++) {
    const n = ival(idx, p);
    const src = x + <usize>(n * Tdata + ival(starts, n)) * xrow;
    const L = ival(len, p);
    for (let t = 0; t < L; t++) copy_bytes(X0 + <usize>(ival(off, t) + p) * xrow, src + <usize>t * xrow, xrow);
  }
  if (!targets) return;
  const V = slot(model, H_V);
  const Y0 = uslot(model, H_Y0_PTR);
  const vrow = <usize>V << 2;
  if (slot(model, H_SEQOUT) == 0) {
    for (let p = 0; p < count; p++) put_target(model, data, Y0 + <usize>p * vrow, ival(idx, p), V);
  } else {
    for (let p = 0; p < count; p++) {
      const n = ival(idx, p);
      const r0 = n * Tdata + ival(starts, n);
      const L = ival(len, p);
      for (let t = 0; t < L; t++) put_target(model, data, Y0 + <usize>(ival(off, t) + p) * vrow, r0 + t, V);
    }
  }
}

// Output rows of the top layer: one per sample, or one per step with sequence outputs.
@inline function out_rows(model: usize): i32 {
  return slot(model, H_SEQOUT) != 0 ? slot(model, H_R) : slot(model, H_B);
}

/** Forward through every record; with `withLoss` the top layer's activation is left to the loss. */
function forward(model: usize, withLoss: bool): void {
  const NL = slot(model, H_NL);
  for (let l = 0; l < NL; l++) layer_forward(model, record(model, l), withLoss && l == NL - 1);
}

/**
 * The loss on every output row (the top layer's Z -> probs in its Y, as the loss needs), its
 * value and metrics into ROWSTATS: [loss, correct, mean |err|, mean err²] per row.
 */
function loss_rows(model: usize): void {
  const simd = slot(model, H_SIMD) != 0;
  const top = record(model, slot(model, H_NL) - 1);
  const ls = uslot(model, H_LOSS_PTR);
  const lk = slot(ls, LS_KIND);
  const eps = fslot(ls, LS_EPS);
  const accKind = slot(ls, LS_ACC);
  const mets = slot(ls, LS_METRICS);
  const head = slot(top, LR_ACT);
  const V = slot(model, H_V);
  const vrow = <usize>V << 2;
  const Z = uslot(top, LR_K0_PTR);
  const Y = uslot(top, LR_Y_PTR);
  const Y0 = uslot(model, H_Y0_PTR);
  const rs = uslot(model, H_ROWSTATS_PTR);
  const rows = out_rows(model);
  for (let q = 0; q < rows; q++) {
    const logits = Z + <usize>q * vrow;
    const probs = Y + <usize>q * vrow;
    const y = Y0 + <usize>q * vrow;
    let loss: f32;
    if (lk <= LOSS_SCCE) {
      loss = simd ? softmax_ce_forward(probs, logits, y, V, eps) : softmax_ce_forward_scalar(probs, logits, y, V, eps);
    } else {
      dense_activate(probs, logits, V, head, simd);
      loss = simd ? loss_forward(probs, y, V, lk, BCE_EPS) : loss_forward_scalar(probs, y, V, lk, BCE_EPS);
    }
    const st = rs + (<usize>q << 5);
    store<f64>(st, <f64>loss);
    let correct: f64 = 0;
    if (accKind == 1) {
      let hit = 0;
      for (let v = 0; v < V; v++) {
        const o = <usize>v << 2;
        if ((load<f32>(probs + o) > 0.5 ? <f32>1 : <f32>0) == load<f32>(y + o)) hit++;
      }
      correct = <f64>hit / <f64>V;
    } else if (argmax(y, V) == argmax(probs, V)) correct = 1.0;
    store<f64>(st, correct, 8);
    if (mets != 0) {
      let ae: f64 = 0;
      let se: f64 = 0;
      for (let v = 0; v < V; v++) {
        const d = <f64>load<f32>(probs + (<usize>v << 2)) - <f64>load<f32>(y + (<usize>v << 2));
        ae += Math.abs(d);
        se += d * d;
      }
      store<f64>(st, ae / <f64>V, 16);
      store<f64>(st, se / <f64>V, 24);
    }
  }
}

/** ROWSTATS into stats, sample by sample in run order (step by step, weight 1/L, per sample). */
function add_stats(model: usize, stats: usize): void {
  const B = slot(model, H_B);
  const inv = uslot(model, H_INV_PTR);
  const len = uslot(model, H_LEN_PTR);
  const off = uslot(model, H_OFF_PTR);
  const rs = uslot(model, H_ROWSTATS_PTR);
  const seq = slot(model, H_SEQOUT) != 0;
  const mets = slot(uslot(model, H_LOSS_PTR), LS_METRICS);
  for (let j = 0; j < B; j++) {
    const p = ival(inv, j);
    const L = seq ? ival(len, p) : 1;
    const w = seq ? 1.0 / <f64>L : 1.0;
    for (let t = 0; t < L; t++) {
      const st = rs + (<usize>(seq ? ival(off, t) + p : p) << 5);
      store<f64>(stats, load<f64>(stats) + load<f64>(st) * w);
      store<f64>(stats, load<f64>(stats, 8) + load<f64>(st, 8) * w, 8);
      if (mets & 1) store<f64>(stats, load<f64>(stats, 24) + load<f64>(st, 16) * w, 24);
      if (mets & 2) store<f64>(stats, load<f64>(stats, 32) + load<f64>(st, 24) * w, 32);
    }
    store<f64>(stats, load<f64>(stats, 16) + 1.0, 16);
  }
}

/** The loss gradient of every output row, scaled by `scale` (and 1/L per step), into the top's DY. */
function loss_grad(model: usize, scale: f32): void {
  const simd = slot(model, H_SIMD) != 0;
  const top = record(model, slot(model, H_NL) - 1);
  const ls = uslot(model, H_LOSS_PTR);
  const lk = slot(ls, LS_KIND);
  const eps = fslot(ls, LS_EPS);
  const V = slot(model, H_V);
  const vrow = <usize>V << 2;
  const Y = uslot(top, LR_Y_PTR);
  const dY = uslot(top, LR_DY_PTR);
  const Y0 = uslot(model, H_Y0_PTR);
  const B = slot(model, H_B);
  const seq = slot(model, H_SEQOUT) != 0;
  const len = uslot(model, H_LEN_PTR);
  const off = uslot(model, H_OFF_PTR);
  for (let p = 0; p < B; p++) {
    const L = seq ? ival(len, p) : 1;
    const w: f32 = seq ? scale / <f32>L : scale;
    for (let t = 0; t < L; t++) {
      const o = <usize>(seq ? ival(off, t) + p : p) * vrow;
      if (lk <= LOSS_SCCE) {
        if (simd) softmax_ce_backward(dY + o, Y + o, Y0 + o, V, eps, w);
        else softmax_ce_backward_scalar(dY + o, Y + o, Y0 + o, V, eps, w);
      } else if (simd) loss_backward(dY + o, Y + o, Y0 + o, V, lk, BCE_EPS, w);
      else loss_backward_scalar(dY + o, Y + o, Y0 + o, V, lk, BCE_EPS, w);
    }
  }
}

function backward(model: usize): void {
  const NL = slot(model, H_NL);
  const fused = slot(uslot(model, H_LOSS_PTR), LS_KIND) <= LOSS_SCCE;
  for (let l = NL - 1; l >= 0; l--) layer_backward(model, record(model, l), fused && l == NL - 1);
}

// Samples per chunk for a run that wants `want`: the scratch's capacity, and for a stateful model
// at most its batch (two samples of one chunk must never share a state slot).
@inline function chunk_of(model: usize, want: i32): i32 {
  let c = min(want, slot(model, H_BCAP));
  if (slot(model, H_STATEFUL) != 0) c = min(c, max(1, slot(model, H_BS)));
  return max(1, c);
}

// Forward, stats and backward for samples order[first .. first+count), one batch: gradients of the
// batch's mean loss summed into grads, chunk by chunk in order.
function grad_run(model: usize, data: usize, order: usize, first: i32, count: i32, stats: usize): void {
  memory.fill(uslot(model, H_GRADS_PTR), 0, <usize>slot(model, H_P) << 2);
  set_slot(model, H_USESTATE, slot(model, H_STATEFUL));
  const scale: f32 = <f32>1.0 / <f32>count;
  const step = chunk_of(model, CHUNK);
  for (let c = 0; c < count; c += step) {
    const n = min(step, count - c);
    prepare(model, data, order, first + c, n, c, true);
    forward(model, true);
    loss_rows(model);
    add_stats(model, stats);
    loss_grad(model, scale);
    backward(model);
  }
}

/** Zeroes grads, then forward + backward for `count` samples (gradient of their mean loss). */
export function grad_batch(model: usize, data: usize, order: usize, count: i32, stats: usize): void {
  grad_run(model, data, order, 0, count, stats);
}

/** Consecutive batches of `batch` samples from order[0..count) (the last may be short): grad + optimizer step each. */
export function train_batches(model: usize, data: usize, order: usize, count: i32, batch: i32, stats: usize): void {
  const step = batch > 0 ? batch : count; // a bad batch size must not loop forever
  for (let first = 0; first < count; first += step) {
    grad_run(model, data, order, first, min(step, count - first), stats);
    optimizer_step(model);
  }
}

/** Forward only over order[0..count); accumulates stats. */
export function eval_batches(model: usize, data: usize, order: usize, count: i32, stats: usize): void {
  set_slot(model, H_USESTATE, slot(model, H_STATEFUL));
  const step = chunk_of(model, count);
  for (let c = 0; c < count; c += step) {
    prepare(model, data, order, c, min(step, count - c), c, true);
    forward(model, true);
    loss_rows(model);
    add_stats(model, stats);
  }
}

/**
 * Forward for samples first..first+count-1; writes their outputs to out: (count, V), or
 * (count, TDATA, V) with sequence outputs (every sample then runs all TDATA steps).
 */
export function predict_batch(model: usize, data: usize, first: i32, count: i32, out: usize): void {
  predict_run(model, data, first, count, out, slot(model, H_STATEFUL) != 0);
}

/**
 * Streaming: samples 0..count-1 of data (one or more steps each) continue the states in rows
 * 0..count-1 of every layer's state block, which keep their last state; outputs as predict_batch.
 */
export function predict_steps(model: usize, data: usize, count: i32, out: usize): void {
  predict_run(model, data, 0, count, out, true);
}

function predict_run(model: usize, data: usize, first: i32, count: i32, out: usize, useState: bool): void {
  set_slot(model, H_USESTATE, useState ? 1 : 0);
  const V = slot(model, H_V);
  const vrow = <usize>V << 2;
  const seq = slot(model, H_SEQOUT) != 0;
  const Tdata = slot(data, DS_TDATA);
  const top = record(model, slot(model, H_NL) - 1);
  const inv = uslot(model, H_INV_PTR);
  const len = uslot(model, H_LEN_PTR);
  const off = uslot(model, H_OFF_PTR);
  const step = chunk_of(model, count);
  for (let c = 0; c < count; c += step) {
    const n = min(step, count - c);
    prepare(model, data, 0, first + c, n, first + c, false);
    forward(model, false);
    const Y = uslot(top, LR_Y_PTR);
    for (let j = 0; j < n; j++) {
      const p = ival(inv, j);
      if (!seq) copy_bytes(out + <usize>(c + j) * vrow, Y + <usize>p * vrow, vrow);
      else {
        const L = ival(len, p);
        for (let t = 0; t < L; t++) copy_bytes(out + <usize>((c + j) * Tdata + t) * vrow, Y + <usize>(ival(off, t) + p) * vrow, vrow);
      }
    }
  }
}
