// Before `ready()` resolves nothing can compute: every entry point says so instead of crashing.
import { describe, it, expect } from 'vitest';
import { ready, isReady, sequential, lstm, dense, StateError } from '../src/index.js';

describe('ready()', () => {
  it('without DecompressionStream (needed to unpack the gzipped kernels) rejects with a StateError, and can be retried', async () => {
    const g = globalThis as { DecompressionStream?: unknown };
    const keep = g.DecompressionStream;
    g.DecompressionStream = undefined;
    try {
      await expect(ready()).rejects.toThrow(/ready\(\): this host lacks DecompressionStream \(gzip\), which lstm-wasm uses to unpack its kernels/);
      expect(isReady()).toBe(false);
    } finally {
      g.DecompressionStream = keep;
    }
  });

  it('is required before building a model, then idempotent', async () => {
    expect(isReady()).toBe(false);
    const build = () => sequential({ layers: [lstm({ units: 2, inputShape: [1, 1] }), dense({ units: 2 })] });
    expect(build).toThrow(StateError);
    expect(build).toThrow(/await ready\(\)/);
    const p1 = ready();
    const p2 = ready();
    expect(p1).toBe(p2);
    await p1;
    expect(isReady()).toBe(true);
    const m = build();
    expect(m.predict([[[0.5]]]).shape).toEqual([1, 2]);
    m.dispose();
  });
});
