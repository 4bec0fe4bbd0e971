// The public API's behaviour: shapes, options, determinism and the promise that a rejected call
// leaves the model exactly as it was (checked with a hash of every weight bit).
import { describe, it, expect, beforeAll } from 'vitest';
import { createHash } from 'node:crypto';
import {
  ready, sequential, lstm, dense, adam, ShapeError, ValueError, ConfigError, StateError,
  type Sequential, type Tensor,
} from '../src/index.js';

function weightHash(m: Sequential): string {
  const h = createHash('sha256');
  for (const w of m.getWeights()) h.update(new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength));
  return h.digest('hex');
}

// A small deterministic task: 40 sequences of 3 steps, 5 classes.
function task(n = 40, T = 3, V = 5): { x: Tensor; y: Tensor; xs: number[][][]; ys: number[][] } {
  const xs: number[][][] = [];
  const ys: number[][] = [];
  for (let i = 0; i < n; i++) {
    const k = i % V;
    xs.push(Array.from({ length: T }, (_, t) => [((k + t) % V) / V]));
    ys.push(Array.from({ length: V }, (_, j) => (j === (k + T) % V ? 1 : 0)));
  }
  return { x: { shape: [n, T, 1], data: Float32Array.from(xs.flat(2)) }, y: { shape: [n, V], data: Float32Array.from(ys.flat()) }, xs, ys };
}

function model(seed = 3, extra: Partial<Parameters<typeof sequential>[0]> = {}): Sequential {
  const m = sequential({ seed, layers: [lstm({ units: 8, inputShape: [3, 1] }), dense({ units: 5, activation: 'softmax' })], ...extra });
  m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 0.01 }), metrics: ['accuracy'] });
  return m;
}

beforeAll(async () => {
  await ready();
  await ready(); // idempotent
});

describe('shapes and names', () => {
  it('getWeights returns Keras order, names and shapes', () => {
    const m = model();
    const ws = m.getWeights();
    expect(ws.map((w) => [w.name, w.shape])).toEqual([
      ['lstm/kernel', [1, 32]], ['lstm/recurrent_kernel', [8, 32]], ['lstm/bias', [32]],
      ['dense/kernel', [8, 5]], ['dense/bias', [5]],
    ]);
    // Keras initialisation: forget block of the bias is 1, the rest 0; dense bias 0.
    const b = Array.from(ws[2].data);
    expect(b).toEqual([...Array(8).fill(0), ...Array(8).fill(1), ...Array(16).fill(0)]);
    expect(Array.from(ws[4].data)).toEqual([0, 0, 0, 0, 0]);
    // glorot_uniform limit sqrt(6/(fanIn+fanOut)).
    const lim = Math.sqrt(6 / (1 + 32));
    expect(Math.max(...ws[0].data.map(Math.abs))).toBeLessThanOrEqual(lim);
    // orthogonal recurrent kernel (8, 32): rows orthonormal.
    const U = ws[1].data;
    for (let r = 0; r < 8; r++) for (let s = 0; s < 8; s++) {
      let dot = 0;
      for (let j = 0; j < 32; j++) dot += U[r * 32 + j] * U[s * 32 + j];
      expect(Math.abs(dot - (r === s ? 1 : 0))).toBeLessThan(1e-5);
    }
    m.dispose();
  });

  it('predict returns probability rows; nested arrays and tensors agree', () => {
    const m = model();
    const { x, xs } = task();
    const p1 = m.predict(x);
    const p2 = m.predict(xs);
    expect(p1.shape).toEqual([40, 5]);
    expect(Array.from(p1.data)).toEqual(Array.from(p2.data));
    for (let i = 0; i < 40; i++) {
      const row = p1.data.subarray(i * 5, i * 5 + 5);
      expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
    }
    m.dispose();
  });

  it('setWeights(getWeights()) round-trips and accepts plain Float32Arrays', () => {
    const a = model(1);
    const b = model(2);
    expect(weightHash(a)).not.toBe(weightHash(b));
    b.setWeights(a.getWeights());
    expect(weightHash(b)).toBe(weightHash(a));
    const c = model(5);
    c.setWeights(a.getWeights().map((w) => w.data));
    expect(weightHash(c)).toBe(weightHash(a));
    [a, b, c].forEach((m) => m.dispose());
  });
});

describe('training', () => {
  it('learns the small task and History has one value per epoch', async () => {
    const m = model();
    const { x, y } = task();
    const h = await m.fit(x, y, { epochs: 60, batchSize: 4, verbose: 0 });
    expect(h.history.loss).toHaveLength(60);
    expect(h.history.acc).toHaveLength(60);
    expect(h.epoch).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(h.history.loss[59]).toBeLessThan(h.history.loss[0] / 4);
    const [loss, acc] = m.evaluate(x, y);
    expect(acc).toBe(1);
    expect(loss).toBeLessThan(0.2);
    m.dispose();
  });

  it('the same seed gives bit-identical weights, whatever the chunking', async () => {
    const { x, y } = task();
    const runs: string[] = [];
    for (const perBatch of [false, true, false]) {
      const m = model(11);
      const callbacks = perBatch ? { onBatchEnd: () => {} } : undefined;
      await m.fit(x, y, { epochs: 5, batchSize: 3, verbose: 0, callbacks });
      runs.push(weightHash(m));
      m.dispose();
    }
    expect(new Set(runs).size).toBe(1);
    const other = model(12);
    await other.fit(x, y, { epochs: 5, batchSize: 3, verbose: 0 });
    expect(weightHash(other)).not.toBe(runs[0]);
    other.dispose();
  });

  it('keras3 preset logs "accuracy"; keras2 logs "acc"', async () => {
    const { x, y } = task();
    const m = model(1, { preset: 'keras3' });
    const h = await m.fit(x, y, { epochs: 1, verbose: 0 });
    expect(Object.keys(h.history).sort()).toEqual(['accuracy', 'loss']);
    m.dispose();
  });

  it('callbacks run in Keras order and an AbortSignal stops training', async () => {
    const { x, y } = task();
    const m = model();
    const seen: string[] = [];
    const ctl = new AbortController();
    const h = await m.fit(x, y, {
      epochs: 10, batchSize: 8, verbose: 0, signal: ctl.signal,
      callbacks: {
        onTrainBegin: () => void seen.push('trainBegin'),
        onEpochBegin: (e) => void seen.push(`epochBegin ${e}`),
        onBatchEnd: (b, logs) => void seen.push(`batch ${b} ${logs.size}`),
        onEpochEnd: (e) => {
          seen.push(`epochEnd ${e}`);
          if (e === 1) ctl.abort();
        },
        onTrainEnd: () => void seen.push('trainEnd'),
      },
    });
    expect(h.epoch).toEqual([0, 1]);
    expect(seen.slice(0, 8)).toEqual(['trainBegin', 'epochBegin 0', 'batch 0 8', 'batch 1 8', 'batch 2 8', 'batch 3 8', 'batch 4 8', 'epochEnd 0']);
    expect(seen[seen.length - 1]).toBe('trainEnd');
    m.dispose();
  });

  it('verbose 2 prints Keras epoch lines', async () => {
    const { x, y } = task();
    const m = model();
    const out: string[] = [];
    const orig = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => (out.push(s), true)) as typeof process.stdout.write;
    try {
      await m.fit(x, y, { epochs: 2, verbose: 2 });
    } finally {
      process.stdout.write = orig;
    }
    const text = out.join('');
    expect(text).toMatch(/^Epoch 1\/2\n - \d+s - loss: \d\.\d{4} - acc: \d\.\d{4}\nEpoch 2\/2\n - \d+s - loss: \d\.\d{4} - acc: \d\.\d{4}\n$/);
    m.dispose();
  });

  it('a diverging run stops with an error and keeps finite weights', async () => {
    const { x, y } = task();
    const m = sequential({ seed: 1, layers: [lstm({ units: 8, inputShape: [3, 1] }), dense({ units: 5, activation: 'softmax' })] });
    m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 1e38 }), metrics: ['accuracy'] });
    let seen = 0;
    const run = m.fit(x, y, { epochs: 50, batchSize: 1, verbose: 0, callbacks: { onBatchEnd: () => void seen++ } });
    await expect(run).rejects.toThrow(ValueError);
    await expect(run).rejects.toThrow(/(loss became (NaN|Infinity)|weights became non-finite) in epoch \d+, batch \d+/);
    for (const w of m.getWeights()) expect(w.data.every(Number.isFinite)).toBe(true);
    expect(m.predict(x).data.every(Number.isFinite)).toBe(true);
    expect(seen).toBeGreaterThan(0);
    m.dispose();
  });
});

describe('bad input is refused with a typed error and changes nothing', () => {
  const cases: Array<[string, (m: Sequential) => unknown, new (...a: never[]) => Error, RegExp]> = [
    ['sample counts differ', (m) => m.evaluate(task(40).x, task(39).y), ShapeError, /40 samples but y has 39/],
    ['wrong steps', (m) => m.predict({ shape: [2, 4, 1], data: new Float32Array(8) }), ShapeError, /4 steps.*expects 3/],
    ['wrong features', (m) => m.predict({ shape: [2, 3, 2], data: new Float32Array(12) }), ShapeError, /2 features/],
    ['rank 2 input', (m) => m.predict({ shape: [2, 3], data: new Float32Array(6) }), ShapeError, /rank 3.*reshape to \[2, 3, 1\]/],
    ['NaN input', (m) => m.predict([[[0], [NaN], [0]]]), ValueError, /x\[0\]\[1\]\[0\] is NaN/],
    ['Infinity in tensor', (m) => m.predict({ shape: [1, 3, 1], data: new Float32Array([0, 0, Infinity]) }), ValueError, /x\[0\]\[2\]\[0\] is Infinity/],
    ['ragged sample longer than inputShape', (m) => m.predict([[[0], [1], [2]], [[0], [1], [2], [3]]]), ShapeError, /x\[1\] has 4 steps, the model expects at most 3/],
    ['ragged feature sizes', (m) => m.predict([[[0], [1, 2]], [[0]]]), ShapeError, /x\[0\]\[1\] has 2 features, the model expects 1/],
    ['empty data', (m) => m.predict({ shape: [0, 3, 1], data: new Float32Array(0) }), ShapeError, /0 samples/],
    ['wrong class count', (m) => m.evaluate(task().x, task(40, 3, 4).y), ShapeError, /4 classes.*5 units/],
    ['typo in fit option', (m) => m.fit(task().x, task().y, { batchsize: 2 } as never), ConfigError, /unknown option 'batchsize' \(did you mean 'batchSize'\?\)/],
    ['zero epochs', (m) => m.fit(task().x, task().y, { epochs: 0 }), ValueError, /epochs must be an integer/],
    ['bad setWeights shape', (m) => m.setWeights(m.getWeights().map((w, i) => (i === 1 ? { shape: [32, 8], data: w.data } : w))), ShapeError, /recurrent_kernel.*\[32, 8\].*\[8, 32\]/],
    ['NaN weight', (m) => m.setWeights(m.getWeights().map((w, i) => (i === 4 ? new Float32Array([0, 0, NaN, 0, 0]) : w.data))), ValueError, /dense\/bias.*NaN at flat index 2/],
    ['too few weights', (m) => m.setWeights(m.getWeights().slice(0, 4)), ShapeError, /expected 5 weight tensors/],
    ['unknown loss', (m) => m.compile({ loss: 'hinge' as never }), ConfigError, /loss must be one of/],
  ];
  for (const [name, call, type, message] of cases) {
    it(name, async () => {
      const m = model();
      const before = weightHash(m);
      let err: unknown;
      try {
        await call(m);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(type);
      expect((err as Error).message).toMatch(message);
      expect(weightHash(m)).toBe(before);
      // and the model still works
      expect(m.evaluate(task().x, task().y)).toHaveLength(2);
      m.dispose();
    });
  }

  it('option errors name the option', () => {
    expect(() => lstm({ units: 0 })).toThrow(/units must be an integer/);
    expect(() => lstm({ units: 4, recurrentActivation: 'relu' as never })).toThrow(ConfigError);
    expect(() => dense({ units: 3, activation: 'elu' as never })).toThrow(/activation must be one of 'softmax'/);
    expect(() => adam({ learningRate: NaN })).toThrow(/learningRate must be a finite number/);
    expect(() => sequential({ preset: 'keras1' as never, layers: [lstm({ units: 2, inputShape: [1, 1] }), dense({ units: 2 })] })).toThrow(/preset must be one of 'keras2', 'keras3'/);
    expect(() => sequential({ layers: [dense({ units: 2 })] })).toThrow(/layers\[0\] \(dense\) cannot come first: it takes no inputShape/);
  });

  it('fit before compile, and use after dispose, are state errors', async () => {
    const m = sequential({ layers: [lstm({ units: 2, inputShape: [3, 1] }), dense({ units: 5 })] });
    await expect(m.fit(task().x, task().y)).rejects.toThrow(StateError);
    m.dispose();
    expect(() => m.predict(task().x)).toThrow(/disposed/);
  });

  it('a second fit while one runs is refused', async () => {
    const m = model();
    const { x, y } = task();
    const first = m.fit(x, y, { epochs: 3, verbose: 0 });
    await expect(m.fit(x, y, { epochs: 1, verbose: 0 })).rejects.toThrow(/busy in fit/);
    await first;
    m.dispose();
  });
});
