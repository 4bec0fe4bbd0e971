// sgd_update, rmsprop_update, clip_norm, clip_value (assembly/optim.ts). Oracles: the float64
// formulas (Keras forms, stated atop optim.ts) and the `_scalar` twins (the same IEEE operations
// in the same order, so bitwise equal), at sizes with and without a SIMD tail.
import { beforeAll, describe, expect, it } from 'vitest';
import { ready, kernels } from '../../src/wasm.js';
import { Mem, prng, uniform, fround, expectClose, expectEqual } from './util.js';

beforeAll(async () => {
  await ready();
});

const SIZES = [1, 3, 4, 5, 26, 37];

function sgdRef(p: number[], g: number[], m: number[], lr: number, mu: number, nest: boolean) {
  const P = p.slice();
  const Mm = m.slice();
  for (let i = 0; i < p.length; i++) {
    if (mu === 0) {
      P[i] -= lr * g[i];
      continue;
    }
    Mm[i] = mu * Mm[i] - lr * g[i];
    P[i] += nest ? mu * Mm[i] - lr * g[i] : Mm[i];
  }
  return { p: P, m: Mm };
}

function rmsRef(p: number[], g: number[], m: number[], v: number[], lr: number, rho: number, eps: number, mu: number, centered: boolean, inside: boolean) {
  const P = p.slice();
  const Mm = m.slice();
  const Vv = v.slice();
  for (let i = 0; i < p.length; i++) {
    Vv[i] = rho * Vv[i] + (1 - rho) * g[i] * g[i];
    let den = Vv[i];
    if (centered) {
      Mm[i] = rho * Mm[i] + (1 - rho) * g[i];
      den = Vv[i] - Mm[i] * Mm[i];
    }
    if (!inside) {
      P[i] -= (lr * g[i]) / (Math.sqrt(den) + eps);
      continue;
    }
    let inc = (lr * g[i]) / Math.sqrt(den + eps);
    if (mu > 0) {
      Mm[i] = mu * Mm[i] + inc;
      inc = Mm[i];
    }
    P[i] -= inc;
  }
  return { p: P, m: Mm, v: Vv };
}

type State = { p: number[]; m: number[]; v: number[] };

function runSgd(suffix: string, s: State, g: number[], lr: number, mu: number, nest: boolean): State & { g: number[] } {
  const mem = new Mem();
  const n = g.length;
  const [P, G, Mm] = [mem.put(s.p), mem.put(g), mem.put(s.m)];
  kernels()['sgd_update' + suffix](P, G, Mm, n, lr, mu, nest ? 1 : 0);
  const out = { p: mem.take(P, n), m: mem.take(Mm, n), v: s.v, g: mem.take(G, n) };
  mem.done();
  return out;
}

function runRms(suffix: string, s: State, g: number[], lr: number, rho: number, eps: number, mu: number, centered: boolean, inside: boolean): State & { g: number[] } {
  const mem = new Mem();
  const n = g.length;
  const [P, G, Mm, Vv] = [mem.put(s.p), mem.put(g), mem.put(s.m), mem.put(s.v)];
  kernels()['rmsprop_update' + suffix](P, G, Mm, Vv, n, lr, rho, eps, mu, centered ? 1 : 0, inside ? 1 : 0);
  const out = { p: mem.take(P, n), m: mem.take(Mm, n), v: mem.take(Vv, n), g: mem.take(G, n) };
  mem.done();
  return out;
}

function start(seed: number, n: number): State {
  const r = prng(seed);
  return { p: fround(uniform(r, n)), m: new Array(n).fill(0), v: new Array(n).fill(0) };
}

describe('sgd_update', () => {
  for (const [mu, nest] of [[0, false], [0.9, false], [0.9, true]] as const) {
    for (const n of SIZES) {
      it(`three steps vs the float64 formula; SIMD equals scalar bitwise (n=${n}, momentum ${mu}, nesterov ${nest})`, () => {
        const r = prng(7 + n);
        let a = start(n, n);
        let b = { ...a };
        let ref = { ...a };
        for (let step = 1; step <= 3; step++) {
          const g = fround(uniform(r, n, -0.5, 0.5));
          a = runSgd('', a, g, 0.05, mu, nest);
          const bb = runSgd('_scalar', b, g, 0.05, mu, nest);
          expectClose('grads untouched', bb.g, g, 0);
          b = bb;
          ref = { ...ref, ...sgdRef(ref.p, g, ref.m, Math.fround(0.05), Math.fround(mu), nest) };
          expectEqual(`params simd vs scalar (step ${step})`, a.p, b.p);
          expectEqual(`m simd vs scalar (step ${step})`, a.m, b.m);
          expectClose(`params vs float64 (step ${step})`, a.p, ref.p, { abs: 2e-7, rel: 1e-6 });
          expectClose(`m vs float64 (step ${step})`, a.m, ref.m, { abs: 1e-8, rel: 1e-6 });
        }
        if (mu === 0) expect(a.m.every((x) => x === 0)).toBe(true);
      });
    }
  }

  it('hand-worked: θ=1, g=0.5, lr=0.1, μ=0.9: plain 0.95; momentum m=-0.05, θ=0.95 then m=-0.095, θ=0.855; nesterov θ=0.905', () => {
    const s: State = { p: [1], m: [0], v: [0] };
    expectClose('plain', runSgd('', s, [0.5], 0.1, 0, false).p, [0.95], 1e-7);
    const one = runSgd('', s, [0.5], 0.1, 0.9, false);
    expectClose('m, momentum', one.m, [-0.05], 1e-8);
    expectClose('θ, momentum', one.p, [0.95], 1e-7);
    const two = runSgd('', one, [0.5], 0.1, 0.9, false);
    expectClose('m, second step', two.m, [-0.095], 1e-8);
    expectClose('θ, second step', two.p, [0.855], 1e-7);
    // nesterov, first step: m = -0.05; θ += 0.9·(-0.05) - 0.05 = -0.095
    expectClose('θ, nesterov', runSgd('', s, [0.5], 0.1, 0.9, true).p, [0.905], 1e-7);
  });
});

describe('rmsprop_update', () => {
  const forms = [
    { name: 'Keras 2.0 (ε outside the root)', mu: 0, centered: false, inside: false },
    { name: 'Keras 3', mu: 0, centered: false, inside: true },
    { name: 'Keras 3 momentum', mu: 0.8, centered: false, inside: true },
    { name: 'Keras 3 centered', mu: 0, centered: true, inside: true },
  ];
  for (const f of forms) {
    for (const n of SIZES) {
      it(`${f.name}: three steps vs float64; SIMD equals scalar bitwise (n=${n})`, () => {
        const r = prng(11 + n);
        let a = start(n + 1, n);
        let b = { ...a };
        let ref = { ...a };
        for (let step = 1; step <= 3; step++) {
          const g = fround(uniform(r, n, -0.5, 0.5));
          a = runRms('', a, g, 0.01, 0.9, 1e-7, f.mu, f.centered, f.inside);
          b = runRms('_scalar', b, g, 0.01, 0.9, 1e-7, f.mu, f.centered, f.inside);
          ref = rmsRef(ref.p, g, ref.m, ref.v, Math.fround(0.01), Math.fround(0.9), Math.fround(1e-7), Math.fround(f.mu), f.centered, f.inside);
          for (const k of ['p', 'm', 'v'] as const) expectEqual(`${k} simd vs scalar (step ${step})`, a[k], b[k]);
          expectClose(`v vs float64 (step ${step})`, a.v, ref.v, { abs: 1e-10, rel: 1e-6 });
          // m sums terms of either sign (cancellation): a few ulps of its inputs (~0.03 here) absolute
          expectClose(`m vs float64 (step ${step})`, a.m, ref.m, { abs: 1e-8, rel: 1e-5 });
          expectClose(`params vs float64 (step ${step})`, a.p, ref.p, { abs: 2e-7, rel: 1e-6 });
        }
      });
    }
  }

  it('hand-worked first step: θ -= lr·g/(√((1-ρ)g²) + ε) = lr·√10 for g > 0 (ε = 0)', () => {
    const s: State = { p: [1], m: [0], v: [0] };
    const c = 1 - Math.fround(0.9);
    for (const inside of [false, true]) {
      const o = runRms('', s, [0.5], 0.01, 0.9, 0, 0, false, inside);
      expectClose('v', o.v, [0.25 * c], { abs: 0, rel: 1e-7 });
      expectClose('θ', o.p, [1 - 0.01 / Math.sqrt(c)], 1e-7);
    }
    // ε's place matters: with v tiny, ε outside the root dominates sooner than inside it
    const out = runRms('', s, [1e-4], 0.01, 0.9, 1e-4, 0, false, false).p[0];
    const inn = runRms('', s, [1e-4], 0.01, 0.9, 1e-4, 0, false, true).p[0];
    expect(Math.abs(out - inn)).toBeGreaterThan(1e-4);
  });
});

function runClip(fn: string, g: number[], c: number): number[] {
  const mem = new Mem();
  const G = mem.put(g);
  kernels()[fn](G, g.length, c);
  const out = mem.take(G, g.length);
  mem.done();
  return out;
}

describe('clip_norm and clip_value', () => {
  for (const n of SIZES) {
    it(`clip_norm: g·c/max(‖g‖, c) vs float64, SIMD equals scalar (n=${n})`, () => {
      const g = fround(uniform(prng(n), n, -2, 2));
      const norm = Math.sqrt(g.reduce((s, x) => s + x * x, 0));
      for (const c of [norm / 3, norm * 2]) {
        const cf = Math.fround(c);
        const a = runClip('clip_norm', g, cf);
        expectEqual('simd vs scalar', a, runClip('clip_norm_scalar', g, cf));
        const ref = g.map((x) => (x * cf) / Math.max(norm, cf));
        expectClose(`clip ${c > norm ? 'above' : 'below'} the norm`, a, ref, { abs: 1e-7, rel: 1e-6 });
        if (cf > norm) expectEqual('untouched when ‖g‖ <= c', a, g);
        else expectClose('norm after', [Math.sqrt(a.reduce((s, x) => s + x * x, 0))], [cf], { abs: 0, rel: 1e-6 });
      }
    });
    it(`clip_value: clamp to [-c, c], SIMD equals scalar (n=${n})`, () => {
      const g = fround(uniform(prng(100 + n), n, -2, 2));
      const a = runClip('clip_value', g, 0.5);
      expectEqual('simd vs scalar', a, runClip('clip_value_scalar', g, 0.5));
      expectEqual('clamped', a, g.map((x) => Math.min(0.5, Math.max(-0.5, x))));
    });
  }
  it('clip_norm of a zero tensor leaves it zero (no 0/0)', () => {
    expectEqual('zeros', runClip('clip_norm', [0, 0, 0, 0, 0], 1), [0, 0, 0, 0, 0]);
  });
});
