// Shared helpers of the benchmarks: options, timing statistics, table printing, the results file.
// Every figure the tables show is a median of repeated measurements (the machine is noisy).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(BENCH_DIR, '..');
export const RESULTS_DIR = join(BENCH_DIR, 'results');

/** The listing's workload: 1000 samples of up to 5 letters, 1 feature, LSTM 32, Dense 26, 500 epochs. */
export const LISTING = { N: 1000, T: 5, D: 1, H: 32, V: 26, epochs: 500 };

export const now = () => performance.now();

/** Median of a list of numbers (mean of the two middle ones for an even count). */
export function median(xs) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Frees garbage between measurements when node runs with --expose-gc; a no-op otherwise. */
export function collect() {
  if (typeof globalThis.gc === 'function') globalThis.gc();
}

/** Which code was measured: the embedded kernels' hash, and the git commit (+ whether the tree was dirty). */
export async function codeVersion() {
  let wasmSha256 = 'unknown';
  try {
    ({ WASM_SHA256: wasmSha256 } = await import('../dist/generated/wasm-binary.js'));
  } catch {
    // an older or newer build layout: leave it unknown
  }
  let commit = 'unknown';
  try {
    const git = (...a) => execFileSync('git', a, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    commit = git('rev-parse', '--short', 'HEAD') + (git('status', '--porcelain', '--untracked-files=no') ? ' (dirty)' : '');
  } catch {
    // not a git checkout
  }
  return { wasmSha256, commit };
}

/** Machine and run facts that go into every results file. */
export function environment() {
  const c = cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${process.arch}`,
    cpu: c[0]?.model ?? 'unknown',
    cores: c.length,
    loadavgAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
    exposeGc: typeof globalThis.gc === 'function',
    date: new Date().toISOString(),
  };
}

/** Writes bench/results/<name>.json (pretty, newline-terminated) and returns its path. */
export function writeResults(name, payload) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}.json`);
  const body = { generatedBy: 'bench/run.mjs (do not edit; rerun it)', ...payload, loadavgAtEnd: loadavg().map((x) => Math.round(x * 100) / 100) };
  writeFileSync(file, JSON.stringify(body, null, 2) + '\n');
  return file;
}

/** A duration in ms, printed in the most readable unit. */
export function fmtTime(ms) {
  if (!Number.isFinite(ms)) return '-';
  if (ms < 1e-3) return `${(ms * 1e6).toFixed(1)} ns`;
  if (ms < 1) return `${sig(ms * 1e3)} µs`;
  if (ms < 1000) return `${sig(ms)} ms`;
  if (ms < 120_000) return `${sig(ms / 1000)} s`;
  return `${sig(ms / 60_000)} min`;
}

/** Three significant digits, no exponent, thousands grouped. */
export function sig(x, digits = 3) {
  if (!Number.isFinite(x)) return '-';
  if (x === 0) return '0';
  const mag = Math.floor(Math.log10(Math.abs(x)));
  const decimals = Math.max(0, digits - 1 - mag);
  return x.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** A ratio such as 4.2x (or 1,234x). */
export function fmtRatio(r) {
  return Number.isFinite(r) ? `${sig(r)}x` : '-';
}

/** A Markdown table (so the README can carry it verbatim); columns right-aligned unless `left`. */
export function markdownTable(header, rows, left = [0]) {
  const cells = [header, ...rows].map((r) => r.map((c) => String(c)));
  const width = header.map((_, j) => Math.max(3, ...cells.map((r) => r[j].length)));
  const pad = (s, j) => (left.includes(j) ? s.padEnd(width[j]) : s.padStart(width[j]));
  const line = (r) => `| ${r.map(pad).join(' | ')} |`;
  const rule = `|${width.map((w, j) => (left.includes(j) ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(cells[0]), rule, ...cells.slice(1).map(line)].join('\n');
}

/**
 * Runs fn (sync or async) once and returns its wall time and the process's CPU time (user +
 * system, all threads) in ms. On a loaded machine wall time includes time spent descheduled;
 * CPU time does not (but counts V8's helper threads), so the two together show contention.
 */
export async function measure(fn) {
  const c0 = process.cpuUsage();
  const t0 = now();
  await fn();
  const wallMs = now() - t0;
  const c = process.cpuUsage(c0);
  return { wallMs, cpuMs: (c.user + c.system) / 1000 };
}

/** Progress to stderr, so stdout holds only the tables. */
export function note(msg) {
  process.stderr.write(`  · ${msg}\n`);
}
