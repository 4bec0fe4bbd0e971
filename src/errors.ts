/**
 * The base class of lstm-wasm's typed errors. Every error thrown by the public API is one of its
 * four subclasses, and its message names the function, the argument, what was expected and what
 * was received.
 *
 * @example
 * try {
 *   await model.fit(x, y, { epochs: 10 });
 * } catch (e) {
 *   if (e instanceof ShapeError) console.error('bad data:', e.message);
 *   else if (e instanceof LstmWasmError) console.error(e.name, e.message);
 *   else throw e;
 * }
 */
export class LstmWasmError extends Error {
  // Explicit names survive minification (class names do not).
  /** The class's name ('LstmWasmError', 'ShapeError', ...), kept under minification. */
  override name = 'LstmWasmError';
}

/**
 * A tensor or nested array has the wrong rank, size or is ragged where it must not be.
 *
 * @example
 * try { tensor([1, 2, 3], [2, 2]); } catch (e) { e instanceof ShapeError; } // true: 3 values for 4
 */
export class ShapeError extends LstmWasmError {
  /** Always 'ShapeError'. */
  override name = 'ShapeError';
}

/**
 * A value is out of range, not finite, or of the wrong type (e.g. a label >= numClasses).
 *
 * @example
 * try { toCategorical([0, 3], 3); } catch (e) { e instanceof ValueError; } // true: label 3 >= 3 classes
 */
export class ValueError extends LstmWasmError {
  /** Always 'ValueError'. */
  override name = 'ValueError';
}

/**
 * An option is unknown, misspelt or has an impossible value.
 *
 * @example
 * try { lstm({ units: 32, unit: 8 } as never); } catch (e) { e instanceof ConfigError; } // true: unknown option 'unit'
 */
export class ConfigError extends LstmWasmError {
  /** Always 'ConfigError'. */
  override name = 'ConfigError';
}

/**
 * The library or model is not in a state that allows the call (e.g. `predict` before `ready()`).
 *
 * @example
 * model.dispose();
 * try { model.predict(x); } catch (e) { e instanceof StateError; } // true: the model was disposed
 */
export class StateError extends LstmWasmError {
  /** Always 'StateError'. */
  override name = 'StateError';
}
