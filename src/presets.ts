// Named semantic presets: the columns of SPEC.md section 3. Every field can be overridden by the
// matching layer, optimizer or compile option.

/** The recurrent (gate) activation. 'hardSigmoid' is Keras 2's clip(0.2x + 0.5, 0, 1). */
export type RecurrentActivation = 'sigmoid' | 'hardSigmoid';

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

export type PresetName = keyof typeof PRESETS;
export const DEFAULT_PRESET: PresetName = 'keras2';
