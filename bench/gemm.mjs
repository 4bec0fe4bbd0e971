// The GEMM kernels (assembly/ops/gemm.ts) on the three products of a batched LSTM step, SIMD and
// scalar, called raw with byte offsets:
//   gates += h·U      gemm_nn_p (U packed once per batch) and gemm_nn (U plain)   M=B  N=4H K=H
//   dU += hᵀ·dz       gemm_tn_p (dz packed per call) and gemm_tn (dz plain)       M=H  N=4H R=B
//   dh = dz·Uᵀ        gemm_nt (U plain, B = U read row by row)                    M=B  N=H  K=4H
// plus pack_panels' cost per call (U: H x 4H; dz: B x 4H), and batch 1 at small H against today's
// per-step loop (lstm_forward over one step with no input, whose z = b + h·U is the same product,
// followed by 4H activations). GFLOP/s = 2·M·N·K per call / median time per call. tinybench times
// loops of calls lasting ~sampleMs; the median per call is taken per round, rounds interleave all
// tasks (drift on a noisy machine hits all alike), and the table shows the median over rounds; the
// JSON rows keep every round, and `spread` (max/min over rounds) says how noisy each figure was.
//   node --expose-gc bench/gemm.mjs [--quick]      (after npm run build)
import { Bench } from 'tinybench';
import { fileURLToPath } from 'node:url';
import { alloc, f32, kernels, ready } from '../dist/wasm.js';
import { codeVersion, collect, environment, fmtTime, markdownTable, median, note, sig } from './common.mjs';

export const HS = [32, 64, 128, 256, 512];
export const BS = [1, 8, 32, 128];
/** Batch-1 rows against lstm_forward's own loop. */
export const STEP_HS = [32, 64, 128];

const ACT_HARD_SIGMOID = 1;

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

/** Buffers of one H at the largest batch (smaller batches use their first rows). */
function buffers(H, Bmax, k) {
  const G = 4 * H;
  const sizes = {
    U: H * G, Up: k.panel_floats(H, G), dU: H * G, h: Bmax * H, gates: Bmax * G, dz: Bmax * G,
    dzp: k.panel_floats(Bmax, G), dh: Bmax * H, b: G, hs: 2 * H, cs: 2 * H, g1: G,
  };
  const p = {};
  for (const [name, n] of Object.entries(sizes)) p[name] = alloc(n * 4);
  // views only after the last alloc (an alloc may grow memory and detach older views)
  const rnd = filler(0x9e11 + H);
  for (const name of ['U', 'h', 'dz', 'gates', 'b', 'hs', 'cs']) {
    const v = f32(p[name], sizes[name]);
    const scale = name === 'U' ? 1 / Math.sqrt(H) : name === 'dz' ? 0.01 : 0.5;
    for (let i = 0; i < v.length; i++) v[i] = rnd(scale);
  }
  k.pack_panels(p.Up, p.U, H, G, G);
  return p;
}

/**
 * The timed products of one (H, B): `call(f)` runs kernel f (or its `_scalar` twin) once. Packing is
 * timed on its own (packs()): dU += hᵀ·dz through gemm_tn_p costs tn_p + pack dz per call.
 */
function products(H, B, p, k) {
  const G = 4 * H;
  return [
    { key: 'nn_p', product: 'gates += h·U', kernel: 'gemm_nn_p', M: B, N: G, K: H,
      call: (f) => f(p.gates, p.h, p.Up, B, G, H, H, G, 1, 0, 1) },
    { key: 'nn', product: 'gates += h·U', kernel: 'gemm_nn', M: B, N: G, K: H,
      call: (f) => f(p.gates, p.h, p.U, B, G, H, H, G, G, 1, 0, 1) },
    { key: 'tn_p', product: 'dU += hᵀ·dz', kernel: 'gemm_tn_p', M: H, N: G, K: B,
      call: (f) => f(p.dU, p.h, p.dzp, H, G, B, H, G, 0, 1) },
    { key: 'tn', product: 'dU += hᵀ·dz', kernel: 'gemm_tn', M: H, N: G, K: B,
      call: (f) => f(p.dU, p.h, p.dz, H, G, B, H, G, G, 0, 1) },
    { key: 'nt', product: 'dh = dz·Uᵀ', kernel: 'gemm_nt', M: B, N: H, K: G,
      call: (f) => f(p.dh, p.dz, p.U, B, H, G, G, G, H, 0, 0, 1) },
  ];
}

function packs(H, B, p, k) {
  const G = 4 * H;
  return [
    { key: 'packU', what: `pack U (${H}x${G})`, call: () => k.pack_panels(p.Up, p.U, H, G, G) },
    { key: 'packDz', what: `pack dz (${B}x${G})`, call: () => k.pack_panels(p.dzp, p.dz, B, G, G) },
  ];
}

/** reps so that one timed sample (a loop of reps calls) lasts about sampleMs. */
function calibrate(op, sampleMs) {
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < 5 || n < 3) { // warm the function into optimized code
    op();
    n++;
  }
  let reps = 1;
  for (;;) {
    const t = performance.now();
    for (let r = 0; r < reps; r++) op();
    const dt = performance.now() - t;
    if (dt > 0.05 || reps >= 1 << 20) return Math.max(1, Math.round((reps * sampleMs) / Math.max(dt, 1e-6)));
    reps *= 4;
  }
}

/**
 * Runs the GEMM benchmark; returns its rows: one per (product or pack, H, B, simd|scalar) with
 * the median ms per call, GFLOP/s (null for packs), every round's median, the max/min spread over
 * rounds, and `config` (rounds, tinybench settings, process CPU / wall time per round).
 */
export async function benchGemm({ quick }) {
  await ready();
  const k = kernels();
  const rounds = quick ? 1 : 5;
  const timeMs = quick ? 25 : 80;
  const warmupMs = quick ? 10 : 30;
  const sampleMs = 0.5;

  const tasks = []; // { row fields..., variant, fn, reps, perCall: [] }
  const add = (fields, op) => {
    const reps = calibrate(op, sampleMs);
    tasks.push({ ...fields, reps, perCall: [], fn: () => { for (let r = 0; r < reps; r++) op(); } });
  };
  for (const H of HS) {
    const p = buffers(H, Math.max(...BS), k);
    for (const B of BS) {
      for (const pr of products(H, B, p, k)) {
        for (const variant of ['simd', 'scalar']) {
          const f = k[variant === 'simd' ? pr.kernel : `${pr.kernel}_scalar`];
          const { call, ...fields } = pr;
          add({ ...fields, H, B, variant, flops: 2 * pr.M * pr.N * pr.K }, () => call(f));
        }
      }
      for (const pk of packs(H, B, p, k)) {
        if (pk.key === 'packU' && B !== BS[0]) continue; // U's pack does not depend on B
        add({ key: pk.key, product: pk.what, kernel: 'pack_panels', H, B: pk.key === 'packU' ? null : B, variant: 'simd', flops: null }, pk.call);
      }
    }
    if (STEP_HS.includes(H)) {
      // today's per-step loop: z = b + h·U over 4H columns (U plain, 4 accumulators), then the
      // activations and the cell update of H units
      const G = 4 * H;
      add({ key: 'step', product: 'lstm_forward, 1 step, D=0 (b + h·U, activations)', kernel: 'lstm_forward', H, B: 1, M: 1, N: G, K: H, variant: 'simd', flops: 2 * G * H },
        () => k.lstm_forward(p.hs, p.cs, p.g1, 0, 0, p.U, p.b, 1, 0, H, ACT_HARD_SIGMOID));
    }
  }
  note(`gemm: ${tasks.length} tasks, ${rounds} round(s) of ${timeMs} ms each`);
  const cpuPerWall = []; // per round: process CPU time / wall time (below 1: descheduled by other work)
  for (let round = 0; round < rounds; round++) {
    note(`gemm: round ${round + 1}/${rounds}`);
    collect();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const bench = new Bench({ time: timeMs, warmupTime: warmupMs, warmupIterations: 2, iterations: 5, throws: true, timestampProvider: 'hrtimeNow' });
    tasks.forEach((t, i) => bench.add(`${i}`, t.fn));
    await bench.run();
    bench.tasks.forEach((bt, i) => {
      const res = bt.result;
      if (!res || !res.latency) throw new Error(`gemm task ${tasks[i].kernel} H=${tasks[i].H} B=${tasks[i].B} has no result (${res?.state})`);
      tasks[i].perCall.push(res.latency.p50 / tasks[i].reps);
    });
    const c = process.cpuUsage(c0);
    cpuPerWall.push((c.user + c.system) / 1000 / (performance.now() - t0));
  }
  const config = { rounds, tinybench: { timeMs, warmupMs, sampleMs }, cpuPerWallRounds: cpuPerWall };
  return tasks.map(({ fn, perCall, ...t }) => {
    const ms = median(perCall);
    return {
      ...t,
      medianMs: ms,
      gflops: t.flops ? t.flops / (ms * 1e6) : null,
      spread: Math.max(...perCall) / Math.min(...perCall),
      roundsMs: perCall,
      config,
    };
  });
}

const KEYS = ['nn_p', 'nn', 'tn_p', 'tn', 'nt'];

/** The main table: GFLOP/s per (H, B), SIMD then scalar, and the packing costs. */
export function gemmTable(rows) {
  const get = (H, B, key, variant) => rows.find((r) => r.H === H && r.B === B && r.key === key && r.variant === variant);
  const header = [
    'H', 'B',
    ...KEYS.map((k) => `${k} SIMD`), ...KEYS.map((k) => `${k} scalar`),
    'pack U µs', 'pack dz µs',
  ];
  const body = [];
  for (const H of HS) {
    for (const B of BS) {
      const g = (key, v) => sig(get(H, B, key, v)?.gflops ?? NaN);
      const packU = rows.find((r) => r.H === H && r.key === 'packU');
      body.push([
        H, B,
        ...KEYS.map((key) => g(key, 'simd')), ...KEYS.map((key) => g(key, 'scalar')),
        sig(packU.medianMs * 1000), sig(get(H, B, 'packDz', 'simd').medianMs * 1000),
      ]);
    }
  }
  return markdownTable(header, body, []);
}

/** Batch 1: ns per call of the gates product against lstm_forward's per-step loop. */
export function stepTable(rows) {
  const header = ['H', 'gemm_nn_p M=1', 'gemm_nn M=1', 'lstm_forward 1 step', 'GFLOP/s nn_p', 'GFLOP/s nn', 'GFLOP/s step'];
  const body = STEP_HS.map((H) => {
    const get = (key) => rows.find((r) => r.H === H && r.B === 1 && r.key === key && r.variant === 'simd');
    const [a, b, c] = ['nn_p', 'nn', 'step'].map(get);
    return [H, fmtTime(a.medianMs), fmtTime(b.medianMs), fmtTime(c.medianMs), sig(a.gflops), sig(b.gflops), sig(c.gflops)];
  });
  return markdownTable(header, body, []);
}

/** Noise: the spread (max/min over rounds) of the SIMD GFLOP/s figures. */
export function noiseLine(rows) {
  const { rounds, cpuPerWallRounds } = rows[0].config;
  const s = rows.filter((r) => r.variant === 'simd' && r.flops).map((r) => r.spread).sort((a, b) => a - b);
  const share = `process CPU / wall time per round ${cpuPerWallRounds.map((x) => x.toFixed(2)).join(', ')} (1.00: never descheduled)`;
  if (rounds < 2) return `one round, so no spread over rounds (run without --quick for it); ${share}`;
  return `spread over ${rounds} rounds (max/min per figure, SIMD): median ${sig(median(s))}x, worst ${sig(s[s.length - 1])}x; ${share}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const quick = process.argv.includes('--quick');
  const env = { ...environment(), ...(await codeVersion()) };
  const rows = await benchGemm({ quick });
  console.log(`# GEMM kernels (${quick ? 'quick' : 'full'})`);
  console.log(`\`node --expose-gc bench/gemm.mjs${quick ? ' --quick' : ''}\` · Node ${env.node} · ${env.cpu} (${env.cores} cores, load ${env.loadavgAtStart.join(' ')}) · kernels ${env.wasmSha256} · commit ${env.commit}\n`);
  console.log('GFLOP/s (2·M·N·K / median time per call): nn_p, nn: gates += h·U (M=B N=4H K=H); tn_p, tn: dU += hᵀ·dz (M=H N=4H R=B); nt: dh = dz·Uᵀ (M=B N=H K=4H). pack: µs per pack_panels call (U: H x 4H, once per batch; dz: B x 4H, for tn_p).\n');
  console.log(gemmTable(rows));
  console.log('\nBatch 1, the gates product alone vs today\'s per-step loop (which adds the activations of H units):\n');
  console.log(stepTable(rows));
  console.log(`\n${noiseLine(rows)}; load average at end ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ')}`);
}
