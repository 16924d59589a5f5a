import type { AnswerSource } from '../../shared/types';

/** The tier that answered: L1, L2, the team's Redis, or the engine itself (`cold`). */
export type Tier = AnswerSource;
export const TIERS: readonly Tier[] = ['l1', 'l2', 'team', 'cold'];

/**
 * Failed requests by kind: `bad_input` (a question the engine refused: a path outside the repository, a
 * line past the end), `internal` (a bug or a broken environment), `timeout` (an answer cut by the time
 * limit, served partial).
 */
export type ErrorType = 'bad_input' | 'internal' | 'timeout';
export const ERROR_TYPES: readonly ErrorType[] = ['bad_input', 'internal', 'timeout'];

/** The latency buckets of the seed's histogram, in seconds. */
export const LATENCY_BUCKETS_S: readonly number[] = [0.01, 0.05, 0.1, 0.5, 1, 2, 5];

const WINDOW = 2048;

/** One tier's latency histogram: counts per bucket (not cumulative; the last one is +Inf), sum and count. */
export interface LatencyHistogram {
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

/**
 * What the engine counts as it answers: the one source of `CacheStats` and of the Prometheus registry,
 * written by `AnswerService` (hits, misses, latencies) and by the front ends (errors). Plain numbers: no
 * exporter library is loaded until metrics are asked for.
 */
export class Metrics {
  l1Hits = 0;
  l1Misses = 0;
  l2Hits = 0;
  /** Questions L2 was asked about and could not answer (rollout and kill switch permitting). */
  l2Misses = 0;
  teamHits = 0;
  /** Questions the team tier was asked and could not answer (not there, not decodable, or Redis unavailable). */
  teamMisses = 0;
  queries = 0;
  /** Full answers only (ail/context, the Ask Why panel, the CLI, the HTTP service): what a person or an agent asked, not hovers, lenses or annotations. */
  questions = 0;
  questionHits = 0;
  readonly errors: Record<ErrorType, number> = { bad_input: 0, internal: 0, timeout: 0 };
  readonly latency: Record<Tier, LatencyHistogram> = { l1: histogram(), l2: histogram(), team: histogram(), cold: histogram() };
  private totalMs = 0;
  private readonly recent = new Float64Array(WINDOW);
  private recentCount = 0;

  /** An answer was served by `tier` in `ms`; a partial one also counts as a timeout. */
  answered(tier: Tier, ms: number, depth: 'quick' | 'full' = 'full', partial = false): void {
    if (depth === 'full') {
      this.questions++;
      if (tier !== 'cold') this.questionHits++;
    }
    this.queries++;
    this.totalMs += ms;
    this.recent[this.recentCount++ % WINDOW] = ms;
    if (tier === 'l1') this.l1Hits++;
    else this.l1Misses++;
    if (tier === 'l2') this.l2Hits++;
    if (tier === 'team') this.teamHits++;
    if (partial) this.errors.timeout++;
    const h = this.latency[tier];
    const seconds = ms / 1000;
    let bucket = LATENCY_BUCKETS_S.findIndex((bound) => seconds <= bound);
    if (bucket < 0) bucket = LATENCY_BUCKETS_S.length;
    h.buckets[bucket]!++;
    h.sum += seconds;
    h.count++;
  }

  failed(type: Exclude<ErrorType, 'timeout'>): void {
    this.errors[type]++;
  }

  get hitRate(): number {
    return this.queries === 0 ? 0 : (this.l1Hits + this.l2Hits + this.teamHits) / this.queries;
  }

  /** The share of questions (full answers) the caches answered. */
  get questionHitRate(): number {
    return this.questions === 0 ? 0 : this.questionHits / this.questions;
  }

  get avgMs(): number {
    return this.queries === 0 ? 0 : this.totalMs / this.queries;
  }

  /** p95 over the last 2,048 answers. */
  get p95Ms(): number {
    const count = Math.min(this.recentCount, WINDOW);
    if (count === 0) return 0;
    const sorted = Array.from(this.recent.subarray(0, count)).sort((a, b) => a - b);
    return sorted[Math.min(count - 1, Math.floor(0.95 * count))]!;
  }
}

function histogram(): LatencyHistogram {
  return { buckets: new Float64Array(LATENCY_BUCKETS_S.length + 1), sum: 0, count: 0 };
}
