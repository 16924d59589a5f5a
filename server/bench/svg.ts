/**
 * Charts as inline SVG text, drawn here so that a report needs no script, font or file beside it. Every
 * string that goes into the markup passes through `escapeHtml`; numbers are written with fixed digits.
 */

/** Text made safe for HTML and SVG, in element content and in quoted attribute values alike. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface Scale {
  (value: number): number;
  ticks: number[];
  format: (value: number) => string;
}

/** A linear scale from [lo, hi] to [from, to] pixels, with about five round ticks. */
export function linear(lo: number, hi: number, from: number, to: number, format: (value: number) => string = short): Scale {
  const top = hi > lo ? hi : lo + 1;
  const scale = ((value: number) => from + ((value - lo) / (top - lo)) * (to - from)) as Scale;
  const step = roundStep((top - lo) / 5);
  scale.ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= top + step * 1e-9; t += step) scale.ticks.push(Number(t.toPrecision(12)));
  scale.format = format;
  return scale;
}

/** A logarithmic scale (decades) from [lo, hi] to [from, to] pixels; values at or below 0 are drawn at lo. */
export function logarithmic(lo: number, hi: number, from: number, to: number): Scale {
  const low = Math.log10(Math.max(lo, 1e-3));
  const high = Math.max(Math.log10(Math.max(hi, 1e-3)), low + 1);
  const scale = ((value: number) => from + ((Math.log10(Math.max(value, 10 ** low)) - low) / (high - low)) * (to - from)) as Scale;
  scale.ticks = [];
  for (let d = Math.ceil(low); d <= Math.floor(high); d++) scale.ticks.push(10 ** d);
  scale.format = short;
  return scale;
}

export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export const FRAME: Frame = { width: 900, height: 300, left: 64, right: 16, top: 16, bottom: 44 };

export interface ChartText {
  title: string;
  xLabel: string;
  yLabel: string;
  legend: { label: string; colour: string }[];
}

/** A chart: axes with ticks and grid lines, the marks (SVG markup made by the caller), a legend; in a figure with its title. */
export function chart(text: ChartText, x: Scale, y: Scale, marks: string, frame: Frame = FRAME): string {
  const { width, height, left, right, top, bottom } = frame;
  const parts: string[] = [];
  for (const t of y.ticks) {
    const py = fixed(y(t));
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${py}" y2="${py}" class="grid"/>`);
    parts.push(`<text x="${left - 6}" y="${py}" text-anchor="end" dominant-baseline="middle">${escapeHtml(y.format(t))}</text>`);
  }
  for (const t of x.ticks) {
    const px = fixed(x(t));
    parts.push(`<line x1="${px}" x2="${px}" y1="${top}" y2="${height - bottom}" class="grid"/>`);
    parts.push(`<text x="${px}" y="${height - bottom + 16}" text-anchor="middle">${escapeHtml(x.format(t))}</text>`);
  }
  parts.push(`<rect x="${left}" y="${top}" width="${width - left - right}" height="${height - top - bottom}" class="plot"/>`);
  parts.push(`<text x="${fixed((left + width - right) / 2)}" y="${height - 6}" text-anchor="middle">${escapeHtml(text.xLabel)}</text>`);
  parts.push(`<text x="14" y="${fixed((top + height - bottom) / 2)}" text-anchor="middle" transform="rotate(-90 14 ${fixed((top + height - bottom) / 2)})">${escapeHtml(text.yLabel)}</text>`);
  const legend = text.legend
    .map((item) => `<span class="key"><span class="swatch" style="background:${escapeHtml(item.colour)}"></span>${escapeHtml(item.label)}</span>`)
    .join(' ');
  const title = escapeHtml(text.title);
  return [
    `<figure><h2>${title}</h2>`,
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" aria-label="${title}"><title>${title}</title>`,
    ...parts,
    marks,
    '</svg>',
    `<figcaption>${legend}</figcaption></figure>`,
  ].join('\n');
}

/** A polyline through points, skipping none. */
export function polyline(points: [number, number][], colour: string, extra = ''): string {
  if (points.length === 0) return '';
  const width = /stroke-width=/.test(extra) ? '' : 'stroke-width="1.8" ';
  return `<polyline fill="none" stroke="${escapeHtml(colour)}" ${width}${extra} points="${points.map(([px, py]) => `${fixed(px)},${fixed(py)}`).join(' ')}"/>`;
}

export function polygon(points: [number, number][], colour: string): string {
  if (points.length === 0) return '';
  return `<polygon fill="${escapeHtml(colour)}" fill-opacity="0.75" stroke="none" points="${points.map(([px, py]) => `${fixed(px)},${fixed(py)}`).join(' ')}"/>`;
}

export function fixed(n: number): string {
  return Number.isFinite(n) ? n.toFixed(1) : '0';
}

/** 0.5, 2, 40, 1.2k, 3M: short numbers for ticks. */
export function short(value: number): string {
  if (value === 0) return '0';
  if (Math.abs(value) >= 1e6) return `${Number((value / 1e6).toPrecision(3))}M`;
  if (Math.abs(value) >= 1e3) return `${Number((value / 1e3).toPrecision(3))}k`;
  return String(Number(value.toPrecision(3)));
}

function roundStep(rough: number): number {
  if (!(rough > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  return [1, 2, 5, 10].find((m) => m * magnitude >= rough)! * magnitude;
}
