// Whole-run functions (assembly/train.ts): grad_batch, adam_step, train_batches, eval_batches,
// predict_batch, driven through MODEL and DATA descriptors laid out here by hand (slot numbers from layout.ts).
// Oracles: central finite differences of a float64 JavaScript forward (util.ts references) for
// every gradient; the float64 loss/accuracy; train_batches against a manual grad_batch+adam_step
// loop (bitwise); adam_step against the Keras formula.
import { beforeAll, describe, expect, it } from 'vitest';
import { ready, kernels, f32, i32, f64 } from '../../src/wasm.js';
import { M, LT, LT_SLOTS, MODEL_SLOTS } from '../../src/layout.js';
import {
  Mem, prng, uniform, fround, expectClose, expectEqual, lstmForwardRef, denseForwardRef, softmaxCeRef, adamRef,
} from './util.js';

beforeAll(async () => {
  await ready();
});

interface Cfg {
  D: number; H: number; V: number; act: number; simd: number; lossEps: number;
  lr?: number; beta1?: number; beta2?: number; adamEps?: number;
}
interface Layout { offW: number; offU: number; offB: number; offK: number; offBd: number; n: number; P: number }

// Packed layout (float offsets; not 16-byte aligned on purpose: kernels must not assume it).
function layout(D: number, H: number, V: number): Layout {
  const offW = 0;
  const offU = offW + D * 4 * H;
  const offB = offU + H * 4 * H;
  const offK = offB + 4 * H;
  const offBd = offK + H * V;
  const n = offBd + V;
  return { offW, offU, offB, offK, offBd, n, P: (n + 3) & ~3 };
}

interface Model { ptr: number; params: number; grads: number; m: number; v: number; lay: Layout; cfg: Cfg }

function makeModel(mem: Mem, cfg: Cfg, Tcap: number, theta: number[]): Model {
  const { D, H, V } = cfg;
  const lay = layout(D, H, V);
  const params = mem.put(lay.P);
  f32(params, lay.n).set(theta);
  const grads = mem.put(lay.P);
  const m = mem.put(lay.P);
  const v = mem.put(lay.P);
  const ptr = mem.put(MODEL_SLOTS);
  // one LSTM layer: its table entry (16 slots), the tensor table (5 × offset, floats), states (Bs = 1)
  const lt = mem.put(LT_SLOTS);
  const tt = mem.put(10);
  const state = [mem.put(H), mem.put(H)];
  const layerScratch = [(Tcap + 1) * H, (Tcap + 1) * H, Tcap * 4 * H, H, H].map((n) => mem.put(n)); // hs cs gates dh dc
  const modelScratch = [V, V, V, V].map((n) => mem.put(n)); // logits probs dlogits aux
  // views may have been invalidated by growth: take them now
  const s = i32(ptr, MODEL_SLOTS);
  const sf = f32(ptr, MODEL_SLOTS);
  s[M.Tcap] = Tcap; s[M.V] = V; s[M.simd] = cfg.simd;
  s[M.params] = params; s[M.grads] = grads; s[M.m] = m; s[M.v] = v; s[M.P] = lay.P;
  s[M.offK] = 4 * lay.offK; s[M.offBd] = 4 * lay.offBd;
  [s[M.logits], s[M.probs], s[M.dlogits], s[M.aux]] = modelScratch;
  s[M.step] = 0;
  sf[M.lr] = cfg.lr ?? 1e-3; sf[M.beta1] = cfg.beta1 ?? 0.9; sf[M.beta2] = cfg.beta2 ?? 0.999;
  sf[M.adamEps] = cfg.adamEps ?? 1e-8; sf[M.lossEps] = cfg.lossEps;
  s[M.NL] = 1; s[M.LT] = lt; s[M.seqOut] = 0; s[M.stateful] = 0; s[M.NT] = 5; s[M.TT] = tt; s[M.Bs] = 1; s[M.Htop] = H;
  const e = i32(lt, LT_SLOTS);
  e[LT.D] = D; e[LT.H] = H; e[LT.offW] = 4 * lay.offW; e[LT.offU] = 4 * lay.offU; e[LT.offB] = 4 * lay.offB;
  [e[LT.hs], e[LT.cs], e[LT.gates], e[LT.dh], e[LT.dc]] = layerScratch;
  e[LT.dext] = 0; e[LT.stateH] = state[0]; e[LT.stateC] = state[1]; e[LT.act] = cfg.act;
  i32(tt, 10).set([4 * lay.offW, D * 4 * H, 4 * lay.offU, H * 4 * H, 4 * lay.offB, 4 * H, 4 * lay.offK, H * V, 4 * lay.offBd, V]);
  return { ptr, params, grads, m, v, lay, cfg };
}

interface DataSet { N: number; T: number; x: number[]; y: number[]; starts: number[]; lens: number[] }

function makeData(mem: Mem, d: DataSet, withY = true): number {
  const ptr = mem.bytes(32);
  const x = mem.put(d.x);
  const y = withY ? mem.put(d.y) : 0;
  const starts = mem.bytes(4 * d.N);
  i32(starts, d.N).set(d.starts);
  const lens = mem.bytes(4 * d.N);
  i32(lens, d.N).set(d.lens);
  const s = i32(ptr, 8);
  s[0] = d.N; s[1] = d.T; s[2] = x; s[3] = y; s[4] = starts; s[5] = lens;
  return ptr;
}

function randomData(seed: number, N: number, T: number, D: number, V: number): DataSet {
  const r = prng(seed);
  const x = fround(uniform(r, N * T * D, 0, 1));
  const y: number[] = [];
  const starts: number[] = [];
  const lens: number[] = [];
  for (let n = 0; n < N; n++) {
    const row = new Array(V).fill(0);
    row[Math.floor(r() * V)] = 1;
    y.push(...row);
    const len = n % 5 === 4 ? 0 : 1 + Math.floor(r() * T); // some empty samples
    const start = Math.floor(r() * (T - len + 1));
    starts.push(start);
    lens.push(len);
  }
  return { N, T, x, y, starts, lens };
}

function randomTheta(seed: number, cfg: Cfg): number[] {
  const r = prng(seed);
  const { D, H, V } = cfg;
  const lay = layout(D, H, V);
  const t = new Array(lay.n).fill(0);
  const put = (off: number, n: number, lo: number, hi: number) => {
    const u = uniform(r, n, lo, hi);
    for (let i = 0; i < n; i++) t[off + i] = u[i];
  };
  put(lay.offW, D * 4 * H, -0.6, 0.6);
  put(lay.offU, H * 4 * H, -0.5, 0.5);
  put(lay.offB, 4 * H, -0.5, 0.5);
  put(lay.offK, H * V, -1, 1);
  put(lay.offBd, V, -0.5, 0.5);
  return fround(t);
}

// float64 forward of sample n: loss, probs, and the pre-activations (for the kink guard)
function sampleRef(theta: ArrayLike<number>, cfg: Cfg, d: DataSet, n: number) {
  const { D, H, V, act } = cfg;
  const lay = layout(D, H, V);
  const sl = (off: number, len: number) => Array.from(theta).slice(off, off + len);
  const W = sl(lay.offW, D * 4 * H);
  const U = sl(lay.offU, H * 4 * H);
  const b = sl(lay.offB, 4 * H);
  const K = sl(lay.offK, H * V);
  const bd = sl(lay.offBd, V);
  const L = d.lens[n];
  const x0 = (n * d.T + d.starts[n]) * D;
  const x = d.x.slice(x0, x0 + L * D);
  const zero = new Array(H).fill(0);
  const tr = lstmForwardRef(x, W, U, b, zero, zero, L, D, H, act);
  const logits = denseForwardRef(tr.hs[L], K, bd, H, V);
  const y = d.y.slice(n * V, (n + 1) * V);
  const { probs, loss } = softmaxCeRef(logits, y, cfg.lossEps);
  return { loss, probs, z: tr.z.flat(), y };
}

const meanLoss = (theta: ArrayLike<number>, cfg: Cfg, d: DataSet, idx: number[]) =>
  idx.reduce((s, n) => s + sampleRef(theta, cfg, d, n).loss, 0) / idx.length;

const argmax = (a: ArrayLike<number>) => {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
};

describe('grad_batch: gradients vs central finite differences of the float64 forward', () => {
  const D = 2;
  const H = 5; // one 4-unit group and a one-unit tail in the SIMD kernels
  const V = 6; // one 4-column group and a 2-column tail
  for (const act of [0, 1])
    for (const lossEps of [Math.fround(1e-7), 0])
      for (const simd of [1, 0]) {
        it(`act=${act} lossEps=${lossEps} simd=${simd}`, () => {
          const cfg: Cfg = { D, H, V, act, simd, lossEps };
          const data = randomData(10 + act, 6, 4, D, V);
          const theta = randomTheta(20 + act, cfg);
          if (act === 1) {
            // saturate a few gates on purpose (|z| well past 2.5: zero gradient through the clip)
            const lay = layout(D, H, V);
            theta[lay.offB + 0] = 4; // i of unit 0
            theta[lay.offB + H + 2] = -4; // f of unit 2
            theta[lay.offB + 3 * H + 4] = 4.5; // o of unit 4
          }
          const idx = [0, 1, 2, 3, 4, 5];
          if (act === 1) {
            // keep every pre-activation away from the kinks at ±2.5 (FD step 1e-5 << 0.05)
            for (const n of idx)
              for (const z of sampleRef(theta, cfg, data, n).z) expect(Math.abs(Math.abs(z) - 2.5)).toBeGreaterThan(0.05);
          }
          const mem = new Mem();
          const model = makeModel(mem, cfg, data.T, theta);
          const dp = makeData(mem, data);
          const stats = mem.bytes(24);
          const k = kernels();
          f32(model.grads, model.lay.P).fill(123); // grad_batch zeroes grads itself
          k.grad_batch(model.ptr, dp, 0, idx.length, stats);
          const grads = Array.from(f32(model.grads, model.lay.n));
          const padding = Array.from(f32(model.grads + 4 * model.lay.n, model.lay.P - model.lay.n));
          const st = Array.from(f64(stats, 3));
          mem.done();
          expectClose('grads padding', padding, new Array(padding.length).fill(0), 0);
          // finite differences, one parameter at a time
          const h = 1e-5;
          const fd: number[] = [];
          const th = theta.slice();
          for (let i = 0; i < theta.length; i++) {
            th[i] = theta[i] + h;
            const up = meanLoss(th, cfg, data, idx);
            th[i] = theta[i] - h;
            const dn = meanLoss(th, cfg, data, idx);
            th[i] = theta[i];
            fd.push((up - dn) / (2 * h));
          }
          const lay = model.lay;
          // float64 FD truncation ~h² ~1e-10; the kernel is float32 (with the SIMD approximations
          // <= 4e-7 absolute per activation) and gradients here are O(0.01-0.3)
          const tol = { abs: 5e-7, rel: 1e-5 }; // measured worst 5e-8
          const part = (a: number[], off: number, n: number) => a.slice(off, off + n);
          expectClose('dW', part(grads, lay.offW, D * 4 * H), part(fd, lay.offW, D * 4 * H), tol);
          expectClose('dU', part(grads, lay.offU, H * 4 * H), part(fd, lay.offU, H * 4 * H), tol);
          expectClose('db', part(grads, lay.offB, 4 * H), part(fd, lay.offB, 4 * H), tol);
          expectClose('dK', part(grads, lay.offK, H * V), part(fd, lay.offK, H * V), tol);
          expectClose('dbd', part(grads, lay.offBd, V), part(fd, lay.offBd, V), tol);
          if (act === 1) {
            // the saturated gates really are saturated: their bias gradients are exactly 0
            expect(grads[lay.offB + 0]).toBe(0);
            expect(grads[lay.offB + H + 2]).toBe(0);
            expect(grads[lay.offB + 3 * H + 4]).toBe(0);
          }
          // stats: Σ loss, Σ correct, count (accumulated onto zero)
          let loss = 0;
          let correct = 0;
          for (const n of idx) {
            const s = sampleRef(theta, cfg, data, n);
            loss += s.loss;
            if (argmax(s.y) === argmax(s.probs)) correct++;
          }
          expectClose('stats', st, [loss, correct, idx.length], { abs: 0, rel: 2e-6 });
        });
      }
});

// A model + data in fresh memory with the given initial state; returns handles and a snapshot fn.
function setup(mem: Mem, cfg: Cfg, data: DataSet, theta: number[]) {
  const model = makeModel(mem, cfg, data.T, theta);
  const dp = makeData(mem, data);
  const stats = mem.bytes(24);
  const snap = () => ({
    params: Array.from(f32(model.params, model.lay.P)),
    m: Array.from(f32(model.m, model.lay.P)),
    v: Array.from(f32(model.v, model.lay.P)),
    grads: Array.from(f32(model.grads, model.lay.P)),
    step: i32(model.ptr, MODEL_SLOTS)[M.step],
    stats: Array.from(f64(stats, 3)),
  });
  return { model, dp, stats, snap };
}

describe('train_batches', () => {
  for (const simd of [1, 0])
    it(`batch=3 over 7 samples equals grad_batch + adam_step per slice, bitwise (simd=${simd})`, () => {
      const cfg: Cfg = { D: 3, H: 5, V: 7, act: 0, simd, lossEps: Math.fround(1e-7), lr: 0.01 };
      const data = randomData(31, 9, 5, cfg.D, cfg.V);
      const theta = randomTheta(32, cfg);
      const order = [8, 2, 5, 0, 7, 3, 1];
      const mem = new Mem();
      const a = setup(mem, cfg, data, theta);
      const b = setup(mem, cfg, data, theta);
      const ord = mem.bytes(4 * order.length);
      i32(ord, order.length).set(order);
      const k = kernels();
      k.train_batches(a.model.ptr, a.dp, ord, order.length, 3, a.stats);
      for (let first = 0; first < order.length; first += 3) {
        const nb = Math.min(3, order.length - first);
        k.grad_batch(b.model.ptr, b.dp, ord + 4 * first, nb, b.stats);
        k.adam_step(b.model.ptr);
      }
      const sa = a.snap();
      const sb = b.snap();
      mem.done();
      expectEqual('params', sa.params, sb.params);
      expectEqual('m', sa.m, sb.m);
      expectEqual('v', sa.v, sb.v);
      expectEqual('grads (last batch)', sa.grads, sb.grads);
      expectEqual('stats', sa.stats, sb.stats);
      expect(sa.step).toBe(3);
      expect(sb.step).toBe(3);
      expect(sa.stats[2]).toBe(7);
    });

  it('loss in stats is each sample\'s loss before its batch update (float64 replay)', () => {
    const cfg: Cfg = { D: 1, H: 4, V: 5, act: 1, simd: 1, lossEps: 0, lr: 0.05 };
    const data = randomData(41, 5, 3, cfg.D, cfg.V);
    const theta = randomTheta(42, cfg);
    const mem = new Mem();
    const a = setup(mem, cfg, data, theta);
    const k = kernels();
    // batch 2 over samples 0..4 (identity order): batches {0,1} {2,3} {4}. Replay in float64: each
    // batch's loss from the params as they were before that batch's update.
    let expectLoss = 0;
    k.train_batches(a.model.ptr, a.dp, 0, 0, 2, a.stats); // count 0: nothing happens
    expect(i32(a.model.ptr, MODEL_SLOTS)[M.step]).toBe(0);
    for (const [first, nb] of [[0, 2], [2, 2], [4, 1]]) {
      const p = Array.from(f32(a.model.params, a.model.lay.n));
      for (let n = first; n < first + nb; n++) expectLoss += sampleRef(p, cfg, data, n).loss;
      const ord = mem.bytes(4 * nb);
      i32(ord, nb).set(Array.from({ length: nb }, (_, j) => first + j));
      k.grad_batch(a.model.ptr, a.dp, ord, nb, a.stats);
      k.adam_step(a.model.ptr);
    }
    // and the same through one train_batches call on a fresh copy
    const b = setup(mem, cfg, data, theta);
    k.train_batches(b.model.ptr, b.dp, 0, 5, 2, b.stats);
    expectEqual('params (train_batches vs replay)', b.snap().params, a.snap().params);
    const st = a.snap().stats;
    mem.done();
    expectClose('Σ loss', [st[0]], [expectLoss], { abs: 0, rel: 1e-5 });
    expect(st[2]).toBe(5);
  });
});

describe('adam_step', () => {
  for (const simd of [1, 0])
    it(`step += 1 and lr_t = lr sqrt(1-β2^t)/(1-β1^t), Keras form (simd=${simd})`, () => {
      const cfg: Cfg = { D: 1, H: 3, V: 2, act: 0, simd, lossEps: 0, lr: 0.01, beta1: 0.8, beta2: 0.95, adamEps: 1e-7 };
      const theta = randomTheta(51, cfg);
      const mem = new Mem();
      const model = makeModel(mem, cfg, 1, theta);
      const P = model.lay.P;
      const r = prng(52);
      let ref = { p: Array.from(f32(model.params, P)), m: new Array(P).fill(0), v: new Array(P).fill(0) };
      for (let t = 1; t <= 3; t++) {
        const g = fround(uniform(r, P, -0.5, 0.5));
        f32(model.grads, P).set(g);
        kernels().adam_step(model.ptr);
        expect(i32(model.ptr, MODEL_SLOTS)[M.step]).toBe(t);
        const b1 = Math.fround(0.8);
        const b2 = Math.fround(0.95);
        const lrT = Math.fround((Math.fround(0.01) * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t));
        ref = adamRef(ref.p, g, ref.m, ref.v, lrT, b1, b2, Math.fround(1e-7));
        expectClose(`params (t=${t})`, Array.from(f32(model.params, P)), ref.p, { abs: 1e-7, rel: 1e-6 });
        // m mixes gradients of both signs: its error is ulps of the terms (~0.1), not of m itself
        expectClose(`m (t=${t})`, Array.from(f32(model.m, P)), ref.m, { abs: 3e-8, rel: 1e-6 });
        expectClose(`v (t=${t})`, Array.from(f32(model.v, P)), ref.v, { abs: 1e-10, rel: 1e-6 });
      }
      mem.done();
    });
});

describe('eval_batches and predict_batch', () => {
  for (const simd of [1, 0])
    it(`match the float64 forward; eval leaves params alone (simd=${simd})`, () => {
      const cfg: Cfg = { D: 2, H: 8, V: 26, act: 0, simd, lossEps: Math.fround(1e-7) };
      const data = randomData(61, 7, 5, cfg.D, cfg.V);
      const theta = randomTheta(62, cfg);
      const mem = new Mem();
      const a = setup(mem, cfg, data, theta);
      const order = [6, 0, 3];
      const ord = mem.bytes(12);
      i32(ord, 3).set(order);
      const k = kernels();
      k.eval_batches(a.model.ptr, a.dp, ord, 3, a.stats);
      k.eval_batches(a.model.ptr, a.dp, 0, 7, a.stats); // accumulates onto the first call
      const noY = makeData(mem, data, false); // predict needs no targets
      const out = mem.put(4 * cfg.V);
      k.predict_batch(a.model.ptr, noY, 2, 4, out);
      const probs = Array.from(f32(out, 4 * cfg.V));
      const s = a.snap();
      mem.done();
      expectEqual('params unchanged', s.params.slice(0, theta.length), theta);
      let loss = 0;
      let correct = 0;
      for (const n of [...order, 0, 1, 2, 3, 4, 5, 6]) {
        const r = sampleRef(theta, cfg, data, n);
        loss += r.loss;
        if (argmax(r.y) === argmax(r.probs)) correct++;
      }
      expectClose('stats', s.stats, [loss, correct, 10], { abs: 0, rel: 2e-6 });
      const ref = [2, 3, 4, 5].flatMap((n) => sampleRef(theta, cfg, data, n).probs);
      expectClose('predict probs', probs, ref, { abs: 1e-8, rel: 2e-6 });
    });

  it('accuracy ties go to the first index', () => {
    // zero dense weights: probs exactly uniform, argmax = 0
    const cfg: Cfg = { D: 1, H: 2, V: 3, act: 0, simd: 1, lossEps: 0 };
    const lay = layout(1, 2, 3);
    const theta = new Array(lay.n).fill(0);
    const data: DataSet = { N: 3, T: 1, x: [1, 1, 1], y: [1, 0, 0, 0, 1, 0, 0, 0, 1], starts: [0, 0, 0], lens: [1, 1, 1] };
    const mem = new Mem();
    const a = setup(mem, cfg, data, theta);
    kernels().eval_batches(a.model.ptr, a.dp, 0, 3, a.stats);
    const st = a.snap().stats;
    mem.done();
    expectClose('stats', st, [3 * Math.log(3), 1, 3], { abs: 0, rel: 1e-6 });
  });
});

describe('SIMD vs scalar over a short training run', () => {
  for (const act of [0, 1])
    it(`act=${act}: 3 epochs, batch 2, H=33 V=26: same trajectory within float32 noise`, () => {
      const base = { D: 1, H: 33, V: 26, act, lossEps: Math.fround(1e-7) };
      const data = randomData(71, 12, 5, 1, 26);
      data.lens = data.lens.map(() => 5); // padded, start 0: the listing's shape
      data.starts = data.starts.map(() => 0);
      const theta = randomTheta(72, { ...base, simd: 1 });
      const mem = new Mem();
      const a = setup(mem, { ...base, simd: 1 }, data, theta);
      const b = setup(mem, { ...base, simd: 0 }, data, theta);
      const k = kernels();
      for (let e = 0; e < 3; e++) {
        k.train_batches(a.model.ptr, a.dp, 0, 12, 2, a.stats);
        k.train_batches(b.model.ptr, b.dp, 0, 12, 2, b.stats);
      }
      const sa = a.snap();
      const sb = b.snap();
      mem.done();
      // 18 Adam steps of lr 1e-3 move a parameter by up to ~0.018. Adam divides each gradient by
      // its own RMS, so where a gradient is near 0 (e.g. clipped hard_sigmoid gates), float32-level
      // differences between the twins (approximations <= 4e-7 per activation) are amplified to a
      // fraction of lr per step; measured worst 1.2e-6, so 1e-5 (1% of one step) still catches a
      // real divergence
      expectClose('params', sa.params, sb.params, { abs: 1e-5, rel: 0 });
      expectClose('Σ loss', [sa.stats[0]], [sb.stats[0]], { abs: 0, rel: 1e-5 });
      expect(sa.stats[1]).toBe(sb.stats[1]);
    });
});
