// The README's API snippet (the foundation issue's), run as written: only the import path and the
// two lines the snippet leaves as a comment ("scale by 1/26, reshape to [1000, 5, 1], one-hot")
// are filled in. stdout is captured so verbose: 2's 1000 lines stay out of the test log.
import { describe, it, expect } from 'vitest';
import { ready, sequential, lstm, dense, adam, padSequences, toCategorical, alphabetDataset, reshape, divide } from '../src/index.js';

describe('the README API snippet', () => {
  it('works as written: 500 epochs at batch 1, History, evaluate, predict, getWeights/setWeights', async () => {
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => (out.push(s), true)) as typeof process.stdout.write;
    try {
      await ready();
      const { dataX, dataY } = alphabetDataset({ numInputs: 1000, maxLen: 5, seed: 7, rng: 'numpy' });
      const X = padSequences(dataX, { maxLen: 5, dtype: 'float32' }); // [1000, 5]
      expect(X.shape).toEqual([1000, 5]);
      const x = divide(reshape(X, [1000, 5, 1]), 26);
      const y = toCategorical(dataY);
      const model = sequential({ seed: 1234, layers: [
        lstm({ units: 32, inputShape: [5, 1], recurrentActivation: 'hardSigmoid' }),
        dense({ units: 26, activation: 'softmax' }) ] });
      model.compile({ loss: 'categoricalCrossentropy', optimizer: adam(), metrics: ['accuracy'] });
      const history = await model.fit(x, y, { epochs: 500, batchSize: 1, shuffle: true, verbose: 2 });
      expect(history.history.loss).toHaveLength(500);
      expect(history.history.acc).toHaveLength(500);
      const [loss, acc] = model.evaluate(x, y);
      expect(loss).toBeLessThan(0.5);
      expect(acc).toBeGreaterThan(0.9);
      const xOne = divide(reshape(padSequences([[10, 11, 12]], { maxLen: 5, dtype: 'float32' }), [1, 5, 1]), 26);
      const probs = model.predict(xOne); // rows of class probabilities
      expect(probs.shape).toEqual([1, 26]);
      expect(Math.abs(probs.data.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
      expect(probs.data.indexOf(Math.max(...probs.data))).toBe(13); // K, L, M -> N
      const weights = model.getWeights(); // 5 tensors, Keras order and shapes
      expect(weights.map((w) => w.shape)).toEqual([[1, 128], [32, 128], [128], [32, 26], [26]]);
      model.setWeights(weights);
      model.setWeights(weights.map((w) => w.data)); // also plain Float32Arrays in the same order
      expect(model.evaluate(x, y)).toEqual([loss, acc]);
    } finally {
      process.stdout.write = write;
    }
    expect(out.join('')).toMatch(/^Epoch 500\/500\n - \d+s - loss: \d\.\d{4} - acc: \d\.\d{4}$/m);
  }, 120_000);
});
