import type { Settings } from '../shared/settings';
import { MergeCommitEnricher } from './archaeology/enrichers';
import { ArchaeologyProvider } from './archaeology/provider';
import { AnswerService } from './cache/answers';
import { RepositoryRegistry } from './git/registry';
import { GitHubTokens } from './github/token';
import { SemanticLayer } from './semantic/layer';
import { SemanticSource } from './semantic/source';

/** The engine, built from its parts in one place. The CLI and the language server both start here. */
export interface Engine {
  registry: RepositoryRegistry;
  provider: ArchaeologyProvider;
  /** Questions go through here: L1, L2, then the provider. */
  answers: AnswerService;
  semantic: SemanticLayer;
  /** The GitHub token, asked per request: the client's, GITHUB_TOKEN, or gh's. */
  tokens: GitHubTokens;
  dispose(): Promise<void>;
}

export interface EngineOptions {
  /**
   * A long-lived process (the server): blame whole files in the background after a question about some
   * of their lines, and answer before a slow line history is done, for the next question to find it.
   */
  warmFiles?: boolean;
  /** Build commit indexes that do not exist yet (the server, `ail index`); a one-shot `ail ask` only uses stored ones. */
  buildIndexes?: boolean;
  onProgress?: ConstructorParameters<typeof SemanticLayer>[0]['onProgress'];
  onProgressEnd?: ConstructorParameters<typeof SemanticLayer>[0]['onProgressEnd'];
  log?: (message: string) => void;
  /** The gh CLI asked for a token when no other is set (default `gh` on PATH); false never runs it. */
  gh?: string | false;
}

export function createEngine(settings: Settings, options: EngineOptions = {}): Engine {
  const registry = new RepositoryRegistry({
    maxConcurrent: settings.maxWorkers,
    defaultTimeoutMs: Math.max(30_000, settings.maxQueryTimeS * 1000 * 5),
    writeCommitGraph: settings.writeCommitGraph,
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
  const provider = new ArchaeologyProvider({
    registry,
    sources: [new SemanticSource(semantic)],
    enrichers: [new MergeCommitEnricher()],
    warmFiles: options.warmFiles ?? false,
    answerBeforeHistory: options.warmFiles ?? false,
  });
  const answers = new AnswerService(
    {
      provider,
      embedder: () => semantic.embedder(),
      indexStatus: () => semantic.status(),
      indexStatuses: () => semantic.statuses(),
      embedderFallback: () => semantic.fallbackReason,
      warming: () => registry.background.count,
    },
    settings,
  );
  const tokens = new GitHubTokens(settings.githubToken, options.gh ?? 'gh');
  return {
    registry,
    provider,
    answers,
    semantic,
    tokens,
    dispose: async () => {
      provider.dispose();
      semantic.dispose();
      await registry.dispose();
    },
  };
}
