// The fast f32x4 approximations in assembly/simd.ts against float64 Math, over dense grids, with
// the bounds stated in that file's header. Grid sizes are not multiples of 4, so the one-lane tail
// (same approximation) is exercised too.
import { beforeAll, describe, expect, it } from 'vitest';
import { ready, kernels, f32 } from '../../src/wasm.js';
import { Mem } from './util.js';

beforeAll(async () => {
  await ready();
});

// Max error of kernel `name` over an evenly spaced grid of n float32 points in [lo, hi].
function gridError(name: string, lo: number, hi: number, n: number, ref: (x: number) => number, relative: boolean) {
  const k = kernels();
  const mem = new Mem();
  const xs = new Float32Array(n);
  for (let i = 0; i < n; i++) xs[i] = lo + ((hi - lo) * i) / (n - 1);
  const inp = mem.put(xs);
  const out = mem.put(n);
  k[name](out, inp, n);
  const ys = f32(out, n).slice();
  mem.done();
  let worst = 0;
  let at = 0;
  for (let i = 0; i < n; i++) {
    const r = ref(xs[i]);
    const e = relative ? Math.abs(ys[i] / r - 1) : Math.abs(ys[i] - r);
    if (!(e <= worst)) {
      worst = e;
      at = xs[i];
    }
  }
  return { worst, at };
}

describe('vec_exp', () => {
  it('relative error <= 2e-7 on [-87, 88] (stated bound; Taylor-7 + Cody-Waite, f32 rounding)', () => {
    const { worst, at } = gridError('vec_exp', -87, 88, 2_000_003, Math.exp, true);
    expect(worst, `max rel error ${worst} at x=${at}`).toBeLessThanOrEqual(2e-7);
  });
  it('is exact at 0 and finite, positive, monotone-ish at the clamps', () => {
    const k = kernels();
    const mem = new Mem();
    const xs = [0, 1, -1, 88.3, 89, 1000, -87.3, -88, -1000, 0.5, 2];
    const inp = mem.put(xs);
    const out = mem.put(xs.length);
    k.vec_exp(out, inp, xs.length);
    const ys = mem.take(out, xs.length);
    mem.done();
    expect(ys[0]).toBe(1);
    for (const y of ys) expect(Number.isFinite(y) && y > 0).toBe(true);
    expect(ys[5]).toBeGreaterThan(1e38); // clamped at 88.37, not inf
    expect(ys[8]).toBeGreaterThanOrEqual(1.1754943508222875e-38); // clamped: smallest normal, no denormal
  });
});

describe('vec_tanh', () => {
  it('absolute error <= 4e-7 on [-20, 20] (stated bound; 13/6 rational, clamp at ±9)', () => {
    const { worst, at } = gridError('vec_tanh', -20, 20, 2_000_003, Math.tanh, false);
    expect(worst, `max abs error ${worst} at x=${at}`).toBeLessThanOrEqual(4e-7);
  });
  it('relative error <= 4e-7 on [-1, 1] (small arguments keep their digits)', () => {
    const { worst, at } = gridError('vec_tanh', -1, 1, 400_001, Math.tanh, true);
    expect(worst, `max rel error ${worst} at x=${at}`).toBeLessThanOrEqual(4e-7);
  });
});

describe('vec_sigmoid', () => {
  it('absolute error <= 2e-7 on [-20, 20] (stated bound; 1/(1+exp4(-x)))', () => {
    const { worst, at } = gridError('vec_sigmoid', -20, 20, 2_000_003, (x) => 1 / (1 + Math.exp(-x)), false);
    expect(worst, `max abs error ${worst} at x=${at}`).toBeLessThanOrEqual(2e-7);
  });
  it('saturates to [0, 1] far out', () => {
    const k = kernels();
    const mem = new Mem();
    const xs = [-1000, -100, 100, 1000, 0];
    const inp = mem.put(xs);
    const out = mem.put(xs.length);
    k.vec_sigmoid(out, inp, xs.length);
    const ys = mem.take(out, xs.length);
    mem.done();
    expect(ys[0]).toBeGreaterThanOrEqual(0);
    expect(ys[0]).toBeLessThan(1e-37);
    expect(ys[2]).toBe(1);
    expect(ys[3]).toBe(1);
    expect(ys[4]).toBe(0.5);
  });
});
