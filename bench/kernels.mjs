// Part 1: every SIMD kernel against its `_scalar` twin, called raw (numbers and byte offsets) at the
// listing's shape and at a wider one. tinybench times a loop of `reps` calls per sample (a single
// call is too short for the timer); the medians are divided by `reps`.
import { Bench } from 'tinybench';
import { alloc, f32, kernels, ready } from '../dist/wasm.js';
import { collect, fmtRatio, fmtTime, markdownTable, median, note, sig } from './common.mjs';

/**
 * The two shapes, both per sample (the kernels are per sample: a batch of B is B calls, so a
 * B=32 row would be 32x these times and the same ratios): the listing, and a 4x wider model.
 */
export const SHAPES = [
  { key: 'listing', B: 1, T: 5, D: 1, H: 32, V: 26 },
  { key: 'large', B: 1, T: 5, D: 1, H: 128, V: 26 },
];

const ACT_HARD_SIGMOID = 1; // the listing's Keras 2 recurrent activation
const LOSS_EPS = 1e-7; // Keras 2's clip epsilon
const pad4 = (n) => (n + 3) & ~3;

/** Parameter floats of a model (each tensor padded to 4 floats, as the library's arena). */
export function paramCount({ D, H, V }) {
  return pad4(D * 4 * H) + pad4(H * 4 * H) + pad4(4 * H) + pad4(H * V) + pad4(V);
}

// A small deterministic generator (mulberry32) for the buffers' contents: benchmarks need
// realistic magnitudes, not a particular stream.
function filler(seed) {
  let a = seed >>> 0;
  return (scale) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  };
}

/**
 * Allocates and fills every buffer one shape needs. Returns pointers (byte offsets) and the
 * initial upstream gradient dh0, which lstm_backward consumes (it leaves dh = dLoss/dh_0).
 */
function buffers(shape, k) {
  const { B, T, D, H, V } = shape;
  const G = 4 * H;
  const n = paramCount(shape);
  const sizes = {
    x: B * T * D, W: D * G, U: H * G, b: G, K: H * V, bd: V,
    hs: (T + 1) * H, cs: (T + 1) * H, gates: T * G,
    dW: D * G, dU: H * G, db: G, dK: H * V, dbd: V, dh: H, dc: H, dgates: G, dext: T * H, dx: T * D,
    logits: V, probs: V, dlogits: V, y: B * V,
    params: n, grads: n, m: n, v: n,
  };
  const p = {};
  for (const [name, size] of Object.entries(sizes)) p[name] = alloc(size * 4);
  // Views only after the last alloc (an alloc may grow memory and detach older views).
  const rnd = filler(0x5eed + H);
  const fill = (name, scale) => {
    const view = f32(p[name], sizes[name]);
    for (let i = 0; i < view.length; i++) view[i] = rnd(scale);
  };
  fill('x', 1);
  fill('dext', 0.1);
  fill('W', Math.sqrt(6 / (D + G)));
  fill('U', 1 / Math.sqrt(H));
  fill('K', Math.sqrt(6 / (H + V)));
  fill('bd', 0.1);
  fill('dlogits', 0.1);
  fill('params', 0.1);
  fill('grads', 0.01);
  f32(p.b, G).fill(0.1).fill(1, H, 2 * H); // forget-gate bias 1
  const y = f32(p.y, B * V);
  for (let s = 0; s < B; s++) y[s * V + ((s * 7) % V)] = 1;
  // Saved activations for the backward kernels: one forward pass of sample 0.
  k.lstm_forward(p.hs, p.cs, p.gates, p.x, p.W, p.U, p.b, T, D, H, ACT_HARD_SIGMOID);
  k.dense_forward(p.logits, p.hs + T * H * 4, p.K, p.bd, H, V);
  k.softmax_ce_forward(p.probs, p.logits, p.y, V, LOSS_EPS);
  const dh0 = new Float32Array(H).map(() => rnd(0.1));
  const gates0 = f32(p.gates, T * G).slice();
  return { p, dh0, gates0, n };
}

// lstm_backward consumes its inputs: dh becomes dLoss/dh_0 and each gates row becomes dz_t. Calling
// it again on its own output would run on ever smaller numbers (denormals, then zeros), so each
// call first restores both from pristine copies. The restore is timed on its own as the kernel's
// baseline and subtracted from the SIMD and scalar medians.
function restorer({ T, H }, { p, dh0, gates0 }, k) {
  let dh = f32(p.dh, H);
  let gates = f32(p.gates, T * 4 * H);
  return () => {
    if (dh.buffer !== k.memory.buffer) { // re-view after memory growth
      dh = f32(p.dh, H);
      gates = f32(p.gates, T * 4 * H);
    }
    dh.set(dh0);
    gates.set(gates0);
  };
}

/**
 * A SPECS entry for a backward kernel: `call(f, p, x, shape)` runs it on sample x's pointer; each
 * call first restores the inputs it consumes, and that restore alone is the baseline.
 */
function backwardSpec(name, note, flops, call) {
  return {
    name,
    what: ({ B, T, D, H }) => `${B > 1 ? `${B} samples x ` : ''}T=${T} D=${D} H=${H}${note}`,
    flops,
    baseline: (shape, bufs, k) => {
      const restore = restorer(shape, bufs, k);
      return () => {
        for (let s = 0; s < shape.B; s++) restore();
      };
    },
    op: (f, shape, bufs, k) => {
      const restore = restorer(shape, bufs, k);
      return () => {
        for (let s = 0; s < shape.B; s++) {
          restore();
          call(f, bufs.p, bufs.p.x + s * shape.T * shape.D * 4, shape);
        }
      };
    },
  };
}

/**
 * One entry per kernel pair: the shape text, the FLOPs of one op (null where GFLOP/s means
 * nothing: exp-bound softmax, sqrt/div-bound Adam), and a factory of the timed op.
 * An "op" is the work of one row: B per-sample calls (Adam: one call per batch).
 */
const SPECS = [
  {
    name: 'lstm_forward',
    what: ({ B, T, D, H }) => `${B > 1 ? `${B} samples x ` : ''}T=${T} D=${D} H=${H}`,
    flops: ({ B, T, D, H }) => B * T * 2 * (D + H) * 4 * H, // x W + h U per step
    op: (f, { B, T, D, H }, { p }) => () => {
      for (let s = 0; s < B; s++) f(p.hs, p.cs, p.gates, p.x + s * T * D * 4, p.W, p.U, p.b, T, D, H, ACT_HARD_SIGMOID);
    },
  },
  backwardSpec('lstm_backward', '',
    ({ B, T, D, H }) => B * T * 8 * H * (D + 2 * H), // dW, dU outer products + U dgates per step
    (f, p, x, { T, D, H }) => f(p.dW, p.dU, p.db, p.dh, p.dc, p.dgates, p.hs, p.cs, p.gates, x, p.U, T, D, H, ACT_HARD_SIGMOID)),
  // the backward of an LSTM under another one (or with a per-step head): every step's output gets
  // a gradient (dext), and the gradient w.r.t. its inputs (dx = W dz) is written
  backwardSpec('lstm_backward_seq', ', dext and dx',
    ({ B, T, D, H }) => B * T * 8 * H * (2 * D + 2 * H), // lstm_backward's + W dz per step
    (f, p, x, { T, D, H }) => f(p.dW, p.dU, p.db, p.dh, p.dc, p.dext, p.dx, p.hs, p.cs, p.gates, x, p.W, p.U, T, D, H, ACT_HARD_SIGMOID)),
  {
    name: 'dense_forward',
    what: ({ B, H, V }) => `${B > 1 ? `${B} samples x ` : ''}H=${H} V=${V}`,
    flops: ({ B, H, V }) => B * 2 * H * V,
    op: (f, { B, T, H, V }, { p }) => () => {
      for (let s = 0; s < B; s++) f(p.logits, p.hs + T * H * 4, p.K, p.bd, H, V);
    },
  },
  {
    name: 'dense_backward',
    what: ({ B, H, V }) => `${B > 1 ? `${B} samples x ` : ''}H=${H} V=${V}`,
    flops: ({ B, H, V }) => B * 4 * H * V, // dK += h ⊗ dlogits; dh = K dlogits
    op: (f, { B, T, H, V }, { p }) => () => {
      for (let s = 0; s < B; s++) f(p.dh, p.dK, p.dbd, p.dlogits, p.hs + T * H * 4, p.K, H, V);
    },
  },
  {
    name: 'softmax_ce_forward',
    what: ({ B, V }) => `${B > 1 ? `${B} samples x ` : ''}V=${V}`,
    flops: null,
    op: (f, { B, V }, { p }) => () => {
      for (let s = 0; s < B; s++) f(p.probs, p.logits, p.y + s * V * 4, V, LOSS_EPS);
    },
  },
  {
    name: 'softmax_ce_backward',
    what: ({ B, V }) => `${B > 1 ? `${B} samples x ` : ''}V=${V}`,
    flops: null,
    op: (f, { B, V }, { p }) => () => {
      for (let s = 0; s < B; s++) f(p.dlogits, p.probs, p.y + s * V * 4, V, LOSS_EPS, 1 / B);
    },
  },
  {
    name: 'adam_update',
    what: (shape) => `1 step, n=${paramCount(shape).toLocaleString('en-US')} (H=${shape.H} model)`,
    flops: null,
    op: (f, _shape, { p, n }) => () => f(p.params, p.grads, p.m, p.v, n, 0.001, 0.9, 0.999, 1e-7),
  },
];

/** Kernel exports that have a `_scalar` twin, and those that have none (reported, not timed). */
function kernelPairs(k) {
  const names = Object.keys(k).filter((n) => typeof k[n] === 'function');
  const pairs = names.filter((n) => !n.endsWith('_scalar') && names.includes(`${n}_scalar`));
  return { pairs, unpaired: names.filter((n) => !n.endsWith('_scalar') && !pairs.includes(n)) };
}

/**
 * Runs the kernel part. `rounds` whole passes over all tasks (SIMD and scalar of one kernel side by
 * side in each), each task's median per op taken within a round, then the median over rounds.
 */
export async function benchKernels({ quick }) {
  await ready();
  const k = kernels();
  const { pairs, unpaired } = kernelPairs(k);
  const specs = SPECS.filter((s) => pairs.includes(s.name));
  const missing = pairs.filter((n) => !SPECS.some((s) => s.name === n));
  const rounds = quick ? 1 : 3;
  const timeMs = quick ? 80 : 400;
  const warmupMs = quick ? 40 : 150;
  const sampleMs = 0.1; // each timed sample loops the op for about this long

  const tasks = []; // { spec, shape, variant, fn, reps, perOp: [] }
  for (const shape of SHAPES) {
    const bufs = buffers(shape, k);
    for (const spec of specs) {
      if (tasks.some((t) => t.spec === spec && spec.what(t.shape) === spec.what(shape))) continue;
      for (const variant of spec.baseline ? ['simd', 'scalar', 'baseline'] : ['simd', 'scalar']) {
        const raw = k[variant === 'simd' ? spec.name : `${spec.name}_scalar`];
        const op = variant === 'baseline' ? spec.baseline(shape, bufs, k) : spec.op(raw, shape, bufs, k);
        // Calibrate reps so that one timed sample lasts about sampleMs.
        for (let i = 0; i < 50; i++) op();
        let reps = 1;
        for (;;) {
          const t0 = performance.now();
          for (let r = 0; r < reps; r++) op();
          const dt = performance.now() - t0;
          if (dt > 0.02 || reps >= 1 << 16) {
            reps = Math.max(1, Math.min(1 << 16, Math.round((reps * sampleMs) / Math.max(dt, 1e-6))));
            break;
          }
          reps *= 4;
        }
        const fn = () => {
          for (let r = 0; r < reps; r++) op();
        };
        tasks.push({ spec, shape, variant, fn, reps, perOp: [] });
      }
    }
  }

  for (let round = 0; round < rounds; round++) {
    note(`kernels: round ${round + 1}/${rounds} (${tasks.length} tasks, ${timeMs} ms each)`);
    collect();
    const bench = new Bench({ time: timeMs, warmupTime: warmupMs, warmupIterations: 3, iterations: quick ? 10 : 20, throws: true, timestampProvider: 'hrtimeNow' });
    tasks.forEach((t, i) => bench.add(`${i}`, t.fn));
    await bench.run();
    bench.tasks.forEach((bt, i) => {
      const res = bt.result;
      if (!res || !res.latency) throw new Error(`kernel task ${tasks[i].spec.name} has no result (${res?.state})`);
      tasks[i].perOp.push(res.latency.p50 / tasks[i].reps);
    });
  }

  const rows = [];
  for (const shape of SHAPES) {
    for (const spec of specs) {
      // A kernel whose work does not change between the shapes (softmax: V only) is shown once.
      if (rows.some((r) => r.kernel === spec.name && r.what === spec.what(shape))) continue;
      const get = (v) => tasks.find((t) => t.shape === shape && t.spec === spec && t.variant === v);
      const s = get('simd');
      const c = get('scalar');
      const base = get('baseline');
      const baselineMs = base ? median(base.perOp) : 0;
      const simdMs = median(s.perOp) - baselineMs;
      const scalarMs = median(c.perOp) - baselineMs;
      const flops = spec.flops ? spec.flops(shape) : null;
      rows.push({
        kernel: spec.name,
        shape: shape.key,
        dims: { B: shape.B, T: shape.T, D: shape.D, H: shape.H, V: shape.V },
        what: spec.what(shape),
        simdMedianMs: simdMs,
        scalarMedianMs: scalarMs,
        speedup: scalarMs / simdMs,
        simdOpsPerSec: 1000 / simdMs,
        scalarOpsPerSec: 1000 / scalarMs,
        flopsPerOp: flops,
        simdGflops: flops ? flops / (simdMs * 1e6) : null,
        scalarGflops: flops ? flops / (scalarMs * 1e6) : null,
        simdRoundsMs: s.perOp,
        scalarRoundsMs: c.perOp,
        baselineSubtractedMs: base ? baselineMs : null,
        baselineRoundsMs: base ? base.perOp : null,
        repsPerSample: { simd: s.reps, scalar: c.reps, ...(base ? { baseline: base.reps } : {}) },
      });
    }
  }
  return {
    config: { rounds, tinybench: { timeMs, warmupMs, sampleMs }, act: 'hard_sigmoid (Keras 2)', lossEps: LOSS_EPS },
    rows,
    notTimed: { noScalarTwin: unpaired, noSpec: missing },
  };
}

/** The kernel table as Markdown. */
export function kernelTable(result) {
  const header = ['kernel', 'shape', 'SIMD median', 'scalar median', 'SIMD/scalar', 'SIMD ops/s', 'GFLOP/s SIMD', 'GFLOP/s scalar'];
  const rows = result.rows.map((r) => [
    r.kernel,
    r.what,
    fmtTime(r.simdMedianMs),
    fmtTime(r.scalarMedianMs),
    fmtRatio(r.speedup),
    sig(r.simdOpsPerSec),
    r.simdGflops === null ? '-' : sig(r.simdGflops),
    r.scalarGflops === null ? '-' : sig(r.scalarGflops),
  ]);
  return markdownTable(header, rows, [0, 1]);
}
