// The only file that touches WebAssembly: the embedded binary, one asynchronous instantiation,
// a small allocator over linear memory, and typed-array views that survive memory growth.
import { instantiate } from '@assemblyscript/loader';
import { WASM_GZIP_BASE64 } from './generated/wasm-binary.js';
import { StateError, ValueError } from './errors.js';

/** The raw exports of the kernel module (see assembly/index.ts). Pointers are byte offsets. */
export type KernelExports = Record<string, (...args: number[]) => number> & {
  // Structural, so the .d.ts needs no DOM or WebAssembly lib in Node projects.
  memory: { readonly buffer: ArrayBuffer; grow(delta: number): number };
};

let exportsRef: KernelExports | null = null;
let pending: Promise<void> | null = null;

// A tiny first-fit allocator. Blocks are 16-byte aligned so every v128 load in the kernels is
// aligned; freed blocks are merged with their neighbours and reused before memory grows.
const ALIGN = 16;
const PAGE = 65536;
let heapTop = 0; // first byte never handed out
const freeBlocks: Array<{ ptr: number; size: number }> = [];
const liveBlocks = new Map<number, number>(); // ptr -> size

function decodeBase64(b64: string): Uint8Array {
  const g = globalThis as { Buffer?: { from(s: string, e: string): Uint8Array }; atob?: (s: string) => string };
  if (typeof g.Buffer === 'function' || (g.Buffer && typeof g.Buffer.from === 'function')) {
    const b = g.Buffer!.from(b64, 'base64');
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }
  const s = g.atob!(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

// The smallest module that uses a v128 instruction: validating it tells whether this host has
// WebAssembly SIMD, so `ready()` can say so instead of failing with a compile error.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

// The web platform's gzip decoder (Node 18+, Chrome 80+, Firefox 113+, Safari 16.4+: within the
// bundle's build targets), typed structurally so the .d.ts needs no DOM lib.
interface Gunzip { readable: unknown; writable: unknown }
type StreamGlobals = {
  DecompressionStream?: new (format: 'gzip') => Gunzip;
  Blob: new (parts: Uint8Array[]) => { stream(): { pipeThrough(t: Gunzip): unknown } };
  Response: new (body: unknown) => { arrayBuffer(): Promise<ArrayBuffer> };
};

async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const g = globalThis as unknown as StreamGlobals;
  if (typeof g.DecompressionStream !== 'function') {
    throw new StateError('ready(): this host lacks DecompressionStream (gzip), which lstm-wasm uses to unpack its kernels');
  }
  const stream = new g.Blob([bytes]).stream().pipeThrough(new g.DecompressionStream('gzip'));
  return new Uint8Array(await new g.Response(stream).arrayBuffer());
}

/**
 * Instantiates the WASM kernels once, asynchronously. Idempotent: later calls return the same
 * promise. Every other entry point that computes needs it to have resolved.
 *
 * @example
 * import { ready } from 'lstm-wasm';
 * await ready();
 */
export function ready(): Promise<void> {
  if (pending) return pending;
  pending = (async () => {
    if (typeof WebAssembly !== 'object') throw new StateError('ready(): this host has no WebAssembly');
    if (!WebAssembly.validate(SIMD_PROBE)) {
      throw new StateError('ready(): this host lacks WebAssembly SIMD (128-bit), which lstm-wasm needs');
    }
    const result = await instantiate<Record<string, unknown>>(await gunzip(decodeBase64(WASM_GZIP_BASE64)), {
      env: {
        abort(_msg: number, _file: number, line: number, col: number) {
          throw new StateError(`wasm kernel aborted at ${line}:${col}`);
        },
      },
    });
    exportsRef = result.instance.exports as unknown as KernelExports;
    heapTop = align((exportsRef.heap_base as () => number)());
  })();
  pending.catch(() => {
    pending = null;
  });
  return pending;
}

/**
 * True once `ready()` has resolved.
 *
 * @example
 * if (!isReady()) await ready();
 */
export function isReady(): boolean {
  return exportsRef !== null;
}

/** The raw kernel exports; throws a StateError naming `caller` before `ready()` has resolved. */
export function kernels(caller = 'this call'): KernelExports {
  if (!exportsRef) throw new StateError(`${caller}: call "await ready()" first (the WASM kernels are not instantiated)`);
  return exportsRef;
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

/**
 * The most linear memory lstm-wasm uses: 2 GiB. Pointers travel through Int32 descriptor slots,
 * so addresses must stay below 2^31 (wasm32 itself would allow 4 GiB).
 */
export const MAX_MEMORY_BYTES = 2 ** 31;

/** Throws a ValueError naming `what` and the bytes it needs when they could never be allocated. */
export function requireBytes(caller: string, what: string, bytes: number): void {
  if (!(bytes <= MAX_MEMORY_BYTES)) {
    throw new ValueError(`${caller}: ${what} would need ${bytes} bytes of WebAssembly memory; the limit is ${MAX_MEMORY_BYTES} bytes`);
  }
}

/** Allocates `bytes` (rounded up to 16) of zeroed linear memory and returns its byte offset. */
export function alloc(bytes: number): number {
  const k = kernels('alloc()');
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new ValueError(`alloc(): bytes must be a non-negative integer, received ${bytes}`);
  const size = Math.max(ALIGN, align(bytes));
  let ptr = -1;
  for (let i = 0; i < freeBlocks.length; i++) {
    const b = freeBlocks[i];
    if (b.size >= size) {
      ptr = b.ptr;
      if (b.size === size) freeBlocks.splice(i, 1);
      else {
        b.ptr += size;
        b.size -= size;
      }
      break;
    }
  }
  if (ptr < 0) {
    ptr = heapTop;
    const need = ptr + size;
    if (need > MAX_MEMORY_BYTES) {
      throw new ValueError(`alloc(): ${size} bytes more would take WebAssembly memory to ${need} bytes; the limit is ${MAX_MEMORY_BYTES} bytes`);
    }
    const have = k.memory.buffer.byteLength;
    if (need > have) {
      const pages = Math.ceil((need - have) / PAGE);
      let grown = -1;
      try {
        grown = k.memory.grow(pages);
      } catch (e) {
        throw new StateError(`alloc(): WebAssembly memory could not grow by ${pages * PAGE} bytes (${(e as Error).message})`);
      }
      if (grown < 0) throw new StateError(`alloc(): WebAssembly memory could not grow by ${pages * PAGE} bytes`);
    }
    heapTop = need;
  }
  new Uint8Array(k.memory.buffer, ptr, size).fill(0);
  liveBlocks.set(ptr, size);
  return ptr;
}

/** Returns a block from `alloc` for reuse. Freeing twice or a foreign pointer is an error. */
export function free(ptr: number): void {
  const size = liveBlocks.get(ptr);
  if (size === undefined) throw new StateError(`free(): ${ptr} is not a live block`);
  liveBlocks.delete(ptr);
  freeBlocks.push({ ptr, size });
  freeBlocks.sort((a, b) => a.ptr - b.ptr);
  for (let i = freeBlocks.length - 2; i >= 0; i--) {
    const a = freeBlocks[i];
    const b = freeBlocks[i + 1];
    if (a.ptr + a.size === b.ptr) {
      a.size += b.size;
      freeBlocks.splice(i + 1, 1);
    }
  }
  const last = freeBlocks[freeBlocks.length - 1];
  if (last && last.ptr + last.size === heapTop) {
    heapTop = last.ptr;
    freeBlocks.pop();
  }
}

/** Bytes of linear memory currently handed out and the memory's total size. */
export function memoryStats(): { liveBytes: number; heapTop: number; memoryBytes: number } {
  let liveBytes = 0;
  for (const s of liveBlocks.values()) liveBytes += s;
  return { liveBytes, heapTop, memoryBytes: kernels('memoryStats()').memory.buffer.byteLength };
}

/** A fresh Float32Array view of `len` floats at byte offset `ptr`. Never keep it across an `alloc`. */
export function f32(ptr: number, len: number): Float32Array {
  return new Float32Array(kernels().memory.buffer, ptr, len);
}

/** A fresh Int32Array view of `len` ints at byte offset `ptr`. Never keep it across an `alloc`. */
export function i32(ptr: number, len: number): Int32Array {
  return new Int32Array(kernels().memory.buffer, ptr, len);
}

/** A fresh Float64Array view of `len` doubles at byte offset `ptr` (8-byte aligned). */
export function f64(ptr: number, len: number): Float64Array {
  return new Float64Array(kernels().memory.buffer, ptr, len);
}
