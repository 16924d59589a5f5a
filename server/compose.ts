import { homedir } from 'node:os';
import * as path from 'node:path';
import type { Settings } from '../shared/settings';
import type { CacheStats, GitHubStats } from '../shared/types';
import { MergeCommitEnricher } from './archaeology/enrichers';
import { ArchaeologyProvider, type SlowBlame } from './archaeology/provider';
import { AnswerService } from './cache/answers';
import { TeamCache } from './cache/team';
import { rootCommits } from './github/team-cache';
import { GitStore } from './git/git-store';
import { RepositoryRegistry } from './git/registry';
import { PullRefEnricher } from './archaeology/pull-ref-enricher';
import type { RateState } from './github/budget';
import { GitHubClient } from './github/client';
import { GitHubEnricher } from './github/enricher';
import { GITHUB_API_URL, webUrlOf } from './github/repository';
import { GitHubTokens } from './github/token';
import { SemanticLayer } from './semantic/layer';
import { SemanticSource } from './semantic/source';
import { Metrics } from './observe/metrics';
import { cacheStats } from './observe/stats';

/**
 * The engine's parts, built in one place. Front ends use them through the façade (`server/engine.ts`);
 * only the benchmarks and `ail validate`, which measure and check the parts themselves, hold them.
 */
export interface EngineParts {
  registry: RepositoryRegistry;
  provider: ArchaeologyProvider;
  /** Questions go through here: L1, L2, then the provider. */
  answers: AnswerService;
  semantic: SemanticLayer;
  /** The GitHub token, asked per request: the client's, GITHUB_TOKEN, or gh's. */
  tokens: GitHubTokens;
  github: GitHubEnricher;
  /** What is counted as questions are answered: the one source of `CacheStats` and of the Prometheus metrics. */
  metrics: Metrics;
  /** The figures of `ail/stats`, `/v1/stats` and the status bar. */
  stats(): CacheStats;
  /** The rate budget of the GitHub in use (`GITHUB_API_URL`), once it was asked. */
  githubRate(): (RateState & { cacheHits: number }) | undefined;
  /** Settings changed: the caches and the GitHub target follow at once. */
  configure(settings: Settings): void;
  dispose(): Promise<void>;
}

export interface EngineOptions {
  /**
   * A long-lived process (the server): blame whole files in the background after a question about some
   * of their lines, and answer before a slow line history is done, for the next question to find it.
   */
  warmFiles?: boolean;
  /**
   * A one-shot command (`ail ask`): waits for blame longer than the time limit (reporting it through
   * `onSlowBlame`), and `Engine.settle` finishes what the time limit cut, so it is stored for the next.
   */
  oneShot?: boolean;
  onSlowBlame?: (report: SlowBlame) => void;
  /** Build commit indexes that do not exist yet (the server, `ail index`); a one-shot `ail ask` only uses stored ones. */
  buildIndexes?: boolean;
  onProgress?: ConstructorParameters<typeof SemanticLayer>[0]['onProgress'];
  onProgressEnd?: ConstructorParameters<typeof SemanticLayer>[0]['onProgressEnd'];
  log?: (message: string) => void;
  /** The gh CLI asked for a token when no other is set (default `gh` on PATH); false never runs it. */
  gh?: string | false;
  /** The rate budget of a GitHub changed (for the status bar). */
  onGitHubRate?: () => void;
}

export function composeEngine(settings: Settings, options: EngineOptions = {}): EngineParts {
  const dataDir = settings.dataDir ?? path.join(homedir(), '.cache', 'ail');
  // Blames and line histories outlive the process: the next question, command or editor starts from them.
  const store = new GitStore(path.join(dataDir, 'git'), { log: options.log });
  const registry = new RepositoryRegistry({
    maxConcurrent: settings.maxWorkers,
    defaultTimeoutMs: Math.max(30_000, settings.maxQueryTimeS * 1000 * 5),
    writeCommitGraph: settings.writeCommitGraph,
    store,
  });
  const semantic = new SemanticLayer({
    dataDir: settings.dataDir,
    model: settings.embeddingModel,
    modelPath: settings.modelPath,
    allowRemote: settings.allowModelDownload,
    batchSize: settings.batchSize,
    buildMissing: options.buildIndexes ?? false,
    enabled: settings.semanticIndexEnabled,
    onProgress: options.onProgress,
    onProgressEnd: options.onProgressEnd,
    log: options.log,
  });
  const tokens = new GitHubTokens(settings.githubToken, options.gh ?? 'gh');
  // One client per GitHub (github.com, an Enterprise server): its own budget, its own folder of the disk cache.
  const clients = new Map<string, GitHubClient>();
  const clientFor = (apiUrl: string): GitHubClient => {
    let client = clients.get(apiUrl);
    if (!client) {
      const host = new URL(webUrlOf(apiUrl)).host;
      client = new GitHubClient({
        baseUrl: apiUrl,
        token: async () => (await tokens.token(host))?.value,
        cacheDir: path.join(dataDir, 'github', host.replace(/[^\w.-]/g, '_')),
        timeoutMs: Math.max(2000, settings.maxQueryTimeS * 1000),
        log: options.log,
        onRateChange: () => options.onGitHubRate?.(),
        team: () => team,
      });
      clients.set(apiUrl, client);
    }
    return client;
  };
  let apiUrl = settings.githubApiUrl ?? GITHUB_API_URL;
  // The team's shared Redis: connected at the first question, replaced when its URL or budget changes.
  const teamOf = (next: Settings) => (next.teamRedisUrl ? new TeamCache({ teamRedisUrl: next.teamRedisUrl, teamBudgetMs: next.teamBudgetMs }, options.log) : undefined);
  let team = teamOf(settings);
  let teamSettings = settings;
  const roots = rootCommits();
  const github = new GitHubEnricher(
    (url) => ({ client: clientFor(url), hasToken: async () => (await tokens.token(new URL(webUrlOf(url)).host)) !== undefined }),
    { owner: settings.githubOwner, repo: settings.githubRepo, apiUrl },
    Date.now,
    // GitHub's answers are shared only while there is a team tier, under the repository's root commit.
    async (repo) => (team ? roots(repo) : undefined),
  );
  const provider = new ArchaeologyProvider({
    registry,
    sources: [new SemanticSource(semantic)],
    enrichers: [new MergeCommitEnricher(), new PullRefEnricher(), github],
    warmFiles: options.warmFiles ?? false,
    answerBeforeHistory: options.warmFiles ?? false,
    keepCutWork: options.warmFiles ?? false,
    oneShot: options.oneShot ?? false,
    onSlowBlame: options.onSlowBlame,
  });
  const metrics = new Metrics();
  const remoteOf = async (target: { repo: Parameters<GitHubEnricher['repository']>[0] }) => {
    const repository = await github.repository(target.repo, { secret: false }); // no git process on the way to the team tier
    return repository ? `${repository.apiUrl}/${repository.owner}/${repository.name}`.toLowerCase() : '';
  };
  const answers = new AnswerService({ provider, embedder: () => semantic.embedder(), embedderFallback: () => semantic.fallbackReason, metrics, team: () => team, remoteOf }, settings);
  return {
    registry,
    provider,
    answers,
    semantic,
    tokens,
    github,
    metrics,
    stats: () =>
      cacheStats(metrics, {
        caches: answers.state(),
        index: { ...semantic.status(), ...(semantic.fallbackReason ? { fallback: semantic.fallbackReason } : {}) },
        indexes: semantic.statuses(),
        warming: registry.background.count,
        github: githubStats(clients.get(apiUrl)?.rateState()),
      }),
    githubRate: () => clients.get(apiUrl)?.rateState(),
    configure: (next) => {
      answers.configure(next);
      apiUrl = next.githubApiUrl ?? GITHUB_API_URL;
      github.configure({ owner: next.githubOwner, repo: next.githubRepo, apiUrl });
      if (next.teamRedisUrl !== teamSettings.teamRedisUrl || next.teamBudgetMs !== teamSettings.teamBudgetMs) {
        void team?.dispose();
        team = teamOf(next);
        teamSettings = next;
      }
    },
    dispose: async () => {
      await team?.dispose();
      provider.dispose();
      semantic.dispose();
      await store.flush(); // what was computed is kept, even by a process about to end
      await registry.dispose();
    },
  };
}

function githubStats(state: (RateState & { cacheHits: number }) | undefined): GitHubStats | undefined {
  if (!state) return undefined;
  const iso = (ms: number | undefined) => (ms === undefined ? {} : { value: new Date(ms).toISOString() });
  const limitedUntil = state.limitedUntil !== undefined && state.limitedUntil > Date.now() ? iso(state.limitedUntil).value : undefined;
  return {
    requests: state.sent,
    spent: state.spent,
    notModified: state.notModified,
    cacheHits: state.cacheHits,
    ...(state.limit !== undefined ? { limit: state.limit } : {}),
    ...(state.remaining !== undefined ? { remaining: state.remaining } : {}),
    ...(state.resetAt !== undefined ? { resetAt: iso(state.resetAt).value! } : {}),
    ...(limitedUntil ? { limitedUntil } : {}),
  };
}
