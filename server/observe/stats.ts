import type { CacheStats, GitHubStats, RepositoryIndex } from '../../shared/types';
import type { CacheState } from '../cache/answers';
import type { Metrics } from './metrics';

/** What `CacheStats` is made of besides the counts: each read when the stats are asked for. */
export interface StatsSources {
  caches: CacheState;
  /** The first repository's commit index (`CacheStats.index`). */
  index: CacheStats['index'];
  /** Every repository's commit index. */
  indexes?: RepositoryIndex[];
  /** Files being blamed ahead of their questions. */
  warming: number;
  /** The GitHub in use, once asked. */
  github?: GitHubStats;
}

/** `CacheStats`, from the metrics and the state of the caches, the indexes and GitHub. */
export function cacheStats(metrics: Metrics, sources: StatsSources): CacheStats {
  const round = (n: number, places: number) => Math.round(n * 10 ** places) / 10 ** places;
  return {
    l1: { hits: metrics.l1Hits, misses: metrics.l1Misses, ...sources.caches.l1 },
    l2: { hits: metrics.l2Hits, misses: metrics.l2Misses, ...sources.caches.l2 },
    hitRate: round(metrics.hitRate, 6),
    questions: { queries: metrics.questions, hitRate: round(metrics.questionHitRate, 6) },
    queries: metrics.queries,
    avgQueryTimeMs: round(metrics.avgMs, 2),
    p95QueryTimeMs: round(metrics.p95Ms, 2),
    index: sources.index,
    ...(sources.indexes ? { indexes: sources.indexes } : {}),
    warming: sources.warming,
    ...(sources.github ? { github: sources.github } : {}),
    ...(sources.caches.team ? { team: sources.caches.team } : {}),
    memoryRssBytes: process.memoryUsage.rss(),
  };
}
