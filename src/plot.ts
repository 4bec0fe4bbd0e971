// The training curve as a small standalone SVG: loss on the left axis, accuracy (0..1) on the
// right, validation series dashed. No dependency; works in Node and browsers.
import type { History } from './callbacks.js';
import { ValueError } from './errors.js';
import { checkKeys, intOption } from './options.js';

/**
 * Options of `trainingCurveSvg`.
 *
 * @example
 * const args: PlotArgs = { width: 960, height: 480, title: 'LSTM(32)', description: 'npm start -- --epochs 500' };
 * trainingCurveSvg(history, args);
 */
export interface PlotArgs {
  /** Width of the SVG in pixels, an integer in [200, 10000]. Default 720. */
  width?: number;
  /** Height of the SVG in pixels, an integer in [120, 10000]. Default 360. */
  height?: number;
  /** Heading above the plot. Default none. */
  title?: string;
  /** Text for the SVG's <desc> element (e.g. the command that made it). */
  description?: string;
}

const COLORS: Record<string, string> = { loss: '#d1495b', acc: '#2e86ab', accuracy: '#2e86ab' };

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) < 1 ? 2 : 1);
}

/**
 * Loss and accuracy per epoch (and their `val_` twins when present) as an SVG document.
 *
 * @example
 * import { writeFileSync } from 'node:fs';
 * const history = await model.fit(x, y, { epochs: 100 });
 * writeFileSync('curve.svg', trainingCurveSvg(history, { title: 'LSTM(32), batch 1' }));
 */
export function trainingCurveSvg(history: Pick<History, 'epoch' | 'history'>, args: PlotArgs = {}): string {
  const c = 'trainingCurveSvg()';
  checkKeys(c, args, ['width', 'height', 'title', 'description']);
  const W = args.width === undefined ? 720 : intOption(c, 'width', args.width, 200, 10000);
  const Hh = args.height === undefined ? 360 : intOption(c, 'height', args.height, 120, 10000);
  const n = history.epoch.length;
  if (n === 0) throw new ValueError(`${c}: the history has no epochs to plot`);
  const m = { l: 56, r: 56, t: args.title ? 34 : 14, b: 40 };
  const pw = W - m.l - m.r;
  const ph = Hh - m.t - m.b;
  const keys = Object.keys(history.history);
  const lossKeys = keys.filter((k) => /loss$/.test(k));
  const accKeys = keys.filter((k) => /acc(uracy)?$/.test(k));
  const lossMax = Math.max(1e-9, ...lossKeys.flatMap((k) => history.history[k].filter(Number.isFinite)));
  const x = (i: number) => m.l + (n === 1 ? pw / 2 : (i / (n - 1)) * pw);
  const yLoss = (v: number) => m.t + ph - (Math.min(v, lossMax) / lossMax) * ph;
  const yAcc = (v: number) => m.t + ph - Math.max(0, Math.min(1, v)) * ph;
  const path = (vals: number[], y: (v: number) => number) =>
    vals.map((v, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(Number.isFinite(v) ? v : lossMax).toFixed(1)}`).join('');
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${Hh}" viewBox="0 0 ${W} ${Hh}" font-family="sans-serif" font-size="12">`);
  if (args.description) out.push(`<desc>${esc(args.description)}</desc>`);
  out.push(`<rect width="${W}" height="${Hh}" fill="#fff"/>`);
  if (args.title) out.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${esc(args.title)}</text>`);
  for (let i = 0; i <= 4; i++) {
    const yy = m.t + (ph * i) / 4;
    out.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${yy}" y2="${yy}" stroke="#eee"/>`);
    out.push(`<text x="${m.l - 6}" y="${yy + 4}" text-anchor="end" fill="${COLORS.loss}">${fmt(lossMax * (1 - i / 4))}</text>`);
    out.push(`<text x="${m.l + pw + 6}" y="${yy + 4}" fill="${COLORS.acc}">${fmt(1 - i / 4)}</text>`);
  }
  out.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  out.push(`<text x="${m.l + pw}" y="${Hh - 8}" text-anchor="end">epoch (1-${n})</text>`);
  out.push(`<text x="14" y="${m.t + ph / 2}" transform="rotate(-90 14 ${m.t + ph / 2})" text-anchor="middle" fill="${COLORS.loss}">loss</text>`);
  out.push(`<text x="${W - 10}" y="${m.t + ph / 2}" transform="rotate(90 ${W - 10} ${m.t + ph / 2})" text-anchor="middle" fill="${COLORS.acc}">accuracy</text>`);
  const series = [...lossKeys.map((k) => [k, yLoss] as const), ...accKeys.map((k) => [k, yAcc] as const)];
  series.forEach(([k, y], i) => {
    const base = k.replace(/^val_/, '');
    const color = COLORS[base] ?? '#555';
    const dash = k.startsWith('val_') ? ' stroke-dasharray="6 4"' : '';
    out.push(`<path d="${path(history.history[k], y)}" fill="none" stroke="${color}" stroke-width="1.5"${dash}><title>${esc(k)}</title></path>`);
    const lx = m.l + i * 100;
    const ly = Hh - 12;
    out.push(`<line x1="${lx}" x2="${lx + 22}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${lx + 26}" y="${ly + 4}">${esc(k)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
