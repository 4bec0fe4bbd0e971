// Memory (issue 7): WASM memory stays bounded. 1,000 small models created, trained, used and
// disposed in one process hand every byte back and never grow memory after a warm-up; models of
// mixed sizes freed in random order do not fragment memory past a fixed ceiling; a long run is
// flat; and several models alive at once train to exactly the bits they reach alone, even when
// another model grows WASM memory in the middle of their fits.
// Oracle: the allocator's own books (memoryStats: bytes handed out, linear memory size) and
// bit-exact comparison against sequential runs.
import { describe, it, expect, beforeAll } from 'vitest';
import { ready, sequential, lstm, dense, adam, createRng, alphabetDataset, toCategorical, type Sequential, type History } from '../../src/index.js';
import { memoryStats, task, raggedTask, expectSameBits, stateHash, turn } from '../helpers/robust.js';

beforeAll(async () => {
  await ready();
});

const MiB = 1 << 20;

describe('1,000 models: create, train, predict, evaluate, dispose', () => {
  it('hands every byte back after each dispose; memory does not grow after a warm-up of 20 models and stays under 1 MiB', async () => {
    const base = memoryStats();
    const small = task(6, 4, 5);
    const ragged = raggedTask(6, 5, 5);
    let afterWarmUp = 0;
    let peak = 0;
    for (let i = 0; i < 1000; i++) {
      // Sizes and input kinds vary: H 1..9, fixed or free length (the scratch regrows), ragged input.
      const H = 1 + (i % 9);
      const free = i % 2 === 1;
      const m = sequential({ seed: i, layers: [lstm({ units: H, inputShape: [free ? null : 4, 1] }), dense({ units: 5, activation: 'softmax' })] });
      m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 0.01 }), metrics: ['accuracy'] });
      if (free) await m.fit(ragged.x, ragged.y, { epochs: 1, batchSize: 4, verbose: 0 });
      else await m.fit(small.x, small.y, { epochs: 1, batchSize: 4, verbose: 0, validationSplit: 0.5 });
      m.predict(free ? ragged.x : small.x);
      if (!free) m.evaluate(small.x, small.y);
      m.dispose();
      const s = memoryStats();
      if (s.liveBytes !== base.liveBytes) expect.fail(`model ${i} (H ${H}): ${s.liveBytes - base.liveBytes} bytes still handed out after dispose`);
      if (s.heapTop !== base.heapTop) expect.fail(`model ${i}: the heap top is ${s.heapTop}, was ${base.heapTop}`);
      peak = Math.max(peak, s.memoryBytes);
      if (i === 19) afterWarmUp = s.memoryBytes;
    }
    expect(memoryStats().memoryBytes, 'memory after 1,000 models vs after 20').toBe(afterWarmUp);
    expect(peak).toBe(afterWarmUp);
    expect(peak).toBeLessThanOrEqual(1 * MiB);
  });

  it('mixed sizes alive at once, freed in random order: no growth past the warm-up, all bytes back at the end', async () => {
    const base = memoryStats();
    const rng = createRng(2024);
    const small = task(4, 3, 5);
    const pool: Array<Sequential | null> = new Array(6).fill(null);
    let afterWarmUp = 0;
    let maxLive = 0;
    for (let i = 0; i < 400; i++) {
      const slot = rng.randint(pool.length);
      pool[slot]?.dispose();
      const H = [2, 8, 24, 48][rng.randint(4)];
      const m = sequential({ seed: i, preset: 'keras3', layers: [lstm({ units: H, inputShape: [null, 1] }), dense({ units: 5, activation: 'softmax' })] });
      m.compile({ loss: 'categoricalCrossentropy' });
      // A random longest sequence (1..40 steps) sizes this model's scratch.
      const T = 1 + rng.randint(40);
      m.predict([Array.from({ length: T }, (_, t) => t / T)]);
      if (i % 10 === 0) await m.fit(small.x, small.y, { epochs: 1, verbose: 0 });
      pool[slot] = m;
      maxLive = Math.max(maxLive, memoryStats().liveBytes - base.liveBytes);
      if (i === 49) afterWarmUp = memoryStats().memoryBytes;
    }
    // First-fit with coalescing: after the warm-up, memory may grow by at most one more pool's worth.
    const end = memoryStats();
    expect(end.memoryBytes, `memory ${end.memoryBytes} vs ${afterWarmUp} after the warm-up; largest live ${maxLive}`).toBeLessThanOrEqual(afterWarmUp + maxLive);
    expect(end.memoryBytes).toBeLessThanOrEqual(4 * MiB);
    for (const m of pool) m?.dispose();
    expect(memoryStats().liveBytes).toBe(base.liveBytes);
    expect(memoryStats().heapTop).toBe(base.heapTop);
  });
});

describe('a long run', () => {
  it("the listing's whole schedule, 500 epochs x 1,000 samples at batch 1 (500,000 updates, H 8), per-batch callbacks: memory flat", async () => {
    const { dataX, dataY } = alphabetDataset({ numInputs: 1000, maxLen: 5 });
    const x = dataX.map((s) => s.map((k) => k / 26));
    const y = toCategorical(dataY, 26);
    const m = sequential({ seed: 9, layers: [lstm({ units: 8, inputShape: [null, 1] }), dense({ units: 26, activation: 'softmax' })] });
    m.compile({ loss: 'categoricalCrossentropy', optimizer: adam(), metrics: ['accuracy'] });
    const seen = new Set<string>();
    const heap: number[] = [];
    let batches = 0;
    const h = await m.fit(x, y, {
      epochs: 500, batchSize: 1, verbose: 0,
      callbacks: {
        onBatchEnd: () => void batches++,
        onEpochEnd: (epoch) => {
          if (epoch % 25 === 0 || epoch === 499) {
            const s = memoryStats();
            seen.add(`${s.liveBytes}/${s.heapTop}/${s.memoryBytes}`);
            heap.push(process.memoryUsage().heapUsed);
          }
        },
      },
    });
    expect(batches).toBe(500_000);
    expect([...seen], 'liveBytes/heapTop/memoryBytes at every 25th epoch').toHaveLength(1);
    expect(h.history.loss.every(Number.isFinite)).toBe(true);
    expect(h.history.acc[499]).toBeGreaterThan(h.history.acc[0]);
    // JS heap: History holds 2 x 500 numbers; anything kept per batch would be 500,000 objects.
    expect(heap[heap.length - 1] - heap[0], 'JS heap growth over the run (bytes)').toBeLessThan(16 * MiB);
    const before = memoryStats().liveBytes;
    m.dispose();
    expect(memoryStats().liveBytes).toBeLessThan(before);
  });
});

describe('several models at once', () => {
  type Job = { make: () => Sequential; run: (m: Sequential, between?: () => Promise<void>) => Promise<History> };
  const fixed = task(40, 4, 6);
  const ragged = raggedTask(30, 6, 6);
  const jobs: Job[] = [
    {
      make: () => {
        const m = sequential({ seed: 1, layers: [lstm({ units: 8, inputShape: [4, 1] }), dense({ units: 6, activation: 'softmax' })] });
        m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 0.01 }), metrics: ['accuracy'] });
        return m;
      },
      run: (m, between) => m.fit(fixed.x, fixed.y, { epochs: 6, batchSize: 8, verbose: 0, validationSplit: 0.25, callbacks: { onEpochEnd: () => between?.() } }),
    },
    {
      make: () => {
        const m = sequential({ seed: 2, preset: 'keras3', layers: [lstm({ units: 5, inputShape: [null, 1] }), dense({ units: 6, activation: 'softmax' })] });
        m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 0.02 }), metrics: ['accuracy'] });
        return m;
      },
      run: (m, between) => m.fit(ragged.x, ragged.y, { epochs: 5, batchSize: 4, verbose: 0, callbacks: { onBatchEnd: () => between?.() } }),
    },
    {
      make: () => {
        const m = sequential({ seed: 3, kernels: 'scalar', layers: [lstm({ units: 3, inputShape: [4, 1] }), dense({ units: 6, activation: 'softmax' })] });
        m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 0.01 }) });
        return m;
      },
      run: (m, between) => m.fit(fixed.x, fixed.y, { epochs: 7, batchSize: 5, verbose: 0, callbacks: { onEpochEnd: () => between?.() } }),
    },
  ];

  it('interleaved fits (every epoch or batch yields to the others) give the same bits as the same fits one after another', async () => {
    // Alone, one after another.
    const alone: Array<{ weights: ReturnType<Sequential['getWeights']>; history: History['history']; hash: string }> = [];
    for (const job of jobs) {
      const m = job.make();
      const h = await job.run(m);
      alone.push({ weights: m.getWeights(), history: h.history, hash: stateHash(m) });
      m.dispose();
    }
    // Together: all alive at once; each yields a macrotask at every epoch or batch end, so their
    // updates interleave; a fourth task meanwhile creates, uses and drops bigger models, which
    // grows WASM memory (and detaches every typed-array view) while the fits are in flight.
    const base = memoryStats();
    const models = jobs.map((j) => j.make());
    const order: number[] = [];
    let running = true;
    let grownDuring = 0;
    const churn = (async () => {
      const kept: Sequential[] = [];
      for (let k = 0; running; k++) {
        const big = sequential({ seed: k, preset: 'keras3', layers: [lstm({ units: 48, inputShape: [null, 4] }), dense({ units: 30, activation: 'softmax' })] });
        big.predict([Array.from({ length: 30 + 10 * k }, () => [0.1, 0.2, 0.3, 0.4])]);
        if (k % 2 === 0) kept.push(big);
        else big.dispose();
        grownDuring = Math.max(grownDuring, memoryStats().memoryBytes);
        await turn();
      }
      for (const b of kept) b.dispose();
    })();
    const histories = await Promise.all(models.map((m, i) => jobs[i].run(m, async () => {
      order.push(i);
      await turn();
    })));
    running = false;
    await churn;
    // They did interleave: some job's events are followed by another's before it finished.
    const switches = order.slice(1).filter((v, k) => v !== order[k]).length;
    expect(switches, `event order ${order.slice(0, 30).join('')}…`).toBeGreaterThan(10);
    expect(grownDuring, 'WASM memory grew while the fits ran').toBeGreaterThan(base.memoryBytes);
    models.forEach((m, i) => {
      expect(histories[i].history, `job ${i} history`).toEqual(alone[i].history);
      expectSameBits(m.getWeights(), alone[i].weights, `job ${i}: together vs alone`);
      expect(stateHash(m), `job ${i}: m, v, step, generator`).toBe(alone[i].hash);
      m.dispose();
    });
    expect(memoryStats().liveBytes).toBe(base.liveBytes);
  });
});
