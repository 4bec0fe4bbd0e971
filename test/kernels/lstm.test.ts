// lstm_cell_forward / lstm_cell_backward (assembly/layers/lstm.ts), the per-step cell over `rows`
// rows that the batched LSTM layer runs after its GEMMs. Contracts (the kernels' header comments):
//   forward:  gates (rows, 4H) holds z = [z_i|z_f|z_g|z_o] on entry and [i|f|g|o] on exit; reads
//             c_prev (rows, H), writes c, h (rows, H):  c = f*c_prev + i*g,  h = o*tanh(c)
//   backward: dh = dLoss/dh_t, dc = dLoss/dc_t from the step after, gates the activations; on exit
//             gates holds dz_t and dc holds dLoss/dc_{t-1}; dh, c_prev and c are read only.
// Oracles, most independent first: hand-worked one-unit steps; central finite differences of the
// float64 cell (util.ts lstmCellRef) for the float64 backward (lstmCellBackwardRef) and the
// `_scalar` twins; the float64 references vs the `_scalar` twins; the SIMD kernels vs their
// `_scalar` twins over H where the 4-unit loop runs 0, 1 and many times and the H%4 tail has 0-3
// units. Structural properties: a row's result does not depend on the other rows, a unit's result
// does not depend on its position in the row (vector lanes or tail), nothing past `rows` is written.
// (The sequence-level checks of the old per-sample kernels, BPTT over steps, dx and the weight
// gradients, are the batched layer's now: test/kernels/train.test.ts drives it through the
// interpreter against finite differences.)
import { beforeAll, describe, expect, it } from 'vitest';
import { ready, kernels } from '../../src/wasm.js';
import {
  Mem, prng, uniform, fround, expectClose, expectEqual, lstmCellRef, lstmCellBackwardRef, dgate,
} from './util.js';

beforeAll(async () => {
  await ready();
});

const ACTS = [0, 1]; // sigmoid, hard_sigmoid
const HS = [1, 3, 4, 5, 8, 33];
const ROWS = [1, 2, 5];
const SENTINEL = 7.25; // written into the row past `rows` and into outputs before a call

interface Fwd { gates: number[]; c: number[]; h: number[] }
interface Bwd { dz: number[]; dc: number[] }

/** Runs lstm_cell_forward{suffix} over `rows` rows (plus one sentinel row, checked untouched). */
function runForward(suffix: string, z: number[], cPrev: number[], rows: number, H: number, act: number): Fwd {
  const m = new Mem();
  const pad = (a: number[], n: number) => [...a, ...new Array(n).fill(SENTINEL)];
  const gates = m.put(pad(z, 4 * H));
  const cp = m.put(pad(cPrev, H));
  const c = m.put(new Array((rows + 1) * H).fill(SENTINEL)); // garbage in: the kernel must write every element
  const h = m.put(new Array((rows + 1) * H).fill(SENTINEL));
  kernels()['lstm_cell_forward' + suffix](gates, cp, c, h, rows, H, act);
  const g = m.take(gates, (rows + 1) * 4 * H);
  const cv = m.take(c, (rows + 1) * H);
  const hv = m.take(h, (rows + 1) * H);
  const cpv = m.take(cp, (rows + 1) * H);
  m.done();
  const tail = (a: number[], from: number) => a.slice(from);
  expectEqual(`forward${suffix}: gates past the last row`, tail(g, rows * 4 * H), new Array(4 * H).fill(SENTINEL));
  expectEqual(`forward${suffix}: c past the last row`, tail(cv, rows * H), new Array(H).fill(SENTINEL));
  expectEqual(`forward${suffix}: h past the last row`, tail(hv, rows * H), new Array(H).fill(SENTINEL));
  expectEqual(`forward${suffix}: c_prev is read only`, cpv, pad(cPrev, H));
  return { gates: g.slice(0, rows * 4 * H), c: cv.slice(0, rows * H), h: hv.slice(0, rows * H) };
}

/** Runs lstm_cell_backward{suffix}; returns gates on exit (dz) and dc on exit (dc_{t-1}). */
function runBackward(
  suffix: string, gates: number[], dh: number[], dc: number[], cPrev: number[], c: number[], rows: number, H: number, act: number,
): Bwd {
  const m = new Mem();
  const pad = (a: number[], n: number) => [...a, ...new Array(n).fill(SENTINEL)];
  const gp = m.put(pad(gates, 4 * H));
  const dhp = m.put(pad(dh, H));
  const dcp = m.put(pad(dc, H));
  const cpp = m.put(pad(cPrev, H));
  const cp = m.put(pad(c, H));
  kernels()['lstm_cell_backward' + suffix](gp, dhp, dcp, cpp, cp, rows, H, act);
  const dz = m.take(gp, (rows + 1) * 4 * H);
  const dcOut = m.take(dcp, (rows + 1) * H);
  const reads = { dh: m.take(dhp, (rows + 1) * H), cPrev: m.take(cpp, (rows + 1) * H), c: m.take(cp, (rows + 1) * H) };
  m.done();
  expectEqual(`backward${suffix}: gates past the last row`, dz.slice(rows * 4 * H), new Array(4 * H).fill(SENTINEL));
  expectEqual(`backward${suffix}: dc past the last row`, dcOut.slice(rows * H), new Array(H).fill(SENTINEL));
  expectEqual(`backward${suffix}: dh is read only`, reads.dh, pad(dh, H));
  expectEqual(`backward${suffix}: c_prev is read only`, reads.cPrev, pad(cPrev, H));
  expectEqual(`backward${suffix}: c is read only`, reads.c, pad(c, H));
  return { dz: dz.slice(0, rows * 4 * H), dc: dcOut.slice(0, rows * H) };
}

/** The float64 cell over rows. */
function forwardRef(z: number[], cPrev: number[], rows: number, H: number, act: number): Fwd {
  const out: Fwd = { gates: [], c: [], h: [] };
  for (let q = 0; q < rows; q++) {
    const r = lstmCellRef(z.slice(q * 4 * H, (q + 1) * 4 * H), cPrev.slice(q * H, (q + 1) * H), H, act);
    out.gates.push(...r.gates);
    out.c.push(...r.c);
    out.h.push(...r.h);
  }
  return out;
}

function backwardRef(gates: number[], dh: number[], dc: number[], cPrev: number[], c: number[], rows: number, H: number, act: number): Bwd {
  const out: Bwd = { dz: [], dc: [] };
  for (let q = 0; q < rows; q++) {
    const row = (a: number[]) => a.slice(q * H, (q + 1) * H);
    const r = lstmCellBackwardRef(gates.slice(q * 4 * H, (q + 1) * 4 * H), row(dh), row(dc), row(cPrev), row(c), H, act);
    out.dz.push(...r.dz);
    out.dc.push(...r.dcPrev);
  }
  return out;
}

interface Case { z: number[]; cPrev: number[]; dh: number[]; dc: number[]; rows: number; H: number; act: number }

/**
 * Random inputs: z in [-3.2, 3.2] (so hard_sigmoid gates land on both clips and in between, and
 * sigmoid gates saturate partly), c_prev in [-1.5, 1.5], dh and dc in [-1, 1]; float32 values.
 */
function randomCase(seed: number, rows: number, H: number, act: number): Case {
  const r = prng(seed);
  return {
    z: fround(uniform(r, rows * 4 * H, -3.2, 3.2)),
    cPrev: fround(uniform(r, rows * H, -1.5, 1.5)),
    dh: fround(uniform(r, rows * H)),
    dc: fround(uniform(r, rows * H)),
    rows, H, act,
  };
}

describe('hand-worked steps, H=1', () => {
  // hard_sigmoid, z = [0.5, 2, 0.25, 0], c_prev = 0.5 -> i=0.6, f=0.9, g=tanh(0.25), o=0.5
  // c = 0.9*0.5 + 0.6*tanh(0.25);  h = 0.5*tanh(c)
  const z = [0.5, 2, 0.25, 0];
  const g = Math.tanh(0.25);
  const c1 = 0.9 * 0.5 + 0.6 * g;
  const h1 = 0.5 * Math.tanh(c1);
  const tc = Math.tanh(c1);
  const gates = fround([0.6, 0.9, g, 0.5]);
  for (const suffix of ['_scalar', '']) {
    it(`forward${suffix} (hard_sigmoid)`, () => {
      const out = runForward(suffix, z, [0.5], 1, 1, 1);
      expectClose('gates', out.gates, [0.6, 0.9, g, 0.5], 4e-7);
      expectClose('c', out.c, [c1], 4e-7);
      expectClose('h', out.h, [h1], 4e-7);
    });
    it(`backward${suffix} (hard_sigmoid), dLoss/dh = 1, dLoss/dc from the next step = 0`, () => {
      const dcu = 1 * 0.5 * (1 - tc * tc); // dh * o * (1 - tanh²c)
      // dz_i = dc*g*0.2, dz_f = dc*c_prev*0.2, dz_g = dc*i*(1-g²), dz_o = dh*tanh(c)*0.2
      const out = runBackward(suffix, gates, [1], [0], [0.5], fround([c1]), 1, 1, 1);
      expectClose('dz', out.dz, [dcu * g * 0.2, dcu * 0.5 * 0.2, dcu * 0.6 * (1 - g * g), tc * 0.2], 1e-6);
      expectClose('dc_{t-1}', out.dc, [dcu * 0.9], 1e-6);
    });
    it(`backward${suffix} (hard_sigmoid), dLoss/dh = 0, dLoss/dc from the next step = 0.5: only the carried cell gradient`, () => {
      // dcu = 0.5: dz_i = 0.5*g*0.2, dz_f = 0.5*0.5*0.2, dz_g = 0.5*0.6*(1-g²), dz_o = 0 (no dh), dc_{t-1} = 0.5*0.9
      const out = runBackward(suffix, gates, [0], [0.5], [0.5], fround([c1]), 1, 1, 1);
      expectClose('dz', out.dz, [0.5 * g * 0.2, 0.5 * 0.5 * 0.2, 0.5 * 0.6 * (1 - g * g), 0], 1e-6);
      expectClose('dc_{t-1}', out.dc, [0.45], 1e-6);
    });
    it(`forward${suffix} (sigmoid), z = 0, c_prev = 1: i = f = o = 1/2, g = 0`, () => {
      const out = runForward(suffix, [0, 0, 0, 0], [1], 1, 1, 0);
      expectClose('gates', out.gates, [0.5, 0.5, 0, 0.5], 2e-7);
      expectClose('c', out.c, [0.5], 2e-7);
      expectClose('h', out.h, [0.5 * Math.tanh(0.5)], 4e-7);
    });
    it(`${suffix || 'SIMD'} (hard_sigmoid), saturated gates: i = 0, f = 1 exactly, c passes through, their dz are exactly 0`, () => {
      // z_i = -3 -> clip(-0.1) = 0, z_f = 3 -> clip(1.1) = 1, z_g = 1, z_o = 3 -> 1: c = c_prev, h = tanh(c_prev)
      const out = runForward(suffix, [-3, 3, 1, 3], [0.75], 1, 1, 1);
      expectEqual('i, f, o', [out.gates[0], out.gates[1], out.gates[3]], [0, 1, 1]);
      expectEqual('c = c_prev', out.c, [0.75]);
      expectClose('h', out.h, [Math.tanh(0.75)], 4e-7);
      const b = runBackward(suffix, out.gates, [1], [0.5], [0.75], out.c, 1, 1, 1);
      expectEqual('dz_i, dz_f, dz_o (the clip passes no gradient)', [b.dz[0], b.dz[1], b.dz[3]], [0, 0, 0]);
      const dcu = 0.5 + 1 * 1 * (1 - Math.tanh(0.75) ** 2);
      expectClose('dz_g = dc*i*(1-g²) = 0 (i = 0)', [b.dz[2]], [0], 0);
      expectClose('dc_{t-1} = dc*f', b.dc, [dcu], 1e-6);
    });
  }
  it('hard_sigmoid derivative is 0 at the clip (saturated gate)', () => {
    expect(dgate(1, 1)).toBe(0);
    expect(dgate(0, 1)).toBe(0);
    expect(dgate(0.5, 1)).toBe(0.2);
  });
});

describe('backward vs central finite differences of the float64 cell', () => {
  // J(z, c_prev) = Σ dh·h + Σ dc·c over a row; the backward must give dJ/dz (gates on exit) and
  // dJ/dc_prev (dc on exit). First the float64 reference (tight: it checks the oracle itself),
  // then the `_scalar` twin (float32).
  const objective = (z: number[], cPrev: number[], dh: number[], dc: number[], H: number, act: number) => {
    const r = lstmCellRef(z, cPrev, H, act);
    let j = 0;
    for (let u = 0; u < H; u++) j += dh[u] * r.h[u] + dc[u] * r.c[u];
    return j;
  };
  const fd = (f: (v: number[]) => number, v: number[]) => {
    const eps = 1e-6;
    return v.map((_, i) => (f(v.map((w, k) => (k === i ? w + eps : w))) - f(v.map((w, k) => (k === i ? w - eps : w)))) / (2 * eps));
  };
  for (const act of ACTS)
    for (const H of [1, 3, 5, 8]) {
      it(`act=${act} H=${H}`, () => {
        const a = randomCase(500 + 10 * H + act, 1, H, act);
        // hard_sigmoid: keep every z clear of the kinks at ±2.5 (FD step 1e-6), so the differences
        // see the same branch as the derivative
        if (act === 1) a.z = fround(a.z.map((v) => (Math.abs(Math.abs(v) - 2.5) < 0.01 ? v * 1.02 : v)));
        for (const v of a.z) if (act === 1) expect(Math.abs(Math.abs(v) - 2.5)).toBeGreaterThan(1e-3);
        const dzFd = fd((z) => objective(z, a.cPrev, a.dh, a.dc, H, act), a.z);
        const dcFd = fd((cp) => objective(a.z, cp, a.dh, a.dc, H, act), a.cPrev);
        const f = lstmCellRef(a.z, a.cPrev, H, act);
        const ref = lstmCellBackwardRef(f.gates, a.dh, a.dc, a.cPrev, f.c, H, act);
        expectClose('float64 dz vs FD', ref.dz, dzFd, { abs: 1e-8, rel: 1e-7 });
        expectClose('float64 dc_{t-1} vs FD', ref.dcPrev, dcFd, { abs: 1e-8, rel: 1e-7 });
        const s = runForward('_scalar', a.z, a.cPrev, 1, H, act);
        const b = runBackward('_scalar', s.gates, a.dh, a.dc, a.cPrev, s.c, 1, H, act);
        // float32 kernel (its own forward state) against float64 differences
        expectClose('_scalar dz vs FD', b.dz, dzFd, { abs: 2e-6, rel: 1e-5 });
        expectClose('_scalar dc_{t-1} vs FD', b.dc, dcFd, { abs: 2e-6, rel: 1e-5 });
      });
    }
});

describe('_scalar twins vs the float64 reference', () => {
  for (const act of ACTS)
    for (const H of HS)
      for (const rows of ROWS) {
        it(`act=${act} H=${H} rows=${rows}`, () => {
          const a = randomCase(1000 + H * 100 + rows * 10 + act, rows, H, act);
          const out = runForward('_scalar', a.z, a.cPrev, rows, H, act);
          const ref = forwardRef(a.z, a.cPrev, rows, H, act);
          // Mathf tanh/exp ~1 ulp, two roundings in c, one in h; measured worst 1.8e-7 (forward),
          // 9e-8 (backward) over these cases
          const tol = { abs: 1e-6, rel: 1e-6 };
          expectClose('gates', out.gates, ref.gates, tol);
          expectClose('c', out.c, ref.c, tol);
          expectClose('h', out.h, ref.h, tol);
          // backward on the same (float32) saved state for both, so only the backward differs
          const st = { gates: out.gates, c: out.c };
          const b = runBackward('_scalar', st.gates, a.dh, a.dc, a.cPrev, st.c, rows, H, act);
          const rb = backwardRef(st.gates, a.dh, a.dc, a.cPrev, st.c, rows, H, act);
          expectClose('gates on exit = dz', b.dz, rb.dz, tol);
          expectClose('dc on exit = dc_{t-1}', b.dc, rb.dc, tol);
        });
      }
});

describe('SIMD vs _scalar twins', () => {
  for (const act of ACTS)
    for (const H of HS)
      for (const rows of ROWS) {
        it(`act=${act} H=${H} rows=${rows}`, () => {
          const a = randomCase(3000 + H * 100 + rows * 10 + act, rows, H, act);
          const s = runForward('_scalar', a.z, a.cPrev, rows, H, act);
          const v = runForward('', a.z, a.cPrev, rows, H, act);
          // tanh4 <= 4e-7 and sigmoid4 <= 2e-7 absolute per activation (simd.ts), the products and
          // the sum in c exact to an ulp: within 1e-6 (the old per-sample kernels' bound); measured worst 2.4e-7
          const ftol = { abs: 1e-6, rel: 1e-6 };
          expectClose('gates', v.gates, s.gates, ftol);
          expectClose('c', v.c, s.c, ftol);
          expectClose('h', v.h, s.h, ftol);
          // backward on the same saved state (the scalar forward's), so only the backward differs:
          // tanh4(c) (<= 4e-7) enters every dz and dc; measured worst 1.2e-7
          const bs = runBackward('_scalar', s.gates, a.dh, a.dc, a.cPrev, s.c, rows, H, act);
          const bv = runBackward('', s.gates, a.dh, a.dc, a.cPrev, s.c, rows, H, act);
          const btol = { abs: 1e-6, rel: 1e-6 };
          expectClose('gates on exit = dz', bv.dz, bs.dz, btol);
          expectClose('dc on exit = dc_{t-1}', bv.dc, bs.dc, btol);
        });
      }
});

describe('rows are independent: a row\'s result does not depend on the other rows (bitwise)', () => {
  for (const suffix of ['', '_scalar'])
    for (const act of ACTS)
      for (const H of [3, 8, 33]) {
        it(`${suffix || 'SIMD'} act=${act} H=${H}: 5 rows at once vs each row alone`, () => {
          const rows = 5;
          const a = randomCase(6000 + H * 10 + act, rows, H, act);
          const all = runForward(suffix, a.z, a.cPrev, rows, H, act);
          const ball = runBackward(suffix, all.gates, a.dh, a.dc, a.cPrev, all.c, rows, H, act);
          for (let q = 0; q < rows; q++) {
            const r = (v: number[], n: number) => v.slice(q * n, (q + 1) * n);
            const one = runForward(suffix, r(a.z, 4 * H), r(a.cPrev, H), 1, H, act);
            expectEqual(`row ${q}: gates`, r(all.gates, 4 * H), one.gates);
            expectEqual(`row ${q}: c`, r(all.c, H), one.c);
            expectEqual(`row ${q}: h`, r(all.h, H), one.h);
            const b = runBackward(suffix, one.gates, r(a.dh, H), r(a.dc, H), r(a.cPrev, H), one.c, 1, H, act);
            expectEqual(`row ${q}: dz`, r(ball.dz, 4 * H), b.dz);
            expectEqual(`row ${q}: dc_{t-1}`, r(ball.dc, H), b.dc);
          }
        });
      }
});

describe('a unit\'s result does not depend on its position in the row (vector lane or H%4 tail), bitwise', () => {
  // H = 7: units 0-3 run in one 4-lane vector, 4-6 in the tail; rotating the units by k moves each
  // between lanes and the tail. The SIMD tail uses the one-lane form of the same approximations.
  const H = 7;
  const rotate = (v: number[], k: number, blocks: number) => {
    const out: number[] = [];
    for (let b = 0; b < blocks; b++) for (let u = 0; u < H; u++) out.push(v[b * H + ((u + k) % H)]);
    return out;
  };
  for (const suffix of ['', '_scalar'])
    for (const act of ACTS) {
      it(`${suffix || 'SIMD'} act=${act}`, () => {
        const a = randomCase(7000 + act, 1, H, act);
        const base = runForward(suffix, a.z, a.cPrev, 1, H, act);
        const bb = runBackward(suffix, base.gates, a.dh, a.dc, a.cPrev, base.c, 1, H, act);
        for (let k = 1; k < H; k++) {
          const f = runForward(suffix, rotate(a.z, k, 4), rotate(a.cPrev, k, 1), 1, H, act);
          expectEqual(`rotation ${k}: gates`, f.gates, rotate(base.gates, k, 4));
          expectEqual(`rotation ${k}: c`, f.c, rotate(base.c, k, 1));
          expectEqual(`rotation ${k}: h`, f.h, rotate(base.h, k, 1));
          const b = runBackward(suffix, f.gates, rotate(a.dh, k, 1), rotate(a.dc, k, 1), rotate(a.cPrev, k, 1), f.c, 1, H, act);
          expectEqual(`rotation ${k}: dz`, b.dz, rotate(bb.dz, k, 4));
          expectEqual(`rotation ${k}: dc_{t-1}`, b.dc, rotate(bb.dc, k, 1));
        }
      });
    }
});

describe('edge cases', () => {
  it('rows = 0 writes nothing (forward and backward, both twins)', () => {
    // runForward/runBackward check that the row past `rows` (here: the only one) keeps its sentinels
    for (const suffix of ['', '_scalar']) {
      const out = runForward(suffix, [], [], 0, 5, 0);
      expect(out.gates).toEqual([]);
      const b = runBackward(suffix, [], [], [], [], [], 0, 5, 1);
      expect(b.dz).toEqual([]);
    }
  });
});
