// Named semantic presets: the columns of SPEC.md section 3. Every field can be overridden by the
// matching layer, optimizer or compile option.

/**
 * The recurrent (gate) activation. 'hardSigmoid' is Keras 2's clip(0.2x + 0.5, 0, 1).
 *
 * @example
 * lstm({ units: 32, inputShape: [5, 1], recurrentActivation: 'sigmoid' });
 */
export type RecurrentActivation = 'sigmoid' | 'hardSigmoid';

/**
 * The semantics a preset fixes; each field can be overridden by the matching layer or optimizer
 * option. A model's resolved preset is `model.preset`.
 *
 * @example
 * PRESETS.keras3.recurrentActivation; // 'sigmoid'
 * model.preset.accuracyKey;           // 'acc' under keras2
 */
export interface Preset {
  /** Gate activation of `lstm` layers. */
  recurrentActivation: RecurrentActivation;
  /** How the orthogonal recurrent initializer factors its normal draw: Keras 2.0 uses SVD, Keras 3 QR. */
  orthogonalMethod: 'svd' | 'qr';
  /** Adam's ε̂ in Keras's update form θ -= lr_t·m/(√v + ε̂). */
  adamEpsilon: number;
  /** Cross-entropy probability clip ε (0 = computed from the softmax's logits, no clip). */
  lossEpsilon: number;
  /** Name of the accuracy key in logs and History. */
  accuracyKey: 'acc' | 'accuracy';
}

/**
 * The presets. `keras2` (the default) is the seed listing's Keras 2.0.x; `keras3` is tf.keras 2.3+
 * and Keras 3.
 *
 * @example
 * sequential({ preset: 'keras3', layers: [lstm({ units: 32, inputShape: [5, 1] }), dense({ units: 26, activation: 'softmax' })] });
 */
export const PRESETS: Readonly<Record<'keras2' | 'keras3', Readonly<Preset>>> = {
  keras2: { recurrentActivation: 'hardSigmoid', orthogonalMethod: 'svd', adamEpsilon: 1e-8, lossEpsilon: 1e-7, accuracyKey: 'acc' },
  keras3: { recurrentActivation: 'sigmoid', orthogonalMethod: 'qr', adamEpsilon: 1e-7, lossEpsilon: 0, accuracyKey: 'accuracy' },
};

/**
 * A preset's name: 'keras2' or 'keras3'.
 *
 * @example
 * const preset: PresetName = 'keras3';
 * sequential({ preset, layers: [lstm({ units: 8, inputShape: [5, 1] }), dense({ units: 26 })] });
 */
export type PresetName = keyof typeof PRESETS;
/**
 * The preset `sequential` uses when none is given: 'keras2'.
 *
 * @example
 * PRESETS[DEFAULT_PRESET].adamEpsilon; // 1e-8
 */
export const DEFAULT_PRESET: PresetName = 'keras2';
