#!/usr/bin/env node
// `npm start` and `npx lstm-wasm`: the Keras listing "LSTM with variable-length input sequences
// to one-character output", end to end, with its knobs as flags.
import { parseArgs } from 'node:util';
import {
  ready, sequential, lstm, dense, adam, alphabetDataset, padSequences, toCategorical, reshape, divide,
  createRng, LstmWasmError, type RngKind, type PresetName,
} from './index.js';

const HELP = `Usage: lstm-wasm [options]

Reproduces the Keras listing "LSTM with variable-length input sequences to one-character output":
random runs of 1..max-len consecutive letters, the target is the next letter; pad_sequences,
/26, one-hot targets; LSTM(units) -> Dense(26, softmax), Adam, categorical cross-entropy; then
evaluate and 20 demo predictions. Defaults replay the listing exactly (numpy stream, seed 7).

Options:
  --samples N        number of sequences (default 1000)
  --max-len N        longest sequence and padded length (default 5)
  --units N          LSTM units (default 32)
  --epochs N         training epochs (default 500)
  --batch-size N     samples per Adam step (default 1)
  --seed N           seed of the random stream (default 7)
  --rng KIND         numpy (default; numpy's legacy MT19937, as the listing) or seedrandom
  --preset NAME      keras2 (default; the listing's Keras 2.0 semantics) or keras3
  --verbose N        0 silent, 1 progress bar, 2 one line per epoch (default 2)
  --kernels KIND     simd (default) or scalar (the reference kernels, slower)
  --print-data       print every generated sequence (the listing does), not just the first 10
  -h, --help         this text
`;

function int(name: string, v: string | undefined, dflt: number, min = 1): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new LstmWasmError(`--${name} must be an integer >= ${min}, received '${v}'`);
  return n;
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      samples: { type: 'string' }, 'max-len': { type: 'string' }, units: { type: 'string' },
      epochs: { type: 'string' }, 'batch-size': { type: 'string' }, seed: { type: 'string' },
      rng: { type: 'string' }, preset: { type: 'string' }, verbose: { type: 'string' },
      kernels: { type: 'string' }, 'print-data': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const numInputs = int('samples', values.samples, 1000);
  const maxLen = int('max-len', values['max-len'], 5);
  const units = int('units', values.units, 32);
  const epochs = int('epochs', values.epochs, 500);
  const batchSize = int('batch-size', values['batch-size'], 1);
  const seed = int('seed', values.seed, 7, 0);
  const verbose = int('verbose', values.verbose, 2, 0);
  if (verbose > 2) throw new LstmWasmError(`--verbose must be 0, 1 or 2, received '${values.verbose}'`);
  const kind = (values.rng ?? 'numpy') as RngKind;
  const preset = (values.preset ?? 'keras2') as PresetName;
  const kernels = (values.kernels ?? 'simd') as 'simd' | 'scalar';
  if (kernels !== 'simd' && kernels !== 'scalar') throw new LstmWasmError(`--kernels must be simd or scalar, received '${kernels}'`);

  await ready();
  // One stream for everything, consumed in the listing's order: data, initialisation, one shuffle
  // per epoch, then the demo picks.
  const rng = createRng(seed, kind);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const { dataX, dataY } = alphabetDataset({ numInputs, maxLen, rng, alphabet });
  const shown = values['print-data'] ? dataX.length : Math.min(10, dataX.length);
  for (let i = 0; i < shown; i++) console.log(`${dataX[i].map((k) => alphabet[k]).join('')} -> ${alphabet[dataY[i]]}`);
  if (shown < dataX.length) console.log(`... ${dataX.length - shown} more (--print-data shows them all)`);

  const X = padSequences(dataX, { maxLen, dtype: 'float32' });
  const x = divide(reshape(X, [dataX.length, maxLen, 1]), alphabet.length);
  const y = toCategorical(dataY, undefined, { vocabularySize: alphabet.length });
  const V = y.shape[1];

  const model = sequential({
    rng, preset, kernels,
    layers: [lstm({ units, inputShape: [maxLen, 1] }), dense({ units: V, activation: 'softmax' })],
  });
  model.compile({ loss: 'categoricalCrossentropy', optimizer: adam(), metrics: ['accuracy'] });
  const t0 = performance.now();
  await model.fit(x, y, { epochs, batchSize, shuffle: true, verbose: verbose as 0 | 1 | 2 });
  const seconds = (performance.now() - t0) / 1000;

  const [, acc] = model.evaluate(x, y);
  console.log(`Model Accuracy: ${(acc * 100).toFixed(2)}%`);
  for (let i = 0; i < 20; i++) {
    const pattern = dataX[rng.randint(dataX.length)];
    console.log(`pattern : [${pattern.join(', ')}]`);
    const p = padSequences([pattern], { maxLen, dtype: 'float32' });
    const probs = model.predict(divide(reshape(p, [1, maxLen, 1]), alphabet.length)).data;
    let best = 0;
    for (let j = 1; j < probs.length; j++) if (probs[j] > probs[best]) best = j;
    console.log(`[${pattern.map((k) => `'${alphabet[k]}'`).join(', ')}] -> ${alphabet[best]}`);
  }
  const perSample = (seconds * 1e6) / (epochs * dataX.length);
  console.log(`Trained ${epochs} epochs x ${dataX.length} samples in ${seconds.toFixed(2)} s (${perSample.toFixed(2)} µs per sample, ${kernels} kernels)`);
  model.dispose();
}

main(process.argv.slice(2)).catch((e: unknown) => {
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`lstm-wasm: ${msg}\n`);
  if (e instanceof Error && !(e instanceof LstmWasmError) && !/argument|option/i.test(msg)) process.stderr.write(`${e.stack}\n`);
  process.exitCode = 2;
});
