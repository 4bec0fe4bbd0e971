// The demo page: the Keras listing trained in a Web Worker through lstmWasm.trainInWorker, a live
// SVG chart, and next-letter predictions on this page from the returned weights. A plain script
// over the global that ../dist/lstm-wasm.js defines; no build step.
'use strict';
(() => {
  const L = window.lstmWasm;
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const V = ALPHABET.length;
  const SAMPLES = 1000; // the listing's numInputs
  const T = 5; // the listing's max_len: sequences of 1..5 letters, left-padded to 5
  const $ = (id) => document.getElementById(id);
  const SVG = 'http://www.w3.org/2000/svg';

  let controller = null; // AbortController of the run in progress
  let predictor = null; // { model } built from the last run's weights

  // ---- status and controls -----------------------------------------------------------------

  function setState(state, text) {
    document.body.dataset.state = state;
    $('status').dataset.state = state;
    $('status').textContent = text;
    const busy = state === 'training';
    $('train').disabled = busy;
    $('stop').disabled = !busy;
    for (const el of $('controls').querySelectorAll('input, select')) el.disabled = busy;
  }

  function intField(id, lo, hi) {
    const el = $(id);
    const v = Number(el.value);
    if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`${el.parentElement.firstChild.textContent.trim()} must be an integer in [${lo}, ${hi}]`);
    return v;
  }

  function readConfig() {
    return {
      epochs: intField('epochs', 1, 5000),
      units: intField('units', 1, 256),
      batchSize: intField('batch-size', 1, SAMPLES),
      seed: intField('seed', 0, 4294967295),
      preset: $('preset').value,
    };
  }

  const fmt = (v, d = 4) => (Number.isFinite(v) ? v.toFixed(d) : '–');
  const accOf = (logs) => logs.acc ?? logs.accuracy;

  // ---- the chart: loss on the left axis, accuracy (0..1) on the right --------------------------

  const chart = {
    W: 640, H: 300, left: 46, right: 40, top: 16, bottom: 34,
    epochs: 1, logs: [], pending: false,

    reset(epochs) {
      this.epochs = epochs;
      this.logs = [];
      this.draw();
    },
    push(logs) {
      this.logs.push(logs);
      if (!this.pending) {
        this.pending = true;
        requestAnimationFrame(() => {
          this.pending = false;
          this.draw();
        });
      }
    },
    el(tag, attrs, text) {
      const e = document.createElementNS(SVG, tag);
      for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
      if (text !== undefined) e.textContent = text;
      return e;
    },
    draw() {
      const { W, H, left, right, top, bottom } = this;
      const svg = $('chart');
      svg.replaceChildren();
      const pw = W - left - right;
      const ph = H - top - bottom;
      const losses = this.logs.map((l) => l.loss);
      const top1 = Math.max(0, ...losses.filter(Number.isFinite));
      const maxLoss = top1 <= 1 ? 1 : top1 <= 2 ? 2 : Math.ceil(top1 / 4) * 4; // quarters read as round numbers
      const x = (i) => left + (this.epochs <= 1 ? pw / 2 : (i * pw) / (this.epochs - 1));
      const yLoss = (v) => top + ph - (Math.min(v, maxLoss) / maxLoss) * ph;
      const yAcc = (v) => top + ph - v * ph;
      for (let k = 0; k <= 4; k++) {
        const y = top + (k * ph) / 4;
        svg.append(this.el('line', { class: 'grid', x1: left, x2: W - right, y1: y, y2: y }));
        svg.append(this.el('text', { class: 'axis', x: left - 6, y: y + 4, 'text-anchor': 'end' }, ((maxLoss * (4 - k)) / 4).toFixed(2)));
        svg.append(this.el('text', { class: 'axis', x: W - right + 6, y: y + 4 }, `${(100 - k * 25).toFixed(0)}%`));
      }
      const ticks = Math.min(this.epochs, 5);
      for (let k = 0; k < ticks; k++) {
        const e = ticks === 1 ? 0 : Math.round((k * (this.epochs - 1)) / (ticks - 1));
        svg.append(this.el('text', { class: 'axis', x: x(e), y: H - bottom + 16, 'text-anchor': 'middle' }, String(e + 1)));
      }
      svg.append(this.el('text', { class: 'axis', x: left + pw / 2, y: H - 4, 'text-anchor': 'middle' }, 'epoch'));
      const line = (cls, ys) =>
        this.el('polyline', { class: cls, 'data-points': ys.length, points: ys.map((y, i) => `${x(i).toFixed(1)},${y.toFixed(1)}`).join(' ') });
      svg.append(line('loss', losses.map(yLoss)));
      svg.append(line('acc', this.logs.map((l) => yAcc(accOf(l) ?? 0))));
      const legend = this.el('g', { class: 'legend' });
      legend.append(this.el('rect', { x: left + 10, y: top + 4, width: 14, height: 3, fill: 'var(--loss)' }));
      legend.append(this.el('text', { x: left + 30, y: top + 9 }, 'loss (left)'));
      legend.append(this.el('rect', { x: left + 110, y: top + 4, width: 14, height: 3, fill: 'var(--acc)' }));
      legend.append(this.el('text', { x: left + 130, y: top + 9 }, 'accuracy (right)'));
      svg.append(legend);
    },
  };

  // ---- page frames per second: shows the main thread stays free while the worker trains -----

  let frames = 0;
  let since = performance.now();
  (function tick(t) {
    frames++;
    if (t - since >= 1000) {
      $('stat-fps').textContent = String(Math.round((frames * 1000) / (t - since)));
      frames = 0;
      since = t;
    }
    requestAnimationFrame(tick);
  })(since);

  // ---- data, training, prediction ------------------------------------------------------------

  // The listing's data and its one stream: numpy's MT19937 seeded with `seed` draws the data, then
  // (in the worker, from the transferred state) initialises the model and shuffles every epoch.
  function listing(seed) {
    const rng = L.createRng(seed, 'numpy');
    const { dataX, dataY } = L.alphabetDataset({ numInputs: SAMPLES, maxLen: T, rng });
    const x = L.divide(L.reshape(L.padSequences(dataX, { maxLen: T, dtype: 'float32' }), [SAMPLES, T, 1]), V);
    const y = L.toCategorical(dataY, V);
    return { rng, dataX, dataY, x, y };
  }

  const layersOf = (units) => [L.lstm({ units, inputShape: [T, 1] }), L.dense({ units: V, activation: 'softmax' })];

  async function train() {
    let cfg;
    try {
      cfg = readConfig();
    } catch (e) {
      setState('error', e.message);
      return;
    }
    const data = listing(cfg.seed);
    $('samples-example').textContent = data.dataX
      .slice(0, 3)
      .map((s, i) => `${s.map((k) => ALPHABET[k]).join('')} → ${ALPHABET[data.dataY[i]]}`)
      .join(', ');
    chart.reset(cfg.epochs);
    for (const id of ['stat-epoch', 'stat-loss', 'stat-acc', 'stat-time', 'stat-rate']) $(id).textContent = '–';
    controller = new AbortController();
    setState('training', `Training in a Web Worker: ${cfg.epochs} epochs × ${SAMPLES} samples, batch size ${cfg.batchSize}…`);
    const rates = [];
    try {
      const result = await L.trainInWorker({
        model: { rng: data.rng, preset: cfg.preset, layers: layersOf(cfg.units) },
        compile: { loss: 'categoricalCrossentropy', optimizer: L.adam(), metrics: ['accuracy'] },
        x: data.x,
        y: data.y,
        fit: { epochs: cfg.epochs, batchSize: cfg.batchSize, shuffle: true },
        signal: controller.signal,
        onEpoch(epoch, logs, timing) {
          chart.push(logs);
          rates.push(timing.samplesPerSecond);
          $('stat-epoch').textContent = `${epoch + 1}/${cfg.epochs}`;
          $('stat-loss').textContent = fmt(logs.loss);
          $('stat-acc').textContent = `${fmt(accOf(logs) * 100, 1)}%`;
          $('stat-time').textContent = `${(timing.seconds * 1000).toFixed(1)} ms`;
          $('stat-rate').textContent = Math.round(timing.samplesPerSecond).toLocaleString('en-US');
        },
      });
      await L.ready();
      predictor?.model.dispose();
      const model = L.sequential({ preset: cfg.preset, layers: layersOf(cfg.units) });
      model.setWeights(result.weights);
      model.compile({ loss: 'categoricalCrossentropy', optimizer: L.adam(), metrics: ['accuracy'] });
      const [loss, acc] = model.evaluate(data.x, data.y);
      predictor = { model };
      const n = result.history.epoch.length;
      const median = rates.length ? [...rates].sort((a, b) => a - b)[rates.length >> 1] : NaN;
      const summary = `${n} epochs in ${result.seconds.toFixed(2)} s (median ${Math.round(median).toLocaleString('en-US')} samples/s). ` +
        `Evaluate: loss ${fmt(loss)}, accuracy ${fmt(acc * 100, 2)}%.`;
      setState(result.aborted ? 'stopped' : 'done', (result.aborted ? 'Stopped. ' : 'Done. ') + summary);
      $('query').disabled = false;
      predict();
    } catch (e) {
      setState('error', `${e.name}: ${e.message}`);
    } finally {
      controller = null;
    }
  }

  function predict() {
    const letters = $('query').value.toUpperCase().replace(/[^A-Z]/g, '').slice(-T);
    const out = $('prediction');
    const bars = $('bars');
    if (!predictor) return;
    if (letters.length === 0) {
      out.dataset.letter = '';
      out.textContent = 'Type letters A–Z.';
      bars.replaceChildren();
      return;
    }
    const seq = [...letters].map((ch) => ALPHABET.indexOf(ch));
    const x = L.divide(L.reshape(L.padSequences([seq], { maxLen: T, dtype: 'float32' }), [1, T, 1]), V);
    const probs = predictor.model.predict(x).data;
    let best = 0;
    for (let j = 1; j < V; j++) if (probs[j] > probs[best]) best = j;
    out.dataset.letter = ALPHABET[best];
    out.dataset.p = String(probs[best]);
    out.replaceChildren(`${letters} → `, Object.assign(document.createElement('b'), { textContent: ALPHABET[best] }), ` with probability ${(probs[best] * 100).toFixed(2)}%`);
    bars.replaceChildren(
      ...[...probs].map((p, j) => {
        const bar = document.createElement('div');
        bar.className = j === best ? 'bar top' : 'bar';
        bar.dataset.letter = ALPHABET[j];
        bar.dataset.p = String(p);
        bar.title = `${ALPHABET[j]}: ${(p * 100).toFixed(2)}%`;
        const fill = document.createElement('i');
        fill.style.height = `${(p * 100).toFixed(2)}%`;
        const label = document.createElement('span');
        label.textContent = ALPHABET[j];
        bar.append(fill, label);
        return bar;
      }),
    );
  }

  $('controls').addEventListener('submit', (e) => {
    e.preventDefault();
    if (!controller) train();
  });
  $('stop').addEventListener('click', () => controller?.abort());
  $('query').addEventListener('input', predict);

  chart.reset(Number($('epochs').value) || 1);
  L.ready().then(
    () => setState('idle', 'Ready: WebAssembly SIMD is available. Press Train.'),
    (e) => {
      setState('error', `${e.name}: ${e.message}`);
      $('train').disabled = true;
    },
  );
})();
