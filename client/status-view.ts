import type { CacheStats } from '../shared/types';
import { visible } from '../shared/visible';
import { repositoryName } from './repositories';

/** Everything the status bar item can say: one state, one item. */
export type AilState =
  | { kind: 'starting' }
  | { kind: 'indexing'; stats: CacheStats }
  | { kind: 'ready'; stats: CacheStats }
  | { kind: 'degraded'; stats: CacheStats; reasons: string[] }
  | { kind: 'error'; message: string }
  | { kind: 'disabled'; reason: string };

export interface StatusView {
  text: string;
  tooltip: string;
  /** The item's background: VS Code has these two (`statusBarItem.warningBackground`, `statusBarItem.errorBackground`). */
  background?: 'warning' | 'error';
}

/** Below these hit rates the item turns warning and error coloured (the seed's alert thresholds), once there are enough queries to judge. */
export const WARNING_HIT_RATE = 0.4;
export const ERROR_HIT_RATE = 0.3;
export const MIN_QUERIES_TO_JUDGE = 20;

/** The state a `ail/status` says, with what the client knows besides (GitHub unreachable on the last answer). */
export function stateOf(stats: CacheStats, known: { githubUnavailable?: boolean; githubAuth?: boolean } = {}, nowMs = Date.now()): AilState {
  if (stats.index.state === 'building') return { kind: 'indexing', stats };
  const reasons: string[] = [];
  if (stats.index.fallback) reasons.push(`the embedding model could not be loaded (${stats.index.fallback}): questions and commits are matched by their words`);
  if (stats.index.state === 'failed') reasons.push('the commit index could not be built: Rebuild Index tries again');
  if (known.githubUnavailable) reasons.push('GitHub could not be reached: pull requests and issues are not described');
  if (known.githubAuth) reasons.push('GitHub refused the token: Set GitHub Token gives it a new one');
  const limitedUntil = stats.github?.limitedUntil ? Date.parse(stats.github.limitedUntil) : NaN;
  if (limitedUntil > nowMs) reasons.push(`GitHub: rate limited until ${clock(limitedUntil)}`);
  const team = stats.team;
  if (team && team.state !== 'ready' && team.state !== 'connecting') reasons.push(`the team cache (Redis) is ${team.state}${team.reason ? ` (${team.reason})` : ''}: answers are dug locally and not shared`);
  return reasons.length > 0 ? { kind: 'degraded', stats, reasons } : { kind: 'ready', stats };
}

/** What the item shows for a state: `$(history) AIL 57% · L2 100%`, its tooltip (the full stats) and its colour. */
export function statusView(state: AilState): StatusView {
  switch (state.kind) {
    case 'starting':
      return { text: '$(sync~spin) AIL', tooltip: 'AIL: starting the language server' };
    case 'disabled':
      return { text: '$(circle-slash) AIL', tooltip: `AIL is off: ${visible(state.reason)}` };
    case 'error':
      return { text: '$(error) AIL', tooltip: `AIL: ${visible(state.message)}\nRestart Server starts it again.`, background: 'error' };
    case 'indexing': {
      const progress = state.stats.index.progress;
      const percent = progress && progress.total > 0 ? ` ${Math.floor((progress.done / progress.total) * 100)}%` : '';
      return { text: `$(sync~spin) AIL indexing${percent}`, tooltip: tooltip('indexing commit messages', state.stats) };
    }
    case 'ready':
      return { text: `$(history) ${rates(state.stats)}`, tooltip: tooltip('ready', state.stats), ...hitRateColour(state.stats) };
    case 'degraded':
      return { text: `$(warning) ${rates(state.stats)}`, tooltip: tooltip(`degraded: ${state.reasons.map(visible).join('; ')}`, state.stats), background: hitRateColour(state.stats).background ?? 'warning' };
  }
}

function rates(stats: CacheStats): string {
  const l2Asked = stats.l2.hits + stats.l2.misses;
  const l2 = !stats.l2.enabled ? 'L2 off' : l2Asked > 0 ? `L2 ${percent(stats.l2.hits / l2Asked)}` : 'L2 on';
  return stats.questions.queries > 0 ? `AIL ${percent(stats.questions.hitRate)} · ${l2}` : `AIL · ${l2}`;
}

/** Judged on questions only: a hover on a new line is a cache miss by nature, and a session of them is not a cache in trouble. */
function hitRateColour(stats: CacheStats): Pick<StatusView, 'background'> {
  const { queries, hitRate } = stats.questions;
  if (queries < MIN_QUERIES_TO_JUDGE) return {};
  if (hitRate < ERROR_HIT_RATE) return { background: 'error' };
  if (hitRate < WARNING_HIT_RATE) return { background: 'warning' };
  return {};
}

/** The full stats, a line each. */
export function tooltip(headline: string, stats: CacheStats): string {
  const index = stats.index;
  const lines = [
    `AIL: ${headline}`,
    `Questions: ${stats.questions.queries} · hit rate ${percent(stats.questions.hitRate)}${stats.questions.queries < MIN_QUERIES_TO_JUDGE ? ' (too few to judge)' : ''}`,
    `All answers, hovers and lenses included: ${stats.queries} · hit rate ${percent(stats.hitRate)}`,
    `Latency: average ${stats.avgQueryTimeMs} ms · p95 ${stats.p95QueryTimeMs} ms`,
    `L1 (exact): ${stats.l1.hits} hits · ${stats.l1.misses} misses · ${stats.l1.size}/${stats.l1.capacity} answers`,
    `L2 (semantic): ${stats.l2.enabled ? 'on' : 'off'} · ${stats.l2.hits} hits · ${stats.l2.misses} misses · ${stats.l2.size}/${stats.l2.capacity} questions · threshold ${stats.l2.threshold} · rollout ${stats.l2.rollout}%`,
    ...(stats.team ? [`Team cache (Redis): ${stats.team.state}${stats.team.reason ? `: ${visible(stats.team.reason)}` : ''} · ${stats.team.hits} hits · ${stats.team.misses} misses · ${stats.team.written} shared`] : []),
    `Commit index${index.root ? ` of ${visible(repositoryName(index.root))}` : ''}: ${index.state} · ${index.commits} commits · ${visible(index.embedder)}${index.progress ? ` · ${index.progress.done}/${index.progress.total} embedded` : ''}`,
  ];
  if (index.fallback) lines.push(`Embedder fallback: ${visible(index.fallback)}`);
  const github = stats.github;
  if (github) {
    const budget = github.remaining !== undefined && github.limit !== undefined ? ` · ${github.remaining}/${github.limit} left${github.resetAt ? `, resets ${clock(Date.parse(github.resetAt))}` : ''}` : '';
    lines.push(`GitHub: ${github.requests} requests (${github.spent} counted, ${github.notModified} not modified) · ${github.cacheHits} from the disk cache${budget}`);
  }
  if (stats.warming > 0) lines.push(`Warming: ${stats.warming} file${stats.warming === 1 ? '' : 's'}`);
  lines.push(`Memory: ${Math.round(stats.memoryRssBytes / 1_048_576)} MB`, 'Click for Show Cache Stats.');
  return lines.join('\n');
}

function percent(rate: number): string {
  return `${Math.round(rate * 100)}%`;
}

/** A time of day as the user reads it: 14:05. */
function clock(ms: number): string {
  const date = new Date(ms);
  return `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
}
