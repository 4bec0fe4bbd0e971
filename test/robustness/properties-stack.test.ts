// Property-based tests (fast-check, fixed seed) over stacked, sequence-output and stateful models
// (issue #8): random architectures (1-3 LSTMs, last-step or per-step head, stateful with a batch of
// 1-3 rows or not, losses categorical/sparse/mse, fixed or free length) and random calls (predict,
// evaluate, fit with random shuffle/batch/validation options, computeGradients, predictStep,
// resetStates) with inputs and targets of near-right and wrong shapes, wrong values and junk.
// Every call returns or throws a documented error; a refused call changes nothing (state hash,
// LSTM states included, and WASM bytes); weights stay finite; outputs have the documented shape;
// computeGradients and a stateless model's predict leave the model as they found it.
import { describe, it, expect, beforeAll } from 'vitest';
import { ready, sequential, lstm, dense, adam, type Sequential } from '../../src/index.js';
import { stateHash } from '../helpers/robust.js';
import { fc, FC, f32Number, junk, checkedCall } from '../helpers/arbitraries.js';

beforeAll(async () => {
  await ready();
});

interface Arch {
  units: number[]; D: number; V: number; T: number | null; seqOut: boolean; B: number | null;
  loss: 'categoricalCrossentropy' | 'sparseCategoricalCrossentropy' | 'meanSquaredError'; seed: number;
}

const archArb: fc.Arbitrary<Arch> = fc.record({
  units: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }),
  D: fc.integer({ min: 1, max: 3 }), V: fc.integer({ min: 2, max: 4 }),
  T: fc.oneof(fc.constant(null), fc.integer({ min: 1, max: 4 })), seqOut: fc.boolean(),
  B: fc.oneof(fc.constant(null), fc.integer({ min: 1, max: 3 })),
  loss: fc.constantFrom('categoricalCrossentropy', 'sparseCategoricalCrossentropy', 'meanSquaredError'),
  seed: fc.integer({ min: 0, max: 1000 }),
});

function build(a: Arch): Sequential {
  const last = a.units.length - 1;
  const layers = [
    ...a.units.map((u, l) => lstm({
      units: u, returnSequences: l < last || a.seqOut,
      ...(a.B !== null ? { stateful: true } : {}),
      ...(l === 0 ? (a.B !== null ? { batchInputShape: [a.B, a.T, a.D] as [number, number | null, number] } : { inputShape: [a.T, a.D] as [number | null, number] }) : {}),
    })),
    dense({ units: a.V, activation: a.loss === 'meanSquaredError' ? 'linear' : 'softmax' }),
  ];
  const m = sequential({ seed: a.seed, layers });
  m.compile({ loss: a.loss, optimizer: adam({ learningRate: 0.01 }), metrics: a.loss === 'meanSquaredError' ? ['mae'] : ['accuracy'] });
  // Grow the scratch beyond any generated input, so a refused call shows as unchanged WASM bytes.
  const rows = a.B ?? 1;
  m.predict({ shape: [rows, a.T ?? 8, a.D], data: new Float32Array(rows * (a.T ?? 8) * a.D).fill(0.5) });
  m.resetStates();
  return m;
}

const xValue = fc.oneof({ weight: 30, arbitrary: fc.double({ min: -2, max: 2, noNaN: true }) }, { weight: 1, arbitrary: f32Number }, { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity) });
const near = (n: number, lo = 0) => fc.oneof({ weight: 5, arbitrary: fc.constant(n) }, { weight: 1, arbitrary: fc.integer({ min: Math.max(lo, n - 1), max: n + 1 }) });

/** A tensor x of about n samples and T steps (sometimes off by one, sometimes junk). */
const xArb = (a: Arch, n: number) =>
  fc.oneof(
    { weight: 8, arbitrary: fc.tuple(near(n), near(a.T ?? 3, 1), near(a.D, 1)).chain(([nn, t, d]) =>
      fc.array(xValue, { minLength: nn * t * d, maxLength: nn * t * d }).map((data) => ({ shape: [nn, t, d], data: Float32Array.from(data) }))) },
    { weight: 1, arbitrary: junk },
  );

/** Targets of the architecture's kind for n samples (sometimes of the other kind, off by one, or bad values). */
const yArb = (a: Arch, n: number, T: number) => {
  const rows = a.seqOut ? n * T : n;
  const lead = a.seqOut ? [n, T] : [n];
  const labels = fc.array(fc.oneof({ weight: 10, arbitrary: fc.integer({ min: 0, max: a.V - 1 }) }, { weight: 1, arbitrary: fc.constantFrom(-1, a.V, 0.5) }), { minLength: rows, maxLength: rows })
    .map((ls) => ({ shape: lead, data: Float32Array.from(ls) }));
  const oneHot = fc.array(fc.integer({ min: 0, max: a.V - 1 }), { minLength: rows, maxLength: rows })
    .map((ls) => ({ shape: [...lead, a.V], data: Float32Array.from(ls.flatMap((l) => Array.from({ length: a.V }, (_, j) => (j === l ? 1 : 0)))) }));
  const values = fc.array(xValue, { minLength: rows * a.V, maxLength: rows * a.V }).map((vs) => ({ shape: [...lead, a.V], data: Float32Array.from(vs) }));
  const own = a.loss === 'sparseCategoricalCrossentropy' ? labels : a.loss === 'categoricalCrossentropy' ? oneHot : values;
  const offByOne = fc.integer({ min: 0, max: rows }).map((k) => ({ shape: [k, a.V], data: new Float32Array(k * a.V) }));
  return fc.oneof({ weight: 10, arbitrary: own }, { weight: 2, arbitrary: fc.oneof(labels, oneHot, values) }, { weight: 1, arbitrary: offByOne }, { weight: 1, arbitrary: junk });
};

type Kind = 'predict' | 'evaluate' | 'fit' | 'computeGradients' | 'predictStep' | 'resetStates';
interface Call { kind: Kind; x: unknown; y: unknown; opts: unknown }

const callArb = (a: Arch): fc.Arbitrary<Call> =>
  fc.tuple(fc.constantFrom<Kind>('predict', 'evaluate', 'fit', 'fit', 'fit', 'computeGradients', 'predictStep', 'resetStates'), fc.integer({ min: 1, max: 2 })).chain(([kind, k]): fc.Arbitrary<Call> => {
    const n = (a.B ?? 2) * k;
    const T = a.T ?? 3;
    const x = xArb(a, n);
    const y = yArb(a, n, T);
    if (kind === 'fit') {
      const opts = fc.record({
        epochs: fc.constantFrom(1, 2),
        batchSize: fc.oneof(fc.constant(undefined), fc.constant(a.B ?? 2), fc.integer({ min: 1, max: 4 })),
        shuffle: fc.constantFrom(undefined, false, false, true),
        validationSplit: fc.constantFrom(undefined, undefined, undefined, 0.5),
        verbose: fc.constant(0),
      }, { requiredKeys: ['epochs', 'verbose'] });
      return fc.record({ kind: fc.constant(kind), x, y, opts });
    }
    if (kind === 'predictStep') {
      const rows = a.B ?? 1;
      const step = fc.oneof(
        { weight: 6, arbitrary: fc.array(fc.array(xValue, { minLength: a.D, maxLength: a.D }), { minLength: rows, maxLength: rows }) },
        { weight: 1, arbitrary: fc.array(fc.array(xValue, { maxLength: a.D + 1 }), { maxLength: rows + 1 }) },
        { weight: 1, arbitrary: junk },
      );
      return fc.record({ kind: fc.constant(kind), x: step, y: fc.constant(null), opts: fc.constant(undefined) });
    }
    const opts = fc.constantFrom(undefined, {}, { batchSize: a.B ?? 2 }, { batchSize: 5 });
    return fc.record({ kind: fc.constant(kind), x, y: kind === 'predict' || kind === 'resetStates' ? fc.constant(null) : y, opts });
  });

async function perform(m: Sequential, c: Call): Promise<unknown> {
  switch (c.kind) {
    case 'predict': return m.predict(c.x as never, c.opts as never);
    case 'evaluate': return m.evaluate(c.x as never, c.y as never, c.opts as never);
    case 'fit': return m.fit(c.x as never, c.y as never, c.opts as never);
    case 'computeGradients': return m.computeGradients(c.x as never, c.y as never);
    case 'predictStep': return m.predictStep(c.x as never);
    case 'resetStates': return m.resetStates();
  }
}


describe('stacked, sequence-output and stateful models under random calls', () => {
  it('return or throw a documented error; refused calls change nothing; outputs have the documented shape', async () => {
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
          const out = result as { shape: number[]; data: Float32Array } | undefined;
          if (c.kind === 'predict') {
            const x = c.x as { shape: number[] };
            expect(out!.shape, what).toEqual(a.seqOut ? [x.shape[0], x.shape[1], a.V] : [x.shape[0], a.V]);
            expect(out!.data.every(Number.isFinite), `${what}: non-finite output`).toBe(true);
            if (a.B === null) expect(stateHash(m), `${what}: a stateless predict changed the model`).toBe(hash);
          }
          if (c.kind === 'predictStep') expect(out!.shape, what).toEqual([a.B ?? 1, a.V]);
          if (c.kind === 'computeGradients') expect(stateHash(m), `${what}: computeGradients changed the model`).toBe(hash);
        } finally {
          m.dispose();
        }
      }),
      { ...FC, numRuns: 1000 },
    );
    // The generator reached every call and both outcomes (a silent generator proves nothing).
    for (const k of ['predict', 'evaluate', 'fit', 'computeGradients', 'predictStep']) {
      expect(counts[`${k}:ok`] ?? 0, `${k} succeeded in ${JSON.stringify(counts)}`).toBeGreaterThan(20);
      expect(Object.keys(counts).some((t) => t.startsWith(`${k}:`) && !t.endsWith(':ok')), `${k} refused in ${JSON.stringify(counts)}`).toBe(true);
    }
  });
});
