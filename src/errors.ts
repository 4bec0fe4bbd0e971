/**
 * Typed errors. Every error thrown by the public API is one of these, and its message names the
 * function, the argument, what was expected and what was received.
 *
 * @example
 * try { await model.fit(x, y) } catch (e) { if (e instanceof ShapeError) console.error(e.message) }
 */
export class LstmWasmError extends Error {
  // Explicit names survive minification (class names do not).
  override name = 'LstmWasmError';
}

/** A tensor or nested array has the wrong rank, size or is ragged where it must not be. */
export class ShapeError extends LstmWasmError {
  override name = 'ShapeError';
}

/** A value is out of range, not finite, or of the wrong type (e.g. a label >= numClasses). */
export class ValueError extends LstmWasmError {
  override name = 'ValueError';
}

/** An option is unknown, misspelt or has an impossible value. */
export class ConfigError extends LstmWasmError {
  override name = 'ConfigError';
}

/** The library or model is not in a state that allows the call (e.g. `predict` before `ready()`). */
export class StateError extends LstmWasmError {
  override name = 'StateError';
}
