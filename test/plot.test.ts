// The SVG training curve: parseable, one path per logged series, points placed from the values.
import { describe, it, expect } from 'vitest';
import { trainingCurveSvg, ValueError, ConfigError } from '../src/index.js';

describe('trainingCurveSvg', () => {
  const history = { epoch: [0, 1, 2], history: { loss: [2, 1, 0.5], acc: [0.25, 0.5, 1], val_loss: [2, 1.5, 1], val_acc: [0, 0.5, 0.75] } };

  it('draws each series with points computed from its values', () => {
    const svg = trainingCurveSvg(history, { width: 400, height: 200, title: 'a <b> & c' });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="400" height="200"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('a &lt;b&gt; &amp; c');
    const paths = [...svg.matchAll(/<path d="([^"]+)"[^>]*><title>([^<]+)<\/title>/g)].map((m) => [m[2], m[1]]);
    expect(paths.map((p) => p[0])).toEqual(['loss', 'val_loss', 'acc', 'val_acc']);
    // Plot box: left 56, right 400-56, top 34 (title), bottom 200-40. loss max is 2.
    const [l, r, t, b] = [56, 344, 34, 160];
    const pts = (d: string) => d.slice(1).split(/L/).map((p) => p.split(',').map(Number));
    expect(pts(paths[0][1])).toEqual([[l, t], [(l + r) / 2, (t + b) / 2], [r, t + (b - t) * 0.75]]);
    expect(pts(paths[2][1])).toEqual([[l, b - (b - t) * 0.25], [(l + r) / 2, (t + b) / 2], [r, t]]);
    expect(svg).toMatch(/stroke-dasharray="6 4"><title>val_loss/);
    expect(trainingCurveSvg(history, { description: 'npx lstm-wasm --plot a.svg' })).toContain('<desc>npx lstm-wasm --plot a.svg</desc>');
  });

  it('refuses an empty history and unknown options', () => {
    expect(() => trainingCurveSvg({ epoch: [], history: {} })).toThrow(ValueError);
    expect(() => trainingCurveSvg(history, { widht: 3 } as never)).toThrow(ConfigError);
  });
});
