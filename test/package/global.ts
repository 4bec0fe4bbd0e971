// A page script using the <script> bundle's global `lstmWasm`, typed by `lstm-wasm/browser`.
import type {} from 'lstm-wasm/browser';
import type { History } from 'lstm-wasm';

export async function page(): Promise<string> {
  await lstmWasm.ready();
  const model = lstmWasm.sequential({ seed: 7, layers: [lstmWasm.lstm({ units: 4, inputShape: [2, 1] }), lstmWasm.dense({ units: 3, activation: 'softmax' })] });
  model.compile({ loss: 'categoricalCrossentropy', optimizer: lstmWasm.adam() });
  const history: History = await model.fit([[[0], [0.5]]], [[0, 1, 0]], { epochs: 1 });
  return history.history.loss.join(',');
}
