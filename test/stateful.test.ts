// Stateful LSTMs, resetStates and predictStep (issue #8). Oracles: the same weights in a stateless
// model fed the concatenated sequence (state carried = one long sequence), Keras's published
// stateful goldens for an all-ones LSTM, and a tfjs-layers twin with `stateful: true` for
// predictions and for training (tfjs, as Keras, carries the state across fit's batches and
// truncates backpropagation at the batch boundary).
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { adam, createRng, dense, lstm, sequential, sgd, ConfigError, ShapeError, ValueError } from '../src/index.js';
import { expectClose, Prng } from './helpers/compare.js';
import { useTfjsCpuAndWasm } from './helpers/twin.js';

useTfjsCpuAndWasm();

const B = 2, T = 3, D = 2, H = 5, V = 3;

function randomX(rng: Prng, n: number, t: number): Float32Array {
  return Float32Array.from({ length: n * t * D }, () => rng.uniform(-1, 1));
}

/** Sample i of `a` followed by sample i of `b`: [n, 2t, D]. */
function concatSteps(a: Float32Array, b: Float32Array, n: number, t: number): Float32Array {
  const out = new Float32Array(n * 2 * t * D);
  for (let i = 0; i < n; i++) {
    out.set(a.subarray(i * t * D, (i + 1) * t * D), i * 2 * t * D);
    out.set(b.subarray(i * t * D, (i + 1) * t * D), i * 2 * t * D + t * D);
  }
  return out;
}

/** n one-hot rows over V classes: class `cls(i)` for row i. */
function oneHot(n: number, cls: (i: number) => number): { shape: number[]; data: Float32Array } {
  return { shape: [n, V], data: Float32Array.from({ length: n * V }, (_, i) => (i % V === cls(Math.floor(i / V)) ? 1 : 0)) };
}

/** The built package (dist/), as trainInWorker's worker loads it. */
const distLib = async () => {
  const L = (await import(new URL('../dist/index.js', import.meta.url).href)) as typeof import('../src/index.js');
  await L.ready();
  return L;
};

function statefulModel(seed = 3, units = [H]) {
  return sequential({ seed, layers: [
    ...units.map((u, l) => lstm({ units: u, stateful: true, returnSequences: l < units.length - 1, ...(l === 0 ? { batchInputShape: [B, null, D] as [number, null, number] } : {}) })),
    dense({ units: V, activation: 'softmax' }),
  ] });
}

describe('stateful: the state of sample i seeds sample i of the next batch', () => {
  for (const units of [[H], [4, 6]]) {
    it(`two consecutive batches predict as one long sequence (LSTM ${units.join(' -> ')})`, () => {
      const rng = new Prng(5);
      const a = randomX(rng, B, T);
      const b = randomX(rng, B, T);
      const st = statefulModel(3, units);
      const plain = sequential({ seed: 9, layers: [
        ...units.map((u, l) => lstm({ units: u, returnSequences: l < units.length - 1, ...(l === 0 ? { inputShape: [null, D] as [null, number] } : {}) })),
        dense({ units: V, activation: 'softmax' }),
      ] });
      plain.setWeights(st.getWeights());
      const first = st.predict({ shape: [B, T, D], data: a });
      const second = st.predict({ shape: [B, T, D], data: b });
      const long = plain.predict({ shape: [B, 2 * T, D], data: concatSteps(a, b, B, T) });
      expectClose('second batch vs long sequence', second.data, long.data, { atol: 1e-6, rtol: 1e-6 });
      expect(Math.max(...second.data.map((v, i) => Math.abs(v - plain.predict({ shape: [B, T, D], data: b }).data[i])))).toBeGreaterThan(1e-4);
      // resetStates restores the fresh behaviour
      st.resetStates();
      expect(Array.from(st.predict({ shape: [B, T, D], data: a }).data)).toEqual(Array.from(first.data));
      st.dispose();
      plain.dispose();
    });
  }

  it('predictStep streams one step at a time through the same states', () => {
    const rng = new Prng(8);
    const a = randomX(rng, B, T);
    const st = statefulModel();
    const whole = st.predict({ shape: [B, T, D], data: a });
    st.resetStates();
    let out = null as null | { shape: number[]; data: Float32Array };
    for (let t = 0; t < T; t++) {
      const rows = [0, 1].map((i) => Array.from(a.subarray((i * T + t) * D, (i * T + t + 1) * D)));
      out = st.predictStep(rows);
    }
    expect(out!.shape).toEqual([B, V]);
    expectClose('streamed vs whole', out!.data, whole.data, { atol: 1e-6, rtol: 1e-6 });
    // and the stream continues into predict, as Keras's predict continues a stateful layer
    const next = st.predict({ shape: [B, T, D], data: a });
    const plain = sequential({ seed: 1, layers: [lstm({ units: H, inputShape: [null, D] }), dense({ units: V, activation: 'softmax' })] });
    plain.setWeights(st.getWeights());
    expectClose('predict after stream', next.data, plain.predict({ shape: [B, 2 * T, D], data: concatSteps(a, a, B, T) }).data, { atol: 1e-6, rtol: 1e-6 });
    st.dispose();
    plain.dispose();
  });

  it('predictStep on a stateless model streams a single sequence until resetStates', () => {
    const rng = new Prng(2);
    const x = randomX(rng, 1, 4);
    const m = sequential({ seed: 4, layers: [lstm({ units: 7, inputShape: [null, D] }), dense({ units: 2, activation: 'linear' })] });
    const whole = m.predict({ shape: [1, 4, D], data: x });
    let last: Float32Array = new Float32Array(0);
    for (let t = 0; t < 4; t++) last = m.predictStep(x.subarray(t * D, (t + 1) * D)).data;
    expectClose('stream', last, whole.data, { atol: 1e-6, rtol: 1e-6 });
    m.resetStates();
    const fresh = m.predictStep(x.subarray(0, D)).data;
    expectClose('after reset', fresh, m.predict({ shape: [1, 1, D], data: x.subarray(0, D) }).data, { atol: 0, rtol: 0 });
    // predict of a stateless model neither reads nor moves the stream
    expectClose('predict unaffected', m.predict({ shape: [1, 4, D], data: x }).data, whole.data, { atol: 0, rtol: 0 });
    m.dispose();
  });

  it("matches Keras's stateful goldens: all-ones LSTM(5) gives 0.995, then 0.99998766 without a reset", () => {
    // Keras's recurrent tests: LSTM(5, stateful) with kernel, recurrent kernel and bias all ones
    // (hard-sigmoid gates, Keras 2), 3 steps of input ones; the second call continues the state.
    const m = sequential({ layers: [lstm({ units: 5, stateful: true, batchInputShape: [1, 3, 2] }), dense({ units: 5, activation: 'linear' })] });
    const w = m.getWeights();
    // LSTM weights all ones; an identity dense so the output is h itself.
    m.setWeights(w.map((t, i) => (i < 3 ? new Float32Array(t.data.length).fill(1) : i === 3 ? Float32Array.from({ length: 25 }, (_, k) => (k % 6 === 0 ? 1 : 0)) : new Float32Array(5))));
    const ones = { shape: [1, 3, 2], data: new Float32Array(6).fill(1) };
    const y1 = m.predict(ones).data;
    const y2 = m.predict(ones).data;
    for (const v of y1) expect(v).toBeCloseTo(0.995, 3);
    for (const v of y2) expect(Math.abs(v - 0.99998766)).toBeLessThan(2e-7);
    m.resetStates();
    expect(Array.from(m.predict(ones).data)).toEqual(Array.from(y1));
    m.dispose();
  });
});

describe('stateful vs a tfjs-layers twin (stateful: true, batchInputShape)', () => {
  function twin(weights: Array<{ shape: number[]; data: Float32Array }>) {
    const t = tf.sequential();
    t.add(tf.layers.lstm({
      units: H, batchInputShape: [B, T, D], stateful: true, activation: 'tanh', recurrentActivation: 'hardSigmoid',
      useBias: true, unitForgetBias: true, returnSequences: false, kernelInitializer: 'zeros', recurrentInitializer: 'zeros', biasInitializer: 'zeros',
    }));
    t.add(tf.layers.dense({ units: V, activation: 'softmax', kernelInitializer: 'zeros' }));
    t.setWeights(weights.map((w) => tf.tensor(w.data, w.shape)));
    return t;
  }

  it('predictions over three batches and after resetStates', () => {
    const rng = new Prng(11);
    const st = statefulModel(7);
    const tw = twin(st.getWeights());
    for (let k = 0; k < 3; k++) {
      const x = randomX(rng, B, T);
      const ours = st.predict({ shape: [B, T, D], data: x }).data;
      const theirs = tf.tidy(() => (tw.predict(tf.tensor3d(x, [B, T, D]), { batchSize: B }) as tf.Tensor).dataSync() as Float32Array);
      expectClose(`batch ${k}`, ours, theirs, { atol: 2e-6, rtol: 1e-5 });
      if (k === 1) {
        st.resetStates();
        tw.resetStates();
      }
    }
    st.dispose();
  });

  it('fit with shuffle: false carries the state across batches and truncates BPTT at each batch, as tfjs', async () => {
    const rng = new Prng(13);
    const N = 3 * B;
    const x = randomX(rng, N, T);
    const y = oneHot(N, (r) => r % V).data;
    const st = statefulModel(21);
    st.compile({ loss: 'categoricalCrossentropy', optimizer: sgd({ learningRate: 0.5 }) });
    const tw = twin(st.getWeights());
    tw.compile({ loss: 'categoricalCrossentropy', optimizer: tf.train.sgd(0.5) });
    await st.fit({ shape: [N, T, D], data: x }, { shape: [N, V], data: y }, { epochs: 2, batchSize: B, shuffle: false, verbose: 0 });
    await tw.fit(tf.tensor3d(x, [N, T, D]), tf.tensor2d(y, [N, V]), { epochs: 2, batchSize: B, shuffle: false, verbose: 0 });
    const tws = tw.getWeights().map((w) => w.dataSync() as Float32Array);
    st.getWeights().forEach((w, i) => expectClose(w.name, w.data, tws[i], { atol: 2e-5, rtol: 1e-4 }));
    // and the states they ended with (each predicts the same next batch)
    const xn = randomX(rng, B, T);
    expectClose('after fit', st.predict({ shape: [B, T, D], data: xn }).data, tf.tidy(() => (tw.predict(tf.tensor3d(xn, [B, T, D]), { batchSize: B }) as tf.Tensor).dataSync() as Float32Array), { atol: 2e-5, rtol: 1e-4 });
    st.dispose();
  });
});

describe('stateful: bad input is refused and changes nothing', () => {
  const x = { shape: [4, T, D], data: new Float32Array(4 * T * D).fill(0.1) };
  const y = oneHot(4, () => 0);

  it('stateful needs batchInputShape; layers must agree', () => {
    expect(() => sequential({ layers: [lstm({ units: 4, stateful: true, inputShape: [T, D] }), dense({ units: V })] })).toThrow(ConfigError);
    expect(() => sequential({ layers: [lstm({ units: 4, stateful: true, inputShape: [T, D] }), dense({ units: V })] })).toThrow(/needs batchInputShape/);
    expect(() => lstm({ units: 4, inputShape: [T, D], batchInputShape: [2, T, D] })).toThrow(/not both/);
    expect(() => lstm({ units: 4, batchInputShape: [0, T, D] })).toThrow(/batchInputShape\[0\]/);
    expect(() => sequential({ layers: [lstm({ units: 4, stateful: true, returnSequences: true, batchInputShape: [B, T, D] }), lstm({ units: 3 }), dense({ units: V })] })).toThrow(/every lstm/);
    expect(() => sequential({ layers: [lstm({ units: 4, batchInputShape: [B, T, D] }), lstm({ units: 3 }), dense({ units: V })] })).toThrow(/returnSequences: true/);
  });

  it('a model whose weights and states could never fit in memory is refused up front, before the slow initialisers', () => {
    // the generator is untouched: refused before any initialiser drew from it (an orthogonal
    // init of 4096 units alone takes minutes)
    const rng = createRng(1, 'numpy');
    const before = JSON.stringify(rng.getState());
    expect(() => sequential({ rng, layers: [lstm({ units: 4096, stateful: true, batchInputShape: [65536, 1, 1] }), dense({ units: 2 })] }))
      .toThrow(/states of 65536 rows and scratch for 1 steps would need \d+ bytes of WebAssembly memory; the limit is 2147483648 bytes/);
    expect(() => sequential({ rng, layers: [lstm({ units: 4096, returnSequences: true, inputShape: [5, 1] }), lstm({ units: 4096, returnSequences: true }), lstm({ units: 4096 }), dense({ units: 2 })] }))
      .toThrow(ValueError);
    expect(JSON.stringify(rng.getState())).toBe(before);
  });

  it('fit: shuffle must be false, the batch size and sample count must fit the states, no validation', async () => {
    const m = statefulModel();
    m.compile({ loss: 'categoricalCrossentropy' });
    const before = m.getWeights();
    await expect(m.fit(x, y, { epochs: 1, batchSize: B, verbose: 0 })).rejects.toThrow(/shuffle: false/);
    await expect(m.fit(x, y, { epochs: 1, batchSize: B, shuffle: true, verbose: 0 })).rejects.toThrow(ValueError);
    await expect(m.fit(x, y, { epochs: 1, batchSize: 3, shuffle: false, verbose: 0 })).rejects.toThrow(/batchSize 3 differs from batchInputShape's 2/);
    await expect(m.fit({ shape: [3, T, D], data: x.data.subarray(0, 3 * T * D) }, { shape: [3, V], data: y.data.subarray(0, 3 * V) }, { epochs: 1, shuffle: false, verbose: 0 })).rejects.toThrow(/3 samples; a stateful model takes a multiple of its batch size 2/);
    await expect(m.fit(x, y, { epochs: 1, shuffle: false, verbose: 0, validationSplit: 0.5 })).rejects.toThrow(/validation is not supported for a stateful model/);
    expect(m.getWeights().map((w) => Array.from(w.data))).toEqual(before.map((w) => Array.from(w.data)));
    // the default batch size is batchInputShape's
    const h = await m.fit(x, y, { epochs: 1, shuffle: false, verbose: 0 });
    expect(h.params.batchSize).toBe(B);
    m.dispose();
  });

  it('predict / evaluate / predictStep check shapes against the fixed batch size', () => {
    const m = statefulModel();
    m.compile({ loss: 'categoricalCrossentropy' });
    expect(() => m.predict(x, { batchSize: 4 })).toThrow(/differs from batchInputShape's 2/);
    expect(() => m.evaluate({ shape: [1, T, D], data: x.data.subarray(0, T * D) }, { shape: [1, V], data: y.data.subarray(0, V) })).toThrow(ShapeError);
    expect(() => m.predictStep([0.1, 0.2])).toThrow(/2 values, expected 4/);
    expect(() => m.predictStep([[0.1, 0.2]])).toThrow(/1 rows, the model streams 2/);
    expect(() => m.predictStep({ shape: [2, 3], data: new Float32Array(6) })).toThrow(/shape \[2, 3\], expected \[2, 2\]/);
    expect(() => m.predictStep([[0.1, NaN], [0, 0]])).toThrow(/finite/);
    // a refused step leaves the state alone
    const fresh = m.predict(x).data;
    m.resetStates();
    expect(() => m.predictStep([[0.1, Infinity], [0, 0]])).toThrow(ValueError);
    expect(Array.from(m.predict(x).data)).toEqual(Array.from(fresh));
    m.dispose();
  });
});

describe('sequence outputs: bad targets are refused with the position named', () => {
  const N = 2, Tn = 3;
  const x = { shape: [N, Tn, D], data: new Float32Array(N * Tn * D).fill(0.2) };
  function seqModel(loss: 'categoricalCrossentropy' | 'sparseCategoricalCrossentropy') {
    const m = sequential({ seed: 1, layers: [lstm({ units: 4, returnSequences: true, inputShape: [Tn, D] }), dense({ units: V, activation: 'softmax' })] });
    m.compile({ loss, metrics: ['accuracy'] });
    return m;
  }

  it('sparse labels out of range, one-hot rows with the sparse loss, last-step targets for a per-step model', async () => {
    const m = seqModel('sparseCategoricalCrossentropy');
    const before = m.getWeights().map((w) => Array.from(w.data));
    await expect(m.fit(x, [[0, 1, 2], [1, 3, 0]], { epochs: 1, verbose: 0 })).rejects.toThrow(/y\[1\]\[1\] is 3; labels must be integers in \[0, 2\]/);
    await expect(m.fit(x, [[0, 1, 2], [1, 0.5, 0]], { epochs: 1, verbose: 0 })).rejects.toThrow(ValueError);
    const oneHot = { shape: [N, Tn, V], data: Float32Array.from({ length: N * Tn * V }, (_, i) => (i % V === 0 ? 1 : 0)) };
    await expect(m.fit(x, oneHot, { epochs: 1, verbose: 0 })).rejects.toThrow(/one-hot rows: use categoricalCrossentropy/);
    await expect(m.fit(x, [0, 1], { epochs: 1, verbose: 0 })).rejects.toThrow(/outputs every step \(returnSequences\), so y must have shape \[2, 3\] integer labels/);
    expect(m.getWeights().map((w) => Array.from(w.data))).toEqual(before);
    const h = await m.fit(x, [[0, 1, 2], [1, 2, 0]], { epochs: 1, verbose: 0 });
    expect(Number.isFinite(h.history.loss[0])).toBe(true);
    m.dispose();
  });

  it('categorical: wrong step count, wrong units, probabilities outside [0, 1], short samples', () => {
    const m = seqModel('categoricalCrossentropy');
    const y = (t: number, v: number, fill: (i: number) => number = (i) => (i % v === 0 ? 1 : 0)) => ({ shape: [N, t, v], data: Float32Array.from({ length: N * t * v }, (_, i) => fill(i)) });
    expect(() => m.evaluate(x, y(Tn + 1, V))).toThrow(/y has shape \[2, 4, 3\], expected \[2, 3, 3\]/);
    expect(() => m.evaluate(x, y(Tn, V + 1))).toThrow(ShapeError);
    expect(() => m.evaluate(x, y(Tn, V, (i) => (i === 7 ? 2 : 0)))).toThrow(/y\[0\]\[2\]\[1\] is 2; categoricalCrossentropy targets must be probabilities/);
    expect(() => m.evaluate([[[0.1, 0.1]], [[0.1, 0.1], [0.2, 0.2], [0.3, 0.3]]], y(Tn, V))).toThrow(/x\[0\] has 1 of 3 steps/);
    m.dispose();
  });
});

describe('trainInWorker with stacked and stateful models (dist build, worker_threads)', () => {
  it('a stateful two-layer stack and a sequence-output model: the weights of an in-thread fit, bit for bit', async () => {
    const L = await distLib();
    const rng = new Prng(17);
    const N = 4;
    const X = { shape: [N, T, D], data: randomX(rng, N, T) };
    const runs = [
      {
        layers: [L.lstm({ units: 4, stateful: true, returnSequences: true, batchInputShape: [B, T, D] }), L.lstm({ units: 3, stateful: true }), L.dense({ units: V, activation: 'softmax' })],
        y: oneHot(N, () => 1),
        loss: 'categoricalCrossentropy' as const, fit: { epochs: 2, batchSize: B, shuffle: false },
      },
      {
        layers: [L.lstm({ units: 5, returnSequences: true, inputShape: [T, D] }), L.timeDistributed(L.dense({ units: 1, activation: 'linear' }))],
        y: { shape: [N, T, 1], data: Float32Array.from({ length: N * T }, () => rng.uniform(-1, 1)) },
        loss: 'mse' as const, fit: { epochs: 2, batchSize: 2 },
      },
    ];
    for (const { layers, y, loss, fit } of runs) {
      const m = L.sequential({ seed: 3, layers });
      m.compile({ loss });
      const h = await m.fit(X, y, { ...fit, verbose: 0 });
      const r = await L.trainInWorker({ model: { seed: 3, layers }, compile: { loss }, x: X, y, fit });
      expect(r.history.history).toEqual(h.history);
      expect(r.weights.map((w) => w.name)).toEqual(m.getWeights().map((w) => w.name));
      r.weights.forEach((w, k) => expect(Array.from(w.data)).toEqual(Array.from(m.getWeights()[k].data)));
      m.dispose();
    }
  });
});

describe('save / loadModel keep a stateful model where it stands', () => {
  it('the states travel with the file: a resumed fit gives the bits of an uninterrupted one, and predictions continue alike', async () => {
    const { loadModel, encodeModel } = await import('../src/index.js');
    const rng = new Prng(23);
    const N = 2 * B;
    const x = { shape: [N, T, D], data: randomX(rng, N, T) };
    const y = oneHot(N, () => 2);
    const run = () => {
      const m = statefulModel(12, [4, 3]);
      m.compile({ loss: 'categoricalCrossentropy', optimizer: sgd({ learningRate: 0.3, momentum: 0.5 }) });
      return m;
    };
    const straight = run();
    await straight.fit(x, y, { epochs: 2, batchSize: B, shuffle: false, verbose: 0 });
    const first = run();
    await first.fit(x, y, { epochs: 1, batchSize: B, shuffle: false, verbose: 0 });
    const saved = first.save();
    expect(saved.json.weights.tensors.map((t) => t.name)).toEqual(expect.arrayContaining(['lstm/states', 'lstm_1/states']));
    const again = loadModel(encodeModel(saved));
    expect(Array.from(again.predict(x).data)).toEqual(Array.from(first.predict(x).data)); // both continue the saved states
    const resumed = loadModel(saved);
    await resumed.fit(x, y, { epochs: 2, initialEpoch: 1, batchSize: B, shuffle: false, verbose: 0 });
    resumed.getWeights().forEach((w, i) => expect(Array.from(w.data), w.name).toEqual(Array.from(straight.getWeights()[i].data)));
    // and without the states (reset before saving) the resumed run differs: they matter
    const reset = run();
    await reset.fit(x, y, { epochs: 1, batchSize: B, shuffle: false, verbose: 0 });
    reset.resetStates();
    const cold = loadModel(reset.save());
    await cold.fit(x, y, { epochs: 2, initialEpoch: 1, batchSize: B, shuffle: false, verbose: 0 });
    expect(cold.getWeights()[0].data.some((v, i) => v !== straight.getWeights()[0].data[i])).toBe(true);
    for (const m of [straight, first, again, resumed, reset, cold]) m.dispose();
  });
});

describe('stateful models while fit runs', () => {
  it('predict, evaluate and predictStep are StateErrors (they would move the states fit continues); getWeights and save are fine', async () => {
    const N = 4 * B;
    const rng = new Prng(3);
    const x = { shape: [N, T, D], data: randomX(rng, N, T) };
    const y = oneHot(N, () => 0);
    const m = statefulModel(5);
    m.compile({ loss: 'categoricalCrossentropy' });
    const twin = statefulModel(5);
    twin.compile({ loss: 'categoricalCrossentropy' });
    const seen: string[] = [];
    await m.fit(x, y, { epochs: 2, shuffle: false, verbose: 0, callbacks: { onBatchEnd: () => {
      for (const [name, call] of [['predict', () => m.predict(x)], ['evaluate', () => m.evaluate(x, y)], ['predictStep', () => m.predictStep([[0, 0], [0, 0]])]] as const) {
        try {
          call();
          seen.push(`${name}: allowed`);
        } catch (e) {
          seen.push(`${name}: ${(e as Error).constructor.name} ${/would move the LSTM states|busy/.test((e as Error).message)}`);
        }
      }
      m.getWeights();
      m.save();
    } } });
    expect(new Set(seen)).toEqual(new Set(['predict: StateError true', 'evaluate: StateError true', 'predictStep: StateError true']));
    await twin.fit(x, y, { epochs: 2, shuffle: false, verbose: 0 });
    m.getWeights().forEach((w, i) => expect(Array.from(w.data)).toEqual(Array.from(twin.getWeights()[i].data)));
    expect(Array.from(m.predict(x).data)).toEqual(Array.from(twin.predict(x).data));
    m.dispose();
    twin.dispose();
  });
});

describe('a stateful model that diverges', () => {
  it('fit rejects naming the batch, and weights, optimizer state and LSTM states stay finite', async () => {
    const rng = new Prng(29);
    const N = 4 * B;
    const x = { shape: [N, T, D], data: randomX(rng, N, T) };
    const y = oneHot(N, () => 0);
    const m = statefulModel(4, [4, 3]);
    m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 1e38 }) }); // as test/robustness/divergence
    await expect(m.fit(x, y, { epochs: 2, shuffle: false, verbose: 0 })).rejects.toThrow(/fit\(\): .* in epoch 1, batch \d+ \(terminateOnNaN\)/);
    expect(m.getWeights().every((w) => w.data.every(Number.isFinite))).toBe(true);
    expect(Array.from(m.arena!.states()).every(Number.isFinite)).toBe(true);
    expect(Array.from(m.predict(x).data).every(Number.isFinite)).toBe(true);
    m.dispose();
  });
});

describe('trainInWorker continues a checkpoint (from) and hands back one (saved)', () => {
  it('the same bits as continuing in this thread, and loadModel(saved) continues as the in-thread model does', async () => {
    const L = await distLib();
    const rng = new Prng(37);
    const N = 6;
    const X = { shape: [N, T, D], data: randomX(rng, N, T) };
    const Y = oneHot(N, (r) => r % V);
    const m = L.sequential({ seed: 4, layers: [L.lstm({ units: 5, returnSequences: true, inputShape: [T, D] }), L.lstm({ units: 4 }), L.dense({ units: V, activation: 'softmax' })] });
    m.compile({ loss: 'categoricalCrossentropy', optimizer: L.adam({ learningRate: 0.01 }), metrics: ['accuracy'] });
    await m.fit(X, Y, { epochs: 2, batchSize: 2, verbose: 0 });
    const checkpoint = m.save();
    const bytes = L.encodeModel(checkpoint);
    await m.fit(X, Y, { epochs: 4, initialEpoch: 2, batchSize: 2, verbose: 0 });
    for (const from of [checkpoint, bytes]) {
      const r = await L.trainInWorker({ from, x: X, y: Y, fit: { epochs: 4, initialEpoch: 2, batchSize: 2 } });
      r.weights.forEach((w, k) => expect(Array.from(w.data), w.name).toEqual(Array.from(m.getWeights()[k].data)));
      const back = L.loadModel(r.saved);
      const twin = L.loadModel(m.save());
      await back.fit(X, Y, { epochs: 5, initialEpoch: 4, batchSize: 2, verbose: 0 });
      await twin.fit(X, Y, { epochs: 5, initialEpoch: 4, batchSize: 2, verbose: 0 });
      back.getWeights().forEach((w, k) => expect(Array.from(w.data), `after one more epoch: ${w.name}`).toEqual(Array.from(twin.getWeights()[k].data)));
      back.dispose();
      twin.dispose();
    }
    await expect(L.trainInWorker({ from: checkpoint, model: { layers: [] }, x: X, y: Y } as never)).rejects.toThrow(/give either 'model' \(a new model\) or 'from'/);
    await expect(L.trainInWorker({ x: X, y: Y } as never)).rejects.toThrow(/give either 'model' \(a new model\) or 'from'/);
    await expect(L.trainInWorker({ from: new Uint8Array([1, 2, 3]), x: X, y: Y })).rejects.toThrow(L.ValueError);
    m.dispose();
  });
});
