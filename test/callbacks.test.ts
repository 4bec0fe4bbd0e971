// Validation, earlyStopping and AbortSignal in fit (issue 5). Oracles, most independent first:
//  - hand-worked sequences of monitored values with the epoch at which tf.keras stops;
//  - tfjs-layers 4.22's own EarlyStopping (node_modules/@tensorflow/tfjs-layers/dist/callbacks.js,
//    a port of tf.keras 2.x: wait += 1 on no improvement, stop when wait >= patience, minDelta
//    taken as |minDelta| and subtracted in the monitored direction, 'auto' = max for keys
//    containing 'acc'), driven with the same fabricated logs;
//  - Keras's split rule split_at = floor(N * (1 - validationSplit)), training on x[:split_at]:
//    a run with validationSplit must be bit-identical to a run on that prefix alone, whatever the
//    held-out targets are, and val_loss must equal `evaluate` on the tail with the epoch's weights;
//  - for abort: weight snapshots taken in onBatchEnd of an uninterrupted run with the same seed,
//    and (shuffle off) a second fit on exactly the batches the aborted epoch completed.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adam, ConfigError, dense, earlyStopping, EarlyStopping, lstm, ready, sequential, ShapeError, ValueError,
  type Callback, type Logs, type Sequential,
} from '../src/index.js';
import { expectClose, Prng, randomOneHot } from './helpers/compare.js';
import { randomWeights, weightsHash, useTfjsCpuAndWasm } from './helpers/twin.js';

const D = 1, H = 4, V = 3;
const EXACT = { atol: 0, rtol: 0 };

function model(opts: { preset?: 'keras2' | 'keras3'; metrics?: boolean; lr?: number; seed?: number; weightsSeed?: number } = {}): Sequential {
  const m = sequential({ seed: opts.seed ?? 5, preset: opts.preset ?? 'keras2', layers: [
    lstm({ units: H, inputShape: [null, D], recurrentActivation: 'sigmoid' }),
    dense({ units: V, activation: 'softmax' }),
  ] });
  m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: opts.lr ?? 0.01 }), metrics: opts.metrics === false ? [] : ['accuracy'] });
  m.setWeights(randomWeights(new Prng(opts.weightsSeed ?? 3), D, H, V));
  return m;
}

/** N ragged one-feature sequences (number[][], lengths 1..5) and one-hot targets. */
function data(seed: number, N: number) {
  const rng = new Prng(seed);
  const x = Array.from({ length: N }, () => Array.from({ length: 1 + rng.int(5) }, () => Math.fround(rng.uniform(-1, 1))));
  const { data: y, labels } = randomOneHot(rng, N, V);
  return { x, y: { shape: [N, V], data: y }, labels };
}

const rows = (y: { data: Float32Array }, from: number, to: number) => ({ shape: [to - from, V], data: y.data.slice(from * V, to * V) });

useTfjsCpuAndWasm();

describe('validationSplit and validationData', () => {
  const N = 10;

  it('keras2: keys pinned; val_loss/val_acc equal evaluate() on the last 30% with each epoch\'s weights', async () => {
    const { x, y } = data(1, N);
    const split = 0.3;
    const nTrain = Math.floor(N * (1 - split));
    expect(nTrain).toBe(7); // Keras: split_at = int(len(x) * (1 - validation_split))
    const m = model();
    const snaps: Array<{ weights: Float32Array[]; logs: Logs }> = [];
    const h = await m.fit(x, y, { epochs: 3, batchSize: 3, verbose: 0, validationSplit: split, callbacks: {
      onEpochEnd: (_e, logs) => void snaps.push({ weights: m.getWeights().map((w) => w.data), logs: { ...logs } }),
    } });
    expect(Object.keys(h.history).sort()).toEqual(['acc', 'loss', 'val_acc', 'val_loss']);
    expect(Object.keys(h.history)).toEqual(['loss', 'acc', 'val_loss', 'val_acc']); // Keras's order
    expect(Object.keys(snaps[0].logs)).toEqual(['loss', 'acc', 'val_loss', 'val_acc']);
    expect(h.epoch).toEqual([0, 1, 2]);
    expect(h.params.samples).toBe(nTrain);
    for (const k of Object.keys(h.history)) expect(h.history[k], k).toHaveLength(3);
    const [loss, acc] = m.evaluate(x.slice(nTrain), rows(y, nTrain, N));
    expectClose('last epoch val_loss vs evaluate(tail) with the final weights', [h.history.val_loss[2]], [loss], EXACT);
    expectClose('last epoch val_acc vs evaluate(tail)', [h.history.val_acc[2]], [acc], EXACT);
    const probe = model();
    snaps.forEach((s, e) => {
      probe.setWeights(s.weights);
      const [l, a] = probe.evaluate(x.slice(nTrain), rows(y, nTrain, N));
      expectClose(`epoch ${e} val_loss vs evaluate(tail) with that epoch's weights`, [h.history.val_loss[e], s.logs.val_loss], [l, l], EXACT);
      expectClose(`epoch ${e} val_acc`, [h.history.val_acc[e]], [a], EXACT);
    });
    // The val loss is not the training loss (different samples): the check discriminates.
    expect(Math.abs(h.history.val_loss[2] - h.history.loss[2])).toBeGreaterThan(1e-4);
    probe.dispose();
    m.dispose();
  });

  it('keras3 logs accuracy/val_accuracy; without metrics only loss/val_loss; without validation no val_ keys', async () => {
    const { x, y } = data(2, N);
    const k3 = model({ preset: 'keras3' });
    const h3 = await k3.fit(x, y, { epochs: 1, verbose: 0, validationSplit: 0.2 });
    expect(Object.keys(h3.history)).toEqual(['loss', 'accuracy', 'val_loss', 'val_accuracy']);
    const noMetrics = model({ metrics: false });
    const hn = await noMetrics.fit(x, y, { epochs: 1, verbose: 0, validationData: [x, y] });
    expect(Object.keys(hn.history)).toEqual(['loss', 'val_loss']);
    const plain = model();
    const hp = await plain.fit(x, y, { epochs: 1, verbose: 0 });
    expect(Object.keys(hp.history)).toEqual(['loss', 'acc']);
    [k3, noMetrics, plain].forEach((m) => m.dispose());
  });

  it('held-out samples are never trained on: bit-identical to training on the first floor(N(1-split)) alone, whatever their targets', async () => {
    const { x, y } = data(3, N);
    const split = 0.25; // floor(10 * 0.75) = 7
    const nTrain = 7;
    const garbageA = { shape: [N, V], data: Float32Array.from(y.data) };
    const garbageB = { shape: [N, V], data: Float32Array.from(y.data) };
    for (let i = nTrain * V; i < N * V; i++) {
      garbageA.data[i] = (i % 7) / 6; // not one-hot, rows not summing to 1 (values stay in [0, 1], as cross-entropy requires)
      garbageB.data[i] = (i % 3) / 2;
    }
    const a = model();
    const b = model();
    const prefix = model();
    const opts = { epochs: 3, batchSize: 2, verbose: 0 as const, shuffle: true };
    const ha = await a.fit(x, garbageA, { ...opts, validationSplit: split });
    const hb = await b.fit(x, garbageB, { ...opts, validationSplit: split });
    const hp = await prefix.fit(x.slice(0, nTrain), rows(y, 0, nTrain), opts);
    const ref = prefix.getWeights();
    for (const [name, m] of [['garbage A', a], ['garbage B', b]] as const) {
      m.getWeights().forEach((w, k) => expectClose(`validationSplit (${name}) ${w.name} vs fit on x[:${nTrain}]`, w.data, ref[k].data, EXACT, w.shape));
    }
    expect(ha.history.loss).toEqual(hp.history.loss);
    expect(ha.history.acc).toEqual(hp.history.acc);
    expect(hb.history.loss).toEqual(hp.history.loss);
    expect(ha.history.val_loss).not.toEqual(hb.history.val_loss); // the tail was evaluated, not ignored
    // The weights did move: the comparison is not trivially between untrained models.
    expect(weightsHash(ref)).not.toBe(weightsHash(model().getWeights()));
    [a, b, prefix].forEach((m) => m.dispose());
  });

  it('validationSplit with a padded tensor and lengths splits the lengths with the samples', async () => {
    const T = 5;
    const { x, y } = data(4, N);
    const lengths = x.map((s) => s.length);
    const flat = new Float32Array(N * T).fill(9); // pre-padded with garbage
    x.forEach((s, n) => s.forEach((v, t) => (flat[n * T + T - s.length + t] = v)));
    const xt = { shape: [N, T, 1], data: flat };
    const a = model();
    const b = model();
    const ha = await a.fit(xt, y, { epochs: 2, verbose: 0, lengths, validationSplit: 0.3 });
    const hb = await b.fit(x, y, { epochs: 2, verbose: 0, validationSplit: 0.3 });
    expect(ha.history).toEqual(hb.history);
    const [l] = a.evaluate({ shape: [3, T, 1], data: flat.slice(7 * T) }, rows(y, 7, N), { lengths: lengths.slice(7) });
    expectClose('val_loss vs evaluate(tail tensor, tail lengths)', [ha.history.val_loss[1]], [l], EXACT);
    a.dispose();
    b.dispose();
  });

  it('validationData [x, y] and [x, y, { lengths, padding }]: val_ metrics equal evaluate() on it; training is unaffected', async () => {
    const { x, y } = data(5, N);
    const val = data(6, 6);
    const T = 6;
    const flat = new Float32Array(6 * T).fill(-3); // post-padded with garbage
    val.x.forEach((s, n) => s.forEach((v, t) => (flat[n * T + t] = v)));
    const valTensor = { shape: [6, T, 1], data: flat };
    const lengths = val.x.map((s) => s.length);
    const plain = model();
    await plain.fit(x, y, { epochs: 2, verbose: 0 });
    for (const [name, vd, seq] of [
      ['ragged [x, y]', [val.x, val.y], {}],
      ['padded [x, y, { lengths, padding: post }]', [valTensor, val.y, { lengths, padding: 'post' }], { lengths, padding: 'post' }],
    ] as const) {
      const m = model();
      const h = await m.fit(x, y, { epochs: 2, verbose: 0, validationData: vd as never });
      expect(Object.keys(h.history)).toEqual(['loss', 'acc', 'val_loss', 'val_acc']);
      const [l, a] = m.evaluate(vd[0] as never, val.y, seq as never);
      expectClose(`${name}: last val_loss vs evaluate`, [h.history.val_loss[1], h.history.val_acc[1]], [l, a], EXACT);
      m.getWeights().forEach((w, k) => expectClose(`${name}: ${w.name} vs the same fit without validation`, w.data, plain.getWeights()[k].data, EXACT, w.shape));
      m.dispose();
    }
    plain.dispose();
  });

  it('bad validation options are typed errors and change nothing', async () => {
    const { x, y } = data(7, N);
    const m = model();
    const before = weightsHash(m.getWeights());
    let began = 0;
    const cb: Callback = { onTrainBegin: () => void began++ };
    const bad: Array<[string, object, typeof ValueError | typeof ShapeError | typeof ConfigError, RegExp]> = [
      ['validationSplit 0', { validationSplit: 0 }, ValueError, /validationSplit must be a number in \(0, 1\), received 0/],
      ['validationSplit 1', { validationSplit: 1 }, ValueError, /validationSplit must be a number in \(0, 1\), received 1/],
      ['validationSplit -0.2', { validationSplit: -0.2 }, ValueError, /validationSplit/],
      ['validationSplit NaN', { validationSplit: NaN }, ValueError, /validationSplit/],
      ["validationSplit '0.2'", { validationSplit: '0.2' }, ValueError, /validationSplit/],
      // floor(10 * (1 - 0.95)) = 0: nothing left to train on.
      ['validationSplit leaving no training sample', { validationSplit: 0.95 }, ValueError, /leaves 0 for training and 10 for validation/],
      // 1 - 1e-17 === 1 in float64, so floor(10 * 1) = 10: nothing left to validate on.
      ['validationSplit leaving no validation sample', { validationSplit: 1e-17 }, ValueError, /leaves 10 for training and 0 for validation/],
      ['validationSplit and validationData together', { validationSplit: 0.2, validationData: [x, y] }, ValueError, /not both/],
      ['validationData [x]', { validationData: [x] }, ValueError, /validationData must be \[x, y\]/],
      ['validationData with the wrong number of classes', { validationData: [x, { shape: [N, 2], data: new Float32Array(2 * N) }] }, ShapeError, /validationData.*2 classes/],
      ['validationData with a misspelt option', { validationData: [x, y, { length: [1] }] }, ConfigError, /unknown option 'length'/],
    ];
    for (const [what, opts, err, msg] of bad) {
      const p = m.fit(x, y, { epochs: 1, verbose: 0, callbacks: cb, ...opts } as never);
      await expect(p, what).rejects.toThrow(err);
      await expect(m.fit(x, y, { epochs: 1, verbose: 0, callbacks: cb, ...opts } as never), what).rejects.toThrow(msg);
      expect(weightsHash(m.getWeights()), `${what} changed the weights`).toBe(before);
    }
    expect(began).toBe(0);
    m.dispose();
  });
});

describe('earlyStopping', () => {
  /** Drives a callback over fabricated logs as fit would; returns the epochs run and restores seen. */
  async function drive(cb: { onTrainBegin?: (l: Logs) => unknown; onEpochEnd?: (e: number, l: Logs) => unknown; setModel?: (m: never) => void },
    values: number[], monitor: string) {
    const restored: number[][] = [];
    let current = -1;
    const fake = {
      stopTraining: false,
      // Epoch e's "weights": one tensor holding e, so a restore says which epoch it put back.
      getWeights: () => [{ data: Float32Array.of(current), shape: [1], name: 'w' }],
      writeParams: (ws: Float32Array[]) => void restored.push(ws.map((w) => w[0])),
    };
    // tfjs's Callback.setModel insists on a LayersModel; its EarlyStopping only touches
    // model.stopTraining, so the fake is attached directly there.
    if (cb instanceof tf.Callback) (cb as unknown as { model: unknown }).model = fake;
    else cb.setModel?.(fake as never);
    await cb.onTrainBegin?.({});
    let ran = 0;
    for (let e = 0; e < values.length; e++) {
      current = e;
      ran++;
      await cb.onEpochEnd?.(e, { loss: 0.5, [monitor]: values[e] });
      if (fake.stopTraining) break;
    }
    return { ran, stopped: fake.stopTraining, restored };
  }

  // [args, monitored values, epochs run (stop after epoch ran-1) or null (never stops)], hand-worked.
  const HAND: Array<[string, { monitor?: string; patience?: number; minDelta?: number; mode?: 'auto' | 'min' | 'max' }, number[], number | null]> = [
    ['patience 0 stops at the first non-improvement', {}, [1.0, 0.9, 0.95, 0.8], 3],
    ['an equal value is no improvement', {}, [0.5, 0.5, 0.4], 2],
    ['patience 2: two epochs without improvement', { patience: 2 }, [1.0, 0.9, 0.95, 0.91, 0.8, 0.7], 4],
    ['patience 2: an improvement resets wait', { patience: 2 }, [1.0, 0.9, 0.95, 0.85, 0.86, 0.87, 0.6], 6],
    ['minDelta 0.05: 1.0 -> 0.96 is no improvement', { minDelta: 0.05, patience: 1 }, [1.0, 0.96, 0.9], 2],
    ['minDelta -0.05 is taken as |minDelta|', { minDelta: -0.05, patience: 1 }, [1.0, 0.96, 0.9], 2],
    ['minDelta 0.05: 1.0 -> 0.94 improves', { minDelta: 0.05, patience: 0 }, [1.0, 0.94, 0.88, 0.87], 4],
    ['strictly decreasing never stops', { patience: 0 }, [5, 4, 3, 2, 1], null],
    ["'auto' on val_acc is max", { monitor: 'val_acc', patience: 0 }, [0.5, 0.6, 0.6, 0.7], 3],
    ["'auto' on val_accuracy is max", { monitor: 'val_accuracy', patience: 2 }, [0.5, 0.4, 0.6, 0.55, 0.6, 0.7], 5],
    ['patience 1 also stops at the first non-improvement (tf.keras; Keras 2.0 waited one more)', { patience: 1 }, [1.0, 0.9, 0.95, 0.8], 3],
    ["'auto' on loss is min", { monitor: 'loss', patience: 0 }, [0.5, 0.6], 2],
    ["mode 'max' on loss", { monitor: 'loss', mode: 'max', patience: 0 }, [1, 2, 1.5, 3], 3],
    ["mode 'min' on val_acc", { monitor: 'val_acc', mode: 'min', patience: 0 }, [0.5, 0.4, 0.45], 3],
    ['NaN is never an improvement', { patience: 2 }, [1, NaN, 0.5, NaN, NaN, 0.1], 5],
  ];

  for (const [what, args, values, ran] of HAND) {
    it(`hand-worked: ${what}`, async () => {
      const monitor = args.monitor ?? 'val_loss';
      const ours = await drive(earlyStopping(args), values, monitor);
      expect(ours.stopped ? ours.ran : null).toBe(ran);
      // tfjs's port of tf.keras agrees on the same case.
      const theirs = await drive(tf.callbacks.earlyStopping(args) as never, values, monitor);
      expect(theirs.stopped ? theirs.ran : null).toBe(ran);
    });
  }

  it('agrees with tfjs-layers EarlyStopping (tf.keras 2.x) on 400 random sequences with ties, patience 0..4, minDelta, every mode', async () => {
    const rng = new Prng(2024);
    const monitors = ['val_loss', 'val_acc', 'loss', 'val_accuracy'];
    let stops = 0;
    for (let k = 0; k < 400; k++) {
      const args = {
        monitor: monitors[rng.int(4)],
        patience: rng.int(5),
        minDelta: [0, 0.05, 0.1, -0.1][rng.int(4)],
        mode: (['auto', 'min', 'max'] as const)[rng.int(3)],
      };
      const values = Array.from({ length: 12 }, () => rng.int(10) / 10); // coarse: many ties
      const ours = await drive(earlyStopping(args), values, args.monitor);
      const ref = tf.callbacks.earlyStopping(args);
      const theirs = await drive(ref as never, values, args.monitor);
      const tag = `case ${k} ${JSON.stringify(args)} values ${values.join(',')}`;
      expect([ours.stopped, ours.ran], tag).toEqual([theirs.stopped, theirs.ran]);
      const es = earlyStopping(args);
      await drive(es, values, args.monitor);
      expect(es.stoppedEpoch, tag).toBe((ref as unknown as { stoppedEpoch: number }).stoppedEpoch);
      if (ours.stopped) stops++;
    }
    expect(stops).toBeGreaterThan(100); // the sample covers both outcomes
    expect(stops).toBeLessThan(400);
  });

  it("restoreBestWeights writes back the last improving epoch's weights when it stops, and only then", async () => {
    // val_loss: best at epoch 2 (0.5); epochs 3, 4 do not improve; patience 2 stops after epoch 4.
    const withRestore = await drive(earlyStopping({ patience: 2, restoreBestWeights: true }), [0.9, 0.7, 0.5, 0.6, 0.5, 0.1], 'val_loss');
    expect(withRestore.ran).toBe(5);
    expect(withRestore.restored).toEqual([[2]]);
    // mode max with minDelta: 0.62 is not > 0.6 + 0.05, so the best stays epoch 1.
    const maxMode = await drive(earlyStopping({ monitor: 'val_acc', minDelta: 0.05, patience: 1, restoreBestWeights: true }), [0.5, 0.6, 0.62], 'val_acc');
    expect(maxMode.ran).toBe(3);
    expect(maxMode.restored).toEqual([[1]]);
    // Never stops: nothing is restored (Keras 2 / tf.keras 2.x behaviour).
    expect((await drive(earlyStopping({ patience: 1, restoreBestWeights: true }), [3, 2, 1], 'val_loss')).restored).toEqual([]);
    // Without restoreBestWeights nothing is written.
    expect((await drive(earlyStopping({ patience: 0 }), [1, 2], 'val_loss')).restored).toEqual([]);
  });

  it('a monitor missing from the logs is a ConfigError naming it and the available keys; fit rejects and the model stays usable', async () => {
    const es = earlyStopping({ monitor: 'val_loss' });
    es.setModel({ stopTraining: false, getWeights: () => [], writeParams: () => {} });
    es.onTrainBegin();
    expect(() => es.onEpochEnd(0, { loss: 1, acc: 0.5 })).toThrow(ConfigError);
    expect(() => es.onEpochEnd(0, { loss: 1, acc: 0.5 })).toThrow(/monitor 'val_loss' is not in the logs \(available: loss, acc\)/);
    const { x, y } = data(8, 8);
    const m = model();
    await expect(m.fit(x, y, { epochs: 3, verbose: 0, callbacks: earlyStopping() })).rejects.toThrow(/monitor 'val_loss' is not in the logs/);
    expect(m.predict(x).data.every(Number.isFinite)).toBe(true);
    const h = await m.fit(x, y, { epochs: 2, verbose: 0, callbacks: earlyStopping({ monitor: 'loss', patience: 5 }) });
    expect(h.epoch).toEqual([0, 1]);
    m.dispose();
  });

  it('rejects bad options with typed errors', () => {
    expect(() => earlyStopping({ patience: -1 })).toThrow(ValueError);
    expect(() => earlyStopping({ patience: 1.5 })).toThrow(ValueError);
    expect(() => earlyStopping({ minDelta: NaN })).toThrow(ValueError);
    expect(() => earlyStopping({ mode: 'up' as never })).toThrow(ConfigError);
    expect(() => earlyStopping({ monitor: '' })).toThrow(ConfigError);
    expect(() => earlyStopping({ monitr: 'loss' } as never)).toThrow(/unknown option 'monitr'/);
    expect(() => earlyStopping({ restoreBestWeights: 1 as never })).toThrow(ConfigError);
  });

  it('in a real fit where val_loss rises: stops as the rule says and restores the best epoch\'s weights (hash)', async () => {
    const { x, y, labels } = data(9, 12);
    // Validation targets are shifted labels: as training fits y, val_loss on them goes up.
    const yWrong = { shape: [12, V], data: new Float32Array(12 * V) };
    labels.forEach((k, n) => (yWrong.data[n * V + ((k + 1) % V)] = 1));
    for (const restoreBestWeights of [true, false]) {
      const m = model({ lr: 0.05 });
      const snaps: string[] = [];
      // Placed before earlyStopping: sees each epoch's weights before any restore.
      const recorder: Callback = { onEpochEnd: () => void snaps.push(weightsHash(m.getWeights())) };
      const es = earlyStopping({ patience: 2, restoreBestWeights });
      const h = await m.fit(x, y, { epochs: 40, batchSize: 4, verbose: 0, validationData: [x, yWrong], callbacks: [recorder, es] });
      const vl = h.history.val_loss;
      // Expected from the recorded values with the tf.keras rule.
      let best = Infinity, bestEpoch = -1, wait = 0, stopAt = -1;
      for (let e = 0; e < vl.length; e++) {
        if (vl[e] < best) { best = vl[e]; bestEpoch = e; wait = 0; continue; }
        if (++wait >= 2) { stopAt = e; break; }
      }
      expect(stopAt, `val_loss ${vl.join(', ')}`).toBe(vl.length - 1);
      expect(vl.length).toBeLessThan(40);
      expect(es.stoppedEpoch).toBe(stopAt);
      expect(bestEpoch).toBeLessThan(stopAt);
      expect(snaps[bestEpoch]).not.toBe(snaps[stopAt]);
      expect(weightsHash(m.getWeights()), `restoreBestWeights ${restoreBestWeights}`).toBe(snaps[restoreBestWeights ? bestEpoch : stopAt]);
      if (restoreBestWeights) {
        expectClose('val_loss of the restored weights vs the best epoch\'s log', [m.evaluate(x, yWrong)[0]], [best], EXACT);
      }
      m.dispose();
    }
  });

  it('a callback setting model.stopTraining in onEpochEnd ends fit after that epoch; the next fit starts afresh', async () => {
    const { x, y } = data(10, 8);
    const m = model();
    const h = await m.fit(x, y, { epochs: 5, verbose: 0, callbacks: { onEpochEnd: (e) => { if (e === 1) m.stopTraining = true; } } });
    expect(h.epoch).toEqual([0, 1]);
    const h2 = await m.fit(x, y, { epochs: 3, verbose: 0 });
    expect(h2.epoch).toEqual([0, 1, 2]);
    m.dispose();
  });

  it('EarlyStopping is reusable: onTrainBegin resets its state', async () => {
    const es = new EarlyStopping({ patience: 0 });
    expect((await drive(es, [1, 2], 'val_loss')).ran).toBe(2);
    expect(es.stoppedEpoch).toBe(1);
    expect((await drive(es, [3, 2, 1], 'val_loss')).stopped).toBe(false);
    expect(es.stoppedEpoch).toBe(0);
  });
});

describe('AbortSignal', () => {
  const N = 10, batchSize = 2; // 5 batches per epoch

  /** Aborts after batch `atBatch` (0-based) of epoch `atEpoch`; records what the hooks saw. */
  async function abortedRun(shuffle: boolean, atEpoch: number, atBatch: number) {
    const { x, y } = data(11, N);
    const m = model();
    const ctl = new AbortController();
    let epoch = -1;
    const seen = { batches: 0, epochEnds: [] as number[], trainEnd: 0 };
    const h = await m.fit(x, y, { epochs: 4, batchSize, shuffle, verbose: 0, signal: ctl.signal, callbacks: {
      onEpochBegin: (e) => void (epoch = e),
      onBatchEnd: (b) => { seen.batches++; if (epoch === atEpoch && b === atBatch) ctl.abort(); },
      onEpochEnd: (e) => void seen.epochEnds.push(e),
      onTrainEnd: () => void seen.trainEnd++,
    } });
    return { m, h, seen, x, y };
  }

  it('abort in the middle of epoch 2: fit resolves with 1 epoch; weights equal a same-seed run snapshotted after the same 8 batches', async () => {
    const { m, h, seen, x, y } = await abortedRun(true, 1, 2);
    expect(h.epoch).toEqual([0]);
    for (const k of Object.keys(h.history)) expect(h.history[k], k).toHaveLength(1);
    expect(seen).toEqual({ batches: 8, epochEnds: [0], trainEnd: 1 });
    // Reference: the same seed and data, not aborted; weights snapshotted after every batch.
    const ref = model();
    const snaps: string[] = [];
    const full = await ref.fit(x, y, { epochs: 2, batchSize, verbose: 0, callbacks: { onBatchEnd: () => void snaps.push(weightsHash(ref.getWeights())) } });
    expect(snaps).toHaveLength(10);
    expect(new Set(snaps).size).toBe(10); // every batch moved the weights
    expect(weightsHash(m.getWeights())).toBe(snaps[7]);
    expect(h.history.loss[0]).toBe(full.history.loss[0]);
    // The model is consistent and free: predict works, and training can continue.
    expect(m.predict(x).data.every(Number.isFinite)).toBe(true);
    await m.fit(x, y, { epochs: 1, batchSize, verbose: 0 });
    m.dispose();
    ref.dispose();
  });

  it('shuffle off: the aborted run equals one epoch on all samples plus a fit on exactly the 3 finished batches of epoch 2', async () => {
    const { m, x, y } = await abortedRun(false, 1, 2);
    const ref = model();
    await ref.fit(x, y, { epochs: 1, batchSize, shuffle: false, verbose: 0 });
    await ref.fit(x.slice(0, 6), rows(y, 0, 6), { epochs: 1, batchSize, shuffle: false, verbose: 0 }); // Adam's step count carries on
    ref.getWeights().forEach((w, k) => expectClose(`aborted run ${w.name} vs 8 steps by two fits`, m.getWeights()[k].data, w.data, EXACT, w.shape));
    m.dispose();
    ref.dispose();
  });

  it('an abort during the last batch of epoch 2 keeps that complete epoch; an already-aborted signal trains nothing', async () => {
    const { m, h, seen } = await abortedRun(true, 1, 4);
    expect(h.epoch).toEqual([0, 1]);
    expect(seen).toEqual({ batches: 10, epochEnds: [0, 1], trainEnd: 1 });
    m.dispose();
    const { x, y } = data(12, N);
    const m2 = model();
    const before = weightsHash(m2.getWeights());
    const ctl = new AbortController();
    ctl.abort();
    const h2 = await m2.fit(x, y, { epochs: 3, verbose: 0, signal: ctl.signal });
    expect(h2.epoch).toEqual([]);
    expect(h2.history).toEqual({});
    expect(weightsHash(m2.getWeights())).toBe(before);
    m2.dispose();
  });

  it('abort with validation: the partial epoch logs nothing, not even val_loss', async () => {
    const { x, y } = data(13, N);
    const m = model();
    const ctl = new AbortController();
    let epoch = -1;
    const h = await m.fit(x, y, { epochs: 3, batchSize: 2, verbose: 0, signal: ctl.signal, validationSplit: 0.2, callbacks: {
      onEpochBegin: (e) => void (epoch = e),
      onBatchEnd: (b) => { if (epoch === 1 && b === 1) ctl.abort(); },
    } });
    expect(h.epoch).toEqual([0]);
    expect(Object.keys(h.history)).toEqual(['loss', 'acc', 'val_loss', 'val_acc']);
    for (const k of Object.keys(h.history)) expect(h.history[k], k).toHaveLength(1);
    m.dispose();
  });

  it('rejects a signal that is not an AbortSignal', async () => {
    const { x, y } = data(14, 4);
    const m = model();
    await expect(m.fit(x, y, { verbose: 0, signal: {} as never })).rejects.toThrow(ValueError);
    m.dispose();
  });
});

describe('stopTraining from onBatchEnd (tf.keras and tfjs stop after that batch)', () => {
  it('ends the epoch after the batch that set it, and still calls onEpochEnd', async () => {
    await ready();
    const xs = Array.from({ length: 10 }, (_, i) => [[(i % 5) / 5], [((i + 1) % 5) / 5]]);
    const ys = Array.from({ length: 10 }, (_, i) => Array.from({ length: 5 }, (_, j) => (j === (i + 2) % 5 ? 1 : 0)));
    const m = sequential({ seed: 1, layers: [lstm({ units: 3, inputShape: [2, 1] }), dense({ units: 5, activation: 'softmax' })] });
    m.compile({ loss: 'categoricalCrossentropy', optimizer: adam(), metrics: ['accuracy'] });
    const batches: number[] = [];
    const ends: number[] = [];
    const h = await m.fit(xs, ys, {
      epochs: 3, batchSize: 2, shuffle: false, verbose: 0,
      callbacks: { onBatchEnd: (b) => { batches.push(b); if (b === 1) m.stopTraining = true; }, onEpochEnd: (e) => void ends.push(e) },
    });
    expect(batches).toEqual([0, 1]);
    expect(ends).toEqual([0]);
    expect(h.epoch).toEqual([0]);
    // Same weights as training on just the first 4 samples for one epoch.
    const ref = sequential({ seed: 1, layers: [lstm({ units: 3, inputShape: [2, 1] }), dense({ units: 5, activation: 'softmax' })] });
    ref.compile({ loss: 'categoricalCrossentropy', optimizer: adam(), metrics: ['accuracy'] });
    await ref.fit(xs.slice(0, 4), ys.slice(0, 4), { epochs: 1, batchSize: 2, shuffle: false, verbose: 0 });
    expect(m.getWeights().map((w) => Array.from(w.data))).toEqual(ref.getWeights().map((w) => Array.from(w.data)));
  });
});
