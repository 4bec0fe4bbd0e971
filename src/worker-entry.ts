// The worker script of the ESM build: `trainInWorker` starts it as a module Web Worker in
// browsers (bundlers see `new Worker(new URL('./worker-entry.js', import.meta.url))`) and as a
// worker_threads Worker in Node. It only answers `trainInWorker`'s messages.
import { serveWorker, type WorkerPort } from './worker.js';

const WORKER_THREADS = 'node:worker_threads'; // hidden from bundlers targeting browsers
const node = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';

if (node && typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope === 'undefined') {
  const { parentPort } = (await import(/* @vite-ignore */ /* webpackIgnore: true */ WORKER_THREADS)) as typeof import('node:worker_threads');
  if (!parentPort) throw new Error('lstm-wasm worker-entry.js: start it with trainInWorker(), not as a main script');
  serveWorker(parentPort as unknown as WorkerPort);
} else {
  serveWorker();
}
