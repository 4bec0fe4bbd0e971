// Option checking shared by every public entry point: unknown keys and impossible values are
// errors that name the function, the option, what was expected and what was received.
import { ConfigError, ValueError } from './errors.js';

/** Throws a ConfigError for any key of `opts` not in `allowed` (a typo is an error, not ignored). */
export function checkKeys(caller: string, opts: object | undefined, allowed: readonly string[]): void {
  if (opts === undefined) return;
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) {
    throw new ConfigError(`${caller}: options must be an object, received ${describe(opts)}`);
  }
  for (const key of Object.keys(opts)) {
    if (!allowed.includes(key)) {
      const near = allowed.find((a) => a.toLowerCase() === key.toLowerCase());
      throw new ConfigError(
        `${caller}: unknown option '${key}'` + (near ? ` (did you mean '${near}'?)` : `; known options: ${allowed.join(', ')}`),
      );
    }
  }
}

/** A positive (or non-negative with `min: 0`) integer option. */
export function intOption(caller: string, name: string, value: unknown, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ValueError(
      `${caller}: ${name} must be an integer in [${min}, ${max === Number.MAX_SAFE_INTEGER ? '∞' : max}], received ${describe(value)}`,
    );
  }
  return value;
}

/** A finite number option within (lo, hi) or [lo, hi]. */
export function numOption(caller: string, name: string, value: unknown, lo: number, hi: number, inclusive = false): number {
  const ok =
    typeof value === 'number' && Number.isFinite(value) && (inclusive ? value >= lo && value <= hi : value > lo && value < hi);
  if (!ok) {
    const range = inclusive ? `[${lo}, ${hi}]` : `(${lo}, ${hi})`;
    throw new ValueError(`${caller}: ${name} must be a finite number in ${range}, received ${describe(value)}`);
  }
  return value as number;
}

/** One of a fixed set of strings. */
export function enumOption<T extends string>(caller: string, name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw new ConfigError(`${caller}: ${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, received ${describe(value)}`);
  }
  return value as T;
}

/** A short, safe description of any value for error messages. */
export function describe(v: unknown): string {
  if (typeof v === 'string') return `'${v.length > 40 ? v.slice(0, 40) + '…' : v}'`;
  if (typeof v === 'number' || typeof v === 'boolean' || v === undefined || v === null || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name} of length ${(v as unknown as { length: number }).length}`;
  if (typeof v === 'function') return 'a function';
  return `an object (${Object.prototype.toString.call(v)})`;
}
