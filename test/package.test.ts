// The npm package as a user meets it: `npm pack`, then `npm install <tarball>` into a fresh project
// under os.tmpdir() that cannot see this repository's node_modules, and there (a) a plain Node ESM
// script trains a model, (b) `tsc --noEmit --strict` checks a TypeScript user of the public API and
// reports deliberate mistakes, (c) the CLI runs through the installed bin, (d) Chromium loads the
// packed IIFE with a plain <script> tag, and (e) a CommonJS project loads it.
// Oracles: the repository's own build running the same script (by package self-reference) must
// print the same; Chromium running it on the IIFE must print what Node printed; in-thread and
// worker runs of one seeded model agree bit for bit (Node thread, worker_threads, Chromium worker).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeChromium, launchChromium } from './browser/chromium.js';
// @ts-expect-error plain ESM without types: the demo's own static server
import { startServer } from '../web/serve.mjs';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = join(REPO, 'test', 'package');
const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
const PKG = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
  name: string; version: string; exports: Record<string, string | Record<string, string>>; bin: Record<string, string>;
  main: string; types: string; devDependencies: Record<string, string>;
};
// Guards against packing something big by mistake (measured at 0.1.0: 130 kB packed, 377 kB unpacked;
// with stacked/stateful LSTMs and the embedded binary gzipped: 191 kB packed, 564 kB unpacked; with
// the batched engine's modules (one file per layer kind, plan, arena, the slot tables): 214 kB, 623 kB).
const BUDGET = { packed: 240_000, unpacked: 700_000 };

interface Run { code: number | null; signal: string | null; stdout: string; stderr: string; ms: number }

/**
 * The environment of a user's shell: no npm-run variables, no NODE_PATH/NODE_OPTIONS, and no
 * node_modules/.bin of this repository on PATH, so nothing from here leaks into the fresh project.
 */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_package_|npm_lifecycle_|VITEST)/.test(k) || ['npm_config_local_prefix', 'NODE_PATH', 'NODE_OPTIONS', 'INIT_CWD'].includes(k)) continue;
    env[k] = v;
  }
  env.PATH = (process.env.PATH ?? '').split(delimiter).filter((p) => !p.includes(`node_modules${sep}.bin`)).join(delimiter);
  env.NO_UPDATE_NOTIFIER = '1';
  return env;
}

/** Runs a command to completion (never throws); a timeout kills it and shows as a signal. */
function run(cmd: string, args: string[], cwd: string, timeout = 60_000): Promise<Run> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env: userEnv(), timeout, maxBuffer: 32 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number | string; signal?: string }) | null;
      // A failure to start (ENOENT) has a string code and no exit status: say so in stderr.
      const failed = e !== null && typeof e.code !== 'number' && !e.signal;
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : -1) : 0, signal: e?.signal ?? null, stdout, stderr: failed ? `${stderr}\n${e.message}` : stderr, ms: Date.now() - t0 });
    });
  });
}

const show = (what: string, r: Run) => `${what} exited ${r.code}${r.signal ? ` (${r.signal})` : ''} after ${r.ms} ms\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-4000)}`;

function ok(what: string, r: Run): string {
  expect(r.code, show(what, r)).toBe(0);
  return r.stdout;
}

/** The last line of a script's stdout, parsed. */
function json<T>(what: string, r: Run): T {
  const line = ok(what, r).trim().split('\n').at(-1)!;
  try {
    return JSON.parse(line) as T;
  } catch {
    throw new Error(`${what} did not end with a JSON line:\n${show(what, r)}`);
  }
}

interface PackResult { filename: string; size: number; unpackedSize: number; files: Array<{ path: string; size: number; mode: number }> }
interface EntryPoints { resolved: Record<string, string>; deep: string; version: string; exports: string[]; worker: { loss: number[]; weights: string[]; aborted: boolean } }
interface CjsResult {
  requireModule: boolean;
  require: { ok: boolean; code?: string; message?: string; sequential?: string };
  import: { ok: boolean; loss?: number[]; isSameModule?: boolean | null; message?: string };
}

// One pack and one install, shared by every case below.
let tmp = '';
let app = '';
let pack: PackResult;
let install: Run;
let workerLoss: number[] | undefined; // entry-points.mjs's trainInWorker, compared with require.cjs's in-thread run
let quickstartOut: string | undefined; // quickstart.mjs's stdout in the fresh project, compared with Chromium's
let setup: Promise<void> | undefined;

function prepare(): Promise<void> {
  setup ??= (async () => {
    tmp = mkdtempSync(join(tmpdir(), 'lstm-wasm-pkg-'));
    app = join(tmp, 'app');
    // Hermetic only if no directory above the project holds a node_modules it could resolve from.
    expect(relative(REPO, tmp).startsWith('..') || isAbsolute(relative(REPO, tmp)), `${tmp} is inside the repository`).toBe(true);
    for (let d = dirname(app); ; d = dirname(d)) {
      expect(existsSync(join(d, 'node_modules')), `${join(d, 'node_modules')} exists: the fresh project could resolve packages from it`).toBe(false);
      if (dirname(d) === d) break;
    }
    for (const f of [PKG.main, PKG.types]) expect(existsSync(join(REPO, f)), `${f} is missing: run npm run build`).toBe(true);

    // --ignore-scripts: pack what dist/ holds now (npm test built it) without rebuilding it under
    // the other test files' feet.
    const packed = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], REPO, 60_000);
    pack = (JSON.parse(ok('npm pack', packed)) as PackResult[])[0];

    mkdirSync(join(app, 'cjs'), { recursive: true });
    writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'fresh-app', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`);
    writeFileSync(join(app, 'cjs', 'package.json'), '{ "type": "commonjs" }\n');
    for (const f of ['quickstart.mjs', 'global-shim.mjs', 'entry-points.mjs', 'consumer.ts', 'type-error.ts', 'global.ts', 'tsconfig.node.json', 'tsconfig.bundler.json', 'page.html']) {
      cpSync(join(FIXTURES, f), join(app, f));
    }
    cpSync(join(FIXTURES, 'require.cjs'), join(app, 'cjs', 'require.cjs'));
    // The user's install: the tarball plus @types/node (the version this repository pins, so the
    // npm cache that `npm ci` filled has it); lstm-wasm's own dependencies come from the registry.
    install = await run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--prefer-offline',
      join(tmp, pack.filename), `@types/node@${PKG.devDependencies['@types/node']}`], app, 120_000);
    ok('npm install <tarball>', install);
  })();
  return setup;
}

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('npm pack', () => {
  beforeAll(prepare, 180_000);

  it('packs only what users need, within the size budget', () => {
    const files = pack.files.map((f) => f.path).sort();
    console.log(`${pack.filename}: ${pack.size} bytes packed, ${pack.unpackedSize} unpacked, ${files.length} files; npm install took ${install.ms} ms`);
    const allowed = /^(package\.json|README\.md|LICENSE|CHANGELOG\.md|dist\/[\w./-]+\.(js|d\.ts))$/;
    expect(files.filter((f) => !allowed.test(f)), 'files outside package.json, README, LICENSE, CHANGELOG, dist/*.js|*.d.ts').toEqual([]);
    expect(files.filter((f) => /(^|\/)(src|test|assembly|build|bench|web|node_modules|docs)\/|\.(wasm|wat|map|tsbuildinfo|tgz)$/.test(f))).toEqual([]);
    // The generated module's .d.ts is the binary again as a string literal type: not shipped.
    expect(files.filter((f) => f.startsWith('dist/generated/') && f.endsWith('.d.ts'))).toEqual([]);
    for (const f of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'dist/index.js', 'dist/index.d.ts', 'dist/cli.js',
      'dist/lstm-wasm.js', 'dist/lstm-wasm.d.ts', 'dist/lstm-wasm.worker.js', 'dist/worker-entry.js', 'dist/worker-entry.d.ts',
      'dist/generated/wasm-binary.js']) {
      expect(files, `${f} is missing from the tarball`).toContain(f);
    }
    // Every file package.json points at is packed.
    const targets = [PKG.main, PKG.types, ...Object.values(PKG.bin), ...Object.values(PKG.exports).flatMap((v) => (typeof v === 'string' ? [v] : Object.values(v)))];
    for (const t of targets) expect(files, `package.json points at ${t}, which is not packed`).toContain(t.replace(/^\.\//, ''));
    // Every relative import of every packed module and declaration file is packed too.
    const dangling: string[] = [];
    for (const f of files.filter((p) => p.startsWith('dist/') && /\.(js|d\.ts)$/.test(p))) {
      const text = readFileSync(join(app, 'node_modules', PKG.name, f), 'utf8');
      for (const m of text.matchAll(/(?:from\s*|import\s*\(\s*|import\s+|new URL\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) {
        const target = join(dirname(f), m[1]).split(sep).join('/');
        const candidates = f.endsWith('.d.ts') ? [target, target.replace(/\.js$/, '.d.ts')] : [target];
        if (!candidates.some((c) => files.includes(c))) dangling.push(`${f} -> ${m[1]}`);
      }
    }
    expect(dangling, 'relative imports to files that are not packed').toEqual([]);
    expect(pack.size, `packed size ${pack.size}`).toBeLessThanOrEqual(BUDGET.packed);
    expect(pack.unpackedSize, `unpacked size ${pack.unpackedSize}`).toBeLessThanOrEqual(BUDGET.unpacked);
  });

  it('installs with its two dependencies from the registry, outside this repository', () => {
    const dir = join(app, 'node_modules');
    expect(existsSync(join(dir, PKG.name, 'package.json'))).toBe(true);
    expect(existsSync(join(dir, '@assemblyscript', 'loader', 'package.json')), '@assemblyscript/loader').toBe(true);
    expect(existsSync(join(dir, 'seedrandom', 'package.json')), 'seedrandom').toBe(true);
    const installed = JSON.parse(readFileSync(join(dir, PKG.name, 'package.json'), 'utf8')) as { version: string };
    expect(installed.version).toBe(PKG.version);
    expect(install.stderr, 'npm install errors').not.toMatch(/\bERR!/);
  });
});

describe('in a fresh project, from the tarball', () => {
  beforeAll(prepare, 180_000);

  it('(a) a plain Node ESM script imports lstm-wasm, trains, and prints what the repository build prints', async () => {
    const [fresh, here] = await Promise.all([
      run(process.execPath, ['quickstart.mjs'], app, 60_000),
      // The same file in the repository: `lstm-wasm` self-references this package's own dist/.
      run(process.execPath, [join(FIXTURES, 'quickstart.mjs')], REPO, 60_000),
    ]);
    const out = ok('node quickstart.mjs (fresh project)', fresh);
    expect(fresh.stderr, 'stderr of the quickstart').toBe('');
    const fit = /^fit: loss (\d+\.\d{4}) -> (\d+\.\d{4}), accuracy (\d\.\d{3}) -> (\d\.\d{3}) in 60 epochs$/m.exec(out);
    expect(fit, out).not.toBeNull();
    const [first, last] = [Number(fit![1]), Number(fit![2])];
    expect(last, `loss ${first} -> ${last}`).toBeLessThan(first * 0.5);
    const acc = Number(/^evaluate: loss \d+\.\d{4}, accuracy (\d+\.\d)%$/m.exec(out)?.[1]);
    expect(acc, 'evaluate accuracy on the training set (%)').toBeGreaterThan(50);
    expect(out).toMatch(/^K, L, M -> N \(p = 0\.\d{3}\)$/m);
    expect(out.trim().split('\n')).toHaveLength(3);
    expect(out, 'the installed package and the repository build print different numbers').toBe(ok('node test/package/quickstart.mjs (repository)', here));
    quickstartOut = out;
  });

  it('(a) resolves every exports subpath inside the installed package, closes deep imports, and trains in worker_threads', async () => {
    const r = json<EntryPoints>('node entry-points.mjs', await run(process.execPath, ['entry-points.mjs'], app, 60_000));
    const root = join(app, 'node_modules', PKG.name);
    const file = (u: string) => relative(root, fileURLToPath(u)).split(sep).join('/');
    // Node's "import"/"default" target of every subpath in package.json, and the four that must exist.
    const target = (v: string | Record<string, string>) => (typeof v === 'string' ? v : v.import ?? v.default).replace(/^\.\//, '');
    const expected = Object.fromEntries(Object.entries(PKG.exports).map(([k, v]) => [`${PKG.name}${k.slice(1)}`, target(v)]));
    expect(Object.fromEntries(Object.entries(r.resolved).map(([k, v]) => [k, file(v)]))).toEqual(expected);
    expect(expected).toMatchObject({
      'lstm-wasm': 'dist/index.js',
      'lstm-wasm/browser': 'dist/lstm-wasm.js',
      'lstm-wasm/browser/worker': 'dist/lstm-wasm.worker.js',
      'lstm-wasm/worker': 'dist/worker-entry.js',
      'lstm-wasm/package.json': 'package.json',
    });
    expect(r.deep).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
    expect(r.version).toBe(PKG.version);
    const here = (await import(new URL('../dist/index.js', import.meta.url).href)) as Record<string, unknown>;
    expect(r.exports).toEqual(Object.keys(here).sort());
    expect(r.worker.aborted).toBe(false);
    expect(r.worker.weights).toEqual(['lstm/kernel', 'lstm/recurrent_kernel', 'lstm/bias', 'dense/kernel', 'dense/bias']);
    expect(r.worker.loss).toHaveLength(5);
    workerLoss = r.worker.loss;
  });

  it('(b) tsc --noEmit --strict accepts the public API as a Node and as a bundler project, and reports deliberate mistakes', async () => {
    const tsc = (config: string) => run(process.execPath, [TSC, '-p', config, '--noEmit', '--strict', '--listFiles', '--pretty', 'false'], app, 90_000);
    const [node, bundler] = await Promise.all([tsc('tsconfig.node.json'), tsc('tsconfig.bundler.json')]);

    // Bundler project, DOM lib, no @types/node, skipLibCheck false: consumer.ts, the <script>
    // global, and the packed .d.ts files themselves type-check cleanly.
    ok('tsc -p tsconfig.bundler.json', bundler);

    // Node project: consumer.ts is clean; each mistake in type-error.ts is reported where it is.
    const diagnostics = node.stdout.split('\n').filter((l) => /^\S+\(\d+,\d+\): error TS\d+/.test(l));
    expect(node.code, show('tsc -p tsconfig.node.json', node)).toBe(2);
    expect(diagnostics.map((l) => /^(\S+)\((\d+),\d+\): error (TS\d+)/.exec(l)!.slice(1).join(' ')), diagnostics.join('\n')).toEqual([
      'type-error.ts 5 TS2561', // lstm({ unit: 32 }): did you mean 'units'?
      'type-error.ts 6 TS2322', // epochs: '10'
      'type-error.ts 7 TS2345', // sequential({ seed }) without layers
      'type-error.ts 8 TS2322', // activation: 'exponential'
    ]);
    expect(diagnostics[0]).toMatch(/Did you mean to write 'units'\?/);

    // Both programs were built from the fresh project and TypeScript's own lib files only.
    const tsLib = join(REPO, 'node_modules', 'typescript', 'lib');
    for (const [name, r] of [['node', node], ['bundler', bundler]] as const) {
      const files = r.stdout.split('\n').filter((l) => isAbsolute(l.trim())).map((l) => l.trim());
      expect(files.filter((f) => f.includes(`${sep}lstm-wasm${sep}dist${sep}index.d.ts`)), `${name}: the package's types`).toHaveLength(1);
      expect(files.filter((f) => !f.startsWith(app + sep) && !f.startsWith(tsLib + sep)), `${name}: files from outside the fresh project`).toEqual([]);
    }
  }, 120_000);

  it('(c) the CLI runs through the installed bin', async () => {
    const bin = join(app, 'node_modules', '.bin', 'lstm-wasm');
    expect(statSync(bin).mode & 0o111, 'the bin is executable').not.toBe(0);
    const [train, help, bad] = await Promise.all([
      run(bin, ['--epochs', '2', '--samples', '50', '--verbose', '0', '--plot', 'curve.svg'], app, 60_000),
      run(bin, ['--help'], app, 30_000),
      run(bin, ['--epochs', '0'], app, 30_000),
    ]);
    const out = ok('lstm-wasm --epochs 2 --samples 50 --verbose 0 --plot curve.svg', train);
    const lines = out.split('\n');
    expect(lines.slice(0, 3), "the listing's first samples (numpy stream, seed 7)").toEqual(['PQRST -> U', 'W -> X', 'O -> P']);
    expect(out).toMatch(/^\.\.\. 40 more \(--print-data shows them all\)$/m);
    expect(out).toMatch(/^Model Accuracy: \d+\.\d\d%$/m);
    expect(lines.filter((l) => /^\['[A-Z]'(, '[A-Z]')*\] -> [A-Z]$/.test(l))).toHaveLength(20);
    expect(out).toMatch(/^Accuracy on all 114 distinct patterns: \d+\.\d\d%$/m);
    expect(out).toMatch(/^Wrote the training curve to curve\.svg$/m);
    expect(out).toMatch(/^Trained 2 epochs x 50 samples in \d+\.\d\d s \(\d+\.\d\d µs per sample, simd kernels\)$/m);
    expect(out, 'verbose 0 prints no epoch lines').not.toMatch(/^Epoch /m);
    const svg = readFileSync(join(app, 'curve.svg'), 'utf8');
    expect(svg).toMatch(/^(<\?xml[^>]*>\s*)?(<!--[^-]*(-[^-]+)*-->\s*)?<svg[\s>]/); // the CLI marks the file as generated in a leading comment
    expect(svg.trimEnd()).toMatch(/<\/svg>$/);

    expect(ok('lstm-wasm --help', help)).toMatch(/^Usage: lstm-wasm \[options\]/);
    expect(bad.code, show('lstm-wasm --epochs 0', bad)).toBe(2);
    expect(bad.stderr).toBe("lstm-wasm: --epochs must be an integer >= 1, received '0'\n");
  });

  it('(e) CommonJS: await import() works; require() works where Node can require ES modules, else ERR_REQUIRE_ESM', async () => {
    const script = join('cjs', 'require.cjs');
    const here = Boolean((process.features as { require_module?: boolean }).require_module);
    const [plain, old] = await Promise.all([
      run(process.execPath, [script], app, 30_000),
      // Node 20.0-20.18 (and --no-experimental-require-module): require() of an ES module throws.
      here ? run(process.execPath, ['--no-experimental-require-module', script], app, 30_000) : undefined,
    ]);
    const r = json<CjsResult>('node cjs/require.cjs', plain);
    console.log(`CommonJS on Node ${process.version}: require ${r.require.ok ? 'works' : `throws ${r.require.code}`}; stderr: ${JSON.stringify(plain.stderr)}`);
    expect(r.requireModule).toBe(here);
    expect(r.import.ok, r.import.message).toBe(true);
    if (here) {
      expect(r.require).toEqual({ ok: true, sequential: 'function', ready: 'function' });
      expect(r.import.isSameModule, 'require() and import() give the same module instance').toBe(true);
    } else {
      expect(r.require).toMatchObject({ ok: false, code: 'ERR_REQUIRE_ESM' });
    }
    if (old) {
      const o = json<CjsResult>('node --no-experimental-require-module cjs/require.cjs', old);
      expect(o.require.ok).toBe(false);
      expect(o.require.code).toBe('ERR_REQUIRE_ESM');
      expect(o.require.message).toMatch(/^require\(\) of ES Module .*node_modules\/lstm-wasm\/dist\/index\.js from .* not supported\.$/);
      expect(o.import.loss, 'import() from CommonJS trains the same either way').toEqual(r.import.loss);
    }
    // The same seeded model in this thread (CommonJS import()) and in worker_threads (entry-points.mjs).
    expect(r.import.loss).toHaveLength(5);
    if (workerLoss) expect(r.import.loss, 'in-thread vs worker_threads').toEqual(workerLoss);
  });
});

describeChromium('(d) the packed IIFE in Chromium, from the fresh project', () => {
  let server: { url: string; close(): Promise<void> };
  let chrome: Awaited<ReturnType<typeof launchChromium>>;

  beforeAll(async () => {
    await prepare();
    server = await startServer({ root: app });
    chrome = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await chrome?.close();
    await server?.close();
  }, 20_000);

  it('a plain <script> tag defines lstmWasm; the README example prints what Node printed; the packed classic worker agrees', async () => {
    const page = await chrome.browser.newPage();
    const log: string[] = [];
    const lines: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'log') lines.push(m.text());
      else if (m.type() === 'error' || m.type() === 'warning') log.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
    try {
      await page.goto(`${server.url}/page.html`, { timeout: 10_000 });
      await page.waitForFunction(() => (window as unknown as { __result?: unknown }).__result, null, { timeout: 40_000 });
      const r = (await page.evaluate(() => (window as unknown as { __result: unknown }).__result)) as {
        global: string; keys: string[]; failed?: boolean; error?: string;
        worker: { loss: number[]; weights: number; aborted: boolean }; thread: { loss: number[] };
      };
      expect(r.failed, `the page threw: ${r.error}\n${log.join('\n')}`).toBeFalsy();
      expect(r.global).toBe('object');
      const here = (await import(new URL('../dist/index.js', import.meta.url).href)) as Record<string, unknown>;
      expect(r.keys).toEqual(Object.keys(here).sort());
      expect(r.worker).toMatchObject({ weights: 5, aborted: false });
      expect(r.worker.loss, 'Chromium: packed classic worker vs this thread').toEqual(r.thread.loss);
      if (workerLoss) expect(r.worker.loss, 'Chromium vs Node worker_threads').toEqual(workerLoss);

      // quickstart.mjs, unchanged, on the global (page.html maps 'lstm-wasm' to global-shim.mjs).
      const deadline = Date.now() + 30_000;
      while (!lines.some((l) => l.startsWith('K, L, M ->')) && !log.length && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 50));
      expect(log.filter((l) => !/favicon/.test(l)), 'console errors on the page').toEqual([]);
      const node = quickstartOut ?? ok('node quickstart.mjs (fresh project)', await run(process.execPath, ['quickstart.mjs'], app, 60_000));
      expect(lines.join('\n'), 'Chromium on the IIFE vs Node on the ESM build').toBe(node.trim());
    } finally {
      await page.close();
    }
  }, 60_000);
});
