// Property-based tests (fast-check, fixed seed) over the model API: random architectures (units,
// features, classes, fixed or free length, masking, preset), random inputs (tensors and nested
// arrays with wrong ranks, sizes and lengths, ragged arrays, NaN, ±Infinity, -0, float32's
// extremes, junk), random targets and random option objects with typo keys, for predict, evaluate,
// fit, computeGradients, setWeights and compile; and corrupted saved models for loadModel.
// Every call returns or throws a documented error; a refused call changes nothing (state hash,
// WASM bytes); a fit that diverges says so and keeps finite weights; predict returns probability
// rows; and no call ever leaves a non-finite weight or the model busy.
import { describe, it, expect, beforeAll } from 'vitest';
import {
  ready, sequential, lstm, dense, masking, adam, loadModel, encodeModel, type Sequential,
} from '../../src/index.js';
import { memoryStats, stateHash, nonFinite, probabilityRowsProblem } from '../helpers/robust.js';
import { fc, FC, f32Number, anyNumber, junk, value, sizeLike, options, expectDocumented, checkedCall } from '../helpers/arbitraries.js';

beforeAll(async () => {
  await ready();
});

interface Arch { H: number; D: number; V: number; T: number | null; mask: boolean; preset: 'keras2' | 'keras3'; seed: number; lr: number }

const archArb: fc.Arbitrary<Arch> = fc.record({
  H: fc.integer({ min: 1, max: 6 }), D: fc.integer({ min: 1, max: 3 }), V: fc.integer({ min: 2, max: 5 }),
  T: fc.oneof(fc.constant(null), fc.integer({ min: 1, max: 5 })), mask: fc.boolean(), preset: fc.constantFrom('keras2', 'keras3'),
  seed: fc.integer({ min: 0, max: 1000 }), lr: fc.constantFrom(1e-3, 0.05, 1, 1e3),
});

function build(a: Arch): Sequential {
  const inputShape: [number | null, number] = [a.T, a.D];
  const layers = a.mask
    ? [masking({ maskValue: 0, inputShape }), lstm({ units: a.H }), dense({ units: a.V, activation: 'softmax' })]
    : [lstm({ units: a.H, inputShape }), dense({ units: a.V, activation: 'softmax' })];
  const m = sequential({ seed: a.seed, preset: a.preset, layers });
  m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: a.lr }), metrics: ['accuracy'] });
  // Grow the scratch to more steps than any generated input, so a refused call that allocates
  // nothing shows as unchanged WASM bytes.
  m.predict(a.T === null ? [Array.from({ length: 12 }, () => Array(a.D).fill(0.5))] : [Array.from({ length: a.T }, () => Array(a.D).fill(0.5))]);
  return m;
}

// Input values: anything a float32 holds, non-finite values, now and then junk. (Finite doubles
// beyond float32's range are left out: nested arrays let them through as ±Infinity, see the report.)
const xAny = fc.oneof({ weight: 20, arbitrary: f32Number }, { weight: 2, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity) }, { weight: 1, arbitrary: junk });

const nearby = (n: number, lo = 0) => fc.oneof({ weight: 6, arbitrary: fc.constant(n) }, { weight: 1, arbitrary: fc.integer({ min: Math.max(lo, n - 1), max: n + 1 }) });

/**
 * x for a model of arch `a`: a tensor, regular or ragged nested arrays, or junk; about n samples.
 * `clean`: finite float32 values only and the model's own sizes more often.
 */
const xArb = (a: Arch, n: number, clean: boolean): fc.Arbitrary<unknown> => {
  const T = a.T ?? 4;
  const xValue = clean ? f32Number : xAny;
  const near = clean ? (k: number) => fc.constant(k) : nearby;
  const tensorArb = fc.tuple(near(n), near(T), near(a.D, 1), fc.integer({ min: -1, max: 1 }), fc.boolean()).chain(([nn, t, d, off, f32]) => {
    const size = nn * t * d;
    // A tensor's data with a BigInt or Symbol element is a TypeError today (see the report): left out.
    const element = xValue.filter((v) => typeof v !== 'bigint' && typeof v !== 'symbol');
    return fc.array(element, { minLength: Math.max(0, size + Math.min(off, 0)), maxLength: size + Math.max(off, 0) }).map((data) => ({
      shape: [nn, t, d],
      data: f32 ? Float32Array.from(data, (v) => (typeof v === 'number' ? v : NaN)) : data,
    }));
  });
  const step = a.D === 1 ? fc.oneof(fc.array(xValue, { minLength: 1, maxLength: 1 }), xValue) : fc.array(xValue, { minLength: a.D, maxLength: a.D });
  const regularArb = fc.tuple(near(n), near(T)).chain(([nn, t]) => fc.array(fc.array(fc.array(xValue, { minLength: a.D, maxLength: a.D }), { minLength: t, maxLength: t }), { minLength: nn, maxLength: nn }));
  const raggedArb = fc.array(fc.array(step, { maxLength: (a.T ?? 6) + 1 }), { minLength: n, maxLength: n });
  return clean
    ? fc.oneof(tensorArb, regularArb, raggedArb)
    : fc.oneof({ weight: 4, arbitrary: tensorArb }, { weight: 3, arbitrary: regularArb }, { weight: 3, arbitrary: raggedArb }, { weight: 1, arbitrary: junk });
};

/** y: one-hot rows mostly; sometimes other values (out of range, non-finite), wrong sizes, junk. */
const yArb = (a: Arch, n: number, clean: boolean): fc.Arbitrary<unknown> => {
  const oneHot = fc.array(fc.integer({ min: 0, max: a.V - 1 }), { minLength: n, maxLength: n }).map((ls) => ls.map((l) => Array.from({ length: a.V }, (_, j) => (j === l ? 1 : 0))));
  const rows = fc.tuple(nearby(n), nearby(a.V, 1)).chain(([nn, v]) => fc.array(fc.array(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, 1) }, { weight: 1, arbitrary: xAny }), { minLength: v, maxLength: v }), { minLength: nn, maxLength: nn }));
  const tensorY = oneHot.map((r) => ({ shape: [r.length, a.V], data: Float32Array.from(r.flat()) }));
  if (clean) return fc.oneof(oneHot, tensorY);
  return fc.oneof({ weight: 5, arbitrary: oneHot }, { weight: 2, arbitrary: tensorY }, { weight: 3, arbitrary: rows }, { weight: 1, arbitrary: junk });
};

const padding = fc.oneof(fc.constantFrom('pre', 'post'), junk);
const lengthsArb = (n: number) => fc.oneof({ weight: 4, arbitrary: fc.array(sizeLike(5), { minLength: n, maxLength: n + 1 }) }, { weight: 1, arbitrary: junk });

type Kind = 'predict' | 'evaluate' | 'fit' | 'computeGradients' | 'setWeights' | 'compile';

interface Call { kind: Kind; x: unknown; y: unknown; opts: unknown; weights?: unknown }

const callArb = (a: Arch): fc.Arbitrary<Call> =>
  fc.tuple(fc.constantFrom<Kind>('predict', 'evaluate', 'fit', 'fit', 'computeGradients', 'setWeights', 'compile'), fc.integer({ min: 0, max: 4 }), fc.boolean()).chain(([kind, n, clean]): fc.Arbitrary<Call> => {
    const x = xArb(a, n, clean);
    const y = yArb(a, n, clean);
    // Clean calls mostly get no options, or valid ones; the others get typos and junk.
    const seqOpts = (keys: string[], extra: (k: string) => fc.Arbitrary<unknown> = () => value, valid: fc.Arbitrary<unknown> = fc.constant({})) =>
      clean
        ? fc.oneof(fc.constant(undefined), valid)
        : fc.oneof({ weight: 10, arbitrary: options(keys, (k) => (k === 'lengths' ? lengthsArb(n) : k === 'padding' ? padding : extra(k))) }, { weight: 1, arbitrary: junk.filter((j) => j !== undefined) });
    if (kind === 'predict') return fc.record({ kind: fc.constant(kind), x, y: fc.constant(null), opts: seqOpts(['batchSize', 'lengths', 'padding'], () => sizeLike(5), fc.constantFrom({}, { batchSize: 2 })) });
    if (kind === 'evaluate') return fc.record({ kind: fc.constant(kind), x, y, opts: seqOpts(['batchSize', 'verbose', 'lengths', 'padding'], (k) => (k === 'verbose' ? fc.constantFrom<unknown>(0, 1, 2, '0', true) : sizeLike(5)), fc.constantFrom({}, { batchSize: 3, verbose: 0 })) });
    if (kind === 'computeGradients') return fc.record({ kind: fc.constant(kind), x, y, opts: seqOpts(['lengths', 'padding']) });
    if (kind === 'fit') {
      const fitValue = (k: string): fc.Arbitrary<unknown> => {
        if (k === 'epochs') return sizeLike(3);
        if (k === 'batchSize' || k === 'initialEpoch') return sizeLike(4);
        if (k === 'shuffle') return fc.constantFrom<unknown>(true, false, 'yes', 0, null);
        if (k === 'verbose') return fc.constantFrom<unknown>(0, 3, '0', -1, null, true); // 1 and 2 print progress
        if (k === 'callbacks') return fc.constantFrom<unknown>({}, [], 5, null, [{}, 3], { onEpochEnd() {} }, { onEpochend() {} }, { onBatchEnd() {} }, [{ onTrainBegin() {} }, {}]);
        if (k === 'signal') return fc.constantFrom<unknown>(AbortSignal.abort(), new AbortController().signal, {}, 5, null);
        if (k === 'validationSplit') return fc.constantFrom<unknown>(0.5, 0.25, 0, 1, NaN, '0.5', -0.1);
        if (k === 'validationData') return fc.oneof(fc.tuple(x, y), fc.tuple(x), fc.tuple(x, y, fc.constantFrom<unknown>({}, { lenghts: [] }, null)), junk);
        return value;
      };
      const keys = ['epochs', 'batchSize', 'shuffle', 'verbose', 'callbacks', 'signal', 'initialEpoch', 'lengths', 'padding', 'validationSplit', 'validationData'];
      const validFit = fc.constantFrom({ verbose: 0 }, { epochs: 2, batchSize: 1, verbose: 0 }, { batchSize: 2, shuffle: false, verbose: 0 }, { epochs: 2, validationSplit: 0.5, verbose: 0 }, { callbacks: { onBatchEnd() {} }, verbose: 0 });
      return fc.record({ kind: fc.constant(kind), x, y, opts: seqOpts(keys, fitValue, validFit).map((o) => (o !== null && typeof o === 'object' && !Array.isArray(o) && !('verbose' in o) ? { ...o, verbose: 0 } : o)) });
    }
    if (kind === 'setWeights') {
      const edit = fc.record({
        how: fc.constantFrom('same', 'drop', 'extra', 'reshape', 'value', 'array', 'junk', 'short'),
        // BigInt and Symbol elements are left out: Float32Array.from throws a TypeError on them (see the report).
        which: fc.integer({ min: 0, max: 4 }), at: fc.nat(), v: fc.oneof(anyNumber, junk.filter((j) => typeof j !== 'bigint' && typeof j !== 'symbol')),
      });
      return fc.record({ kind: fc.constant(kind), x: fc.constant(null), y: fc.constant(null), opts: fc.constant(undefined), weights: edit });
    }
    const compileValue = (k: string): fc.Arbitrary<unknown> => {
      if (k === 'loss') return fc.oneof(fc.constantFrom('categoricalCrossentropy', 'categorical_crossentropy', 'mse'), junk);
      if (k === 'optimizer') return fc.oneof(fc.constantFrom<unknown>('adam', 'sgd'), fc.constantFrom(1e-3, 0.1).map((lr) => adam({ learningRate: lr })), junk);
      return fc.oneof(fc.constantFrom<unknown>([], ['accuracy'], ['acc'], ['accuracy', 'acc'], 'accuracy', ['mae']), junk);
    };
    const validCompile = fc.constantFrom({ loss: 'categoricalCrossentropy' }, { loss: 'categorical_crossentropy', optimizer: 'adam', metrics: ['acc'] });
    return fc.record({ kind: fc.constant(kind), x: fc.constant(null), y: fc.constant(null), opts: clean ? validCompile : fc.oneof({ weight: 8, arbitrary: options(['loss', 'optimizer', 'metrics'], compileValue) }, { weight: 1, arbitrary: junk }) });
  });

function editedWeights(m: Sequential, e: { how: string; which: number; at: number; v: unknown }): unknown {
  const ws: unknown[] = m.getWeights();
  const w = m.getWeights()[e.which];
  if (e.how === 'drop') ws.splice(e.which, 1);
  else if (e.how === 'extra') ws.push(w);
  else if (e.how === 'reshape') ws[e.which] = { shape: [...w.shape].reverse().concat(w.shape.length === 1 ? [1] : []), data: w.data };
  else if (e.how === 'value') {
    const arr: unknown[] = Array.from(w.data);
    arr[e.at % arr.length] = e.v;
    ws[e.which] = arr;
  } else if (e.how === 'array') ws[e.which] = Array.from(w.data);
  else if (e.how === 'junk') ws[e.which] = e.v;
  else if (e.how === 'short') ws[e.which] = w.data.subarray(1);
  return ws;
}


async function perform(m: Sequential, c: Call): Promise<unknown> {
  switch (c.kind) {
    case 'predict': return m.predict(c.x as never, c.opts as never);
    case 'evaluate': return m.evaluate(c.x as never, c.y as never, c.opts as never);
    case 'fit': return m.fit(c.x as never, c.y as never, c.opts as never);
    case 'computeGradients': return m.computeGradients(c.x as never, c.y as never, c.opts as never);
    case 'setWeights': return m.setWeights(editedWeights(m, c.weights as never) as never);
    case 'compile': return m.compile(c.opts as never);
  }
}

describe('the model API under random calls', () => {
  it('returns or throws a documented error; refused calls change nothing; weights stay finite; predict gives probabilities', async () => {
    const counts: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(archArb.chain((a) => fc.tuple(fc.constant(a), callArb(a))), async ([a, c]) => {
        const m = build(a);
        try {
          const what = `${c.kind} on ${JSON.stringify(a)}`;
          const { result, error, hash } = await checkedCall(m, what, () => perform(m, c));
          const tag = error === null ? 'ok' : (error as Error).constructor?.name;
          counts[`${c.kind}:${tag}`] = (counts[`${c.kind}:${tag}`] ?? 0) + 1;
          if (error !== null) return;
          if (c.kind === 'predict') expect(probabilityRowsProblem(result as never), `${what}: predict`).toBeNull();
          if (c.kind === 'evaluate') {
            const r = result as number[];
            expect(r.length === 1 || r.length === 2, `${what}: evaluate returned ${r}`).toBe(true);
            expect(r.every((v) => typeof v === 'number' && !Number.isNaN(v)), `${what}: evaluate returned ${r}`).toBe(true);
          }
          if (c.kind === 'computeGradients') {
            const g = result as { loss: number; grads: Array<{ shape: number[]; data: Float32Array }> };
            expect(g.grads.map((t) => t.shape)).toEqual(m.getWeights().map((w) => w.shape));
          }
          if (c.kind === 'predict' || c.kind === 'evaluate' || c.kind === 'computeGradients') {
            expect(stateHash(m), `${what}: a read-only call changed the model`).toBe(hash);
          }
        } finally {
          m.dispose();
        }
      }),
      { ...FC, numRuns: 1500 },
    );
    // The generator reached every call and both outcomes (a silent generator proves nothing).
    for (const k of ['predict', 'evaluate', 'fit', 'computeGradients', 'setWeights', 'compile']) {
      expect(counts[`${k}:ok`] ?? 0, `${k} succeeded in ${JSON.stringify(counts)}`).toBeGreaterThan(30);
      expect(Object.keys(counts).some((t) => t.startsWith(`${k}:`) && !t.endsWith(':ok')), `${k} refused`).toBe(true);
    }
  });
});

describe('loadModel under corrupted files', () => {
  it('flipped, overwritten or truncated bytes: a documented error or a working model, never a crash or a leak', async () => {
    const m = sequential({ seed: 1, layers: [lstm({ units: 3, inputShape: [null, 2] }), dense({ units: 4, activation: 'softmax' })] });
    m.compile({ loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    await m.fit([[[1, 2], [3, 4]], [[0, 1]]], [[1, 0, 0, 0], [0, 1, 0, 0]], { epochs: 2, verbose: 0 });
    const bytes = encodeModel(m.save());
    m.dispose();
    const live = memoryStats().liveBytes;
    const mutation = fc.record({
      edits: fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      cut: fc.option(fc.nat(bytes.length), { nil: undefined }),
    });
    let loaded = 0;
    fc.assert(fc.property(mutation, ({ edits, cut }) => {
      const b = bytes.slice(0, cut ?? bytes.length);
      for (const [i, v] of edits) if (i < b.length) b[i] = v;
      let model: Sequential | null = null;
      try {
        model = loadModel(b);
        loaded++;
        expect(nonFinite(model)).toBeNull();
        expect(probabilityRowsProblem(model.predict([[[0.5, 0.5]]]))).toBeNull();
      } catch (e) {
        expectDocumented(e, 'loadModel()');
      } finally {
        model?.dispose();
      }
      expect(memoryStats().liveBytes).toBe(live);
    }), { ...FC, numRuns: 600 });
    // Edits of bytes the checksums do not cover (e.g. JSON whitespace) may still load; most must not.
    expect(loaded).toBeLessThan(600);
  });
});
