import type { AnswerSource } from '../../shared/types';
import type { Sample } from './http-load';

/** The tiers an answer comes from (`source`), in the order they are asked. */
export const TIERS: readonly AnswerSource[] = ['l1', 'l2', 'cold'];

export interface Latency {
  count: number;
  /** Round trips as the client saw them, ms. */
  p50: number;
  p95: number;
  p99: number;
  /** What the service said the questions took (`queryTimeMs`), ms: the rest of a round trip is HTTP, JSON and queueing. */
  serverP50: number;
  serverP95: number;
}

/** One slice of the run's time line. */
export interface Bucket {
  /** Its start, in seconds from the start of the run. */
  t: number;
  /** Answers completed in it, per second. */
  qps: number;
  answered: number;
  l1: number;
  l2: number;
  cold: number;
  failed: number;
  /** Round trips of the answers sent in it, ms (0 when none). */
  p50: number;
  p95: number;
}

export interface HttpSummary {
  requests: number;
  answered: number;
  failed: number;
  /** Answers cut short by the service's time limit (counted in their tier too). */
  partial: number;
  elapsedS: number;
  /** Answers per second over the run. */
  qps: number;
  /** The lowest answers per second of any whole second of the run (after the first). */
  slowestSecondQps: number;
  tiers: Record<AnswerSource, Latency>;
  overall: Latency;
  /** Shares of the answers: l1, l2 and both. */
  hitRate: { l1: number; l2: number; overall: number };
  /** Failed requests by HTTP status ('no response' when none came). */
  errors: Record<string, number>;
  /** Failed requests by the error code of the body, or the network error. */
  errorCodes: Record<string, number>;
  bucketS: number;
  series: Bucket[];
}

/** The figures of a run; every count adds up: answered + failed = requests, the tiers' counts = answered. */
export function summarize(samples: readonly Sample[], elapsedMs: number): HttpSummary {
  const answered = samples.filter((s) => s.tier !== undefined);
  const failures = samples.filter((s) => s.tier === undefined);
  const tiers = Object.fromEntries(TIERS.map((tier) => [tier, latency(answered.filter((s) => s.tier === tier))])) as Record<AnswerSource, Latency>;
  const count = (key: (s: Sample) => string) => {
    const counts: Record<string, number> = {};
    for (const s of failures) counts[key(s)] = (counts[key(s)] ?? 0) + 1;
    return counts;
  };
  const share = (n: number) => round(answered.length ? n / answered.length : 0, 4);
  const elapsedS = elapsedMs / 1000;
  const bucketS = bucketWidth(elapsedS);
  return {
    requests: samples.length,
    answered: answered.length,
    failed: failures.length,
    partial: answered.filter((s) => s.partial).length,
    elapsedS: round(elapsedS, 3),
    qps: round(elapsedS > 0 ? answered.length / elapsedS : 0, 1),
    slowestSecondQps: slowestSecond(answered, elapsedS),
    tiers,
    overall: latency(answered),
    hitRate: { l1: share(tiers.l1.count), l2: share(tiers.l2.count), overall: share(tiers.l1.count + tiers.l2.count) },
    errors: count((s) => (s.status === 0 ? 'no response' : String(s.status))),
    errorCodes: count((s) => s.error ?? 'unknown'),
    bucketS,
    series: series(samples, elapsedS, bucketS),
  };
}

function latency(samples: readonly Sample[]): Latency {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const server = samples.map((s) => s.serverMs ?? 0).sort((a, b) => a - b);
  return {
    count: samples.length,
    p50: percentile(ms, 0.5),
    p95: percentile(ms, 0.95),
    p99: percentile(ms, 0.99),
    serverP50: percentile(server, 0.5),
    serverP95: percentile(server, 0.95),
  };
}

/** Nearest rank of sorted values: the smallest value with at least q of the values at or below it. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!, 2);
}

/** About 60 slices of a round width (0.1 s, 0.2 s, 0.5 s, 1 s, 2 s, 5 s...). */
function bucketWidth(elapsedS: number): number {
  const rough = Math.max(0.1, elapsedS / 60);
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].find((m) => m * magnitude >= rough)! * magnitude;
  return round(step, 3);
}

function series(samples: readonly Sample[], elapsedS: number, bucketS: number): Bucket[] {
  const count = Math.max(1, Math.ceil(elapsedS / bucketS));
  const buckets = Array.from({ length: count }, (_, i) => ({ t: round(i * bucketS, 3), answered: 0, l1: 0, l2: 0, team: 0, cold: 0, failed: 0, ms: [] as number[] }));
  const slot = (ms: number) => buckets[Math.min(count - 1, Math.floor(ms / 1000 / bucketS))]!;
  for (const s of samples) {
    const done = slot(s.at + s.ms);
    if (s.tier === undefined) {
      done.failed++;
      continue;
    }
    done.answered++;
    done[s.tier]++;
    slot(s.at).ms.push(s.ms);
  }
  return buckets.map(({ ms, ...b }) => {
    const sorted = ms.sort((x, y) => x - y);
    // The last slice may be short: its rate is over the time it covers.
    const width = Math.min(bucketS, Math.max(elapsedS - b.t, 1e-3));
    return { ...b, qps: round(b.answered / width, 1), p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95) };
  });
}

function slowestSecond(answered: readonly Sample[], elapsedS: number): number {
  const seconds = Math.floor(elapsedS);
  if (seconds < 3) return round(elapsedS > 0 ? answered.length / elapsedS : 0, 1);
  const per = new Array<number>(seconds).fill(0);
  for (const s of answered) {
    const second = Math.floor((s.at + s.ms) / 1000);
    if (second < seconds) per[second]!++;
  }
  // The first second includes the connections' set-up and the first cold questions of a service just started.
  return Math.min(...per.slice(1));
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** A figure the seed set a target for, and whether the run met it (undefined: nothing to judge, e.g. no L2 answer). */
export interface TargetCheck {
  figure: string;
  text: string;
  value: number;
  unit: string;
  met: boolean | undefined;
}

/** The seed's targets for the HTTP service: 110+ answers per second sustained; p95 of 450 ms cold, 2 ms from L1, 35 ms from L2. */
export function checkTargets(summary: HttpSummary): TargetCheck[] {
  const p95 = (tier: AnswerSource, limit: number): TargetCheck => {
    const figures = summary.tiers[tier];
    return { figure: `${tier} p95`, text: `p95 <= ${limit} ms`, value: figures.p95, unit: 'ms', met: figures.count ? figures.p95 <= limit : undefined };
  };
  return [
    { figure: 'throughput', text: '110+ qps sustained', value: summary.qps, unit: 'qps', met: summary.answered ? summary.qps >= 110 : undefined },
    p95('cold', 450),
    p95('l1', 2),
    p95('l2', 35),
  ];
}
