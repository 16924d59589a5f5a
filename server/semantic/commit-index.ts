import { HierarchicalNSW } from 'hnswlib-node';
import { inHistoryOf, listCommits } from '../git/commit-walk';
import type { Repository } from '../git/repository';
import { CancelledError, isCancelled } from '../util/flight';
import { yieldToEventLoop } from '../util/slices';
import { readCommitMessages } from './commit-messages';
import type { Embedder, ProgressReporter } from './embedder';
import { maxCapacity } from './hnsw-file';
import { probeIndex } from './index-probe';
import { loadIndex, removeIndex, saveIndex } from './index-store';

export type CommitIndexState = 'off' | 'building' | 'ready' | 'failed';

export interface CommitHit {
  sha: string;
  /** Cosine similarity of the question and the commit's message, 1 − cosine distance. */
  similarity: number;
}

export interface CommitIndexOptions {
  /** Where this repository's index is kept (one directory per repository). */
  dir: string;
  /** Commit messages embedded per call to the embedder. */
  batchSize: number;
  onProgress?: ProgressReporter;
  /** Called when an open or update ends, however it ends (done, failed, cancelled): a progress shown for it can end too. */
  onJobEnd?: () => void;
  log?: (message: string) => void;
}

/**
 * What the last open or update did: how it got its index and how many messages it embedded. 'rebuilt'
 * is a build that replaced an index which could not be used or brought forward, and says why.
 */
export interface CommitIndexRun {
  kind: 'loaded' | 'built' | 'rebuilt' | 'updated' | 'unchanged';
  /** Why a stored or live index was thrown away, when `kind` is 'rebuilt'. */
  reason?: string;
  embedded: number;
  count: number;
  ms: number;
}

/**
 * HNSW graph parameters: hnswlib's default M and a lower efConstruction. Measured on the 10,000-commit
 * benchmark repository: efConstruction 100 inserts ~30% faster than 200, and at search ef 128 finds
 * 0.99 of the exact top 10 (ties counted), 0.2 ms a search.
 */
const M = 16;
const EF_CONSTRUCTION = 100;
const RANDOM_SEED = 100;
/** Search breadth: at least this many candidates, more when more results are asked for. */
const MIN_EF = 128;
/**
 * A `restrictTo` set up to this fraction of the index (and at least EXACT_MIN) is scored exactly from the
 * stored vectors. HNSW's filtered search walks the whole graph until it has `ef` allowed commits, so a
 * small set costs as much as the index is large (measured at 50,000 commits: ~60 ms for 5 to 100
 * allowed, 14 ms for 2,000), while exact scoring costs ~60 µs a commit (6 ms for 100, 115 ms for 2,000).
 */
const EXACT_FRACTION = 0.01;
const EXACT_MIN = 64;
/** Commits whose messages one git call reads. */
const PAGE = 2000;

/** The index searches are answered from. Mutated only by the one running job, between awaits. */
interface LiveIndex {
  index: HierarchicalNSW;
  shas: string[];
  labels: Map<string, number>;
  /** The commit this index is complete for; undefined only for an empty repository. */
  head: string | undefined;
}

/**
 * A semantic index of every commit's subject and body, an HNSW graph (cosine) over the embedder's
 * vectors, labelled by position in a sha table. Built in the background, persisted, verified on load,
 * brought forward incrementally when HEAD moves on. One build or update runs at a time; searches
 * meanwhile are answered from the previous index, or with nothing until the first one exists
 * (queries are answered from git alone then).
 */
export class CommitIndex {
  state: CommitIndexState = 'off';
  /** Why the index failed, when `state` is 'failed'. */
  reason: string | undefined;
  /** What happened to the stored index, e.g. `index-rebuilt: checksum mismatch: commits.hnsw`. */
  readonly warnings: string[] = [];
  lastRun: CommitIndexRun | undefined;

  private live: LiveIndex | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly disposed = new AbortController();

  constructor(
    private readonly repo: Repository,
    private readonly embedder: Embedder,
    private readonly options: CommitIndexOptions,
  ) {}

  /** Commits embedded of those to embed, while a build or update embeds; undefined otherwise. */
  progress: { done: number; total: number } | undefined;

  get count(): number {
    return this.live?.shas.length ?? 0;
  }

  get embedderId(): string {
    return this.embedder.id;
  }

  /** The commit the current index is complete for. */
  get head(): string | undefined {
    return this.live?.head;
  }

  /**
   * Loads the stored index (verified first) and brings it up to HEAD, or builds one. Resolves with the
   * state when done; never rejects: a failure is `state: 'failed'` with a `reason`, cancellation
   * leaves the previous index (or 'off').
   */
  open(signal?: AbortSignal): Promise<CommitIndexState> {
    return this.enqueue(signal);
  }

  /** After HEAD moved: indexes the new commits (or rebuilds if HEAD left the indexed history), then persists. */
  update(signal?: AbortSignal): Promise<CommitIndexState> {
    return this.enqueue(signal);
  }

  /**
   * The commits whose messages are nearest the question, best first. `restrictTo` limits the answer to
   * those shas (full ids). Empty while no index exists yet. Throws a CancelledError when the signal aborts.
   */
  async search(question: string, k: number, signal?: AbortSignal, restrictTo?: ReadonlySet<string>): Promise<CommitHit[]> {
    if (signal?.aborted) throw new CancelledError();
    k = Math.floor(k);
    if (!this.live || this.live.shas.length === 0 || !(k >= 1) || restrictTo?.size === 0) return [];
    const [vector] = await this.embedder.embed([question], signal);
    if (signal?.aborted) throw new CancelledError();
    const live = this.live; // the freshest index by now
    if (!vector || !live || live.shas.length === 0) return [];
    return restrictTo ? searchWithin(live, vector, k, restrictTo) : searchAll(live, vector, k);
  }

  /** Stops a running build or update and drops the index from memory; the stored files stay. */
  dispose(): void {
    this.disposed.abort();
    this.live = undefined;
    this.state = 'off';
  }

  private enqueue(signal: AbortSignal | undefined): Promise<CommitIndexState> {
    const run = this.queue.then(() => this.runJob(signal));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async runJob(callerSignal: AbortSignal | undefined): Promise<CommitIndexState> {
    const { signal, release } = combine(callerSignal, this.disposed.signal);
    try {
      if (signal.aborted) throw new CancelledError();
      await this.bringUpToDate(signal);
      if (this.disposed.signal.aborted) throw new CancelledError();
      this.state = 'ready';
      this.reason = undefined;
    } catch (error) {
      if (isCancelled(error) || signal.aborted) {
        this.state = this.live ? 'ready' : 'off';
        this.log('cancelled');
      } else {
        const message = error instanceof Error ? error.message : String(error);
        if (this.live) {
          this.state = 'ready';
          this.warnings.push(`index-update-failed: ${message}`);
        } else {
          this.state = 'failed';
          this.reason = message;
        }
        this.log(`failed: ${message}`);
      }
    } finally {
      release();
      this.progress = undefined;
      this.options.onJobEnd?.();
    }
    return this.state;
  }

  private async bringUpToDate(signal: AbortSignal): Promise<void> {
    const started = performance.now();
    const head = await this.repo.head();
    let loaded = false;
    let discarded: string | undefined;
    if (!this.live) {
      this.state = 'building';
      const stored = await this.loadStored(signal);
      if (stored.kind === 'ok') {
        this.live = stored.live;
        this.state = 'ready';
        loaded = true;
        this.log(`loaded ${stored.live.shas.length} commits (indexed at ${stored.live.head!.slice(0, 12)})`);
      } else if (stored.kind === 'invalid') {
        discarded = stored.reason;
        this.warn(`index-rebuilt: ${stored.reason}`);
        await this.removeStored();
      }
    }
    const live = this.live;
    if (!head) {
      // An empty repository: an empty index, nothing stored until there is a commit to record.
      this.live ??= emptyIndex(this.embedder.dimension);
      this.finish(loaded ? 'loaded' : 'unchanged', 0, started);
      return;
    }
    if (live && live.head === head) {
      this.finish(loaded ? 'loaded' : 'unchanged', 0, started);
      return;
    }
    if (live?.head && (await inHistoryOf(this.repo.git, live.head, head, signal))) {
      const added = await this.addNewCommits(live, head, signal);
      this.finish('updated', added, started);
      return;
    }
    if (live?.head) {
      discarded = `HEAD ${head.slice(0, 12)} does not contain the indexed commit ${live.head.slice(0, 12)}`;
      this.warn(`index-rebuilt: ${discarded}`);
    }
    const embedded = await this.build(head, signal);
    this.finish(discarded ? 'rebuilt' : 'built', embedded, started, discarded);
  }

  /**
   * The stored index, verified (files, checksums, the graph's structure) before hnswlib reads it, then
   * probed against the repository's commits before anything searches it.
   */
  private async loadStored(signal: AbortSignal): Promise<{ kind: 'ok'; live: LiveIndex } | { kind: 'missing' } | { kind: 'invalid'; reason: string }> {
    const stored = await loadIndex(this.options.dir, { embedder: this.embedder.id, dimension: this.embedder.dimension });
    if (stored.kind !== 'ok') return stored;
    let problem: string | undefined;
    try {
      problem = await probeIndex(this.repo, this.embedder, { index: stored.index, shas: stored.shas, head: stored.manifest.head }, signal);
    } catch (error) {
      if (isCancelled(error) || signal.aborted) throw error;
      // git or the embedder failed, not the index: its structure is sound, so it is used as it is.
      this.warn(`index-not-probed: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (problem) return { kind: 'invalid', reason: problem };
    return { kind: 'ok', live: { index: stored.index, shas: stored.shas, labels: stored.labels, head: stored.manifest.head } };
  }

  /** Removes a stored index that cannot be used; when that fails, the build goes on and its save says why. */
  private async removeStored(): Promise<void> {
    try {
      await removeIndex(this.options.dir);
    } catch (error) {
      this.warn(`index-not-removed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** A new index of every commit reachable from `head`; the previous one answers searches until it is done. */
  private async build(head: string, signal: AbortSignal): Promise<number> {
    if (!this.live?.head) this.state = 'building';
    const shas = await listCommits(this.repo.git, head, signal);
    const index = new HierarchicalNSW('cosine', this.embedder.dimension);
    index.initIndex(Math.max(1, shas.length), M, EF_CONSTRUCTION, RANDOM_SEED);
    const next: LiveIndex = { index, shas: [], labels: new Map(), head: undefined };
    const embedded = await this.indexCommits(next, shas, signal, 'indexing commit messages');
    if (signal.aborted) throw new CancelledError();
    next.head = head;
    this.live = next;
    await this.persist(next);
    return embedded;
  }

  /** Adds the commits in `indexed..head` to the live index in place, then persists. */
  private async addNewCommits(live: LiveIndex, head: string, signal: AbortSignal): Promise<number> {
    // Commits already present were added by an update that was cancelled before it could persist.
    const shas = (await listCommits(this.repo.git, head, signal, live.head!)).filter((sha) => !live.labels.has(sha));
    const needed = live.shas.length + shas.length;
    if (needed > live.index.getMaxElements()) live.index.resizeIndex(needed + growth(needed));
    const embedded = await this.indexCommits(live, shas, signal, 'indexing new commits');
    if (signal.aborted) throw new CancelledError();
    live.head = head;
    await this.persist(live);
    return embedded;
  }

  /** Reads the messages of `shas` a page at a time, embeds them in batches and adds them to `target`. */
  private async indexCommits(target: LiveIndex, shas: readonly string[], signal: AbortSignal, message: string): Promise<number> {
    const total = shas.length;
    let done = 0;
    this.progress = { done, total };
    this.options.onProgress?.({ done, total, message });
    const batchSize = Math.max(1, this.options.batchSize);
    for (let start = 0; start < total; start += PAGE) {
      const page = shas.slice(start, start + PAGE);
      const messages = await readCommitMessages(this.repo.git, page, signal);
      for (let offset = 0; offset < page.length; offset += batchSize) {
        if (signal.aborted) throw new CancelledError();
        const batch = page.slice(offset, offset + batchSize);
        const vectors = await this.embedder.embed(batch.map((_, i) => messages[offset + i]!), signal);
        if (vectors.length !== batch.length) throw new Error(`the embedder returned ${vectors.length} vectors for ${batch.length} texts`);
        for (let i = 0; i < batch.length; i++) {
          const label = target.shas.length;
          target.index.addPoint(Array.from(vectors[i]!), label);
          target.shas.push(batch[i]!);
          target.labels.set(batch[i]!, label);
        }
        done += batch.length;
        this.progress = { done, total };
        this.options.onProgress?.({ done, total, message });
        // A fast embedder resolves at once; without a real turn of the event loop the server would hear nothing until the end.
        await yieldToEventLoop();
      }
    }
    return done;
  }

  private async persist(live: LiveIndex): Promise<void> {
    try {
      // Capacity an update reserved and a cancelled one left unused is trimmed: a file whose capacity
      // is out of proportion to its count is refused as damaged (hnswlib allocates all of it on load).
      const count = live.shas.length;
      if (live.index.getMaxElements() > maxCapacity(count)) live.index.resizeIndex(count + growth(count));
      await saveIndex(this.options.dir, live.index, live.shas, {
        embedder: this.embedder.id,
        dimension: this.embedder.dimension,
        head: live.head!,
      });
    } catch (error) {
      // The index in memory is sound and answers; the next start builds again.
      this.warn(`index-not-saved: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private finish(kind: CommitIndexRun['kind'], embedded: number, started: number, reason?: string): void {
    const ms = Math.round(performance.now() - started);
    this.lastRun = reason ? { kind, reason, embedded, count: this.count, ms } : { kind, embedded, count: this.count, ms };
    if (kind !== 'unchanged') this.log(`${kind}: ${this.count} commits, ${embedded} embedded, ${ms} ms`);
  }

  private warn(warning: string): void {
    this.warnings.push(warning);
    this.log(warning);
  }

  private log(message: string): void {
    this.options.log?.(`commit index: ${message}`);
  }
}

function searchAll(live: LiveIndex, vector: Float32Array, k: number): CommitHit[] {
  const wanted = Math.min(k, live.shas.length, live.index.getMaxElements());
  live.index.setEf(Math.max(MIN_EF, wanted));
  const { distances, neighbors } = live.index.searchKnn(Array.from(vector), wanted);
  return toHits(live, distances, neighbors);
}

function searchWithin(live: LiveIndex, vector: Float32Array, k: number, restrictTo: ReadonlySet<string>): CommitHit[] {
  const labels: number[] = [];
  for (const sha of restrictTo) {
    const label = live.labels.get(sha);
    if (label !== undefined) labels.push(label);
  }
  if (labels.length === 0) return [];
  if (labels.length <= Math.max(EXACT_MIN, live.shas.length * EXACT_FRACTION)) {
    const query = unit(vector);
    const hits = labels.map((label) => ({ sha: live.shas[label]!, similarity: dot(query, live.index.getPoint(label)) }));
    return hits.sort((a, b) => b.similarity - a.similarity).slice(0, k);
  }
  const allowed = new Set(labels);
  const wanted = Math.min(k, labels.length, live.index.getMaxElements());
  live.index.setEf(Math.max(MIN_EF, wanted * 2));
  const { distances, neighbors } = live.index.searchKnn(Array.from(vector), wanted, (label) => allowed.has(label));
  return toHits(live, distances, neighbors);
}

function toHits(live: LiveIndex, distances: number[], neighbors: number[]): CommitHit[] {
  const hits: CommitHit[] = [];
  for (let i = 0; i < neighbors.length; i++) {
    const sha = live.shas[neighbors[i]!];
    if (sha) hits.push({ sha, similarity: 1 - distances[i]! });
  }
  return hits;
}

/** Room for the next updates when the index grows: a tenth, at least 256. */
function growth(count: number): number {
  return Math.max(256, Math.ceil(count / 10));
}

function emptyIndex(dimension: number): LiveIndex {
  const index = new HierarchicalNSW('cosine', dimension);
  index.initIndex(1, M, EF_CONSTRUCTION, RANDOM_SEED);
  return { index, shas: [], labels: new Map(), head: undefined };
}

function unit(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const value of vector) sum += value * value;
  const norm = Math.sqrt(sum) || 1;
  return vector.map((value) => value / norm);
}

function dot(a: Float32Array, b: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

/** One signal that aborts when either does; `release` detaches it from the longer-lived one. */
function combine(caller: AbortSignal | undefined, owner: AbortSignal): { signal: AbortSignal; release: () => void } {
  if (!caller) return { signal: owner, release: () => undefined };
  const controller = new AbortController();
  const abort = () => controller.abort();
  if (caller.aborted || owner.aborted) controller.abort();
  caller.addEventListener('abort', abort, { once: true });
  owner.addEventListener('abort', abort, { once: true });
  return {
    signal: controller.signal,
    release: () => {
      caller.removeEventListener('abort', abort);
      owner.removeEventListener('abort', abort);
    },
  };
}
