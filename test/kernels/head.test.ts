// head_forward/backward and loss_forward/backward (assembly/head.ts): SIMD kernels and `_scalar`
// twins against float64 formulas, at V = 1, 3, 5, 26 (every SIMD tail length) and 8.
//   act 1 linear, 2 sigmoid, 3 tanh, 4 relu (0 softmax: backward only, its Jacobian)
//   loss 2 binary CE (clip ε), 3 MSE, 4 MAE; means over the V units; backward scaled by scale/V.
import { beforeAll, describe, expect, it } from 'vitest';
import { ready, kernels } from '../../src/wasm.js';
import { Mem, prng, uniform, fround, expectClose } from './util.js';

beforeAll(async () => {
  await ready();
});

const SIZES = [1, 3, 5, 8, 26];
const SUFFIXES = ['', '_scalar'];
const ACT: Record<number, (z: number) => number> = {
  1: (z) => z,
  2: (z) => 1 / (1 + Math.exp(-z)),
  3: Math.tanh,
  4: (z) => Math.max(0, z),
};
const EPS = Math.fround(1e-7);
const ONE_M_EPS = Math.fround(1 - EPS); // 1-ε as the kernels hold it (float32): 1 - 1.19e-7

function call(name: string, n: number, ins: number[][], outs: number, ...rest: number[]): number[] {
  const mem = new Mem();
  const out = mem.put(n);
  const ptrs = ins.map((a) => mem.put(a));
  const r = kernels()[name](...(outs ? [out] : []), ...ptrs, n, ...rest);
  const res = outs ? mem.take(out, n) : [r];
  mem.done();
  return res;
}

describe('head_forward', () => {
  for (const act of [1, 2, 3, 4]) {
    for (const V of SIZES) {
      it(`act ${act}, V=${V}: both twins vs float64`, () => {
        const z = fround(uniform(prng(act * 100 + V), V, -4, 4));
        const ref = z.map(ACT[act]);
        for (const s of SUFFIXES) {
          // SIMD: simd.ts's sigmoid4 (abs <= 2e-7) and tanh4 (abs <= 4e-7); scalar: Mathf
          expectClose(`head_forward${s}`, call('head_forward' + s, V, [z], 1, act), ref, { abs: 5e-7, rel: 1e-6 });
        }
      });
    }
  }
});

describe('head_backward', () => {
  for (const act of [0, 1, 2, 3, 4]) {
    for (const V of SIZES) {
      it(`act ${act}, V=${V}: dz = dp·act'(z) from p, both twins vs float64`, () => {
        const r = prng(act * 7 + V);
        const z = uniform(r, V, -3, 3);
        const dp = fround(uniform(r, V, -1, 1));
        let p: number[];
        if (act === 0) {
          const e = z.map(Math.exp);
          const s = e.reduce((a, b) => a + b, 0);
          p = fround(e.map((q) => q / s));
        } else p = fround(z.map(ACT[act]));
        const dot = dp.reduce((a, g, i) => a + g * p[i], 0);
        const ref = p.map((q, i) =>
          act === 0 ? q * (dp[i] - dot) : act === 1 ? dp[i] : act === 2 ? dp[i] * q * (1 - q) : act === 3 ? dp[i] * (1 - q * q) : q > 0 ? dp[i] : 0);
        for (const s of SUFFIXES) expectClose(`head_backward${s}`, call('head_backward' + s, V, [dp, p], 1, act), ref, { abs: 1e-7, rel: 1e-6 });
      });
    }
  }
});

describe('loss_forward and loss_backward', () => {
  const term = (k: number, p: number, y: number) => {
    if (k === 2) {
      const q = Math.min(ONE_M_EPS, Math.max(EPS, p));
      return -(y * Math.log(q) + (1 - y) * Math.log(1 - q));
    }
    return k === 3 ? (p - y) ** 2 : Math.abs(p - y);
  };
  const dterm = (k: number, p: number, y: number) =>
    k === 2 ? (p >= EPS && p <= ONE_M_EPS ? (p - y) / (p * (1 - p)) : 0) : k === 3 ? 2 * (p - y) : Math.sign(p - y);
  for (const k of [2, 3, 4]) {
    for (const V of SIZES) {
      it(`kind ${k}, V=${V}: mean over units and its gradient (scale/V), both twins vs float64`, () => {
        const r = prng(k * 31 + V);
        let p = fround(uniform(r, V, k === 2 ? 0.01 : -1, k === 2 ? 0.99 : 1));
        const y = k === 2 ? uniform(r, V, 0, 1).map((u) => (u < 0.5 ? 0 : 1)) : fround(uniform(r, V, -1, 1));
        if (k === 2 && V >= 3) p = [0, 1, ...p.slice(2)]; // clipped: finite loss, zero gradient
        if (k === 4) p[0] = y[0]; // MAE at its kink: sign(0) = 0, as tf.sign
        const ref = p.reduce((s, q, i) => s + term(k, q, y[i]), 0) / V;
        const scale = 0.25;
        const dref = p.map((q, i) => (scale / V) * dterm(k, q, y[i]));
        for (const s of SUFFIXES) {
          const [loss] = call('loss_forward' + s, V, [p, y], 0, k, EPS);
          expectClose(`loss_forward${s}`, [loss], [ref], { abs: 1e-6, rel: 1e-6 });
          const d = call('loss_backward' + s, V, [p, y], 1, k, EPS, scale);
          expectClose(`loss_backward${s}`, d, dref, { abs: 1e-7, rel: 2e-6 });
          if (k === 2 && V >= 3) expect(d.slice(0, 2)).toEqual([0, 0]);
          if (k === 4) expect(d[0]).toBe(0);
        }
      });
    }
  }
});
