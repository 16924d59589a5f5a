import * as path from 'node:path';
import { settingsFromEnv } from '../../shared/settings';
import type { CacheStats } from '../../shared/types';
import { safeJson, visible } from '../../shared/visible';
import { Engine } from '../engine';
import { parseRepoOptions } from './options';
import { progressPrinter } from './progress';

/** `ail index`: builds the repository's commit index, or loads it and adds the commits since. */
export async function runIndex(argv: readonly string[], out: NodeJS.WriteStream, err: NodeJS.WriteStream): Promise<number> {
  const options = parseRepoOptions('index', argv);
  const settings = { ...settingsFromEnv(process.env), semanticIndexEnabled: true };
  const engine = new Engine(settings, { buildIndexes: true, onProgress: progressPrinter(err), logSink: quiet });
  try {
    const started = performance.now();
    const outcome = await engine.index(path.resolve(options.repo));
    if (outcome.embedderFallback) err.write(`ail: ${visible(outcome.embedderFallback)}\n`);
    const index = outcome.index;
    if (!index || index.state !== 'ready') {
      err.write(`ail: indexing failed: ${visible(index?.reason ?? 'the semantic layer is off')}\n`);
      return 1;
    }
    const run = index.run;
    if (run?.reason) err.write(`ail: ${visible(rebuiltSentence(run.reason))}\n`);
    for (const warning of index.warnings) if (!warning.startsWith(REBUILT)) err.write(`ail: ${visible(warning)}\n`);
    const summary = {
      repository: outcome.root,
      directory: outcome.directory,
      embedder: index.embedderId,
      commits: index.count,
      head: index.head,
      run: run?.kind,
      ...(run?.reason ? { reason: run.reason } : {}),
      embedded: run?.embedded ?? 0,
      seconds: Math.round((performance.now() - started) / 10) / 100,
    };
    out.write(
      options.json
        ? `${safeJson(summary)}\n`
        : `${summary.run} the commit index of ${visible(summary.repository)}: ${summary.commits} commits (${summary.embedded} embedded now) with ${summary.embedder} in ${summary.seconds} s\n  ${visible(summary.directory)}\n`,
    );
    return 0;
  } finally {
    await engine.dispose();
  }
}

/** A one-shot command says what matters on stderr itself; the engine's own log lines go only to AIL_LOG_FILE. */
export const quiet = (): void => undefined;

const REBUILT = 'index-rebuilt: ';

/** What `ail index` and `ail validate` say when a stored index was thrown away. */
export function rebuiltSentence(reason: string): string {
  return `the stored index could not be used (${reason}), so it was rebuilt`;
}

/** `ail stats`: the cache and index figures of this process, with the repository's stored index loaded. */
export async function runStats(argv: readonly string[], out: NodeJS.WriteStream): Promise<number> {
  const options = parseRepoOptions('stats', argv);
  const engine = new Engine(settingsFromEnv(process.env), { logSink: quiet });
  try {
    await engine.openStoredIndex(path.resolve(options.repo));
    const stats = engine.stats();
    out.write(options.json ? `${safeJson(stats)}\n` : `${formatStats(stats)}\n`);
    return 0;
  } finally {
    await engine.dispose();
  }
}

export function formatStats(stats: CacheStats): string {
  const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;
  return [
    `queries ${stats.queries}, hit rate ${(stats.hitRate * 100).toFixed(1)}%, avg ${stats.avgQueryTimeMs} ms, p95 ${stats.p95QueryTimeMs} ms`,
    `L1 ${stats.l1.size}/${stats.l1.capacity}: ${stats.l1.hits} hits, ${stats.l1.misses} misses`,
    `L2 ${stats.l2.enabled ? 'on' : 'off'}, rollout ${stats.l2.rollout}%, threshold ${stats.l2.threshold}, ${stats.l2.size}/${stats.l2.capacity}: ${stats.l2.hits} hits, ${stats.l2.misses} misses`,
    ...(stats.team ? [`team (Redis) ${stats.team.state}${stats.team.reason ? ` (${stats.team.reason})` : ''}: ${stats.team.hits} hits, ${stats.team.misses} misses, ${stats.team.written} shared, ${stats.team.errors} errors`] : []),
    `index ${stats.index.state}, ${stats.index.commits} commits, embedder ${stats.index.embedder}`,
    `memory ${mb(stats.memoryRssBytes)} RSS`,
  ].join('\n');
}
