// Helpers for test/robustness/: a hash of everything a call could change in a model (weights,
// Adam's m and v, the step and compile slots, the generator, fit's sample order), a check that a
// call was refused with a documented error that names what it should, bit-exact weight comparison
// that reports the first differing element, and small deterministic tasks.
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { LstmWasmError, sequential, lstm, dense, adam, type Sequential, type Tensor, type NamedTensor } from '../../src/index.js';
import * as ABI from '../../src/generated/abi.js';
import { memoryStats } from '../../src/wasm.js';

export { memoryStats };

const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** sha256 of the weights only (what `getWeights()` returns). */
export function weightHash(m: Sequential): string {
  const h = createHash('sha256');
  for (const w of m.getWeights()) h.update(bytesOf(w.data));
  return h.digest('hex');
}

// Slots of abi.ts's tables that hold values (not addresses, *_PTR, which differ in every model and
// move when the scratch regrows; not the scratch's capacity or the last chunk run, which change
// no result): every one is hashed, so a new slot is covered without editing this file.
const SLOTS = ABI as unknown as Record<string, number>;
const SKIP = new Set(['H_TCAP', 'H_BCAP', 'H_B', 'H_T', 'H_R', 'H_EQUAL', 'H_USESTATE']);
const valueSlots = (prefix: string) =>
  Object.entries(SLOTS).filter(([k]) => k.startsWith(prefix) && !k.endsWith('_PTR') && !k.endsWith('_SLOTS') && !SKIP.has(k));

/**
 * sha256 of the whole trainable state: weights, the optimizer's m and v, every descriptor slot
 * that holds a value (step, learning rate, betas, epsilon, activation, ...), the compile settings,
 * the generator's state and fit's saved sample order. Equal hashes: the next call behaves the same.
 */
export function stateHash(m: Sequential): string {
  const a = m.arena;
  if (!a) return 'disposed';
  const h = createHash('sha256');
  h.update(bytesOf(a.region('params')));
  h.update(bytesOf(a.region('m')));
  h.update(bytesOf(a.region('v')));
  h.update(bytesOf(a.states()));
  const header = a.header();
  for (const [name, i] of valueSlots('H_')) h.update(`${name}=${header[i]};`);
  m.plan.program.forEach((_, r) => {
    const rec = a.record(r);
    for (const [name, i] of valueSlots('LR_')) h.update(`${r}.${name}=${rec[i]};`);
  });
  const [loss, opt] = [a.loss(), a.opt()];
  for (const [name, i] of valueSlots('LS_')) h.update(`${name}=${loss[i]};`);
  for (const [name, i] of valueSlots('OP_')) h.update(`${name}=${opt[i]};`);
  h.update(JSON.stringify(m.compiled ? { ...m.compiled, args: { ...m.compiled.args, optimizer: m.compiled.args.optimizer.config } } : null));
  h.update(JSON.stringify(m.rng.getState()));
  const fs = (m as { fitState?: { order: Int32Array; epochs: number } | null }).fitState;
  h.update(fs ? `${fs.epochs}:` : 'none');
  if (fs) h.update(bytesOf(fs.order));
  h.update(String(m.busy));
  return h.digest('hex');
}

/** sha256 of what training changes: weights, Adam's m and v, and the step (not the generator). */
export function trainedHash(m: Sequential): string {
  const a = m.arena!;
  const h = createHash('sha256');
  for (const r of ['params', 'm', 'v'] as const) h.update(bytesOf(a.region(r)));
  h.update(String(a.opt()[ABI.OP_STEP]));
  return h.digest('hex');
}

/** Every value of every region finite (weights, or also Adam's m and v)? Names the first that is not. */
export function nonFinite(m: Sequential, regions: ReadonlyArray<'params' | 'm' | 'v'> = ['params', 'm', 'v']): string | null {
  const a = m.arena!;
  for (const r of regions) {
    const d = a.region(r);
    const i = d.findIndex((v) => !Number.isFinite(v));
    if (i >= 0) return `${r}[${i}] = ${d[i]}`;
  }
  return null;
}

/**
 * Bit-exact comparison of two weight lists; on failure names the tensor, how many elements
 * differ, the first index and both values (STYLE.md habit 10).
 */
export function expectSameBits(ours: NamedTensor[], ref: NamedTensor[], what: string): void {
  expect(ours.map((w) => w.name), `${what}: tensor names`).toEqual(ref.map((w) => w.name));
  for (let k = 0; k < ref.length; k++) {
    const a = new Uint32Array(Float32Array.from(ours[k].data).buffer);
    const b = new Uint32Array(Float32Array.from(ref[k].data).buffer);
    let off = 0;
    let first = -1;
    for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) { off++; if (first < 0) first = i; }
    const detail = first < 0 ? '' : `${ref[k].name}: ${off}/${b.length} elements differ; first at [${first}]: ours ${ours[k].data[first]} vs reference ${ref[k].data[first]}`;
    expect(detail, `${what}: ${ref[k].name} bit for bit`).toBe('');
  }
}

export type ErrorClass = new (msg: string) => LstmWasmError;

/**
 * Runs `call` (sync or async), expects it to be refused with exactly `type` (a documented
 * LstmWasmError subclass) and a message containing every part of `says`; returns the error.
 */
export async function refused(call: () => unknown, type: ErrorClass, says: Array<string | RegExp>, label = ''): Promise<Error> {
  let err: unknown = null;
  try {
    await call();
  } catch (e) {
    err = e;
  }
  const tag = label ? `${label}: ` : '';
  expect(err, `${tag}expected ${type.name}, but the call succeeded`).not.toBeNull();
  const e = err as Error;
  expect(`${e.constructor?.name}: ${e.message}`, `${tag}error type`).toMatch(new RegExp(`^${type.name}: `));
  expect(e, `${tag}instance`).toBeInstanceOf(type);
  for (const part of says) {
    if (typeof part === 'string') expect(e.message, `${tag}message names ${JSON.stringify(part)}`).toContain(part);
    else expect(e.message, `${tag}message matches ${part}`).toMatch(part);
  }
  return e;
}

/** The outcome of any call: a value, or the error it threw (sync or async). */
export async function outcome(call: () => unknown): Promise<{ ok: true; value: unknown } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** A one-line description of a thrown value, for assertion messages. */
export function errorLine(e: unknown): string {
  if (e instanceof Error) return `${e.constructor?.name ?? 'Error'}: ${e.message}`;
  return `non-Error thrown: ${String(e)}`;
}

/** Awaits one turn of the host's event loop (timers and I/O callbacks run). */
export const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * A small deterministic task: `n` sequences of `T` steps with `D` features, `V` classes, the
 * target a function of the first feature of the steps (so training has something to learn).
 */
export function task(n: number, T: number, V: number, D = 1): { x: Tensor; y: Tensor; labels: number[] } {
  const x = new Float32Array(n * T * D);
  const y = new Float32Array(n * V);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = (i * 7 + 3) % V;
    for (let t = 0; t < T; t++) for (let d = 0; d < D; d++) x[(i * T + t) * D + d] = ((k + t + d) % V) / V;
    y[i * V + ((k + T) % V)] = 1;
    labels.push((k + T) % V);
  }
  return { x: { shape: [n, T, D], data: x }, y: { shape: [n, V], data: y }, labels };
}

/** Ragged version: sample i has 1 + (i % T) steps, one feature each (`number[][]`). */
export function raggedTask(n: number, T: number, V: number): { x: number[][]; y: number[][] } {
  const x: number[][] = [];
  const y: number[][] = [];
  for (let i = 0; i < n; i++) {
    const len = 1 + (i % T);
    const k = (i * 5 + 1) % V;
    x.push(Array.from({ length: len }, (_, t) => ((k + t) % V) / V));
    y.push(Array.from({ length: V }, (_, j) => (j === (k + len) % V ? 1 : 0)));
  }
  return { x, y };
}

/** `sequential([lstm(H), dense(V, softmax)])` compiled with Adam and accuracy. */
export function smallModel(o: { seed?: number; H?: number; T?: number | null; D?: number; V?: number; lr?: number; preset?: 'keras2' | 'keras3' } = {}): Sequential {
  const { seed = 1, H = 4, T = 3, D = 1, V = 5, lr = 0.01, preset = 'keras2' } = o;
  const m = sequential({ seed, preset, layers: [lstm({ units: H, inputShape: [T, D] }), dense({ units: V, activation: 'softmax' })] });
  m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: lr }), metrics: ['accuracy'] });
  return m;
}

/** Every row of a [N, V] probability tensor finite, in [0, 1] and summing to 1 (within 1e-5)? */
export function probabilityRowsProblem(p: Tensor): string | null {
  const [N, V] = p.shape;
  for (let i = 0; i < N; i++) {
    let s = 0;
    for (let j = 0; j < V; j++) {
      const v = p.data[i * V + j];
      if (!(v >= 0 && v <= 1)) return `row ${i} has ${v} at column ${j}`;
      s += v;
    }
    if (Math.abs(s - 1) > 1e-5) return `row ${i} sums to ${s}`;
  }
  return null;
}
