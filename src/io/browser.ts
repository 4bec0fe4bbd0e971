// Browsers: models in IndexedDB, and downloads.
// The native model format: save() -> { json, weights } -> loadModel(), the one-file container
// (encodeModel/decodeModel), and the browser's IndexedDB and download helpers. Every byte of a
// file is checked before any WASM memory is touched, so a refused file leaves nothing behind.
// File layout and JSON fields: see SavedModelJSON and encodeModel below, and the README.
import { StateError, ValueError } from '../errors.js';
import { checkKeys, describe } from '../options.js';
import type { Sequential } from '../model/sequential.js';
import { kernels } from '../wasm.js';
import { loadModel } from '../model/load.js';
import { decodeModel, encodeModel, type SaveArgs } from './format.js';

/**
 * Options of the IndexedDB helpers.
 *
 * @example
 * await saveModelIndexedDB(model, 'letters', { dbName: 'my-app', includeOptimizer: false });
 * const again = await loadModelIndexedDB('letters', { dbName: 'my-app' });
 */
export interface IndexedDBArgs extends SaveArgs {
  /** Database name. Default 'lstm-wasm'. */
  dbName?: string;
}

const STORE = 'models';

function idbOpen(caller: string, dbName: string): Promise<IDBDatabase> {
  const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!idb) throw new StateError(`${caller}: this host has no IndexedDB (in Node, use saveModelFile/loadModelFile from 'lstm-wasm/node')`);
  return new Promise((resolve, reject) => {
    const req = idb.open(dbName, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(new StateError(`${caller}: could not open IndexedDB database '${dbName}': ${req.error?.message}`));
    req.onblocked = () => reject(new StateError(`${caller}: IndexedDB database '${dbName}' is blocked by another tab`));
  });
}

function idbRequest<T>(caller: string, db: IDBDatabase, mode: IDBTransactionMode, op: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const req = op(tx.objectStore(STORE));
    let result: T;
    req.onsuccess = () => (result = req.result);
    tx.oncomplete = () => resolve(result);
    tx.onerror = tx.onabort = () => reject(new StateError(`${caller}: IndexedDB: ${tx.error?.message ?? req.error?.message ?? 'transaction failed'}`));
  }).finally(() => db.close()) as Promise<T>;
}

function checkKey(caller: string, key: unknown): string {
  if (typeof key !== 'string' || key === '') throw new ValueError(`${caller}: key must be a non-empty string, received ${describe(key)}`);
  return key;
}

function dbNameOf(caller: string, args: IndexedDBArgs): string {
  const name = args.dbName ?? 'lstm-wasm';
  if (typeof name !== 'string' || name === '') throw new ValueError(`${caller}: dbName must be a non-empty string, received ${describe(name)}`);
  return name;
}

/**
 * Saves the model (the `encodeModel` bytes, taken when called) in the browser's IndexedDB under `key`.
 *
 * @example
 * await saveModelIndexedDB(model, 'letters');
 * const again = await loadModelIndexedDB('letters');
 */
export async function saveModelIndexedDB(model: Sequential, key: string, args: IndexedDBArgs = {}): Promise<void> {
  const c = 'saveModelIndexedDB()';
  checkKeys(c, args, ['dbName', 'includeOptimizer', 'metadata']);
  checkKey(c, key);
  const dbName = dbNameOf(c, args);
  const { dbName: _, ...saveArgs } = args;
  const bytes = encodeModel(model.save(saveArgs));
  const db = await idbOpen(c, dbName);
  await idbRequest(c, db, 'readwrite', (s) => s.put(bytes.buffer, key));
}

/**
 * Loads a model saved by `saveModelIndexedDB`; a ValueError if there is none under `key`.
 *
 * @example
 * const model = await loadModelIndexedDB('letters');
 */
export async function loadModelIndexedDB(key: string, args: Pick<IndexedDBArgs, 'dbName'> = {}): Promise<Sequential> {
  const c = 'loadModelIndexedDB()';
  checkKeys(c, args, ['dbName']);
  checkKey(c, key);
  kernels(c);
  const dbName = dbNameOf(c, args);
  const db = await idbOpen(c, dbName);
  const bytes = await idbRequest<unknown>(c, db, 'readonly', (s) => s.get(key));
  if (bytes === undefined) throw new ValueError(`${c}: no model saved under key '${key}' in IndexedDB database '${dbName}'`);
  return loadModelFromBytes(c, bytes);
}

/**
 * Removes a model saved by `saveModelIndexedDB` (nothing happens if there is none).
 *
 * @example
 * await deleteModelIndexedDB('letters');
 */
export async function deleteModelIndexedDB(key: string, args: Pick<IndexedDBArgs, 'dbName'> = {}): Promise<void> {
  const c = 'deleteModelIndexedDB()';
  checkKeys(c, args, ['dbName']);
  checkKey(c, key);
  const db = await idbOpen(c, dbNameOf(c, args));
  await idbRequest(c, db, 'readwrite', (s) => s.delete(key));
}

function loadModelFromBytes(c: string, bytes: unknown): Sequential {
  if (!(bytes instanceof ArrayBuffer) && !ArrayBuffer.isView(bytes)) throw new ValueError(`${c}: the stored value is ${describe(bytes)}, not model bytes`);
  const saved = decodeModel(bytes, c);
  return loadModel(saved);
}

/**
 * Lets the browser download the model as one file (`encodeModel` bytes); load it again with
 * `loadModel(new Uint8Array(await file.arrayBuffer()))` or `loadModelFile` in Node.
 *
 * @example
 * downloadModel(model, 'letters.lstm');
 */
export function downloadModel(model: Sequential, filename = 'model.lstm', args: SaveArgs = {}): void {
  const c = 'downloadModel()';
  if (typeof filename !== 'string' || filename === '' || /[\\/]/.test(filename)) throw new ValueError(`${c}: filename must be a non-empty name without slashes, received ${describe(filename)}`);
  const g = globalThis as { document?: Document; URL?: typeof URL; Blob?: typeof Blob };
  if (!g.document || !g.URL?.createObjectURL || !g.Blob) throw new StateError(`${c}: needs a browser page (document, Blob, URL.createObjectURL); in Node, use saveModelFile from 'lstm-wasm/node'`);
  const bytes = encodeModel(model.save(args));
  const url = g.URL.createObjectURL(new g.Blob([bytes], { type: 'application/octet-stream' }));
  const link = g.document.createElement('a');
  link.href = url;
  link.download = filename;
  link.style.display = 'none';
  g.document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => g.URL!.revokeObjectURL(url), 10_000);
}
