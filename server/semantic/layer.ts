import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import type { CacheStats, RepositoryIndex } from '../../shared/types';
import type { Repository } from '../git/repository';
import type { ProgressReporter, Embedder } from './embedder';
import { orWhenAborted } from '../util/race';
import { CommitIndex } from './commit-index';
import { MANIFEST_FILE, removeIndex } from './index-store';
import { LexicalEmbedder } from './lexical-embedder';
import { loadTransformersEmbedder } from './transformers-embedder';

export interface SemanticLayerOptions {
  /** AIL_DATA_DIR; default ~/.cache/ail. */
  dataDir: string | undefined;
  model: string;
  /** AIL_MODEL_PATH: a local model folder. */
  modelPath: string | undefined;
  allowRemote: boolean;
  batchSize: number;
  /** Build indexes that do not exist yet (the server); false only loads and brings forward stored ones (a one-shot CLI). */
  buildMissing: boolean;
  enabled: boolean;
  /** Progress of the model load and of index builds (`root`: the repository an index build is of). */
  onProgress?: (job: 'model' | 'index', progress: Parameters<ProgressReporter>[0], root?: string) => void;
  /** A job is over, however it ended (the model loaded or could not be had, an index built or failed): its progress ends. */
  onProgressEnd?: (job: 'model' | 'index', root?: string) => void;
  log?: (message: string) => void;
}

export type EmbedderState = { kind: 'loading' } | { kind: 'ready'; embedder: Embedder; fallback?: string };

/**
 * The semantic side of AIL: which embedder there is (the model, or the lexical fallback when the model
 * cannot be had), and one commit index per repository, built or loaded in the background. Nothing here
 * ever blocks a query: until the embedder is decided and an index is ready, semantic evidence and the
 * semantic cache are simply absent.
 */
export class SemanticLayer {
  private embedderState: EmbedderState = { kind: 'loading' };
  private started: Promise<EmbedderState> | undefined;
  private readonly indexes = new Map<string, CommitIndex>();
  /** The first open of each index: loading or building it. */
  private readonly opening = new Map<string, Promise<unknown>>();
  private primary: string | undefined;

  private readonly options: SemanticLayerOptions;

  constructor(options: SemanticLayerOptions) {
    this.options = { ...options };
  }

  get dataDir(): string {
    return this.options.dataDir ?? path.join(homedir(), '.cache', 'ail');
  }

  /**
   * Decides the embedder (once): the model when it loads, the lexical embedder otherwise, with the
   * reason. `expect` names the embedder a stored index was built with: a lexical one needs no model load.
   */
  start(signal?: AbortSignal, expect?: string): Promise<EmbedderState> {
    const lexical = new LexicalEmbedder();
    this.started ??= (expect === lexical.id ? Promise.resolve<EmbedderState>({ kind: 'ready', embedder: lexical }) : this.loadEmbedder(signal)).then(
      (state) => (this.embedderState = state),
    );
    return this.started;
  }

  /** The repository's index once it has been loaded or built (or undefined when there is none to be had). */
  async ready(repo: Repository, signal?: AbortSignal): Promise<CommitIndex | undefined> {
    const index = this.indexFor(repo);
    const opening = this.opening.get(repo.root);
    if (index && opening) await orWhenAborted(opening, signal, undefined);
    return index;
  }

  /** The embedder, once decided. */
  embedder(): Embedder | undefined {
    return this.embedderState.kind === 'ready' ? this.embedderState.embedder : undefined;
  }

  get fallbackReason(): string | undefined {
    return this.embedderState.kind === 'ready' ? this.embedderState.fallback : undefined;
  }

  /** Where this repository's index lives: one folder per work tree under the data dir. */
  indexDir(repo: Repository): string {
    const digest = createHash('sha256').update(repo.root).digest('hex').slice(0, 16);
    return path.join(this.dataDir, 'indexes', `${path.basename(repo.root)}-${digest}`);
  }

  /**
   * The repository's commit index, opened in the background on first use (built if missing and
   * `buildMissing`), or undefined while the embedder is not decided or indexing is off.
   */
  indexFor(repo: Repository): CommitIndex | undefined {
    if (!this.options.enabled) return undefined;
    let index = this.indexes.get(repo.root);
    if (index) return index;
    const embedder = this.embedder();
    if (!embedder) return undefined;
    const dir = this.indexDir(repo);
    if (!this.options.buildMissing) {
      // A one-shot process only uses a stored index, and never replaces one made with another embedder.
      if (!existsSync(path.join(dir, MANIFEST_FILE)) || storedEmbedderId(dir) !== embedder.id) return undefined;
    }
    index = new CommitIndex(repo, embedder, {
      dir,
      batchSize: this.options.batchSize,
      onProgress: (progress) => this.options.onProgress?.('index', progress, repo.root),
      onJobEnd: () => this.options.onProgressEnd?.('index', repo.root),
      log: (message) => this.options.log?.(`index ${path.basename(repo.root)}: ${message}`),
    });
    this.indexes.set(repo.root, index);
    this.opening.set(repo.root, index.open());
    this.primary ??= repo.root;
    return index;
  }

  /** Throws the repository's index away (memory and disk) and builds it again; resolves when done. */
  async reindex(repo: Repository, signal?: AbortSignal): Promise<CommitIndex | undefined> {
    await this.start(signal);
    this.indexes.get(repo.root)?.dispose();
    this.indexes.delete(repo.root);
    this.opening.delete(repo.root);
    await removeIndex(this.indexDir(repo));
    // A reindex always builds, also in a process that otherwise only uses stored indexes.
    const wasBuildMissing = this.options.buildMissing;
    this.options.buildMissing = true;
    try {
      return await this.ready(repo, signal);
    } finally {
      this.options.buildMissing = wasBuildMissing;
    }
  }

  /** The state of the first repository's index, for `CacheStats.index`. */
  status(): Omit<CacheStats['index'], 'fallback'> {
    const index = this.primary ? this.indexes.get(this.primary) : undefined;
    const embedder = this.embedder()?.id ?? (this.embedderState.kind === 'loading' && this.started ? 'loading' : 'none');
    return { state: index?.state ?? 'off', commits: index?.count ?? 0, embedder, ...(index?.progress ? { progress: { ...index.progress } } : {}), ...(this.primary ? { root: this.primary } : {}) };
  }

  /** Every repository's index, in the order they were opened, for `CacheStats.indexes`. */
  statuses(): RepositoryIndex[] {
    return [...this.indexes].map(([root, index]) => ({ root, state: index.state, commits: index.count, ...(index.progress ? { progress: { ...index.progress } } : {}) }));
  }

  dispose(): void {
    for (const index of this.indexes.values()) index.dispose();
    this.indexes.clear();
    this.opening.clear();
  }

  private async loadEmbedder(signal?: AbortSignal): Promise<EmbedderState> {
    try {
      return await this.decideEmbedder(signal);
    } finally {
      // Loaded, unavailable (no network, no local copy, broken files) or cancelled: the load's progress ends.
      this.options.onProgressEnd?.('model');
    }
  }

  private async decideEmbedder(signal?: AbortSignal): Promise<EmbedderState> {
    const fallback = new LexicalEmbedder();
    if (!this.options.enabled) return { kind: 'ready', embedder: fallback, fallback: 'the semantic layer is off' };
    const outcome = await loadTransformersEmbedder(
      {
        model: this.options.model,
        modelPath: this.options.modelPath,
        cacheDir: path.join(this.dataDir, 'models'),
        allowRemote: this.options.allowRemote,
        batchSize: this.options.batchSize,
        onProgress: (progress) => this.options.onProgress?.('model', progress),
      },
      signal,
    );
    if (outcome.kind === 'ok') return { kind: 'ready', embedder: outcome.embedder };
    this.options.log?.(`embedder: ${outcome.reason}; using ${fallback.id}`);
    return { kind: 'ready', embedder: fallback, fallback: outcome.reason };
  }
}

/** The embedder id a stored index was built with, without loading it. */
export function storedEmbedderId(dir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(path.join(dir, MANIFEST_FILE), 'utf8')) as { embedder?: string }).embedder;
  } catch {
    return undefined;
  }
}
