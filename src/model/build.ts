// Building a model: the options checked, the layers planned (plan.ts), the generator made, the
// weights initialised in Keras 2.0's draw order, the arena laid out (arena.ts).
import { ConfigError } from '../errors.js';
import { checkKeys, describe, enumOption, intOption } from '../options.js';
import { DEFAULT_PRESET, PRESETS, type Preset, type PresetName } from '../presets.js';
import type { Layer, LSTMLayer } from '../layers/index.js';
import { createRng, type Rng } from '../random.js';
import { ModelArena } from '../arena.js';
import { baseBytes, chunkFor, describePlan, planModel, scratchBytes, type Plan } from '../plan.js';
import { kernels, requireBytes } from '../wasm.js';

/**
 * Options of `sequential`.
 *
 * @example
 * const args: SequentialArgs = {
 *   seed: 7, rng: 'numpy', preset: 'keras2',
 *   layers: [lstm({ units: 32, inputShape: [5, 1] }), dense({ units: 26, activation: 'softmax' })],
 * };
 * const model = sequential(args);
 */
export interface SequentialArgs {
  /**
   * The layers, bottom first: e.g. one or more `lstm(...)` (each under another with
   * `returnSequences: true`), then one or more `dense(...)`, optionally behind `masking(...)`;
   * the first carries `inputShape` and the last is a `dense(...)`.
   */
  layers: Layer[];
  /** Seed of the model's generator: initialisation and fit's shuffling. Default 0. */
  seed?: number;
  /** 'seedrandom' (default), 'numpy' (numpy's legacy MT19937 stream), or a generator to keep consuming. */
  rng?: 'seedrandom' | 'numpy' | Rng;
  /** Semantics preset for every option left out: 'keras2' (default, the seed listing) or 'keras3'. */
  preset?: PresetName;
  /** 'simd' (default) or 'scalar': the scalar twins of every kernel, for comparison and benchmarks. */
  kernels?: 'simd' | 'scalar';
}

/** A model's parts, as the class holds them. */
export interface Built {
  plan: Plan;
  rng: Rng;
  config: { layers: Layer[]; preset: PresetName; kernels: 'simd' | 'scalar'; seed: number | null };
  preset: Preset;
  arena: ModelArena;
}

/** @internal The body of the Sequential constructor; `restore` (loadModel) brings weights and seed, and leaves the generator unconsumed. */
export function buildModel(args: SequentialArgs, restore?: { weights: Float32Array[]; seed: number | null }): Built {
  const c = 'sequential()';
  if (args === null || typeof args !== 'object') throw new ConfigError(`${c}: options with 'layers' are required, received ${describe(args)}`);
  checkKeys(c, args, ['layers', 'seed', 'rng', 'preset', 'kernels']);
  kernels(c); // a StateError before ready()
  const presetName = args.preset === undefined ? DEFAULT_PRESET : enumOption(c, 'preset', args.preset, Object.keys(PRESETS) as PresetName[]);
  const plan = planModel(c, args.layers, PRESETS[presetName]);
  const seed = args.seed === undefined ? 0 : intOption(c, 'seed', args.seed, 0, 0xffffffff);
  const simd = args.kernels === undefined ? 'simd' : enumOption(c, 'kernels', args.kernels, ['simd', 'scalar'] as const);
  let rng: Rng;
  if (args.rng === undefined || typeof args.rng === 'string') {
    rng = createRng(seed, args.rng === undefined ? 'seedrandom' : enumOption(c, 'rng', args.rng, ['seedrandom', 'numpy'] as const));
  } else if (typeof args.rng === 'object' && args.rng !== null && typeof args.rng.randint === 'function') {
    if (args.seed !== undefined) throw new ConfigError(`${c}: give either seed or an rng object, not both (the rng is already seeded)`);
    rng = args.rng;
  } else throw new ConfigError(`${c}: rng must be 'seedrandom', 'numpy' or a generator, received ${describe(args.rng)}`);
  const config = { layers: plan.layers.map((l) => l.layer as Layer), preset: presetName, kernels: simd, seed: restore ? restore.seed : typeof args.rng === 'object' ? null : seed };
  const firstLstm = (plan.layers.find((l) => l.kind.className === 'LSTM')?.layer as LSTMLayer | undefined)?.config.recurrentActivation;
  const preset: Preset = { ...PRESETS[presetName], ...(firstLstm ? { recurrentActivation: firstLstm } : {}) };
  // Sizes first: a model that could never fit in memory is refused before the (slow) initialisers.
  const T0 = plan.T ?? 1;
  const B0 = chunkFor(plan, plan.batchSize ?? 1);
  requireBytes(c, `${describePlan(plan)}'s weights, optimizer state${plan.stateful ? `, states of ${plan.batchSize} rows` : ''} and scratch for ${T0} steps`,
    baseBytes(plan) + scratchBytes(plan, T0, B0));
  // Initialise in Keras 2.0's order, consuming the generator as it did: layer by layer, bottom first.
  const init = restore ? restore.weights : plan.layers.flatMap((l) => l.kind.init(l.layer, l.ctx, rng));
  const arena = new ModelArena(plan, simd === 'simd', T0, B0);
  const params = arena.region('params');
  plan.slices.forEach((s, i) => params.set(init[i], s.offset));
  return { plan, rng, config, preset, arena };
}
