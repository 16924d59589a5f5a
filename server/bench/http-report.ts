import type { AnswerSource } from '../../shared/types';
import { visible } from '../../shared/visible';
import type { Sample } from './http-load';
import { TIERS, type HttpSummary, type TargetCheck } from './http-summary';
import { chart, escapeHtml, fixed, FRAME, linear, logarithmic, polygon, polyline, short } from './svg';

/** What the report says about the run besides its figures. */
export interface ReportRun {
  url: string;
  /** The repository the files were listed from. */
  repository: string;
  /** Whether the bench started the service itself (on the generated repository or `--repo`). */
  started: boolean;
  seed: number;
  concurrency: number;
  durationS?: number;
  requests?: number;
  warmupS: number;
  files: number;
  startedAt: Date;
  interrupted: boolean;
  /** Share of one core the load generator used over the run (0.25: a quarter of a core). */
  clientCpu?: number;
  /**
   * The share of the machine's CPU (all its cores) busy for a second before the bench started anything
   * (another job, which takes from the service), and during the measured run (everything: the service,
   * its git, the load generator and any other job).
   */
  machine?: { cores: number; busyBefore: number; busyDuring?: number };
}

const COLOURS: Record<AnswerSource | 'failed', string> = { l1: '#2e7d32', l2: '#1565c0', team: '#6a1b9a', cold: '#ef6c00', failed: '#c62828' };
/** Points drawn per tier in the scatter at most: enough to see the shape, few enough for a light page. */
const POINTS_PER_TIER = 2500;

/**
 * The HTML report of `ail bench --http`: one self-contained page (no script, font, stylesheet or image
 * from elsewhere; a Content-Security-Policy that allows none) with the figures, the targets and four
 * charts drawn as inline SVG. Paths and error codes came from the repository or the service: every
 * string is escaped for HTML, after its control characters are made visible.
 */
export function renderReport(run: ReportRun, summary: HttpSummary, targets: readonly TargetCheck[], samples: readonly Sample[]): string {
  const text = (value: string) => escapeHtml(visible(value));
  const title = `ail bench --http: ${run.url}`;
  const length = run.requests !== undefined ? `${run.requests} requests` : `${run.durationS} s`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${text(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head><body>',
    `<h1>${text(title)}</h1>`,
    `<p class="meta">${text(run.started ? 'Service started by the bench' : "The user's service")}, files from ${text(run.repository)} (${run.files} text files);
seed ${run.seed}, concurrency ${run.concurrency}, ${text(length)}${run.warmupS ? ` after ${run.warmupS} s of warm-up` : ''};
started ${text(run.startedAt.toISOString())}${run.clientCpu !== undefined ? `; the load generator used ${Math.round(run.clientCpu * 100)}% of a core` : ''}${run.machine ? `; ${run.machine.cores} cores, ${Math.round(run.machine.busyBefore * 100)}% busy before it began${run.machine.busyDuring !== undefined ? `, ${Math.round(run.machine.busyDuring * 100)}% during the run` : ''}` : ''}${run.interrupted ? '; <strong>interrupted</strong> before its end' : ''}.</p>`,
    figuresTable(summary, targets),
    errorsTable(summary),
    latencyOverTime(summary, samples),
    latencyDistribution(samples, summary),
    hitRateOverTime(summary),
    throughputOverTime(summary),
    hottestFiles(samples, text),
    '</body></html>',
    '',
  ].join('\n');
}

function figuresTable(summary: HttpSummary, targets: readonly TargetCheck[]): string {
  const verdict = (check: TargetCheck | undefined) =>
    !check ? '' : check.met === undefined ? `<td class="na">not measured (${escapeHtml(check.text)})</td>` : `<td class="${check.met ? 'met' : 'missed'}">${check.met ? 'met' : 'MISSED'}: ${escapeHtml(check.text)}</td>`;
  const row = (name: string, figures: HttpSummary['overall'], check?: TargetCheck) =>
    `<tr><th>${escapeHtml(name)}</th><td>${figures.count}</td><td>${share(figures.count, summary.answered)}</td><td>${ms(figures.p50)}</td><td>${ms(figures.p95)}</td><td>${ms(figures.p99)}</td><td>${ms(figures.serverP50)}</td><td>${ms(figures.serverP95)}</td>${verdict(check) || '<td></td>'}</tr>`;
  const target = (figure: string) => targets.find((t) => t.figure === figure);
  return `<h2>Figures</h2>
<table><thead><tr><th></th><th>answers</th><th>share</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>service p50</th><th>service p95</th><th>target</th></tr></thead><tbody>
${TIERS.map((tier) => row(tier, summary.tiers[tier], target(`${tier} p95`))).join('\n')}
${row('overall', summary.overall)}
</tbody></table>
<p>${summary.requests} requests in ${summary.elapsedS.toFixed(1)} s: ${summary.answered} answered, ${summary.failed} failed${summary.partial ? `, ${summary.partial} answers cut short by the time limit` : ''}.
Throughput <strong>${summary.qps.toFixed(1)} qps</strong> (slowest second ${summary.slowestSecondQps} qps) ${verdict(target('throughput')).replace(/^<td/, '<span').replace(/<\/td>$/, '</span>')}.
Hit rate: L1 ${percent(summary.hitRate.l1)}, L2 ${percent(summary.hitRate.l2)}, overall ${percent(summary.hitRate.overall)}.
Round trips are what the client saw; the service's figures are the answers' <code>queryTimeMs</code>.</p>`;
}

function errorsTable(summary: HttpSummary): string {
  if (summary.failed === 0) return '<p>No request failed.</p>';
  const rows = (counts: Record<string, number>) =>
    Object.entries(counts)
      .sort((a, b) => b[1] - a[1])
      .map(([key, count]) => `<tr><th>${escapeHtml(visible(key))}</th><td>${count}</td></tr>`)
      .join('\n');
  return `<h2>Errors</h2>
<table class="narrow"><thead><tr><th>HTTP status</th><th>requests</th></tr></thead><tbody>${rows(summary.errors)}</tbody></table>
<table class="narrow"><thead><tr><th>error code</th><th>requests</th></tr></thead><tbody>${rows(summary.errorCodes)}</tbody></table>`;
}

function latencyOverTime(summary: HttpSummary, samples: readonly Sample[]): string {
  const { width, height, left, right, top, bottom } = FRAME;
  const x = linear(0, Math.max(summary.elapsedS, 0.1), left, width - right, (t) => `${short(t)} s`);
  const [lo, hi] = extent(samples.map((s) => s.ms));
  const y = logarithmic(Math.min(lo, 1), Math.max(hi, 10), height - bottom, top);
  const marks: string[] = [];
  for (const kind of [...TIERS, 'failed'] as const) {
    const mine = samples.filter((s) => (s.tier ?? 'failed') === kind);
    const stride = Math.max(1, Math.ceil(mine.length / POINTS_PER_TIER));
    const dots = mine
      .filter((_, i) => i % stride === 0)
      .map((s) => `<circle cx="${fixed(x(s.at / 1000))}" cy="${fixed(y(s.ms))}" r="1.7"/>`)
      .join('');
    if (dots) marks.push(`<g fill="${COLOURS[kind]}" fill-opacity="0.55">${dots}</g>`);
  }
  const p95 = summary.series.filter((b) => b.p95 > 0).map((b): [number, number] => [x(b.t + summary.bucketS / 2), y(b.p95)]);
  marks.push(polyline(p95, '#222', 'stroke-dasharray="4 3"'));
  const legend = [...TIERS.map((tier) => ({ label: tier, colour: COLOURS[tier] })), { label: 'failed', colour: COLOURS.failed }, { label: `p95 per ${summary.bucketS} s`, colour: '#222' }];
  return chart({ title: 'Latency over time', xLabel: 'time since the start (request sent)', yLabel: 'round trip, ms (log)', legend }, x, y, marks.join('\n'));
}

function latencyDistribution(samples: readonly Sample[], summary: HttpSummary): string {
  const { width, height, left, right, top, bottom } = FRAME;
  const [lo, hi] = extent(samples.filter((s) => s.tier !== undefined).map((s) => s.ms));
  const x = logarithmic(Math.min(lo, 1), Math.max(hi, 10), left, width - right);
  x.format = (v) => `${short(v)} ms`;
  const y = linear(0, 100, height - bottom, top, (v) => `${v}%`);
  const marks: string[] = [];
  const limits: Record<AnswerSource, number> = { l1: 2, l2: 35, team: 35, cold: 450 };
  for (const tier of TIERS) {
    const sorted = samples.filter((s) => s.tier === tier).map((s) => s.ms).sort((a, b) => a - b);
    if (sorted.length === 0) continue;
    const stride = Math.max(1, Math.ceil(sorted.length / 400));
    const points: [number, number][] = [];
    for (let i = 0; i < sorted.length; i += stride) points.push([x(sorted[i]!), y(((i + 1) / sorted.length) * 100)]);
    points.push([x(sorted.at(-1)!), y(100)]);
    marks.push(polyline(points, COLOURS[tier]));
    const lx = fixed(x(limits[tier]));
    marks.push(`<line x1="${lx}" x2="${lx}" y1="${top}" y2="${height - bottom}" stroke="${COLOURS[tier]}" stroke-dasharray="2 4"/>`);
  }
  marks.push(`<line x1="${left}" x2="${width - right}" y1="${fixed(y(95))}" y2="${fixed(y(95))}" stroke="#888" stroke-dasharray="6 3"/>`);
  const legend = TIERS.filter((tier) => summary.tiers[tier].count > 0).map((tier) => ({ label: `${tier} (${summary.tiers[tier].count}; dotted: its p95 target)`, colour: COLOURS[tier] }));
  return chart({ title: 'Latency distribution by tier', xLabel: 'round trip, ms (log)', yLabel: 'answers at or below', legend }, x, y, marks.join('\n'));
}

function hitRateOverTime(summary: HttpSummary): string {
  const { width, height, left, right, top, bottom } = FRAME;
  const x = linear(0, Math.max(summary.elapsedS, 0.1), left, width - right, (t) => `${short(t)} s`);
  const y = linear(0, 100, height - bottom, top, (v) => `${v}%`);
  // Stacked shares of each slice's answers, L1 at the bottom: the top of L2's band is the hit rate.
  const slices = summary.series.filter((b) => b.answered > 0);
  const band = (lower: (b: (typeof slices)[number]) => number, upper: (b: (typeof slices)[number]) => number): [number, number][] => {
    const edge = (b: (typeof slices)[number], value: number): [number, number][] => [
      [x(b.t), y(value)],
      [x(Math.min(b.t + summary.bucketS, summary.elapsedS)), y(value)],
    ];
    const up = slices.flatMap((b) => edge(b, (upper(b) / b.answered) * 100));
    const down = slices.flatMap((b) => edge(b, (lower(b) / b.answered) * 100)).reverse();
    return [...up, ...down];
  };
  const marks = [
    polygon(band(() => 0, (b) => b.l1), COLOURS.l1),
    polygon(band((b) => b.l1, (b) => b.l1 + b.l2), COLOURS.l2),
    polygon(band((b) => b.l1 + b.l2, (b) => b.answered), COLOURS.cold),
  ];
  // The hit rate of every answer so far: how the caches fill.
  let answered = 0;
  let hits = 0;
  const cumulative = slices.map((b): [number, number] => {
    answered += b.answered;
    hits += b.l1 + b.l2;
    return [x(Math.min(b.t + summary.bucketS, summary.elapsedS)), y((hits / answered) * 100)];
  });
  marks.push(polyline(cumulative, '#111', 'stroke-width="2.4"'));
  const legend = [...TIERS.map((tier) => ({ label: tier, colour: COLOURS[tier] })), { label: 'hit rate so far (l1 + l2)', colour: '#111' }];
  return chart({ title: 'Hit rate over time', xLabel: `time since the start, ${summary.bucketS} s slices (answer completed)`, yLabel: 'share of answers', legend }, x, y, marks.join('\n'));
}

function throughputOverTime(summary: HttpSummary): string {
  const { width, height, left, right, top, bottom } = FRAME;
  const x = linear(0, Math.max(summary.elapsedS, 0.1), left, width - right, (t) => `${short(t)} s`);
  const y = linear(0, Math.max(120, ...summary.series.map((b) => b.qps)) * 1.05, height - bottom, top);
  const points = summary.series.map((b): [number, number] => [x(b.t + summary.bucketS / 2), y(b.qps)]);
  const target = fixed(y(110));
  const marks = [polyline(points, '#444'), `<line x1="${left}" x2="${width - right}" y1="${target}" y2="${target}" stroke="${COLOURS.failed}" stroke-dasharray="6 3"/>`];
  const legend = [
    { label: `answers per second, ${summary.bucketS} s slices`, colour: '#444' },
    { label: 'target: 110 qps', colour: COLOURS.failed },
  ];
  return chart({ title: 'Throughput over time', xLabel: 'time since the start (answer completed)', yLabel: 'qps', legend }, x, y, marks.join('\n'));
}

function hottestFiles(samples: readonly Sample[], text: (value: string) => string): string {
  const byFile = new Map<string, { requests: number; l1: number; l2: number; team: number; cold: number; failed: number }>();
  for (const s of samples) {
    const row = byFile.get(s.path) ?? { requests: 0, l1: 0, l2: 0, team: 0, cold: 0, failed: 0 };
    row.requests++;
    row[s.tier ?? 'failed']++;
    byFile.set(s.path, row);
  }
  const rows = [...byFile.entries()]
    .sort((a, b) => b[1].requests - a[1].requests || (a[0] < b[0] ? -1 : 1))
    .slice(0, 20)
    .map(([file, r]) => `<tr><th class="path">${text(file)}</th><td>${r.requests}</td><td>${r.l1}</td><td>${r.l2}</td><td>${r.cold}</td><td>${r.failed}</td></tr>`);
  return `<h2>The files asked about most</h2>
<table><thead><tr><th>file</th><th>requests</th><th>l1</th><th>l2</th><th>cold</th><th>failed</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table>`;
}

/** The smallest and largest of many values (spreading them into Math.min would overflow the stack). */
function extent(values: readonly number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const value of values) {
    if (value < lo) lo = value;
    if (value > hi) hi = value;
  }
  return values.length ? [lo, hi] : [1, 10];
}

function ms(value: number): string {
  return value >= 100 ? value.toFixed(0) : value.toFixed(2);
}

function share(n: number, total: number): string {
  return percent(total ? n / total : 0);
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 940px; color: #222; padding: 0 12px; }
h1 { font-size: 20px; word-break: break-all; } h2 { font-size: 16px; margin: 28px 0 8px; }
.meta { color: #555; }
table { border-collapse: collapse; margin: 8px 0; } table.narrow { display: inline-table; margin-right: 24px; vertical-align: top; }
th, td { padding: 3px 10px; border-bottom: 1px solid #e3e3e3; text-align: right; font-variant-numeric: tabular-nums; }
th { text-align: left; font-weight: 600; } th.path { font-weight: normal; font-family: ui-monospace, monospace; word-break: break-all; }
td.met { color: #2e7d32; text-align: left; } td.missed, span.missed { color: #c62828; font-weight: 600; text-align: left; } td.na { color: #888; text-align: left; }
span.met { color: #2e7d32; }
figure { margin: 0; } svg { width: 100%; height: auto; display: block; }
svg text { font-size: 11px; fill: #444; } svg .grid { stroke: #eee; } svg .plot { fill: none; stroke: #bbb; }
figcaption { font-size: 12px; color: #444; margin: 2px 0 8px 64px; }
.key { margin-right: 14px; white-space: nowrap; } .swatch { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border-radius: 2px; vertical-align: -1px; }
`;
