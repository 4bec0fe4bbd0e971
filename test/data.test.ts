// Oracles: the seed listing's published samples (SPEC.md section 1), values computed with numpy's
// legacy RandomState (numpy 2.4.6, noted where used), and hand-worked padSequences/toCategorical
// cases following Keras's pad_sequences/to_categorical semantics (SPEC.md section 2).
import { describe, it, expect } from 'vitest';
import { alphabetDataset, CharVocab, padSequences, toCategorical } from '../src/data.js';
import { createRng, NumpyRandomState } from '../src/random.js';
import { tensor, reshape, divide, scale } from '../src/tensor.js';
import { ConfigError, ShapeError, ValueError } from '../src/errors.js';
import { expectClose } from './helpers/compare.js';

const ABC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const letters = (xs: number[]) => xs.map((k) => ABC[k]).join('');

describe('alphabetDataset', () => {
  it('reproduces the seed listing: seed 7, numpy stream, first 10 samples', () => {
    const { dataX, dataY, alphabet } = alphabetDataset({ numInputs: 1000, maxLen: 5, seed: 7, rng: 'numpy' });
    expect(alphabet).toBe(ABC);
    const got = dataX.slice(0, 10).map((x, i) => `${letters(x)} -> ${ABC[dataY[i]]}`);
    expect(got).toEqual([
      'PQRST -> U', 'W -> X', 'O -> P', 'OPQ -> R', 'IJKLM -> N',
      'QRSTU -> V', 'ABCD -> E', 'X -> Y', 'GHIJ -> K', 'M -> N',
    ]);
  });

  it('matches numpy to the end of the 1000 samples and leaves the stream where numpy does (numpy 2.4.6)', () => {
    // np.random.seed(7); the listing's loop; X[990:], Y[990:]; then np.random.randint(10e6) = 1557568
    const { dataX, dataY, rng } = alphabetDataset();
    expect(dataX.length).toBe(1000);
    expect(dataX.slice(990).map(letters)).toEqual(['CDE', 'E', 'NOP', 'OPQRS', 'FGHI', 'STUV', 'IJKLM', 'STUV', 'TUVWX', 'RSTU']);
    expect(dataY.slice(990).map((k) => ABC[k]).join('')).toBe('FFQTJWNWYV');
    // numpy: np.bincount of the lengths = [0, 230, 234, 213, 165, 158]
    const counts = [0, 0, 0, 0, 0, 0];
    for (const x of dataX) counts[x.length]++;
    expect(counts).toEqual([0, 230, 234, 213, 165, 158]);
    expect(rng.kind).toBe('numpy');
    expect(rng.randint(10e6)).toBe(1557568);
  });

  it('every sample is a run of consecutive letters of length 1..maxLen whose target is the next letter', () => {
    for (const kind of ['numpy', 'seedrandom'] as const) {
      const { dataX, dataY } = alphabetDataset({ numInputs: 500, maxLen: 3, seed: 1, rng: kind });
      dataX.forEach((x, i) => {
        expect(x.length).toBeGreaterThanOrEqual(1);
        expect(x.length).toBeLessThanOrEqual(3);
        x.forEach((v, t) => expect(v).toBe(x[0] + t));
        expect(dataY[i]).toBe(x[x.length - 1] + 1);
        expect(dataY[i]).toBeLessThan(26);
      });
    }
  });

  it('accepts an existing Rng and keeps consuming it', () => {
    const rng = createRng(7, 'numpy');
    const a = alphabetDataset({ numInputs: 3, rng });
    expect(a.rng).toBe(rng);
    expect(a.dataX.map(letters)).toEqual(['PQRST', 'W', 'O']);
    const b = alphabetDataset({ numInputs: 2, rng });
    expect(b.dataX.map(letters)).toEqual(['OPQ', 'IJKLM']); // samples 4 and 5 of the listing
  });

  it('a short alphabet works (start = randint(len-2))', () => {
    const { dataX, dataY } = alphabetDataset({ numInputs: 20, alphabet: 'xyz', seed: 3 });
    for (let i = 0; i < 20; i++) {
      expect(dataX[i]).toEqual([0].concat(dataX[i].length === 2 ? [1] : []));
      expect(dataY[i]).toBe(dataX[i].length);
    }
  });

  it('validates options', () => {
    expect(() => alphabetDataset({ numInput: 5 } as never)).toThrow(ConfigError);
    expect(() => alphabetDataset({ numInput: 5 } as never)).toThrow(/numInput/);
    expect(() => alphabetDataset({ numInputs: 0 })).toThrow(ValueError);
    expect(() => alphabetDataset({ numInputs: 2.5 })).toThrow(ValueError);
    expect(() => alphabetDataset({ maxLen: 0 })).toThrow(ValueError);
    expect(() => alphabetDataset({ maxLen: -1 })).toThrow(ValueError);
    expect(() => alphabetDataset({ alphabet: 'AB' })).toThrow(ValueError);
    expect(() => alphabetDataset({ rng: 'mt' as never })).toThrow(ConfigError);
    expect(() => alphabetDataset({ rng: createRng(1), seed: 3 })).toThrow(ConfigError);
  });
});

describe('CharVocab', () => {
  it('round-trips text and reports its size', () => {
    const v = new CharVocab(ABC);
    expect(v.size).toBe(26);
    expect(v.encode('HELLO')).toEqual([7, 4, 11, 11, 14]);
    expect(v.encode(['A', 'Z'])).toEqual([0, 25]);
    expect(v.decode([7, 4, 11, 11, 14]).join('')).toBe('HELLO');
    expect(v.decode(Int32Array.from([25]))).toEqual(['Z']);
  });

  it('names the unknown character and its index; rejects bad indices and duplicate letters', () => {
    const v = new CharVocab(ABC);
    expect(() => v.encode('AB?D')).toThrow(ValueError);
    expect(() => v.encode('AB?D')).toThrow(/'\?' at index 2/);
    expect(() => v.decode([0, 26])).toThrow(/26 at index 1/);
    expect(() => v.decode([1.5])).toThrow(ValueError);
    expect(() => new CharVocab('ABA')).toThrow(ValueError);
    expect(() => new CharVocab('')).toThrow(ValueError);
  });
});

describe('padSequences', () => {
  const seqs = [[1, 2], [3, 4, 5, 6], [], [7]];

  it('defaults: maxLen = longest, padding and truncating pre, value 0, int32', () => {
    const t = padSequences(seqs);
    expect(t.shape).toEqual([4, 4]);
    expect(Array.from(t.data)).toEqual([
      0, 0, 1, 2,
      3, 4, 5, 6,
      0, 0, 0, 0,
      0, 0, 0, 7,
    ]);
  });

  it("padding 'post' left-aligns", () => {
    expect(Array.from(padSequences(seqs, { padding: 'post' }).data)).toEqual([
      1, 2, 0, 0,
      3, 4, 5, 6,
      0, 0, 0, 0,
      7, 0, 0, 0,
    ]);
  });

  it("truncating 'pre' keeps the last maxLen items, 'post' the first", () => {
    expect(Array.from(padSequences(seqs, { maxLen: 3 }).data)).toEqual([0, 1, 2, 4, 5, 6, 0, 0, 0, 0, 0, 7]);
    expect(Array.from(padSequences(seqs, { maxLen: 3, truncating: 'post' }).data)).toEqual([0, 1, 2, 3, 4, 5, 0, 0, 0, 0, 0, 7]);
    expect(Array.from(padSequences(seqs, { maxLen: 3, truncating: 'post', padding: 'post' }).data)).toEqual([1, 2, 0, 3, 4, 5, 0, 0, 0, 7, 0, 0]);
    expect(Array.from(padSequences(seqs, { maxLen: 1, truncating: 'pre' }).data)).toEqual([2, 6, 0, 7]);
  });

  it('value fills the padding and empty sequences; maxLen larger than the longest', () => {
    const t = padSequences([[1], []], { maxLen: 3, value: -1 });
    expect(t.shape).toEqual([2, 3]);
    expect(Array.from(t.data)).toEqual([-1, -1, 1, -1, -1, -1]);
  });

  it("dtype 'int32' truncates toward zero (2.7 -> 2, -2.7 -> -2), value too; 'float32' keeps values", () => {
    const x = [[2.7, -2.7, 0.5]];
    expect(Array.from(padSequences(x, { maxLen: 4, value: 1.9 }).data)).toEqual([1, 2, -2, 0]);
    expect(Array.from(padSequences(x, { maxLen: 4, dtype: 'float32', value: 1.9 }).data)).toEqual(
      [1.9, 2.7, -2.7, 0.5].map(Math.fround),
    );
    // -0.5 truncates to 0, not -0
    expect(Object.is(padSequences([[-0.5]]).data[0], 0)).toBe(true);
    expect(() => padSequences([[3e9]])).toThrow(ValueError);
  });

  it('maxLen 0 gives shape [N, 0]; no sequences gives [0, 0]', () => {
    const t = padSequences(seqs, { maxLen: 0 });
    expect(t.shape).toEqual([4, 0]);
    expect(t.data.length).toBe(0);
    expect(padSequences([]).shape).toEqual([0, 0]);
  });

  it('vector steps give [N, maxLen, D]', () => {
    const t = padSequences([[[1, 2], [3, 4]], [[5, 6]], []], { maxLen: 2, value: 9 });
    expect(t.shape).toEqual([3, 2, 2]);
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4, 9, 9, 5, 6, 9, 9, 9, 9]);
    const post = padSequences([[[1, 2], [3, 4], [5, 6]]], { maxLen: 2, truncating: 'post', padding: 'post' });
    expect(Array.from(post.data)).toEqual([1, 2, 3, 4]);
  });

  it('the listing path: pre-padded float32 sequences, reshaped (N, 5, 1) and scaled by 26 in float32', () => {
    const X = padSequences([[15, 16, 17, 18, 19], [22], [0, 1]], { maxLen: 5, dtype: 'float32' });
    const x = divide(reshape(X, [3, 5, 1]), 26);
    expect(x.shape).toEqual([3, 5, 1]);
    const ref = [15, 16, 17, 18, 19, 0, 0, 0, 0, 22, 0, 0, 0, 0, 1].map((k) => Math.fround(k / 26));
    expectClose('scaled X', x.data, ref, { atol: 0, rtol: 0 }, [3, 5, 1]);
    expect(x.data[2 * 5 + 3]).toBe(0); // 'A' scales to 0, the pad value
  });

  it('errors name the problem', () => {
    expect(() => padSequences(seqs, { padding: 'middle' as never })).toThrow(ConfigError);
    expect(() => padSequences(seqs, { padding: 'middle' as never })).toThrow(/middle/);
    expect(() => padSequences(seqs, { truncating: 'mid' as never })).toThrow(/truncating/);
    expect(() => padSequences(seqs, { dtype: 'int8' as never })).toThrow(ConfigError);
    expect(() => padSequences(seqs, { maxLen: -1 })).toThrow(ValueError);
    expect(() => padSequences(seqs, { maxLen: 2.5 })).toThrow(ValueError);
    expect(() => padSequences(seqs, { maxlen: 3 } as never)).toThrow(/maxlen/);
    expect(() => padSequences('abc' as never)).toThrow(ValueError);
    expect(() => padSequences([[1], 5] as never)).toThrow(/sequence 1/);
    expect(() => padSequences([[1, NaN]])).toThrow(/sequence 0, step 1/);
    expect(() => padSequences([[1, Infinity]])).toThrow(ValueError);
    expect(() => padSequences([[[1, 2]], [[3, 4], [5]]])).toThrow(ShapeError);
    expect(() => padSequences([[[1, 2]], [[3, 4], [5]]])).toThrow(/sequence 1, step 1 has 1 features but earlier steps have 2 features/);
    expect(() => padSequences([[1], [[2]]] as never)).toThrow(/sequence 1, step 0/);
    expect(() => padSequences([[[]]])).toThrow(ShapeError);
  });
});

describe('toCategorical', () => {
  it('infers numClasses = max + 1 and one-hot encodes as float32', () => {
    const t = toCategorical([2, 0, 1]);
    expect(t.shape).toEqual([3, 3]);
    expect(t.data).toBeInstanceOf(Float32Array);
    expect(Array.from(t.data)).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0]);
  });

  it('uses an explicit numClasses and accepts Int32Array', () => {
    const t = toCategorical(Int32Array.from([1, 3]), 5);
    expect(t.shape).toEqual([2, 5]);
    expect(Array.from(t.data)).toEqual([0, 1, 0, 0, 0, 0, 0, 0, 1, 0]);
  });

  it('rejects labels outside [0, numClasses), non-integers and bad numClasses, naming index and value', () => {
    expect(() => toCategorical([0, 5], 5)).toThrow(/y\[1\] = 5/);
    expect(() => toCategorical([0, -1])).toThrow(/y\[1\] = -1/);
    expect(() => toCategorical([0, 1.5])).toThrow(ValueError);
    expect(() => toCategorical([0], 0)).toThrow(ValueError);
    expect(() => toCategorical([])).toThrow(ValueError);
    expect(toCategorical([], 4).shape).toEqual([0, 4]);
  });

  it('warns when the inferred class count is smaller than the vocabulary', () => {
    const msgs: string[] = [];
    const t = toCategorical([1, 3], undefined, { vocabularySize: 26, warn: (m) => msgs.push(m) });
    expect(t.shape).toEqual([2, 4]);
    expect(msgs.length).toBe(1);
    expect(msgs[0]).toMatch(/4/);
    expect(msgs[0]).toMatch(/26/);
    toCategorical([25], undefined, { vocabularySize: 26, warn: (m) => msgs.push(m) });
    toCategorical([1], 26, { vocabularySize: 26, warn: (m) => msgs.push(m) });
    expect(msgs.length).toBe(1);
    expect(() => toCategorical([1], undefined, { vocab: 3 } as never)).toThrow(ConfigError);
  });

  it('the listing: 1000 targets infer 26 classes, no warning', () => {
    const { dataY } = alphabetDataset();
    const msgs: string[] = [];
    const y = toCategorical(dataY, undefined, { vocabularySize: 26, warn: (m) => msgs.push(m) });
    expect(y.shape).toEqual([1000, 26]);
    expect(msgs).toEqual([]);
  });
});

describe('tensor helpers', () => {
  it('tensor() copies number[] and validates the size', () => {
    const src = [1, 2, 3, 4, 5, 6];
    const t = tensor(src, [2, 3]);
    src[0] = 99;
    expect(t.data[0]).toBe(1);
    expect(tensor(new Float32Array(4), [2, 2]).shape).toEqual([2, 2]);
    expect(() => tensor([1, 2, 3], [2, 2])).toThrow(ShapeError);
    expect(() => tensor([1, 2], [-1, 2])).toThrow(ShapeError);
  });

  it('reshape() shares data, infers one -1, and rejects mismatches', () => {
    const t = tensor([1, 2, 3, 4, 5, 6], [6]);
    const r = reshape(t, [-1, 1, 3]);
    expect(r.shape).toEqual([2, 1, 3]);
    expect(r.data).toBe(t.data);
    expect(() => reshape(t, [4, -1])).toThrow(ShapeError);
    expect(() => reshape(t, [-1, -1])).toThrow(ShapeError);
    expect(() => reshape(t, [5])).toThrow(ShapeError);
  });

  it('divide() and scale() round each element to float32', () => {
    expect(Array.from(divide(tensor([0, 13, 25], [3]), 26).data)).toEqual([0, 0.5, Math.fround(25 / 26)]);
    expect(Array.from(scale(tensor([1, 3], [2]), 0.1).data)).toEqual([Math.fround(0.1), Math.fround(0.30000000000000004)]);
  });
});

it('NumpyRandomState is the stream alphabetDataset uses by default', () => {
  const rs = new NumpyRandomState(7);
  expect([rs.randint(24)]).toEqual([15]); // P, the listing's first start
});
