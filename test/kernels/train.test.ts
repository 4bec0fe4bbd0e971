// The batched interpreter (assembly/model.ts): grad_batch, train_batches, eval_batches,
// predict_batch, predict_steps, driven as src/ drives them: a plan (planModel) laid out by
// ModelArena, data in a DataBlock, the loss and optimizer records written through the generated
// abi names. Nothing here lays a slot out by hand; the weights are placed by plan.slices.
// Oracles, most independent first:
//   - central finite differences of a float64 JavaScript forward (util.ts references) for every
//     gradient: LSTM -> Dense, stacked LSTMs (the upper LSTM's dx into the lower one's per-step
//     output gradient), per-step outputs (returnSequences + Dense), Dense -> Dense with MSE;
//   - float64 loss, accuracy and metrics; a float64 replay of training steps (SGD: exact in form;
//     Adam: util.ts adamRef with Keras's lr_t); a float64 replay of stateful runs;
//   - metamorphic: train_batches = grad_batch + optimizer_step per slice (bitwise); a batch of
//     ragged samples = the mean of each sample's gradient run alone (batch 1); predictions and eval
//     sums bitwise independent of chunking; streaming (predict_steps) bitwise = whole sequences;
//     sparse labels bitwise = their one-hot rows; SIMD vs scalar over a short training run.
import { beforeAll, describe, expect, it } from 'vitest';
import { ready, kernels, f32, i32, f64 } from '../../src/wasm.js';
import { planModel, type Plan } from '../../src/plan.js';
import { ModelArena, DataBlock } from '../../src/arena.js';
import { lstm, dense } from '../../src/layers/index.js';
import { PRESETS } from '../../src/presets.js';
import {
  LS_KIND, LS_ACC, LS_METRICS, LS_EPS, LOSS_CCE, LOSS_SCCE, LOSS_MSE, OP_KIND, OP_STEP, OP_LR, OP_BETA1, OP_BETA2,
  OP_EPS, OPT_ADAM, OPT_SGD, STATS, H_STATEFUL, H_BS, CHUNK,
} from '../../src/generated/abi.js';
import {
  Mem, prng, uniform, fround, expectClose, expectEqual, lstmForwardRef, lstmBackwardRef, denseForwardRef, softmaxCeRef,
  softmaxCeBackwardRef, adamRef,
} from './util.js';

beforeAll(async () => {
  await ready();
});

// ---- the model: layer specs -> a plan; a float64 forward of the same stack ------------------------

type DenseAct = 'softmax' | 'linear' | 'tanh' | 'sigmoid';
type Spec = { kind: 'lstm'; units: number; ract: 0 | 1; seq?: boolean } | { kind: 'dense'; units: number; act: DenseAct };
interface Net { D: number; specs: Spec[]; plan: Plan; V: number; seqOut: boolean }

/** The stack as the factories make it; `statefulBatch`: stateful LSTMs with batchInputShape [BS, null, D]. */
function makeNet(D: number, specs: Spec[], statefulBatch?: number): Net {
  const layers = specs.map((s, i) => {
    if (s.kind === 'dense') return dense({ units: s.units, activation: s.act });
    const shape = i > 0 ? {} : statefulBatch ? { batchInputShape: [statefulBatch, null, D] as [number, null, number] } : { inputShape: [null, D] as [null, number] };
    return lstm({
      units: s.units, recurrentActivation: s.ract === 1 ? 'hardSigmoid' : 'sigmoid', returnSequences: s.seq === true,
      ...(statefulBatch ? { stateful: true } : {}), ...shape,
    });
  });
  const plan = planModel('train.test', layers, PRESETS.keras2);
  return { D, specs, plan, V: plan.V, seqOut: plan.seqOut };
}

interface DataSet { N: number; T: number; D: number; V: number; x: number[]; y: number[]; starts: number[]; lens: number[]; seq: boolean }

/**
 * N samples of up to T steps in a (N, T, D) block. 'ragged': sample n has 0 steps when n % 5 == 4,
 * else 1..T steps at a random start; 'full': T steps from 0; or explicit lengths (start 0).
 * Targets one-hot: one row per sample, or per step (seq).
 */
function randomData(seed: number, N: number, T: number, D: number, V: number, lens: 'ragged' | 'full' | number[] = 'ragged', seq = false): DataSet {
  const r = prng(seed);
  const x = fround(uniform(r, N * T * D, 0, 1));
  const y: number[] = [];
  const starts: number[] = [];
  const ls: number[] = [];
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < (seq ? T : 1); k++) {
      const row = new Array(V).fill(0);
      row[Math.floor(r() * V)] = 1;
      y.push(...row);
    }
    const len = Array.isArray(lens) ? lens[n] : lens === 'full' ? T : n % 5 === 4 ? 0 : 1 + Math.floor(r() * T);
    ls.push(len);
    starts.push(Array.isArray(lens) || lens === 'full' ? 0 : Math.floor(r() * (T - len + 1)));
  }
  return { N, T, D, V, x, y, starts, lens: ls, seq };
}

/** Random weights in plan.slices layout (padding 0), float32 values. */
function randomTheta(seed: number, net: Net): number[] {
  const r = prng(seed);
  const t = new Array(net.plan.P).fill(0);
  for (const pl of net.plan.program) {
    pl.slices.forEach((s, k) => {
      const isLstm = pl.kind.className === 'LSTM';
      const [lo, hi] = isLstm ? [[-0.6, 0.6], [-0.5, 0.5], [-0.5, 0.5]][k] : [[-1, 1], [-0.5, 0.5]][k];
      const u = uniform(r, s.size, lo, hi);
      for (let i = 0; i < s.size; i++) t[s.offset + i] = u[i];
    });
  }
  return fround(t);
}

interface LossCfg { kind: number; eps: number; metrics?: number }
interface State { h: number[]; c: number[] }
interface RefOut { loss: number; correct: number; mae: number; mse: number; outs: number[][]; zHard: number[]; states: State[] }

const ACT_F: Record<Exclude<DenseAct, 'softmax'>, (z: number) => number> = {
  linear: (z) => z, tanh: Math.tanh, sigmoid: (z) => 1 / (1 + Math.exp(-z)),
};
const argmax = (a: ArrayLike<number>) => {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
};

/**
 * float64 forward of sample n through the stack from `init` states (per LSTM, or zeros): its loss
 * (the mean over its output rows), accuracy, mean |err| and mean err², the output rows (probs),
 * the hard_sigmoid layers' pre-activations (for the kink guard) and each LSTM's last state.
 */
function refSample(net: Net, theta: ArrayLike<number>, d: DataSet, n: number, loss: LossCfg, init?: State[]): RefOut {
  const th = Array.from(theta);
  const L = d.lens[n];
  const x0 = (n * d.T + d.starts[n]) * d.D;
  let rows: number[][] = Array.from({ length: L }, (_, t) => d.x.slice(x0 + t * d.D, x0 + (t + 1) * d.D));
  let width = d.D;
  const zHard: number[] = [];
  const states: State[] = [];
  net.plan.program.forEach((pl, i) => {
    const spec = net.specs[i];
    const w = pl.slices.map((s) => th.slice(s.offset, s.offset + s.size));
    if (spec.kind === 'lstm') {
      const H = spec.units;
      const s0 = init?.[states.length] ?? { h: new Array(H).fill(0), c: new Array(H).fill(0) };
      const steps = rows.length;
      const tr = lstmForwardRef(rows.flat(), w[0], w[1], w[2], s0.h, s0.c, steps, width, H, spec.ract);
      if (spec.ract === 1) zHard.push(...tr.z.flat());
      states.push({ h: tr.hs[steps], c: tr.cs[steps] });
      rows = spec.seq ? tr.hs.slice(1) : [tr.hs[steps]];
      width = H;
    } else {
      const top = i === net.plan.program.length - 1;
      const F = spec.units;
      rows = rows.map((r) => {
        const z = denseForwardRef(r, w[0], w[1], width, F);
        return top && spec.act === 'softmax' ? z : z.map(ACT_F[spec.act as Exclude<DenseAct, 'softmax'>]);
      });
      width = F;
    }
  });
  const V = net.V;
  const out: RefOut = { loss: 0, correct: 0, mae: 0, mse: 0, outs: [], zHard, states };
  rows.forEach((r, t) => {
    const y0 = net.seqOut ? (n * d.T + d.starts[n] + t) * V : n * V;
    const y = d.y.slice(y0, y0 + V);
    let p: number[];
    let l: number;
    if (loss.kind === LOSS_CCE) ({ probs: p, loss: l } = softmaxCeRef(r, y, loss.eps));
    else {
      p = r;
      l = p.reduce((s, v, j) => s + (v - y[j]) ** 2, 0) / V; // MSE
    }
    const w = 1 / rows.length; // a sample's loss is the mean over its output rows
    out.outs.push(p);
    out.loss += w * l;
    out.correct += w * (argmax(y) === argmax(p) ? 1 : 0);
    out.mae += (w * p.reduce((s, v, j) => s + Math.abs(v - y[j]), 0)) / V;
    out.mse += (w * p.reduce((s, v, j) => s + (v - y[j]) ** 2, 0)) / V;
  });
  return out;
}

const meanLoss = (net: Net, theta: ArrayLike<number>, d: DataSet, idx: number[], loss: LossCfg, init?: (n: number) => State[] | undefined) =>
  idx.reduce((s, n) => s + refSample(net, theta, d, n, loss, init?.(n)).loss, 0) / idx.length;

/** Central differences (float64, step h) of f at theta, over the weights (padding gets 0). */
function fdGrad(net: Net, theta: number[], f: (th: number[]) => number, h = 1e-5): number[] {
  const g = new Array(theta.length).fill(0);
  const th = theta.slice();
  for (const s of net.plan.slices) {
    for (let i = s.offset; i < s.offset + s.size; i++) {
      th[i] = theta[i] + h;
      const up = f(th);
      th[i] = theta[i] - h;
      const dn = f(th);
      th[i] = theta[i];
      g[i] = (up - dn) / (2 * h);
    }
  }
  return g;
}

// ---- the engine: a ModelArena + DataBlock, records written through abi names ----------------------

interface OptCfg { kind: number; lr: number; beta1?: number; beta2?: number; eps?: number }
const ADAM: OptCfg = { kind: OPT_ADAM, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

class Engine {
  readonly arena: ModelArena;
  readonly block: DataBlock;
  private readonly mem = new Mem();

  /** cap: the scratch holds chunks of up to cap.B samples of cap.T steps; `labels`: sparse targets. */
  constructor(readonly net: Net, simd: boolean, readonly d: DataSet, loss: LossCfg, opt: OptCfg, theta: ArrayLike<number>,
    cap: { T?: number; B: number }, labels = false) {
    this.arena = new ModelArena(net.plan, simd, cap.T ?? d.T, cap.B);
    const a = this.arena;
    const ls = a.loss();
    ls[LS_KIND] = labels ? LOSS_SCCE : loss.kind;
    ls[LS_ACC] = 0; // argmax accuracy
    ls[LS_METRICS] = loss.metrics ?? 0;
    a.setF32('loss', LS_EPS, loss.eps);
    const op = a.opt();
    op.fill(0);
    op[OP_KIND] = opt.kind;
    a.setF32('opt', OP_LR, opt.lr);
    a.setF32('opt', OP_BETA1, opt.beta1 ?? 0);
    a.setF32('opt', OP_BETA2, opt.beta2 ?? 0);
    a.setF32('opt', OP_EPS, opt.eps ?? 0);
    a.region('params').set(theta);
    const rows = d.seq ? d.N * d.T : d.N;
    const yw = (labels ? 1 : d.V) * (d.seq ? d.T : 1);
    this.block = new DataBlock(d.N, d.T, d.D, yw);
    f32(this.block.x, d.N * d.T * d.D).set(d.x);
    const y = labels ? Array.from({ length: rows }, (_, q) => argmax(d.y.slice(q * d.V, (q + 1) * d.V))) : d.y;
    f32(this.block.y, d.N * yw).set(y);
    i32(this.block.starts, d.N).set(d.starts);
    i32(this.block.lens, d.N).set(d.lens);
    f64(a.stats, STATS).fill(0);
  }

  /** An i32 order array in fresh memory (0 = identity). */
  order(ids: number[] | null): number {
    if (ids === null) return 0;
    const p = this.mem.bytes(4 * Math.max(1, ids.length));
    i32(p, ids.length).set(ids);
    return p;
  }

  grad(ids: number[] | null, count: number): void {
    kernels().grad_batch(this.arena.desc, this.block.desc, this.order(ids), count, this.arena.stats);
  }

  train(ids: number[] | null, count: number, batch: number): void {
    kernels().train_batches(this.arena.desc, this.block.desc, this.order(ids), count, batch, this.arena.stats);
  }

  step(): void {
    kernels().optimizer_step(this.arena.desc);
  }

  evaluate(ids: number[] | null, count: number): void {
    kernels().eval_batches(this.arena.desc, this.block.desc, this.order(ids), count, this.arena.stats);
  }

  /** predict_batch of samples first..first+count-1: (count, V), or (count, T, V) with sequence outputs. */
  predict(first: number, count: number): number[] {
    const n = count * this.net.V * (this.net.seqOut ? this.d.T : 1);
    const out = this.mem.put(n);
    kernels().predict_batch(this.arena.desc, this.block.desc, first, count, out);
    return this.mem.take(out, n);
  }

  get params(): number[] { return Array.from(this.arena.region('params')); }
  get grads(): number[] { return Array.from(this.arena.region('grads')); }
  get m(): number[] { return Array.from(this.arena.region('m')); }
  get v(): number[] { return Array.from(this.arena.region('v')); }
  get stepCount(): number { return this.arena.opt()[OP_STEP]; }
  get stats(): number[] { return Array.from(f64(this.arena.stats, STATS)); }
  zeroStats(): void { f64(this.arena.stats, STATS).fill(0); }

  /** Every LSTM's state slots: per record, [h rows | c rows]. */
  states(): number[][] {
    return this.net.plan.program.flatMap((l, i) => (l.states.length ? [Array.from(this.arena.layerState(i))] : []));
  }
  setStates(s: number[][]): void {
    let k = 0;
    this.net.plan.program.forEach((l, i) => {
      if (l.states.length) this.arena.setLayerState(i, Float32Array.from(s[k++]));
    });
  }

  dispose(): void {
    this.arena.dispose();
    this.block.dispose();
    this.mem.done();
  }
}

/** Per-slice comparison of a region against a reference, naming the tensor. */
function expectSlices(what: string, net: Net, ours: number[], ref: number[], tol: { abs: number; rel?: number } | number): void {
  for (const s of net.plan.slices) expectClose(`${what}: ${s.name}`, ours.slice(s.offset, s.offset + s.size), ref.slice(s.offset, s.offset + s.size), tol);
}

/** The floats of a region outside every slice (the pad4 padding): must stay exactly 0. */
function padding(net: Net, region: number[]): number[] {
  const used = new Array(region.length).fill(false);
  for (const s of net.plan.slices) for (let i = s.offset; i < s.offset + s.size; i++) used[i] = true;
  return region.filter((_, i) => !used[i]);
}

const CCE7: LossCfg = { kind: LOSS_CCE, eps: Math.fround(1e-7) };
const CCE0: LossCfg = { kind: LOSS_CCE, eps: 0 };
const ids = (n: number) => Array.from({ length: n }, (_, i) => i);

// float64 FD truncation ~h² ~1e-10; the kernels are float32 (SIMD approximations <= 4e-7 absolute
// per activation) and the gradients here are O(0.01-0.3): the old per-sample engine's bound
const FD_TOL = { abs: 5e-7, rel: 1e-5 };

// ---- gradients -------------------------------------------------------------------------------------

describe('grad_batch: gradients vs central finite differences of the float64 forward', () => {
  const D = 2;
  const H = 5; // one 4-unit group and a one-unit tail in the SIMD kernels
  const V = 6; // one 4-column group and a 2-column tail
  for (const act of [0, 1] as const)
    for (const loss of [CCE7, CCE0])
      for (const simd of [true, false]) {
        it(`LSTM(${H}) -> Dense(${V}): act=${act} lossEps=${loss.eps} simd=${simd}, ragged with an empty sample`, () => {
          const net = makeNet(D, [{ kind: 'lstm', units: H, ract: act }, { kind: 'dense', units: V, act: 'softmax' }]);
          const data = randomData(10 + act, 6, 4, D, V);
          expect(data.lens).toContain(0);
          const theta = randomTheta(20 + act, net);
          const bias = net.plan.slices[2];
          if (act === 1) {
            // saturate a few gates on purpose (|z| well past 2.5: zero gradient through the clip)
            theta[bias.offset + 0] = 4; // i of unit 0
            theta[bias.offset + H + 2] = -4; // f of unit 2
            theta[bias.offset + 3 * H + 4] = 4.5; // o of unit 4
          }
          const idx = ids(6);
          if (act === 1) {
            // keep every pre-activation away from the kinks at ±2.5 (FD step 1e-5 << 0.05)
            for (const n of idx) for (const z of refSample(net, theta, data, n, loss).zHard) expect(Math.abs(Math.abs(z) - 2.5)).toBeGreaterThan(0.05);
          }
          const e = new Engine(net, simd, data, loss, ADAM, theta, { B: 6 });
          e.arena.region('grads').fill(123); // grad_batch zeroes grads itself
          e.grad(idx, idx.length);
          const grads = e.grads;
          const st = e.stats;
          e.dispose();
          expectEqual('grads padding', padding(net, grads), padding(net, grads).map(() => 0));
          const fd = fdGrad(net, theta, (th) => meanLoss(net, th, data, idx, loss));
          expectSlices('grad vs FD', net, grads, fd, FD_TOL);
          if (act === 1) {
            // the saturated gates really are saturated: their bias gradients are exactly 0
            expect(grads[bias.offset + 0]).toBe(0);
            expect(grads[bias.offset + H + 2]).toBe(0);
            expect(grads[bias.offset + 3 * H + 4]).toBe(0);
          }
          // stats: Σ loss, Σ correct, count, and no metrics asked (accumulated onto zero)
          const refs = idx.map((n) => refSample(net, theta, data, n, loss));
          const sum = (k: 'loss' | 'correct') => refs.reduce((s, r) => s + r[k], 0);
          expectClose('stats', st, [sum('loss'), sum('correct'), idx.length, 0, 0], { abs: 0, rel: 2e-6 });
        });
      }

  it('the float64 analytic gradient (util.ts lstmBackwardRef + dense + softmax CE) agrees with the differences: the oracle ladder', () => {
    // One sample, L=3: dlogits -> dh_L = K dlogits -> BPTT; FD of the same float64 forward
    const net = makeNet(D, [{ kind: 'lstm', units: H, ract: 0 }, { kind: 'dense', units: V, act: 'softmax' }]);
    const data = randomData(5, 1, 3, D, V, [3]);
    const theta = randomTheta(6, net);
    const fd = fdGrad(net, theta, (th) => meanLoss(net, th, data, [0], CCE0));
    const [sW, sU, sb, sK, sbd] = net.plan.slices;
    const part = (s: { offset: number; size: number }) => theta.slice(s.offset, s.offset + s.size);
    const zero = new Array(H).fill(0);
    const tr = lstmForwardRef(data.x, part(sW), part(sU), part(sb), zero, zero, 3, D, H, 0);
    const hL = tr.hs[3];
    const logits = denseForwardRef(hL, part(sK), part(sbd), H, V);
    const { probs } = softmaxCeRef(logits, data.y, 0);
    const dl = softmaxCeBackwardRef(probs, data.y, 0, 1);
    const K = part(sK);
    const dh = Array.from({ length: H }, (_, k) => dl.reduce((s, g, v) => s + K[k * V + v] * g, 0));
    const g = lstmBackwardRef(tr, data.x, part(sU), dh, 3, D, H, 0);
    const tight = { abs: 1e-8, rel: 1e-6 };
    expectClose('dW', g.dW, fd.slice(sW.offset, sW.offset + sW.size), tight);
    expectClose('dU', g.dU, fd.slice(sU.offset, sU.offset + sU.size), tight);
    expectClose('db', g.db, fd.slice(sb.offset, sb.offset + sb.size), tight);
    expectClose('dK', hL.flatMap((h) => dl.map((q) => h * q)), fd.slice(sK.offset, sK.offset + sK.size), tight);
    expectClose('dbd', dl, fd.slice(sbd.offset, sbd.offset + sbd.size), tight);
  });
});

describe('grad_batch through other stacks vs finite differences', () => {
  // Each exercises a path the single LSTM -> Dense does not: an LSTM's dx (the upper one's input
  // gradient, packed per step) feeding the lower LSTM's per-step output gradient; per-step outputs
  // (loss weight 1/L per step); a hidden Dense's activation and dx; the unfused MSE loss + metrics.
  const cases: Array<{ name: string; D: number; specs: Spec[]; loss: LossCfg; lens: 'ragged' | 'full'; seq?: boolean }> = [
    {
      name: 'LSTM(4, sequences, sigmoid) -> LSTM(5, hard_sigmoid) -> Dense(3, softmax), ragged with an empty sample', D: 2,
      specs: [{ kind: 'lstm', units: 4, ract: 0, seq: true }, { kind: 'lstm', units: 5, ract: 1 }, { kind: 'dense', units: 3, act: 'softmax' }],
      loss: CCE7, lens: 'ragged',
    },
    {
      name: 'LSTM(5, sequences) -> Dense(3, softmax) on every step', D: 3,
      specs: [{ kind: 'lstm', units: 5, ract: 0, seq: true }, { kind: 'dense', units: 3, act: 'softmax' }],
      loss: CCE0, lens: 'full', seq: true,
    },
    {
      name: 'LSTM(5) -> Dense(4, tanh) -> Dense(3, linear), MSE with mae and mse metrics, ragged', D: 2,
      specs: [{ kind: 'lstm', units: 5, ract: 0 }, { kind: 'dense', units: 4, act: 'tanh' }, { kind: 'dense', units: 3, act: 'linear' }],
      loss: { kind: LOSS_MSE, eps: 0, metrics: 3 }, lens: 'ragged',
    },
  ];
  for (const c of cases)
    for (const simd of [true, false]) {
      it(`${c.name} (simd=${simd})`, () => {
        const net = makeNet(c.D, c.specs);
        const data = randomData(40 + c.D, 6, 4, c.D, net.V, c.lens, c.seq);
        const theta = randomTheta(41, net);
        const idx = ids(6);
        for (const n of idx) for (const z of refSample(net, theta, data, n, c.loss).zHard) expect(Math.abs(Math.abs(z) - 2.5)).toBeGreaterThan(0.05);
        const e = new Engine(net, simd, data, c.loss, ADAM, theta, { B: 6 });
        e.grad(null, 6);
        const grads = e.grads;
        const st = e.stats;
        e.dispose();
        expectSlices('grad vs FD', net, grads, fdGrad(net, theta, (th) => meanLoss(net, th, data, idx, c.loss)), FD_TOL);
        expectEqual('grads padding', padding(net, grads), padding(net, grads).map(() => 0));
        const refs = idx.map((n) => refSample(net, theta, data, n, c.loss));
        const sum = (k: 'loss' | 'correct' | 'mae' | 'mse') => refs.reduce((s, r) => s + r[k], 0);
        const metrics = c.loss.metrics ? [sum('mae'), sum('mse')] : [0, 0];
        expectClose('stats [Σ loss, Σ correct, count, Σ mae, Σ mse]', st, [sum('loss'), sum('correct'), 6, ...metrics], { abs: 1e-12, rel: 2e-6 });
      });
    }
});

describe('a batch gives the mean of its samples\' gradients, each run alone (batch 1)', () => {
  // The batched engine packs a chunk's samples per step, longest first, and sums weight gradients
  // over all its rows; alone (grad_batch of one sample), a sample runs at B = 1. Same math, other
  // summation orders: ~1e-6 relative (below). The losses come from the forward, whose bits do not
  // depend on the chunk: the stats agree exactly.
  const single: Spec[] = [{ kind: 'lstm', units: 5, ract: 1 }, { kind: 'dense', units: 6, act: 'softmax' }];
  const packed: Spec[] = [{ kind: 'lstm', units: 64, ract: 0 }, { kind: 'dense', units: 4, act: 'softmax' }]; // H >= 64: FL_PACK
  const stacked: Spec[] = [{ kind: 'lstm', units: 4, ract: 0, seq: true }, { kind: 'lstm', units: 5, ract: 1 }, { kind: 'dense', units: 3, act: 'softmax' }];
  const cases: Array<[string, Spec[], number, number, 'ragged' | 'full' | number[]]> = [
    ['LSTM(5) -> Dense(6), ragged lengths with 0-length samples', single, 9, 5, 'ragged'],
    ['LSTM(5) -> Dense(6), equal lengths (one h_{t-1} block)', single, 5, 4, 'full'],
    ['LSTM(5) -> Dense(6), 70 samples: two chunks of up to CHUNK', single, 70, 4, 'ragged'],
    ['LSTM(64) -> Dense(4) (packed weight panels), lengths 0..6', packed, 7, 6, [3, 0, 6, 1, 6, 2, 5]],
    ['LSTM(4, sequences) -> LSTM(5) -> Dense(3), ragged', stacked, 9, 5, 'ragged'],
  ];
  for (const [name, specs, N, T, lens] of cases)
    for (const simd of [true, false]) {
      it(`${name} (simd=${simd})`, () => {
        const net = makeNet(2, specs);
        const data = randomData(60 + N, N, T, 2, net.V, lens);
        if (lens !== 'full') expect(data.lens, 'a 0-length sample').toContain(0);
        const theta = randomTheta(61, net);
        const order = ids(N).reverse(); // any order: the engine sorts each chunk itself
        const e = new Engine(net, simd, data, CCE7, ADAM, theta, { B: Math.min(CHUNK, N) });
        e.grad(order, N);
        const batch = e.grads;
        const batchStats = e.stats;
        const sum = new Array(net.plan.P).fill(0);
        e.zeroStats();
        for (const n of order) {
          e.grad([n], 1);
          e.grads.forEach((g, i) => (sum[i] += g / N));
        }
        const aloneStats = e.stats;
        e.dispose();
        // per tensor: within 1e-6 of the tensor's largest gradient (an element's own rounding
        // scale is the sum of |x·dz| terms over every step of every sample, which cancel inside a
        // sample's gradient as well as across samples) and 1e-6 relative
        for (const s of net.plan.slices) {
          const part = (a: number[]) => a.slice(s.offset, s.offset + s.size);
          const scale = Math.max(...part(sum).map(Math.abs));
          expectClose(`${s.name}: batch gradient vs mean of per-sample gradients`, part(batch), part(sum), { abs: 1e-6 * scale, rel: 1e-6 });
        }
        expectEqual('stats: batch vs samples alone (same losses, summed in the same run order)', batchStats, aloneStats);
      });
    }
});

describe('sparse labels (LOSS_SCCE) run exactly as their one-hot rows (LOSS_CCE)', () => {
  for (const seq of [false, true]) {
    it(seq ? 'per-step targets' : 'per-sample targets', () => {
      const specs: Spec[] = seq
        ? [{ kind: 'lstm', units: 5, ract: 0, seq: true }, { kind: 'dense', units: 4, act: 'softmax' }]
        : [{ kind: 'lstm', units: 5, ract: 0 }, { kind: 'dense', units: 4, act: 'softmax' }];
      const net = makeNet(2, specs);
      const data = randomData(70, 5, 3, 2, 4, seq ? 'full' : 'ragged', seq);
      const theta = randomTheta(71, net);
      const run = (labels: boolean) => {
        const e = new Engine(net, true, data, CCE7, ADAM, theta, { B: 5 }, labels);
        e.grad(null, 5);
        const r = { grads: e.grads, stats: e.stats };
        e.dispose();
        return r;
      };
      const a = run(false);
      const b = run(true);
      expectEqual('grads', b.grads, a.grads);
      expectEqual('stats', b.stats, a.stats);
    });
  }
});

// ---- training ----------------------------------------------------------------------------------------

describe('train_batches', () => {
  const net = makeNet(3, [{ kind: 'lstm', units: 5, ract: 0 }, { kind: 'dense', units: 7, act: 'softmax' }]);
  for (const simd of [true, false])
    it(`batch=3 over 7 samples equals grad_batch + optimizer_step per slice, bitwise; OP_STEP counts the updates (simd=${simd})`, () => {
      const data = randomData(31, 9, 5, 3, 7);
      const theta = randomTheta(32, net);
      const order = [8, 2, 5, 0, 7, 3, 1];
      const opt = { ...ADAM, lr: 0.01 };
      const a = new Engine(net, simd, data, CCE7, opt, theta, { B: 3 });
      const b = new Engine(net, simd, data, CCE7, opt, theta, { B: 3 });
      a.train(order, order.length, 3);
      for (let first = 0; first < order.length; first += 3) {
        b.grad(order.slice(first, first + 3), Math.min(3, order.length - first));
        b.step();
      }
      const sa = { params: a.params, m: a.m, v: a.v, grads: a.grads, step: a.stepCount, stats: a.stats };
      const sb = { params: b.params, m: b.m, v: b.v, grads: b.grads, step: b.stepCount, stats: b.stats };
      a.dispose();
      b.dispose();
      expectEqual('params', sa.params, sb.params);
      expectEqual('m', sa.m, sb.m);
      expectEqual('v', sa.v, sb.v);
      expectEqual('grads (last batch)', sa.grads, sb.grads);
      expectEqual('stats', sa.stats, sb.stats);
      expect(sa.step).toBe(3);
      expect(sb.step).toBe(3);
      expect(sa.stats[2]).toBe(7);
    });

  it('count 0 changes nothing; batch 0 runs the whole count as one batch (never loops)', () => {
    const data = randomData(33, 5, 3, 3, 7);
    const theta = randomTheta(34, net);
    const a = new Engine(net, true, data, CCE7, ADAM, theta, { B: 5 });
    a.train(null, 0, 2);
    expect(a.stepCount).toBe(0);
    expectEqual('params after count 0', a.params, theta);
    expectEqual('stats after count 0', a.stats, [0, 0, 0, 0, 0]);
    a.train(null, 5, 0);
    const b = new Engine(net, true, data, CCE7, ADAM, theta, { B: 5 });
    b.train(null, 5, 5);
    expect(a.stepCount).toBe(1);
    expectEqual('batch 0 vs batch 5', a.params, b.params);
    a.dispose();
    b.dispose();
  });

  it('loss in stats is each sample\'s loss before its batch update (float64 replay)', () => {
    const net1 = makeNet(1, [{ kind: 'lstm', units: 4, ract: 1 }, { kind: 'dense', units: 5, act: 'softmax' }]);
    const data = randomData(41, 5, 3, 1, 5);
    const theta = randomTheta(42, net1);
    const opt = { ...ADAM, lr: 0.05 };
    // batch 2 over samples 0..4 (identity order): batches {0,1} {2,3} {4}. Replay in float64: each
    // batch's loss from the params as they were before that batch's update.
    const a = new Engine(net1, true, data, CCE0, opt, theta, { B: 2 });
    let expectLoss = 0;
    for (const [first, nb] of [[0, 2], [2, 2], [4, 1]]) {
      const p = a.params;
      for (let n = first; n < first + nb; n++) expectLoss += refSample(net1, p, data, n, CCE0).loss;
      a.grad(ids(nb).map((j) => first + j), nb);
      a.step();
    }
    // and the same through one train_batches call on a fresh copy
    const b = new Engine(net1, true, data, CCE0, opt, theta, { B: 2 });
    b.train(null, 5, 2);
    expectEqual('params (train_batches vs replay)', b.params, a.params);
    const st = a.stats;
    a.dispose();
    b.dispose();
    expectClose('Σ loss', [st[0]], [expectLoss], { abs: 0, rel: 1e-5 });
    expect(st[2]).toBe(5);
  });

  for (const simd of [true, false]) {
    it(`one LSTM+Dense training step vs a float64 reference step: SGD θ - lr·g and Adam (Keras form) from the FD gradient (simd=${simd})`, () => {
      const data = randomData(43, 6, 4, 3, 7);
      const theta = randomTheta(44, net);
      const g = fdGrad(net, theta, (th) => meanLoss(net, th, data, ids(6), CCE7));
      // SGD, lr 0.5: θ1 = θ0 - lr·g; the error is lr times the gradient's (FD_TOL) plus θ1's rounding
      const lr = 0.5;
      const s = new Engine(net, simd, data, CCE7, { kind: OPT_SGD, lr }, theta, { B: 6 });
      s.train(null, 6, 6);
      expect(s.stepCount).toBe(1);
      // compared as updates θ1 - θ0 (exact in float64 from the float32 values) vs -lr·g: FD_TOL scaled by
      // lr, plus θ1's float32 rounding (|θ| <= 1: <= 6e-8)
      const upd = s.params.map((p, i) => p - theta[i]);
      expectSlices('SGD step vs float64: θ1 - θ0 vs -lr·g', net, upd, g.map((v) => -lr * v), { abs: 1e-7 + lr * FD_TOL.abs, rel: FD_TOL.rel });
      s.dispose();
      // Adam at t = 1: lr_t = lr·sqrt(1-β2)/(1-β1) (float64, then float32, as the kernel); m, v from 0
      const opt = { ...ADAM, lr: 0.01, eps: 1e-7 };
      const a = new Engine(net, simd, data, CCE7, opt, theta, { B: 6 });
      a.train(null, 6, 6);
      const b1 = Math.fround(opt.beta1!);
      const b2 = Math.fround(opt.beta2!);
      const lrT = Math.fround((Math.fround(opt.lr) * Math.sqrt(1 - b2)) / (1 - b1));
      const ref = adamRef(theta, g, new Array(theta.length).fill(0), new Array(theta.length).fill(0), lrT, b1, b2, Math.fround(opt.eps!));
      // the update ≈ lr_t·(1-β1)g/(sqrt(1-β2)|g| + ε): flat in g except where |g| ~ ε / 0.03; here
      // every |g| is >= 1e-5 or exactly 0 (checked), so the step is within 1e-7 of the reference
      const tiny = g.filter((v) => v !== 0 && Math.abs(v) < 1e-5);
      expect(tiny, 'FD gradients in (0, 1e-5): the Adam comparison would be ill-conditioned there').toEqual([]);
      expectSlices('Adam step vs float64: params', net, a.params, ref.p, { abs: 1e-7, rel: 1e-6 });
      // m = (1-β1)g and v = (1-β2)g² carry the gradient's error: 0.1·FD_TOL, and twice its relative part
      // with 2·0.001·|g|·FD_TOL.abs (<= 3e-10 for |g| <= 0.3) for v
      expectSlices('Adam step vs float64: m', net, a.m, ref.m, { abs: 0.1 * FD_TOL.abs, rel: FD_TOL.rel });
      expectSlices('Adam step vs float64: v', net, a.v, ref.v, { abs: 3e-10, rel: 2 * FD_TOL.rel });
      expect(a.stepCount).toBe(1);
      a.dispose();
    });
  }
});

// ---- forward: eval and predict -------------------------------------------------------------------

describe('eval_batches and predict_batch', () => {
  const net = makeNet(2, [{ kind: 'lstm', units: 8, ract: 0 }, { kind: 'dense', units: 26, act: 'softmax' }]);
  for (const simd of [true, false])
    it(`match the float64 forward; eval leaves params and grads alone (simd=${simd})`, () => {
      const data = randomData(61, 7, 5, 2, 26);
      const theta = randomTheta(62, net);
      const e = new Engine(net, simd, data, CCE7, ADAM, theta, { B: 7 });
      const order = [6, 0, 3];
      e.arena.region('grads').fill(5);
      e.evaluate(order, 3);
      e.evaluate(null, 7); // accumulates onto the first call
      const probs = e.predict(2, 4);
      const st = e.stats;
      const params = e.params;
      const grads = e.grads;
      e.dispose();
      expectEqual('params unchanged', params, theta);
      expectEqual('grads untouched', grads, grads.map(() => 5));
      let loss = 0;
      let correct = 0;
      for (const n of [...order, ...ids(7)]) {
        const r = refSample(net, theta, data, n, CCE7);
        loss += r.loss;
        correct += r.correct;
      }
      expectClose('stats', st, [loss, correct, 10, 0, 0], { abs: 0, rel: 2e-6 });
      const ref = [2, 3, 4, 5].flatMap((n) => refSample(net, theta, data, n, CCE7).outs[0]);
      expectClose('predict probs', probs, ref, { abs: 1e-8, rel: 2e-6 });
    });

  it('accuracy ties go to the first index', () => {
    // zero dense weights: probs exactly uniform, argmax = 0
    const net3 = makeNet(1, [{ kind: 'lstm', units: 2, ract: 0 }, { kind: 'dense', units: 3, act: 'softmax' }]);
    const theta = new Array(net3.plan.P).fill(0);
    const data: DataSet = { N: 3, T: 1, D: 1, V: 3, x: [1, 1, 1], y: [1, 0, 0, 0, 1, 0, 0, 0, 1], starts: [0, 0, 0], lens: [1, 1, 1], seq: false };
    const e = new Engine(net3, true, data, CCE0, ADAM, theta, { B: 3 });
    e.evaluate(null, 3);
    const st = e.stats;
    e.dispose();
    expectClose('stats', st, [3 * Math.log(3), 1, 3, 0, 0], { abs: 0, rel: 1e-6 });
  });
});

describe('predictions and eval sums do not depend on how the samples are chunked (bitwise)', () => {
  // The forward sums every z element in one order at any chunk size (layers/lstm.ts), so predict of
  // N samples at once, one by one, or in chunks of 3 gives the same bits; so do eval's f64 sums,
  // which add each sample's loss in run order.
  const cases: Array<[string, Spec[], 'ragged' | 'full' | number[], boolean]> = [
    ['LSTM(5) -> Dense(6), ragged with 0-length samples', [{ kind: 'lstm', units: 5, ract: 1 }, { kind: 'dense', units: 6, act: 'softmax' }], 'ragged', false],
    ['LSTM(64) -> Dense(4) (packed panels)', [{ kind: 'lstm', units: 64, ract: 0 }, { kind: 'dense', units: 4, act: 'softmax' }], [3, 0, 6, 1, 6, 2, 5, 4, 6], false],
    ['LSTM(4, sequences) -> LSTM(5) -> Dense(3), ragged', [{ kind: 'lstm', units: 4, ract: 0, seq: true }, { kind: 'lstm', units: 5, ract: 1 }, { kind: 'dense', units: 3, act: 'softmax' }], 'ragged', false],
    ['LSTM(5, sequences) -> Dense(3) on every step', [{ kind: 'lstm', units: 5, ract: 0, seq: true }, { kind: 'dense', units: 3, act: 'softmax' }], 'full', true],
  ];
  for (const [name, specs, lens, seq] of cases)
    for (const simd of [true, false]) {
      it(`${name} (simd=${simd})`, () => {
        const net = makeNet(2, specs);
        const N = 9;
        const data = randomData(80, N, 6, 2, net.V, lens, seq);
        const theta = randomTheta(81, net);
        const big = new Engine(net, simd, data, CCE7, ADAM, theta, { B: N });
        const small = new Engine(net, simd, data, CCE7, ADAM, theta, { B: 3 });
        const all = big.predict(0, N);
        const chunked = small.predict(0, N);
        const per = all.length / N;
        const oneByOne = ids(N).flatMap((n) => big.predict(n, 1));
        expectEqual('predict: 9 at once vs one by one', oneByOne, all);
        expectEqual('predict: chunks of 9 vs chunks of 3', chunked, all);
        big.evaluate(null, N);
        for (let n = 0; n < N; n++) small.evaluate([n], 1);
        expectEqual('eval stats: one call vs one call per sample', small.stats, big.stats);
        // and they are the float64 forward's (loose: this is about composition, see above for accuracy)
        const ref = ids(N).flatMap((n) => {
          const o = refSample(net, theta, data, n, CCE7).outs;
          return seq ? o.flat() : o[0];
        });
        expect(per).toBe(net.V * (seq ? data.T : 1));
        expectClose('predict vs float64', all, ref, { abs: 1e-6, rel: 1e-5 });
        big.dispose();
        small.dispose();
      });
    }
});

// ---- state: stateful runs and streaming --------------------------------------------------------------

describe('stateful state slots (H_STATEFUL, H_BS): sample j of a run continues slot j % H_BS', () => {
  const BS = 3;
  const H = 5;
  const specs: Spec[] = [{ kind: 'lstm', units: H, ract: 0 }, { kind: 'dense', units: 4, act: 'softmax' }];
  const net = makeNet(2, specs, BS);
  const rowsOf = (s: number[], k: number) => s.slice(k * H, (k + 1) * H); // [h rows | c rows] -> row k of h (or of c with k + BS)
  const initStates = () => [fround(uniform(prng(90), 2 * BS * H, -0.8, 0.8))];
  const slot = (s: number[][], k: number): State[] => [{ h: rowsOf(s[0], k), c: rowsOf(s[0], BS + k) }];
  const flatStates = (per: State[]) => [...per.flatMap((q) => q.h), ...per.flatMap((q) => q.c)];

  it('the plan makes a stateful header: H_STATEFUL 1, H_BS the batch size', () => {
    const a = new ModelArena(net.plan, true, 4, BS);
    const h = a.header();
    expect([h[H_STATEFUL], h[H_BS]]).toEqual([1, BS]);
    a.dispose();
  });

  for (const simd of [true, false])
    it(`predict_batch and eval_batches over 2·BS samples (lengths with 0): float64 replay per slot; chunks of 2 or 3 give the same bits (simd=${simd})`, () => {
      const data = randomData(91, 2 * BS, 4, 2, 4, [3, 0, 4, 2, 4, 1]);
      const theta = randomTheta(92, net);
      const s0 = initStates();
      // float64: slot k runs samples k, k + BS from its initial state, each continuing the last
      const refOut: number[][] = [];
      const last: State[] = [];
      let refLoss = 0;
      for (let k = 0; k < BS; k++) {
        let st = slot(s0, k);
        for (let n = k; n < 2 * BS; n += BS) {
          const r = refSample(net, theta, data, n, CCE7, st);
          refOut[n] = r.outs[0];
          refLoss += r.loss;
          st = r.states;
        }
        last[k] = st[0];
      }
      const refFinal = [...last.flatMap((q) => q.h), ...last.flatMap((q) => q.c)];
      const run = (B: number) => {
        const e = new Engine(net, simd, data, CCE7, ADAM, theta, { B });
        e.setStates(s0);
        const out = e.predict(0, 2 * BS);
        const after = e.states()[0];
        e.setStates(s0);
        e.evaluate(null, 2 * BS);
        const r = { out, after, stats: e.stats, evalAfter: e.states()[0] };
        e.dispose();
        return r;
      };
      const wide = run(8); // chunks of BS (a chunk never holds two samples of one slot)
      const narrow = run(2); // chunks of 2: positions 0,1 | 2,3 | 4,5 -> slots 0,1 | 2,0 | 1,2
      const tol = { abs: 1e-6, rel: 1e-5 };
      expectClose('predict vs float64 replay', wide.out, refOut.flat(), tol);
      expectClose('state slots after predict vs float64 replay', wide.after, refFinal, tol);
      expectClose('state slots after eval vs float64 replay', wide.evalAfter, refFinal, tol);
      expectClose('eval Σ loss vs float64 replay', [wide.stats[0]], [refLoss], { abs: 0, rel: 2e-6 });
      expectEqual('predict: chunks of 2 vs 3', narrow.out, wide.out);
      expectEqual('state slots: chunks of 2 vs 3', narrow.after, wide.after);
      expectEqual('eval stats: chunks of 2 vs 3', narrow.stats, wide.stats);
      // a 0-length sample (n = 1) leaves its slot's state as it found it: its output is the
      // float64 one from its initial state, and slot 1's final state comes from sample 4 alone
      expectClose('0-length sample output', wide.out.slice(4, 8), refOut[1], tol);
    });

  for (const simd of [true, false])
    it(`grad_batch from the slots' states: gradients vs FD with those initial states; the slots then hold each sample's last state (simd=${simd})`, () => {
      const data = randomData(93, BS, 4, 2, 4, [4, 2, 3]);
      const theta = randomTheta(94, net);
      const s0 = initStates();
      const e = new Engine(net, simd, data, CCE7, ADAM, theta, { B: BS });
      e.setStates(s0);
      e.grad(null, BS);
      const grads = e.grads;
      const after = e.states()[0];
      e.dispose();
      const fd = fdGrad(net, theta, (th) => meanLoss(net, th, data, ids(BS), CCE7, (n) => slot(s0, n)));
      expectSlices('grad vs FD (initial states from the slots)', net, grads, fd, FD_TOL);
      const refLast = ids(BS).map((n) => refSample(net, theta, data, n, CCE7, slot(s0, n)).states[0]);
      expectClose('slots after grad_batch', after, flatStates(refLast), { abs: 1e-6, rel: 1e-5 });
    });

  it('train_batches, 2 batches of BS with SGD: batch 2 continues the states batch 1 left, with the updated weights (float64 replay)', () => {
    const data = randomData(95, 2 * BS, 4, 2, 4, [4, 3, 2, 4, 1, 3]);
    const theta = randomTheta(96, net);
    const s0 = initStates();
    const lr = 0.3;
    const e = new Engine(net, true, data, CCE7, { kind: OPT_SGD, lr }, theta, { B: BS });
    e.setStates(s0);
    e.train(null, 2 * BS, BS);
    const params = e.params;
    const after = e.states()[0];
    const step = e.stepCount;
    e.dispose();
    let th = theta.slice();
    let states = ids(BS).map((k) => slot(s0, k));
    for (const first of [0, BS]) {
      const batch = ids(BS).map((j) => first + j);
      const g = fdGrad(net, th, (t) => meanLoss(net, t, data, batch, CCE7, (n) => states[n - first]));
      const next = batch.map((n) => refSample(net, th, data, n, CCE7, states[n - first]).states);
      th = th.map((p, i) => p - lr * g[i]);
      states = next;
    }
    expect(step).toBe(2);
    // as updates θ2 - θ0: twice one step's bound (the second gradient is taken at the engine's θ1,
    // within lr·FD_TOL of the replay's)
    expectSlices('params after 2 SGD steps vs float64 replay: θ2 - θ0', net, params.map((p, i) => p - theta[i]), th.map((p, i) => p - theta[i]),
      { abs: 2e-7 + 2 * lr * FD_TOL.abs, rel: 2 * FD_TOL.rel });
    expectClose('slots after 2 batches vs float64 replay', after, flatStates(states.map((s) => s[0])), { abs: 1e-6, rel: 1e-5 });
  });
});

describe('predict_steps: streaming one step at a time continues state rows 0..count-1, bitwise as whole sequences', () => {
  // A stateful per-step model (BS rows) and a stateless one (stateRows 1, predictStep's stream):
  // T calls of one step each give every step's output and the last states with the same bits as
  // one predict_batch of the whole sequences from the same states.
  const T = 5;
  for (const [name, BS] of [['stateful, 3 rows', 3], ['stateless, 1 row', 0]] as const)
    for (const simd of [true, false]) {
      it(`${name} (simd=${simd})`, () => {
        const rows = BS || 1;
        const net = makeNet(2, [{ kind: 'lstm', units: 6, ract: 1, seq: true }, { kind: 'dense', units: 3, act: 'softmax' }], BS || undefined);
        const data = randomData(100 + rows, rows, T, 2, 3, 'full', true);
        const theta = randomTheta(101, net);
        const s0 = BS ? [fround(uniform(prng(102), 2 * rows * 6, -0.8, 0.8))] : [new Array(2 * 6).fill(0)];
        const whole = new Engine(net, simd, data, CCE7, ADAM, theta, { B: rows });
        whole.setStates(s0);
        const all = whole.predict(0, rows); // (rows, T, 3); stateless: from zeros
        const wholeAfter = whole.states()[0];
        whole.dispose();
        const stream = new Engine(net, simd, data, CCE7, ADAM, theta, { T: 1, B: rows });
        stream.setStates(s0);
        const step = new DataBlock(rows, 1, 2, 0);
        const mem = new Mem();
        const out = mem.put(rows * 3);
        const got = new Array(rows * T * 3).fill(NaN);
        for (let t = 0; t < T; t++) {
          f32(step.x, rows * 2).set(ids(rows).flatMap((r) => data.x.slice((r * T + t) * 2, (r * T + t + 1) * 2)));
          i32(step.starts, rows).fill(0);
          i32(step.lens, rows).fill(1);
          kernels().predict_steps(stream.arena.desc, step.desc, rows, out);
          const o = mem.take(out, rows * 3);
          for (let r = 0; r < rows; r++) for (let v = 0; v < 3; v++) got[(r * T + t) * 3 + v] = o[r * 3 + v];
        }
        const streamAfter = stream.states()[0];
        step.dispose();
        mem.done();
        stream.dispose();
        expectEqual('every step\'s output: streamed vs whole', got, all);
        if (BS) expectEqual('state rows after: streamed vs whole', streamAfter, wholeAfter);
        else {
          // the stateless whole run starts from zeros and leaves the slots alone; the stream leaves
          // row 0 holding the last state, which is the float64 one
          const ref = refSample(net, theta, data, 0, CCE7).states[0];
          expectClose('stream state row 0 vs float64', streamAfter, [...ref.h, ...ref.c], { abs: 1e-6, rel: 1e-5 });
          expectEqual('predict_batch of a stateless model leaves the slots', wholeAfter, s0[0]);
        }
      });
    }
});

// ---- SIMD vs scalar ----------------------------------------------------------------------------------

describe('SIMD vs scalar over a short training run', () => {
  for (const act of [0, 1] as const)
    it(`act=${act}: 3 epochs, batch 2, H=33 V=26: same trajectory within float32 noise`, () => {
      const net = makeNet(1, [{ kind: 'lstm', units: 33, ract: act }, { kind: 'dense', units: 26, act: 'softmax' }]);
      const data = randomData(71, 12, 5, 1, 26, 'full'); // padded, start 0: the listing's shape
      const theta = randomTheta(72, net);
      const a = new Engine(net, true, data, CCE7, ADAM, theta, { B: 2 });
      const b = new Engine(net, false, data, CCE7, ADAM, theta, { B: 2 });
      for (let e = 0; e < 3; e++) {
        a.train(null, 12, 2);
        b.train(null, 12, 2);
      }
      const sa = { params: a.params, stats: a.stats, step: a.stepCount };
      const sb = { params: b.params, stats: b.stats, step: b.stepCount };
      a.dispose();
      b.dispose();
      // 18 Adam steps of lr 1e-3 move a parameter by up to ~0.018. Adam divides each gradient by
      // its own RMS, so where a gradient is near 0 (e.g. clipped hard_sigmoid gates), float32-level
      // differences between the twins (approximations <= 4e-7 per activation) are amplified to a
      // fraction of lr per step; 1e-5 (1% of one step) still catches a real divergence
      expectClose('params', sa.params, sb.params, { abs: 1e-5, rel: 0 });
      expectClose('Σ loss', [sa.stats[0]], [sb.stats[0]], { abs: 0, rel: 1e-5 });
      expect(sa.stats[1]).toBe(sb.stats[1]);
      expect([sa.step, sb.step]).toEqual([18, 18]);
    });
});
