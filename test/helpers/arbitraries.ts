// fast-check arbitraries shared by the property tests of test/robustness/: numbers that stress
// validation (NaN, ±Infinity, -0, float32's extremes, subnormals, huge and negative values), junk
// of every JS type, option objects that mix real keys, typos and junk values, and the check that
// an outcome is either a value or a documented error.
import fc from 'fast-check';
import { expect } from 'vitest';
import { LstmWasmError, type Sequential } from '../../src/index.js';
import { memoryStats, nonFinite, stateHash } from './robust.js';

export { fc };

/** Fixed seed: CI runs the same cases every time; a failure prints its counterexample and path. */
export const FC = { seed: 42 } as const;

const F32_MAX = 3.4028234663852886e38;

/** Finite numbers that a float32 can hold, weighted towards the awkward ones. */
export const f32Number: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(0, -0, 1, -1, 0.5, 2, 25, 1e-45, -1e-45, 1.2e-38, 1e30, -1e30, F32_MAX, -F32_MAX, 2 ** 31, -(2 ** 31)) },
  { weight: 4, arbitrary: fc.double({ min: -1e3, max: 1e3, noNaN: true }) },
  { weight: 2, arbitrary: fc.integer({ min: -30, max: 30 }) },
);

/** f32Number plus the non-finite ones. */
export const anyNumber: fc.Arbitrary<number> = fc.oneof(
  { weight: 8, arbitrary: f32Number },
  { weight: 2, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity) },
);

/** Values of the wrong type. (Objects without a prototype are left out: see the report.) */
export const junk: fc.Arbitrary<unknown> = fc.constantFrom<unknown>(
  null, undefined, '', 'a', '1', 'NaN', true, false, {}, [], [[]], { length: 2 }, { shape: [1], data: [1] }, () => 0, Symbol.for('junk'), 10n,
  new Float32Array(2), new Int32Array([1, 2]),
);

/** Mostly numbers, sometimes junk. */
export const value: fc.Arbitrary<unknown> = fc.oneof({ weight: 12, arbitrary: anyNumber }, { weight: 1, arbitrary: junk });

/** Small non-negative ints, mostly; sometimes negative, fractional, non-finite or junk. */
export const sizeLike = (max: number): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 10, arbitrary: fc.integer({ min: 0, max }) },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(-1, -0, 1.5, NaN, Infinity, '2', null) },
  );

/** A key that is one of `keys`, a typo of one (case, a dropped or doubled letter), or unrelated. */
export const optionKey = (keys: readonly string[]): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...keys) },
    {
      weight: 2,
      arbitrary: fc.tuple(fc.constantFrom(...keys), fc.nat(), fc.constantFrom('lower', 'upper', 'drop', 'double')).map(([k, i, how]) => {
        const at = i % k.length;
        if (how === 'lower') return k.toLowerCase() === k ? k + 's' : k.toLowerCase();
        if (how === 'upper') return k[0].toUpperCase() + k.slice(1);
        if (how === 'drop') return k.length > 1 ? k.slice(0, at) + k.slice(at + 1) : k + '_';
        return k.slice(0, at) + k[at] + k.slice(at);
      }),
    },
    { weight: 1, arbitrary: fc.constantFrom('foo', 'lr', 'batch_size', '__proto__x', 'constructor ') },
  );

/** An options object: real and typo keys, each with a value from `valueFor(key)`. */
export function options(keys: readonly string[], valueFor: (key: string) => fc.Arbitrary<unknown>, maxKeys = 4): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .array(optionKey(keys).chain((k) => valueFor(k).map((v) => [k, v] as const)), { maxLength: maxKeys })
    .map((pairs) => {
      const o: Record<string, unknown> = {};
      for (const [k, v] of pairs) o[k] = v;
      return o;
    });
}

/**
 * The one promise every public entry point makes: it returns, or it throws a documented error
 * (an LstmWasmError subclass with a non-empty message). Never a TypeError, RangeError or wasm trap.
 */
export function expectDocumented(error: unknown, what: string): void {
  const line = error instanceof Error ? `${error.constructor?.name}: ${error.message}` : `non-Error thrown: ${String(error)}`;
  expect(error instanceof LstmWasmError, `${what} threw an undocumented error: ${line}`).toBe(true);
  expect((error as Error).message.length, `${what}: empty message`).toBeGreaterThan(10);
}

/** What a fit that stopped on divergence says (the model then keeps a finite earlier state). */
export const DIVERGED = /^fit\(\): (the loss became (NaN|Infinity|-Infinity)|the weights became non-finite|the weights or the optimizer state became non-finite) in epoch \d+, batch \d+ \(terminateOnNaN\)/;

/**
 * One call of the property tests on model `m`: whatever it returns or throws, the model is not
 * left busy and holds no non-finite weight or optimizer state; a thrown error is an LstmWasmError
 * with a message, and unless it is a fit's divergence the model's state hash (weights, optimizer,
 * LSTM states, generator, ...) and WASM live bytes are what they were. Returns the outcome and the
 * hash from before the call.
 */
export async function checkedCall(m: Sequential, what: string, call: () => unknown): Promise<{ result: unknown; error: unknown; hash: string }> {
  const hash = stateHash(m);
  const live = memoryStats().liveBytes;
  let result: unknown;
  let error: unknown = null;
  try {
    result = await call();
  } catch (e) {
    error = e;
  }
  expect(m.busy, `${what}: left busy`).toBeNull();
  expect(nonFinite(m), `${what}: a non-finite weight`).toBeNull();
  if (error !== null) {
    expectDocumented(error, what);
    if (!DIVERGED.test((error as Error).message)) {
      expect(stateHash(m), `${what}: refused (${(error as Error).message}) but the model changed`).toBe(hash);
      expect(memoryStats().liveBytes, `${what}: refused but WASM bytes changed`).toBe(live);
    }
  }
  return { result, error, hash };
}
