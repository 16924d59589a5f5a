import { tmpdir } from 'node:os';
import type { Health, ReindexResult, RepositoryHealth } from '../shared/protocol';
import type { Settings } from '../shared/settings';
import type { ArchaeologyContext, CacheStats } from '../shared/types';
import { visible } from '../shared/visible';
import type { AskInput } from './archaeology/provider';
import { composeEngine, type EngineOptions, type EngineParts } from './compose';
import type { Repository } from './git/repository';
import { GitRunner } from './git/runner';
import type { CommitIndexRun } from './semantic/commit-index';
import { storedEmbedderId } from './semantic/layer';
import { detectGitHubRepository, repositoryUrl, type GitHubRepository } from './github/repository';
import { Logger, type LogSink } from './observe/logger';
import { AilError, isAilError, type AilErrorCode } from './util/errors';
import { isCancelled } from './util/flight';
import { HistoryQueries, type BlameAnswer, type HistoryRequest, type LineHistoryAnswer, type SearchAnswer } from './history-queries';

/** A question, as every front end asks it: an absolute path, 0-based inclusive lines. */
export interface AskRequest extends AskInput {
  /** Bypass both answer caches (a person asked again, distrusting the answer). */
  fresh?: boolean;
  /** GITHUB_OWNER/GITHUB_REPO/GITHUB_API_URL for this file, when a front end has them per folder (the language server); default the engine's. */
  github?: GitHubTarget;
}

type GitHubTarget = Pick<Settings, 'githubOwner' | 'githubRepo' | 'githubApiUrl'>;

/** A repository to check or index: a folder (a workspace folder, `--repo`) or a file or folder a user named. */
export interface RepositoryTarget {
  path: string;
  isFolder: boolean;
}

/** What `ail index` did: where the index is, and its state after the run. */
export interface IndexOutcome {
  root: string;
  directory: string;
  /** Why the model is not used, when the lexical fallback embedded the commits. */
  embedderFallback?: string;
  index?: { state: string; reason?: string; count: number; head?: string; embedderId: string; warnings: string[]; run?: CommitIndexRun };
}

export interface FacadeOptions extends EngineOptions {
  /** Where log lines are shown besides AIL_LOG_FILE: stderr for the CLI and HTTP, the editor's output for LSP. */
  logSink?: LogSink;
  /** Whether the sink also gets a line per answered request (see `LoggerOptions.sinkRequests`). Default true. */
  logRequests?: boolean;
}

/**
 * The engine as every front end sees it (the language server, the CLI, the HTTP service and the MCP
 * server): ask, stats, clear, health, reindex, warm a file, open a folder, the GitHub token, and
 * status changes. Front ends translate their protocol to these calls and back, and nothing more: the
 * counting of errors, the log lines and the status all happen here, the same for each.
 */
export class Engine {
  readonly log: Logger;
  private readonly parts: EngineParts;
  private readonly listeners = new Set<() => void>();
  private registry: import('prom-client').Registry | undefined;

  constructor(private settings: Settings, options: FacadeOptions = {}) {
    this.log = new Logger({ level: settings.logLevel, file: settings.logFile, sink: options.logSink, sinkRequests: options.logRequests ?? true });
    this.parts = composeEngine(settings, {
      ...options,
      log: (message) => {
        options.log?.(message);
        this.log.info(message);
      },
      onProgress: (job, report, root) => {
        options.onProgress?.(job, report, root);
        if (job === 'index') this.changed();
      },
      onProgressEnd: (job, root) => {
        options.onProgressEnd?.(job, root);
        this.changed();
      },
      onGitHubRate: () => {
        options.onGitHubRate?.();
        this.changed();
      },
    });
    this.parts.registry.background.onChange(() => this.changed());
  }

  /**
   * Answers through the caches. Refused questions (`AilError`) and failures are counted by type and
   * logged; the INFO line holds the tier, depth, time and outcome, never the question or the path.
   */
  async ask(request: AskRequest): Promise<ArchaeologyContext> {
    const started = performance.now();
    try {
      let answer = await this.parts.answers.ask({ timeLimitMs: this.settings.maxQueryTimeS * 1000, ...request });
      if ((request.depth ?? 'full') === 'full') {
        // A full answer names the repository on GitHub its links point to.
        const github = await this.githubRepository(request.path, request.github);
        if (github) answer = { ...answer, github: `${github.owner}/${github.name}`, githubUrl: repositoryUrl(github) };
      }
      this.log.request('answer', { tier: answer.source, depth: request.depth ?? 'full', ms: round(answer.queryTimeMs), evidence: answer.evidence.length, partial: answer.partial || undefined, confidence: answer.confidence });
      this.log.debug('question', { path: request.path, lines: request.lines ? `${request.lines.start + 1}-${request.lines.end + 1}` : 'file', question: request.question });
      return answer;
    } catch (error) {
      const ms = round(performance.now() - started);
      if (isCancelled(error)) {
        this.log.debug('cancelled', { ms });
      } else if (isAilError(error) && ENVIRONMENT_FAILURES.has(error.code)) {
        // Not the question's fault: git or the repository is gone from under AIL.
        this.parts.metrics.failed('internal');
        this.log.warn('failed', { code: error.code, ms });
      } else if (isAilError(error)) {
        this.parts.metrics.failed('bad_input');
        this.log.request('refused', { code: error.code, ms });
        this.log.debug('refused', { path: request.path, message: error.message });
      } else {
        this.parts.metrics.failed('internal');
        this.log.error('failed', { ms, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      }
      throw error;
    } finally {
      this.changed();
    }
  }

  /** A front end refused a request before it reached `ask` (a bad field): counted and logged as bad input, as a refused question is. */
  rejected(field: string): void {
    this.parts.metrics.failed('bad_input');
    this.log.request('refused', { code: 'bad-request', field });
  }

  stats(): CacheStats {
    return this.parts.stats();
  }

  /** Empties both answer caches; answers how many answers each held. */
  clear(): { l1: number; l2: number } {
    const dropped = this.parts.answers.clear();
    this.log.info('caches cleared', dropped);
    this.changed();
    return dropped;
  }

  /**
   * Live when it answers; ready when git runs and each target's repository opens with a commit. The
   * commit index being built does not make it unready (the seed's dark launch): questions are answered
   * without semantic evidence meanwhile.
   */
  async health(targets: readonly RepositoryTarget[]): Promise<Health> {
    // Run where a process can surely start: in a deleted work tree, git would fail as if it were missing.
    const git = await new GitRunner(tmpdir()).run(['--version'], { timeoutMs: 5000 });
    const reasons: string[] = git.kind === 'ok' ? [] : ['git was not found or does not run'];
    if (targets.length === 0) reasons.push('no workspace folder or AIL_REPO_PATH: open a folder inside a git repository');
    const repositories = await Promise.all(targets.map((target) => this.repositoryHealth(target)));
    for (const repository of repositories) for (const reason of repository.reasons) if (!reasons.includes(reason)) reasons.push(reason);
    return { live: true, ready: reasons.length === 0, reasons, githubToken: this.parts.tokens.hasExplicit, repositories };
  }

  /**
   * Rebuilds the commit index of each target's repository, one after another; resolves when done. One
   * target that is no repository is refused (`AilError`); among several, the others are rebuilt.
   */
  async reindex(targets: readonly RepositoryTarget[], signal?: AbortSignal): Promise<ReindexResult> {
    if (targets.length === 0) throw new AilError('not-a-repository', 'no repository to index: open a folder inside a git repository or set AIL_REPO_PATH');
    const started = performance.now();
    const repos = new Map<string, Repository>();
    let problem: AilError | undefined;
    for (const target of targets) {
      try {
        const repo = await this.repositoryOf(target);
        repos.set(repo.root, repo);
      } catch (error) {
        problem ??= isAilError(error) ? error : new AilError('not-a-repository', visible(String(error)));
      }
    }
    if (repos.size === 0 || (targets.length === 1 && problem)) throw problem ?? new AilError('not-a-repository', 'no repository to index');
    const rebuilt: { root: string; commits: number }[] = [];
    let embedder = '';
    for (const repo of repos.values()) {
      const index = await this.parts.semantic.reindex(repo, signal);
      this.changed();
      if (signal?.aborted) throw signal.reason ?? new Error('cancelled');
      if (!index || index.state !== 'ready') throw new Error(visible(`indexing ${repo.root} failed: ${index?.reason ?? 'the semantic index is off (AIL_INDEX_ENABLED)'}`));
      rebuilt.push({ root: repo.root, commits: index.count });
      embedder = index.embedderId;
    }
    const commits = rebuilt.reduce((sum, repository) => sum + repository.commits, 0);
    const seconds = Math.round((performance.now() - started) / 10) / 100;
    this.log.info('reindexed', { repositories: rebuilt.length, commits, seconds });
    return { commits, embedder, seconds, repositories: rebuilt };
  }

  /**
   * A one-shot command's last step before `dispose`: waits for the work its answers left running (a
   * line history the time limit cut, bounded), so that it is stored for the next command. `onWait`
   * hears what it waits for, when it has to wait at all.
   */
  async settle(onWait?: (unfinished: string[]) => void): Promise<void> {
    const unfinished = this.parts.provider.unfinished;
    if (unfinished.length > 0) onWait?.(unfinished);
    await this.parts.provider.settle();
  }

  /** Blames a file in the background, ahead of its questions (an editor opened it). Never throws. */
  async warm(path: string): Promise<void> {
    try {
      await this.parts.provider.warm(path);
    } catch {
      // untracked, binary, not in a repository: nothing to warm
    }
  }

  /**
   * Opens each folder's repository and its commit index in the background, one after another (the
   * first folder first: its index is `CacheStats.index`). A folder outside any repository is logged and
   * passed over; answers how many opened.
   */
  async open(folders: readonly string[]): Promise<number> {
    let opened = 0;
    for (const folder of folders) {
      try {
        const { repo } = await this.parts.registry.forDirectory(folder);
        await this.parts.semantic.start();
        await this.parts.semantic.ready(repo);
        opened++;
      } catch (error) {
        this.log.warn(`${error instanceof Error ? error.message : String(error)}`);
      }
      this.changed();
    }
    return opened;
  }

  /**
   * `ail index`: builds the commit index of the repository at `directory`, or loads it and adds the
   * commits since; resolves when it is ready or failed.
   */
  async index(directory: string, signal?: AbortSignal): Promise<IndexOutcome> {
    const { repo } = await this.parts.registry.forDirectory(directory);
    await repo.requireHead();
    const embedder = await this.parts.semantic.start(signal);
    const index = await this.parts.semantic.ready(repo, signal);
    return {
      root: repo.root,
      directory: this.parts.semantic.indexDir(repo),
      ...(embedder.kind === 'ready' && embedder.fallback ? { embedderFallback: `using ${embedder.embedder.id}: ${embedder.fallback}` } : {}),
      ...(index ? { index: { state: index.state, reason: index.reason, count: index.count, head: index.head, embedderId: index.embedderId, warnings: [...index.warnings], run: index.lastRun } } : {}),
    };
  }

  /** Loads the stored commit index of the repository at `directory`, if it has one, without building anything (a one-shot command). */
  async openStoredIndex(directory: string, signal?: AbortSignal): Promise<void> {
    const { repo } = await this.parts.registry.forDirectory(directory);
    const stored = storedEmbedderId(this.parts.semantic.indexDir(repo));
    if (!stored) return;
    await this.parts.semantic.start(signal, stored);
    await this.parts.semantic.ready(repo, signal);
  }

  /** Whether `directory` is in a git work tree (opening it there is what answering needs next anyway). */
  async isInsideWorkTree(directory: string): Promise<boolean> {
    try {
      await this.parts.registry.forDirectory(directory);
      return true;
    } catch (error) {
      if (error instanceof AilError && (error.code === 'not-a-repository' || error.code === 'not-a-work-tree')) return false;
      throw error;
    }
  }

  /** The token the client gave (SecretStorage), or none: GITHUB_TOKEN and gh's are used then. Nothing of it is logged. */
  setGitHubToken(token: string | undefined): { githubToken: boolean } {
    this.parts.tokens.setFromClient(token);
    const tokens = this.parts.tokens;
    this.log.info(token ? 'a GitHub token is set' : tokens.hasExplicit ? 'the GitHub token is cleared; GITHUB_TOKEN from the environment is used' : 'the GitHub token is cleared');
    this.changed(); // a new token is a new rate budget
    return { githubToken: tokens.hasExplicit };
  }

  /** The GitHub repository of the work tree holding `path`, for links (GITHUB_OWNER/GITHUB_REPO first); undefined outside one. */
  async githubRepository(path: string, settings: GitHubTarget = this.settings): Promise<GitHubRepository | undefined> {
    try {
      const { repo } = await this.parts.registry.forFile(path);
      // The config is read again only when a config file changed: a new remote is seen at the next question.
      return await detectGitHubRepository(repo, { owner: settings.githubOwner, repo: settings.githubRepo, apiUrl: settings.githubApiUrl });
    } catch {
      return undefined;
    }
  }

  /** Calls `listener` whenever the stats may have changed (an answer, the index, warming, GitHub's budget, the token); returns the function that stops it. */
  onStatus(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Settings changed: the caches, GitHub's target and the log follow at once. */
  configure(settings: Settings): void {
    const before = this.settings;
    this.settings = settings;
    this.parts.configure(settings);
    this.log.configure(settings.logLevel, settings.logFile);
    if (before.semanticCacheEnabled !== settings.semanticCacheEnabled || before.semanticCacheRollout !== settings.semanticCacheRollout) {
      this.log.info('semantic cache', { enabled: settings.semanticCacheEnabled, rollout: settings.semanticCacheRollout });
    }
    this.changed();
  }

  get currentSettings(): Settings {
    return this.settings;
  }

  /** The Prometheus exposition of this engine's metrics (prom-client is loaded on the first call). */
  async metrics(): Promise<{ contentType: string; text: string }> {
    if (!this.registry) {
      const { prometheusRegistry } = await import('./observe/prometheus.js');
      this.registry ??= prometheusRegistry(this.parts.metrics, () => this.stats());
    }
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }

  /** The parts, for what measures or checks them (`ail bench`, `ail validate`, `ail index`), never for a front end's requests. */
  get internals(): EngineParts {
    return this.parts;
  }

  async dispose(): Promise<void> {
    this.listeners.clear();
    await this.parts.dispose();
    this.log.close();
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  private async repositoryHealth(target: RepositoryTarget): Promise<RepositoryHealth> {
    try {
      const repo = await this.repositoryOf(target);
      await repo.requireHead();
      return { folder: target.path, root: repo.root, ready: true, reasons: [] };
    } catch (error) {
      return { folder: target.path, ready: false, reasons: [isAilError(error) ? error.message : visible(`the repository at ${target.path} could not be opened`)] };
    }
  }

  /** A folder is a directory even once deleted (its repository "no longer exists"); a path a user named may be a file or a folder. */
  private async repositoryOf(target: RepositoryTarget): Promise<Repository> {
    const { repo } = target.isFolder ? await this.parts.registry.forDirectory(target.path) : await this.parts.registry.forFile(target.path);
    return repo;
  }

  private queries: HistoryQueries | undefined;

  /** The commits that shaped these lines, newest first, traced through cosmetic commits, renames and moves (MCP `line_history`). */
  lineHistory(request: Omit<HistoryRequest, 'timeLimitMs'> & { lines: { start: number; end: number }; limit?: number }): Promise<LineHistoryAnswer> {
    return this.counted('line-history', () => (this.queries ??= new HistoryQueries(this.parts)).lineHistory({ timeLimitMs: this.timeLimitMs, ...request }));
  }

  /** Each line's origin after tracing through cosmetic commits, as runs (MCP `blame`). */
  blame(request: Omit<HistoryRequest, 'timeLimitMs'>): Promise<BlameAnswer> {
    return this.counted('blame', () => (this.queries ??= new HistoryQueries(this.parts)).blame({ timeLimitMs: this.timeLimitMs, ...request }));
  }

  /** Commits whose messages match `query`, from the commit index; says so when the index is not ready (MCP `search_history`). */
  searchHistory(request: { repository: string; query: string; path?: string; limit?: number; signal?: AbortSignal }): Promise<SearchAnswer> {
    const search = { timeLimitMs: this.timeLimitMs, indexEnabled: this.settings.semanticIndexEnabled, ...request };
    return this.counted('search', () => (this.queries ??= new HistoryQueries(this.parts)).search(search));
  }

  /** The time limit a front end passes with a history question. */
  get timeLimitMs(): number {
    return this.settings.maxQueryTimeS * 1000;
  }

  /** Runs a history question, counting and logging its refusal or failure as `ask` does. */
  private async counted<T>(what: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const result = await work();
      this.log.request(what, { ms: round(performance.now() - started) });
      return result;
    } catch (error) {
      const ms = round(performance.now() - started);
      if (isCancelled(error)) this.log.debug('cancelled', { ms });
      else if (isAilError(error) && !ENVIRONMENT_FAILURES.has(error.code)) {
        this.parts.metrics.failed('bad_input');
        this.log.request('refused', { code: error.code, ms });
      } else {
        this.parts.metrics.failed('internal');
        this.log.error('failed', { ms, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      }
      throw error;
    }
  }
}

/** Refusals that are the machine's, not the question's: counted as internal errors, as an operator must look at them. */
const ENVIRONMENT_FAILURES: ReadonlySet<AilErrorCode> = new Set(['git-not-found', 'repository-gone']);

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
