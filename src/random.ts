/**
 * Randomness: one seeded generator passed explicitly, and the weight initialisers that draw from it.
 *
 * Two generators share one method surface ({@link Rng}):
 * - {@link SeededRandom} (`seedrandom`'s ARC4): the default for users.
 * - {@link NumpyRandomState}: numpy's legacy `RandomState` (MT19937), bit for bit, so the seed
 *   listing's `numpy.random.seed(7)` stream can be replayed (SPEC.md section 1).
 *
 * Integer, normal and shuffle draws follow numpy's legacy algorithms on both generators; only the
 * underlying bit source differs.
 */
import seedrandom from 'seedrandom';
import { ConfigError, ValueError } from './errors.js';

/**
 * Which bit source a generator uses: 'seedrandom' (ARC4, {@link SeededRandom}) or 'numpy'
 * (MT19937, {@link NumpyRandomState}).
 *
 * @example
 * const rng = createRng(7, 'numpy' satisfies RngKind);
 */
export type RngKind = 'seedrandom' | 'numpy';

/**
 * Checkpoint of a {@link NumpyRandomState}. `mt`/`index` equal numpy's `get_state()[1]`/`[2]`.
 *
 * @example
 * const state = new NumpyRandomState(7).getState(); // { kind: 'numpy', mt: [...624 words], index: 624, gauss: null }
 */
export interface NumpyRngState {
  /** Always 'numpy'. */
  kind: 'numpy';
  /** The 624 MT19937 words (uint32). */
  mt: number[];
  /** Position in `mt` of the next word to temper; 624 means "regenerate first". */
  index: number;
  /** The cached second polar Box-Muller value, or null. */
  gauss: number | null;
}

/**
 * Checkpoint of a {@link SeededRandom}: seedrandom's ARC4 state plus the cached gaussian.
 *
 * @example
 * const state = new SeededRandom(42).getState(); // { kind: 'seedrandom', arc4: { i, j, S }, gauss: null }
 */
export interface SeedrandomRngState {
  /** Always 'seedrandom'. */
  kind: 'seedrandom';
  /** seedrandom's ARC4 state, as its `state()` returns it. */
  arc4: {
    /** First index, in [0, 256). */
    i: number;
    /** Second index, in [0, 256). */
    j: number;
    /** The 256-byte permutation. */
    S: number[];
  };
  /** The cached second polar Box-Muller value, or null. */
  gauss: number | null;
}

/**
 * A plain JSON-able generator checkpoint, as `getState()` returns it.
 *
 * @example
 * const state: RngState = JSON.parse(JSON.stringify(rng.getState()));
 * rng.setState(state);
 */
export type RngState = NumpyRngState | SeedrandomRngState;

/**
 * Anything indexable and writable in place: `T[]`, `Int32Array`, `Float32Array`, ...
 *
 * @example
 * createRng(1).shuffle(new Int32Array([0, 1, 2, 3]));
 */
export interface MutableArrayLike<T> {
  /** Number of elements. */
  length: number;
  [index: number]: T;
}

/**
 * The method surface every generator offers; numpy's legacy `RandomState` names and semantics.
 *
 * @example
 * const rng: Rng = createRng(7, 'numpy');
 * rng.randint(0, 26);                 // as np.random.randint(0, 26)
 * rng.shuffle([0, 1, 2, 3, 4]);       // as np.random.shuffle, in place
 */
export interface Rng {
  /** The bit source: 'seedrandom' or 'numpy'. */
  readonly kind: RngKind;
  /** Next raw 32-bit output, in [0, 2^32). */
  nextUint32(): number;
  /** Uniform double in [0, 1). */
  random(): number;
  /** Integer in [lo, hi), or [0, lo) when `hi` is omitted (numpy `randint`). */
  randint(lo: number, hi?: number): number;
  /** One normal draw, `loc + scale * gauss()` (numpy legacy polar method). */
  normal(loc?: number, scale?: number): number;
  /** `n` normal draws in order. */
  normalArray(n: number, loc?: number, scale?: number): Float64Array;
  /** In-place Fisher-Yates from the end, numpy's legacy `shuffle`. Returns `arr`. */
  shuffle<A extends MutableArrayLike<unknown>>(arr: A): A;
  /** Plain JSON-able checkpoint. */
  getState(): RngState;
  /** Restore a checkpoint taken by `getState()` on a generator of the same kind. */
  setState(state: RngState): void;
}

const TWO_32 = 4294967296;

/** Smallest all-ones mask >= max, for max < 2^32. */
function mask32(max: number): number {
  let m = max >>> 0;
  m |= m >>> 1;
  m |= m >>> 2;
  m |= m >>> 4;
  m |= m >>> 8;
  m |= m >>> 16;
  return m >>> 0;
}

function isUint32(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < TWO_32;
}

// ---------------------------------------------------------------------------------------------
// Correctly rounded natural log for the polar method, which calls C `log`. V8's `Math.log`
// (fdlibm) is one ulp off the correctly rounded value for ~6% of inputs; glibc < 2.28 (the seed's
// era) was correctly rounded; glibc >= 2.28 is within 0.52 ulp and differs for ~0.08% of inputs
// (measured: 813 of 1e6), so ~0.04% of normal() values differ from today's numpy-on-glibc by one
// ulp. We compute log in double-double (~2^-100 relative) and round once.

const SPLIT = 134217729; // 2^27 + 1, Dekker's splitter

/** a*b = hi + lo exactly (Dekker), for |a|, |b| far from overflow. */
function twoProd(a: number, b: number): [number, number] {
  const p = a * b;
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return [p, ((ah * bh - p) + ah * bl + al * bh) + al * bl];
}

/** a+b = hi + lo exactly (Knuth). */
function twoSum(a: number, b: number): [number, number] {
  const s = a + b;
  const bb = s - a;
  return [s, (a - (s - bb)) + (b - bb)];
}

function ddAdd(ah: number, al: number, bh: number, bl: number): [number, number] {
  const [s, e] = twoSum(ah, bh);
  const [h, l] = twoSum(s, e + al + bl);
  return [h, l];
}

function ddMul(ah: number, al: number, bh: number, bl: number): [number, number] {
  const [p, e] = twoProd(ah, bh);
  return twoSum(p, e + (ah * bl + al * bh));
}

/** 1/(2k+1) as double-doubles, k = 0..15: the atanh series' coefficients. */
const ATANH_COEF: [number, number][] = Array.from({ length: 16 }, (_, k) => {
  const d = 2 * k + 1;
  const hi = 1 / d;
  const [p, e] = twoProd(hi, d);
  return [hi, ((1 - p) - e) / d];
});
const LN2_HI = 0.6931471805599453;
const LN2_LO = 2.3190468138462996e-17;
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer); // little-endian: U32[1] holds sign, exponent, top mantissa

/** ln(x) correctly rounded (to ~2^-100 before the final rounding), for finite x > 0. */
function logExact(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return Math.log(x);
  if (x === 1) return 0;
  let k = 0;
  if (x < 2.2250738585072014e-308) {
    x *= 18014398509481984; // 2^54: make subnormals normal
    k = -54;
  }
  F64[0] = x;
  k += ((U32[1] >>> 20) & 0x7ff) - 1023;
  U32[1] = (U32[1] & 0x000fffff) | 0x3ff00000; // m in [1, 2)
  let m = F64[0];
  if (m > Math.SQRT2) {
    m /= 2;
    k += 1;
  }
  // log(m) = 2 atanh(s), s = (m-1)/(m+1), |s| < 0.172; m-1 is exact.
  const a = m - 1;
  const [bh, bl] = twoSum(m, 1);
  const sh = a / bh;
  const [p, e] = twoProd(sh, bh);
  const sl = (((a - p) - e) - sh * bl) / bh;
  const [zh, zl] = ddMul(sh, sl, sh, sl);
  let [ch, cl] = ATANH_COEF[15];
  for (let j = 14; j >= 0; j--) {
    [ch, cl] = ddMul(ch, cl, zh, zl);
    [ch, cl] = ddAdd(ch, cl, ATANH_COEF[j][0], ATANH_COEF[j][1]);
  }
  let [rh, rl] = ddMul(ch, cl, 2 * sh, 2 * sl);
  if (k !== 0) {
    const [kh, kl] = twoProd(k, LN2_HI);
    [rh, rl] = ddAdd(rh, rl, kh, kl + k * LN2_LO);
  }
  return rh + rl;
}

/**
 * The algorithms numpy's legacy RandomState builds on top of its bit source; subclasses supply
 * `nextUint32()` and `random()`.
 */
abstract class RngBase implements Rng {
  abstract readonly kind: RngKind;
  protected gauss: number | null = null;

  abstract nextUint32(): number;
  abstract random(): number;
  abstract getState(): RngState;
  abstract setState(state: RngState): void;

  /**
   * numpy `random_interval(max)`: uniform integer in [0, max] by masked rejection.
   * max == 0 returns 0 without a draw. Ranges above 2^32-1 use 64-bit draws (hi word first).
   */
  protected interval(max: number): number {
    if (max === 0) return 0;
    if (max <= 0xffffffff) {
      const m = mask32(max);
      let v: number;
      do {
        v = (this.nextUint32() & m) >>> 0;
      } while (v > max);
      return v;
    }
    // max < 2^53: the mask's low word is all ones, its high word covers max / 2^32.
    const mHi = mask32(Math.floor(max / TWO_32));
    let v: number;
    do {
      const hi = (this.nextUint32() & mHi) >>> 0;
      const lo = this.nextUint32();
      v = hi * TWO_32 + lo;
    } while (v > max);
    return v;
  }

  /**
   * Integer in [lo, hi), or [0, lo) when `hi` is omitted, as numpy's legacy `randint` draws it
   * (masked rejection). ValueError when lo >= hi.
   *
   * @example
   * new NumpyRandomState(7).randint(0, 24); // np.random.seed(7); np.random.randint(0, 24)
   */
  randint(lo: number, hi?: number): number {
    let low = lo;
    let high = hi;
    if (high === undefined) {
      high = low;
      low = 0;
    }
    if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high)) {
      throw new ValueError(`randint(): bounds must be safe integers, got low=${String(low)}, high=${String(high)}`);
    }
    if (low >= high) throw new ValueError(`randint(): low >= high (low=${low}, high=${high})`);
    const range = high - low - 1;
    if (!Number.isSafeInteger(range)) throw new ValueError(`randint(): range [${low}, ${high}) is wider than 2^53`);
    return low + this.interval(range);
  }

  /** numpy `legacy_gauss`: polar Box-Muller, returns f*x2 and caches f*x1. */
  protected gaussian(): number {
    if (this.gauss !== null) {
      const g = this.gauss;
      this.gauss = null;
      return g;
    }
    let x1: number;
    let x2: number;
    let r2: number;
    do {
      x1 = 2.0 * this.random() - 1.0;
      x2 = 2.0 * this.random() - 1.0;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 === 0.0);
    const f = Math.sqrt((-2.0 * logExact(r2)) / r2);
    this.gauss = f * x1;
    return f * x2;
  }

  /**
   * One normal draw `loc + scale * gauss()` (numpy's legacy polar method; draws come in pairs,
   * the second cached). Defaults loc 0, scale 1; ValueError when scale < 0.
   *
   * @example
   * createRng(7, 'numpy').normal(0, 0.05); // as np.random.normal(0, 0.05)
   */
  normal(loc = 0, scale = 1): number {
    if (!(scale >= 0)) throw new ValueError(`normal(): scale must be >= 0, got ${String(scale)}`);
    return loc + scale * this.gaussian();
  }

  /**
   * `n` normal draws in order, as `n` calls of `normal(loc, scale)`.
   *
   * @example
   * createRng(7, 'numpy').normalArray(3); // Float64Array of 3, as np.random.normal(size=3)
   */
  normalArray(n: number, loc = 0, scale = 1): Float64Array {
    if (!Number.isInteger(n) || n < 0) throw new ValueError(`normalArray(): n must be a non-negative integer, got ${String(n)}`);
    if (!(scale >= 0)) throw new ValueError(`normalArray(): scale must be >= 0, got ${String(scale)}`);
    const out = new Float64Array(n);
    for (let k = 0; k < n; k++) out[k] = loc + scale * this.gaussian();
    return out;
  }

  /**
   * Shuffles `arr` in place (Fisher-Yates from the end, numpy's legacy `shuffle`) and returns it.
   *
   * @example
   * const order = createRng(7, 'numpy').shuffle([0, 1, 2, 3, 4]); // as np.random.shuffle
   */
  shuffle<A extends MutableArrayLike<unknown>>(arr: A): A {
    if (arr === null || typeof arr !== 'object' || !Number.isInteger(arr.length)) {
      throw new ValueError(`shuffle(): expected an array or typed array, got ${String(arr)}`);
    }
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.interval(i);
      const t = arr[i];
      arr[i] = arr[j];
      arr[j] = t;
    }
    return arr;
  }

  protected checkGauss(fn: string, g: unknown): number | null {
    if (g === null || g === undefined) return null;
    if (typeof g !== 'number' || !Number.isFinite(g)) throw new ValueError(`${fn}: state.gauss must be null or a finite number, got ${String(g)}`);
    return g;
  }
}

const MT_N = 624;
const MT_M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

/**
 * numpy's legacy `RandomState` (MT19937), reproduced bit for bit: `new NumpyRandomState(7)` is
 * `numpy.random.seed(7)`, and `random`, `randint`, `normal`, `shuffle` return what numpy returns.
 *
 * @example
 * const rs = new NumpyRandomState(0);
 * rs.random();     // 0.5488135039273248, as np.random.seed(0); np.random.random()
 * rs.randint(10);  // next draw of np.random.randint(10)
 */
export class NumpyRandomState extends RngBase {
  /** Always 'numpy'. */
  readonly kind = 'numpy' as const;
  private readonly mt = new Uint32Array(MT_N);
  private index = MT_N;

  /** `init_genrand(seed)`; `seed` must be an integer in [0, 2^32 - 1], as numpy requires. */
  constructor(seed: number) {
    super();
    if (!isUint32(seed)) throw new ValueError(`NumpyRandomState(): seed must be an integer between 0 and 2**32 - 1, got ${String(seed)}`);
    const mt = this.mt;
    mt[0] = seed;
    for (let i = 1; i < MT_N; i++) {
      const prev = mt[i - 1];
      mt[i] = (Math.imul(1812433253, (prev ^ (prev >>> 30)) >>> 0) + i) >>> 0;
    }
    this.index = MT_N;
  }

  private generate(): void {
    const mt = this.mt;
    let y: number;
    let k = 0;
    for (; k < MT_N - MT_M; k++) {
      y = (mt[k] & UPPER_MASK) | (mt[k + 1] & LOWER_MASK);
      mt[k] = mt[k + MT_M] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    for (; k < MT_N - 1; k++) {
      y = (mt[k] & UPPER_MASK) | (mt[k + 1] & LOWER_MASK);
      mt[k] = mt[k + (MT_M - MT_N)] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    y = (mt[MT_N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
    mt[MT_N - 1] = mt[MT_M - 1] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    this.index = 0;
  }

  /**
   * Next tempered MT19937 output (genrand_int32).
   *
   * @example
   * new NumpyRandomState(5489).nextUint32(); // 3499211612
   */
  nextUint32(): number {
    if (this.index >= MT_N) this.generate();
    let y = this.mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /**
   * 53-bit double in [0, 1) from two outputs: `((a>>>5)*2^26 + (b>>>6)) / 2^53`.
   *
   * @example
   * new NumpyRandomState(42).random(); // 0.3745401188473625
   */
  random(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864.0 + b) / 9007199254740992.0;
  }

  /**
   * Checkpoint: `{kind: 'numpy', mt, index, gauss}`.
   *
   * @example
   * const s = rs.getState(); rs.random(); rs.setState(s); // the same random() again
   */
  getState(): NumpyRngState {
    return { kind: 'numpy', mt: Array.from(this.mt), index: this.index, gauss: this.gauss };
  }

  /**
   * Restore a checkpoint from `getState()`. Throws ValueError on a malformed state.
   *
   * @example
   * rs.setState(JSON.parse(JSON.stringify(saved)));
   */
  setState(state: RngState): void {
    const fn = 'NumpyRandomState.setState()';
    if (state === null || typeof state !== 'object' || state.kind !== 'numpy') {
      throw new ValueError(`${fn}: expected a state with kind 'numpy', got kind ${String((state as { kind?: unknown } | null)?.kind)}`);
    }
    const { mt, index } = state;
    if (!Array.isArray(mt) || mt.length !== MT_N) throw new ValueError(`${fn}: state.mt must be an array of ${MT_N} uint32 words`);
    for (let k = 0; k < MT_N; k++) {
      if (!isUint32(mt[k])) throw new ValueError(`${fn}: state.mt[${k}] must be a uint32, got ${String(mt[k])}`);
    }
    if (!Number.isInteger(index) || index < 0 || index > MT_N) throw new ValueError(`${fn}: state.index must be an integer in [0, ${MT_N}], got ${String(index)}`);
    const gauss = this.checkGauss(fn, state.gauss);
    this.mt.set(mt);
    this.index = index;
    this.gauss = gauss;
  }
}

/**
 * `seedrandom`'s ARC4 generator behind the {@link Rng} surface: the default generator. Seeded with
 * `String(seed)`. `random()` is seedrandom's 52-bit double, `nextUint32()` its `int32() >>> 0`.
 *
 * @example
 * const rng = new SeededRandom(42);
 * rng.randint(0, 6); // same value every run
 */
export class SeededRandom extends RngBase {
  /** Always 'seedrandom'. */
  readonly kind = 'seedrandom' as const;
  private prng: seedrandom.StatefulPRNG<seedrandom.State.Arc4>;

  /** `seed` must be a finite number; it is turned into the string seed `String(seed)`. */
  constructor(seed: number) {
    super();
    if (typeof seed !== 'number' || !Number.isFinite(seed)) throw new ValueError(`SeededRandom(): seed must be a finite number, got ${String(seed)}`);
    this.prng = seedrandom(String(seed), { state: true });
  }

  /**
   * Next 32-bit output: four ARC4 bytes.
   *
   * @example
   * new SeededRandom(1).nextUint32(); // an integer in [0, 2^32)
   */
  nextUint32(): number {
    return this.prng.int32() >>> 0;
  }

  /**
   * Uniform double in [0, 1) with 52 random bits (seedrandom's `prng()`).
   *
   * @example
   * new SeededRandom(1).random(); // in [0, 1)
   */
  random(): number {
    return this.prng();
  }

  /**
   * Checkpoint: `{kind: 'seedrandom', arc4: {i, j, S}, gauss}`.
   *
   * @example
   * const s = rng.getState(); rng.random(); rng.setState(s); // the same random() again
   */
  getState(): SeedrandomRngState {
    const a = this.prng.state();
    return { kind: 'seedrandom', arc4: { i: a.i, j: a.j, S: Array.from(a.S) }, gauss: this.gauss };
  }

  /**
   * Restore a checkpoint from `getState()`. Throws ValueError on a malformed state.
   *
   * @example
   * rng.setState(JSON.parse(JSON.stringify(saved)));
   */
  setState(state: RngState): void {
    const fn = 'SeededRandom.setState()';
    if (state === null || typeof state !== 'object' || state.kind !== 'seedrandom') {
      throw new ValueError(`${fn}: expected a state with kind 'seedrandom', got kind ${String((state as { kind?: unknown } | null)?.kind)}`);
    }
    const a = state.arc4;
    if (a === null || typeof a !== 'object' || !Array.isArray(a.S) || a.S.length !== 256) {
      throw new ValueError(`${fn}: state.arc4 must be {i, j, S} with S an array of 256 bytes`);
    }
    const byte = (x: unknown): boolean => Number.isInteger(x) && (x as number) >= 0 && (x as number) < 256;
    if (!byte(a.i) || !byte(a.j) || !a.S.every(byte)) throw new ValueError(`${fn}: state.arc4.i, .j and every S[k] must be integers in [0, 255]`);
    const gauss = this.checkGauss(fn, state.gauss);
    this.prng = seedrandom('', { state: { i: a.i, j: a.j, S: a.S.slice() } });
    this.gauss = gauss;
  }
}

/**
 * Make a generator. `'seedrandom'` (the default) for normal use, `'numpy'` to replay numpy's
 * legacy stream. Throws ConfigError on an unknown kind.
 *
 * @example
 * const rng = createRng(7, 'numpy'); // numpy.random.seed(7)
 */
export function createRng(seed: number, kind: RngKind = 'seedrandom'): Rng {
  if (kind === 'seedrandom') return new SeededRandom(seed);
  if (kind === 'numpy') return new NumpyRandomState(seed);
  throw new ConfigError(`createRng(): unknown rng kind '${String(kind)}'; expected 'seedrandom' or 'numpy'`);
}

// ---------------------------------------------------------------------------------------------
// Initialisers. All return Float32Array, row-major, in Keras's shapes.

function checkDim(fn: string, name: string, v: unknown): void {
  if (!Number.isInteger(v) || (v as number) < 1) throw new ValueError(`${fn}: ${name} must be a positive integer, got ${String(v)}`);
}

/**
 * Keras's glorot_uniform: shape (fanIn, fanOut), U(-limit, limit) with
 * limit = sqrt(3·scale), scale = 1/max(1, (fanIn+fanOut)/2), drawn row-major as numpy's
 * `uniform(low, high)` does: `low + (high - low)·random()` in float64 with float32 bounds
 * (Theano casts them to floatX), then rounded to float32.
 *
 * @example
 * const W = glorotUniform(createRng(1), 1, 128); // Float32Array(128), |w| <= sqrt(6/129)
 */
export function glorotUniform(rng: Rng, fanIn: number, fanOut: number): Float32Array {
  checkDim('glorotUniform()', 'fanIn', fanIn);
  checkDim('glorotUniform()', 'fanOut', fanOut);
  const scale = 1 / Math.max(1, (fanIn + fanOut) / 2);
  const limit = Math.sqrt(3 * scale);
  const low = Math.fround(-limit);
  const high = Math.fround(limit);
  const out = new Float32Array(fanIn * fanOut);
  for (let k = 0; k < out.length; k++) out[k] = low + (high - low) * rng.random();
  return out;
}

/**
 * The generator Keras 2.0's Theano backend gives an initializer: Keras draws
 * `seed = randint(1, 10e6)` from the global stream, Theano's `RandomStreams(seed)` draws
 * `randint(2**30)` from a generator seeded with it and seeds the variable's own generator with that.
 * The result is of the same kind as `rng`.
 *
 * @example
 * const W = glorotUniform(initializerRng(model.rng), 1, 128);
 */
export function initializerRng(rng: Rng): Rng {
  const seed = rng.randint(1, 10e6);
  return createRng(createRng(seed, rng.kind).randint(2 ** 30), rng.kind);
}

/** Options for {@link orthogonal}. */
export interface OrthogonalArgs {
  /** 'svd': Keras 2.0 (numpy SVD of a normal draw). 'qr': Keras 3 / tf.keras (QR, sign-fixed). */
  method: 'svd' | 'qr';
  /** Multiplier of the orthogonal matrix. Default 1. */
  gain?: number;
}

function dot(x: Float64Array, y: Float64Array): number {
  let s = 0;
  for (let k = 0; k < x.length; k++) s += x[k] * y[k];
  return s;
}

/** y -= (x·y) x for every accepted unit vector x, twice (classical Gram-Schmidt with re-orthogonalisation). */
function projectOut(y: Float64Array, basis: Float64Array[]): void {
  for (let pass = 0; pass < 2; pass++) {
    for (const x of basis) {
      const p = dot(x, y);
      for (let k = 0; k < y.length; k++) y[k] -= p * x[k];
    }
  }
}

/**
 * Replace every vector not marked `ok` (a collapsed direction: rank deficiency, probability zero
 * for a normal draw) by a unit basis vector orthogonalised against the others, so the output is
 * always orthonormal rather than NaN. `ok` vectors must already be unit length.
 */
function completeBasis(vecs: Float64Array[], ok: boolean[]): void {
  const n = vecs[0].length;
  const good = vecs.filter((_, i) => ok[i]);
  let e = 0;
  for (let i = 0; i < vecs.length; i++) {
    if (ok[i]) continue;
    for (; e < n; e++) {
      const y = new Float64Array(n);
      y[e] = 1;
      projectOut(y, good);
      const nrm = Math.sqrt(dot(y, y));
      if (nrm > 0.5) {
        for (let k = 0; k < n; k++) y[k] /= nrm;
        vecs[i] = y;
        good.push(y);
        e++;
        break;
      }
    }
  }
}

/**
 * One-sided (Hestenes) Jacobi: rotate pairs of `vecs` until they are mutually orthogonal.
 * The span is unchanged; the results are the singular vectors scaled by the singular values.
 */
function jacobiOrthogonalise(vecs: Float64Array[]): void {
  const k = vecs.length;
  const n = vecs[0].length;
  const eps = 1e-15;
  for (let sweep = 0; sweep < 100; sweep++) {
    let rotated = false;
    for (let p = 0; p < k - 1; p++) {
      for (let q = p + 1; q < k; q++) {
        const x = vecs[p];
        const y = vecs[q];
        // x·x, y·y and x·y in one pass, each summed in index order (the same bits as three dots)
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let m = 0; m < n; m++) {
          const xm = x[m];
          const ym = y[m];
          alpha += xm * xm;
          beta += ym * ym;
          gamma += xm * ym;
        }
        if (gamma === 0 || Math.abs(gamma) <= eps * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let m = 0; m < n; m++) {
          const xm = x[m];
          const ym = y[m];
          x[m] = c * xm - s * ym;
          y[m] = s * xm + c * ym;
        }
      }
    }
    if (!rotated) return;
  }
}

/**
 * Keras `orthogonal` for a (rows, cols) matrix, e.g. the fused recurrent kernel (H, 4H).
 * Draws exactly rows*cols `rng.normal()` values, row-major, then:
 * - `'svd'` (Keras 2.0): `a` is the (rows, cols) draw; `u, _, v = svd(a, full_matrices=False)`;
 *   the result is `v` (orthonormal rows) when rows < cols, else `u` (orthonormal columns).
 *   Computed with one-sided Jacobi in float64, singular vectors sorted by descending singular value.
 *   Departs from numpy: LAPACK's signs cannot be reproduced; we make each singular vector's
 *   largest-magnitude entry positive. Each vector equals numpy's up to sign.
 * - `'qr'` (Keras 3 / tf.keras): `a` is drawn with shape (max(rows,cols), min(rows,cols)) as Keras
 *   does; `q, r = qr(a)`; `q *= sign(diag(r))`; transposed when rows < cols. This Q is unique, so
 *   only the draws differ from Keras (Keras uses its backend's generator).
 * Returns `gain * q` as Float32Array.
 *
 * @example
 * const U = orthogonal(createRng(7, 'numpy'), 32, 128, { method: 'svd' }); // (32, 128), orthonormal rows
 */
export function orthogonal(rng: Rng, rows: number, cols: number, args: OrthogonalArgs): Float32Array {
  const fn = 'orthogonal()';
  checkDim(fn, 'rows', rows);
  checkDim(fn, 'cols', cols);
  if (args === null || typeof args !== 'object') throw new ConfigError(`${fn}: options {method: 'svd' | 'qr', gain?} are required`);
  for (const key of Object.keys(args)) {
    if (key !== 'method' && key !== 'gain') throw new ConfigError(`${fn}: unknown option '${key}'; expected method, gain`);
  }
  const { method } = args;
  if (method !== 'svd' && method !== 'qr') throw new ConfigError(`${fn}: unknown method '${String(method)}'; expected 'svd' or 'qr'`);
  const gain = args.gain ?? 1;
  if (typeof gain !== 'number' || !Number.isFinite(gain)) throw new ValueError(`${fn}: gain must be a finite number, got ${String(gain)}`);

  const draw = rng.normalArray(rows * cols);
  const k = Math.min(rows, cols); // number of orthonormal vectors
  const n = Math.max(rows, cols); // their length
  // vecs[i] is row i of the result when rows < cols, column i otherwise.
  const vecs: Float64Array[] = [];
  for (let i = 0; i < k; i++) vecs.push(new Float64Array(n));

  if (method === 'svd') {
    // a is (rows, cols). Rows < cols: orthogonalise a's rows (-> v). Else a's columns (-> u).
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        if (rows < cols) vecs[r][c] = draw[r * cols + c];
        else vecs[c][r] = draw[r * cols + c];
      }
    }
    jacobiOrthogonalise(vecs);
    const norms = vecs.map((v) => Math.sqrt(dot(v, v)));
    const order = norms.map((_, i) => i).sort((i, j) => norms[j] - norms[i] || i - j);
    const sortedVecs = order.map((i) => vecs[i]);
    const tiny = norms[order[0]] * 1e-12;
    const ok = order.map((i) => norms[i] > tiny && norms[i] > 0);
    sortedVecs.forEach((v, i) => {
      if (ok[i]) for (let m = 0; m < n; m++) v[m] /= norms[order[i]];
    });
    completeBasis(sortedVecs, ok);
    for (let i = 0; i < k; i++) {
      const v = sortedVecs[i];
      let big = 0;
      for (let m = 1; m < n; m++) if (Math.abs(v[m]) > Math.abs(v[big])) big = m;
      if (v[big] < 0) for (let m = 0; m < n; m++) v[m] = -v[m];
      vecs[i] = v;
    }
  } else {
    // a is (n, k) row-major; its columns are the vectors. Gram-Schmidt gives Q with diag(R) > 0,
    // which is exactly q * sign(diag(r)) for any QR of a.
    for (let r = 0; r < n; r++) for (let c = 0; c < k; c++) vecs[c][r] = draw[r * k + c];
    const ok: boolean[] = [];
    for (let i = 0; i < k; i++) {
      const v = vecs[i];
      const before = Math.sqrt(dot(v, v));
      projectOut(v, vecs.filter((_, j) => j < i && ok[j]));
      const after = Math.sqrt(dot(v, v));
      ok.push(after > before * 1e-12 && after > 0);
      if (ok[i]) for (let m = 0; m < n; m++) v[m] /= after;
    }
    completeBasis(vecs, ok);
  }

  const out = new Float32Array(rows * cols);
  for (let i = 0; i < k; i++) {
    const v = vecs[i];
    for (let m = 0; m < n; m++) {
      if (rows < cols) out[i * cols + m] = gain * v[m];
      else out[m * cols + i] = gain * v[m];
    }
  }
  return out;
}

/**
 * LSTM bias (4*units), gate blocks i, f, c, o: zeros, with the forget block set to 1 when
 * `unitForgetBias` (Keras's default `unit_forget_bias=True`; tfjs defaults to false).
 *
 * @example
 * lstmBias(2, true); // Float32Array [0, 0, 1, 1, 0, 0, 0, 0]
 */
export function lstmBias(units: number, unitForgetBias: boolean): Float32Array {
  checkDim('lstmBias()', 'units', units);
  if (typeof unitForgetBias !== 'boolean') throw new ValueError(`lstmBias(): unitForgetBias must be a boolean, got ${String(unitForgetBias)}`);
  const b = new Float32Array(4 * units);
  if (unitForgetBias) b.fill(1, units, 2 * units);
  return b;
}
