// The installed package's entry points: where each of its "exports" subpaths resolves, that deep
// imports stay closed, and that trainInWorker finds the packed dist/worker-entry.js (worker_threads).
// Prints one JSON line for test/package.test.ts.
import { readFileSync } from 'node:fs';
import * as L from 'lstm-wasm';

const pkg = JSON.parse(readFileSync(new URL(import.meta.resolve('lstm-wasm/package.json')), 'utf8'));
const subpaths = Object.keys(pkg.exports).map((k) => `lstm-wasm${k.slice(1)}`); // '.' -> 'lstm-wasm', './browser' -> 'lstm-wasm/browser'
const resolved = Object.fromEntries(subpaths.map((s) => [s, import.meta.resolve(s)]));
let deep;
try {
  await import('lstm-wasm/dist/model/sequential.js');
  deep = 'imported';
} catch (e) {
  deep = e.code;
}
const { version } = pkg;

await L.ready();
const x = [[[0], [0.5]], [[0.5], [1]], [[1], [0]]];
const { history, weights, aborted } = await L.trainInWorker({
  model: { seed: 3, layers: [L.lstm({ units: 4, inputShape: [2, 1] }), L.dense({ units: 3, activation: 'softmax' })] },
  compile: { loss: 'categoricalCrossentropy', optimizer: L.adam({ learningRate: 0.05 }) },
  x, y: L.toCategorical([0, 1, 2], 3), fit: { epochs: 5, batchSize: 3 },
});
const worker = { loss: history.history.loss, weights: weights.map((w) => w.name), aborted };
console.log(JSON.stringify({ resolved, deep, version, exports: Object.keys(L).sort(), worker }));
