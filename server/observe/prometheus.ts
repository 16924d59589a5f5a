import { collectDefaultMetrics, Registry } from 'prom-client';
import type { CacheStats, IndexState } from '../../shared/types';
import { ERROR_TYPES, LATENCY_BUCKETS_S, TIERS, type Metrics } from './metrics';

type Labels = Record<string, string | number>;
interface Sample {
  value: number;
  labels?: Labels;
  metricName?: string;
}

const INDEX_STATES: readonly IndexState[] = ['off', 'building', 'ready', 'failed'];

/**
 * The Prometheus registry of one engine, named as the seed names its metrics. Every value is read when
 * Prometheus scrapes, from the same `Metrics` and `CacheStats` that `ail/stats` and `/v1/stats` answer:
 * there is one count of each thing. Process metrics (CPU, heap, event loop lag) come from prom-client,
 * prefixed `ail_`.
 */
export function prometheusRegistry(metrics: Metrics, stats: () => CacheStats): Registry {
  const registry = new Registry();
  // One CacheStats per scrape, however many metrics read it.
  let snapshot: { at: number; stats: CacheStats } | undefined;
  const current = () => {
    if (!snapshot || performance.now() - snapshot.at > 50) snapshot = { at: performance.now(), stats: stats() };
    return snapshot.stats;
  };
  const add = (name: string, help: string, type: 'counter' | 'gauge' | 'histogram', values: () => Sample[]) =>
    registry.registerMetric({
      name,
      help,
      type,
      get: async () => ({ name, help, type, values: values(), aggregator: 'sum' }),
      reset: () => undefined,
    } as never);

  add('ail_query_latency_seconds', 'Time to answer a question, by the tier that answered (l1, l2, team: the shared Redis, cold: the engine).', 'histogram', () =>
    TIERS.flatMap((tier) => {
      const h = metrics.latency[tier];
      let cumulative = 0;
      const buckets = [...LATENCY_BUCKETS_S, Number.POSITIVE_INFINITY].map((bound, i) => {
        cumulative += h.buckets[i]!;
        return { metricName: 'ail_query_latency_seconds_bucket', labels: { le: bound === Number.POSITIVE_INFINITY ? '+Inf' : bound, tier }, value: cumulative };
      });
      return [...buckets, { metricName: 'ail_query_latency_seconds_sum', labels: { tier }, value: h.sum }, { metricName: 'ail_query_latency_seconds_count', labels: { tier }, value: h.count }];
    }),
  );
  add('ail_cache_hits_total', 'Questions a cache tier answered.', 'counter', () => [
    { labels: { tier: 'l1' }, value: metrics.l1Hits },
    { labels: { tier: 'l2' }, value: metrics.l2Hits },
    { labels: { tier: 'team' }, value: metrics.teamHits },
  ]);
  add('ail_cache_misses_total', 'Questions a cache tier was asked and could not answer (L2: only those inside its rollout, while it is on).', 'counter', () => [
    { labels: { tier: 'l1' }, value: metrics.l1Misses },
    { labels: { tier: 'l2' }, value: metrics.l2Misses },
    { labels: { tier: 'team' }, value: metrics.teamMisses },
  ]);
  add('ail_cache_size_entries', 'Answers each cache tier holds.', 'gauge', () => [
    { labels: { tier: 'l1' }, value: current().l1.size },
    { labels: { tier: 'l2' }, value: current().l2.size },
  ]);
  add('ail_memory_usage_bytes', 'Resident set size of the AIL process.', 'gauge', () => [{ value: process.memoryUsage.rss() }]);
  add('ail_errors_total', 'Failed questions: bad_input (refused), internal, timeout (answered partial at the time limit).', 'counter', () =>
    ERROR_TYPES.map((type) => ({ labels: { type }, value: metrics.errors[type] })),
  );
  add('ail_semantic_rollout_percent', 'FAISS_ROLLOUT: the percentage of questions the semantic cache may answer.', 'gauge', () => [{ value: current().l2.rollout }]);
  add('ail_semantic_enabled', 'AIL_FAISS_ENABLED: 1 when the semantic cache is on.', 'gauge', () => [{ value: current().l2.enabled ? 1 : 0 }]);
  add('ail_index_state', 'The commit index of the (first) repository: 1 for its state.', 'gauge', () =>
    INDEX_STATES.map((state) => ({ labels: { state }, value: current().index.state === state ? 1 : 0 })),
  );
  add('ail_index_commits', 'Commits in the commit index of the (first) repository.', 'gauge', () => [{ value: current().index.commits }]);
  add('ail_github_rate_remaining', "Requests left in the GitHub token's rate budget (present once GitHub was asked).", 'gauge', () => {
    const remaining = current().github?.remaining;
    return remaining === undefined ? [] : [{ value: remaining }];
  });
  add('ail_github_requests_total', 'Requests sent to GitHub (present once GitHub was asked).', 'counter', () => {
    const github = current().github;
    return github ? [{ value: github.requests }] : [];
  });
  collectDefaultMetrics({ register: registry, prefix: 'ail_' });
  // prom-client names three gauges `_total`, which the exposition format keeps for counters (promtool
  // check metrics refuses them); the same counts stay, per type, as ail_nodejs_active_handles and _requests.
  for (const name of ['ail_nodejs_active_handles_total', 'ail_nodejs_active_requests_total', 'ail_nodejs_active_resources_total']) registry.removeSingleMetric(name);
  return registry;
}
