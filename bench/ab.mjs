#!/usr/bin/env node
// A/B of two builds: `node --expose-gc bench/ab.mjs --against <dir> [--rounds 9] [--epochs 3] [--quick]`.
// Times this tree's dist/ and <dir>/dist/index.js (another checkout's build, e.g. the engine before
// a change) in ONE process on the Keras listing's workload: 1000 sequences of 1-5 letters padded to
// 5 steps, LSTM 32 -> Dense 26 softmax, Adam, keras2 preset, batch sizes 1 and 32. Each round runs
// one `fit` of `epochs` shuffled epochs per (build, batch) configuration, in an order that rotates
// every round; medians over rounds, µs per sample wall and CPU, and the ratio of the two builds.
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { LISTING, ROOT, collect, environment, fmtRatio, markdownTable, measure, median, note, sig } from './common.mjs';
import { spread } from './grid.mjs';

const { values } = parseArgs({
  options: {
    against: { type: 'string' },
    rounds: { type: 'string' },
    epochs: { type: 'string' },
    quick: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
const usage = 'usage: node --expose-gc bench/ab.mjs --against <dir with dist/index.js> [--rounds N] [--epochs N] [--quick]';
if (values.help || !values.against) {
  console.log(usage);
  process.exit(values.help ? 0 : 2);
}
const builds = [
  { name: 'this tree', dir: ROOT },
  { name: values.against, dir: resolve(values.against) },
];
for (const b of builds) {
  if (!existsSync(join(b.dir, 'dist/index.js'))) {
    console.error(`bench/ab.mjs: ${join(b.dir, 'dist/index.js')} is missing (build it first: npm run build)`);
    process.exit(1);
  }
}
const rounds = Number(values.rounds ?? (values.quick ? 5 : 9));
const epochs = Number(values.epochs ?? (values.quick ? 5 : 20));

// Each build is its own module graph (its own WebAssembly instance); the data is plain
// { shape, data } tensors made once with this tree's helpers, so both train on the same bytes.
for (const b of builds) {
  b.L = await import(pathToFileURL(join(b.dir, 'dist/index.js')).href);
  await b.L.ready();
  try {
    ({ WASM_SHA256: b.wasmSha256 } = await import(pathToFileURL(join(b.dir, 'dist/generated/wasm-binary.js')).href));
  } catch {
    b.wasmSha256 = 'unknown';
  }
}
const L = builds[0].L;
const { N, T, D, H, V } = LISTING;
const { dataX, dataY } = L.alphabetDataset({ numInputs: N, maxLen: T, seed: 7, rng: 'numpy' });
const xt = L.divide(L.reshape(L.padSequences(dataX, { maxLen: T, dtype: 'float32' }), [N, T, D]), 26);
const yt = L.toCategorical(dataY);
const x = { shape: [...xt.shape], data: xt.data };
const y = { shape: [...yt.shape], data: yt.data };

const configs = [];
for (const batchSize of [1, 32]) {
  for (const b of builds) {
    const m = b.L.sequential({
      seed: 7, rng: 'numpy', preset: 'keras2',
      layers: [b.L.lstm({ units: H, inputShape: [T, D] }), b.L.dense({ units: V, activation: 'softmax' })],
    });
    m.compile({ loss: 'categoricalCrossentropy', optimizer: b.L.adam(), metrics: ['accuracy'] });
    configs.push({ build: b, batchSize, model: m, wallUs: [], cpuUs: [] });
  }
}
const env = environment();
console.log(`# A/B: this tree vs ${values.against}`);
console.log(`\`node${env.exposeGc ? ' --expose-gc' : ''} bench/ab.mjs --against ${values.against}${values.quick ? ' --quick' : ''}\` · Node ${env.node} · ${env.cpu} (${env.cores} cores, load ${env.loadavgAtStart.join(' ')}) · ${env.date}`);
console.log(`kernels: this tree ${builds[0].wasmSha256}, ${values.against} ${builds[1].wasmSha256}`);
if (!env.exposeGc) note('run node with --expose-gc for a garbage collection between measurements');

const fitArgs = (c, e) => ({ epochs: e, batchSize: c.batchSize, shuffle: true, verbose: 0 });
for (const c of configs) await c.model.fit(x, y, fitArgs(c, 1)); // warm-up
for (let r = 0; r < rounds; r++) {
  note(`ab: round ${r + 1}/${rounds}`);
  for (let k = 0; k < configs.length; k++) {
    const c = configs[(k + r) % configs.length];
    collect();
    const { wallMs, cpuMs } = await measure(() => c.model.fit(x, y, fitArgs(c, epochs)));
    c.wallUs.push((wallMs * 1000) / (epochs * N));
    c.cpuUs.push((cpuMs * 1000) / (epochs * N));
  }
}
const rows = [];
for (const batchSize of [1, 32]) {
  const [a, b] = configs.filter((c) => c.batchSize === batchSize);
  for (const c of [a, b]) {
    rows.push([c.build.name, batchSize, sig(median(c.wallUs)), sig(median(c.cpuUs)), `${Math.round(spread(c.wallUs) * 100)}%`,
      fmtRatio(median(c.wallUs) / median(a.wallUs)), fmtRatio(median(c.cpuUs) / median(a.cpuUs))]);
  }
}
console.log('\n## The listing (1000 x 5 steps, LSTM 32 -> Dense 26, Adam, keras2), µs per training sample\n');
console.log(markdownTable(['build', 'batch', 'µs / sample', 'CPU µs / sample', 'spread', 'time ÷ this tree', 'CPU ÷ this tree'], rows, [0]));
console.log(
  `\nMedians of ${rounds} interleaved rounds, each one \`fit\` of ${epochs} epoch(s) over the ${N} samples per configuration after one warm-up epoch; ` +
    `spread = (max - min) / median of the rounds' wall times. Above 1x: ${values.against} takes longer than this tree.`,
);
configs.forEach((c) => c.model.dispose());
console.log(`\n(load average at the end ${loadavg().map((v) => v.toFixed(2)).join(' ')})`);
