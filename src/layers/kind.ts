// What every layer kind shares: the option checks of the first layer's input shape.
import { ShapeError } from '../errors.js';
import { describe, intOption } from '../options.js';

/** Checks [timesteps, features] (timesteps may be null) of an inputShape option. */
export function checkInputShape(c: string, s: unknown): void {
  if (!Array.isArray(s) || s.length !== 2) throw new ShapeError(`${c}: inputShape must be [timesteps, features], received ${describe(s)}`);
  if (s[0] !== null) intOption(c, 'inputShape[0] (timesteps)', s[0], 1, 1 << 20);
  intOption(c, 'inputShape[1] (features)', s[1], 1, 1 << 16);
}
