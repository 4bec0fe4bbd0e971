#!/usr/bin/env node
// One-step-ahead regression on the monthly international airline passengers series (thousands of
// passengers, Jan 1949 - Dec 1960, 144 values; Box & Jenkins, Series G), as in Jason Brownlee's
// Keras tutorial "Time Series Prediction with LSTM Recurrent Neural Networks in Python with Keras"
// (machinelearningmastery.com): given this month's count (or the last look_back months'), predict
// next month's.
//
//   npm run build
//   node examples/airline.mjs                      # look_back 1, the tutorial's first model
//   node examples/airline.mjs --look-back 3        # the window method: one step of 3 features
//   node examples/airline.mjs --look-back 3 --timesteps   # 3 steps of 1 feature
//   node examples/airline.mjs --quick              # 2 epochs: checks the script, not the result
//
// Settings, as the tutorial's Keras lines:
//   numpy.random.seed(7)                        -> sequential({ seed: 7, rng: 'numpy' })
//   MinMaxScaler(feature_range=(0, 1)) fitted on the WHOLE series (so the scale has seen the test
//     months' maximum; kept to match the tutorial, not a recommended practice)
//   train_size = int(len(dataset) * 0.67)       -> the first 96 months train, the last 48 test
//   create_dataset(..., look_back)              -> windows; its range(len - look_back - 1) drops
//     the last available window of each split, kept so the sample counts match the tutorial
//   LSTM(4, input_shape=(1, look_back)); Dense(1) (linear); loss='mean_squared_error'; 'adam'
//   model.fit(trainX, trainY, epochs=100, batch_size=1, verbose=2), shuffled every epoch
//   RMSE reported in passengers (thousands), after scaler.inverse_transform
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ready, sequential, lstm, dense, adam, tensor, reshape } from '../dist/index.js';

const USAGE = `Usage: node examples/airline.mjs [--look-back N] [--timesteps] [--epochs N] [--quick] [--verbose 0|1|2]

  --look-back N   months of history per sample (default 1)
  --timesteps     feed them as N steps of 1 feature ([N, 1]) instead of 1 step of N features ([1, N])
  --epochs N      training epochs (default 100, the tutorial's)
  --quick         2 epochs (a smoke test; the RMSE means little)
  --verbose N     Keras's fit verbosity (default 0)
`;

// Train / Test RMSE the tutorial's page reports for each of its three models (apachecn
// ml-mastery-zh translation of the page, docs/dl-ts/time-series-prediction-lstm-recurrent-neural-networks-python-keras.md).
const TUTORIAL = {
  'window:1': { train: 22.93, test: 47.53 },
  'window:3': { train: 24.19, test: 58.03 },
  'timesteps:3': { train: 23.69, test: 58.88 },
};

/** The passenger counts in file order, as float32 (dataset.astype('float32')). */
function loadSeries() {
  const csv = readFileSync(new URL('./data/airline-passengers.csv', import.meta.url), 'utf8');
  const rows = csv.trim().split('\n').slice(1); // header: Month,Passengers
  const values = rows.map((row, i) => {
    const v = Number(row.split(',')[1]);
    if (!Number.isFinite(v)) throw new Error(`airline-passengers.csv: row ${i + 2} has no number: '${row}'`);
    return v;
  });
  return Float32Array.from(values);
}

/** MinMaxScaler(feature_range=(0, 1)) fitted on `series`: scale and its inverse. */
function minMaxScaler(series) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of series) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return {
    lo, hi,
    transform: (xs) => Float32Array.from(xs, (v) => (v - lo) / (hi - lo)),
    inverse: (xs) => Array.from(xs, (v) => v * (hi - lo) + lo),
  };
}

/** The tutorial's create_dataset: X[i] = part[i .. i+lookBack), y[i] = part[i+lookBack], for i < len - lookBack - 1. */
function createDataset(part, lookBack) {
  const dataX = [];
  const dataY = [];
  for (let i = 0; i < part.length - lookBack - 1; i++) {
    dataX.push(Array.from(part.subarray(i, i + lookBack)));
    dataY.push(part[i + lookBack]);
  }
  return { dataX, dataY };
}

const rmse = (actual, predicted) => Math.sqrt(actual.reduce((s, a, i) => s + (a - predicted[i]) ** 2, 0) / actual.length);

async function main(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      'look-back': { type: 'string' }, timesteps: { type: 'boolean' }, epochs: { type: 'string' },
      quick: { type: 'boolean' }, verbose: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const lookBack = Number(values['look-back'] ?? 1);
  if (!Number.isInteger(lookBack) || lookBack < 1 || lookBack > 24) throw new Error(`--look-back must be an integer in [1, 24], received '${values['look-back']}'`);
  const epochs = values.quick ? 2 : Number(values.epochs ?? 100);
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`--epochs must be a positive integer, received '${values.epochs}'`);
  const verbose = Number(values.verbose ?? 0);
  if (![0, 1, 2].includes(verbose)) throw new Error(`--verbose must be 0, 1 or 2, received '${values.verbose}'`);
  const form = values.timesteps ? 'timesteps' : 'window';

  const series = loadSeries();
  const scaler = minMaxScaler(series);
  const dataset = scaler.transform(series);
  console.log(`${series.length} months, ${scaler.lo}..${scaler.hi} thousand passengers; min-max scaled to [0, 1] on the whole series`);

  // split into train and test sets, in time order
  const trainSize = Math.trunc(dataset.length * 0.67);
  const train = dataset.subarray(0, trainSize);
  const test = dataset.subarray(trainSize);
  const tr = createDataset(train, lookBack);
  const te = createDataset(test, lookBack);
  console.log(`train ${train.length} months -> ${tr.dataX.length} samples, test ${test.length} months -> ${te.dataX.length} samples (look_back ${lookBack})`);

  // reshape input to be [samples, time steps, features]: [n, 1, look_back] or [n, look_back, 1]
  const inputShape = form === 'timesteps' ? [lookBack, 1] : [1, lookBack];
  const toX = ({ dataX }) => reshape(tensor(dataX.flat(), [dataX.length * lookBack]), [dataX.length, ...inputShape]);
  const trainX = toX(tr);
  const testX = toX(te);
  const trainY = tensor(tr.dataY, [tr.dataY.length, 1]);

  await ready();
  // model.add(LSTM(4, input_shape=(1, look_back))); model.add(Dense(1))
  const model = sequential({
    seed: 7, rng: 'numpy',
    layers: [lstm({ units: 4, inputShape }), dense({ units: 1, activation: 'linear' })],
  });
  // model.compile(loss='mean_squared_error', optimizer='adam')
  model.compile({ loss: 'meanSquaredError', optimizer: adam() });
  const t0 = performance.now();
  const history = await model.fit(trainX, trainY, { epochs, batchSize: 1, verbose });
  const seconds = (performance.now() - t0) / 1000;
  console.log(`Epoch ${epochs}/${epochs} loss: ${history.history.loss.at(-1).toFixed(4)} (${seconds.toFixed(2)} s)`);

  // make predictions and invert them (and the targets) to passengers
  const trainPredict = scaler.inverse(model.predict(trainX).data);
  const testPredict = scaler.inverse(model.predict(testX).data);
  const trainActual = scaler.inverse(tr.dataY);
  const testActual = scaler.inverse(te.dataY);
  const trainScore = rmse(trainActual, trainPredict);
  const testScore = rmse(testActual, testPredict);
  console.log(`Train Score: ${trainScore.toFixed(2)} RMSE`);
  console.log(`Test Score: ${testScore.toFixed(2)} RMSE`);

  // Persistence baseline on the same samples: next month = this month (the window's last value).
  const lastOf = ({ dataX }) => scaler.inverse(dataX.map((w) => w[lookBack - 1]));
  const trainNaive = rmse(trainActual, lastOf(tr));
  const testNaive = rmse(testActual, lastOf(te));
  console.log(`Persistence baseline (next month = this month): Train ${trainNaive.toFixed(2)} RMSE, Test ${testNaive.toFixed(2)} RMSE`);

  const reported = TUTORIAL[`${form}:${lookBack}`];
  const tutorial = reported ? `tutorial: Train ${reported.train.toFixed(2)}, Test ${reported.test.toFixed(2)}` : 'tutorial: not reported for this setting';
  console.log(`RMSE (thousand passengers), LSTM(4) ${form} look_back ${lookBack}, ${epochs} epochs: Train ${trainScore.toFixed(2)}, Test ${testScore.toFixed(2)} `
    + `(${tutorial}; persistence: Train ${trainNaive.toFixed(2)}, Test ${testNaive.toFixed(2)})`);
  model.dispose();
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`airline.mjs: ${e.message}\n`);
  process.exitCode = 2;
});
