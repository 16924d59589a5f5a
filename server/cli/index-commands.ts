import * as path from 'node:path';
import { settingsFromEnv } from '../../shared/settings';
import type { CacheStats } from '../../shared/types';
import { safeJson, visible } from '../../shared/visible';
import { createEngine, type Engine } from '../compose';
import { storedEmbedderId } from '../semantic/layer';
import { parseRepoOptions } from './options';
import { progressPrinter } from './progress';

/** `ail index`: builds the repository's commit index, or loads it and adds the commits since. */
export async function runIndex(argv: readonly string[], out: NodeJS.WriteStream, err: NodeJS.WriteStream): Promise<number> {
  const options = parseRepoOptions('index', argv);
  const settings = { ...settingsFromEnv(process.env), semanticIndexEnabled: true };
  const printer = progressPrinter(err);
  const engine = createEngine(settings, { buildIndexes: true, onProgress: printer });
  try {
    const started = performance.now();
    const { repo } = await engine.registry.forDirectory(path.resolve(options.repo));
    await repo.requireHead();
    const embedder = await engine.semantic.start();
    if (embedder.kind === 'ready' && embedder.fallback) err.write(`ail: using ${embedder.embedder.id}: ${visible(embedder.fallback)}\n`);
    const index = await engine.semantic.ready(repo);
    if (!index || index.state !== 'ready') {
      err.write(`ail: indexing failed: ${visible(index?.reason ?? 'the semantic layer is off')}\n`);
      return 1;
    }
    const run = index.lastRun;
    if (run?.reason) err.write(`ail: ${visible(rebuiltSentence(run.reason))}\n`);
    for (const warning of index.warnings) if (!warning.startsWith(REBUILT)) err.write(`ail: ${visible(warning)}\n`);
    const summary = {
      repository: repo.root,
      directory: engine.semantic.indexDir(repo),
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

const REBUILT = 'index-rebuilt: ';

/** What `ail index` and `ail validate` say when a stored index was thrown away. */
export function rebuiltSentence(reason: string): string {
  return `the stored index could not be used (${reason}), so it was rebuilt`;
}

/** `ail stats`: the cache and index figures of this process, with the repository's stored index loaded. */
export async function runStats(argv: readonly string[], out: NodeJS.WriteStream): Promise<number> {
  const options = parseRepoOptions('stats', argv);
  const engine = createEngine(settingsFromEnv(process.env));
  try {
    await openStoredIndex(engine, path.resolve(options.repo));
    const stats = engine.answers.cacheStats();
    out.write(options.json ? `${safeJson(stats)}\n` : `${formatStats(stats)}\n`);
    return 0;
  } finally {
    await engine.dispose();
  }
}

/** Loads the repository's stored commit index, if it has one, without building anything. */
export async function openStoredIndex(engine: Engine, directory: string, signal?: AbortSignal): Promise<void> {
  const { repo } = await engine.registry.forDirectory(directory);
  const stored = storedEmbedderId(engine.semantic.indexDir(repo));
  if (!stored) return;
  await engine.semantic.start(signal, stored);
  await engine.semantic.ready(repo, signal);
}

export function formatStats(stats: CacheStats): string {
  const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;
  return [
    `queries ${stats.queries}, hit rate ${(stats.hitRate * 100).toFixed(1)}%, avg ${stats.avgQueryTimeMs} ms, p95 ${stats.p95QueryTimeMs} ms`,
    `L1 ${stats.l1.size}/${stats.l1.capacity}: ${stats.l1.hits} hits, ${stats.l1.misses} misses`,
    `L2 ${stats.l2.enabled ? 'on' : 'off'}, rollout ${stats.l2.rollout}%, threshold ${stats.l2.threshold}, ${stats.l2.size}/${stats.l2.capacity}: ${stats.l2.hits} hits, ${stats.l2.misses} misses`,
    `index ${stats.index.state}, ${stats.index.commits} commits, embedder ${stats.index.embedder}`,
    `memory ${mb(stats.memoryRssBytes)} RSS`,
  ].join('\n');
}
