// Node-only helpers ('lstm-wasm/node'): models as files. Kept out of index.ts's import graph so the
// browser bundle never sees node:fs.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ValueError } from '../errors.js';
import { describe } from '../options.js';
import { decodeModel, encodeModel, type SaveArgs } from './format.js';
import { loadModel } from '../model/load.js';
import { fromTfjsLayers, tfjsModelJSON, toTfjsLayers, type ImportArgs, type TfjsWeightSpec } from '../interop/tfjs.js';
import type { Sequential } from '../model/sequential.js';

function checkPath(caller: string, path: unknown): string {
  if (typeof path !== 'string' || path === '') throw new ValueError(`${caller}: path must be a non-empty string, received ${describe(path)}`);
  return path;
}

// Write to a temporary sibling, then rename: a crash never leaves a half-written model behind.
async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.${process.pid}.${Date.now().toString(36)}.tmp`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Writes `model.save(args)` to `path` as one file (`encodeModel`'s container), atomically.
 *
 * @example
 * import { saveModelFile, loadModelFile } from 'lstm-wasm/node';
 * await saveModelFile(model, 'letters.lstm');
 */
export async function saveModelFile(model: Sequential, path: string, args: SaveArgs = {}): Promise<void> {
  const c = 'saveModelFile()';
  checkPath(c, path);
  const bytes = encodeModel(model.save(args)); // taken now, before any await
  await writeAtomic(path, bytes);
}

/**
 * Reads a file written by `saveModelFile` (or `downloadModel`) and restores the model (`loadModel`).
 *
 * @example
 * const model = await loadModelFile('letters.lstm');
 */
export async function loadModelFile(path: string): Promise<Sequential> {
  const c = 'loadModelFile()';
  const bytes = await readFile(checkPath(c, path));
  return loadModel(decodeModel(bytes, `${c} ${path}`));
}

/**
 * Writes the model as TensorFlow.js Layers files: `dir/model.json` and `dir/weights.bin`
 * (`tf.loadLayersModel('file://dir/model.json')` with tfjs-node, or serve them to a page).
 * Returns the two paths.
 *
 * @example
 * await saveTfjsLayersFiles(model, 'web/model');
 */
export async function saveTfjsLayersFiles(model: Sequential, dir: string): Promise<{
  /** Path of the model.json written: `dir/model.json`. */
  modelJson: string;
  /** Path of the weights written: `dir/weights.bin`. */
  weightsBin: string;
}> {
  const c = 'saveTfjsLayersFiles()';
  checkPath(c, dir);
  const a = toTfjsLayers(model);
  await mkdir(dir, { recursive: true });
  const weightsBin = join(dir, 'weights.bin');
  const modelJson = join(dir, 'model.json');
  await writeAtomic(weightsBin, new Uint8Array(a.weightData));
  await writeAtomic(modelJson, tfjsModelJSON(a));
  return { modelJson, weightsBin };
}

/**
 * Reads a TensorFlow.js Layers model.json and its weight files (the manifest's paths, relative to
 * it) and builds the model (`fromTfjsLayers`).
 *
 * @example
 * const model = await loadTfjsLayersFiles('web/model/model.json');
 */
export async function loadTfjsLayersFiles(modelJsonPath: string, args: ImportArgs = {}): Promise<Sequential> {
  const c = 'loadTfjsLayersFiles()';
  const text = await readFile(checkPath(c, modelJsonPath), 'utf8');
  let json: { modelTopology?: unknown; weightsManifest?: Array<{ paths: string[]; weights: TfjsWeightSpec[] }> };
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ValueError(`${c}: ${modelJsonPath} is not JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(json.weightsManifest)) throw new ValueError(`${c}: ${modelJsonPath} has no weightsManifest`);
  const base = dirname(resolve(modelJsonPath));
  const weightData: ArrayBuffer[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths ?? []) {
      const b = await readFile(join(base, p));
      weightData.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
    }
  }
  return fromTfjsLayers({ modelTopology: json.modelTopology, weightsManifest: json.weightsManifest, weightData }, args);
}
