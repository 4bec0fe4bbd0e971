// The reference workload end to end through the CLI that `npm start` runs: the Keras listing with
// numpy's stream seeded with 7. Oracle: the seed's own log (../shared/seed/000_2fce8e8bf0ccf280.txt).
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

// The demo lines the seed printed after training (its log shows the first 11 of 20).
const SEED_DEMOS = ['TUVWX', 'VWXY', 'ABCD', 'C', 'KLMN', 'B', 'CDEFG', 'QR', 'TUVWX', 'DEFGH', 'BCDEF'];

describe('npm start: the Keras listing', () => {
  it('reaches >= 97% evaluate accuracy and prints the seed\'s demo patterns', () => {
    const out = execFileSync(process.execPath, [cli, '--verbose', '2'], { encoding: 'utf8', timeout: 180_000 });
    const lines = out.split('\n');
    // The data: the listing's first samples with seed 7 (SPEC.md section 1).
    expect(lines.slice(0, 3)).toEqual(['PQRST -> U', 'W -> X', 'O -> P']);
    // Keras 2 epoch lines.
    expect(lines).toContain('Epoch 1/500');
    expect(lines).toContain('Epoch 500/500');
    const epochLine = lines[lines.indexOf('Epoch 500/500') + 1];
    expect(epochLine).toMatch(/^ - \d+s - loss: \d\.\d{4}(e-\d\d)? - acc: \d\.\d{4}$/);
    const acc = Number(/^Model Accuracy: (\d+\.\d\d)%$/m.exec(out)?.[1]);
    expect(acc).toBeGreaterThanOrEqual(97);
    const demos = lines.filter((l) => / -> [A-Z]$/.test(l) && l.startsWith('['));
    expect(demos).toHaveLength(20);
    const patterns = demos.map((l) => l.slice(0, l.indexOf(']')).replace(/[^A-Z]/g, ''));
    expect(patterns.slice(0, SEED_DEMOS.length)).toEqual(SEED_DEMOS);
    // Each demo's `pattern : [...]` line holds the same letters as integers.
    const ints = lines.filter((l) => l.startsWith('pattern : ['));
    expect(ints).toHaveLength(20);
    expect(ints[0]).toBe('pattern : [19, 20, 21, 22, 23]');
    expect(out).toMatch(/^Accuracy on all 114 distinct patterns: \d+\.\d\d%$/m);
  }, 180_000);

  it('--ragged trains on unpadded sequences to the same accuracy bar, with the same demo picks', () => {
    const out = execFileSync(process.execPath, [cli, '--verbose', '0', '--ragged'], { encoding: 'utf8', timeout: 180_000 });
    const acc = Number(/^Model Accuracy: (\d+\.\d\d)%$/m.exec(out)?.[1]);
    expect(acc).toBeGreaterThanOrEqual(97);
    const patterns = out.split('\n').filter((l) => / -> [A-Z]$/.test(l) && l.startsWith('[')).map((l) => l.slice(0, l.indexOf(']')).replace(/[^A-Z]/g, ''));
    expect(patterns.slice(0, SEED_DEMOS.length)).toEqual(SEED_DEMOS);
  }, 180_000);

  it('--validation-split holds out the last samples and reports their accuracy', () => {
    const out = execFileSync(process.execPath, [cli, '--verbose', '2', '--epochs', '3', '--batch-size', '16', '--validation-split', '0.2'], { encoding: 'utf8' });
    expect(out).toMatch(/^ - \d+s - loss: \d\.\d{4} - acc: \d\.\d{4} - val_loss: \d\.\d{4} - val_acc: \d\.\d{4}$/m);
    expect(out).toMatch(/^Held-out accuracy \(last 200 samples, never trained on\): \d+\.\d\d%$/m);
    expect(out).toMatch(/^Trained 3 epochs x 800 samples/m);
  });

  it('--units 8,6 stacks two LSTMs; the saved file loads back as the same stack', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lstm-cli-'));
    try {
      const file = join(dir, 'stack.lstm');
      const out = execFileSync(process.execPath, [cli, '--verbose', '0', '--epochs', '2', '--units', '8,6', '--save', file], { encoding: 'utf8' });
      expect(out).toMatch(/^Trained 2 epochs x 1000 samples/m);
      const back = execFileSync(process.execPath, [cli, '--load', file], { encoding: 'utf8' });
      expect(back).toMatch(/LSTM\(8 -> 6\)/);
      const accuracy = (s: string) => /^Model Accuracy: (\d+\.\d\d)%$/m.exec(s)?.[1];
      expect(accuracy(back)).toBe(accuracy(out));
      expect(accuracy(out)).toBeDefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects bad flags with a clear message and exit code 2', () => {
    let err: { status?: number; stderr?: string } = {};
    try {
      execFileSync(process.execPath, [cli, '--validation-split', '1.5'], { encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      err = e as typeof err;
    }
    expect(err.status).toBe(2);
    expect(err.stderr).toMatch(/--validation-split must be a number in \(0, 1\), received '1.5'/);
  });
});
