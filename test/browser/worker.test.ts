// trainInWorker on Node's worker_threads, through the shipped ESM build (dist/): the worker runs
// dist/worker-entry.js. Oracle: the same run with fit() on this thread (fixtures/experiment.js),
// compared bit for bit; then abort, the Rng hand-over, and typed errors across the boundary.
import { describe, expect, it } from 'vitest';
import './fixtures/experiment.js';

type Lib = typeof import('../../src/index.js');
const L = (await import(new URL('../../dist/index.js', import.meta.url).href)) as Lib;
const E = (globalThis as unknown as { lstmExperiment: any }).lstmExperiment; // eslint-disable-line @typescript-eslint/no-explicit-any

const layers = () => [L.lstm({ units: 8, inputShape: [5, 1] }), L.dense({ units: 26, activation: 'softmax' })];
const compile = () => ({ loss: 'categoricalCrossentropy' as const, optimizer: L.adam(), metrics: ['accuracy' as const] });
const data = () => {
  const s = E.setup(L, E.CONFIGS[0]);
  return { x: s.x as import('../../src/index.js').Tensor, y: s.y as import('../../src/index.js').Tensor };
};

describe('trainInWorker in Node (worker_threads)', () => {
  it('equals fit() on this thread bit for bit, streams onEpoch, returns History and transferred weights', async () => {
    for (const cfg of E.CONFIGS) {
      const here = await E.inThread(L, cfg);
      const there = await E.inWorker(L, cfg);
      expect(there.sha256, `${cfg.name}: weights`).toBe(here.sha256);
      expect(there.loss, `${cfg.name}: per-epoch loss`).toEqual(here.loss);
      expect(there.evaluate).toEqual(here.evaluate);
      expect(there.next, `${cfg.name}: the caller's rng continues where the worker left it`).toEqual(here.next);
      expect(there.onEpoch.map((e: { epoch: number }) => e.epoch)).toEqual([...Array(cfg.epochs).keys()]);
      expect(there.onEpoch.map((e: { loss: number }) => e.loss)).toEqual(here.loss);
      expect(there.isHistory).toBe(true);
      expect(there.aborted).toBe(false);
    }
  });

  it('resolves a result whose weights load into a model here', async () => {
    const { x, y } = data();
    const r = await L.trainInWorker({ model: { seed: 5, layers: layers() }, compile: compile(), x, y, fit: { epochs: 2, batchSize: 64 } });
    expect(r.weights.map((w) => [w.name, w.shape])).toEqual([
      ['lstm/kernel', [1, 32]], ['lstm/recurrent_kernel', [8, 32]], ['lstm/bias', [32]], ['dense/kernel', [8, 26]], ['dense/bias', [26]],
    ]);
    expect(r.weights.every((w) => w.data instanceof Float32Array && w.data.byteOffset === 0 && w.data.buffer.byteLength === w.data.byteLength)).toBe(true);
    expect(r.history.history.acc).toHaveLength(2);
    expect(r.history.params).toEqual({ epochs: 2, samples: 1000, batchSize: 64, steps: 16 });
    expect(r.seconds).toBeGreaterThan(0);
    await L.ready();
    const m = L.sequential({ layers: layers() });
    m.setWeights(r.weights);
    expect(m.getWeights().map((w) => Array.from(w.data))).toEqual(r.weights.map((w) => Array.from(w.data)));
    m.dispose();
  });

  it('stops on abort between batches and resolves with the finished epochs', async () => {
    const r = await E.abortInWorker(L, 2);
    expect(r).toMatchObject({ aborted: true, finite: true, weights: 5 });
    expect(r.epochs).toBeGreaterThanOrEqual(2);
    expect(r.epochs).toBeLessThan(50);
    // Already aborted before it starts: no epoch runs, the initial weights come back.
    const { x, y } = data();
    const stop = new AbortController();
    stop.abort();
    const r2 = await L.trainInWorker({ model: { seed: 5, layers: layers() }, compile: compile(), x, y, fit: { epochs: 50 }, signal: stop.signal });
    expect(r2.aborted).toBe(true);
    expect(r2.history.epoch).toEqual([]);
    await L.ready();
    const init = L.sequential({ seed: 5, layers: layers() });
    expect(r2.weights.map((w) => Array.from(w.data))).toEqual(init.getWeights().map((w) => Array.from(w.data)));
    init.dispose();
  });

  it('brings typed errors back from the worker, with the message fit() would give', async () => {
    const err = await E.errorInWorker(L);
    expect(err).toMatchObject({ thrown: true, name: 'ValueError', isValueError: true, isLstmWasmError: true });
    const { x } = data();
    const badY = { shape: [999, 26], data: new Float32Array(999 * 26) };
    await expect(L.trainInWorker({ model: { seed: 1, layers: layers() }, compile: compile(), x, y: badY })).rejects.toThrow(L.ShapeError);
    await expect(L.trainInWorker({ model: { seed: 1, layers: layers() }, compile: { loss: 'hinge' as never }, x, y: badY })).rejects.toThrow(/compile\(\): loss must be one of/);
  });

  it('rejects what cannot cross to a worker, and typos, with a ConfigError', async () => {
    const { x, y } = data();
    const base = { model: { seed: 1, layers: layers() }, compile: compile(), x, y };
    await expect(L.trainInWorker({ ...base, fit: { epochs: 1, callbacks: {} } as never })).rejects.toThrow(/fit\.callbacks cannot cross to a worker; use onEpoch/);
    await expect(L.trainInWorker({ ...base, fit: { signal: new AbortController().signal } as never })).rejects.toThrow(L.ConfigError);
    await expect(L.trainInWorker({ ...base, fit: { epoch: 3 } as never })).rejects.toThrow(/^fit\(\): unknown option 'epoch'/);
    await expect(L.trainInWorker({ ...base, onEpcoh: () => {} } as never)).rejects.toThrow(/unknown option 'onEpcoh'/);
    await expect(L.trainInWorker({ model: base.model, compile: base.compile, x } as never)).rejects.toThrow(/'y' is required/);
    await expect(L.trainInWorker({ ...base, model: { ...base.model, rng: 42 as never } })).rejects.toThrow(/model\.rng must be/);
    // A function inside the options cannot be cloned: a ConfigError, not a DataCloneError.
    await expect(L.trainInWorker({ ...base, compile: { ...base.compile, metrics: [() => 0] as never } })).rejects.toThrow(/could not be sent to the worker/);
  });

  it('ends the run when onEpoch throws', async () => {
    const { x, y } = data();
    await expect(
      L.trainInWorker({ model: { seed: 1, layers: layers() }, compile: compile(), x, y, fit: { epochs: 100 }, onEpoch: () => { throw new Error('enough'); } }),
    ).rejects.toThrow('enough');
  });

  it('fails clearly when the worker script cannot start', async () => {
    const { x, y } = data();
    await expect(
      L.trainInWorker({ model: { seed: 1, layers: layers() }, compile: compile(), x, y, workerUrl: new URL('./no-such-worker.js', import.meta.url) }),
    ).rejects.toThrow(/trainInWorker\(\): the worker failed: .*no-such-worker/);
  });
});

describe('earlyStopping crosses to the worker as plain options', () => {
  it('stops as the same callback does in-thread: same epochs, same weights, not reported as aborted', async () => {
    await L.ready();
    const { x, y } = data();
    const stop = { monitor: 'loss', minDelta: 10, patience: 1 }; // no epoch improves by 10: stops after epoch 2
    const r = await L.trainInWorker({ model: { seed: 5, layers: layers() }, compile: compile(), x, y, fit: { epochs: 6, batchSize: 64, earlyStopping: stop } });
    const m = L.sequential({ seed: 5, layers: layers() });
    m.compile(compile());
    const h = await m.fit(x, y, { epochs: 6, batchSize: 64, verbose: 0, callbacks: L.earlyStopping(stop) });
    expect(h.epoch).toEqual([0, 1]);
    expect(r.history.epoch).toEqual(h.epoch);
    expect(r.aborted).toBe(false);
    expect(r.weights.map((w) => Array.from(w.data))).toEqual(m.getWeights().map((w) => Array.from(w.data)));
    m.dispose();
  });
});
