// The scripts in examples/ run as a user runs them, `node examples/<name>.mjs --quick ...` in a child
// process against the built dist/, and print their result lines. --quick trains a few epochs only,
// so these tests check that each script works end to end, not the accuracy it reaches (the full
// runs' figures are in examples/README.md).
// Oracles: the alphabet sections' sample counts from the tutorial's data loops; the airline
// persistence baseline recomputed here from the CSV; textgen run twice must print the same text.

import { beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));

interface Run { code: number | null; stdout: string; stderr: string; ms: number }

/** `node examples/<script> ...args` from the repository root; never throws. */
function runExample(script: string, args: string[]): Promise<Run> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [join('examples', script), ...args], { cwd: REPO, timeout: 60_000, maxBuffer: 16 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number | string }) | null;
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : -1) : 0, stdout, stderr: e && typeof e.code !== 'number' ? `${stderr}\n${e.message}` : stderr, ms: Date.now() - t0 });
    });
  });
}

const show = (what: string, r: Run) => `${what} exited ${r.code} after ${r.ms} ms\n--- stdout\n${r.stdout.slice(-3000)}\n--- stderr\n${r.stderr.slice(-3000)}`;

/** The number captured by `pattern`'s first group, e.g. number(out, /^Train Score: (\S+) RMSE$/m). */
function number(text: string, pattern: RegExp): number {
  const m = text.match(pattern);
  if (!m) throw new Error(`no line matches ${pattern}`);
  return Number(m[1]);
}

// Each section's demo prints one `['A'] -> B` line per pattern after its accuracy line: the
// tutorial's data loops give 25 one-letter patterns and 23 three-letter ones; batch-state adds 20
// random patterns, and variable-length prints its 20 random picks.
const ALPHABET_SECTIONS: Record<string, { predictions: number }> = {
  'one-char': { predictions: 25 },
  'feature-window': { predictions: 23 },
  'time-window': { predictions: 23 },
  'batch-state': { predictions: 25 + 20 },
  'variable-length': { predictions: 20 },
  stateful: { predictions: 25 + 5 }, // 'A -> B' ... 'Y -> Z', then after 'New start:  K' 5 more
};

describe('examples/alphabet.mjs', () => {
  let run: Run;
  beforeAll(async () => {
    run = await runExample('alphabet.mjs', ['--quick', ...Object.keys(ALPHABET_SECTIONS)]);
  });

  it('runs every section it is given and exits 0', () => {
    expect(run.code, show('alphabet.mjs --quick', run)).toBe(0);
    expect(run.stdout).toMatch(/^Summary$/m);
  });

  it.each(Object.entries(ALPHABET_SECTIONS))('%s prints its predictions and a parseable accuracy line', (name, { predictions }) => {
    const block = run.stdout.split(/^=== /m).find((b) => b.startsWith(`${name}:`));
    expect(block, show(`section ${name}`, run)).toBeDefined();
    const keras = number(block!, /^Model Accuracy: (\d+\.\d\d)%$/m);
    const result = block!.match(new RegExp(`^${name}: Model Accuracy: (\\d+\\.\\d\\d)% \\(tutorial: (\\d+\\.\\d\\d)%`, 'm'));
    expect(result, block).not.toBeNull();
    const [ours, tutorial] = [Number(result![1]), Number(result![2])];
    expect(ours).toBe(keras);
    expect(ours).toBeGreaterThanOrEqual(0);
    expect(ours).toBeLessThanOrEqual(100);
    expect(tutorial).toBeGreaterThan(80);
    // The demo: after the accuracy line, one line per pattern, `['A', 'B', 'C'] -> D` or `A -> B`.
    const demo = block!.slice(block!.search(/^Model Accuracy:/m));
    expect(demo.match(/^(\[('[A-Z]'(, )?)+\]|[A-Z]) -> [A-Z]$/gm)?.length, block).toBe(predictions);
  });

  it('refuses an unknown section by name, exit code 2', async () => {
    const r = await runExample('alphabet.mjs', ['one-chars']);
    expect(r.code, show('alphabet.mjs one-chars', r)).toBe(2);
    expect(r.stderr).toContain("unknown section 'one-chars'");
  });
});

describe('examples/airline.mjs', () => {
  it('--quick prints finite train and test RMSE and the persistence baseline recomputed from the CSV', async () => {
    const r = await runExample('airline.mjs', ['--quick']);
    expect(r.code, show('airline.mjs --quick', r)).toBe(0);
    const train = number(r.stdout, /^Train Score: (\S+) RMSE$/m);
    const test = number(r.stdout, /^Test Score: (\S+) RMSE$/m);
    expect(Number.isFinite(train) && train > 0, r.stdout).toBe(true);
    expect(Number.isFinite(test) && test > 0, r.stdout).toBe(true);

    // The baseline from the data file directly: 144 months, 67% train; with look_back 1 the
    // tutorial's windows pair month i with month i+1 for i < len - 2 within each split.
    const csv = readFileSync(join(REPO, 'examples', 'data', 'airline-passengers.csv'), 'utf8').trim().split('\n').slice(1);
    const series = csv.map((row) => Number(row.split(',')[1]));
    const persistence = (part: number[]) => {
      let sum = 0;
      for (let i = 0; i < part.length - 2; i++) sum += (part[i + 1] - part[i]) ** 2;
      return Math.sqrt(sum / (part.length - 2));
    };
    const cut = Math.trunc(series.length * 0.67);
    const printed = r.stdout.match(/^Persistence baseline .*: Train (\S+) RMSE, Test (\S+) RMSE$/m);
    expect(printed, r.stdout).not.toBeNull();
    expect(Number(printed![1])).toBeCloseTo(persistence(series.slice(0, cut)), 1);
    expect(Number(printed![2])).toBeCloseTo(persistence(series.slice(cut)), 1);
  });

  it('ships the 144 monthly values of the series (first year and last month checked)', () => {
    const rows = readFileSync(join(REPO, 'examples', 'data', 'airline-passengers.csv'), 'utf8').trim().split('\n');
    expect(rows[0]).toBe('Month,Passengers');
    const values = rows.slice(1).map((row) => Number(row.split(',')[1]));
    expect(values).toHaveLength(144);
    expect(values.slice(0, 12)).toEqual([112, 118, 132, 129, 121, 135, 148, 148, 136, 119, 104, 118]);
    expect(values.at(-1)).toBe(432);
    expect(rows[1].startsWith('1949-01,') && rows[144].startsWith('1960-12,')).toBe(true);
  });
});

describe('examples/textgen.mjs', () => {
  it('--quick trains, samples at two temperatures and prints the final loss; the same text on a second run', async () => {
    const [a, b] = [await runExample('textgen.mjs', ['--quick']), await runExample('textgen.mjs', ['--quick'])];
    expect(a.code, show('textgen.mjs --quick', a)).toBe(0);
    expect(b.code, show('textgen.mjs --quick (second run)', b)).toBe(0);
    const final = a.stdout.match(/^Final loss: (\S+), accuracy: (\S+)%/m);
    expect(final, a.stdout).not.toBeNull();
    expect(Number.isFinite(Number(final![1])), final![0]).toBe(true);
    expect(Number(final![2])).toBeGreaterThanOrEqual(0);
    // Each temperature block: a header, then the 40-character seed and 40 generated characters.
    const blocks = [...a.stdout.matchAll(/^--- temperature (\S+), seed "(.{40})"\n(.*)$/gm)];
    expect(blocks.map((m) => Number(m[1])), a.stdout).toEqual([0.2, 1]);
    for (const [, , seed, line] of blocks) {
      expect(line.startsWith(seed)).toBe(true);
      expect(line).toHaveLength(80);
    }
    // Deterministic: the generated text and the final figures match; only timings may differ.
    const results = (out: string) => out.split('\n').filter((l) => l.startsWith('--- ') || l.startsWith('Final ') || /^.{80}$/.test(l)).map((l) => l.replace(/ in \S+ s\)$/, ')'));
    expect(results(b.stdout)).toEqual(results(a.stdout));
  });
});

describe('examples/run.mjs (what `npm run example` runs after its build)', () => {
  it('runs an example by name with its arguments, lists them without one, and refuses an unknown one', async () => {
    const ok = await runExample('run.mjs', ['alphabet', 'one-char', '--quick']);
    expect(ok.code, show('run.mjs alphabet one-char --quick', ok)).toBe(0);
    expect(ok.stdout).toMatch(/^one-char: Model Accuracy: \d+\.\d\d% \(tutorial: 84\.00%\)/m);
    const list = await runExample('run.mjs', []);
    expect(list.code).toBe(0);
    expect(list.stderr).toMatch(/Examples: airline, alphabet, textgen/);
    const bad = await runExample('run.mjs', ['nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/no example 'nope'\. Examples: airline, alphabet, textgen/);
  });
});
