// History, Keras-style progress output, the user callback interface, and earlyStopping.
import { ConfigError } from './errors.js';
import { checkKeys, describe, enumOption, intOption, numOption } from './options.js';

/**
 * Metric values by name, e.g. `{ loss: 0.088, acc: 0.983 }`.
 *
 * @example
 * const onEpochEnd = (epoch: number, logs: Logs) => console.log(epoch, logs.loss, logs.acc);
 */
export type Logs = Record<string, number>;

/**
 * Hooks called by `fit`, in Keras's order. Each may return a promise, which `fit` awaits.
 *
 * @example
 * await model.fit(x, y, { epochs: 10, callbacks: { onEpochEnd: (epoch, logs) => console.log(epoch, logs.loss) } });
 */
export interface Callback {
  /** Called once before the first epoch; `logs` is empty. */
  onTrainBegin?(logs: Logs): void | Promise<void>;
  /** Called before each epoch; `epoch` is the 0-based index (the first is `initialEpoch`); `logs` is empty. */
  onEpochBegin?(epoch: number, logs: Logs): void | Promise<void>;
  /** Called after every batch's update; `logs` holds `batch`, `size` and that batch's loss and accuracy. */
  onBatchEnd?(batch: number, logs: Logs): void | Promise<void>;
  /** Called after each epoch with its mean loss and metrics (and `val_` ones with validation data). */
  onEpochEnd?(epoch: number, logs: Logs): void | Promise<void>;
  /** Called once when training ends, also when stopped early, aborted or on a non-finite loss; `logs` is empty. */
  onTrainEnd?(logs: Logs): void | Promise<void>;
}

/**
 * What `fit` returns: one value per epoch for every logged metric, as Keras's `History`.
 *
 * @example
 * const history = await model.fit(x, y, { epochs: 5 });
 * history.history.loss; // [2.9, 2.6, ...]
 */
export class History {
  /** Epoch indices (0-based) that ran. */
  readonly epoch: number[] = [];
  /** Metric name -> one value per epoch. */
  readonly history: Record<string, number[]> = {};
  constructor(
    /** The run's settings, as Keras's `History.params`. */
    readonly params: {
      /** The `epochs` given to fit. */
      epochs: number;
      /** Training samples per epoch (after any validation split). */
      samples: number;
      /** Samples per gradient step. */
      batchSize: number;
      /** Batches per epoch, ceil(samples / batchSize). */
      steps: number;
    },
  ) {}

  /** @internal */
  record(epoch: number, logs: Logs): void {
    this.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) (this.history[k] ??= []).push(v);
  }
}

/**
 * Keras's number format in logs: `%.4f`, or `%.4e` (two-digit exponent) when |v| ≤ 1e-3.
 *
 * @example
 * formatLogValue(0.08812); // '0.0881'
 * formatLogValue(0.00012); // '1.2000e-04'
 */
export function formatLogValue(v: number): string {
  if (Math.abs(v) > 1e-3 || !Number.isFinite(v)) return v.toFixed(4);
  return v.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2');
}

/** ` - loss: 0.0881 - acc: 0.9830` */
export function formatLogs(logs: Logs): string {
  return Object.entries(logs).map(([k, v]) => ` - ${k}: ${formatLogValue(v)}`).join('');
}

interface Sink {
  line(s: string): void;
  /** Rewrites the current terminal line, or returns false when there is no terminal. */
  overwrite(s: string): boolean;
}

function defaultSink(): Sink {
  const proc = (globalThis as { process?: { stdout?: { write?: (s: string) => boolean; isTTY?: boolean } } }).process;
  const out = proc?.stdout;
  if (out && typeof out.write === 'function') {
    return {
      line: (s) => void out.write!(s + '\n'),
      overwrite: (s) => (out.isTTY ? (out.write!('\r' + s), true) : false),
    };
  }
  return { line: (s) => console.log(s), overwrite: () => false };
}

/**
 * Keras's console output for `fit`: verbose 1 draws a progress bar (in a terminal), verbose 2
 * prints one line per epoch (`Epoch k/N`, then ` - 0s - loss: … - acc: …`).
 */
export class ProgressLogger {
  private start = 0;
  private sink: Sink;
  constructor(private verbose: 0 | 1 | 2, private epochs: number, private samples: number, sink?: Sink) {
    this.sink = sink ?? defaultSink();
  }

  epochBegin(epoch: number, now: number): void {
    this.start = now;
    if (this.verbose > 0) this.sink.line(`Epoch ${epoch + 1}/${this.epochs}`);
  }

  progress(done: number, logs: Logs, now: number): void {
    if (this.verbose !== 1) return;
    this.sink.overwrite(this.bar(done) + ` - ETA: ${Math.round(((now - this.start) / 1000) * (this.samples / Math.max(done, 1) - 1))}s` + formatLogs(logs));
  }

  epochEnd(logs: Logs, now: number): void {
    const secs = ` - ${Math.round((now - this.start) / 1000)}s`;
    if (this.verbose === 2) this.sink.line(secs + formatLogs(logs));
    else if (this.verbose === 1) {
      const s = this.bar(this.samples) + secs + formatLogs(logs);
      if (this.sink.overwrite(s)) this.sink.line('');
      else this.sink.line(s);
    }
  }

  private bar(done: number): string {
    const width = 30;
    const n = String(this.samples).length;
    const filled = Math.floor((width * done) / this.samples);
    const head = done < this.samples ? '>' : '=';
    const body = filled > 0 ? '='.repeat(filled - 1) + head : '';
    return `${String(done).padStart(n)}/${this.samples} [${body.padEnd(width, '.')}]`;
  }
}

/**
 * Options of `earlyStopping`, as Keras's `EarlyStopping`.
 *
 * @example
 * const args: EarlyStoppingArgs = { monitor: 'loss', minDelta: 1e-4, patience: 5, mode: 'min' };
 * await model.fit(x, y, { epochs: 500, callbacks: earlyStopping(args) });
 */
export interface EarlyStoppingArgs {
  /** Logged value to watch. Default 'val_loss'. */
  monitor?: string;
  /** Smallest change that counts as an improvement. Default 0. */
  minDelta?: number;
  /** Epochs without improvement before stopping. Default 0. */
  patience?: number;
  /** 'min', 'max', or 'auto' (default: 'max' for accuracy keys, else 'min'). */
  mode?: 'auto' | 'min' | 'max';
  /** Put back the weights of the best epoch when stopping early. Default false. */
  restoreBestWeights?: boolean;
}

/** The part of a model a callback may use. */
export interface CallbackModel {
  stopTraining: boolean;
  getWeights(): Array<{ data: Float32Array }>;
  /** @internal writes weights while fit runs */
  writeParams(ws: Float32Array[]): void;
}

/**
 * Keras's `EarlyStopping`: stops `fit` when `monitor` has not improved by more than `minDelta`
 * for `patience` epochs; with `restoreBestWeights`, the best epoch's weights are put back when it
 * stops early (Keras 2 behaviour: not when training runs to its last epoch).
 *
 * @example
 * await model.fit(x, y, { epochs: 500, validationSplit: 0.2, callbacks: earlyStopping({ patience: 10, restoreBestWeights: true }) });
 */
export function earlyStopping(args: EarlyStoppingArgs = {}): EarlyStopping {
  return new EarlyStopping(args);
}

/**
 * Keras's `EarlyStopping` as a `Callback` object (what `earlyStopping(args)` returns); see
 * `EarlyStoppingArgs` for the options. One instance can serve several `fit` calls.
 *
 * @example
 * const stopper = new EarlyStopping({ monitor: 'val_loss', patience: 10 });
 * await model.fit(x, y, { epochs: 500, validationSplit: 0.2, callbacks: [stopper] });
 * stopper.stoppedEpoch; // 0 when it ran all epochs
 */
export class EarlyStopping implements Callback {
  /** The logged value watched, e.g. 'val_loss'. */
  readonly monitor: string;
  /** Smallest change that counts as an improvement (absolute value). */
  readonly minDelta: number;
  /** Epochs without improvement before stopping. */
  readonly patience: number;
  /** The direction that counts as better, 'auto' resolved. */
  readonly mode: 'min' | 'max';
  /** Whether the best epoch's weights are put back when stopping early. */
  readonly restoreBestWeights: boolean;
  /** Epoch (0-based) at which training was stopped, or 0 when it was not. */
  stoppedEpoch = 0;
  private model: CallbackModel | null = null;
  private wait = 0;
  private best = Infinity;
  private bestWeights: Float32Array[] | null = null;

  constructor(args: EarlyStoppingArgs = {}) {
    const c = 'earlyStopping()';
    checkKeys(c, args, ['monitor', 'minDelta', 'patience', 'mode', 'restoreBestWeights']);
    this.monitor = args.monitor ?? 'val_loss';
    if (typeof this.monitor !== 'string' || !this.monitor) throw new ConfigError(`${c}: monitor must be a log key such as 'val_loss', received ${describe(args.monitor)}`);
    this.minDelta = Math.abs(args.minDelta === undefined ? 0 : numOption(c, 'minDelta', args.minDelta, -Infinity, Infinity));
    this.patience = args.patience === undefined ? 0 : intOption(c, 'patience', args.patience, 0);
    const mode = args.mode === undefined ? 'auto' : enumOption(c, 'mode', args.mode, ['auto', 'min', 'max'] as const);
    this.mode = mode === 'auto' ? (/acc/.test(this.monitor) ? 'max' : 'min') : mode;
    if (args.restoreBestWeights !== undefined && typeof args.restoreBestWeights !== 'boolean') {
      throw new ConfigError(`${c}: restoreBestWeights must be a boolean, received ${describe(args.restoreBestWeights)}`);
    }
    this.restoreBestWeights = args.restoreBestWeights ?? false;
  }

  /** @internal called by fit */
  setModel(model: CallbackModel): void {
    this.model = model;
  }

  /** Resets the wait count, the best value and `stoppedEpoch`; called by `fit`. */
  onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this.bestWeights = null;
  }

  /** Compares `logs[monitor]` with the best so far and sets `stopTraining` when patience runs out; called by `fit`. */
  onEpochEnd(epoch: number, logs: Logs): void {
    const current = logs[this.monitor];
    if (current === undefined) {
      throw new ConfigError(`earlyStopping(): monitor '${this.monitor}' is not in the logs (available: ${Object.keys(logs).join(', ')})`);
    }
    const better = this.mode === 'min' ? current + this.minDelta < this.best : current - this.minDelta > this.best;
    if (better) {
      this.best = current;
      this.wait = 0;
      if (this.restoreBestWeights) this.bestWeights = this.model!.getWeights().map((w) => w.data);
      return;
    }
    this.wait++;
    if (this.wait >= this.patience) {
      this.stoppedEpoch = epoch;
      this.model!.stopTraining = true;
      if (this.restoreBestWeights && this.bestWeights) this.model!.writeParams(this.bestWeights);
    }
  }
}
