// dense_forward / dense_backward (assembly/dense.ts). Oracles: a hand-worked 2x2 case, the
// float64 reference vs the `_scalar` twins, and SIMD vs `_scalar` over H x V where the 16-column
// block, the 4-column groups and the scalar tail each run 0, 1 or several times.
import { beforeAll, describe, it } from 'vitest';
import { ready, kernels } from '../../src/wasm.js';
import { Mem, prng, uniform, fround, expectClose, denseForwardRef } from './util.js';

beforeAll(async () => {
  await ready();
});

const HS = [1, 3, 4, 5, 8, 33];
const VS = [1, 3, 26, 40];

function forward(suffix: string, h: number[], K: number[], bd: number[], H: number, V: number): number[] {
  const m = new Mem();
  const logits = m.put(V);
  kernels()['dense_forward' + suffix](logits, m.put(h), m.put(K), m.put(bd), H, V);
  const out = m.take(logits, V);
  m.done();
  return out;
}

function backward(
  suffix: string, dl: number[], h: number[], K: number[], preK: number[], preBd: number[], H: number, V: number,
) {
  const m = new Mem();
  const dh = m.put(uniform(prng(5), H, 7, 8)); // garbage: dh is written, not accumulated
  const dK = m.put(preK);
  const dbd = m.put(preBd);
  kernels()['dense_backward' + suffix](dh, dK, dbd, m.put(dl), m.put(h), m.put(K), H, V);
  const out = { dh: m.take(dh, H), dK: m.take(dK, H * V), dbd: m.take(dbd, V) };
  m.done();
  return out;
}

function backwardRef(dl: number[], h: number[], K: number[], preK: number[], preBd: number[], H: number, V: number) {
  const dK = preK.slice();
  const dbd = preBd.map((v, j) => v + dl[j]);
  const dh: number[] = [];
  for (let k = 0; k < H; k++) {
    let s = 0;
    for (let v = 0; v < V; v++) {
      dK[k * V + v] += h[k] * dl[v];
      s += K[k * V + v] * dl[v];
    }
    dh.push(s);
  }
  return { dh, dK, dbd };
}

describe('hand-worked H=2 V=2', () => {
  // h=[1,2], K=[[1,2],[3,4]], bd=[0.5,-0.5]: logits = [1+6+0.5, 2+8-0.5] = [7.5, 9.5]
  // dl=[1,-1]: dK = h ⊗ dl = [[1,-1],[2,-2]], dbd = [1,-1], dh = K dl = [1-2, 3-4] = [-1,-1]
  for (const suffix of ['_scalar', '']) {
    it(`dense${suffix}`, () => {
      expectClose('logits', forward(suffix, [1, 2], [1, 2, 3, 4], [0.5, -0.5], 2, 2), [7.5, 9.5], 0);
      const b = backward(suffix, [1, -1], [1, 2], [1, 2, 3, 4], [0, 0, 0, 0], [0, 0], 2, 2);
      expectClose('dK', b.dK, [1, -1, 2, -2], 0);
      expectClose('dbd', b.dbd, [1, -1], 0);
      expectClose('dh', b.dh, [-1, -1], 0);
    });
  }
});

describe('_scalar twins vs float64 reference', () => {
  for (const H of HS)
    for (const V of VS) {
      it(`H=${H} V=${V}`, () => {
        const r = prng(100 * H + V);
        const h = fround(uniform(r, H));
        const K = fround(uniform(r, H * V));
        const bd = fround(uniform(r, V));
        // sums of H O(1) products: rounding ~ H * 6e-8 at worst
        const tol = { abs: 3e-6, rel: 1e-6 };
        expectClose('logits', forward('_scalar', h, K, bd, H, V), denseForwardRef(h, K, bd, H, V), tol);
        const dl = fround(uniform(r, V));
        const preK = fround(uniform(r, H * V));
        const preBd = fround(uniform(r, V));
        const b = backward('_scalar', dl, h, K, preK, preBd, H, V);
        const ref = backwardRef(dl, h, K, preK, preBd, H, V);
        expectClose('dK (accumulated)', b.dK, ref.dK, tol);
        expectClose('dbd (accumulated)', b.dbd, ref.dbd, tol);
        expectClose('dh', b.dh, ref.dh, tol);
      });
    }
});

describe('SIMD vs _scalar twins', () => {
  for (const H of HS)
    for (const V of VS) {
      it(`H=${H} V=${V}`, () => {
        const r = prng(7000 + 100 * H + V);
        const h = fround(uniform(r, H));
        const K = fround(uniform(r, H * V));
        const bd = fround(uniform(r, V));
        // same products, different summation order only in dh (4 lanes + pairwise): a few ulps of
        // the running sum; logits, dK, dbd are summed in the same order: exact
        expectClose('logits', forward('', h, K, bd, H, V), forward('_scalar', h, K, bd, H, V), 0);
        const dl = fround(uniform(r, V));
        const preK = fround(uniform(r, H * V));
        const preBd = fround(uniform(r, V));
        const bv = backward('', dl, h, K, preK, preBd, H, V);
        const bs = backward('_scalar', dl, h, K, preK, preBd, H, V);
        expectClose('dK', bv.dK, bs.dK, 0);
        expectClose('dbd', bv.dbd, bs.dbd, 0);
        expectClose('dh', bv.dh, bs.dh, { abs: 2e-6, rel: 1e-6 });
      });
    }
});
