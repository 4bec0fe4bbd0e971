// Oracle: central finite differences. The function differentiated is a plain float64 JS forward of
// the whole model (LSTM + Dense + softmax + cross-entropy, both gate activations, both presets'
// losses), written here from SPEC.md section 3 and itself checked first against a hand-worked case
// and against our predict/evaluate. The analytic gradients under test come from
// model.computeGradients for kernels 'scalar' (tightest) and 'simd'. A second, weaker check
// differences the library's own float32 loss through setWeights + evaluate.
import { beforeAll, describe, expect, it } from 'vitest';
import { adam, dense, lstm, ready, sequential } from '../src/index.js';
import { centralDiffs, compareClose, expectClose, handLstm1, Prng, randomOneHot } from './helpers/compare.js';

type Act = 'sigmoid' | 'hardSigmoid';
type PresetName = 'keras2' | 'keras3';
type Kernels = 'simd' | 'scalar';

interface Dims { N: number; T: number; D: number; H: number; V: number }

/** Keras's categorical cross-entropy clip in the keras2 preset. */
const CLIP = 1e-7;

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const hardSigmoid = (z: number) => Math.min(1, Math.max(0, 0.2 * z + 0.5));

interface Trace {
  /** smallest | |z| - 2.5 | over every gate pre-activation (i, f, o) seen: the hard-sigmoid kinks */
  minKink: number;
  /** gate pre-activations with |z| > 2.5 (hard sigmoid saturated, zero derivative) and the total */
  saturated: number;
  gates: number;
  /** samples whose target probability was clipped (keras2 loss) */
  clipped: number;
}

/**
 * The model in float64. Weights in Keras order and layout: W (D,4H), U (H,4H), b (4H), K (H,V),
 * bd (V); gate blocks i, f, c, o. x is (N,T,D) row-major, y (N,V).
 * keras2: mean_n -sum_v y log(clip(p, 1e-7, 1-1e-7)); keras3: mean_n -sum_v y (z - logsumexp(z)).
 */
function forward64(
  w: ArrayLike<number>[], x: ArrayLike<number>, y: ArrayLike<number>, d: Dims, act: Act, preset: PresetName, trace?: Trace,
): { loss: number; probs: Float64Array } {
  const { N, T, D, H, V } = d;
  const [W, U, b, K, bd] = w;
  const G = 4 * H;
  const sig = act === 'sigmoid' ? sigmoid : hardSigmoid;
  const probs = new Float64Array(N * V);
  const h = new Float64Array(H);
  const c = new Float64Array(H);
  const z = new Float64Array(G);
  const logits = new Float64Array(V);
  let lossSum = 0;
  for (let n = 0; n < N; n++) {
    h.fill(0);
    c.fill(0);
    for (let t = 0; t < T; t++) {
      for (let g = 0; g < G; g++) {
        let s = b[g];
        for (let k = 0; k < D; k++) s += x[(n * T + t) * D + k] * W[k * G + g];
        for (let k = 0; k < H; k++) s += h[k] * U[k * G + g];
        z[g] = s;
      }
      for (let j = 0; j < H; j++) {
        const zi = z[j], zf = z[H + j], zc = z[2 * H + j], zo = z[3 * H + j];
        if (trace) {
          for (const q of [zi, zf, zo]) {
            trace.minKink = Math.min(trace.minKink, Math.abs(Math.abs(q) - 2.5));
            trace.gates++;
            if (Math.abs(q) > 2.5) trace.saturated++;
          }
        }
        const cj = sig(zf) * c[j] + sig(zi) * Math.tanh(zc);
        c[j] = cj;
        h[j] = sig(zo) * Math.tanh(cj);
      }
    }
    let mx = -Infinity;
    for (let v = 0; v < V; v++) {
      let s = bd[v];
      for (let j = 0; j < H; j++) s += h[j] * K[j * V + v];
      logits[v] = s;
      mx = Math.max(mx, s);
    }
    let se = 0;
    for (let v = 0; v < V; v++) se += Math.exp(logits[v] - mx);
    const lse = mx + Math.log(se);
    for (let v = 0; v < V; v++) {
      const p = Math.exp(logits[v] - lse);
      probs[n * V + v] = p;
      const yv = y[n * V + v];
      if (yv === 0) continue;
      if (preset === 'keras2') {
        const pc = Math.min(1 - CLIP, Math.max(CLIP, p));
        if (trace && pc !== p) trace.clipped++;
        lossSum -= yv * Math.log(pc);
      } else {
        lossSum -= yv * (logits[v] - lse);
      }
    }
  }
  return { loss: lossSum / N, probs };
}

/** Central differences of forward64's loss for the chosen flat indices of each weight tensor. */
function fd64(
  w: Float64Array[], x: ArrayLike<number>, y: ArrayLike<number>, d: Dims, act: Act, preset: PresetName, h: number, pick: number[][],
): Float64Array[] {
  return centralDiffs(w, pick, h, () => forward64(w, x, y, d, act, preset).loss);
}

function tensorSizes(d: Dims): number[] {
  const { D, H, V } = d;
  return [D * 4 * H, H * 4 * H, 4 * H, H * V, V];
}

/** Deterministic random weights (float32 values), not the library's initialiser. */
function randomWeights(rng: Prng, d: Dims, scale = 1): Float32Array[] {
  const [a, b, c, e, f] = tensorSizes(d);
  return [rng.floats(a, -0.6 * scale, 0.6 * scale), rng.floats(b, -0.5 * scale, 0.5 * scale), rng.floats(c, -0.5 * scale, 0.5 * scale),
    rng.floats(e, -0.8 * scale, 0.8 * scale), rng.floats(f, -0.3, 0.3)];
}

function makeModel(d: Dims, act: Act, preset: PresetName, kernels: Kernels, weights: Float32Array[]) {
  const model = sequential({ seed: 1, preset, kernels, layers: [
    lstm({ units: d.H, inputShape: [d.T, d.D], recurrentActivation: act }),
    dense({ units: d.V, activation: 'softmax' }),
  ] });
  model.compile({ loss: 'categoricalCrossentropy', optimizer: adam(), metrics: ['accuracy'] });
  model.setWeights(weights);
  return model;
}

const NAMES = ['lstm/kernel', 'lstm/recurrent_kernel', 'lstm/bias', 'dense/kernel', 'dense/bias'];

// Tolerances. The FD side is float64 (h = 1e-5: truncation ~h^2, round-off ~1e-16/h, both
// < 1e-9), so what is left is the float32 arithmetic of the analytic side. Measured worst
// |diff| is ~5e-8 for both kernel sets (gradients are O(1e-3..1e-1)). Scalar kernels use
// Mathf's exp/tanh: 3e-7 absolute + 3e-5 relative (>= 6x margin). SIMD kernels may use their
// stated tanh/exp approximation budget (<= ~1e-6 absolute), so they get 1e-6 + 1e-4 relative.
const H_FD = 1e-5;
const GRAD_TOL: Record<Kernels, { atol: number; rtol: number }> = {
  scalar: { atol: 3e-7, rtol: 3e-5 },
  simd: { atol: 1e-6, rtol: 1e-4 },
};
// The forward itself: probabilities and the mean loss, float32 vs float64.
const PROB_TOL = { atol: 1e-6, rtol: 1e-5 };
const LOSS_TOL = { atol: 1e-6, rtol: 1e-6 };

interface Case { d: Dims; act: Act; preset: PresetName; seed: number; scale?: number; maxPerTensor?: number; inputs?: 'uniform' | 'letters' }

function runCase(cs: Case, kernelsList: Kernels[] = ['scalar', 'simd']): { saturatedFraction: number } {
  const { d, act, preset } = cs;
  const rng = new Prng(cs.seed);
  const weights = randomWeights(rng, d, cs.scale ?? 1);
  const x = cs.inputs === 'letters'
    ? Float32Array.from({ length: d.N * d.T * d.D }, () => Math.fround(rng.int(26) / 26))
    : rng.floats(d.N * d.T * d.D, -1, 1);
  const { data: y } = randomOneHot(rng, d.N, d.V);
  const w64 = weights.map((t) => Float64Array.from(t));
  const trace: Trace = { minKink: Infinity, saturated: 0, gates: 0, clipped: 0 };
  const ref = forward64(w64, x, y, d, act, preset, trace);
  if (act === 'hardSigmoid') {
    // FD across a kink is meaningless: the perturbation moves a pre-activation by ~h, so demand a wide margin.
    expect(trace.minKink, 'a hard-sigmoid pre-activation sits next to the +-2.5 kink; pick another seed').toBeGreaterThan(1e-3);
  }
  expect(trace.clipped, 'no clipped sample expected in this case').toBe(0);
  const sizes = tensorSizes(d);
  const pick = sizes.map((n) => rng.sample(n, cs.maxPerTensor ?? n));
  const fd = fd64(w64, x, y, d, act, preset, H_FD, pick);
  for (const kernels of kernelsList) {
    const model = makeModel(d, act, preset, kernels, weights);
    try {
      const tag = `${preset}/${act}/${kernels} N${d.N} T${d.T} D${d.D} H${d.H} V${d.V}`;
      const xt = { shape: [d.N, d.T, d.D], data: x };
      const yt = { shape: [d.N, d.V], data: y };
      // The float64 oracle and the library agree on the forward pass...
      expectClose(`${tag} predict vs float64 forward`, model.predict(xt).data, ref.probs, PROB_TOL, [d.N, d.V]);
      const [evLoss] = model.evaluate(xt, yt);
      expectClose(`${tag} evaluate loss vs float64 forward`, [evLoss], [ref.loss], LOSS_TOL);
      // ...and the analytic gradients match float64 central differences.
      const { loss, grads } = model.computeGradients(xt, yt);
      expectClose(`${tag} computeGradients loss vs float64 forward`, [loss], [ref.loss], LOSS_TOL);
      expect(grads.map((g) => g.name)).toEqual(NAMES);
      grads.forEach((g, k) => {
        expect(g.shape.reduce((a, b) => a * b, 1)).toBe(sizes[k]);
        const ours = pick[k].map((i) => g.data[i]);
        expectClose(`${tag} d loss/d ${g.name} (${pick[k].length} of ${sizes[k]}) vs float64 FD`, ours, fd[k], GRAD_TOL[kernels]);
      });
      // The gradient is not trivially zero: the comparison above means something.
      const norm = grads.reduce((s, g) => s + g.data.reduce((a, v) => a + v * v, 0), 0);
      expect(norm).toBeGreaterThan(1e-6);
    } finally {
      model.dispose();
    }
  }
  return { saturatedFraction: trace.saturated / trace.gates };
}

beforeAll(async () => {
  await ready();
});

describe('oracle self-checks', () => {
  it('expectClose fails with the tensor name, count, max |diff|, index and both values', () => {
    expect(() => expectClose('t', [1, 2, 3.5], [1, 2, 3], { atol: 1e-3, rtol: 0 }, [3])).toThrow(
      /t: 1 of 3 elements off .*max \|diff\| 0\.5\d* at \[2\]: ours 3\.5\d* vs ref 3\.0*/,
    );
    expect(() => expectClose('nan', [NaN], [0], { atol: 1, rtol: 1 })).toThrow(/nan: 1 of 1/);
    expect(() => expectClose('len', [1], [1, 2], { atol: 1, rtol: 1 })).toThrow(/length/);
    expect(expectClose('ok', [1, 2 + 1e-9], [1, 2], { atol: 1e-8, rtol: 0 }).off).toBe(0);
    expect(compareClose([0, 5, 0], [0, 0, 0], { atol: 1, rtol: 0 }).maxAbsIndex).toBe(1);
  });

  it('Prng is deterministic', () => {
    const a = new Prng(42).floats(5, -1, 1);
    const b = new Prng(42).floats(5, -1, 1);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(new Prng(43).floats(5, -1, 1))).not.toEqual(Array.from(a));
    expect(new Prng(1).sample(10, 4)).toHaveLength(4);
  });

  it('float64 forward matches a hand-worked T=2, D=1, H=1, V=2 case (gate order i, f, c, o)', () => {
    // Distinct weight per gate, so a swapped gate order changes the answer.
    const W = [0.5, -0.3, 0.8, 0.2]; // i f c o
    const U = [0.1, 0.4, -0.6, 0.3];
    const b = [0.05, 1, -0.1, 0.2];
    const K = [1.5, -0.7];
    const bd = [0.1, -0.2];
    const x = [0.9, -0.4];
    for (const act of ['sigmoid', 'hardSigmoid'] as const) {
      const h = handLstm1(x, W, U, b, act === 'sigmoid' ? sigmoid : hardSigmoid);
      const l0 = h * K[0] + bd[0];
      const l1 = h * K[1] + bd[1];
      const p1 = Math.exp(l1) / (Math.exp(l0) + Math.exp(l1));
      for (const preset of ['keras2', 'keras3'] as const) {
        const r = forward64([W, U, b, K, bd], x, [0, 1], { N: 1, T: 2, D: 1, H: 1, V: 2 }, act, preset);
        expect(r.probs[1]).toBeCloseTo(p1, 14);
        expect(r.loss).toBeCloseTo(-Math.log(p1), 13);
      }
    }
    expect(hardSigmoid(-3)).toBe(0);
    expect(hardSigmoid(3)).toBe(1);
    expect(hardSigmoid(1)).toBeCloseTo(0.7, 15);
  });

  it('the float64 FD of the float64 forward matches its own closed-form dense-bias gradient (mean(p - y))', () => {
    const d: Dims = { N: 3, T: 2, D: 2, H: 3, V: 4 };
    const rng = new Prng(5);
    const w = randomWeights(rng, d).map((t) => Float64Array.from(t));
    const x = rng.floats(d.N * d.T * d.D, -1, 1);
    const { data: y } = randomOneHot(rng, d.N, d.V);
    const { probs } = forward64(w, x, y, d, 'sigmoid', 'keras3');
    const closed = new Float64Array(d.V);
    for (let n = 0; n < d.N; n++) for (let v = 0; v < d.V; v++) closed[v] += (probs[n * d.V + v] - y[n * d.V + v]) / d.N;
    const all = tensorSizes(d).map((n) => Array.from({ length: n }, (_, i) => i));
    const fd = fd64(w, x, y, d, 'sigmoid', 'keras3', H_FD, all);
    expectClose('float64 FD dense/bias vs mean(p - y)', fd[4], closed, { atol: 1e-9, rtol: 1e-7 });
  });
});

// Every shape the brief asks for: H in {1,3,5,8}, D in {1,3}, T in {1,4}; V and N vary with them.
const SHAPES: Dims[] = [];
for (const H of [1, 3, 5, 8]) for (const D of [1, 3]) for (const T of [1, 4]) {
  const k = SHAPES.length;
  SHAPES.push({ N: 4 + (k % 3), T, D, H, V: [4, 5, 3, 6][k % 4] });
}

describe('analytic gradients vs float64 central differences (every weight)', () => {
  for (const preset of ['keras2', 'keras3'] as const) {
    for (const act of ['hardSigmoid', 'sigmoid'] as const) {
      it(`${preset}, ${act}: all 16 shapes, kernels scalar and simd`, () => {
        SHAPES.forEach((d, k) => runCase({ d, act, preset, seed: 1000 + 37 * k + (act === 'sigmoid' ? 1 : 0) + (preset === 'keras3' ? 2 : 0) }));
      });
    }
  }

  it('hard sigmoid with large weights: saturated gates (zero derivative) are handled too', () => {
    for (const preset of ['keras2', 'keras3'] as const) {
      const { saturatedFraction } = runCase({ d: { N: 5, T: 4, D: 3, H: 5, V: 4 }, act: 'hardSigmoid', preset, seed: 78, scale: 4 });
      // Both branches of the hard sigmoid are exercised: some gates saturated, most not.
      expect(saturatedFraction).toBeGreaterThan(0.1);
      expect(saturatedFraction).toBeLessThan(0.9);
    }
  });

  it('listing shape T=5, D=1, H=32, V=26 with k/26 inputs: >= 40 sampled weights per tensor', () => {
    for (const preset of ['keras2', 'keras3'] as const) {
      for (const act of ['hardSigmoid', 'sigmoid'] as const) {
        runCase({ d: { N: 6, T: 5, D: 1, H: 32, V: 26 }, act, preset, seed: 321 + (act === 'sigmoid' ? 1 : 0), scale: 0.5, maxPerTensor: 48, inputs: 'letters' });
      }
    }
  });
});

describe('clipped cross-entropy (a sample whose target probability is below 1e-7)', () => {
  // Dense bias -25 on class 0 makes p(class 0) ~ 1e-11 for every sample; samples 0 and 3 have
  // label 0. keras2: their loss is -log(1e-7) each and, the clip being flat there, they contribute
  // no gradient (as Keras 2's clip_by_value and tfjs's clipByValue). keras3: from logits, no clip.
  const d: Dims = { N: 4, T: 3, D: 2, H: 3, V: 4 };
  for (const preset of ['keras2', 'keras3'] as const) {
    it(`${preset}: loss and gradients match the float64 definition, kernels scalar and simd`, () => {
      const rng = new Prng(2024);
      const weights = randomWeights(rng, d, 0.5);
      weights[4] = Float32Array.from([-25, 0.1, -0.1, 0.2]);
      const x = rng.floats(d.N * d.T * d.D, -1, 1);
      const y = new Float32Array(d.N * d.V);
      [0, 1, 2, 0].forEach((label, n) => (y[n * d.V + label] = 1));
      const w64 = weights.map((t) => Float64Array.from(t));
      const trace: Trace = { minKink: Infinity, saturated: 0, gates: 0, clipped: 0 };
      const ref = forward64(w64, x, y, d, 'sigmoid', preset, trace);
      if (preset === 'keras2') {
        expect(trace.clipped).toBe(2);
        expect(ref.loss).toBeGreaterThan(8); // two of four samples at -log(1e-7) = 16.1
      } else {
        expect(ref.loss).toBeGreaterThan(12); // two of four samples near 25
      }
      const all = tensorSizes(d).map((n) => Array.from({ length: n }, (_, i) => i));
      const fd = fd64(w64, x, y, d, 'sigmoid', preset, H_FD, all);
      for (const kernels of ['scalar', 'simd'] as const) {
        const model = makeModel(d, 'sigmoid', preset, kernels, weights);
        try {
          const tag = `clipped ${preset}/${kernels}`;
          const xt = { shape: [d.N, d.T, d.D], data: x };
          const yt = { shape: [d.N, d.V], data: y };
          expectClose(`${tag} evaluate loss`, [model.evaluate(xt, yt)[0]], [ref.loss], LOSS_TOL);
          const { loss, grads } = model.computeGradients(xt, yt);
          expectClose(`${tag} computeGradients loss`, [loss], [ref.loss], LOSS_TOL);
          grads.forEach((g, k) => expectClose(`${tag} d loss/d ${g.name} vs float64 FD`, g.data, fd[k], GRAD_TOL[kernels]));
        } finally {
          model.dispose();
        }
      }
    });
  }
});

describe('float32 central differences through setWeights + evaluate (the library differencing itself)', () => {
  // The loss is float32 per sample (~1e-7 relative round-off, plus the SIMD approximations), so
  // the difference quotient carries ~1e-7 * L / h of noise; h = 3e-3 balances that against the
  // h^2 truncation. Loose tolerance, but an independent path: setWeights -> evaluate.
  const h = 3e-3;
  // Measured worst |diff| ~2e-5; 1.5e-4 + 0.5% keeps ~7x margin.
  const tol = { scalar: { atol: 1.5e-4, rtol: 5e-3 }, simd: { atol: 1.5e-4, rtol: 5e-3 } };
  const d: Dims = { N: 5, T: 4, D: 3, H: 3, V: 5 };
  for (const preset of ['keras2', 'keras3'] as const) {
    for (const act of ['hardSigmoid', 'sigmoid'] as const) {
      it(`${preset}, ${act}: every weight, kernels scalar and simd`, () => {
        const rng = new Prng(555 + (act === 'sigmoid' ? 1 : 0));
        const weights = randomWeights(rng, d);
        const x = rng.floats(d.N * d.T * d.D, -1, 1);
        const { data: y } = randomOneHot(rng, d.N, d.V);
        const trace: Trace = { minKink: Infinity, saturated: 0, gates: 0, clipped: 0 };
        forward64(weights, x, y, d, act, preset, trace);
        if (act === 'hardSigmoid') expect(trace.minKink, 'kink too close for h = 3e-3').toBeGreaterThan(0.05);
        const xt = { shape: [d.N, d.T, d.D], data: x };
        const yt = { shape: [d.N, d.V], data: y };
        for (const kernels of ['scalar', 'simd'] as const) {
          const model = makeModel(d, act, preset, kernels, weights);
          try {
            const { grads } = model.computeGradients(xt, yt);
            weights.forEach((tensor, k) => {
              const fd = new Float64Array(tensor.length);
              for (let i = 0; i < tensor.length; i++) {
                const pert = weights.map((t) => Float32Array.from(t));
                pert[k][i] = tensor[i] + h;
                model.setWeights(pert);
                const lp = model.evaluate(xt, yt)[0];
                pert[k][i] = tensor[i] - h;
                model.setWeights(pert);
                const lm = model.evaluate(xt, yt)[0];
                // the float32 perturbation actually applied, not the nominal 2h
                fd[i] = (lp - lm) / (Math.fround(tensor[i] + h) - Math.fround(tensor[i] - h));
              }
              expectClose(`${preset}/${act}/${kernels} d loss/d ${NAMES[k]} vs float32 FD (h=${h})`, grads[k].data, fd, tol[kernels]);
            });
          } finally {
            model.dispose();
          }
        }
      });
    }
  }
});
