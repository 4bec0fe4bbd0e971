// Training off the main thread. `trainInWorker` (the page's or program's side) starts a worker,
// sends it a serializable description of the model, the data and fit's options, relays per-epoch
// logs and an abort, and resolves with the History and the weights (transferred, not copied).
// `serveWorker` is the worker's side: it builds the model, runs `fit` and reports back.
// Hosts: Web Workers in browsers (classic for the IIFE bundle, module for the ESM build) and
// Node's worker_threads. Nothing here touches WebAssembly; the worker calls `ready()` itself.
import { ConfigError, LstmWasmError, ShapeError, StateError, ValueError } from './errors.js';
import { checkKeys, describe } from './options.js';
import { ready } from './wasm.js';
import { sequential, type CompileArgs, type NamedTensor, type Sequential, type SequentialArgs } from './model/sequential.js';
import { decodeModel, type ModelSource, type SavedModel } from './io/format.js';
import { loadModel } from './model/load.js';
import { kindOf, type Layer } from './layers/index.js';
import { optimizerFactory, type Optimizer } from './optimizers.js';
import { History, earlyStopping, type EarlyStoppingArgs, type Logs } from './callbacks.js';
import { createRng, type Rng, type RngKind, type RngState } from './random.js';
import type { FitArgs } from './fit/fit.js';
import type { InputData, TargetData } from './inputs.js';

/**
 * `fit` options that cross to the worker: everything but `callbacks` and `signal` (see `onEpoch`, `signal`).
 *
 * @example
 * const fit: WorkerFitArgs = { epochs: 500, batchSize: 1, validationSplit: 0.1 };
 * await trainInWorker({ model, compile, x, y, fit });
 */
export type WorkerFitArgs = Omit<FitArgs, 'callbacks' | 'signal'> & {
  /** `earlyStopping(...)`'s options, as plain data (the callback is built inside the worker). */
  earlyStopping?: EarlyStoppingArgs;
};

/**
 * Timing of one epoch, measured inside the worker.
 *
 * @example
 * onEpoch: (epoch, logs, t: EpochTiming) => console.log(`${t.seconds.toFixed(2)}s, ${t.samplesPerSecond.toFixed(0)} samples/s`)
 */
export interface EpochTiming {
  /** Wall time of the epoch in seconds. */
  seconds: number;
  /** Training samples per second over the epoch. */
  samplesPerSecond: number;
}

/**
 * Options of {@link trainInWorker}.
 *
 * @example
 * const args: TrainInWorkerArgs = {
 *   model: { seed: 7, layers: [lstm({ units: 32, inputShape: [5, 1] }), dense({ units: 26, activation: 'softmax' })] },
 *   compile: { loss: 'categoricalCrossentropy', optimizer: adam() },
 *   x, y, fit: { epochs: 100 },
 * };
 * const { history } = await trainInWorker(args);
 */
export interface TrainInWorkerArgs {
  /**
   * The arguments of `sequential(...)`: `layers` made by `lstm()`/`dense()` (plain objects, so
   * they cross to the worker), `seed`, `rng`, `preset`, `kernels`. An `Rng` object is sent as its
   * state and, when training ends, set to the worker's final state, so the stream continues
   * exactly as after an in-thread `fit`.
   */
  model?: SequentialArgs;
  /**
   * Instead of `model`: a checkpoint to continue, `model.save()` output or `encodeModel` bytes
   * (copied to the worker). Its weights, optimizer state, generator, sample order and compile
   * settings come along, so `fit: { epochs, initialEpoch }` continues exactly as an in-thread fit
   * of the loaded model would.
   */
  from?: ModelSource;
  /**
   * The arguments of `compile(...)`; `optimizer: adam({...})` (or sgd, rmsprop) crosses as plain
   * data. Required with `model`; with `from`, optional (given, it recompiles: the optimizer state
   * starts afresh, as `compile()` does).
   */
  compile?: CompileArgs;
  /** Inputs [samples, steps, features]: a `{shape, data}` tensor or nested arrays (copied to the worker). */
  x: InputData;
  /** Targets: [samples, units] (or [samples, steps, units] for a sequence output; labels for the sparse loss). */
  y: TargetData;
  /** `fit` options without `callbacks` and `signal`, checked by `fit` in the worker; `verbose` defaults to 0 here. */
  fit?: WorkerFitArgs;
  /** Called on this thread after every finished epoch, with Keras's logs and the epoch's timing. */
  onEpoch?: (epoch: number, logs: Logs, timing: EpochTiming) => void;
  /**
   * Stops training between batches, as `fit`'s `signal`: the promise then resolves (it does not
   * reject) with `aborted: true`, the epochs that finished, and the weights of the last finished batch.
   */
  signal?: AbortSignal;
  /**
   * Where the worker script is. Defaults: with the `<script>` bundle, a same-origin blob worker
   * that runs `importScripts(<the bundle's own URL>)` (so a CDN copy works too); with the ESM
   * build, `./worker-entry.js` next to this module (`type: 'module'`, the pattern bundlers
   * recognise); in Node, the same file in `worker_threads`. Give `dist/lstm-wasm.worker.js`'s URL
   * where a Content-Security-Policy forbids blob workers.
   */
  workerUrl?: string | URL;
}

/**
 * What {@link trainInWorker} resolves to.
 *
 * @example
 * const { history, weights, aborted, seconds }: TrainInWorkerResult = await trainInWorker(args);
 * model.setWeights(weights);
 */
export interface TrainInWorkerResult {
  /** The run's History, as `fit` returns it. */
  history: History;
  /** `getWeights()` of the trained model: its tensors (5 for one LSTM layer), whose buffers were transferred from the worker. */
  weights: NamedTensor[];
  /** True when `signal` stopped training before the last epoch. */
  aborted: boolean;
  /**
   * The trained model as `model.save()` gives it (weights, optimizer state, generator, sample
   * order, a stateful model's states): `loadModel(saved)` continues exactly where the worker stopped.
   */
  saved: SavedModel;
  /** Wall time of `fit` inside the worker, in seconds. */
  seconds: number;
}

// ---- the wire format -------------------------------------------------------------------------

const TAG = 'lstm-wasm/worker/1'; // every message carries it; anything else is ignored

interface Job {
  model: (Omit<SequentialArgs, 'rng'> & { rng?: RngKind | { state: RngState } }) | null;
  from: SavedModel | null;
  compile: CompileArgs | null;
  x: InputData;
  y: TargetData;
  fit: WorkerFitArgs;
}

type ToWorker = { tag: typeof TAG; type: 'train'; job: Job } | { tag: typeof TAG; type: 'abort' };

type FromWorker =
  | { tag: typeof TAG; type: 'ready' }
  | { tag: typeof TAG; type: 'epoch'; epoch: number; logs: Logs; timing: EpochTiming }
  | {
      tag: typeof TAG;
      type: 'done';
      history: { epoch: number[]; history: Record<string, number[]>; params: History['params'] };
      weights: NamedTensor[];
      aborted: boolean;
      seconds: number;
      rngState: RngState | null;
      saved: SavedModel;
    }
  | { tag: typeof TAG; type: 'error'; name: string; message: string };

const ERRORS: Record<string, new (m: string) => Error> = { LstmWasmError, ShapeError, ValueError, ConfigError, StateError };


const TRAIN_KEYS = ['model', 'from', 'compile', 'x', 'y', 'fit', 'onEpoch', 'signal', 'workerUrl'] as const;

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

// ---- where the worker script is ----------------------------------------------------------------

// The URL of the classic <script> that is running this code (the IIFE bundle), read while it runs:
// `document.currentScript` is only set during a classic script's first execution.
const SCRIPT_URL: string | undefined = (() => {
  const d = (globalThis as { document?: { currentScript?: { src?: unknown } | null } }).document;
  const src = d?.currentScript?.src;
  return typeof src === 'string' && src !== '' ? src : undefined;
})();

// Hidden from bundlers, which would otherwise try to resolve a Node built-in for the browser.
const WORKER_THREADS = 'node:worker_threads';

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string' && typeof (globalThis as { window?: unknown }).window === 'undefined';
}

/** The two ends of a worker behind one small interface. */
interface Channel {
  post(msg: ToWorker): void;
  terminate(): void;
}

interface Handlers {
  message(msg: FromWorker): void;
  fail(err: Error): void;
}

async function openChannel(caller: string, workerUrl: string | URL | undefined, h: Handlers): Promise<Channel> {
  if (isNode()) {
    const wt = (await import(/* @vite-ignore */ /* webpackIgnore: true */ WORKER_THREADS)) as typeof import('node:worker_threads');
    const url = workerUrl ?? moduleEntryUrl();
    if (url === undefined) throw new ConfigError(`${caller}: give workerUrl (this build cannot locate worker-entry.js)`);
    const w = new wt.Worker(typeof url === 'string' && url.startsWith('file:') ? new URL(url) : url);
    w.on('message', (m: FromWorker) => h.message(m));
    w.on('error', (e: Error) => h.fail(new StateError(`${caller}: the worker failed: ${e.message}`)));
    w.on('exit', (code: number) => h.fail(new StateError(`${caller}: the worker exited (code ${code}) before it finished`)));
    return { post: (m) => w.postMessage(m), terminate: () => void w.terminate() };
  }
  const WorkerCtor = (globalThis as { Worker?: typeof Worker }).Worker;
  if (typeof WorkerCtor !== 'function') throw new StateError(`${caller}: this host has neither Web Workers nor worker_threads`);
  let w: Worker;
  let blobUrl: string | undefined;
  if (workerUrl !== undefined) {
    w = new WorkerCtor(workerUrl, { type: SCRIPT_URL ? 'classic' : 'module' });
  } else if (SCRIPT_URL) {
    // A same-origin bootstrap that loads the bundle this page loaded: works even when the bundle
    // comes from a CDN, where `new Worker(cdnUrl)` would be refused as cross-origin.
    const boot = `importScripts(${JSON.stringify(SCRIPT_URL)});\nself.lstmWasm.serveWorker();\n`;
    blobUrl = URL.createObjectURL(new Blob([boot], { type: 'text/javascript' }));
    w = new WorkerCtor(blobUrl);
  } else if (typeof import.meta.url === 'string') {
    w = new Worker(new URL('./worker-entry.js', import.meta.url), { type: 'module' });
  } else {
    throw new ConfigError(`${caller}: give workerUrl (the URL of lstm-wasm.worker.js); this script's own URL is unknown`);
  }
  const release = () => {
    if (blobUrl) URL.revokeObjectURL(blobUrl);
    blobUrl = undefined;
  };
  w.onmessage = (e: MessageEvent<FromWorker>) => {
    if (e.data?.type === 'ready') release();
    h.message(e.data);
  };
  w.onerror = (e: ErrorEvent) => {
    e.preventDefault();
    h.fail(new StateError(`${caller}: the worker failed: ${e.message || `could not load or run ${String(workerUrl ?? SCRIPT_URL ?? 'worker-entry.js')}`}`));
  };
  w.onmessageerror = () => h.fail(new StateError(`${caller}: a message from the worker could not be read`));
  return {
    post: (m) => w.postMessage(m),
    terminate: () => {
      w.terminate();
      release();
    },
  };
}

function moduleEntryUrl(): URL | undefined {
  return typeof import.meta.url === 'string' ? new URL('./worker-entry.js', import.meta.url) : undefined;
}

// ---- the caller's side -------------------------------------------------------------------------

/**
 * Runs `sequential(model)`, `compile(compile)` and `fit(x, y, fit)` in a worker — a Web Worker in
 * browsers, `worker_threads` in Node — so the page stays responsive. Per-epoch logs stream back
 * through `onEpoch`; `signal` stops training; the trained weights come back as transferred
 * buffers, ready for `setWeights` on a model in this thread. The same seed gives the same bits
 * as an in-thread `fit`. Errors from the worker arrive as the same typed errors.
 *
 * Departs from Keras: there is no Keras counterpart; `fit`'s `callbacks` become `onEpoch`.
 *
 * @example
 * const stop = new AbortController();
 * const { history, weights, aborted } = await trainInWorker({
 *   model: { seed: 7, layers: [lstm({ units: 32, inputShape: [5, 1] }), dense({ units: 26, activation: 'softmax' })] },
 *   compile: { loss: 'categoricalCrossentropy', optimizer: adam(), metrics: ['accuracy'] },
 *   x, y, fit: { epochs: 500, batchSize: 1 },
 *   onEpoch: (epoch, logs, t) => console.log(epoch, logs.loss, `${t.samplesPerSecond.toFixed(0)} samples/s`),
 *   signal: stop.signal,
 * });
 * await ready();
 * const model = sequential({ layers: [lstm({ units: 32, inputShape: [5, 1] }), dense({ units: 26, activation: 'softmax' })] });
 * model.setWeights(weights);
 */
export function trainInWorker(args: TrainInWorkerArgs): Promise<TrainInWorkerResult> {
  const c = 'trainInWorker()';
  let job: Job;
  let rngObject: Rng | null = null;
  try {
    if (args === null || typeof args !== 'object') throw new ConfigError(`${c}: options with model, compile, x and y are required, received ${describe(args)}`);
    checkKeys(c, args, TRAIN_KEYS);
    if ((args.model === undefined) === (args.from === undefined)) throw new ConfigError(`${c}: give either 'model' (a new model) or 'from' (a checkpoint to continue)`);
    for (const k of [...(args.model === undefined ? [] : ['compile'] as const), 'x', 'y'] as const) {
      if (args[k] === undefined) throw new ConfigError(`${c}: '${k}' is required`);
    }
    if (args.model !== undefined && (args.model === null || typeof args.model !== 'object')) throw new ConfigError(`${c}: model must be the options of sequential(), received ${describe(args.model)}`);
    const fit = args.fit ?? {};
    if (fit === null || typeof fit !== 'object') throw new ConfigError(`${c}: fit must be an object of fit() options, received ${describe(fit)}`);
    if ('callbacks' in fit) throw new ConfigError(`${c}: fit.callbacks cannot cross to a worker; use onEpoch`);
    if ('signal' in fit) throw new ConfigError(`${c}: fit.signal cannot cross to a worker; pass signal next to fit`);
    if (args.onEpoch !== undefined && typeof args.onEpoch !== 'function') throw new ConfigError(`${c}: onEpoch must be a function, received ${describe(args.onEpoch)}`);
    const sig = args.signal;
    if (sig !== undefined && (sig === null || typeof sig !== 'object' || typeof sig.aborted !== 'boolean' || typeof sig.addEventListener !== 'function')) {
      throw new ConfigError(`${c}: signal must be an AbortSignal, received ${describe(sig)}`);
    }
    if (args.workerUrl !== undefined && typeof args.workerUrl !== 'string' && !(args.workerUrl instanceof URL)) {
      throw new ConfigError(`${c}: workerUrl must be a string or URL, received ${describe(args.workerUrl)}`);
    }
    let wireModel: Job['model'] = null;
    if (args.model !== undefined) {
      const { rng, ...rest } = args.model;
      let wireRng: NonNullable<Job['model']>['rng'];
      if (rng === undefined || typeof rng === 'string') wireRng = rng;
      else if (typeof rng === 'object' && rng !== null && typeof rng.getState === 'function') {
        if (rest.seed !== undefined) throw new ConfigError(`sequential(): give either seed or an rng object, not both (the rng is already seeded)`);
        rngObject = rng;
        wireRng = { state: rng.getState() };
      } else throw new ConfigError(`${c}: model.rng must be 'seedrandom', 'numpy' or a generator, received ${describe(rng)}`);
      wireModel = { ...rest, rng: wireRng };
    }
    // A checkpoint crosses as save()'s { json, weights }; bytes are decoded (and checked) here.
    const from = args.from === undefined ? null : ArrayBuffer.isView(args.from) || args.from instanceof ArrayBuffer ? decodeModel(args.from, c) : (args.from as SavedModel);
    job = { model: wireModel, from, compile: args.compile ?? null, x: args.x, y: args.y, fit };
  } catch (e) {
    return Promise.reject(e);
  }

  return new Promise<TrainInWorkerResult>((resolve, reject) => {
    let channel: Channel | null = null;
    let settled = false;
    const onAbort = () => channel?.post({ tag: TAG, type: 'abort' });
    const finish = (err: Error | null, result?: TrainInWorkerResult) => {
      if (settled) return;
      settled = true;
      args.signal?.removeEventListener('abort', onAbort);
      channel?.terminate();
      if (err) reject(err);
      else resolve(result!);
    };
    const handlers: Handlers = {
      fail: (err) => finish(err),
      message: (m) => {
        if (settled || m === null || typeof m !== 'object' || m.tag !== TAG) return;
        try {
          if (m.type === 'ready') {
            try {
              channel!.post({ tag: TAG, type: 'train', job });
            } catch (e) {
              // DataCloneError: something in model/compile/x/y is not plain data.
              throw new ConfigError(`${c}: the options could not be sent to the worker (${(e as Error).message}); pass plain data: layers from lstm()/dense(), adam(), tensors or arrays`);
            }
            if (args.signal) {
              if (args.signal.aborted) onAbort();
              else args.signal.addEventListener('abort', onAbort, { once: true });
            }
          } else if (m.type === 'epoch') {
            args.onEpoch?.(m.epoch, m.logs, m.timing);
          } else if (m.type === 'done') {
            const history = new History(m.history.params);
            m.history.epoch.forEach((ep, i) => {
              const logs: Logs = {};
              for (const [k, v] of Object.entries(m.history.history)) logs[k] = v[i];
              history.record(ep, logs);
            });
            if (rngObject && m.rngState) rngObject.setState(m.rngState);
            finish(null, { history, weights: m.weights, aborted: m.aborted, seconds: m.seconds, saved: m.saved });
          } else if (m.type === 'error') {
            const E = ERRORS[m.name] ?? Error;
            const err = new E(m.message);
            if (!(m.name in ERRORS)) err.name = m.name;
            finish(err);
          }
        } catch (e) {
          finish(e as Error); // an exception thrown by onEpoch ends the run too
        }
      },
    };
    openChannel(c, args.workerUrl, handlers).then(
      (ch) => {
        channel = ch;
        if (settled) ch.terminate();
      },
      (e: Error) => finish(e),
    );
  });
}

// ---- the worker's side -------------------------------------------------------------------------

/**
 * The worker end of a channel: a worker's global scope (`self`) or Node's `parentPort`.
 *
 * @example
 * // a Node worker_threads script of your own
 * import { parentPort } from 'node:worker_threads';
 * serveWorker(parentPort as WorkerPort);
 */
export interface WorkerPort {
  /** Sends a message to the training thread, transferring the buffers in `transfer`. */
  postMessage(message: unknown, transfer?: readonly unknown[]): void;
  /** Web Workers' way to receive messages (the message in `e.data`); give this or `on`. */
  addEventListener?(type: 'message', listener: (e: { data: unknown }) => void): void;
  /** Node's `worker_threads` way to receive messages (the message itself); give this or `addEventListener`. */
  on?(type: 'message', listener: (value: unknown) => void): void;
}

/**
 * Answers `trainInWorker` from inside a worker. The shipped worker scripts call it for you
 * (`dist/worker-entry.js` for module workers and Node, `dist/lstm-wasm.worker.js` for classic
 * workers); call it yourself only in a worker of your own, e.g.
 * `importScripts('lstm-wasm.js'); lstmWasm.serveWorker();`. Messages without lstm-wasm's tag are
 * ignored, so the worker can serve other messages too.
 *
 * @example
 * // my-worker.js (a classic worker)
 * importScripts('https://unpkg.com/lstm-wasm/dist/lstm-wasm.js');
 * lstmWasm.serveWorker();
 */
export function serveWorker(port?: WorkerPort): void {
  const p = port ?? (globalThis as unknown as WorkerPort);
  if (typeof p?.postMessage !== 'function') throw new StateError('serveWorker(): call it inside a worker, or pass the port to answer on');
  const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => p.postMessage(m, transfer);
  let controller: AbortController | null = null;
  const onMessage = (m: ToWorker) => {
    if (m === null || typeof m !== 'object' || m.tag !== TAG) return;
    if (m.type === 'abort') controller?.abort();
    else if (m.type === 'train') {
      if (controller) {
        post({ tag: TAG, type: 'error', name: 'StateError', message: 'serveWorker(): this worker is already training' });
        return;
      }
      controller = new AbortController();
      runJob(m.job, controller.signal, post).catch((e: unknown) => {
        const err = e instanceof Error ? e : new Error(String(e));
        post({ tag: TAG, type: 'error', name: err.name, message: err.message });
      });
    }
  };
  if (typeof p.on === 'function') p.on('message', (v) => onMessage(v as ToWorker));
  else if (typeof p.addEventListener === 'function') p.addEventListener('message', (e) => onMessage(e.data as ToWorker));
  else throw new StateError('serveWorker(): the port has neither on() nor addEventListener()');
  post({ tag: TAG, type: 'ready' });
}

// Layers cross as plain {className, config} objects; each is rebuilt through its kind's factory
// (the registry's, by className) so a hand-made config is validated as the factory would. A
// className without a kind is left for sequential() to refuse.
function rebuildLayer(l: unknown): unknown {
  const o = l as { className?: unknown; config?: unknown } | null;
  const kind = o !== null && typeof o === 'object' ? kindOf(o.className) : undefined;
  return kind ? kind.make(o!.config) : l;
}

async function runJob(job: Job, signal: AbortSignal, post: (m: FromWorker, transfer?: ArrayBuffer[]) => void): Promise<void> {
  await ready();
  const wireRng = job.model?.rng;
  let model: Sequential;
  if (job.from) model = loadModel(job.from);
  else {
    const { rng: _, layers, ...rest } = job.model!;
    let rng: SequentialArgs['rng'];
    if (wireRng !== undefined && typeof wireRng === 'object') {
      const r = createRng(0, wireRng.state.kind);
      r.setState(wireRng.state);
      rng = r;
    } else rng = wireRng;
    model = sequential({ ...rest, ...(rng === undefined ? {} : { rng }), layers: (Array.isArray(layers) ? layers.map(rebuildLayer) : layers) as Layer[] });
  }
  try {
    if (job.compile) {
      const opt = job.compile.optimizer;
      const make = opt !== null && typeof opt === 'object' ? optimizerFactory((opt as Optimizer).className) : undefined;
      const optimizer = make ? make({ ...(opt as Optimizer).config } as never) : opt;
      model.compile({ ...job.compile, ...(optimizer === undefined ? {} : { optimizer }) });
    }
    // Training samples per epoch, for the rate: Keras keeps the first int(N·(1 - split)) for training.
    const split = (job.fit as { validationSplit?: unknown }).validationSplit;
    const samples = Math.floor(samplesOf(job.x) * (1 - (typeof split === 'number' ? split : 0)));
    let t0 = 0;
    const start = now();
    const { earlyStopping: stopArgs, ...fitArgs } = job.fit;
    const history = await model.fit(job.x, job.y, {
      verbose: 0,
      ...fitArgs,
      signal,
      callbacks: [{
        onEpochBegin: () => {
          t0 = now();
        },
        onEpochEnd: (epoch, logs) => {
          const seconds = (now() - t0) / 1000;
          post({ tag: TAG, type: 'epoch', epoch, logs, timing: { seconds, samplesPerSecond: seconds > 0 ? samples / seconds : Infinity } });
        },
      }, ...(stopArgs === undefined ? [] : [earlyStopping(stopArgs)])],
    });
    const seconds = (now() - start) / 1000;
    const planned = (job.fit.epochs ?? 1) - (job.fit.initialEpoch ?? 0);
    const weights = model.getWeights();
    const saved = model.save();
    post(
      {
        tag: TAG,
        type: 'done',
        history: { epoch: history.epoch, history: history.history, params: history.params },
        weights,
        aborted: signal.aborted && history.epoch.length < planned, // not an early stop
        seconds,
        rngState: typeof wireRng === 'object' ? model.rng.getState() : null,
        saved,
      },
      [...weights.map((w) => w.data.buffer as ArrayBuffer), saved.weights],
    );
  } finally {
    model.dispose();
  }
}

function samplesOf(x: InputData): number {
  if (Array.isArray(x)) return x.length;
  return (x as { shape: readonly number[] }).shape[0] ?? 0;
}
