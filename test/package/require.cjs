// A CommonJS user. lstm-wasm is an ES module package: `await import('lstm-wasm')` works from
// CommonJS on every supported Node; `require('lstm-wasm')` works where Node can require ES modules
// (process.features.require_module: Node >= 20.19 and >= 22.12) and throws ERR_REQUIRE_ESM before.
// Prints one JSON line for test/package.test.ts.
'use strict';

const out = { requireModule: Boolean(process.features.require_module) };
try {
  const L = require('lstm-wasm');
  out.require = { ok: true, sequential: typeof L.sequential, ready: typeof L.ready };
} catch (e) {
  out.require = { ok: false, code: e.code, message: String(e.message).split('\n')[0] };
}

(async () => {
  const L = await import('lstm-wasm');
  await L.ready();
  const model = L.sequential({ seed: 3, layers: [L.lstm({ units: 4, inputShape: [2, 1] }), L.dense({ units: 3, activation: 'softmax' })] });
  model.compile({ loss: 'categoricalCrossentropy', optimizer: L.adam({ learningRate: 0.05 }) });
  const x = [[[0], [0.5]], [[0.5], [1]], [[1], [0]]];
  const y = L.toCategorical([0, 1, 2], 3);
  const history = await model.fit(x, y, { epochs: 5, batchSize: 3, verbose: 0 });
  out.import = { ok: true, loss: history.history.loss, isSameModule: out.require.ok ? require('lstm-wasm').sequential === L.sequential : null };
  model.dispose();
  console.log(JSON.stringify(out));
})().catch((e) => {
  console.log(JSON.stringify({ ...out, import: { ok: false, message: String(e && e.stack) } }));
  process.exitCode = 1;
});
