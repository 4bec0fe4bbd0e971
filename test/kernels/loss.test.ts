// softmax_ce_forward / softmax_ce_backward (assembly/loss.ts), both loss forms: eps > 0 (clipped
// probabilities, Keras 2 / tfjs) and eps = 0 (from logits, Keras 3). Oracles: hand-worked cases,
// the float64 reference in util.ts vs the `_scalar` twins, SIMD vs `_scalar`.
import { beforeAll, describe, expect, it } from 'vitest';
import { ready, kernels } from '../../src/wasm.js';
import { Mem, prng, uniform, fround, expectClose, softmaxCeRef, softmaxCeBackwardRef } from './util.js';

beforeAll(async () => {
  await ready();
});

const EPS = Math.fround(1e-7);
const VS = [1, 3, 26];

function fwd(suffix: string, logits: number[], y: number[], eps: number) {
  const m = new Mem();
  const V = logits.length;
  const probs = m.put(V);
  const loss = kernels()['softmax_ce_forward' + suffix](probs, m.put(logits), m.put(y), V, eps);
  const out = { probs: m.take(probs, V), loss };
  m.done();
  return out;
}

function bwd(suffix: string, probs: number[], y: number[], eps: number, scale: number): number[] {
  const m = new Mem();
  const V = probs.length;
  const dl = m.put(uniform(prng(1), V, 3, 4)); // garbage: dlogits is written
  kernels()['softmax_ce_backward' + suffix](dl, m.put(probs), m.put(y), V, eps, scale);
  const out = m.take(dl, V);
  m.done();
  return out;
}

function target(r: () => number, V: number, soft: boolean): number[] {
  if (!soft) {
    const y = new Array(V).fill(0);
    y[Math.floor(r() * V)] = 1;
    return y;
  }
  const w = uniform(r, V, 0, 1);
  const s = w.reduce((a, b) => a + b, 0);
  return fround(w.map((v) => v / s));
}

describe('hand-worked', () => {
  for (const suffix of ['_scalar', '']) {
    it(`equal logits${suffix}: p = 1/2, loss = ln 2, dlogits = scale (p - y)`, () => {
      for (const eps of [EPS, 0]) {
        const f = fwd(suffix, [0, 0], [1, 0], eps);
        expectClose('probs', f.probs, [0.5, 0.5], 0);
        expectClose('loss', [f.loss], [Math.LN2], 1e-7);
        expectClose('dlogits', bwd(suffix, f.probs, [1, 0], eps, 0.25), [-0.125, 0.125], 0);
      }
    });
    it(`clipped target${suffix}: p_0 = e^-30 < eps`, () => {
      // eps > 0: loss = -log(eps), and the clip kills the gradient (s = 0, m_0 = 0): dlogits = 0
      let f = fwd(suffix, [0, 30], [1, 0], EPS);
      expect(f.loss).toBeCloseTo(-Math.log(EPS), 5);
      expectClose('dlogits (eps>0)', bwd(suffix, f.probs, [1, 0], EPS, 1), [0, 0], 0);
      // eps = 0: loss = logsumexp - l_0 = 30 + log(1 + e^-30); dlogits = p - y
      f = fwd(suffix, [0, 30], [1, 0], 0);
      expectClose('loss (eps=0)', [f.loss], [30 + Math.log1p(Math.exp(-30))], 4e-6);
      expectClose('dlogits (eps=0)', bwd(suffix, f.probs, [1, 0], 0, 1), [Math.fround(f.probs[0] - 1), f.probs[1]], 0);
    });
    it(`the clip passes its gradient at the bounds${suffix} (as TF / tfjs clip gradients)`, () => {
      const lo = EPS;
      const hi = Math.fround(1 - EPS);
      // p_0 exactly eps, y_0 = 1: m_0 = 1, s = 1, dlogits = p - y
      expectClose('at eps', bwd(suffix, [lo, Math.fround(1 - lo)], [1, 0], EPS, 1), [lo - 1, Math.fround(1 - lo)], 1e-7);
      // p_0 exactly 1-eps: m_0 = 1
      expectClose('at 1-eps', bwd(suffix, [hi, Math.fround(1 - hi)], [1, 0], EPS, 1), [hi - 1, Math.fround(1 - hi)], 1e-7);
      // p_0 = 1 > 1-eps: m_0 = 0, zero gradient
      expectClose('above 1-eps', bwd(suffix, [1, 0], [1, 0], EPS, 1), [0, 0], 0);
      // V = 6: bounds in the vector lanes (0..3) and in the scalar tail (4, 5); probs as given
      const p = [lo, 0.3, hi, Math.fround(lo / 2), lo, hi];
      const y = fround([0.2, 0.1, 0.2, 0.1, 0.2, 0.2]);
      expectClose('bounds, V=6', bwd(suffix, p, y, EPS, 0.5), softmaxCeBackwardRef(p, y, EPS, 0.5), 1e-7);
    });
    it(`soft target with one clipped class${suffix}`, () => {
      const y = fround([0.5, 0.3, 0.2]);
      const f = fwd(suffix, [0, 0, -30], y, EPS);
      // p_2 ~ 4.7e-14 < eps: its term is -0.2 log(eps), and it drops out of s = 0.5 + 0.3
      const p = f.probs;
      expectClose('loss', [f.loss], [-(0.5 * Math.log(p[0]) + 0.3 * Math.log(p[1]) + y[2] * Math.log(EPS))], 2e-6);
      expectClose('dlogits', bwd(suffix, p, y, EPS, 1), [p[0] * 0.8 - y[0], p[1] * 0.8 - y[1], p[2] * 0.8], 1e-7);
    });
  }
});

describe('_scalar twins vs float64 reference', () => {
  for (const V of VS)
    for (const eps of [EPS, 0])
      for (const soft of [false, true]) {
        it(`V=${V} eps=${eps} ${soft ? 'soft' : 'one-hot'} target`, () => {
          const r = prng(V * 10 + (eps ? 1 : 0) + (soft ? 2 : 0));
          const logits = fround(uniform(r, V, -5, 5));
          const y = target(r, V, soft);
          const f = fwd('_scalar', logits, y, eps);
          const ref = softmaxCeRef(logits, y, eps);
          // Mathf.exp ~1 ulp, one division: probs within ~2 ulps
          expectClose('probs', f.probs, ref.probs, { abs: 1e-8, rel: 3e-7 });
          expectClose('loss', [f.loss], [ref.loss], { abs: 1e-6, rel: 1e-6 });
          const scale = 1 / 3;
          expectClose('dlogits', bwd('_scalar', f.probs, y, eps, scale), softmaxCeBackwardRef(f.probs, y, eps, scale), {
            abs: 1e-7,
            rel: 1e-6,
          });
        });
      }
});

describe('SIMD vs _scalar twins', () => {
  for (const V of [...VS, 4, 5, 8, 33])
    for (const eps of [EPS, 0])
      for (const soft of [false, true]) {
        it(`V=${V} eps=${eps} ${soft ? 'soft' : 'one-hot'} target`, () => {
          const r = prng(900 + V * 10 + (eps ? 1 : 0) + (soft ? 2 : 0));
          const logits = fround(uniform(r, V, -8, 8));
          const y = target(r, V, soft);
          const v = fwd('', logits, y, eps);
          const s = fwd('_scalar', logits, y, eps);
          // exp4 relative error <= 2e-7 per term, normalised by a sum with the same error: probs
          // within ~4e-7 relative; the loss is log of those (+ rounding), so ~1e-6 relative
          expectClose('probs', v.probs, s.probs, { abs: 1e-9, rel: 5e-7 });
          expectClose('loss', [v.loss], [s.loss], { abs: 1e-6, rel: 1e-6 });
          // backward on identical probs: same formula, s summed in another order
          const scale = 0.125;
          expectClose('dlogits', bwd('', s.probs, y, eps, scale), bwd('_scalar', s.probs, y, eps, scale), {
            abs: 3e-8,
            rel: 0,
          });
        });
      }
});
