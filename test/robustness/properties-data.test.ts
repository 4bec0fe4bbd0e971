// Property-based tests (fast-check, fixed seed) over the data utilities: padSequences,
// toCategorical, tensor/reshape/divide, CharVocab and alphabetDataset. For random inputs, including
// NaN, ±Infinity, -0, float32's extremes, junk types and option objects with typos, every call
// either returns or throws a documented error (an LstmWasmError subclass); when it returns, the
// result matches an independent oracle: Keras's pad_sequences / to_categorical semantics written
// out plainly below, and the invariants each function documents. Valid inputs must succeed.
import { describe, it, expect } from 'vitest';
import { padSequences, toCategorical, tensor, reshape, divide, CharVocab, alphabetDataset, createRng, type Tensor } from '../../src/index.js';
import { fc, FC, f32Number, junk, value, sizeLike, options, expectDocumented } from '../helpers/arbitraries.js';

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };
function run<T>(f: () => T): Outcome<T> {
  try {
    return { ok: true, value: f() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** JSON-ish text of any generated value (BigInt and symbols included), for failure messages. */
const show = (v: unknown): string => {
  try {
    return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' || typeof x === 'symbol' || typeof x === 'function' ? String(x) : x)) ?? String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
};
const plus0 = (a: ArrayLike<number>) => Array.from(a, (v) => v + 0); // -0 and 0 are the same size or index
const same = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]) || v === b[i]);

// ---- padSequences ------------------------------------------------------------------------------

interface PadOpts { maxLen?: number; padding?: 'pre' | 'post'; truncating?: 'pre' | 'post'; value?: number; dtype?: 'int32' | 'float32' }

/** Keras pad_sequences, spelled out (with lstm-wasm's documented maxLen 0 -> [N, 0]). */
function refPad(seqs: Array<Array<number | number[]>>, o: PadOpts): { shape: number[]; data: number[]; lengths: number[] } {
  const dtype = o.dtype ?? 'int32';
  const cast = (v: number) => (dtype === 'int32' ? Math.trunc(v) + 0 : Math.fround(v));
  const L = o.maxLen ?? Math.max(0, ...seqs.map((s) => s.length));
  const first = seqs.find((s) => s.length > 0)?.[0];
  const D = Array.isArray(first) ? first.length : 0;
  const F = Math.max(D, 1);
  const data = new Array(seqs.length * L * F).fill(cast(o.value ?? 0));
  const lengths: number[] = [];
  seqs.forEach((s, n) => {
    const k = Math.min(s.length, L);
    const kept = (o.truncating ?? 'pre') === 'pre' ? s.slice(s.length - k) : s.slice(0, k);
    const at = (o.padding ?? 'pre') === 'pre' ? L - k : 0;
    kept.forEach((step, t) => {
      const vals = Array.isArray(step) ? step : [step];
      vals.forEach((v, f) => (data[(n * L + at + t) * F + f] = cast(v)));
    });
    lengths.push(k);
  });
  return { shape: D > 0 ? [seqs.length, L, D] : [seqs.length, L], data, lengths };
}

function checkPad(out: Tensor, seqs: unknown, o: PadOpts | undefined, what: string): void {
  const ref = refPad(seqs as Array<Array<number | number[]>>, o ?? {});
  expect(out.shape, `${what}: shape`).toEqual(ref.shape);
  expect(same(out.data, Float32Array.from(ref.data)), `${what}: data ${Array.from(out.data)} vs ${ref.data}`).toBe(true);
  expect(Array.from(out.padded!.lengths), `${what}: lengths`).toEqual(ref.lengths);
}

const padKeys = ['maxLen', 'padding', 'truncating', 'value', 'dtype'] as const;
const padValueFor = (k: string): fc.Arbitrary<unknown> => {
  if (k === 'maxLen') return sizeLike(8);
  if (k === 'padding' || k === 'truncating') return fc.oneof(fc.constantFrom('pre', 'post'), junk);
  if (k === 'dtype') return fc.oneof(fc.constantFrom('int32', 'float32'), fc.constantFrom('float64', 'int'), junk);
  return value;
};

describe('padSequences', () => {
  it('valid input: succeeds and matches Keras semantics', () => {
    const seqsArb = fc.oneof(
      fc.array(fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 7 }), { maxLength: 5 }),
      fc.integer({ min: 1, max: 3 }).chain((D) => fc.array(fc.array(fc.array(fc.integer({ min: -50, max: 50 }), { minLength: D, maxLength: D }), { maxLength: 6 }), { maxLength: 4 })),
    );
    const optsArb = fc.record({
      maxLen: fc.integer({ min: 0, max: 8 }), padding: fc.constantFrom('pre', 'post'), truncating: fc.constantFrom('pre', 'post'),
      value: fc.integer({ min: -5, max: 5 }), dtype: fc.constantFrom('int32', 'float32'),
    }, { requiredKeys: [] }) as fc.Arbitrary<PadOpts>;
    fc.assert(fc.property(seqsArb, optsArb, (seqs, o) => {
      checkPad(padSequences(seqs, o), seqs, o, `padSequences(${JSON.stringify(seqs)}, ${JSON.stringify(o)})`);
    }), { ...FC, numRuns: 400 });
  });

  it('float32: keeps real values (incl. -0, subnormals, float32 extremes) as float32', () => {
    const seqsArb = fc.array(fc.array(f32Number, { maxLength: 6 }), { maxLength: 5 });
    fc.assert(fc.property(seqsArb, fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined }), (seqs, maxLen) => {
      const o: PadOpts = { dtype: 'float32', maxLen };
      checkPad(padSequences(seqs, o), seqs, o, `padSequences(${seqs}, ${JSON.stringify(o)})`);
    }), { ...FC, numRuns: 300 });
  });

  it('any input: returns (matching the oracle) or throws a documented error', () => {
    const step = fc.oneof({ weight: 6, arbitrary: value }, { weight: 1, arbitrary: fc.array(value, { maxLength: 3 }) });
    const seqsArb = fc.oneof({ weight: 8, arbitrary: fc.array(fc.oneof({ weight: 8, arbitrary: fc.array(step, { maxLength: 6 }) }, { weight: 1, arbitrary: junk }), { maxLength: 5 }) }, { weight: 1, arbitrary: junk });
    const optsArb = fc.oneof({ weight: 8, arbitrary: options(padKeys, padValueFor) }, { weight: 1, arbitrary: junk });
    fc.assert(fc.property(seqsArb, optsArb, (seqs, o) => {
      const r = run(() => padSequences(seqs as never, o as never));
      if (r.ok) checkPad(r.value, seqs, o as PadOpts, `padSequences accepted ${show(seqs)}, ${show(o)}`);
      else expectDocumented(r.error, 'padSequences()');
    }), { ...FC, numRuns: 1500 });
  });
});

// ---- toCategorical -----------------------------------------------------------------------------

function checkOneHot(out: Tensor, y: ArrayLike<number>, V: number, what: string): void {
  expect(out.shape, what).toEqual([y.length, V]);
  for (let i = 0; i < y.length; i++) {
    for (let j = 0; j < V; j++) if (out.data[i * V + j] !== (j === y[i] ? 1 : 0)) expect.fail(`${what}: [${i}, ${j}] is ${out.data[i * V + j]}`);
  }
}

describe('toCategorical', () => {
  it('valid labels: one-hot rows, numClasses inferred as max + 1 or given', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 12 }), fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }), (y, extra) => {
      const V = extra === undefined ? Math.max(...y) + 1 : Math.max(...y) + 1 + extra;
      checkOneHot(toCategorical(y, extra === undefined ? undefined : V), y, V, `toCategorical(${y}, ${V})`);
    }), { ...FC, numRuns: 300 });
  });

  it('any input: one-hot rows or a documented error; a label outside [0, numClasses) is always refused', () => {
    // Integer labels above 1,000 are left out: a label of 1e9 makes a [N, 1e9] tensor, and 3.4e38 a
    // RangeError (see the report).
    const label = value.filter((v) => !(typeof v === 'number' && Number.isInteger(v) && v > 1000));
    const yArb = fc.oneof(
      { weight: 6, arbitrary: fc.array(fc.oneof({ weight: 5, arbitrary: fc.integer({ min: -2, max: 12 }) }, { weight: 1, arbitrary: label }), { maxLength: 8 }) },
      { weight: 1, arbitrary: fc.array(fc.integer({ min: -1, max: 5 }), { maxLength: 5 }).map((a) => Int32Array.from(a)) },
      { weight: 1, arbitrary: junk },
    );
    const optsArb = fc.oneof(options(['vocabularySize'], () => sizeLike(15)), fc.constant(undefined));
    fc.assert(fc.property(yArb, fc.oneof(sizeLike(12), fc.constant(undefined)), optsArb, (y, numClasses, o) => {
      const warnings: string[] = [];
      const opts = o === undefined ? undefined : { ...o, warn: (m: string) => warnings.push(m) };
      const r = run(() => toCategorical(y as never, numClasses as never, opts as never));
      if (r.ok) {
        const labels = y as ArrayLike<number>;
        const V = r.value.shape[1];
        for (let i = 0; i < labels.length; i++) {
          expect(Number.isInteger(labels[i]) && labels[i] >= 0 && labels[i] < V, `accepted label y[${i}] = ${labels[i]} with ${V} classes`).toBe(true);
        }
        checkOneHot(r.value, labels, V, `toCategorical(${show(y)}, ${show(numClasses)})`);
      } else expectDocumented(r.error, 'toCategorical()');
    }), { ...FC, numRuns: 1500 });
  });
});

// ---- tensor, reshape, divide -------------------------------------------------------------------

const smallTensor: fc.Arbitrary<Tensor> = fc
  .array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 })
  .chain((shape) => fc.array(f32Number, { minLength: shape.reduce((a, b) => a * b, 1), maxLength: shape.reduce((a, b) => a * b, 1) }).map((d) => tensor(d, shape)));

describe('tensor, reshape, divide', () => {
  it('tensor(data, shape): a float32 copy of the right size, or a documented error', () => {
    const shapeArb = fc.oneof({ weight: 8, arbitrary: fc.array(sizeLike(4), { maxLength: 4 }) }, { weight: 1, arbitrary: junk });
    // BigInt and Symbol elements are left out: tensor() lets Float32Array.from throw a TypeError on
    // them today (see the report).
    const element = value.filter((v) => typeof v !== 'bigint' && typeof v !== 'symbol');
    const dataArb = fc.oneof(
      { weight: 6, arbitrary: fc.array(element, { maxLength: 20 }) },
      { weight: 2, arbitrary: fc.array(f32Number, { maxLength: 20 }).map((a) => Float32Array.from(a)) },
      { weight: 1, arbitrary: junk },
    );
    fc.assert(fc.property(dataArb, shapeArb, (data, shape) => {
      const r = run(() => tensor(data as never, shape as never));
      if (!r.ok) return expectDocumented(r.error, 'tensor()');
      const size = (shape as number[]).reduce((a, b) => a * b, 1);
      expect(plus0(r.value.shape)).toEqual(plus0(shape as number[]));
      expect(r.value.data.length).toBe(size + 0);
      expect(same(r.value.data, Float32Array.from(data as number[]))).toBe(true);
    }), { ...FC, numRuns: 1000 });
  });

  it('reshape(t, shape): same data, sizes agree (one -1 inferred), or a ShapeError', () => {
    const shapeArb = fc.oneof({ weight: 8, arbitrary: fc.array(fc.oneof({ weight: 6, arbitrary: fc.integer({ min: -1, max: 6 }) }, { weight: 1, arbitrary: value }), { maxLength: 4 }) }, { weight: 1, arbitrary: junk });
    fc.assert(fc.property(smallTensor, shapeArb, (t, shape) => {
      const r = run(() => reshape(t, shape as never));
      if (!r.ok) return expectDocumented(r.error, 'reshape()');
      expect(r.value.data).toBe(t.data);
      expect(r.value.shape.reduce((a, b) => a * b, 1) + 0, `reshape([${t.shape}], ${show(shape)}) -> [${r.value.shape}]`).toBe(t.data.length);
      expect(r.value.shape.every((d) => Number.isInteger(d) && d >= 0)).toBe(true);
    }), { ...FC, numRuns: 1000 });
  });

  it('divide(t, d): element-wise Math.fround(x / d), or a ValueError for a divisor that is not a number', () => {
    fc.assert(fc.property(smallTensor, value, (t, d) => {
      const r = run(() => divide(t, d as never));
      if (!r.ok) return expectDocumented(r.error, 'divide()');
      expect(typeof d === 'number' && !Number.isNaN(d), `divide accepted ${show(d)}`).toBe(true);
      expect(same(r.value.data, Float32Array.from(t.data, (v) => Math.fround(v / (d as number))))).toBe(true);
      expect(r.value.shape).toEqual(t.shape);
    }), { ...FC, numRuns: 800 });
  });
});

// ---- CharVocab ---------------------------------------------------------------------------------

describe('CharVocab', () => {
  const alphabetArb = fc.oneof({ weight: 8, arbitrary: fc.string({ unit: 'grapheme-composite', maxLength: 8 }) }, { weight: 1, arbitrary: junk });
  it('construct, encode and decode: round trips or documented errors', () => {
    const textArb = fc.oneof(
      { weight: 5, arbitrary: fc.string({ unit: 'grapheme-composite', maxLength: 10 }) },
      { weight: 2, arbitrary: fc.array(fc.string({ maxLength: 2 }), { maxLength: 5 }) },
      { weight: 1, arbitrary: junk.filter((j) => j !== null && j !== undefined) },
    );
    const intsArb = fc.oneof(
      { weight: 5, arbitrary: fc.array(fc.oneof({ weight: 6, arbitrary: fc.integer({ min: -1, max: 9 }) }, { weight: 1, arbitrary: value }), { maxLength: 8 }) },
      { weight: 1, arbitrary: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }).map((a) => Int32Array.from(a)) },
      // null and undefined are left out: decode(null) is a TypeError today (see the report).
      { weight: 1, arbitrary: junk.filter((j) => j !== null && j !== undefined) },
    );
    fc.assert(fc.property(alphabetArb, textArb, intsArb, (alphabet, text, ints) => {
      const v = run(() => new CharVocab(alphabet as never));
      if (!v.ok) return expectDocumented(v.error, 'CharVocab()');
      const chars = Array.from(alphabet as string);
      expect(v.value.size).toBe(chars.length);
      expect(new Set(chars).size, `accepted an alphabet with a repeated character: ${show(alphabet)}`).toBe(chars.length);
      const e = run(() => v.value.encode(text as never));
      if (e.ok) {
        const pieces = typeof text === 'string' ? Array.from(text) : (text as string[]);
        expect(v.value.decode(e.value), `decode(encode(${show(text)}))`).toEqual(pieces);
      } else expectDocumented(e.error, 'CharVocab.encode()');
      const d = run(() => v.value.decode(ints as never));
      if (d.ok) expect(v.value.encode(d.value), `encode(decode(${show(ints)}))`).toEqual(plus0(ints as number[]));
      else expectDocumented(d.error, 'CharVocab.decode()');
    }), { ...FC, numRuns: 1500 });
  });
});

// ---- alphabetDataset ---------------------------------------------------------------------------

describe('alphabetDataset', () => {
  const keys = ['numInputs', 'maxLen', 'seed', 'rng', 'alphabet'] as const;
  const valueFor = (k: string): fc.Arbitrary<unknown> => {
    if (k === 'numInputs') return sizeLike(40);
    if (k === 'maxLen') return sizeLike(8);
    if (k === 'seed') return fc.oneof(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.constantFrom(-1, 2 ** 32, 1.5, NaN), junk);
    if (k === 'rng') return fc.oneof(fc.constantFrom<unknown>('numpy', 'seedrandom', 'mt19937'), fc.integer({ min: 0, max: 99 }).map((s) => createRng(s)), junk);
    return fc.oneof({ weight: 4, arbitrary: fc.string({ unit: 'grapheme-composite', maxLength: 30 }) }, { weight: 1, arbitrary: junk });
  };
  it('random options: a dataset with the documented structure, or a documented error', () => {
    fc.assert(fc.property(fc.oneof({ weight: 9, arbitrary: options(keys, valueFor, 5) }, { weight: 1, arbitrary: junk }), (o) => {
      const r = run(() => alphabetDataset(o as never));
      if (!r.ok) return expectDocumented(r.error, 'alphabetDataset()');
      const opts = (o ?? {}) as Record<string, unknown>;
      const { dataX, dataY, alphabet } = r.value;
      const n = Array.from(alphabet).length;
      const maxLen = (opts.maxLen as number | undefined) ?? 5;
      expect(dataX.length).toBe((opts.numInputs as number | undefined) ?? 1000);
      expect(dataY.length).toBe(dataX.length);
      dataX.forEach((seq, i) => {
        const ok = seq.length >= 1 && seq.length <= maxLen && seq.every((c, t) => c === seq[0] + t) && seq[0] >= 0 && dataY[i] === seq[seq.length - 1] + 1 && dataY[i] < n;
        if (!ok) expect.fail(`sample ${i}: ${JSON.stringify(seq)} -> ${dataY[i]} (alphabet of ${n}, maxLen ${maxLen})`);
      });
    }), { ...FC, numRuns: 800 });
  });
});
