// Part `grid`: lstm-wasm against its peers at real model sizes, through the public API only.
// Model at every point: lstm({ units: H, inputShape: [T, D] }) -> dense({ units: 10, softmax }),
// categorical cross-entropy, Adam(0.001), preset keras3 (sigmoid gates, as PyTorch), random data
// from a seeded counter-based generator. Training: median over interleaved rounds of whole `fit`
// calls over N samples (N per implementation, so a round lasts ~targetMs), µs per sample wall and
// CPU, GFLOP/s counted as 3 x 2·T·(D+H)·4H per sample (the LSTM only). Predict: µs per sequence
// for one call over M sequences (M = 1,024 for lstm-wasm), and for one sequence alone.
//
// Peers run where they are: lstm-wasm SIMD and scalar in this process; TensorFlow.js (cpu, wasm
// with 1 and 2 threads) and PyTorch (1 and 2 threads, bench/torch_grid.py) in child processes that
// answer one JSON request per line, so every implementation keeps its model alive and rounds can
// interleave all of them. `node bench/grid.mjs --serve tfjs --backend wasm --threads 1` is such a
// child; `node bench/grid.mjs --svg bench/results/grid.json [out.svg]` redraws the picture.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BENCH_DIR, ROOT, collect, fmtRatio, markdownTable, measure, median, note, sig } from './common.mjs';

// ---------------------------------------------------------------- pure helpers (test/bench-grid.test.ts)

/** Training flops per sample counted for GFLOP/s: 3 x the forward's 2·T·(D+H)·4H (LSTM only). */
export const trainFlops = ({ H, T, D }) => 3 * forwardFlops({ H, T, D });
/** Forward flops per sequence: x·W + h·U over T steps, 2·T·(D+H)·4H. */
export const forwardFlops = ({ H, T, D }) => 2 * T * (D + H) * 4 * H;

/**
 * n uniforms in [0, 1) of mulberry32 seeded with `seed`, in its counter form: output k hashes
 * seed + (k+1)·0x6D2B79F5, so bench/torch_grid.py computes the same stream vectorised in numpy.
 */
export function mulberry32(seed, n) {
  const out = new Float64Array(n);
  let a = seed | 0;
  for (let k = 0; k < n; k++) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t = (t + Math.imul(t ^ (t >>> 7), t | 61)) ^ t;
    out[k] = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  return out;
}

/**
 * A point's data: x (n, T, D) uniform in [-1, 1) from stream `seed`, labels 0..9 from stream
 * seed + 1, y their one-hot rows (n, 10). Sample-major, so the first k samples of n are the k-set.
 */
export function gridData(seed, n, T, D) {
  const u = mulberry32(seed, n * T * D);
  const x = new Float32Array(u.length);
  for (let i = 0; i < u.length; i++) x[i] = 2 * u[i] - 1;
  const l = mulberry32(seed + 1, n);
  const labels = new Int32Array(n);
  const y = new Float32Array(n * 10);
  for (let i = 0; i < n; i++) {
    labels[i] = Math.floor(l[i] * 10);
    y[i * 10 + labels[i]] = 1;
  }
  return { x, y, labels };
}

/** What torch_grid.py sums over its copy of the data: the first 4096 x values and all labels. */
export function dataChecksum({ x, labels }) {
  let xSum = 0;
  for (let i = 0; i < Math.min(4096, x.length); i++) xSum += x[i];
  let labelSum = 0;
  for (const v of labels) labelSum += v;
  return { xSum, labelSum };
}

const pt = (H, T, D, B, quick, why) => ({ H, T, D, B, quick, why });
/**
 * The grid, sub-sampled: every H at T=50 D=16 for batch 32 and for batch 1; every batch size at
 * H=256; T and D varied at H=128; the point of target (b). `quick` marks the quick run's subset.
 */
export const GRID_POINTS = [
  ...[32, 64, 128, 256, 512].map((H) => pt(H, 50, 16, 32, true, 'H sweep')),
  ...[32, 64, 128, 256, 512].map((H) => pt(H, 50, 16, 1, H >= 64, 'H sweep, batch 1')),
  pt(64, 50, 16, 128, false, 'batch sweep'),
  pt(256, 50, 16, 128, true, 'batch sweep'),
  pt(128, 5, 16, 32, false, 'T sweep'),
  pt(128, 200, 16, 32, false, 'T sweep'),
  pt(128, 50, 1, 32, false, 'D sweep'),
  pt(128, 20, 8, 32, true, 'target (b)'),
];
/** Predict points: M sequences in one call (M = 1,024 but at H=512, where one call would take seconds). */
export const PREDICT_POINTS = [
  { H: 64, T: 50, D: 16, M: 1024, quick: true },
  { H: 128, T: 20, D: 8, M: 1024, quick: false },
  { H: 256, T: 50, D: 16, M: 1024, quick: true },
  { H: 512, T: 50, D: 16, M: 256, quick: false },
];

export const pointKey = (p) => `H=${p.H} T=${p.T} D=${p.D}${p.B === undefined ? '' : ` B=${p.B}`}`;

/** The settings of one run. Quick rounds are shorter than the 0.5-2 s a full round aims at. */
export function gridPlan(quick) {
  return quick
    ? { mode: 'quick', rounds: 3, targetMs: 300, maxEpochs: 20, dataFloats: 4 << 20, maxSamples: 16384 }
    : { mode: 'full', rounds: 5, targetMs: 800, maxEpochs: 20, dataFloats: 4 << 20, maxSamples: 16384 };
}

/** The multiple of B nearest n (at least B). */
export const roundToBatch = (n, B) => Math.max(B, Math.round(n / B) * B);

/** How many samples a point's data set holds: the data capped at plan.dataFloats floats, a multiple of B. */
export const samplesCap = (p, plan) => Math.max(p.B, Math.floor(Math.min(plan.maxSamples, Math.floor(plan.dataFloats / (p.T * p.D))) / p.B) * p.B);

/**
 * N and epochs of one round from a measured µs per sample: N samples (a multiple of B, at least
 * one batch) so a one-epoch fit takes ~targetMs; when even the whole data set is shorter than half
 * the target, several epochs over it (at most maxEpochs).
 */
export function planRound({ usPerSample, targetMs, B, nMax, maxEpochs }) {
  const want = (targetMs * 1000) / usPerSample;
  if (want <= nMax) return { n: Math.min(nMax, roundToBatch(Math.round(want), B)), epochs: 1 };
  return { n: nMax, epochs: Math.max(1, Math.min(maxEpochs, Math.round(want / nMax))) };
}

/**
 * The implementations compared. `rate` is an assumed training GFLOP/s (batch >= 8, batch < 8)
 * used only to size the first warm-up fit; `maxBatchGflop` skips points where one batch alone
 * would make a round far longer than planned (quick, full); `maxSampleMflop` keeps a peer to the
 * small points.
 */
export const PEERS = [
  { id: 'simd', label: 'lstm-wasm SIMD', rate: [20, 20] },
  { id: 'scalar', label: 'lstm-wasm scalar', rate: [2.5, 2.5], maxSampleMflop: 10 },
  { id: 'tfjs-cpu', label: 'tfjs cpu', rate: [0.3, 0.1], maxBatchGflop: [0.25, 1] },
  { id: 'tfjs-wasm-1', label: 'tfjs wasm 1t', rate: [2, 0.4], maxBatchGflop: [3, 12] },
  { id: 'tfjs-wasm-2', label: 'tfjs wasm 2t', rate: [3, 0.4], maxBatchGflop: [3, 12] },
  { id: 'torch-1', label: 'PyTorch 1t', rate: [30, 2] },
  { id: 'torch-2', label: 'PyTorch 2t', rate: [40, 2] },
];

/**
 * Why `peer` does not run at training point p in this mode ({ rule, text }), or null when it does.
 * The text names the rule; the point's own figure goes with the point where the list is printed.
 */
export function skipReason(peer, p, quick) {
  const mflop = trainFlops(p) / 1e6;
  if (peer.maxSampleMflop !== undefined && mflop > peer.maxSampleMflop) {
    return { rule: 'sample', text: `small points only: skipped where a training sample is over ${peer.maxSampleMflop} MFLOP`, value: `${sig(mflop)} MFLOP` };
  }
  if (peer.maxBatchGflop) {
    const limit = peer.maxBatchGflop[quick ? 0 : 1];
    const gflop = (mflop * p.B) / 1000;
    if (gflop > limit) {
      return { rule: 'batch', text: `skipped where one batch is over ${limit} GFLOP (${quick ? 'quick' : 'full'} run; at the ${peer.rate[0]} GFLOP/s assumed for it, ${sig(limit / peer.rate[0])} s or more per batch)`, value: `${sig(gflop)} GFLOP` };
    }
  }
  return null;
}

/** Spread of a list of rounds: (max - min) / median. */
export const spread = (xs) => (xs.length ? (Math.max(...xs) - Math.min(...xs)) / median(xs) : NaN);

// ---------------------------------------------------------------- tables, targets, picture

const PEER_ORDER = PEERS.map((p) => p.id);
export const labelOf = (id) => PEERS.find((p) => p.id === id)?.label ?? id;

/** The peers that could run (the others are listed with their reason under the tables), in PEERS order. */
function shownPeers(result) {
  return PEER_ORDER.filter((id) => result.peers[id]?.ok);
}

function cellText(c, ratio, fmt) {
  if (!c) return '';
  if (c.status === 'skipped') return 'skipped';
  if (c.status !== 'ok') return 'error';
  return fmt(c, ratio);
}

/** Markdown: rows = training points, columns = peers; µs per sample · GFLOP/s · ÷ lstm-wasm SIMD. */
export function gridTable(result) {
  const ids = shownPeers(result);
  const rows = result.training.map((row) => {
    const simd = row.cells.simd;
    return [
      pointKey(row.point),
      sig(trainFlops(row.point) / 1e6),
      ...ids.map((id) => cellText(row.cells[id], null, (c) =>
        `${sig(c.usPerSample)} · ${sig(c.gflops)} · ${simd?.status === 'ok' ? fmtRatio(c.usPerSample / simd.usPerSample) : '-'}`)),
    ];
  });
  return markdownTable(['point', 'MFLOP / sample', ...ids.map(labelOf)], rows);
}

/** Markdown: CPU µs per sample, the rounds' spread and what one round timed (N samples x epochs). */
export function gridCpuTable(result) {
  const ids = shownPeers(result);
  const rows = result.training.map((row) => [
    pointKey(row.point),
    ...ids.map((id) => cellText(row.cells[id], null, (c) =>
      `${sig(c.cpuUsPerSample)} · ${Math.round(c.spread * 100)}% · ${c.n}${c.epochs > 1 ? `x${c.epochs}` : ''}`)),
  ]);
  return markdownTable(['point', ...ids.map(labelOf)], rows);
}

/** Markdown: predict, µs per sequence · GFLOP/s · ÷ lstm-wasm SIMD, batched (M) and one sequence. */
export function predictTable(result) {
  const ids = shownPeers(result);
  const rows = [];
  for (const row of result.predict) {
    for (const kind of ['batch', 'single']) {
      const simd = row.cells.simd;
      rows.push([
        `${pointKey(row.point)}, ${kind === 'batch' ? `${row.point.M} sequences` : '1 sequence'}`,
        ...ids.map((id) => cellText(row.cells[id], null, (c) => {
          const us = kind === 'batch' ? c.batchUsPerSeq : c.singleUs;
          const ref = simd?.status === 'ok' ? (kind === 'batch' ? simd.batchUsPerSeq : simd.singleUs) : NaN;
          const m = kind === 'batch' && c.m !== row.point.M ? ` (M=${c.m})` : '';
          return `${sig(us)} · ${sig(forwardFlops(row.point) / us / 1000)} · ${fmtRatio(us / ref)}${m}`;
        })),
      ]);
    }
  }
  return markdownTable(['point', ...ids.map(labelOf)], rows);
}

const verdict = (ok, text) => `${ok ? 'met' : 'MISSED'}: ${text}`;
const findCell = (result, q, id) => result.training.find((r) => r.point.H === q.H && r.point.T === q.T && r.point.D === q.D && r.point.B === q.B)?.cells[id];

/** The targets, checked on the run's medians (wall time): verdict lines "met: / MISSED: / not checked:". */
export function gridTargets(result) {
  const lines = [];
  const vsTorch = (q, limit, what) => {
    const ours = findCell(result, q, 'simd');
    const torch = findCell(result, q, 'torch-1');
    const name = `${pointKey(q)} training, lstm-wasm SIMD ${what} PyTorch 1 thread`;
    if (ours?.status !== 'ok') return `not checked: ${name}: lstm-wasm did not run (${ours?.reason ?? 'point absent'})`;
    if (torch?.status !== 'ok') return `not checked: ${name}: PyTorch did not run (${torch?.reason ?? result.peers['torch-1']?.reason ?? 'point absent'})`;
    const r = ours.usPerSample / torch.usPerSample;
    const cpu = ours.cpuUsPerSample / torch.cpuUsPerSample;
    const nums = `${sig(ours.usPerSample)} vs ${sig(torch.usPerSample)} µs/sample, ${sig(r)}x PyTorch's time (CPU time ${sig(cpu)}x)`;
    return verdict(r <= limit, `${name}: ${nums}${r > limit ? `; over by ${sig((r / limit - 1) * 100)}%` : ''}`);
  };
  lines.push(vsTorch({ H: 256, T: 50, D: 16, B: 32 }, 1.3, 'within 1.3x of'));
  lines.push(vsTorch({ H: 128, T: 20, D: 8, B: 32 }, 1, 'faster than'));
  lines.push(vsTorch({ H: 512, T: 50, D: 16, B: 32 }, 1.5, 'within 1.5x of'));

  const pr = result.predict.find((r) => r.point.H === 256 && r.point.T === 50 && r.point.D === 16)?.cells.simd;
  if (pr?.status === 'ok') {
    lines.push(verdict(pr.batchUsPerSeq <= 700, `predict of ${pr.m} sequences at H=256 T=50 D=16 <= 0.7 ms per sequence: ${sig(pr.batchUsPerSeq / 1000)} ms`));
    lines.push(verdict(pr.singleUs <= 1000, `predict of one sequence at H=256 T=50 D=16 <= 1.0 ms: ${sig(pr.singleUs / 1000)} ms`));
  } else lines.push(`not checked: predict at H=256 T=50 D=16: lstm-wasm did not run`);

  const pairs = [64, 128, 256, 512].map((H) => ({
    H, b1: findCell(result, { H, T: 50, D: 16, B: 1 }, 'simd'), b32: findCell(result, { H, T: 50, D: 16, B: 32 }, 'simd'),
  })).filter((p) => p.b1?.status === 'ok' && p.b32?.status === 'ok');
  if (pairs.length) {
    const bad = pairs.filter((p) => !(p.b32.usPerSample < p.b1.usPerSample));
    const list = pairs.map((p) => `H=${p.H} ${sig(p.b32.usPerSample)} vs ${sig(p.b1.usPerSample)} (${sig(p.b32.usPerSample / p.b1.usPerSample)}x)`).join(', ');
    lines.push(verdict(bad.length === 0 && pairs.length === 4,
      `batch 32 costs less per sample than batch 1 at every H >= 64 (T=50 D=16), µs/sample B=32 vs B=1: ${list}` +
        (bad.length ? `; not less at H=${bad.map((p) => p.H).join(', ')}` : '') + (pairs.length < 4 ? `; only ${pairs.length} of 4 H measured` : '')));
  } else lines.push('not checked: batch 32 vs batch 1: no pair measured');
  return lines;
}

const COLORS = { simd: '#d62728', scalar: '#ff9896', 'tfjs-cpu': '#7f7f7f', 'tfjs-wasm-1': '#1f77b4', 'tfjs-wasm-2': '#aec7e8', 'torch-1': '#2ca02c', 'torch-2': '#98df8a' };
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * The picture: training µs per sample (log scale) against H (log 2) at T=50 D=16 B=32, one line
 * per implementation, from a grid result (bench/results/grid.json). Pure: same result, same bytes.
 * Its first line says it is generated, from what, and carries a hash of the plotted series.
 */
export function gridSvg(result, { source = 'bench/results/grid.json', width = 720, height = 440 } = {}) {
  const rows = result.training.filter((r) => r.point.T === 50 && r.point.D === 16 && r.point.B === 32).sort((a, b) => a.point.H - b.point.H);
  const series = shownPeers(result)
    .map((id) => ({ id, pts: rows.filter((r) => r.cells[id]?.status === 'ok').map((r) => [r.point.H, r.cells[id].usPerSample]) }))
    .filter((s) => s.pts.length);
  const hash = createHash('sha256').update(JSON.stringify(series)).digest('hex').slice(0, 16);
  const Hs = rows.map((r) => r.point.H);
  const ys = series.flatMap((s) => s.pts.map((p) => p[1]));
  const left = 72, right = width - 170, top = 46, bottom = height - 52;
  // (an XML comment may not hold "--", so the command is spelled without its option)
  const out = [`<!-- Generated by the grid part of bench/run.mjs (gridSvg in bench/grid.mjs) from ${esc(source).replace(/-{2,}/g, '-')}; plotted data sha256 ${hash}. Do not edit: rerun the bench. -->`];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  out.push(`<text x="${left}" y="20" font-size="14" font-weight="bold">Training time per sample against LSTM units H (T=50, D=16, batch 32); lower is better</text>`);
  const env = result.environment ?? {};
  out.push(`<text x="${left}" y="36" fill="#555" font-size="11">${esc(`${result.plan?.mode ?? ''} run · ${env.cpu ?? '?'} (${env.cores ?? '?'} cores) · Node ${env.node ?? '?'} · kernels ${env.wasmSha256 ?? '?'} · commit ${env.commit ?? '?'}`)}</text>`);
  if (!series.length || !Hs.length) {
    out.push(`<text x="${left}" y="${(top + bottom) / 2}">no data</text>`, '</svg>');
    return out.join('\n') + '\n';
  }
  const lx0 = Math.log2(Math.min(...Hs)), lx1 = Math.log2(Math.max(...Hs));
  const ly0 = Math.floor(Math.log10(Math.min(...ys))), ly1 = Math.ceil(Math.log10(Math.max(...ys)));
  const xOf = (H) => (lx1 === lx0 ? (left + right) / 2 : left + ((Math.log2(H) - lx0) / (lx1 - lx0)) * (right - left));
  const yOf = (us) => bottom - ((Math.log10(us) - ly0) / Math.max(1, ly1 - ly0)) * (bottom - top);
  const r1 = (v) => Math.round(v * 10) / 10;
  out.push(`<g stroke="#ddd">`);
  for (let e = ly0; e <= ly1; e++) {
    for (const m of e < ly1 ? [1, 2, 5] : [1]) {
      const y = r1(yOf(m * 10 ** e));
      out.push(`<line x1="${left}" y1="${y}" x2="${right}" y2="${y}"${m === 1 ? '' : ' stroke-dasharray="2 3"'}/>`);
    }
  }
  for (const H of Hs) out.push(`<line x1="${r1(xOf(H))}" y1="${top}" x2="${r1(xOf(H))}" y2="${bottom}"/>`);
  out.push('</g>');
  out.push(`<rect x="${left}" y="${top}" width="${right - left}" height="${bottom - top}" fill="none" stroke="#333"/>`);
  for (let e = ly0; e <= ly1; e++) {
    for (const m of e < ly1 ? [1, 2, 5] : [1]) {
      out.push(`<text x="${left - 6}" y="${r1(yOf(m * 10 ** e) + 4)}" text-anchor="end">${sig(m * 10 ** e, 1)}</text>`);
    }
  }
  for (const H of Hs) out.push(`<text x="${r1(xOf(H))}" y="${bottom + 16}" text-anchor="middle">${H}</text>`);
  out.push(`<text x="${(left + right) / 2}" y="${height - 14}" text-anchor="middle">LSTM units H (log scale)</text>`);
  out.push(`<text transform="translate(18 ${(top + bottom) / 2}) rotate(-90)" text-anchor="middle">µs per training sample (wall, median; log scale)</text>`);
  series.forEach((s, i) => {
    const d = s.pts.map(([H, us], k) => `${k ? 'L' : 'M'}${r1(xOf(H))},${r1(yOf(us))}`).join('');
    const c = COLORS[s.id] ?? '#000';
    out.push(`<path d="${d}" fill="none" stroke="${c}" stroke-width="2"><title>${esc(labelOf(s.id))}</title></path>`);
    for (const [H, us] of s.pts) out.push(`<circle cx="${r1(xOf(H))}" cy="${r1(yOf(us))}" r="3" fill="${c}"><title>${esc(`${labelOf(s.id)}, H=${H}: ${sig(us)} µs`)}</title></circle>`);
    const ly = top + 14 + i * 20;
    out.push(`<line x1="${right + 14}" y1="${ly - 4}" x2="${right + 38}" y2="${ly - 4}" stroke="${c}" stroke-width="2"/>`);
    out.push(`<text x="${right + 44}" y="${ly}">${esc(labelOf(s.id))}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------- the implementations

/** The grid's model in lstm-wasm `L` (its public API): LSTM H -> Dense 10 softmax, keras3, Adam(0.001). */
export function gridModel(L, { H, T, D, seed, kernels = 'simd' }) {
  const model = L.sequential({
    seed, preset: 'keras3', kernels,
    layers: [L.lstm({ units: H, inputShape: [T, D] }), L.dense({ units: 10, activation: 'softmax' })],
  });
  model.compile({ loss: 'categoricalCrossentropy', optimizer: L.adam({ learningRate: 0.001 }) });
  return model;
}

/** lstm-wasm through its public API, in this process, with `kernels` 'simd' or 'scalar'. */
export async function oursPeer(kernels, distUrl = pathToFileURL(join(ROOT, 'dist/index.js')).href) {
  const L = await import(distUrl);
  await L.ready();
  const models = new Map();
  const ops = {
    hello: () => ({ kernels }),
    model: ({ key, H, T, D, B, nMax, seed }) => {
      const t0 = performance.now();
      const data = gridData(seed, nMax, T, D);
      const model = gridModel(L, { H, T, D, seed, kernels });
      models.set(key, { model, data, T, D, B, sets: new Map() });
      return { buildMs: performance.now() - t0, data: dataChecksum(data) };
    },
    // The first n samples as tensors, made once per n (outside the timing).
    set(m, n) {
      if (!m.sets.has(n)) {
        m.sets.set(n, { x: L.tensor(m.data.x.subarray(0, n * m.T * m.D), [n, m.T, m.D]), y: L.tensor(m.data.y.subarray(0, n * 10), [n, 10]) });
      }
      return m.sets.get(n);
    },
    fit: async ({ key, n, epochs }) => {
      const m = models.get(key);
      const { x, y } = ops.set(m, n);
      collect();
      return measure(() => m.model.fit(x, y, { epochs, batchSize: m.B, shuffle: true, verbose: 0 }));
    },
    predict: async ({ key, m: count, repeat }) => {
      const m = models.get(key);
      const { x } = ops.set(m, count);
      let sink = 0;
      collect();
      const r = await measure(() => {
        for (let i = 0; i < repeat; i++) sink += m.model.predict(x).data[0];
      });
      return { ...r, sink };
    },
    drop: ({ key }) => {
      models.get(key)?.model.dispose();
      models.delete(key);
      return {};
    },
  };
  return {
    id: kernels,
    async request(req) {
      try {
        return await ops[req.op](req);
      } catch (e) {
        return { error: `${e?.name ?? 'Error'}: ${e?.message ?? e}` };
      }
    },
    close() {},
  };
}

/** A child process answering one JSON request per line (replies prefixed "@@grid "). */
function childPeer(id, cmd, args, env) {
  const proc = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const waiting = [];
  let buffer = '';
  let stderrTail = '';
  let dead = null;
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stdout.on('data', (chunk) => {
    buffer += chunk;
    for (let i; (i = buffer.indexOf('\n')) >= 0;) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      if (line.startsWith('@@grid ')) waiting.shift()?.(JSON.parse(line.slice(7)));
    }
  });
  proc.stderr.on('data', (chunk) => {
    stderrTail = (stderrTail + chunk).slice(-4000);
  });
  const fail = (why) => {
    dead = why;
    while (waiting.length) waiting.shift()({ error: why });
  };
  proc.on('error', (e) => fail(`could not start ${cmd}: ${e.message}`));
  proc.on('exit', (code, signal) => fail(`${id} exited (${signal ?? code})${stderrTail ? `: ${lastError(stderrTail)}` : ''}`));
  proc.stdin.on('error', () => {});
  return {
    id,
    request(req, timeoutMs = 600_000) {
      if (dead) return Promise.resolve({ error: dead });
      return new Promise((done) => {
        const timer = setTimeout(() => {
          proc.kill();
          done({ error: `${id}: no reply to ${req.op} within ${timeoutMs / 1000} s` });
        }, timeoutMs);
        waiting.push((reply) => {
          clearTimeout(timer);
          done(reply);
        });
        proc.stdin.write(JSON.stringify(req) + '\n');
      });
    },
    close() {
      if (!dead) proc.stdin.end(JSON.stringify({ op: 'exit' }) + '\n');
      setTimeout(() => proc.kill(), 2000).unref();
    },
  };
}

/** The most telling line of a child's stderr: the last one naming an error, else the last one. */
function lastError(text) {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return [...lines].reverse().find((l) => /error/i.test(l)) ?? lines.at(-1) ?? '';
}

/** The interpreter for PyTorch: /usr/bin/python3 (Debian's python3-torch), or $LSTM_WASM_BENCH_PYTHON. */
export const TORCH_PYTHON = process.env.LSTM_WASM_BENCH_PYTHON || '/usr/bin/python3';

/** Whether `python -c "import torch"` works; never installs anything. */
export function torchAvailable(python = TORCH_PYTHON) {
  const r = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) return { ok: false, reason: `${python} could not run (${r.error.code ?? r.error.message})` };
  if (r.status !== 0) return { ok: false, reason: `${python} -c "import torch" failed: ${lastError(r.stderr)}` };
  return { ok: true };
}

const threadEnv = (n) => ({ OMP_NUM_THREADS: String(n), OPENBLAS_NUM_THREADS: String(n), MKL_NUM_THREADS: String(n), OMP_WAIT_POLICY: 'PASSIVE' });

/** Starts every peer and asks each for its facts; a peer that cannot run is kept with its reason. */
async function startPeers() {
  const peers = {};
  const nodeArgs = ['--expose-gc', join(BENCH_DIR, 'grid.mjs'), '--serve', 'tfjs'];
  const starts = {
    simd: () => oursPeer('simd'),
    scalar: () => oursPeer('scalar'),
    'tfjs-cpu': () => childPeer('tfjs-cpu', process.execPath, [...nodeArgs, '--backend', 'cpu']),
    'tfjs-wasm-1': () => childPeer('tfjs-wasm-1', process.execPath, [...nodeArgs, '--backend', 'wasm', '--threads', '1']),
    'tfjs-wasm-2': () => childPeer('tfjs-wasm-2', process.execPath, [...nodeArgs, '--backend', 'wasm', '--threads', '2']),
  };
  const torch = torchAvailable();
  for (const n of [1, 2]) {
    starts[`torch-${n}`] = torch.ok
      ? () => childPeer(`torch-${n}`, TORCH_PYTHON, [join(BENCH_DIR, 'torch_grid.py'), '--threads', String(n), '--serve'], threadEnv(n))
      : null;
  }
  const entries = await Promise.all(Object.entries(starts).map(async ([id, start]) => {
    if (!start) return [id, { id, ok: false, reason: `PyTorch not available: ${torch.reason}` }];
    const client = await start();
    const hello = await client.request({ op: 'hello' }, 120_000);
    if (hello.error) {
      client.close();
      return [id, { id, ok: false, reason: hello.error, info: hello.info }];
    }
    return [id, { id, ok: true, client, info: hello }];
  }));
  for (const [id, p] of entries) peers[id] = p;
  return peers;
}

// ---------------------------------------------------------------- the measurements

const guessRate = (peer, B) => PEERS.find((p) => p.id === peer)?.rate[B >= 8 ? 0 : 1] ?? 1;

/**
 * Warms a model up and measures its µs per sample: a first fit (discarded: JIT, graph building),
 * then timed fits, growing n until one lasts a quarter of the target. Returns the round's plan.
 */
async function calibrateFit(client, key, p, nMax, plan, rate) {
  let n = Math.min(nMax, roundToBatch(Math.round((plan.targetMs * 250 * rate * 1000) / trainFlops(p)), p.B));
  const warm = await client.request({ op: 'fit', key, n, epochs: 1 });
  if (warm.error) return warm;
  let r = await client.request({ op: 'fit', key, n, epochs: 1 });
  for (let i = 0; i < 4 && !r.error && r.wallMs < plan.targetMs / 4 && n < nMax; i++) {
    n = Math.min(nMax, roundToBatch(Math.round(n * Math.min(8, plan.targetMs / 2 / Math.max(r.wallMs, 0.5))), p.B));
    r = await client.request({ op: 'fit', key, n, epochs: 1 });
  }
  if (r.error) return r;
  const usPerSample = (r.wallMs * 1000) / n;
  return { usPerSample, ...planRound({ usPerSample, targetMs: plan.targetMs, B: p.B, nMax, maxEpochs: plan.maxEpochs }) };
}

/** One training point: every peer builds and warms its model, then rounds interleave them. */
async function trainingPoint(p, peers, plan, quick, seed) {
  const started = performance.now();
  const key = `train ${pointKey(p)}`;
  const nMax = samplesCap(p, plan);
  const cells = {};
  const active = [];
  let reference = null;
  for (const [id, peer] of Object.entries(peers)) {
    if (!peer.ok) continue;
    const skip = skipReason(PEERS.find((q) => q.id === id), p, quick);
    if (skip) {
      cells[id] = { status: 'skipped', reason: skip.text, value: skip.value };
      continue;
    }
    const t0 = performance.now();
    const built = await peer.client.request({ op: 'model', key, ...p, nMax, seed });
    if (built.error) {
      cells[id] = { status: 'error', reason: built.error };
      continue;
    }
    reference ??= built.data;
    const sameData = built.data.labelSum === reference.labelSum && Math.abs(built.data.xSum - reference.xSum) < 1e-6 * 4096;
    const cal = await calibrateFit(peer.client, key, p, nMax, plan, guessRate(id, p.B));
    if (cal.error) {
      cells[id] = { status: 'error', reason: cal.error };
      continue;
    }
    cells[id] = { status: 'ok', n: cal.n, epochs: cal.epochs, calibrationUsPerSample: cal.usPerSample, buildMs: built.buildMs, setupMs: performance.now() - t0, sameData, wallUs: [], cpuUs: [] };
    active.push(id);
  }
  for (let r = 0; r < plan.rounds; r++) {
    note(`grid ${pointKey(p)}: round ${r + 1}/${plan.rounds} (${active.join(', ')})`);
    // rotate the order each round, so no implementation always follows the same one
    for (let k = 0; k < active.length; k++) {
      const id = active[(k + r) % active.length];
      const c = cells[id];
      if (c.status !== 'ok') continue;
      const res = await peers[id].client.request({ op: 'fit', key, n: c.n, epochs: c.epochs });
      if (res.error) {
        cells[id] = { status: 'error', reason: res.error };
        continue;
      }
      const samples = c.n * c.epochs;
      c.wallUs.push((res.wallMs * 1000) / samples);
      c.cpuUs.push((res.cpuMs * 1000) / samples);
    }
  }
  for (const id of active) {
    await peers[id].client.request({ op: 'drop', key });
    const c = cells[id];
    if (c.status !== 'ok') continue;
    c.usPerSample = median(c.wallUs);
    c.cpuUsPerSample = median(c.cpuUs);
    c.spread = spread(c.wallUs);
    c.gflops = trainFlops(p) / c.usPerSample / 1000;
    c.roundMs = (c.usPerSample * c.n * c.epochs) / 1000;
  }
  return { point: p, nMax, elapsedSec: (performance.now() - started) / 1000, cells };
}

/** One predict point: one call over M sequences (fewer for slow peers) and one sequence alone. */
async function predictPoint(p, peers, plan, seed) {
  const started = performance.now();
  const key = `predict ${pointKey(p)}`;
  const q = { ...p, B: 32 };
  const cells = {};
  const active = [];
  for (const [id, peer] of Object.entries(peers)) {
    if (!peer.ok) continue;
    const skip = skipReason(PEERS.find((q) => q.id === id), { ...p, B: 1 }, false);
    if (skip?.rule === 'sample') {
      cells[id] = { status: 'skipped', reason: skip.text.replace('a training sample', "a training sample (3x a sequence's forward)"), value: skip.value };
      continue;
    }
    const c = peer.client;
    const built = await c.request({ op: 'model', key, ...q, nMax: p.M, seed });
    if (built.error) {
      cells[id] = { status: 'error', reason: built.error };
      continue;
    }
    // one sequence: a warm call, then a timed one that sizes K; the batch: M for ours, else M or
    // the power of two (from what the one-sequence time suggests, doubled while a call is short)
    // at which one call lasts about a third of the target
    await c.request({ op: 'predict', key, m: 1, repeat: 1 });
    const one = await c.request({ op: 'predict', key, m: 1, repeat: 2 });
    if (one.error) {
      cells[id] = { status: 'error', reason: one.error };
      continue;
    }
    const singleMs = one.wallMs / 2;
    const K = Math.max(1, Math.min(5000, Math.round(plan.targetMs / 2 / singleMs)));
    let m = id === 'simd' || id === 'scalar' ? p.M : Math.min(p.M, Math.max(8, 2 ** Math.floor(Math.log2(plan.targetMs / singleMs))));
    let warm = await c.request({ op: 'predict', key, m, repeat: 1 });
    while (!warm.error && m < p.M && warm.wallMs < plan.targetMs / 3) {
      m = Math.min(p.M, m * 2);
      warm = await c.request({ op: 'predict', key, m, repeat: 1 });
    }
    if (warm.error) {
      cells[id] = { status: 'error', reason: warm.error };
      continue;
    }
    cells[id] = { status: 'ok', m, K, batchUs: [], singleUsRounds: [], batchCpuUs: [] };
    active.push(id);
  }
  for (let r = 0; r < plan.rounds; r++) {
    note(`grid predict ${pointKey(p)}: round ${r + 1}/${plan.rounds}`);
    for (let k = 0; k < active.length; k++) {
      const id = active[(k + r) % active.length];
      const c = cells[id];
      if (c.status !== 'ok') continue;
      const b = await peers[id].client.request({ op: 'predict', key, m: c.m, repeat: 1 });
      const s = b.error ? b : await peers[id].client.request({ op: 'predict', key, m: 1, repeat: c.K });
      if (s.error) {
        cells[id] = { status: 'error', reason: s.error };
        continue;
      }
      c.batchUs.push((b.wallMs * 1000) / c.m);
      c.batchCpuUs.push((b.cpuMs * 1000) / c.m);
      c.singleUsRounds.push((s.wallMs * 1000) / c.K);
    }
  }
  for (const id of active) {
    await peers[id].client.request({ op: 'drop', key });
    const c = cells[id];
    if (c.status !== 'ok') continue;
    c.batchUsPerSeq = median(c.batchUs);
    c.batchCpuUsPerSeq = median(c.batchCpuUs);
    c.singleUs = median(c.singleUsRounds);
    c.spread = Math.max(spread(c.batchUs), spread(c.singleUsRounds));
  }
  return { point: p, elapsedSec: (performance.now() - started) / 1000, cells };
}

/**
 * The whole part: starts the peers, measures every training and predict point, stops the peers.
 * `points`, `predictPoints` and `plan` default to the grid's (a smaller set is for trying it out).
 * Returns { plan, points, peers (facts or why absent), training, predict, noise }.
 */
export async function benchGrid({ quick = false, plan = gridPlan(quick), points, predictPoints } = {}) {
  note('grid: starting the peers (tfjs and PyTorch in child processes)');
  const peers = await startPeers();
  for (const p of Object.values(peers)) if (!p.ok) note(`grid: ${labelOf(p.id)} unavailable: ${p.reason}`);
  const threads = await probeTfjsThreads();
  const training = [];
  const predict = [];
  try {
    for (const [i, p] of (points ?? GRID_POINTS.filter((q) => !quick || q.quick)).entries()) training.push(await trainingPoint(p, peers, plan, quick, 1000 + i));
    for (const [i, p] of (predictPoints ?? PREDICT_POINTS.filter((q) => !quick || q.quick)).entries()) predict.push(await predictPoint(p, peers, plan, 2000 + i));
  } finally {
    for (const p of Object.values(peers)) p.client?.close();
  }
  const spreads = [];
  for (const row of training) for (const [id, c] of Object.entries(row.cells)) if (c.status === 'ok') spreads.push({ id, point: pointKey(row.point), spread: c.spread });
  const worst = spreads.reduce((a, b) => (b.spread > (a?.spread ?? -1) ? b : a), null);
  return {
    plan,
    peers: Object.fromEntries(Object.entries(peers).map(([id, p]) => [id, { ok: p.ok, reason: p.reason ?? null, info: p.info ?? null }])),
    tfjsWasmThreads: threads,
    training,
    predict,
    noise: { medianSpread: median(spreads.map((s) => s.spread)), worst },
  };
}

// ---------------------------------------------------------------- the tfjs child

/**
 * Measured, not assumed: what tfjs-backend-wasm does about threads under Node, in a child: with
 * setThreadsCount(2) as documented, and with its thread-support flag forced on.
 */
export async function probeTfjsThreads() {
  const run = (args) => new Promise((done) => {
    const c = childPeer('tfjs-threads-probe', process.execPath, [join(BENCH_DIR, 'grid.mjs'), '--probe-threads', ...args], {});
    c.request({ op: 'hello' }, 60_000).then((r) => {
      c.close();
      done(r);
    });
  });
  const asIs = await run([]);
  const forced = await run(['--force']);
  return { asIs, forced, works: forced.threads === 2 || asIs.threads === 2 };
}

async function loadTfjs(backend, threads, force) {
  const { loadTf } = await import('./peers.mjs');
  // tfjs reports a failed backend on the console and returns false; keep those lines for the reason
  const logged = [];
  for (const k of ['warn', 'error']) {
    const orig = console[k];
    console[k] = (...a) => {
      logged.push(a.map((v) => (v instanceof Error ? `${v.name}: ${v.message}` : String(v?.message ?? v))).join(' '));
      orig.apply(console, a);
    };
  }
  const tf = await import('@tensorflow/tfjs');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const detected = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  if (backend === 'wasm') {
    wasm.setThreadsCount(threads);
    // The backend's own probe says no threads under Node; force it to try the threaded build.
    if (threads > 1 && force) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  }
  let info;
  try {
    ({ info } = await loadTf()); // initialises the wasm backend, records the binary read
  } catch (e) {
    const why = logged.find((l) => /Error/.test(l) && !/failed to initialise/.test(l));
    // (the blob URL's uuid changes every run; the reason should not)
    throw new Error(`${e.message}${why ? `: ${why.split('\n')[0].replace(/blob:nodedata:[0-9a-f-]+/g, 'blob:nodedata:<uuid>')}` : ''}`);
  }
  if (backend === 'cpu' && !(await tf.setBackend('cpu'))) throw new Error('tfjs: the cpu backend failed to initialise');
  await tf.ready();
  const facts = { backend: tf.getBackend(), tfjs: info.tfjs, threadSupportDetected: detected, threadsRequested: threads, threads: backend === 'wasm' ? wasm.getThreadsCount() : 1, wasmBinary: info.wasmBinary };
  return { tf, facts };
}

/**
 * The tfjs peer's model, every option spelled out (tfjs's defaults differ from Keras), keras3's
 * Adam, starting from lstm-wasm's initial weights for the same seed (Keras order, as
 * bench/peers.mjs). The recurrent initializer is 'zeros' only because those weights replace it:
 * tfjs's own 'orthogonal' (a QR in JavaScript) took 126 s at H=256 on the cpu backend and 19 s at
 * H=512 on wasm here, longer than a whole quick run.
 */
function tfjsModel(tf, L, { H, T, D, seed }) {
  const ours = gridModel(L, { H, T, D, seed });
  const weights = ours.getWeights();
  ours.dispose();
  const model = tf.sequential();
  model.add(tf.layers.lstm({
    units: H, inputShape: [T, D], activation: 'tanh', recurrentActivation: 'sigmoid', useBias: true, unitForgetBias: true,
    kernelInitializer: 'glorotUniform', recurrentInitializer: 'zeros', biasInitializer: 'zeros',
    returnSequences: false, returnState: false, goBackwards: false, stateful: false, dropout: 0, recurrentDropout: 0,
  }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax', useBias: true, kernelInitializer: 'glorotUniform', biasInitializer: 'zeros' }));
  model.compile({ loss: 'categoricalCrossentropy', optimizer: tf.train.adam(0.001, 0.9, 0.999, 1e-7) });
  model.setWeights(weights.map((w) => tf.tensor(w.data, w.shape)));
  return model;
}

async function serveTfjs(backend, threads) {
  let tf, facts, initError = null;
  const L = await import('../dist/index.js');
  await L.ready();
  try {
    ({ tf, facts } = await loadTfjs(backend, threads, true));
    if (backend === 'wasm' && facts.threads !== threads) initError = `asked for ${threads} threads, the backend runs ${facts.threads} (${facts.wasmBinary})`;
  } catch (e) {
    initError = `${e?.message ?? e}`;
  }
  const models = new Map();
  const tensors = (m, n) => {
    if (m.n !== n) {
      tf.dispose([m.xs, m.ys]);
      m.xs = tf.tensor3d(m.data.x.subarray(0, n * m.T * m.D), [n, m.T, m.D]);
      m.ys = tf.tensor2d(m.data.y.subarray(0, n * 10), [n, 10]);
      m.n = n;
    }
    return m;
  };
  const ops = {
    hello: () => (initError ? { error: initError, info: facts ?? null } : facts),
    model: ({ key, H, T, D, B, nMax, seed }) => {
      const t0 = performance.now();
      const data = gridData(seed, nMax, T, D);
      models.set(key, { model: tfjsModel(tf, L, { H, T, D, seed }), data, T, D, B, n: 0 });
      return { buildMs: performance.now() - t0, data: dataChecksum(data) };
    },
    fit: async ({ key, n, epochs }) => {
      const m = tensors(models.get(key), n);
      collect();
      return measure(() => m.model.fit(m.xs, m.ys, { epochs, batchSize: m.B, shuffle: true, verbose: 0 }));
    },
    predict: async ({ key, m: count, repeat }) => {
      const m = models.get(key);
      const seq = m.data.x.subarray(0, count * m.T * m.D);
      let sink = 0;
      collect();
      // from a Float32Array to 10 probabilities per sequence, in one pass as lstm-wasm's predict
      const r = await measure(() => {
        for (let i = 0; i < repeat; i++) tf.tidy(() => { sink += m.model.predict(tf.tensor3d(seq, [count, m.T, m.D]), { batchSize: count }).dataSync()[0]; });
      });
      return { ...r, sink };
    },
    drop: ({ key }) => {
      const m = models.get(key);
      if (m) tf.dispose([m.xs, m.ys]), m.model.dispose();
      models.delete(key);
      return { tensorsLeft: tf.memory().numTensors };
    },
  };
  serveLines(ops);
}

/** Answers JSON requests, one per stdin line, with "@@grid <json>" lines on stdout. */
function serveLines(ops) {
  let buffer = '';
  let queue = Promise.resolve();
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => {
    buffer += chunk;
    for (let i; (i = buffer.indexOf('\n')) >= 0;) {
      const req = JSON.parse(buffer.slice(0, i));
      buffer = buffer.slice(i + 1);
      queue = queue.then(async () => {
        if (req.op === 'exit') process.exit(0);
        let reply;
        try {
          reply = ops[req.op] ? await ops[req.op](req) : { error: `unknown op ${req.op}` };
        } catch (e) {
          reply = { error: `${e?.name ?? 'Error'}: ${e?.message ?? e}` };
        }
        process.stdout.write(`@@grid ${JSON.stringify(reply)}\n`);
      });
    }
  });
  process.stdin.on('end', () => queue.then(() => process.exit(0)));
}

async function probeThreadsChild(force) {
  let reply;
  try {
    const { facts } = await loadTfjs('wasm', 2, force);
    reply = { forced: force, ...facts };
  } catch (e) {
    reply = { forced: force, error: `${e?.message ?? e}` };
  }
  serveLines({ hello: () => reply });
}

// ---------------------------------------------------------------- command line

if (process.argv[1] && resolve(process.argv[1]) === resolve(BENCH_DIR, 'grid.mjs')) {
  const argv = process.argv.slice(2);
  const opt = (name, dflt) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
  if (argv[0] === '--serve' && argv[1] === 'tfjs') await serveTfjs(opt('--backend', 'wasm'), Number(opt('--threads', '1')));
  else if (argv[0] === '--probe-threads') await probeThreadsChild(argv.includes('--force'));
  else if (argv[0] === '--svg') {
    const src = argv[1] ?? join(BENCH_DIR, 'results/grid.json');
    const out = argv[2] ?? join(ROOT, 'docs/bench-grid.svg');
    writeFileSync(out, gridSvg(JSON.parse(readFileSync(src, 'utf8')), { source: src.replace(`${ROOT}/`, '') }));
    console.log(`wrote ${out}`);
  } else {
    console.error('usage: node bench/grid.mjs --svg [results.json] [out.svg]   (the grid itself: node --expose-gc bench/run.mjs --part grid [--quick])');
    process.exit(2);
  }
}
