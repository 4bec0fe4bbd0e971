// The Dense kind: its options and factory.
import { ConfigError } from '../errors.js';
import { checkKeys, enumOption, intOption } from '../options.js';

/**
 * Options of `dense`, as Keras's `Dense`.
 *
 * @example
 * const args: DenseArgs = { units: 26, activation: 'softmax' };
 * dense(args);
 */
export interface DenseArgs {
  /** Number of output units V. */
  units: number;
  /**
   * 'softmax', 'linear', 'sigmoid', 'tanh' or 'relu'. Left out: 'softmax' (lstm-wasm's default
   * since 0.1, kept so existing code and saved models keep their meaning; Keras's is 'linear').
   */
  activation?: DenseActivation;
}

/**
 * The output activations of `dense`.
 *
 * @example
 * const activation: DenseActivation = 'sigmoid';
 * dense({ units: 1, activation });
 */
export type DenseActivation = 'softmax' | 'linear' | 'sigmoid' | 'tanh' | 'relu';
export const DENSE_ACTIVATIONS: readonly DenseActivation[] = ['softmax', 'linear', 'sigmoid', 'tanh', 'relu'];

/**
 * What `dense` returns: plain, checked configuration (the weights live in the model), passed to `sequential`.
 *
 * @example
 * dense({ units: 26, activation: 'softmax' }).className; // 'Dense'
 */
export interface DenseLayer {
  /** Keras's class name, 'Dense'. */
  readonly className: 'Dense';
  /** The options as given (checked); a left-out activation means 'softmax'. */
  readonly config: Readonly<DenseArgs>;
}

/**
 * A fully connected output layer (Keras `Dense`): p = activation(h·K + b).
 *
 * @example
 * dense({ units: 26, activation: 'softmax' }) // classes
 * dense({ units: 1, activation: 'linear' })   // regression
 * dense({ units: 1, activation: 'sigmoid' })  // binary
 */
export function dense(args: DenseArgs): DenseLayer {
  const c = 'dense()';
  if (args === undefined) throw new ConfigError(`${c}: options with at least 'units' are required`);
  checkKeys(c, args, ['units', 'activation']);
  intOption(c, 'units', args.units, 1, 1 << 16);
  if (args.activation !== undefined) enumOption(c, 'activation', args.activation, DENSE_ACTIVATIONS);
  return { className: 'Dense', config: { ...args } };
}

