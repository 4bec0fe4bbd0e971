// The narrow view of a model that fit, run, io and interop use (the class is model/sequential.ts):
// they depend on this interface, never on the class, so there is no import cycle.
import type { ModelArena } from '../arena.js';
import type { Plan } from '../plan.js';
import type { Preset, PresetName } from '../presets.js';
import type { Rng } from '../random.js';
import type { Tensor } from '../tensor.js';
import type { LayerConfig } from '../layers/kind.js';
import type { Compiled } from './compile.js';

/**
 * A weight tensor with its Keras name (`lstm/kernel`, ...), as `getWeights` returns it.
 *
 * @example
 * const [kernel] = model.getWeights();
 * kernel.name;  // 'lstm/kernel'
 * kernel.shape; // [D, 4 * H]
 */
export interface NamedTensor extends Tensor {
  /** The Keras weight name: `<layer>/<weight>`, e.g. `lstm/kernel`, `lstm/recurrent_kernel`, `lstm/bias` (`lstm_1/...` for a second LSTM), `dense/kernel`, `dense/bias` (`dense_1/...` for a second Dense). */
  readonly name: string;
}

/** @internal What a model is to the code around the class. */
export interface ModelState {
  readonly plan: Plan;
  readonly rng: Rng;
  readonly preset: Readonly<Preset>;
  readonly config: Readonly<{ layers: LayerConfig[]; preset: PresetName; kernels: 'simd' | 'scalar'; seed: number | null }>;
  readonly stateful: boolean;
  compiled: Compiled | null;
  busy: string | null;
  fitState: { order: Int32Array; epochs: number } | null;
  stopTraining: boolean;
  live(caller: string): ModelArena;
  liveForRead(caller: string): ModelArena;
  idle(caller: string): ModelArena;
  /** Writes checked weights in plan.slices order. */
  writeParams(ws: Float32Array[]): void;
}
