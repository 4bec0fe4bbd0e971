// The README's "Install and use from npm" example, verbatim: test/package.test.ts runs it in a
// fresh project where `npm install` put the packed tarball, in this repository (where `lstm-wasm`
// self-references its own dist/), and in Chromium on the <script> bundle, and compares the output.
import { ready, sequential, lstm, dense, adam, alphabetDataset, padSequences, reshape, divide, toCategorical } from 'lstm-wasm';

await ready(); // compiles the embedded WebAssembly once

// The Keras listing's task, small: runs of 1 to 3 consecutive letters; the target is the next letter.
const maxLen = 3;
const { dataX, dataY } = alphabetDataset({ numInputs: 200, maxLen, seed: 7 });
const encode = (seqs) => divide(reshape(padSequences(seqs, { maxLen, dtype: 'float32' }), [seqs.length, maxLen, 1]), 26);
const x = encode(dataX); // [200, 3, 1]: letter indices scaled by 1/26, zero-padded in front
const y = toCategorical(dataY, 26); // [200, 26] one-hot

const model = sequential({ seed: 1, layers: [
  lstm({ units: 16, inputShape: [maxLen, 1] }),
  dense({ units: 26, activation: 'softmax' }) ] });
model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 0.01 }), metrics: ['accuracy'] });
const history = await model.fit(x, y, { epochs: 60, batchSize: 8, verbose: 0 });
const { loss: losses, acc: accs } = history.history; // one value per epoch
console.log(`fit: loss ${losses[0].toFixed(4)} -> ${losses.at(-1).toFixed(4)}, accuracy ${accs[0].toFixed(3)} -> ${accs.at(-1).toFixed(3)} in ${losses.length} epochs`);

const [loss, acc] = model.evaluate(x, y);
console.log(`evaluate: loss ${loss.toFixed(4)}, accuracy ${(acc * 100).toFixed(1)}%`);

const probs = model.predict(encode([[10, 11, 12]])).data; // K, L, M -> ?
const best = probs.indexOf(Math.max(...probs));
console.log(`K, L, M -> ${'ABCDEFGHIJKLMNOPQRSTUVWXYZ'[best]} (p = ${probs[best].toFixed(3)})`);
model.dispose();
