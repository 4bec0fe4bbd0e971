// adam_update (assembly/adam.ts), Keras form: m = β1 m + (1-β1) g; v = β2 v + (1-β2) g²;
// θ -= lr_t m / (sqrt(v) + ε). Oracles: a hand-worked step, the float64 formula, and the
// `_scalar` twin (the same IEEE operations in the same order: bitwise equal).
import { beforeAll, describe, it } from 'vitest';
import { ready, kernels } from '../../src/wasm.js';
import { Mem, prng, uniform, fround, expectClose, expectEqual, adamRef } from './util.js';

beforeAll(async () => {
  await ready();
});

function run(suffix: string, p: number[], g: number[], m: number[], v: number[], lrT: number, b1: number, b2: number, eps: number) {
  const mem = new Mem();
  const n = p.length;
  const P = mem.put(p);
  const G = mem.put(g);
  const M = mem.put(m);
  const Vv = mem.put(v);
  kernels()['adam_update' + suffix](P, G, M, Vv, n, lrT, b1, b2, eps);
  const out = { p: mem.take(P, n), m: mem.take(M, n), v: mem.take(Vv, n), g: mem.take(G, n) };
  mem.done();
  return out;
}

describe('adam_update', () => {
  for (const suffix of ['_scalar', '']) {
    it(`hand-worked first step${suffix}`, () => {
      // θ=1, g=0.5, m=v=0, lr_t=0.01, β=(0.9, 0.999) as float32, ε=0. In float32, 1-β1 = 0.100000024
      // and 1-β2 = 0.000999987 (both subtractions exact), so
      // m = 0.5*(1-β1); v = 0.25*(1-β2); θ = 1 - 0.01*m/sqrt(v) = 1 - 0.01*sqrt(1-β1)²/sqrt(1-β2)
      const c1 = 1 - Math.fround(0.9);
      const c2 = 1 - Math.fround(0.999);
      expectClose('1-β (hand values)', [c1, c2], [0.10000002384, 0.00099998713], { abs: 0, rel: 1e-8 });
      const o = run(suffix, [1, 1, 1, 1, 1], [0.5, 0.5, 0.5, 0.5, 0.5], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], 0.01, 0.9, 0.999, 0);
      expectClose('m', o.m, new Array(5).fill(0.5 * c1), { abs: 0, rel: 1e-7 });
      expectClose('v', o.v, new Array(5).fill(0.25 * c2), { abs: 0, rel: 1e-7 });
      expectClose('params', o.p, new Array(5).fill(1 - (0.01 * 0.5 * c1) / Math.sqrt(0.25 * c2)), { abs: 1e-7 });
    });
    it(`float64 formula, three steps, n=37${suffix}`, () => {
      const r = prng(42);
      const n = 37;
      let p = fround(uniform(r, n));
      let m = fround(uniform(r, n, -0.01, 0.01));
      let v = fround(uniform(r, n, 0, 1e-4));
      let ref = { p: p.slice(), m: m.slice(), v: v.slice() };
      for (let step = 1; step <= 3; step++) {
        const g = fround(uniform(r, n, -0.1, 0.1));
        const lrT = Math.fround((1e-3 * Math.sqrt(1 - 0.999 ** step)) / (1 - 0.9 ** step));
        const o = run(suffix, p, g, m, v, lrT, 0.9, 0.999, 1e-7);
        expectClose('grads untouched', o.g, g, 0);
        ref = adamRef(ref.p, g, ref.m, ref.v, lrT, Math.fround(0.9), Math.fround(0.999), Math.fround(1e-7));
        // f32 arithmetic: a few ulps per op; the update itself is <= lr_t-sized
        expectClose(`m (step ${step})`, o.m, ref.m, { abs: 1e-9, rel: 1e-6 });
        expectClose(`v (step ${step})`, o.v, ref.v, { abs: 1e-12, rel: 1e-6 });
        expectClose(`params (step ${step})`, o.p, ref.p, { abs: 1e-7, rel: 1e-6 });
        p = o.p;
        m = o.m;
        v = o.v;
      }
    });
  }
  for (const n of [0, 1, 3, 4, 5, 8, 33, 5216])
    it(`SIMD equals _scalar bitwise, n=${n}`, () => {
      const r = prng(n + 1);
      const p = fround(uniform(r, n));
      const g = fround(uniform(r, n, -1, 1));
      const m = fround(uniform(r, n, -0.1, 0.1));
      const v = fround(uniform(r, n, 0, 0.1));
      const a = run('', p, g, m, v, 1e-3, 0.9, 0.999, 1e-8);
      const b = run('_scalar', p, g, m, v, 1e-3, 0.9, 0.999, 1e-8);
      expectEqual('params', a.p, b.p);
      expectEqual('m', a.m, b.m);
      expectEqual('v', a.v, b.v);
    });
});
