#!/usr/bin/env node
// `npm start` and `npx lstm-wasm`: the Keras listing "LSTM with variable-length input sequences
// to one-character output", end to end, with its knobs as flags.
import { parseArgs } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import {
  ready, sequential, lstm, dense, adam, alphabetDataset, alphabetPatterns, padSequences, toCategorical, reshape, divide,
  createRng, trainingCurveSvg, decodeModel, loadModel, LstmWasmError, type RngKind, type PresetName, type Sequential, type History,
} from './index.js';
import { saveModelFile } from './io/node.js';

const HELP = `Usage: lstm-wasm [options]

Reproduces the Keras listing "LSTM with variable-length input sequences to one-character output":
random runs of 1..max-len consecutive letters, the target is the next letter; pad_sequences,
/26, one-hot targets; LSTM(units) -> Dense(26, softmax), Adam, categorical cross-entropy; then
evaluate and 20 demo predictions. Defaults replay the listing exactly (numpy stream, seed 7).

Options:
  --samples N        number of sequences (default 1000)
  --max-len N        longest sequence and padded length (default 5)
  --units N[,N...]   LSTM units (default 32); a list stacks LSTMs, e.g. 64,32
  --epochs N         training epochs (default 500)
  --batch-size N     samples per Adam step (default 1)
  --seed N           seed of the random stream (default 7)
  --rng KIND         numpy (default; numpy's legacy MT19937, as the listing) or seedrandom
  --preset NAME      keras2 (default; the listing's Keras 2.0 semantics) or keras3
  --verbose N        0 silent, 1 progress bar, 2 one line per epoch (default 2)
  --kernels KIND     simd (default) or scalar (the reference kernels, slower)
  --ragged           feed each sequence at its own length (no padding, inputShape [null, 1])
                     instead of the listing's pre-padded [samples, max-len, 1] tensor
  --validation-split F  hold out the last fraction F of the samples (as Keras) and report
                     accuracy on them
  --plot FILE        write the training curve (loss and accuracy per epoch) as an SVG file
  --print-data       print every generated sequence (the listing does), not just the first 10
  --save FILE        save the trained model (weights, optimizer, generator; lstm-wasm's format)
  --load FILE        load a model saved with --save and run the evaluation and demo predictions
                     without training; the data flags default to those of the saved run
  -h, --help         this text
`;

/** How the data of a run was made: stored in models saved with --save, the defaults of --load. */
interface DataFlags { samples: number; maxLen: number; seed: number; rng: RngKind; ragged: boolean }

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
      ragged: { type: 'boolean' }, 'validation-split': { type: 'string' }, plot: { type: 'string' },
      save: { type: 'string' }, load: { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  // --load: the model comes from the file, and the data flags default to the saved run's.
  let loaded: { model: Sequential; data: DataFlags | null } | null = null;
  if (values.load !== undefined) {
    for (const flag of ['units', 'epochs', 'batch-size', 'preset', 'kernels', 'validation-split', 'plot', 'verbose'] as const) {
      if (values[flag] !== undefined) throw new LstmWasmError(`--${flag} does not apply with --load (the model is loaded, not trained)`);
    }
    await ready();
    const saved = decodeModel(readFileSync(values.load), `--load ${values.load}`);
    const model = loadModel(saved);
    const meta = saved.json.metadata as { cli?: DataFlags } | undefined;
    loaded = { model, data: meta?.cli ?? null };
    console.log(`Loaded ${values.load} (lstm-wasm ${saved.json.libraryVersion}, LSTM(${model.units.join(" -> ")}), ${model.config.preset}${loaded.data ? '' : '; not saved by this CLI: give the data flags'})`);
  }
  const saved = loaded?.data;
  const numInputs = int('samples', values.samples, saved?.samples ?? 1000);
  const maxLen = int('max-len', values['max-len'], saved?.maxLen ?? 5);
  // --units 32 (one LSTM) or 64,32 (stacked: every layer but the last returns sequences)
  const units = (values.units ?? '32').split(',').map((u) => int('units', u, 32));
  const epochs = int('epochs', values.epochs, 500);
  const batchSize = int('batch-size', values['batch-size'], 1);
  const seed = int('seed', values.seed, saved?.seed ?? 7, 0);
  const verbose = int('verbose', values.verbose, 2, 0);
  if (verbose > 2) throw new LstmWasmError(`--verbose must be 0, 1 or 2, received '${values.verbose}'`);
  const kind = (values.rng ?? saved?.rng ?? 'numpy') as RngKind;
  const preset = (values.preset ?? 'keras2') as PresetName;
  const kernels = (values.kernels ?? 'simd') as 'simd' | 'scalar';
  if (kernels !== 'simd' && kernels !== 'scalar') throw new LstmWasmError(`--kernels must be simd or scalar, received '${kernels}'`);

  const split = values['validation-split'] === undefined ? undefined : Number(values['validation-split']);
  if (split !== undefined && !(split > 0 && split < 1)) {
    throw new LstmWasmError(`--validation-split must be a number in (0, 1), received '${values['validation-split']}'`);
  }
  const ragged = values.ragged === true || (values.ragged === undefined && saved?.ragged === true);

  await ready();
  // One stream for everything, consumed in the listing's order: data, initialisation, one shuffle
  // per epoch, then the demo picks.
  const rng = createRng(seed, kind);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const { dataX, dataY } = alphabetDataset({ numInputs, maxLen, rng, alphabet });
  const shown = values['print-data'] ? dataX.length : Math.min(10, dataX.length);
  for (let i = 0; i < shown; i++) console.log(`${dataX[i].map((k) => alphabet[k]).join('')} -> ${alphabet[dataY[i]]}`);
  if (shown < dataX.length) console.log(`... ${dataX.length - shown} more (--print-data shows them all)`);

  // The listing's input: pre-padded to max-len steps and scaled by 1/26. With --ragged, each
  // sequence keeps its own length and no step is padding.
  const n = alphabet.length;
  const encode = (seqs: number[][]) =>
    ragged ? seqs.map((q) => q.map((k) => Math.fround(k / n))) : divide(reshape(padSequences(seqs, { maxLen, dtype: 'float32' }), [seqs.length, maxLen, 1]), n);
  const x = encode(dataX);
  const y = toCategorical(dataY, undefined, { vocabularySize: n });
  const V = y.shape[1];

  let model: Sequential;
  let history: History | null = null;
  let seconds = 0;
  if (loaded) {
    model = loaded.model;
    if (model.V !== V) throw new LstmWasmError(`--load: the model has ${model.V} classes, the data ${V}`);
    if (!model.compiled) model.compile({ loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  } else {
    model = sequential({
      rng, preset, kernels,
      layers: [
        ...units.map((u, l) => lstm({ units: u, ...(l < units.length - 1 ? { returnSequences: true } : {}), ...(l === 0 ? { inputShape: [ragged ? null : maxLen, 1] as [number | null, number] } : {}) })),
        dense({ units: V, activation: 'softmax' }),
      ],
    });
    model.compile({ loss: 'categoricalCrossentropy', optimizer: adam(), metrics: ['accuracy'] });
    const t0 = performance.now();
    history = await model.fit(x, y, { epochs, batchSize, shuffle: true, verbose: verbose as 0 | 1 | 2, validationSplit: split });
    seconds = (performance.now() - t0) / 1000;
  }
  if (values.save !== undefined) {
    // Saved before the demo draws from the stream, so --load replays the same 20 picks.
    const cli: DataFlags = { samples: numInputs, maxLen, seed, rng: kind, ragged };
    await saveModelFile(model, values.save, { metadata: { cli } });
    console.log(`Saved the model to ${values.save}`);
  }

  const [, acc] = model.evaluate(x, y);
  console.log(`Model Accuracy: ${(acc * 100).toFixed(2)}%`);
  // The demo's picks continue the stream: the shared one after training, or the loaded model's
  // generator (saved at that same point).
  const picks = loaded ? model.rng : rng;
  for (let i = 0; i < 20; i++) {
    const pattern = dataX[picks.randint(dataX.length)];
    console.log(`pattern : [${pattern.join(', ')}]`);
    const probs = model.predict(encode([pattern])).data;
    let best = 0;
    for (let j = 1; j < probs.length; j++) if (probs[j] > probs[best]) best = j;
    console.log(`[${pattern.map((k) => `'${alphabet[k]}'`).join(', ')}] -> ${alphabet[best]}`);
  }
  if (split !== undefined && history) {
    const key = Object.keys(history.history).find((k) => k.startsWith('val_acc'))!;
    const held = dataX.length - Math.floor(dataX.length * (1 - split));
    console.log(`Held-out accuracy (last ${held} samples, never trained on): ${(history.history[key].at(-1)! * 100).toFixed(2)}%`);
  }
  const all = alphabetPatterns({ maxLen, alphabet });
  if (all.dataY.every((t) => t < V)) {
    const [, accAll] = model.evaluate(encode(all.dataX), toCategorical(all.dataY, V));
    console.log(`Accuracy on all ${all.dataX.length} distinct patterns: ${(accAll * 100).toFixed(2)}%`);
  }
  if (values.plot && history) {
    const title = `LSTM(${units.join(' -> ')}) on ${dataX.length} sequences, batch ${batchSize}, ${preset}${ragged ? ', ragged' : ''}`;
    // XML comments may not contain '--', so the command goes into <desc>.
    const made = '<!-- GENERATED by the lstm-wasm CLI (the command is in desc); do not edit, run it again -->\n';
    writeFileSync(values.plot, made + trainingCurveSvg(history, { title, description: `lstm-wasm ${argv.join(' ')}` }));
    console.log(`Wrote the training curve to ${values.plot}`);
  }
  if (!loaded) {
    const trained = split === undefined ? dataX.length : Math.floor(dataX.length * (1 - split));
    const perSample = (seconds * 1e6) / (epochs * trained);
    console.log(`Trained ${epochs} epochs x ${trained} samples in ${seconds.toFixed(2)} s (${perSample.toFixed(2)} µs per sample, ${kernels} kernels)`);
  }
  model.dispose();
}

main(process.argv.slice(2)).catch((e: unknown) => {
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`lstm-wasm: ${msg}\n`);
  if (e instanceof Error && !(e instanceof LstmWasmError) && !/argument|option/i.test(msg)) process.stderr.write(`${e.stack}\n`);
  process.exitCode = 2;
});
