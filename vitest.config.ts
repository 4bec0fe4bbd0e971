import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Tests share one WASM instance per file; files run in parallel on the 2 cores.
    pool: 'forks',
  },
});
