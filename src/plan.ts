// Planning, pure (no WASM): a layer list and a preset become shapes, the one size table of the
// weights (params, grads, m and v share it), the state blocks, the program of layer records and the
// scratch each record needs for chunks of (T, B). The stack's grammar is shape checking: each kind
// says what it outputs for its input, and refuses an input it cannot take.
import { ConfigError, ShapeError } from './errors.js';
import { describe } from './options.js';
import type { Preset } from './presets.js';
import { kindOf, FACTORY_NAMES } from './layers/index.js';
import { featuresOf, isSeq, showShape, type LayerConfig, type LayerCtx, type LayerKind, type RecordValues, type Shape } from './layers/kind.js';
import type { MaskingLayer } from './layers/masking.js';
import { CHUNK, FL_PACK, H_SLOTS, LR_SLOTS, LS_SLOTS, OP_SLOTS, STATS } from './generated/abi.js';

export const pad4 = (n: number): number => (n + 3) & ~3;

/** One weight tensor in the size table: a float offset inside every region. */
export interface ParamSlice {
  /** Keras name: 'lstm/kernel'. */
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

/** A layer, placed: its kind, names, shapes, weights and record values. */
export interface PlannedLayer {
  index: number;
  kind: LayerKind;
  layer: LayerConfig;
  /** Keras name in a Sequential: 'lstm', 'lstm_1', 'dense', ... */
  name: string;
  ctx: LayerCtx;
  output: Shape;
  /** Its weights (indices into Plan.slices, in Keras order). */
  slices: ParamSlice[];
  /** Its record's values, or null for a kind that runs before the data reaches WASM (Masking). */
  record: RecordValues | null;
  /** Floats of each state vector per sample (LSTM: [H, H]); [] when stateless. */
  states: number[];
}

/** Everything the arena, io and interop need to know about a model's layers. */
export interface Plan {
  layers: PlannedLayer[];
  /** The layers with records, bottom first: the WASM program. */
  program: PlannedLayer[];
  slices: ParamSlice[];
  /** Floats per region. */
  P: number;
  /** [timesteps (null: any), features] of one sample. */
  input: readonly [number | null, number];
  T: number | null;
  D: number;
  /** The last layer's output units. */
  V: number;
  output: Shape;
  /** The fixed batch size of batchInputShape, or null. */
  batchSize: number | null;
  stateful: boolean;
  /** True when the last layer outputs every step. */
  seqOut: boolean;
  masking: MaskingLayer | null;
  /** Rows of each state block: the batch size of a stateful model, else 1 (predictStep's stream). */
  stateRows: number;
  preset: Preset;
}

const kerasBase = (className: string): string => className.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

/**
 * Plans a model. `given` are layers as the factories made them (or as plain {className, config}
 * data: each is rebuilt through its kind's factory, so hand-made configs get the same checks).
 */
export function planModel(caller: string, given: unknown, preset: Preset): Plan {
  const c = caller;
  if (!Array.isArray(given) || given.length === 0) {
    throw new ConfigError(`${c}: layers must be a non-empty array of layers made by the layer factories (${FACTORY_NAMES()}), ending in dense(...), received ${describe(given)}`);
  }
  const made = given.map((l: unknown, i) => {
    const o = l as { className?: unknown; config?: unknown } | null;
    const kind = o !== null && typeof o === 'object' ? kindOf(o.className) : undefined;
    if (!kind) {
      throw new ConfigError(`${c}: layers[${i}] is ${describe(o !== null && typeof o === 'object' ? o.className ?? o : o)}, not a layer; lstm-wasm has ${FACTORY_NAMES()}`);
    }
    const cfg = typeof o!.config === 'object' && o!.config !== null ? o!.config : undefined;
    return { kind, layer: kind.make(cfg) };
  });
  const at = (i: number) => `layers[${i}] (${made[i].kind.factory})`;
  if (!made[0].kind.takesInput) {
    throw new ConfigError(`${c}: ${at(0)} cannot come first: it takes no inputShape; begin with a layer that reads the data (e.g. lstm({ units, inputShape }) or masking({ inputShape }))`);
  }
  made.forEach(({ kind, layer }, i) => {
    if (kind.code === 0 && i > 0) throw new ConfigError(`${c}: ${at(i)}: ${kind.factory}(...) goes first (it reads the data)`);
    if (i > 0 && kind.inputOf(layer)) throw new ConfigError(`${c}: layers[${i}]: only the first layer takes inputShape / batchInputShape`);
  });
  const firstIn = made[0].kind.inputOf(made[0].layer);
  if (!firstIn) throw new ShapeError(`${c}: the first layer needs inputShape: [timesteps, features] (timesteps may be null)`);
  const masking = made[0].kind.className === 'Masking' ? (made[0].layer as MaskingLayer) : null;
  const last = made[made.length - 1];
  if (last.kind.className !== 'Dense') {
    throw new ConfigError(`${c}: the last layer must be dense(...) (the output layer), layers[${made.length - 1}] is ${last.kind.factory}(...)`);
  }
  const recurrent = made.filter((m) => m.kind.recurrent);
  const stateful = recurrent.length > 0 && (recurrent[0].layer.config as { stateful?: boolean }).stateful === true;
  made.forEach((m, i) => {
    if (m.kind.recurrent && ((m.layer.config as { stateful?: boolean }).stateful === true) !== stateful) {
      throw new ConfigError(`${c}: layers[${i}]: give stateful: true to every ${m.kind.factory} of a stateful model or to none`);
    }
  });
  if (stateful && firstIn.batch === null) {
    throw new ConfigError(`${c}: stateful: true needs batchInputShape: [batch, timesteps, features] on the first ${recurrent[0].kind.factory} (the batch size fixes which state each sample continues)`);
  }

  // Shapes, names and the size table, bottom first.
  const counts = new Map<string, number>();
  const slices: ParamSlice[] = [];
  let offset = 0;
  let shape: Shape = firstIn.shape;
  let firstWithRecord = true;
  let droppedSteps: string | null = null;
  const layers: PlannedLayer[] = made.map(({ kind, layer }, i): PlannedLayer => {
    const base = kerasBase(kind.className);
    const n = counts.get(base) ?? 0;
    counts.set(base, n + 1);
    const name = n === 0 ? base : `${base}_${n}`;
    const ctx: LayerCtx = { name, at: `${c}: ${at(i)}`, below: i > 0 ? at(i - 1) : null, droppedSteps, input: shape, preset, first: kind.code !== 0 && firstWithRecord, last: i === made.length - 1 };
    const output = kind.outputShape(layer, ctx);
    if (isSeq(shape) && !isSeq(output)) droppedSteps = at(i);
    const own = kind.weights(layer, ctx).map((w) => {
      const size = w.shape.reduce((a, b) => a * b, 1);
      const s = { name: `${name}/${w.name}`, shape: [...w.shape], offset, size };
      offset += pad4(size);
      slices.push(s);
      return s;
    });
    const record = kind.code === 0 ? null : kind.record(layer, ctx);
    if (kind.code !== 0) firstWithRecord = false;
    shape = output;
    return { index: i, kind, layer, name, ctx, output, slices: own, record, states: kind.states(layer) };
  });
  const seqOut = isSeq(shape);
  if (masking && (stateful || seqOut)) {
    throw new ConfigError(`${c}: masking works with models that output the last step and are not stateful; ` +
      `this one is ${stateful ? 'stateful' : 'returnSequences on its last lstm'} (pad to full length instead)`);
  }
  const input = firstIn.shape;
  return {
    layers, program: layers.filter((l) => l.record !== null), slices, P: offset,
    input, T: input[0], D: input[1], V: featuresOf(shape), output: shape,
    batchSize: firstIn.batch, stateful, seqOut, masking, stateRows: firstIn.batch ?? 1, preset,
  };
}

// ---- memory: the model's block and the scratch for chunks of (T, B) -----------------------------

/** Bytes of the block that lives as long as the model: 4 regions, header, records, stats, tensor table, states. */
export function baseBytes(p: Plan): number {
  const ints = H_SLOTS + p.program.length * LR_SLOTS + LS_SLOTS + OP_SLOTS;
  return 16 * p.P + pad4(ints) * 4 + STATS * 8 + pad4(2 * p.slices.length) * 4 + 4 * stateFloats(p) + 64;
}

/** Floats of every state block: per recurrent layer, its state vectors of stateRows rows. */
export function stateFloats(p: Plan): number {
  return p.program.reduce((a, l) => a + l.states.reduce((s, n) => s + pad4(p.stateRows * n), 0), 0);
}

/** One scratch buffer: where its address goes and its size. */
export interface ScratchEntry {
  /** 'header' (an H_* slot), or a program index (an LR_* slot of that record). */
  at: 'header' | number;
  slot: string;
  floats: number;
}

/** Rows of a shape's activations in a chunk: one per step (packed) or one per sample. */
const rowsOf = (s: Shape, B: number, R: number) => (isSeq(s) ? R : B);

/**
 * The scratch for chunks of up to B samples of up to T steps: the chunk's tables, its packed
 * inputs and targets, each record's kind-owned buffers (K0..K7) and the activations between
 * records (Y, DY; a record's X is the one below's Y, its DX the one below's DY).
 */
export function scratchTable(p: Plan, T: number, B: number): ScratchEntry[] {
  const R = T * B;
  const out: ScratchEntry[] = [];
  const top = p.program[p.program.length - 1];
  const topRows = rowsOf(top.output, B, R);
  out.push(
    { at: 'header', slot: 'H_IDX_PTR', floats: B }, { at: 'header', slot: 'H_POS_PTR', floats: B },
    { at: 'header', slot: 'H_LEN_PTR', floats: B }, { at: 'header', slot: 'H_INV_PTR', floats: B },
    { at: 'header', slot: 'H_ACT_PTR', floats: T + 1 }, { at: 'header', slot: 'H_OFF_PTR', floats: T + 1 },
    { at: 'header', slot: 'H_X0_PTR', floats: R * p.D }, { at: 'header', slot: 'H_Y0_PTR', floats: topRows * p.V },
    { at: 'header', slot: 'H_ROWSTATS_PTR', floats: topRows * 8 },
  );
  p.program.forEach((l, i) => {
    const pack = ((l.record!.flags ?? 0) & FL_PACK) !== 0;
    l.kind.scratch(l.layer, l.ctx, B, R, pack).forEach((n, k) => out.push({ at: i, slot: `LR_K${k}_PTR`, floats: n }));
    const rows = rowsOf(l.output, B, R) * featuresOf(l.output);
    if (!l.kind.outputIn?.(l.layer, B)) out.push({ at: i, slot: 'LR_Y_PTR', floats: rows });
    out.push({ at: i, slot: 'LR_DY_PTR', floats: rows });
  });
  return out;
}

/** Bytes of scratch for chunks of (T, B). */
export function scratchBytes(p: Plan, T: number, B: number): number {
  return scratchTable(p, T, B).reduce((a, e) => a + pad4(e.floats), 0) * 4;
}

/** Samples per chunk the scratch must hold for a run of `samples` (a training batch, or a whole evaluate/predict). */
export function chunkFor(p: Plan, samples: number): number {
  return Math.max(1, Math.min(CHUNK, samples, p.stateful ? p.stateRows : CHUNK));
}

// Packed rows a forward-only chunk aims at: evaluate and predict run in chunks of up to CHUNK
// samples, fewer for long sequences, so their scratch stays near that of CHUNK samples of 64 steps.
const RUN_ROWS = CHUNK * 64;

/** Samples per chunk for evaluate/predict of `samples` sequences of up to T steps (the result does not depend on it). */
export function runChunk(p: Plan, samples: number, T: number): number {
  return chunkFor(p, Math.max(1, Math.min(samples, Math.floor(RUN_ROWS / Math.max(1, T)))));
}

/** Shapes for messages: 'LSTM(32) -> Dense(26)'. */
export function describePlan(p: Plan): string {
  return p.program.map((l) => `${l.kind.className}(${featuresOf(l.output)})`).join(' -> ');
}

export { showShape };
