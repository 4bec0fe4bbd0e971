// The training loop: epochs, seeded shuffling, batches handed to WASM in chunks, callbacks,
// progress output, AbortSignal, and a guard that stops on a non-finite loss with the last finite
// weights kept.
import { StateError, ValueError } from '../errors.js';
import { checkKeys, describe, enumOption, intOption } from '../options.js';
import { History, ProgressLogger, type Callback, type Logs } from '../callbacks.js';
import { OP_STEP, STATS } from '../generated/abi.js';
import { f64, i32, kernels } from '../wasm.js';
import type { InputData, SequenceArgs, TargetData } from '../inputs.js';
import type { ModelState } from '../model/state.js';
import { checkBatchSize, loadData, sizeScratch } from '../model/run.js';
import type { DataBlock } from '../arena.js';

/**
 * Options of `fit`, as Keras's. `lengths`/`padding` give padded tensors' real lengths (see `SequenceArgs`).
 *
 * @example
 * const stop = new AbortController();
 * const args: FitArgs = { epochs: 500, batchSize: 1, shuffle: true, verbose: 2, validationSplit: 0.1, signal: stop.signal };
 * const history = await model.fit(x, y, args);
 */
export interface FitArgs extends SequenceArgs {
  /** Passes over the data. Default 1. */
  epochs?: number;
  /** Samples per gradient step; the last batch of an epoch may be shorter. Default 32. */
  batchSize?: number;
  /** Reshuffle the sample order before each epoch (from the model's seeded generator). Default true. */
  shuffle?: boolean;
  /** 0 silent, 1 progress bar, 2 one line per epoch (Keras's format). Default 1. */
  verbose?: 0 | 1 | 2;
  /** One callback object or several. */
  callbacks?: Callback | Callback[];
  /** Stops training between batches; the model keeps the weights of the last finished batch. */
  signal?: AbortSignal;
  /**
   * Epoch to start from (for logs), as Keras: `fit({ epochs: 6, initialEpoch: 3 })` runs epochs
   * 4..6. Departure from Keras 2.0, which restarts the sample order from `arange(N)` on every call:
   * with `initialEpoch > 0` and `shuffle`, the order continues from where this model's last
   * shuffling fit (or the checkpoint it was loaded from) left it, when the sample count matches,
   * so `fit({ epochs: 6 })` equals `fit({ epochs: 3 })`, `save`, `loadModel`,
   * `fit({ epochs: 6, initialEpoch: 3 })` bit for bit. Default 0 (a fresh order, as Keras).
   */
  initialEpoch?: number;
  /**
   * Fraction of the samples held out for validation, taken from the end before any shuffling, as
   * Keras. Logs then hold `val_loss` and `val_acc` (`val_accuracy` under keras3).
   */
  validationSplit?: number;
  /** Held-out data `[x, y]` (or `[x, y, { lengths, padding }]`) evaluated after every epoch. */
  validationData?: [InputData, TargetData] | [InputData, TargetData, SequenceArgs];
}

const FIT_KEYS = ['epochs', 'batchSize', 'shuffle', 'verbose', 'callbacks', 'signal', 'initialEpoch', 'lengths', 'padding', 'validationSplit', 'validationData'] as const;
const CHUNK_SAMPLES = 2048; // most samples per call into WASM when nobody needs per-batch events
const CHUNK_MS = 10; // target duration of one such call

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

// Yield to the host's event loop (so pages repaint and abort messages arrive) at most every
// ~15 ms: setImmediate in Node, a MessageChannel round trip in browsers and workers (setTimeout
// is clamped to 4 ms there when repeated).
let lastYield = 0;
let channel: MessageChannel | null = null;
const waiting: Array<() => void> = [];
function macrotask(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => void };
  if (g.setImmediate) return new Promise((r) => g.setImmediate!(r));
  if (typeof MessageChannel === 'undefined') return new Promise((r) => setTimeout(r, 0));
  if (!channel) {
    channel = new MessageChannel();
    channel.port1.onmessage = () => waiting.shift()?.();
  }
  return new Promise((r) => {
    waiting.push(r);
    channel!.port2.postMessage(0);
  });
}
async function maybeYield(): Promise<void> {
  const t = now();
  if (t - lastYield < 15) return;
  lastYield = t;
  await macrotask();
}

/** @internal The body of `Sequential.fit`. */
export async function runFit(model: ModelState, x: InputData, y: TargetData, args: FitArgs): Promise<History> {
  const c = 'fit()';
  checkKeys(c, args, FIT_KEYS);
  const epochs = args.epochs === undefined ? 1 : intOption(c, 'epochs', args.epochs, 1);
  const batchSize = checkBatchSize(model, c, args.batchSize);
  const initialEpoch = args.initialEpoch === undefined ? 0 : intOption(c, 'initialEpoch', args.initialEpoch, 0);
  if (initialEpoch >= epochs) throw new ValueError(`${c}: initialEpoch (${initialEpoch}) must be below epochs (${epochs})`);
  if (args.shuffle !== undefined && typeof args.shuffle !== 'boolean') throw new ValueError(`${c}: shuffle must be a boolean, received ${describe(args.shuffle)}`);
  const shuffle = args.shuffle ?? true;
  if (model.stateful && shuffle) {
    throw new ValueError(`${c}: a stateful model needs shuffle: false (each batch continues the states the previous batch left, so the order must stay)`);
  }
  if (model.stateful && (args.validationSplit !== undefined || args.validationData !== undefined)) {
    throw new ValueError(`${c}: validation is not supported for a stateful model (it would run through the training states); call evaluate() between epochs`);
  }
  const verbose = Number(enumOption(c, 'verbose', String(args.verbose ?? 1), ['0', '1', '2'])) as 0 | 1 | 2;
  const callbacks = args.callbacks === undefined ? [] : Array.isArray(args.callbacks) ? args.callbacks : [args.callbacks];
  callbacks.forEach((cb, i) => {
    if (cb === null || typeof cb !== 'object') throw new ValueError(`${c}: callbacks[${i}] must be an object of hooks, received ${describe(cb)}`);
    // Plain hook objects are checked for typos; class instances (earlyStopping) carry state fields.
    if (Object.getPrototypeOf(cb) === Object.prototype) {
      checkKeys(`${c} callbacks[${i}]`, cb, ['onTrainBegin', 'onEpochBegin', 'onBatchEnd', 'onEpochEnd', 'onTrainEnd']);
    }
    for (const hook of ['onTrainBegin', 'onEpochBegin', 'onBatchEnd', 'onEpochEnd', 'onTrainEnd', 'setModel']) {
      const f = (cb as Record<string, unknown>)[hook];
      if (f !== undefined && typeof f !== 'function') throw new ValueError(`${c}: callbacks[${i}].${hook} must be a function, received ${describe(f)}`);
    }
  });
  const signal = args.signal;
  if (signal !== undefined && (typeof signal !== 'object' || signal === null || typeof signal.aborted !== 'boolean')) {
    throw new ValueError(`${c}: signal must be an AbortSignal, received ${describe(signal)}`);
  }
  if (args.validationSplit !== undefined && args.validationData !== undefined) {
    throw new ValueError(`${c}: give validationSplit or validationData, not both`);
  }
  const arena = model.idle(c);
  if (!model.compiled) throw new StateError(`${c}: call compile() first`);
  const metricStats = model.compiled.metricStats;
  const seqArgs: SequenceArgs = { lengths: args.lengths, padding: args.padding };
  let block: DataBlock;
  let valBlock: DataBlock | null = null;
  if (args.validationSplit !== undefined) {
    const split = args.validationSplit;
    if (typeof split !== 'number' || !(split > 0 && split < 1)) {
      throw new ValueError(`${c}: validationSplit must be a number in (0, 1), received ${describe(split)}`);
    }
    const all = loadData(model, c, x, y, seqArgs);
    const nTrain = Math.floor(all.N * (1 - split)); // Keras: split_at = int(len(x) * (1 - split))
    if (nTrain < 1 || nTrain >= all.N) {
      all.dispose();
      throw new ValueError(`${c}: validationSplit ${split} of ${all.N} samples leaves ${nTrain} for training and ${all.N - nTrain} for validation; both need at least one`);
    }
    [block, valBlock] = all.split(nTrain);
    all.dispose();
  } else {
    if (args.validationData !== undefined) {
      const vd = args.validationData;
      if (!Array.isArray(vd) || vd.length < 2 || vd.length > 3) {
        throw new ValueError(`${c}: validationData must be [x, y] or [x, y, { lengths, padding }], received ${describe(vd)}`);
      }
      if (vd[2] !== undefined) checkKeys(`${c} validationData[2]`, vd[2], ['lengths', 'padding']);
      valBlock = loadData(model, `${c} validationData`, vd[0], vd[1], vd[2] ?? {});
    }
    try {
      block = loadData(model, c, x, y, seqArgs);
    } catch (e) {
      valBlock?.dispose();
      throw e;
    }
  }

  sizeScratch(model, c, [block, valBlock], batchSize);
  model.busy = 'fit()';
  const k = kernels();
  const N = block.N;
  const history = new History({ epochs, samples: N, batchSize, steps: Math.ceil(N / batchSize) });
  const logger = new ProgressLogger(verbose, epochs, N);
  // Per-batch events or an abort signal: one batch per call into WASM; otherwise long runs.
  const perBatch = callbacks.some((cb) => cb.onBatchEnd);
  // Long runs are sized to take ~CHUNK_MS each, so the host's event loop is never blocked for long
  // whatever the model's size; results do not depend on where the runs are cut.
  const maxChunk = Math.max(batchSize, Math.floor(CHUNK_SAMPLES / batchSize) * batchSize);
  let chunk = perBatch || signal ? batchSize : batchSize * Math.max(1, Math.floor(64 / batchSize));
  const adapt = (count: number, ms: number) => {
    if (perBatch || signal) return;
    const batches = Math.floor((CHUNK_MS / Math.max(ms / count, 1e-4)) / batchSize);
    chunk = Math.min(maxChunk, Math.max(batchSize, batches * batchSize));
  };
  // The sample order, shuffled in place each epoch as Keras 2.0 shuffles index_array. A fresh fit
  // starts from 0..N-1; a resumed one (initialEpoch > 0) from the last shuffling fit's order.
  const order = new Int32Array(N);
  const prev = model.fitState;
  if (shuffle && initialEpoch > 0 && prev && prev.order.length === N) order.set(prev.order);
  else for (let i = 0; i < N; i++) order[i] = i;
  const logsOf = (s: Float64Array | number[]): Logs => {
    const logs: Logs = { loss: s[0] / s[2] };
    for (const [key, j] of metricStats) logs[key] = s[j] / s[2];
    return logs;
  };
  const call = async (hook: keyof Callback, ...a: unknown[]) => {
    for (const cb of callbacks) await (cb[hook] as ((...x: unknown[]) => unknown) | undefined)?.apply(cb, a);
  };

  model.stopTraining = false;
  let divergence: ValueError | null = null;
  try {
    for (const cb of callbacks) (cb as { setModel?: (m: ModelState) => void }).setModel?.(model);
    await call('onTrainBegin', {});
    for (let epoch = initialEpoch; epoch < epochs; epoch++) {
      if (signal?.aborted || model.stopTraining) break;
      await call('onEpochBegin', epoch, {});
      logger.epochBegin(epoch, now());
      // What the epoch's shuffle changes, so a divergence that falls back to the epoch's start
      // leaves the generator and the sample order as they were before it.
      const rngBefore = model.rng.getState();
      const fitStateBefore = model.fitState ? { order: model.fitState.order.slice(), epochs: model.fitState.epochs } : model.fitState;
      if (shuffle) {
        model.rng.shuffle(order); // in place, as Keras 2.0 shuffles index_array
        model.fitState = { order, epochs: epoch };
      }
      i32(block.order, N).set(order);
      // The epoch's sums accumulate inside WASM, sample by sample in the epoch's order, so the
      // logged values are the same bits however the epoch is cut into calls (f64 sums of float32
      // losses are not always exact, so summing per-call partial sums could differ).
      let stats: number[] = new Array<number>(STATS).fill(0);
      let aborted = false;
      const epochStart = snapshotState(model);
      const diverged = (upTo: number): never => {
        const { batch, what, atStart } = replayToLastFinite(model, block, epochStart, upTo, batchSize);
        if (atStart) {
          model.rng.setState(rngBefore);
          model.fitState = fitStateBefore;
          if (fitStateBefore) order.set(fitStateBefore.order);
        }
        throw (divergence = new ValueError(
          `${c}: ${what} in epoch ${epoch + 1}, batch ${batch + 1} (terminateOnNaN); training stopped ` +
            'and the model keeps its last weights with a finite loss (try a lower learning rate)',
        ));
      };
      for (let start = 0, batch = 0, count = 0; start < N; start += count) {
        count = Math.min(chunk, N - start);
        const before = stats;
        f64(arena.stats, STATS).set(stats); // a callback's evaluate() may have used the buffer
        const t0 = now();
        k.train_batches(arena.desc, block.desc, block.order + start * 4, count, batchSize, arena.stats);
        adapt(count, now() - t0);
        stats = Array.from(f64(arena.stats, STATS));
        if (!Number.isFinite(stats[0])) diverged(start + count);
        const s = stats.map((v, j) => v - before[j]); // this call's batch (per-batch mode)
        if (perBatch) {
          const b = batch++;
          await call('onBatchEnd', b, { batch: b, size: count, ...logsOf(s) });
        }
        logger.progress(start + count, logsOf(stats), now());
        await maybeYield();
        if (signal?.aborted && start + count < N) {
          if (!stateFinite(model)) diverged(start + count); // never stop on a non-finite update
          aborted = true;
          break;
        }
        if (model.stopTraining) break; // set by onBatchEnd: end the epoch after this batch, as Keras
      }
      if (aborted) break;
      if (!stateFinite(model)) diverged(N); // the epoch's last update overflowed
      const logs = logsOf(stats);
      if (valBlock) {
        const v = f64(arena.stats, STATS);
        v.fill(0);
        k.eval_batches(arena.desc, valBlock.desc, 0, valBlock.N, arena.stats);
        const vl = logsOf(f64(arena.stats, STATS));
        for (const [key, val] of Object.entries(vl)) logs[`val_${key}`] = val;
      }
      logger.epochEnd(logs, now());
      history.record(epoch, logs);
      if (shuffle) model.fitState!.epochs = epoch + 1;
      await call('onEpochEnd', epoch, logs);
    }
    await call('onTrainEnd', {});
  } catch (e) {
    // As Keras's TerminateOnNaN: a diverged run still ends through onTrainEnd (then rejects).
    if (e === divergence) await call('onTrainEnd', {});
    throw e;
  } finally {
    model.busy = null;
    block.dispose();
    valBlock?.dispose();
  }
  return history;
}

interface Snapshot { params: Float32Array; m: Float32Array; v: Float32Array; step: number; states: Float32Array }

function snapshotState(model: ModelState): Snapshot {
  const a = model.live('fit()');
  return { params: a.region('params').slice(), m: a.region('m').slice(), v: a.region('v').slice(), step: a.opt()[OP_STEP], states: a.states().slice() };
}

function restoreState(model: ModelState, s: Snapshot): void {
  const a = model.live('fit()');
  a.region('params').set(s.params);
  a.region('m').set(s.m);
  a.region('v').set(s.v);
  a.opt()[OP_STEP] = s.step;
  a.states().set(s.states);
}

// Rewinds to the start of the epoch and replays it one batch at a time (the order is still in the
// block, so the replay is exact) up to the batch that makes the loss or the weights non-finite.
// Then it keeps the latest of the states before it whose loss over the whole training set is
// finite (so the model never predicts NaN), looking back at most RING batches, else the epoch start.
const RING = 8;
function replayToLastFinite(model: ModelState, block: DataBlock, start: Snapshot, upTo: number, batchSize: number): { batch: number; what: string; atStart: boolean } {
  const a = model.live('fit()');
  const k = kernels();
  restoreState(model, start);
  const ring: Array<{ b: number; snap: Snapshot }> = []; // the state before batch b
  let bad = { batch: Math.ceil(upTo / batchSize) - 1, what: 'the weights or the optimizer state became non-finite' };
  for (let b = 0; b * batchSize < upTo; b++) {
    ring.push({ b, snap: snapshotState(model) });
    if (ring.length > RING) ring.shift();
    f64(a.stats, STATS).fill(0);
    k.train_batches(a.desc, block.desc, block.order + b * batchSize * 4, Math.min(batchSize, upTo - b * batchSize), batchSize, a.stats);
    const loss = f64(a.stats, STATS)[0];
    if (!Number.isFinite(loss) || !stateFinite(model)) {
      bad = { batch: b, what: Number.isFinite(loss) ? 'the weights or the optimizer state became non-finite' : `the loss became ${loss}` };
      break;
    }
  }
  // A candidate must give a finite loss and a finite gradient over the training set, so the
  // model both predicts and can train on (e.g. after compile() with a lower learning rate).
  for (let i = ring.length - 1; i >= 0; i--) {
    restoreState(model, ring[i].snap);
    f64(a.stats, STATS).fill(0);
    k.grad_batch(a.desc, block.desc, 0, block.N, a.stats);
    a.states().set(ring[i].snap.states); // the check must not advance a stateful model's states
    if (Number.isFinite(f64(a.stats, STATS)[0]) && a.region('grads').every(Number.isFinite)) return { ...bad, atStart: ring[i].b === 0 };
  }
  restoreState(model, start);
  return { ...bad, atStart: true };
}

// Weights and the optimizer's state (Adam's v can overflow while the weights stay finite).
function stateFinite(model: ModelState): boolean {
  const a = model.live('fit()');
  for (const r of ['params', 'm', 'v'] as const) {
    const p = a.region(r);
    for (let i = 0; i < p.length; i++) if (!Number.isFinite(p[i])) return false;
  }
  return true;
}
