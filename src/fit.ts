// The training loop: epochs, seeded shuffling, batches handed to WASM in chunks, callbacks,
// progress output, AbortSignal, and a guard that stops on a non-finite loss with the last finite
// weights kept.
import { StateError, ValueError } from './errors.js';
import { checkKeys, describe, enumOption, intOption } from './options.js';
import { History, ProgressLogger, type Callback, type Logs } from './callbacks.js';
import { M } from './layout.js';
import { f64, i32, kernels } from './wasm.js';
import type { InputData, TargetData } from './inputs.js';
import type { Sequential } from './model.js';

/** Options of `fit`, as Keras's. */
export interface FitArgs {
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
  /** Epoch to start counting from (for logs), as Keras. Default 0. */
  initialEpoch?: number;
}

const FIT_KEYS = ['epochs', 'batchSize', 'shuffle', 'verbose', 'callbacks', 'signal', 'initialEpoch'] as const;
const CHUNK_SAMPLES = 2048; // samples per call into WASM when nobody needs per-batch events

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

// Yield to the host's event loop (so pages repaint and abort signals arrive) at most every ~15 ms.
let lastYield = 0;
async function maybeYield(): Promise<void> {
  const t = now();
  if (t - lastYield < 15) return;
  lastYield = t;
  const g = globalThis as { setImmediate?: (f: () => void) => void };
  await new Promise<void>((r) => (g.setImmediate ? g.setImmediate(r) : setTimeout(r, 0)));
}

/** @internal The body of `Sequential.fit`. */
export async function runFit(model: Sequential, x: InputData, y: TargetData, args: FitArgs): Promise<History> {
  const c = 'fit()';
  checkKeys(c, args, FIT_KEYS);
  const epochs = args.epochs === undefined ? 1 : intOption(c, 'epochs', args.epochs, 1);
  const batchSize = args.batchSize === undefined ? 32 : intOption(c, 'batchSize', args.batchSize, 1);
  const initialEpoch = args.initialEpoch === undefined ? 0 : intOption(c, 'initialEpoch', args.initialEpoch, 0);
  if (initialEpoch >= epochs) throw new ValueError(`${c}: initialEpoch (${initialEpoch}) must be below epochs (${epochs})`);
  if (args.shuffle !== undefined && typeof args.shuffle !== 'boolean') throw new ValueError(`${c}: shuffle must be a boolean, received ${describe(args.shuffle)}`);
  const shuffle = args.shuffle ?? true;
  const verbose = Number(enumOption(c, 'verbose', String(args.verbose ?? 1), ['0', '1', '2'])) as 0 | 1 | 2;
  const callbacks = args.callbacks === undefined ? [] : Array.isArray(args.callbacks) ? args.callbacks : [args.callbacks];
  callbacks.forEach((cb, i) => {
    if (cb === null || typeof cb !== 'object') throw new ValueError(`${c}: callbacks[${i}] must be an object of hooks, received ${describe(cb)}`);
    checkKeys(`${c} callbacks[${i}]`, cb, ['onTrainBegin', 'onEpochBegin', 'onBatchEnd', 'onEpochEnd', 'onTrainEnd']);
  });
  const signal = args.signal;
  if (signal !== undefined && (typeof signal !== 'object' || signal === null || typeof signal.aborted !== 'boolean')) {
    throw new ValueError(`${c}: signal must be an AbortSignal, received ${describe(signal)}`);
  }
  const arena = model.idle(c);
  if (!model.compiled) throw new StateError(`${c}: call compile() first`);
  const accKey = model.compiled.accuracy ? model.compiled.accuracyKey : null;
  const block = model.loadData(c, x, y);

  model.busy = 'fit()';
  const k = kernels();
  const N = block.N;
  const history = new History({ epochs, samples: N, batchSize, steps: Math.ceil(N / batchSize) });
  const logger = new ProgressLogger(verbose, epochs, N);
  const perBatch = callbacks.some((cb) => cb.onBatchEnd);
  const chunk = perBatch ? batchSize : Math.max(batchSize, Math.floor(CHUNK_SAMPLES / batchSize) * batchSize);
  const order = new Int32Array(N);
  for (let i = 0; i < N; i++) order[i] = i;
  const logsOf = (s: Float64Array | number[]): Logs => {
    const logs: Logs = { loss: s[0] / s[2] };
    if (accKey) logs[accKey] = s[1] / s[2];
    return logs;
  };
  const call = async (hook: keyof Callback, ...a: unknown[]) => {
    for (const cb of callbacks) await (cb[hook] as ((...x: unknown[]) => unknown) | undefined)?.apply(cb, a);
  };

  try {
    await call('onTrainBegin', {});
    for (let epoch = initialEpoch; epoch < epochs; epoch++) {
      if (signal?.aborted) break;
      await call('onEpochBegin', epoch, {});
      logger.epochBegin(epoch, now());
      if (shuffle) model.rng.shuffle(order); // in place, as Keras 2.0 shuffles index_array
      i32(block.order, N).set(order);
      const stats = [0, 0, 0];
      let aborted = false;
      for (let start = 0, batch = 0; start < N; start += chunk) {
        const count = Math.min(chunk, N - start);
        const snapshot = snapshotState(model);
        f64(arena.stats, 3).fill(0);
        k.train_batches(arena.desc, block.desc, block.order + start * 4, count, batchSize, arena.stats);
        const s = f64(arena.stats, 3);
        if (!Number.isFinite(s[0]) || !paramsFinite(model)) {
          restoreState(model, snapshot);
          throw new ValueError(
            `${c}: the loss became ${s[0]} in epoch ${epoch + 1} within samples ${start}-${start + count - 1} of the epoch; ` +
              'training stopped and the model keeps its last finite weights (try a lower learning rate)',
          );
        }
        for (let j = 0; j < 3; j++) stats[j] += s[j];
        if (perBatch) {
          const b = batch++;
          await call('onBatchEnd', b, { batch: b, size: count, ...logsOf(s) });
        }
        logger.progress(start + count, logsOf(stats), now());
        await maybeYield();
        if (signal?.aborted && start + count < N) {
          aborted = true;
          break;
        }
      }
      if (aborted) break;
      const logs = logsOf(stats);
      logger.epochEnd(logs, now());
      history.record(epoch, logs);
      await call('onEpochEnd', epoch, logs);
    }
    await call('onTrainEnd', {});
  } finally {
    model.busy = null;
    block.dispose();
  }
  return history;
}

interface Snapshot { params: Float32Array; m: Float32Array; v: Float32Array; step: number }

function snapshotState(model: Sequential): Snapshot {
  const a = model.live('fit()');
  return { params: a.region('params').slice(), m: a.region('m').slice(), v: a.region('v').slice(), step: a.slots()[M.step] };
}

function restoreState(model: Sequential, s: Snapshot): void {
  const a = model.live('fit()');
  a.region('params').set(s.params);
  a.region('m').set(s.m);
  a.region('v').set(s.v);
  a.slots()[M.step] = s.step;
}

function paramsFinite(model: Sequential): boolean {
  const p = model.live('fit()').region('params');
  for (let i = 0; i < p.length; i++) if (!Number.isFinite(p[i])) return false;
  return true;
}
