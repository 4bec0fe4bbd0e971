// bench/grid.mjs's pure helpers: the data stream, the flop count, the round sizing, the point
// list, the skip rules, the verdicts and the picture. No peer runs here.
import { describe, it, expect } from 'vitest';
// @ts-expect-error: a plain ES module without type declarations
import * as G from '../bench/grid.mjs';

/** mulberry32 as usually written (a closure over its state), the oracle for the counter form. */
function textbookMulberry32(seed: number) {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ok = (us: number, cpu = us) => ({ status: 'ok', usPerSample: us, cpuUsPerSample: cpu, gflops: 1, spread: 0.1, n: 32, epochs: 1 });
const row = (H: number, T: number, D: number, B: number, cells: Record<string, unknown>) => ({ point: { H, T, D, B }, cells });

describe('bench/grid.mjs helpers', () => {
  it('draws the textbook mulberry32 stream, and the data is a prefix-stable function of the seed', () => {
    const next = textbookMulberry32(1234);
    const want = Array.from({ length: 1000 }, next);
    const got = Array.from(G.mulberry32(1234, 1000));
    const bad = got.findIndex((v, i) => v !== want[i]);
    expect(bad, `first differing draw at ${bad}: ${got[bad]} vs ${want[bad]}`).toBe(-1);

    const big = G.gridData(5, 40, 3, 2);
    const small = G.gridData(5, 10, 3, 2);
    expect(Array.from(big.x.subarray(0, 60))).toEqual(Array.from(small.x));
    expect(Array.from(big.labels.subarray(0, 10))).toEqual(Array.from(small.labels));
    expect(Math.min(...big.x)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...big.x)).toBeLessThan(1);
    for (let i = 0; i < 40; i++) {
      const r = Array.from(big.y.subarray(i * 10, i * 10 + 10));
      expect(r.reduce((a, b) => a + b, 0)).toBe(1);
      expect(r[big.labels[i]]).toBe(1);
    }
    // x = 2u - 1 rounded to f32, labels = floor(10 u') from the next seed's stream
    expect(big.x[0]).toBe(Math.fround(2 * textbookMulberry32(5)() - 1));
    expect(big.labels[0]).toBe(Math.floor(10 * textbookMulberry32(6)()));
    expect(G.dataChecksum({ x: new Float32Array([1, 2, 3]), labels: new Int32Array([4, 5]) })).toEqual({ xSum: 6, labelSum: 9 });
  });

  it('counts 3 x 2·T·(D+H)·4H training flops per sample', () => {
    expect(G.forwardFlops({ H: 256, T: 50, D: 16 })).toBe(2 * 50 * 272 * 1024);
    expect(G.trainFlops({ H: 256, T: 50, D: 16 })).toBe(83_558_400);
    expect(G.trainFlops({ H: 1, T: 1, D: 1 })).toBe(48);
  });

  it('sizes a round from the measured µs per sample', () => {
    // 100 µs/sample, 800 ms -> 8000 samples, a multiple of 32
    expect(G.planRound({ usPerSample: 100, targetMs: 800, B: 32, nMax: 16384, maxEpochs: 20 })).toEqual({ n: 8000, epochs: 1 });
    expect(G.planRound({ usPerSample: 100, targetMs: 810, B: 32, nMax: 16384, maxEpochs: 20 }).n).toBe(8096);
    // slower than one batch per target: still one whole batch
    expect(G.planRound({ usPerSample: 1e5, targetMs: 800, B: 32, nMax: 1024, maxEpochs: 20 })).toEqual({ n: 32, epochs: 1 });
    // faster than the data set allows: whole epochs over it, capped
    expect(G.planRound({ usPerSample: 10, targetMs: 800, B: 32, nMax: 20000, maxEpochs: 20 })).toEqual({ n: 20000, epochs: 4 });
    expect(G.planRound({ usPerSample: 0.01, targetMs: 800, B: 32, nMax: 1000, maxEpochs: 20 })).toEqual({ n: 1000, epochs: 20 });
    const plan = G.gridPlan(false);
    expect(G.samplesCap({ H: 32, T: 50, D: 16, B: 32 }, plan)).toBe(Math.floor((4 << 20) / 800 / 32) * 32);
    expect(G.samplesCap({ H: 32, T: 5, D: 1, B: 128 }, plan)).toBe(16384);
  });

  it('covers the trends and the targets, the quick points being a subset', () => {
    const has = (H: number, T: number, D: number, B: number, pts = G.GRID_POINTS) => pts.some((p: { H: number; T: number; D: number; B: number }) => p.H === H && p.T === T && p.D === D && p.B === B);
    for (const H of [32, 64, 128, 256, 512]) expect(has(H, 50, 16, 32), `H=${H} B=32`).toBe(true);
    for (const H of [64, 128, 256, 512]) expect(has(H, 50, 16, 1, G.GRID_POINTS.filter((p: { quick: boolean }) => p.quick)), `quick H=${H} B=1`).toBe(true);
    for (const B of [1, 32, 128]) expect(has(256, 50, 16, B), `B=${B}`).toBe(true);
    for (const [T, D] of [[5, 16], [200, 16], [50, 1], [20, 8]]) expect(has(128, T, D, 32), `H=128 T=${T} D=${D}`).toBe(true);
    expect(G.PREDICT_POINTS.find((p: { H: number }) => p.H === 256)).toMatchObject({ T: 50, D: 16, M: 1024, quick: true });
    const keys = G.GRID_POINTS.map(G.pointKey);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('skips slow peers by their rules, and never lstm-wasm SIMD or PyTorch', () => {
    const peer = (id: string) => G.PEERS.find((p: { id: string }) => p.id === id);
    const big = { H: 512, T: 50, D: 16, B: 32 };
    const small = { H: 32, T: 50, D: 16, B: 32 };
    for (const id of ['simd', 'torch-1', 'torch-2']) expect(G.skipReason(peer(id), big, true)).toBe(null);
    expect(G.skipReason(peer('scalar'), small, false)).toBe(null);
    expect(G.skipReason(peer('scalar'), big, false)).toMatchObject({ rule: 'sample', value: '324 MFLOP' });
    // tfjs cpu: one batch at H=128 T=50 D=16 B=32 is 0.708 GFLOP: over the quick limit, under the full one
    expect(G.skipReason(peer('tfjs-cpu'), { H: 128, T: 50, D: 16, B: 32 }, true)).toMatchObject({ rule: 'batch', value: '0.708 GFLOP' });
    expect(G.skipReason(peer('tfjs-cpu'), { H: 128, T: 50, D: 16, B: 32 }, false)).toBe(null);
  });

  it('prints the verdicts with their numbers, and says when a peer is missing', () => {
    const result = {
      peers: { simd: { ok: true }, 'torch-1': { ok: true } },
      training: [
        row(256, 50, 16, 32, { simd: ok(1200), 'torch-1': ok(1000) }),
        row(128, 20, 8, 32, { simd: ok(90), 'torch-1': ok(100) }),
        row(512, 50, 16, 32, { simd: ok(4000), 'torch-1': { status: 'error', reason: 'boom' } }),
        ...[64, 128, 256, 512].map((H) => row(H, 50, 16, 1, { simd: ok(10 * H) })),
        ...[64, 128].map((H) => row(H, 50, 16, 32, { simd: ok(H === 128 ? 2000 : 5 * H) })),
      ],
      predict: [{ point: { H: 256, T: 50, D: 16, M: 1024 }, cells: { simd: { status: 'ok', m: 1024, batchUsPerSeq: 650, singleUs: 1100 } } }],
    };
    const lines: string[] = G.gridTargets(result);
    expect(lines[0]).toMatch(/^met: H=256 T=50 D=16 B=32 .*1,200 vs 1,000 µs\/sample, 1\.20x/);
    expect(lines[1]).toMatch(/^met: H=128 T=20 D=8 B=32 .*faster than.*0\.900x/);
    expect(lines[2]).toMatch(/^not checked: H=512 .*PyTorch did not run \(boom\)/);
    expect(lines[3]).toMatch(/^met: predict of 1024 sequences .*0\.650 ms/);
    expect(lines[4]).toMatch(/^MISSED: predict of one sequence .*1\.10 ms/);
    expect(lines[5]).toMatch(/^MISSED: batch 32 costs less .*not less at H=128$/);

    const table: string = G.gridTable(result);
    expect(table.split('\n')[0]).toMatch(/^\| point +\| MFLOP \/ sample \| +lstm-wasm SIMD \| +PyTorch 1t \|$/);
    expect(table).toContain('1,000 · 1.00 · 0.833x');
  });

  it('draws one line per implementation on log axes, generated-file header first', () => {
    const result = {
      plan: { mode: 'full' },
      environment: { cpu: 'a <cpu>', cores: 2, node: 'v20', wasmSha256: 'abc', commit: 'def' },
      peers: { simd: { ok: true }, 'torch-1': { ok: true }, 'tfjs-cpu': { ok: true }, 'tfjs-wasm-2': { ok: false } },
      training: [
        row(32, 50, 16, 32, { simd: ok(10), 'torch-1': ok(100), 'tfjs-cpu': { status: 'skipped' } }),
        row(512, 50, 16, 32, { simd: ok(1000), 'torch-1': ok(100), 'tfjs-cpu': { status: 'skipped' } }),
        row(128, 50, 16, 1, { simd: ok(5) }), // another batch size: not plotted
      ],
      predict: [],
    };
    const svg: string = G.gridSvg(result, { source: 'bench/results/grid.json' });
    expect(svg).toBe(G.gridSvg(result, { source: 'bench/results/grid.json' }));
    const [first, second] = svg.split('\n');
    expect(first).toMatch(/^<!-- Generated by .*bench\/results\/grid\.json; plotted data sha256 [0-9a-f]{16}\. Do not edit.* -->$/);
    expect(first.slice(4, -3)).not.toContain('--'); // XML forbids "--" inside a comment
    expect(second).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('a &lt;cpu&gt;');
    const paths = [...svg.matchAll(/<path d="([^"]+)"[^>]*><title>([^<]+)<\/title>/g)].map((m) => [m[2], m[1]]);
    expect(paths.map((p) => p[0])).toEqual(['lstm-wasm SIMD', 'PyTorch 1t']);
    // plot box x 72..550, y 46..388; y spans the decades 10..1000 (log), x the H 32..512 (log 2)
    expect(paths[0][1]).toBe('M72,388L550,46');
    expect(paths[1][1]).toBe('M72,217L550,217');
    expect(svg).toContain('LSTM units H (log scale)');
    expect(svg).toMatch(/µs per training sample .*log scale/);
  });
});
