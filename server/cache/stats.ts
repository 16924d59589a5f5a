import type { AnswerSource } from '../../shared/types';

const WINDOW = 2048;

/** Counts and latencies of answered questions: the one source of the numbers in `CacheStats`. */
export class QueryStats {
  l1Hits = 0;
  l1Misses = 0;
  l2Hits = 0;
  /** Questions L2 was asked about and could not answer (rollout and kill switch permitting). */
  l2Misses = 0;
  queries = 0;
  /** Full answers only (ail/context, the Ask Why panel, the CLI): what a person asked, not hovers, lenses or annotations. */
  questions = 0;
  questionHits = 0;
  private totalMs = 0;
  private readonly recent = new Float64Array(WINDOW);
  private recentCount = 0;

  record(source: AnswerSource, ms: number, depth: 'quick' | 'full' = 'full'): void {
    if (depth === 'full') {
      this.questions++;
      if (source === 'l1' || source === 'l2') this.questionHits++;
    }
    this.queries++;
    this.totalMs += ms;
    this.recent[this.recentCount++ % WINDOW] = ms;
    if (source === 'l1') this.l1Hits++;
    else this.l1Misses++;
    if (source === 'l2') this.l2Hits++;
  }

  get hitRate(): number {
    return this.queries === 0 ? 0 : (this.l1Hits + this.l2Hits) / this.queries;
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

  reset(): void {
    this.l1Hits = this.l1Misses = this.l2Hits = this.l2Misses = this.queries = this.questions = this.questionHits = this.totalMs = this.recentCount = 0;
  }
}
