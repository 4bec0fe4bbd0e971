// Divergence (issue 7): when the loss or the weights become non-finite, fit stops with a
// ValueError that names the epoch and the batch (Keras's terminateOnNaN, but as a rejection), the
// model keeps its last state whose loss over the training set is finite, predict stays finite, and
// training can go on after compile() with a sane learning rate.
// Oracles: finiteness of every region; for the kept state, a twin run stopped by an AbortSignal
// right after the batch the guard should fall back to; for a later epoch, the states recorded by
// a per-batch twin (evaluate() in onBatchEnd) and the rule fit.ts documents.
import { describe, it, expect, beforeAll } from 'vitest';
import { ready, adam, ValueError, type Sequential } from '../../src/index.js';
import { OP_STEP, OP_LR } from '../../src/generated/abi.js';
import {
  memoryStats, refused, stateHash, trainedHash, nonFinite, task, smallModel, expectSameBits, probabilityRowsProblem,
} from '../helpers/robust.js';

beforeAll(async () => {
  await ready();
});

// 16 samples of 5 steps, 26 classes; batchSize 4 gives 4 batches per epoch.
const { x, y } = task(16, 5, 26);
const fitArgs = { epochs: 3, batchSize: 4, verbose: 0 as const };
const DIVERGED = /^fit\(\): (the loss became (NaN|Infinity|-Infinity)|the weights became non-finite|the weights or the optimizer state became non-finite) in epoch (\d+), batch (\d+) \(terminateOnNaN\)/;

function optimizerState(m: Sequential): { m: Float32Array; v: Float32Array; step: number } {
  const a = m.arena!;
  return { m: a.region('m').slice(), v: a.region('v').slice(), step: a.opt()[OP_STEP] };
}

async function expectUsableAfterDivergence(m: Sequential, label: string): Promise<void> {
  expect(nonFinite(m), `${label}: a non-finite value kept`).toBeNull();
  expect(m.busy, `${label}: the model is idle again`).toBeNull();
  expect(probabilityRowsProblem(m.predict(x)), `${label}: predict`).toBeNull();
  const [loss, acc] = m.evaluate(x, y);
  expect(Number.isFinite(loss) && Number.isFinite(acc), `${label}: evaluate gives [${loss}, ${acc}]`).toBe(true);
  // Training goes on with a sane learning rate.
  m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 1e-3 }), metrics: ['accuracy'] });
  const h = await m.fit(x, y, { epochs: 5, batchSize: 4, verbose: 0 });
  expect(h.history.loss.every(Number.isFinite), `${label}: losses after recompiling: ${h.history.loss}`).toBe(true);
  expect(nonFinite(m), `${label}: after recompiling and training`).toBeNull();
}

describe('a huge learning rate', () => {
  for (const preset of ['keras2', 'keras3'] as const) {
    it(`${preset}, learningRate 1e38: fit rejects naming epoch 1, batch 2; the model stays finite and trains on`, async () => {
      const m = smallModel({ seed: 3, H: 16, T: 5, V: 26, lr: 1e38, preset });
      // The batched engine's scratch also grows with the chunk (fit: batchSize 4 samples; a new model
      // holds 1). Warm it without training: evaluate runs chunks of all 16 samples, more than fit's
      // 4, so after it only fit's data could remain.
      m.evaluate(x, y);
      const live = memoryStats().liveBytes;
      const e = await refused(() => m.fit(x, y, fitArgs), ValueError, [DIVERGED, 'epoch 1, batch 2', 'keeps its last weights']);
      expect(e.message).toMatch(/training stopped/);
      expect(memoryStats().liveBytes, 'the training data is freed').toBe(live);
      await expectUsableAfterDivergence(m, `${preset} 1e38`);
      m.dispose();
    });
  }

  it('keras3, learningRate 1e20: the state after batch 1 has a finite loss but no finite gradient, so the epoch start is kept, generator included', async () => {
    const m = smallModel({ seed: 3, H: 16, T: 5, V: 26, lr: 1e20, preset: 'keras3' });
    const fresh = smallModel({ seed: 3, H: 16, T: 5, V: 26, lr: 1e20, preset: 'keras3' });
    await refused(() => m.fit(x, y, fitArgs), ValueError, ['the weights or the optimizer state became non-finite in epoch 1, batch 2']);
    // The twin stopped after batch 1 holds the state the old rule kept: finite loss, non-finite gradient.
    const twin = smallModel({ seed: 3, H: 16, T: 5, V: 26, lr: 1e20, preset: 'keras3' });
    const stop = new AbortController();
    await twin.fit(x, y, { ...fitArgs, signal: stop.signal, callbacks: { onBatchEnd: (b) => void (b === 0 && stop.abort()) } });
    expect(Number.isFinite(twin.evaluate(x, y)[0])).toBe(true);
    expect(twin.computeGradients(x, y).grads.every((w) => w.data.every(Number.isFinite)), 'gradient after batch 1').toBe(false);
    expect(stateHash(m), 'kept: the state before the fit, generator and order included').toBe(stateHash(fresh));
    expect(nonFinite(m)).toBeNull();
    expect(probabilityRowsProblem(m.predict(x))).toBeNull();
    m.dispose();
    fresh.dispose();
    twin.dispose();
  });

  it('keras2, learningRate 1e38: no state of epoch 1 has a finite loss, so the epoch-start state is kept (the initial weights)', async () => {
    const m = smallModel({ seed: 3, H: 16, T: 5, V: 26, lr: 1e38 });
    const fresh = smallModel({ seed: 3, H: 16, T: 5, V: 26, lr: 1e38 });
    await refused(() => m.fit(x, y, fitArgs), ValueError, ['epoch 1, batch 2']);
    expectSameBits(m.getWeights(), fresh.getWeights(), 'kept weights vs the initial weights');
    expect(optimizerState(m).step).toBe(0);
    m.dispose();
    fresh.dispose();
  });
});

describe('divergence in a later epoch', () => {
  // A schedule that jumps the learning rate after epoch 2 (written into the model's lr slot, as a
  // learning-rate schedule callback would): epochs 1-2 train normally, epoch 3 blows up.
  const jump = (m: Sequential, lr: number) => ({
    onEpochEnd: (epoch: number) => {
      if (epoch === 1) m.arena!.setF32('opt', OP_LR, lr);
    },
  });

  // keras2 at 1e38: no state of epoch 3 has a finite loss; keras3 at 1e20: the state after batch 1
  // of epoch 3 has a finite loss but not a finite gradient. Both keep the epoch start.
  for (const [preset, lr, keptAfter] of [['keras2', 1e38, 0], ['keras3', 1e20, 0]] as const) {
    it(`${preset}, lr jumps to ${lr} in epoch 3: named, the chunked and per-batch loops agree, and the documented state is kept (after batch ${keptAfter})`, async () => {
      const make = () => smallModel({ seed: 5, H: 16, T: 5, V: 26, lr: 0.01, preset });
      // The per-batch twin records the state after every batch and its loss over the training set.
      const rec = make();
      const states: Array<{ epoch: number; batch: number; hash: string; loss: number; weights: Float32Array[] }> = [];
      let epochNow = 0;
      let epochStart = '';
      const recCallbacks = {
        onEpochBegin: (epoch: number) => {
          epochNow = epoch;
          epochStart = trainedHash(rec);
        },
        onBatchEnd: (batch: number) => {
          states.push({ epoch: epochNow, batch, hash: trainedHash(rec), loss: rec.evaluate(x, y)[0], weights: rec.getWeights().map((w) => w.data) });
        },
        ...jump(rec, lr),
      };
      const e1 = await refused(() => rec.fit(x, y, { epochs: 5, batchSize: 4, verbose: 0, callbacks: recCallbacks }), ValueError, [DIVERGED]);
      const [, , , epochText, batchText] = DIVERGED.exec(e1.message)!;
      expect(Number(epochText), e1.message).toBe(3);

      // The chunked loop (no per-batch callback): same message, same kept state.
      const m = make();
      const e2 = await refused(() => m.fit(x, y, { epochs: 5, batchSize: 4, verbose: 0, callbacks: jump(m, lr) }), ValueError, [DIVERGED]);
      expect(e2.message).toBe(e1.message);
      expect(stateHash(m), 'chunked vs per-batch loop: kept state, generator and sample order').toBe(stateHash(rec));

      // fit.ts's rule: the latest state of that epoch before the bad batch whose loss AND gradient
      // over the training set are finite (within 8 batches), else the state at the start of the
      // epoch (weights, m, v and step, and then the generator and order from before its shuffle).
      const bad = Number(batchText) - 1; // 0-based
      const probe = make();
      const gradFinite = (w: Float32Array[]) => {
        probe.setWeights(w);
        return probe.computeGradients(x, y).grads.every((g) => g.data.every(Number.isFinite));
      };
      const candidates = states.filter((s) => s.epoch === 2 && s.batch < bad && s.batch >= bad - 8 && Number.isFinite(s.loss) && gradFinite(s.weights)).slice(-8);
      probe.dispose();
      const expected = candidates.length ? candidates[candidates.length - 1].hash : epochStart;
      expect(candidates.length ? candidates[candidates.length - 1].batch + 1 : 0, 'the batch whose state the rule keeps').toBe(keptAfter);
      expect(trainedHash(m), `kept state; finite candidates: ${candidates.map((c) => c.batch + 1).join(', ') || 'none (epoch start)'}`).toBe(expected);
      expect(nonFinite(m)).toBeNull();
      expect(probabilityRowsProblem(m.predict(x))).toBeNull();
      rec.dispose();
      m.dispose();
    });
  }
});
