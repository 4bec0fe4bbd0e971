// Running a model without training it: evaluate, computeGradients, predict, predictStep; and the
// one place inputs become a DataBlock in linear memory (loadData). All go through the batched
// interpreter (assembly/model.ts) in chunks; their results do not depend on the chunk size.
import { ShapeError, StateError, ValueError } from '../errors.js';
import { checkKeys, describe, enumOption, intOption } from '../options.js';
import { alloc, f32, f64, free, i32, kernels } from '../wasm.js';
import { DataBlock, type ModelArena } from '../arena.js';
import { chunkFor, runChunk } from '../plan.js';
import { STATS, LOSS_CCE, LOSS_BCE } from '../generated/abi.js';
import { applyMask, toSequences, toTargets, toLabels, toSeqTargets, isTensorLike, type InputData, type SequenceArgs, type TargetData, type TensorLike } from '../inputs.js';
import type { Tensor } from '../tensor.js';
import { LOSSES, type LossName } from './compile.js';
import type { ModelState, NamedTensor } from './state.js';

/**
 * Options of `evaluate`, as Keras's; `lengths`/`padding` give padded tensors' real lengths (see `SequenceArgs`).
 *
 * @example
 * const [loss, acc] = model.evaluate(x, y, { batchSize: 32, verbose: 0 });
 */
export interface EvaluateArgs extends SequenceArgs {
  /** Accepted as Keras's (a positive integer); the result does not depend on it (samples run in chunks of up to 64). */
  batchSize?: number;
  /** Accepted as Keras's (0 or 1); `evaluate` prints nothing either way. */
  verbose?: 0 | 1;
}

/**
 * Options of `predict`, as Keras's; `lengths`/`padding` give padded tensors' real lengths (see `SequenceArgs`).
 *
 * @example
 * const probs = model.predict(padded, { lengths: [3, 5], padding: 'pre' });
 */
export interface PredictArgs extends SequenceArgs {
  /** Accepted as Keras's (a positive integer); the result does not depend on it (samples run in chunks of up to 64). */
  batchSize?: number;
}

// Models already told that real steps equal their mask value (the warning is shown once per model).
const warned = new WeakSet<ModelState>();

/** @internal Validates x and y, finds each sample's real steps, and copies them into a fresh DataBlock. */
export function loadData(model: ModelState, caller: string, x: unknown, y: unknown, seqArgs: SequenceArgs = {}, withTargets = true): DataBlock {
  model.live(caller);
  const plan = model.plan;
  if (seqArgs.padding !== undefined) enumOption(caller, 'padding', seqArgs.padding, ['pre', 'post'] as const);
  let seqs = toSequences(caller, x, plan.T, plan.D, seqArgs);
  if (plan.batchSize !== null && seqs.N % plan.batchSize !== 0) {
    throw new ShapeError(`${caller}: x has ${seqs.N} samples; a stateful model takes a multiple of its batch size ${plan.batchSize} (batchInputShape), so every batch continues full states`);
  }
  if (plan.seqOut) {
    const short = seqs.lens.findIndex((l, i) => l !== seqs.T || seqs.starts[i] !== 0);
    if (short >= 0) {
      throw new ShapeError(`${caller}: x[${short}] has ${seqs.lens[short]} of ${seqs.T} steps; a model that outputs every step (returnSequences) needs every sample at full length`);
    }
  }
  const V = plan.V;
  const sparse = model.compiled?.sparse === true;
  const Ty = plan.seqOut ? seqs.T : 1; // target rows per sample
  const tgt = !withTargets ? null
    : plan.seqOut ? toSeqTargets(caller, y, seqs.N, seqs.T, V, sparse)
    : sparse ? toLabels(caller, y, seqs.N, V) : toTargets(caller, y, seqs.N, V);
  const yw = (sparse ? 1 : V) * Ty;
  // Cross-entropy targets are probabilities: a value outside [0, 1] would give a negative or
  // meaningless loss. (Keras does not check; regression losses take any finite target.)
  const lossCode = model.compiled ? LOSSES[model.compiled.args.loss as LossName] : -1;
  if (tgt && !sparse && (lossCode === LOSS_CCE || lossCode === LOSS_BCE)) {
    const bad = tgt.findIndex((v) => v < 0 || v > 1);
    if (bad >= 0) {
      const at = plan.seqOut ? `[${Math.floor(bad / yw)}][${Math.floor((bad % yw) / V)}][${bad % V}]` : `[${Math.floor(bad / V)}][${bad % V}]`;
      throw new ValueError(`${caller}: y${at} is ${tgt[bad]}; ${model.compiled!.args.loss} targets must be probabilities in [0, 1]`);
    }
  }
  if (plan.masking) {
    const fromPad = isTensorLike(x) ? (x as Tensor).padded : undefined;
    const real = !seqs.full ? 'all' : fromPad && fromPad.lengths.length === seqs.N ? fromPad : null;
    const { maskValue } = plan.masking.config;
    const masked = applyMask(seqs, maskValue, real);
    seqs = masked.seqs;
    if (masked.collisions > 0 && !warned.has(model)) {
      warned.add(model);
      console.warn(
        `lstm-wasm: ${caller}: ${masked.collisions} real step(s) of the data equal the mask value ${maskValue}; ` +
          'masking skips them as if they were padding (e.g. a letter scaled to 0). Pad with a value the data never takes, ' +
          'or pass ragged sequences / lengths without a masking layer. (Shown once per model.)',
      );
    }
  }
  const block = new DataBlock(seqs.N, seqs.T, seqs.D, tgt ? yw : 0);
  f32(block.x, seqs.N * seqs.T * seqs.D).set(seqs.data);
  if (tgt) f32(block.y, seqs.N * yw).set(tgt);
  i32(block.starts, seqs.N).set(seqs.starts);
  i32(block.lens, seqs.N).set(seqs.lens);
  return block;
}

/**
 * @internal Sizes the scratch for the blocks, the last step before a WASM run (so a refused call
 * never grows memory): chunks of `batch` samples (a training batch: its chunking is part of the
 * result), or by default evaluate/predict's chunks, which change no result. Frees the blocks if
 * the memory cannot be had.
 */
export function sizeScratch(model: ModelState, caller: string, blocks: Array<DataBlock | null>, batch?: number): void {
  const live = blocks.filter((b): b is DataBlock => b !== null);
  const T = live.reduce((m, b) => Math.max(m, b.longest()), 1);
  const N = live.reduce((m, b) => Math.max(m, b.N), 1);
  try {
    model.live(caller).ensure(T, batch === undefined ? runChunk(model.plan, N, T) : chunkFor(model.plan, Math.min(batch, N)), caller);
  } catch (e) {
    for (const b of live) b.dispose();
    throw e;
  }
}

/** @internal A batch size given to evaluate/predict/fit: a positive integer, the fixed one of a stateful model. Returns it or the default. */
export function checkBatchSize(model: ModelState, caller: string, batchSize: number | undefined, fallback = 32): number {
  if (batchSize !== undefined) intOption(caller, 'batchSize', batchSize, 1);
  const fixed = model.plan.batchSize;
  if (fixed !== null && batchSize !== undefined && batchSize !== fixed) {
    throw new ValueError(`${caller}: batchSize ${batchSize} differs from batchInputShape's ${fixed}; a stateful model runs batches of exactly that size`);
  }
  return batchSize ?? fixed ?? fallback;
}

/** @internal The body of `Sequential.evaluate`. */
export function evaluate(model: ModelState, x: InputData, y: TargetData, args: EvaluateArgs): number[] {
  const c = 'evaluate()';
  checkKeys(c, args, ['batchSize', 'verbose', 'lengths', 'padding']);
  checkBatchSize(model, c, args.batchSize);
  if (args.verbose !== undefined) enumOption(c, 'verbose', String(args.verbose), ['0', '1']);
  const a = model.liveForRead(c);
  if (!model.compiled) throw new StateError(`${c}: call compile() first`);
  const block = loadData(model, c, x, y, { lengths: args.lengths, padding: args.padding });
  sizeScratch(model, c, [block]);
  try {
    f64(a.stats, STATS).fill(0);
    kernels().eval_batches(a.desc, block.desc, 0, block.N, a.stats);
    const st = f64(a.stats, STATS);
    return [st[0] / st[2], ...model.compiled.metricStats.map(([, j]) => st[j] / st[2])];
  } finally {
    block.dispose();
  }
}

/** @internal The body of `Sequential.computeGradients`. */
export function computeGradients(model: ModelState, x: InputData, y: TargetData, args: SequenceArgs): { loss: number; grads: NamedTensor[] } {
  const c = 'computeGradients()';
  checkKeys(c, args, ['lengths', 'padding']);
  const a = model.idle(c);
  if (!model.compiled) throw new StateError(`${c}: call compile() first`);
  const block = loadData(model, c, x, y, args);
  sizeScratch(model, c, [block], block.N); // one batch of every sample
  const states = a.states().slice(); // a stateful model's states are read, not advanced
  try {
    f64(a.stats, STATS).fill(0);
    kernels().grad_batch(a.desc, block.desc, 0, block.N, a.stats);
    a.states().set(states);
    const [lossSum, , n] = f64(a.stats, STATS);
    const g = a.region('grads');
    return { loss: lossSum / n, grads: model.plan.slices.map((s) => ({ name: s.name, shape: [...s.shape], data: g.slice(s.offset, s.offset + s.size) })) };
  } finally {
    block.dispose();
  }
}

/** @internal The body of `Sequential.predict`. */
export function predict(model: ModelState, x: InputData, args: PredictArgs): Tensor {
  const c = 'predict()';
  checkKeys(c, args, ['batchSize', 'lengths', 'padding']);
  checkBatchSize(model, c, args.batchSize);
  const a = model.liveForRead(c);
  const block = loadData(model, c, x, undefined, { lengths: args.lengths, padding: args.padding }, false);
  sizeScratch(model, c, [block]);
  let out = 0;
  try {
    const V = model.plan.V;
    const shape = model.plan.seqOut ? [block.N, block.T, V] : [block.N, V];
    const n = shape.reduce((p, d) => p * d, 1);
    out = alloc(n * 4);
    kernels().predict_batch(a.desc, block.desc, 0, block.N, out);
    return { shape, data: f32(out, n).slice() };
  } finally {
    if (out) free(out);
    block.dispose();
  }
}

/** @internal The body of `Sequential.predictStep`. */
export function predictStep(model: ModelState, x: TensorLike | ArrayLike<number> | number[][]): Tensor {
  const c = 'predictStep()';
  const a = model.idle(c);
  const rows = model.plan.batchSize ?? 1;
  const { D, V } = model.plan;
  let x3: unknown;
  if (isTensorLike(x)) {
    const sh = x.shape;
    const ok = (sh.length === 2 && sh[0] === rows && sh[1] === D) || (sh.length === 1 && rows === 1 && sh[0] === D);
    if (!ok) throw new ShapeError(`${c}: x has shape [${sh.join(', ')}], expected [${rows === 1 ? `${D}] or [1, ${D}` : `${rows}, ${D}`}] (one step${rows > 1 ? ' for each of the batch\'s rows' : ''})`);
    x3 = { shape: [rows, 1, D], data: x.data };
  } else if (Array.isArray(x) && Array.isArray(x[0])) {
    if (x.length !== rows) throw new ShapeError(`${c}: x has ${x.length} rows, the model streams ${rows} (batchInputShape's batch size)`);
    x3 = (x as number[][]).map((r) => [r]);
  } else if (Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView))) {
    const n = (x as ArrayLike<number>).length;
    if (n !== rows * D) throw new ShapeError(`${c}: x has ${n} values, expected ${rows * D} (${rows > 1 ? `${rows} rows of ` : ''}${D} features)`);
    x3 = { shape: [rows, 1, D], data: x as ArrayLike<number> };
  } else throw new ShapeError(`${c}: x must be one step: ${D} numbers, [rows, ${D}] nested arrays or a tensor, received ${describe(x)}`);
  const seqs = toSequences(c, x3, null, D);
  a.ensure(1, chunkFor(model.plan, rows), c);
  let block: DataBlock | null = null;
  let out = 0;
  try {
    block = new DataBlock(rows, 1, D, 0);
    f32(block.x, rows * D).set(seqs.data);
    i32(block.starts, rows).fill(0);
    i32(block.lens, rows).fill(1);
    out = alloc(rows * V * 4);
    kernels().predict_steps(a.desc, block.desc, rows, out);
    return { shape: [rows, V], data: f32(out, rows * V).slice() };
  } finally {
    if (out) free(out);
    block?.dispose();
  }
}

export type { ModelArena };
