// Deliberate mistakes a user could make. test/package.test.ts asserts that `tsc` reports each one,
// at these lines and with these codes, so the type-check of consumer.ts can fail at all.
import { lstm, sequential, dense, type FitArgs } from 'lstm-wasm';

export const misspelt = lstm({ unit: 32, inputShape: [5, 1] }); // TS2561: 'unit' is not 'units'
export const wrongType: FitArgs = { epochs: '10' }; // TS2322: epochs is a number
export const missing = sequential({ seed: 1 }); // TS2345: layers is required
export const notAnOption = dense({ units: 26, activation: 'exponential' }); // TS2322: softmax, linear, sigmoid, tanh or relu
