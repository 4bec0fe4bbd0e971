/**
 * Data preparation with Keras semantics (SPEC.md sections 1-2): the listing's alphabet dataset,
 * a char <-> int vocabulary, `padSequences` and `toCategorical`.
 *
 * Errors: unknown option names and unknown choices (padding, truncating, dtype, rng kind) are
 * ConfigError; bad numbers and values are ValueError; ragged sequences are ShapeError.
 */
import { describe } from './options.js';
import { ConfigError, ShapeError, ValueError } from './errors.js';
import { createRng, type Rng, type RngKind } from './random.js';
import type { Tensor } from './tensor.js';

const UPPERCASE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

function checkKeys(fn: string, opts: object, allowed: readonly string[]): void {
  for (const key of Object.keys(opts)) {
    if (!allowed.includes(key)) throw new ConfigError(`${fn}: unknown option '${key}'; expected one of ${allowed.join(', ')}`);
  }
}

function checkOptions(fn: string, opts: unknown): object {
  if (opts === undefined) return {};
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw new ConfigError(`${fn}: options must be an object, got ${describe(opts)}`);
  return opts;
}

/**
 * Options of {@link alphabetDataset}.
 *
 * @example
 * const args: AlphabetDatasetArgs = { numInputs: 500, maxLen: 3, seed: 1, rng: 'seedrandom' };
 * const { dataX, dataY } = alphabetDataset(args);
 */
export interface AlphabetDatasetArgs {
  /** Number of samples. Default 1000 (the seed's log). */
  numInputs?: number;
  /** Longest input sequence. Default 5. */
  maxLen?: number;
  /** Seed of a new generator. Default 7. Not allowed together with an `Rng` object. */
  seed?: number;
  /** Generator kind for a new generator (default 'numpy', as the listing), or an existing `Rng` to draw from. */
  rng?: RngKind | Rng;
  /** The letters. Default 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'. */
  alphabet?: string;
}

/**
 * What {@link alphabetDataset} returns.
 *
 * @example
 * const { dataX, dataY, alphabet } = alphabetDataset();
 * dataX[0].map((i) => alphabet[i]).join(''); // 'PQRST'
 */
export interface AlphabetDataset {
  /** Input sequences as letter indices, `start..end` inclusive. */
  dataX: number[][];
  /** Target letter index, `end + 1`. */
  dataY: number[];
  /** The generator used, positioned after the last draw, to keep consuming the same stream. */
  rng: Rng;
  /** The letters the indices refer to (the `alphabet` option). */
  alphabet: string;
}

const ALPHABET_KEYS = ['numInputs', 'maxLen', 'seed', 'rng', 'alphabet'] as const;

/**
 * The listing's dataset, draw for draw: for each sample `start = randint(len-2)`,
 * `end = randint(start, min(start+maxLen, len-1))`, input `start..end`, target `end+1`.
 * With the defaults (seed 7, numpy stream) the first samples are `PQRST -> U, W -> X, O -> P, ...`.
 *
 * @example
 * const { dataX, dataY, rng } = alphabetDataset({ numInputs: 1000, maxLen: 5 });
 * // dataX[0] = [15, 16, 17, 18, 19] (PQRST), dataY[0] = 20 (U); rng continues the stream
 */
export function alphabetDataset(args: AlphabetDatasetArgs = {}): AlphabetDataset {
  const fn = 'alphabetDataset()';
  const opts = checkOptions(fn, args) as AlphabetDatasetArgs;
  checkKeys(fn, opts, ALPHABET_KEYS);
  const numInputs = opts.numInputs ?? 1000;
  const maxLen = opts.maxLen ?? 5;
  const alphabet = opts.alphabet ?? UPPERCASE;
  if (!Number.isInteger(numInputs) || numInputs < 1 || numInputs > MAX_SAMPLES) {
    throw new ValueError(`${fn}: numInputs must be an integer in [1, ${MAX_SAMPLES}], got ${describe(numInputs)}`);
  }
  if (!Number.isInteger(maxLen) || maxLen < 1) throw new ValueError(`${fn}: maxLen must be a positive integer, got ${describe(maxLen)}`);
  if (typeof alphabet !== 'string') throw new ValueError(`${fn}: alphabet must be a string, got ${typeof alphabet}`);
  const letters = Array.from(alphabet);
  if (letters.length < 3) throw new ValueError(`${fn}: alphabet must have at least 3 letters, got ${letters.length} ('${alphabet}')`);

  let rng: Rng;
  const kind = opts.rng ?? 'numpy';
  if (typeof kind === 'object' && kind !== null) {
    if (typeof kind.randint !== 'function') throw new ConfigError(`${fn}: rng must be 'numpy', 'seedrandom' or an Rng object`);
    if (opts.seed !== undefined) throw new ConfigError(`${fn}: seed has no effect when rng is an Rng object; seed the Rng instead`);
    rng = kind;
  } else {
    if (kind !== 'numpy' && kind !== 'seedrandom') throw new ConfigError(`${fn}: unknown rng kind ${describe(kind)}; expected 'numpy', 'seedrandom' or an Rng object`);
    rng = createRng(opts.seed ?? 7, kind);
  }

  const n = letters.length;
  const dataX: number[][] = [];
  const dataY: number[] = [];
  for (let k = 0; k < numInputs; k++) {
    const start = rng.randint(n - 2);
    const end = rng.randint(start, Math.min(start + maxLen, n - 1));
    const seq: number[] = [];
    for (let c = start; c <= end; c++) seq.push(c);
    dataX.push(seq);
    dataY.push(end + 1);
  }
  return { dataX, dataY, rng, alphabet };
}

/**
 * Every distinct sample `alphabetDataset` can draw for an alphabet of n letters and `maxLen`:
 * runs start..end with start < n-2, start <= end < min(start+maxLen, n-1); the target is end+1.
 * For 26 letters and maxLen 5 there are 114.
 *
 * @example
 * const { dataX, dataY } = alphabetPatterns({ maxLen: 5 }); // dataX.length === 114
 */
export function alphabetPatterns(args: { maxLen?: number; alphabet?: string } = {}): {
  /** Input sequences as letter indices, `start..end` inclusive, ordered by start then end. */
  dataX: number[][];
  /** Target letter index of each, `end + 1`. */
  dataY: number[];
} {
  const fn = 'alphabetPatterns()';
  checkOptions(fn, args);
  checkKeys(fn, args, ['maxLen', 'alphabet']);
  const maxLen = args.maxLen ?? 5;
  const alphabet = args.alphabet ?? UPPERCASE;
  if (!Number.isInteger(maxLen) || maxLen < 1) throw new ValueError(`${fn}: maxLen must be a positive integer, got ${describe(maxLen)}`);
  const n = Array.from(alphabet).length;
  if (n < 3) throw new ValueError(`${fn}: alphabet must have at least 3 letters, got ${n}`);
  const dataX: number[][] = [];
  const dataY: number[] = [];
  for (let start = 0; start < n - 2; start++) {
    for (let end = start; end < Math.min(start + maxLen, n - 1); end++) {
      dataX.push(Array.from({ length: end - start + 1 }, (_, i) => start + i));
      dataY.push(end + 1);
    }
  }
  return { dataX, dataY };
}

/** Most samples `alphabetDataset` draws (its arrays live in the JavaScript heap). */
const MAX_SAMPLES = 10_000_000;
/** Largest typed array the data utilities build (float32 views are limited well below this). */
const MAX_BYTES = 2 ** 31;

function checkBytes(fn: string, what: string, bytes: number): void {
  if (!(bytes <= MAX_BYTES)) {
    throw new ValueError(`${fn}: ${what} would need ${bytes} bytes; the limit is ${MAX_BYTES} bytes`);
  }
}

/**
 * Characters <-> integer indices, in alphabet order.
 *
 * @example
 * const v = new CharVocab('ABC');
 * v.encode('CAB'); // [2, 0, 1]
 * v.decode([2, 0]); // ['C', 'A']
 */
export class CharVocab {
  /** The characters, index i is character i. */
  readonly chars: readonly string[];
  private readonly index = new Map<string, number>();

  /** Throws ValueError on an empty alphabet or a repeated character. */
  constructor(alphabet: string) {
    if (typeof alphabet !== 'string' || alphabet.length === 0) throw new ValueError(`CharVocab(): alphabet must be a non-empty string, got ${describe(alphabet)}`);
    const chars = Array.from(alphabet);
    chars.forEach((ch, i) => {
      const prev = this.index.get(ch);
      if (prev !== undefined) throw new ValueError(`CharVocab(): character '${ch}' appears twice in the alphabet (at ${prev} and ${i})`);
      this.index.set(ch, i);
    });
    this.chars = chars;
  }

  /**
   * Number of characters.
   *
   * @example
   * new CharVocab('ABC').size; // 3
   */
  get size(): number {
    return this.chars.length;
  }

  /**
   * Characters to indices. Throws ValueError naming the first unknown character and its position.
   *
   * @example
   * new CharVocab('ABC').encode(['B', 'C']); // [1, 2]
   */
  encode(text: string | string[]): number[] {
    const chars = typeof text === 'string' ? Array.from(text) : text;
    if (!Array.isArray(chars)) throw new ValueError(`CharVocab.encode(): expected a string or string[], got ${typeof text}`);
    return chars.map((ch, i) => {
      const k = this.index.get(ch);
      if (k === undefined) throw new ValueError(`CharVocab.encode(): unknown character ${describe(ch)} at index ${i}; the alphabet is '${this.chars.join('')}'`);
      return k;
    });
  }

  /**
   * Indices to characters. Throws ValueError naming the first index that is not in [0, size).
   *
   * @example
   * new CharVocab('ABC').decode([0, 2]).join(''); // 'AC'
   */
  decode(ints: ArrayLike<number>): string[] {
    if (ints === null || typeof ints !== 'object' || typeof ints.length !== 'number') {
      throw new ValueError(`CharVocab.decode(): ints must be an array of integers, got ${describe(ints)}`);
    }
    const out: string[] = [];
    for (let i = 0; i < ints.length; i++) {
      const k = ints[i];
      if (!Number.isInteger(k) || k < 0 || k >= this.chars.length) {
        throw new ValueError(`CharVocab.decode(): value ${describe(k)} at index ${i} is not an integer in [0, ${this.chars.length})`);
      }
      out.push(this.chars[k]);
    }
    return out;
  }
}

/**
 * Options of {@link padSequences} (Keras `pad_sequences`).
 *
 * @example
 * const args: PadSequencesArgs = { maxLen: 5, padding: 'post', truncating: 'pre', value: -1, dtype: 'float32' };
 * padSequences([[0.5, 0.25], [1]], args).data; // Float32Array [0.5, 0.25, -1, -1, -1,  1, -1, -1, -1, -1]
 */
export interface PadSequencesArgs {
  /** Output length. Default: the longest sequence. */
  maxLen?: number;
  /** 'pre' (default) pads at the start, right-aligning each sequence; 'post' at the end. */
  padding?: 'pre' | 'post';
  /** 'pre' (default) drops items from the start (keeps the last maxLen); 'post' from the end. */
  truncating?: 'pre' | 'post';
  /** Pad value. Default 0. Cast like the data (int32 truncates it); may be NaN only with 'float32'. */
  value?: number;
  /** 'int32' (Keras's default) truncates every value toward zero; 'float32' keeps it. */
  dtype?: 'int32' | 'float32';
}

const PAD_KEYS = ['maxLen', 'padding', 'truncating', 'value', 'dtype'] as const;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * Keras `pad_sequences`: N sequences to one (N, maxLen) tensor, or (N, maxLen, D) when each step
 * is an array of D features. Values are stored as float32; with `dtype: 'int32'` (the default, as
 * Keras) they are first truncated toward zero, so pass `dtype: 'float32'` for real values.
 * An empty sequence becomes a row of `value`.
 * Departs from Keras: `maxLen: 0` gives shape [N, 0] (Keras mis-slices it), every step is checked
 * for raggedness and finiteness (not only the kept ones), and int32 values must fit in int32.
 *
 * @example
 * padSequences([[1, 2], [3, 4, 5, 6]], { maxLen: 3 }).data;
 * // Float32Array [0, 1, 2,  4, 5, 6]   ('pre' padding, 'pre' truncating)
 */
export function padSequences(seqs: number[][] | number[][][], args: PadSequencesArgs = {}): Tensor {
  const fn = 'padSequences()';
  if (!Array.isArray(seqs)) throw new ValueError(`${fn}: sequences must be an array of arrays, got ${seqs === null ? 'null' : typeof seqs}`);
  const opts = checkOptions(fn, args) as PadSequencesArgs;
  checkKeys(fn, opts, PAD_KEYS);
  const padding = opts.padding ?? 'pre';
  const truncating = opts.truncating ?? 'pre';
  const dtype = opts.dtype ?? 'int32';
  const value = opts.value ?? 0;
  if (padding !== 'pre' && padding !== 'post') throw new ConfigError(`${fn}: padding must be 'pre' or 'post', got ${describe(padding)}`);
  if (truncating !== 'pre' && truncating !== 'post') throw new ConfigError(`${fn}: truncating must be 'pre' or 'post', got ${describe(truncating)}`);
  if (dtype !== 'int32' && dtype !== 'float32') throw new ConfigError(`${fn}: dtype must be 'int32' or 'float32', got ${describe(dtype)}`);

  const cast = (v: number, where: string): number => {
    if (dtype === 'float32') {
      const f = Math.fround(v);
      if (Number.isFinite(v) && !Number.isFinite(f)) throw new ValueError(`${fn}: ${where} = ${v} overflows float32`);
      return f;
    }
    if (!Number.isFinite(v) || v <= INT32_MIN - 1 || v >= INT32_MAX + 1) {
      throw new ValueError(`${fn}: ${where} = ${v} does not fit dtype 'int32'`);
    }
    return Math.trunc(v) + 0; // + 0 turns -0 into 0
  };
  if (typeof value !== 'number') throw new ValueError(`${fn}: value must be a number, got ${typeof value}`);
  const padValue = cast(value, 'value');

  // Validate every sequence and find the step shape: scalar (D = 0) or D features.
  let D = -1; // -1 unknown yet, 0 scalar steps, >0 vector steps
  let longest = 0;
  const N = seqs.length;
  for (let s = 0; s < N; s++) {
    const seq = seqs[s] as unknown;
    if (!Array.isArray(seq)) throw new ValueError(`${fn}: sequence ${s} must be an array, got ${seq === null ? 'null' : typeof seq}`);
    longest = Math.max(longest, seq.length);
    for (let t = 0; t < seq.length; t++) {
      const step = seq[t] as unknown;
      const stepD = Array.isArray(step) ? step.length : 0;
      if (Array.isArray(step) && stepD === 0) throw new ShapeError(`${fn}: sequence ${s}, step ${t} is an empty feature array`);
      if (D === -1) D = stepD;
      if (Array.isArray(step) !== D > 0 || stepD !== D) {
        const got = Array.isArray(step) ? `${step.length} features` : 'a scalar';
        const want = D > 0 ? `${D} features` : 'a scalar';
        throw new ShapeError(`${fn}: ragged input: sequence ${s}, step ${t} has ${got} but earlier steps have ${want}`);
      }
      const vals = Array.isArray(step) ? step : [step];
      for (let f = 0; f < vals.length; f++) {
        const v = vals[f] as unknown;
        if (typeof v !== 'number' || !Number.isFinite(v)) {
          const at = D > 0 ? `sequence ${s}, step ${t}, feature ${f}` : `sequence ${s}, step ${t}`;
          throw new ValueError(`${fn}: ${at} is ${describe(v)}; values must be finite numbers`);
        }
      }
    }
  }
  if (D === -1) D = 0;

  const maxLen = opts.maxLen ?? longest;
  if (!Number.isInteger(maxLen) || maxLen < 0) throw new ValueError(`${fn}: maxLen must be a non-negative integer, got ${describe(maxLen)}`);

  const F = Math.max(D, 1); // floats per step
  checkBytes(fn, `a [${N}, ${maxLen}${D > 0 ? `, ${D}` : ''}] tensor`, N * maxLen * F * 4);
  const shape = D > 0 ? [N, maxLen, D] : [N, maxLen];
  const out = new Float32Array(N * maxLen * F).fill(padValue);
  const lengths = new Int32Array(N);
  for (let s = 0; s < N; s++) {
    const seq = seqs[s] as (number | number[])[];
    const kept = Math.min(seq.length, maxLen);
    lengths[s] = kept;
    const from = truncating === 'pre' ? seq.length - kept : 0; // first kept step
    const to = padding === 'pre' ? maxLen - kept : 0; // its output position
    for (let t = 0; t < kept; t++) {
      const step = seq[from + t];
      const base = (s * maxLen + to + t) * F;
      if (D > 0) {
        const vec = step as number[];
        for (let f = 0; f < D; f++) out[base + f] = cast(vec[f], `sequence ${s}, step ${from + t}, feature ${f}`);
      } else {
        out[base] = cast(step as number, `sequence ${s}, step ${from + t}`);
      }
    }
  }
  return { shape, data: out, padded: { lengths, padding } };
}

/**
 * Options of {@link toCategorical}.
 *
 * @example
 * const args: ToCategoricalArgs = { vocabularySize: 26, warn: (msg) => console.error(msg) };
 * toCategorical(dataY, undefined, args);
 */
export interface ToCategoricalArgs {
  /** Size of the known vocabulary: warn when the inferred class count is smaller. */
  vocabularySize?: number;
  /** Receives the warning. Default `console.warn`. */
  warn?: (msg: string) => void;
}

/**
 * Keras `to_categorical`: integer labels (N) to one-hot float32 (N, numClasses).
 * `numClasses` defaults to max(y)+1; then, if `vocabularySize` is given and larger, `warn` is called,
 * since a split missing the last classes would silently get a narrower output.
 * Throws ValueError for a label that is not an integer in [0, numClasses)
 * (Keras silently truncates non-integer labels).
 *
 * @example
 * toCategorical([2, 0], 3).data; // Float32Array [0, 0, 1,  1, 0, 0]
 */
export function toCategorical(y: ArrayLike<number>, numClasses?: number, args: ToCategoricalArgs = {}): Tensor {
  const fn = 'toCategorical()';
  if (y === null || typeof y !== 'object' || typeof y.length !== 'number') throw new ValueError(`${fn}: y must be an array of integer labels, got ${y === null ? 'null' : typeof y}`);
  const opts = checkOptions(fn, args) as ToCategoricalArgs;
  checkKeys(fn, opts, ['vocabularySize', 'warn']);
  const N = y.length;
  let maxLabel = -1;
  for (let i = 0; i < N; i++) {
    const v = y[i];
    if (!Number.isInteger(v) || v < 0) throw new ValueError(`${fn}: y[${i}] = ${describe(v)}; labels must be non-negative integers`);
    if (v > maxLabel) maxLabel = v;
  }
  let V: number;
  if (numClasses === undefined) {
    if (N === 0) throw new ValueError(`${fn}: cannot infer numClasses from an empty y; pass numClasses`);
    V = maxLabel + 1;
    const vocab = opts.vocabularySize;
    if (vocab !== undefined) {
      if (!Number.isInteger(vocab) || vocab < 1) throw new ValueError(`${fn}: vocabularySize must be a positive integer, got ${describe(vocab)}`);
      if (V < vocab) {
        if (opts.warn !== undefined && typeof opts.warn !== 'function') throw new ValueError(`${fn}: warn must be a function, got ${describe(opts.warn)}`);
        const warn = opts.warn ?? ((msg: string) => console.warn(msg));
        warn(`${fn}: inferred numClasses = ${V} (max label + 1) is smaller than vocabularySize = ${vocab}; pass numClasses = ${vocab} to keep every class`);
      }
    }
  } else {
    if (!Number.isInteger(numClasses) || numClasses < 1) throw new ValueError(`${fn}: numClasses must be a positive integer, got ${describe(numClasses)}`);
    V = numClasses;
    for (let i = 0; i < N; i++) {
      if (y[i] >= V) throw new ValueError(`${fn}: y[${i}] = ${y[i]} is not in [0, ${V})`);
    }
  }
  checkBytes(fn, `a [${N}, ${V}] one-hot tensor`, N * V * 4);
  const out = new Float32Array(N * V);
  for (let i = 0; i < N; i++) out[i * V + y[i]] = 1;
  return { shape: [N, V], data: out };
}
