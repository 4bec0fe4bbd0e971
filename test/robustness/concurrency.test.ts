// Concurrency (issue 7). fit is asynchronous: it yields to the event loop between chunks of work
// and awaits callbacks, so other code runs while it is in flight. Behaviour measured and fixed here:
// - a second fit on the same model is refused with a StateError (in the same tick or later);
// - calls that would change the model (compile, setWeights, loadWeights, computeGradients,
//   dispose) are refused with a StateError while fit runs;
// - predict, evaluate, getWeights and save are allowed while fit runs and are safe: they see the
//   weights of the last finished batch, and the training result is bit-identical to a run without
//   them, even when predict regrows the model's scratch for longer inputs.
// Oracles: a lone run of the same fit (bits and History), and a twin model given the weights
// captured at the moment of each predict.
import { describe, it, expect, beforeAll } from 'vitest';
import { ready, sequential, lstm, dense, adam, StateError, ShapeError, type Sequential, type Tensor, type NamedTensor, type Callback } from '../../src/index.js';
import { memoryStats, refused, outcome, errorLine, stateHash, task, raggedTask, expectSameBits, probabilityRowsProblem, turn } from '../helpers/robust.js';

beforeAll(async () => {
  await ready();
});

const make = (seed = 4): Sequential => {
  const m = sequential({ seed, layers: [lstm({ units: 16, inputShape: [null, 1] }), dense({ units: 6, activation: 'softmax' })] });
  m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 0.01 }), metrics: ['accuracy'] });
  return m;
};
const { x, y } = raggedTask(60, 7, 6);
const evalSet = raggedTask(10, 7, 6);
const probe: number[][] = [Array.from({ length: 40 }, (_, t) => (t % 6) / 6)]; // longer than any training sample
const args = { epochs: 4, batchSize: 6, verbose: 0 as const };

async function lone(extra: object = {}): Promise<{ hash: string; weights: NamedTensor[]; history: Record<string, number[]> }> {
  const m = make();
  const h = await m.fit(x, y, { ...args, ...extra });
  const r = { hash: stateHash(m), weights: m.getWeights(), history: h.history };
  m.dispose();
  return r;
}

describe('calls that change the model are refused while fit runs', () => {
  it('a second fit (same tick or later), compile, setWeights, loadWeights, computeGradients and dispose: StateError "busy in fit()"; the first fit is unaffected', async () => {
    const ref = await lone({ callbacks: { onEpochEnd: () => turn() } });
    const m = make();
    const saved = m.save();
    const refusedDuring: string[] = [];
    const tryAll = async (when: string) => {
      const calls: Array<[string, () => unknown]> = [
        ['fit()', () => m.fit(x, y, args)],
        ['fit()', () => m.fit(null as never, y)], // bad input too: the state is checked first
        ['compile()', () => m.compile({ loss: 'categoricalCrossentropy' })],
        ['setWeights()', () => m.setWeights(m.getWeights())],
        ['loadWeights()', () => m.loadWeights(saved)],
        ['computeGradients()', () => m.computeGradients(x, y)],
        ['dispose()', () => m.dispose()],
      ];
      for (const [name, call] of calls) {
        await refused(call, StateError, [`${name}: the model is busy in fit(); wait for it to finish`], `${when}: ${name}`);
        refusedDuring.push(name);
      }
    };
    const first = m.fit(x, y, { ...args, callbacks: { onEpochEnd: () => turn() } });
    await tryAll('same tick');
    await turn();
    await turn();
    await tryAll('mid-fit');
    const h = await first;
    expect(refusedDuring).toHaveLength(14);
    expect(h.history).toEqual(ref.history);
    expectSameBits(m.getWeights(), ref.weights, 'fit with refused calls around it vs a lone fit');
    expect(stateHash(m)).toBe(ref.hash);
    // Idle again: everything is allowed.
    expect(m.busy).toBeNull();
    m.compile({ loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    m.setWeights(m.getWeights());
    await m.fit(x, y, { epochs: 1, verbose: 0 });
    m.dispose();
  });

  it('a fit that rejects (a callback throws, or the input is bad) leaves the model idle and its data freed', async () => {
    const m = make();
    m.predict(probe); // the scratch now holds the longest sequence ...
    // ... and, since the batched engine sizes it for fit's chunk of batchSize samples too, a first
    // successful fit with the same batch size grows it to that chunk: so only the failed fit's data
    // could remain
    await m.fit(x, y, { ...args, epochs: 1 });
    const live = memoryStats().liveBytes;
    const boom = new Error('callback failed');
    const r = await outcome(() => m.fit(x, y, { ...args, callbacks: { onEpochEnd: (e) => { if (e === 1) throw boom; } } }));
    expect(r.ok ? 'resolved' : (r as { error: unknown }).error).toBe(boom);
    expect(m.busy).toBeNull();
    expect(memoryStats().liveBytes).toBe(live);
    await refused(() => m.fit([[1], [2]], y), ShapeError, ['x has 2 samples but y has 60']);
    expect(m.busy).toBeNull();
    const h = await m.fit(x, y, { epochs: 1, verbose: 0 });
    expect(h.epoch).toEqual([0]);
    m.dispose();
  });

  it('an aborted fit resolves with the epochs that finished; the model is idle and trains on', async () => {
    const m = make();
    const stop = new AbortController();
    const h = await m.fit(x, y, { ...args, signal: stop.signal, callbacks: { onEpochEnd: (e) => void (e === 1 && stop.abort()) } });
    expect(h.epoch).toEqual([0, 1]);
    expect(m.busy).toBeNull();
    await m.fit(x, y, { epochs: 1, verbose: 0 });
    m.dispose();
  });
});

describe('predict, evaluate, getWeights and save while fit runs', () => {
  it('from onBatchEnd: results are those of the current weights (a twin given them agrees) and training is bit-identical', async () => {
    const ref = await lone({ callbacks: { onBatchEnd: () => {} } });
    const m = make();
    const seen: Array<{ weights: NamedTensor[]; probs: Tensor; loss: number[] }> = [];
    const h = await m.fit(x, y, {
      ...args,
      callbacks: {
        onBatchEnd: (b) => {
          if (b % 3 !== 0) return;
          const weights = m.getWeights();
          const probs = m.predict(probe); // 40 steps: regrows the scratch while fit is in flight
          const loss = m.evaluate(evalSet.x, evalSet.y);
          m.save(); // a checkpoint, as a callback may take
          seen.push({ weights, probs, loss });
        },
      },
    });
    expect(h.history).toEqual(ref.history);
    expectSameBits(m.getWeights(), ref.weights, 'fit with predict/evaluate/save in onBatchEnd vs a lone fit');
    expect(stateHash(m)).toBe(ref.hash);
    expect(seen.length).toBeGreaterThan(10);
    const twin = make(99);
    for (const [k, s] of seen.entries()) {
      expect(probabilityRowsProblem(s.probs), `predict #${k}`).toBeNull();
      twin.setWeights(s.weights);
      expect(Array.from(twin.predict(probe).data), `predict #${k} vs a twin with the same weights`).toEqual(Array.from(s.probs.data));
      expect(twin.evaluate(evalSet.x, evalSet.y), `evaluate #${k}`).toEqual(s.loss);
    }
    twin.dispose();
    m.dispose();
  });

  it('from timers while a callback-free fit runs: fit yields to the event loop mid-run, and the results are unchanged', async () => {
    // 2,500 samples of 10 steps, H 32: two chunks per epoch, each long enough (tens of ms) that
    // fit's own yields (at most every 15 ms, between chunks) let the timers in while it trains.
    const big = task(2500, 10, 6);
    const make32 = (seed: number) => sequential({ seed, layers: [lstm({ units: 32, inputShape: [null, 1] }), dense({ units: 6, activation: 'softmax' })] });
    const run = async (withTimers: boolean) => {
      const m = make32(8);
      m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 0.01 }), metrics: ['accuracy'] });
      const during: Array<{ weights: NamedTensor[]; probs: Tensor }> = [];
      let on = withTimers;
      const tick = () => {
        if (!on) return;
        during.push({ weights: m.getWeights(), probs: m.predict(probe) });
        m.evaluate(evalSet.x, evalSet.y);
        setImmediate(tick);
      };
      setImmediate(tick);
      const h = await m.fit(big.x, big.y, { epochs: 4, batchSize: 10, verbose: 0 });
      on = false;
      const r = { hash: stateHash(m), weights: m.getWeights(), history: h.history, during };
      m.dispose();
      return r;
    };
    const quiet = await run(false);
    const busy = await run(true);
    expect(busy.history).toEqual(quiet.history);
    expectSameBits(busy.weights, quiet.weights, 'fit with timer-driven predict/evaluate vs without');
    expect(busy.hash).toBe(quiet.hash);
    // Some tick ran mid-training: its weights are not the final ones.
    const final = Buffer.from(busy.weights[0].data.buffer);
    const mid = busy.during.filter((d) => !Buffer.from(d.weights[0].data.buffer).equals(final)).length;
    expect(mid, `timer ticks while fit trained (of ${busy.during.length})`).toBeGreaterThan(0);
    const twin = make32(99);
    for (const [k, s] of busy.during.entries()) {
      twin.setWeights(s.weights);
      expect(Array.from(twin.predict(probe).data), `timer predict #${k}`).toEqual(Array.from(s.probs.data));
    }
    twin.dispose();
  });
});

describe('two models training at once', () => {
  it('each is busy only in its own fit: the other model stays free for every call', async () => {
    const a = make(1);
    const b = make(2);
    const pa = a.fit(x, y, { ...args, callbacks: { onEpochEnd: () => turn() } });
    await turn();
    const r = await outcome(() => {
      b.compile({ loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
      b.setWeights(b.getWeights());
      return b.computeGradients(x, y);
    });
    expect(r.ok, r.ok ? '' : errorLine((r as { error: unknown }).error)).toBe(true);
    await pa;
    a.dispose();
    b.dispose();
  });
});

describe('epoch logs do not depend on how fit cuts the epoch or on calls made from callbacks', () => {
  it('History is bit-identical: long runs, one call per batch, and evaluate()/predict() inside onBatchEnd', async () => {
    const { x, y } = task(300, 4, 6);
    const run = async (mk?: (m: Sequential) => Callback) => {
      const m = sequential({ seed: 9, layers: [lstm({ units: 6, inputShape: [4, 1] }), dense({ units: 6, activation: 'softmax' })] });
      m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 0.01 }), metrics: ['accuracy'] });
      const h = await m.fit(x, y, { epochs: 4, batchSize: 3, verbose: 0, callbacks: mk?.(m) });
      const out = { loss: h.history.loss, acc: h.history.acc, hash: stateHash(m) };
      m.dispose();
      return out;
    };
    const plain = await run();
    const perBatch = await run(() => ({ onBatchEnd: () => {} }));
    const meddling = await run((m) => ({ onBatchEnd: () => { m.evaluate(x, y); m.predict(x); } }));
    for (const [name, r] of [['one call per batch', perBatch], ['evaluate/predict in onBatchEnd', meddling]] as const) {
      expect(r.loss.map((v) => v.toString()), `${name}: loss`).toEqual(plain.loss.map((v) => v.toString()));
      expect(r.acc, `${name}: acc`).toEqual(plain.acc);
      expect(r.hash, `${name}: state`).toBe(plain.hash);
    }
  });
});
