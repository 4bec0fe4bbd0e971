#!/usr/bin/env node
// lstm-wasm benchmarks: `node --expose-gc bench/run.mjs [--quick] [--part kernels|training|grid|gemm|all]`.
// Needs a build (dist/). Prints Markdown tables to stdout (progress goes to stderr) and writes
// bench/results/<part>.json (<part>-quick.json with --quick) with the machine and every raw median.
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIR, LISTING, ROOT, codeVersion, environment, fmtRatio, fmtTime, markdownTable, note, now, sig, writeResults } from './common.mjs';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    part: { type: 'string', default: 'all' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log('usage: node --expose-gc bench/run.mjs [--quick] [--part kernels|training|grid|gemm|all]');
  process.exit(0);
}
// --- gemm hook: bench/gemm.mjs (a GEMM micro-benchmark exporting benchGemm({ quick })) is another
// engineer's; the part exists, and joins `all`, only when that file does.
const HAS_GEMM = existsSync(join(BENCH_DIR, 'gemm.mjs'));
const PARTS = ['kernels', 'training', 'grid', ...(HAS_GEMM ? ['gemm'] : [])];
if (![...PARTS, 'all'].includes(values.part)) {
  const why = values.part === 'gemm' ? ' (bench/gemm.mjs does not exist yet)' : '';
  console.error(`bench/run.mjs: --part must be ${PARTS.join(', ')} or all, received ${JSON.stringify(values.part)}${why}`);
  process.exit(2);
}
// The benchmarks measure the build in dist/; say so plainly when it is missing.
if (!existsSync(join(ROOT, 'dist/index.js')) || !existsSync(join(ROOT, 'dist/wasm.js'))) {
  console.error('bench/run.mjs: dist/ is missing or incomplete; run `npm run build` first (npm run bench does)');
  process.exit(1);
}
// Every module is loaded up front, so a rebuild of dist/ during a long run cannot break it halfway.
const { benchKernels, kernelTable } = await import('./kernels.mjs');
const { benchPeer, loadTf, peersPlan } = await import('./peers.mjs');
const { benchOursPredict, benchOursPredictStep, benchOursShapes, benchOursTraining, listingData, oursPlan } = await import('./training.mjs');
const { benchStacked, stackedPlan } = await import('./stacked.mjs');
const grid = await import('./grid.mjs');
const gemm = HAS_GEMM ? await import('./gemm.mjs') : null; // --- gemm hook

const quick = values.quick;
const parts = values.part === 'all' ? PARTS : [values.part];
const mode = quick ? 'quick' : 'full';
const command = `node${typeof globalThis.gc === 'function' ? ' --expose-gc' : ''} bench/run.mjs${quick ? ' --quick' : ''}${values.part === 'all' ? '' : ` --part ${values.part}`}`;
const env = { ...environment(), ...(await codeVersion()) };
const started = now();

console.log(`# lstm-wasm benchmarks (${mode})`);
console.log(`\`${command}\` · Node ${env.node} · ${env.cpu} (${env.cores} cores, load ${env.loadavgAtStart.join(' ')}) · kernels ${env.wasmSha256} · commit ${env.commit} · ${env.date}`);
if (!env.exposeGc) note('run node with --expose-gc for a garbage collection between measurements');

const SIMD_TARGET = 3; // SIMD kernels >= 3x their scalar twins at H=32
const FULL_LISTING_TARGET_MS = 5000; // 1000 x 500 at batch 1 in <= 5 s
const PEER_TARGETS = { cpu: 500, wasm: 100 }; // per-sample speedup over tfjs at batch 1

let kernelResult = null; // kept for the training part's cost breakdown when both parts run

// How far a measured value falls short of a target, as a percentage of the target.
const shortBy = (got, want) => `short by ${((1 - got / want) * 100).toFixed(1)}%`;

const verdict = (ok, text) => `${ok ? 'met' : 'MISSED'}: ${text}`;

async function kernelsPart() {
  const t0 = now();
  const result = await benchKernels({ quick });
  kernelResult = result;
  const listing = result.rows.filter((r) => r.shape === 'listing');
  const worst = listing.reduce((a, b) => (b.speedup < a.speedup ? b : a));
  const below = listing.filter((r) => r.speedup < SIMD_TARGET);
  const targets = [
    verdict(
      below.length === 0,
      `SIMD >= ${SIMD_TARGET}x scalar at H=32: ${listing.length - below.length}/${listing.length} kernels; ` +
        (below.length
          ? `below: ${below.map((r) => `${r.kernel} ${sig(r.speedup)}x (${shortBy(r.speedup, SIMD_TARGET)})`).join(', ')}`
          : `lowest ${worst.kernel} ${sig(worst.speedup)}x`),
    ),
  ];
  console.log('\n## Kernels: SIMD vs scalar twin (median per call)\n');
  console.log(kernelTable(result));
  console.log(
    `\nOne call = one sample (a batch of B is B calls); adam_update is one optimizer step over all P parameters. ` +
      `Medians of ${result.config.rounds} round(s) of tinybench, each sample a loop of calls lasting ~${result.config.tinybench.sampleMs} ms. ` +
      `GFLOP/s counts the multiply-adds only (x·W + h·U; dW, dU, U·dgates; h·K; dK, K·dlogits). ` +
      `lstm_backward consumes dh and the gates rows, so each call restores them first; that copy, timed alone, is subtracted.`,
  );
  if (result.notTimed.noSpec.length) console.log(`Not timed (no benchmark spec yet): ${result.notTimed.noSpec.join(', ')}`);
  console.log('\nTargets:\n' + targets.map((t) => `- ${t}`).join('\n'));
  const file = writeResults(quick ? 'kernels-quick' : 'kernels', {
    part: 'kernels', mode, command, environment: env, elapsedSec: (now() - t0) / 1000,
    units: 'ms per call (medians); ops/s = calls per second', ...result, targets,
  });
  note(`wrote ${file}`);
}

async function trainingPart() {
  const t0 = now();
  const data = await listingData();
  const oPlan = oursPlan(quick);
  const pPlan = peersPlan(quick);
  const ours = await benchOursTraining(data, oPlan);
  const oursPredict = await benchOursPredict(data, oPlan);
  const oursStep = await benchOursPredictStep(data, oPlan);
  const shapes = await benchOursShapes(data, oPlan);
  note('loading tfjs');
  const { info: tfInfo } = await loadTf();
  const peers = [];
  const peersPredict = [];
  const peersStep = [];
  const leaks = {};
  for (const backend of ['cpu', 'wasm']) {
    const r = await benchPeer(backend, data, pPlan);
    peers.push(...r.rows);
    peersPredict.push(r.predict);
    peersStep.push(r.predictStep);
    leaks[backend] = r.numTensorsLeft;
  }
  const stacked = await benchStacked(data, stackedPlan(quick));

  const all = [...ours, ...peers];
  const total = LISTING.N * LISTING.epochs;
  const find = (lib, be, bs) => all.find((r) => r.library === lib && r.backend === be && r.batchSize === bs);
  for (const r of all) {
    r.projectedFullListingMs = (r.perSampleUsMedian * total) / 1000;
    const simd = find('lstm-wasm', 'simd', r.batchSize);
    const scalar = find('lstm-wasm', 'scalar', r.batchSize);
    r.timesOursSimd = r.perSampleUsMedian / simd.perSampleUsMedian;
    r.cpuTimesOursSimd = r.perSampleCpuUsMedian / simd.perSampleCpuUsMedian;
    r.timesOursScalar = r.perSampleUsMedian / scalar.perSampleUsMedian;
  }
  const label = (r) => (r.library === 'lstm-wasm' ? `lstm-wasm ${r.backend === 'simd' ? 'SIMD' : 'scalar'}` : `tfjs ${r.backend}`);
  const how = (r) =>
    r.library === 'lstm-wasm'
      ? `${r.epochsTimed} epochs x ${r.samplesPerEpoch}`
      : `${r.epochsTimed} epoch${r.epochsTimed > 1 ? 's' : ''} x ${r.samplesPerEpoch}${r.samplesPerEpoch < LISTING.N ? ' (subset)' : ''}, extrapolated`;
  const rows = [1, 32].flatMap((bs) => all.filter((r) => r.batchSize === bs)).map((r) => [
    label(r),
    r.batchSize,
    sig(r.perSampleUsMedian),
    sig(r.perSampleCpuUsMedian),
    fmtTime(r.projectedFullListingMs),
    r.fullListingMeasuredMs === null ? '-' : fmtTime(r.fullListingMeasuredMs),
    fmtRatio(r.timesOursSimd),
    fmtRatio(r.cpuTimesOursSimd),
    how(r),
  ]);
  console.log('\n## Training: the listing (1000 sequences padded to 5 steps, LSTM 32 -> Dense 26, Adam)\n');
  console.log(markdownTable(
    ['implementation', 'batch', 'µs / sample', 'CPU µs / sample', '1000 x 500 projected', '1000 x 500 measured', 'time ÷ ours SIMD', 'CPU ÷ ours SIMD', 'timed over'],
    rows, [0, 8],
  ));
  console.log(
    `\nMedians of whole \`fit\` epochs (verbose 0, shuffle on) after warm-up; µs / sample is wall time, ` +
      `CPU µs / sample the process's CPU time over the same epochs (all threads; well below wall time means the machine was busy). ` +
      `The projection is µs/sample x ${total.toLocaleString('en-US')}; tfjs runs a bounded number of epochs` +
      `${quick ? ' over a subset of the samples' : ''} and is extrapolated. ` +
      `tfjs ${tfInfo.tfjs}; wasm backend binary: ${tfInfo.wasmBinary} (threads: ${tfInfo.wasmThreads}).`,
  );

  console.log('\n## Variable length: padded vs ragged, batch sizes 1, 8, 32 (lstm-wasm SIMD)\n');
  const padded = (bs) => shapes.find((r) => r.input === 'padded' && r.batchSize === bs);
  console.log(markdownTable(
    ['input', 'batch', 'µs / sample', 'CPU µs / sample', 'CPU ÷ padded, same batch', 'timed over'],
    shapes.map((r) => [r.input === 'padded' ? 'padded to 5 steps' : 'ragged (own length)', r.batchSize, sig(r.perSampleUsMedian), sig(r.perSampleCpuUsMedian),
      fmtRatio(r.perSampleCpuUsMedian / padded(r.batchSize).perSampleCpuUsMedian), `${r.epochsTimed} epochs x ${LISTING.N}`]),
    [0, 5],
  ));

  // Latency rows, ours and the peers', with each row's time over ours with SIMD kernels.
  const latencyTable = (title, rows) => {
    const simd = rows.find((r) => r.library === 'lstm-wasm' && r.backend === 'simd');
    for (const r of rows) r.timesOursSimd = r.medianMs / simd.medianMs;
    console.log(`\n## ${title}\n`);
    console.log(markdownTable(
      ['implementation', 'median latency', 'calls/s', 'time ÷ ours SIMD'],
      rows.map((r) => [label(r), fmtTime(r.medianMs), sig(1000 / r.medianMs), fmtRatio(r.timesOursSimd)]),
    ));
    return rows;
  };
  const allPredict = latencyTable('Predict: one sequence (batch 1), Float32Array in -> 26 probabilities out', [...oursPredict, ...peersPredict]);

  console.log('\n## Stacked: the listing through LSTM 32 (return sequences) -> LSTM 32 -> Dense 26, Adam\n');
  console.log(markdownTable(
    ['implementation', 'batch', 'µs / sample', 'CPU µs / sample', 'time ÷ ours SIMD', 'CPU ÷ ours SIMD', 'timed over'],
    stacked.map((r) => [label(r), r.batchSize, sig(r.perSampleUsMedian), sig(r.perSampleCpuUsMedian), fmtRatio(r.timesOursSimd), fmtRatio(r.cpuTimesOursSimd), r.timedOver]),
    [0, 6],
  ));

  const allStep = latencyTable('Streaming: predictStep, one timestep in -> 26 probabilities out, state kept (tfjs: a stateful twin)', [...oursStep, ...peersStep]);

  // Where a sample's time goes: the kernel medians at the listing's shape against fit's µs/sample.
  let breakdown = null;
  if (kernelResult) {
    const k = Object.fromEntries(kernelResult.rows.filter((r) => r.shape === 'listing').map((r) => [r.kernel, r.simdMedianMs * 1000]));
    const perSample = (bs) => {
      const parts = {
        lstm_forward: k.lstm_forward, lstm_backward: k.lstm_backward,
        dense: k.dense_forward + k.dense_backward, softmax_ce: k.softmax_ce_forward + k.softmax_ce_backward,
        [`adam_update / ${bs}`]: k.adam_update / bs,
      };
      const sum = Object.values(parts).reduce((a, b) => a + b, 0);
      const row = find('lstm-wasm', 'simd', bs);
      return { parts, kernelSumUs: sum, fitUs: row.perSampleUsMedian, fitCpuUs: row.perSampleCpuUsMedian };
    };
    breakdown = { 1: perSample(1), 32: perSample(32) };
    console.log('\nWhere a SIMD training sample goes (kernel medians above, µs):');
    for (const bs of [1, 32]) {
      const b = breakdown[bs];
      const list = Object.entries(b.parts).map(([n, us]) => `${n} ${sig(us)}`).join(' + ');
      console.log(`- batch ${bs}: ${list} = ${sig(b.kernelSumUs)} µs in kernels; fit measures ${sig(b.fitUs)} µs wall, ${sig(b.fitCpuUs)} µs CPU (the rest: the training loop around the kernels, fit's JS, and on a busy machine time spent descheduled)`);
    }
  }

  const simd1 = find('lstm-wasm', 'simd', 1);
  const fullMs = simd1.fullListingMeasuredMs ?? simd1.projectedFullListingMs;
  const targets = [
    verdict(
      fullMs <= FULL_LISTING_TARGET_MS,
      `full listing (1000 x 500, batch 1, SIMD) <= 5 s: ${fmtTime(fullMs)} ${simd1.fullListingMeasuredMs === null ? 'projected' : 'measured'}` +
        (fullMs > FULL_LISTING_TARGET_MS ? ` (over by ${fmtTime(fullMs - FULL_LISTING_TARGET_MS)}, ${sig(fullMs / FULL_LISTING_TARGET_MS)}x)` : ''),
    ),
    ...Object.entries(PEER_TARGETS).map(([be, want]) => {
      const got = find('tfjs', be, 1).timesOursSimd;
      return verdict(got >= want, `>= ${want}x faster per sample than tfjs ${be} at batch 1: ${sig(got)}x${got < want ? ` (${shortBy(got, want)})` : ''}`);
    }),
  ];
  console.log('\nTargets:\n' + targets.map((t) => `- ${t}`).join('\n'));

  const file = writeResults(quick ? 'training-quick' : 'training', {
    part: 'training', mode, command, environment: env, elapsedSec: (now() - t0) / 1000,
    units: 'µs per training sample (medians); ms for projected/measured runs and predict latency',
    workload: { ...LISTING, paddedTo: LISTING.T, model: 'LSTM 32 (hard sigmoid, tanh, unit forget bias) -> Dense 26 softmax; Adam(0.001, 0.9, 0.999); categorical cross-entropy' },
    plans: { ours: oPlan, peers: pPlan },
    tfjs: tfInfo,
    training: all,
    variableLength: shapes,
    predict: allPredict,
    predictStep: allStep,
    stacked,
    tfjsTensorsLeft: leaks,
    costBreakdownUs: breakdown,
    targets,
  });
  note(`wrote ${file}`);
}

async function gridPart() {
  const t0 = now();
  const result = await grid.benchGrid({ quick });
  const { plan } = result;
  const ok = (id) => result.peers[id]?.ok;
  const torchInfo = result.peers['torch-1']?.info ?? result.peers['torch-2']?.info;
  console.log(`\n## Grid: training at real model sizes (LSTM H, T steps, D features -> Dense 10 softmax, Adam, keras3 preset)\n`);
  console.log(grid.gridTable(result));
  console.log(
    `\nEach cell: µs per training sample (wall, median of ${plan.rounds} interleaved rounds) · GFLOP/s (3 x 2·T·(D+H)·4H flops per sample, the LSTM only) · ` +
      `time ÷ lstm-wasm SIMD's at the same point. A round is one \`fit\` over N samples (one epoch, shuffled), N per implementation so a round lasts ~${plan.targetMs} ms, ` +
      `after warm-up fits; all implementations train on the same seeded data (checked by a checksum) at the same batch size.`,
  );
  console.log(`\nCPU µs per sample · spread of the rounds' wall times ((max - min) / median) · N samples per round (xE: E epochs over the whole data set):\n`);
  console.log(grid.gridCpuTable(result));
  console.log(`\n## Grid: predict (untrained weights), µs per sequence · GFLOP/s (2·T·(D+H)·4H per sequence) · time ÷ lstm-wasm SIMD\n`);
  console.log(grid.predictTable(result));
  console.log(
    `\nOne call over M sequences (Float32Array in, 10 probabilities per sequence out; (M=...) where a slow peer runs fewer), ` +
      `and one sequence alone (the mean of K calls); medians of ${plan.rounds} interleaved rounds.`,
  );
  const facts = [];
  // (tfjs wasm with 2 threads is explained by the threads line)
  for (const id of Object.keys(result.peers)) if (!ok(id) && id !== 'tfjs-wasm-2') facts.push(`not measured: ${grid.labelOf(id)}: ${result.peers[id].reason}`);
  const th = result.tfjsWasmThreads;
  facts.push(
    `tfjs-backend-wasm threads in Node (measured in child processes): ${th.works ? 'they work' : 'they do not work'}. ` +
      `As shipped, its probe WASM_HAS_MULTITHREAD_SUPPORT says ${th.asIs.threadSupportDetected} under Node, so setThreadsCount(2) gives ${th.asIs.threads ?? '?'} thread(s) ` +
      `(binary ${th.asIs.wasmBinary ?? '?'}); with the flag forced on: ${th.forced.error ? `initialisation fails: ${th.forced.error}` : `${th.forced.threads} threads, ${th.forced.wasmBinary}`}.`,
  );
  if (torchInfo) {
    const blas = torchInfo.librariesMapped.map((l) => l.split('/').pop()).join(', ');
    facts.push(`PyTorch ${torchInfo.torch} (python ${torchInfo.python}, ${grid.TORCH_PYTHON}), BLAS_INFO=${torchInfo.blasInfo}, CPU capability ${torchInfo.cpuCapability}; ` +
      `libraries mapped: ${blas}; nn.LSTM runs ${torchInfo.lstmOps.join(', ')}; OMP_WAIT_POLICY=PASSIVE, *_NUM_THREADS and torch.set_num_threads = the thread count.`);
  }
  // one line per peer and reason, listing the points (with their figure, for a skip rule)
  const skipped = new Map();
  for (const [what, rows] of [['training', result.training], ['predict', result.predict]]) {
    for (const row of rows) {
      for (const [id, c] of Object.entries(row.cells)) {
        if (c.status === 'ok') continue;
        const k = `${c.status === 'skipped' ? 'skipped' : 'FAILED'}: ${grid.labelOf(id)}, ${what}: ${c.reason}`;
        skipped.set(k, [...(skipped.get(k) ?? []), `${grid.pointKey(row.point)}${c.value ? ` (${c.value})` : ''}`]);
      }
    }
  }
  for (const [k, where] of skipped) facts.push(`${k}: ${where.join('; ')}`);
  const { noise } = result;
  facts.push(`noise: the rounds' spread is ${Math.round(noise.medianSpread * 100)}% at the median cell, ${Math.round((noise.worst?.spread ?? 0) * 100)}% at the worst (${noise.worst?.id} at ${noise.worst?.point}); load average ${env.loadavgAtStart.join(' ')} at the start.`);
  console.log('\n' + facts.map((f) => `- ${f}`).join('\n'));
  const targets = grid.gridTargets(result);
  console.log('\nTargets:\n' + targets.map((t) => `- ${t}`).join('\n'));
  const name = quick ? 'grid-quick' : 'grid';
  const payload = { part: 'grid', mode, command, environment: env, elapsedSec: (now() - t0) / 1000, units: 'µs per training sample / per predicted sequence (medians of rounds)', ...result, targets };
  const file = writeResults(name, payload);
  note(`wrote ${file}`);
  const svgFile = quick ? join(BENCH_DIR, 'results/grid-quick.svg') : join(ROOT, 'docs/bench-grid.svg');
  writeFileSync(svgFile, grid.gridSvg(payload, { source: `bench/results/${name}.json` }));
  note(`wrote ${svgFile}`);
}

// --- gemm hook: prints what benchGemm returns (a Markdown `table` and `targets` lines, if it has them)
async function gemmPart() {
  const t0 = now();
  const result = await gemm.benchGemm({ quick });
  console.log('\n## GEMM micro-benchmark (bench/gemm.mjs)\n');
  if (result?.table) console.log(result.table);
  if (result?.targets?.length) console.log('\nTargets:\n' + result.targets.map((t) => `- ${t}`).join('\n'));
  const file = writeResults(quick ? 'gemm-quick' : 'gemm', { part: 'gemm', mode, command, environment: env, elapsedSec: (now() - t0) / 1000, ...result });
  note(`wrote ${file}`);
}

for (const part of parts) {
  if (part === 'kernels') await kernelsPart();
  else if (part === 'training') await trainingPart();
  else if (part === 'grid') await gridPart();
  else if (part === 'gemm') await gemmPart();
}
const load = loadavg().map((x) => x.toFixed(2)).join(' ');
console.log(`\n(${mode} run: ${sig((now() - started) / 1000)} s; load average at the end ${load})`);
