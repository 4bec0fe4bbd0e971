// page.html maps the bare specifier 'lstm-wasm' here, so quickstart.mjs runs unchanged in Chromium
// on the <script> bundle's global `lstmWasm` (the packed dist/lstm-wasm.js, not the ESM build).
export const { ready, sequential, lstm, dense, adam, alphabetDataset, padSequences, reshape, divide, toCategorical } = globalThis.lstmWasm;
