import type { Evidence, EvidenceProducer, WarningCode } from '../../shared/types';
import { mergeIndex, mergeThatIntroduced, type MergeIndex } from '../git/history';
import type { Repository } from '../git/repository';
import { CancelledError, FlightCache } from '../util/flight';
import { orWhenAborted } from '../util/race';
import { pullRequestFromMessage, type PullRequestMention } from './references';
import type { Intent } from './text';

/** What every source and enricher may know about the query. */
export interface QueryFacts {
  repo: Repository;
  head: string;
  /** Path relative to the repository root. */
  file: string;
  /** 0-based inclusive lines, undefined for the whole file. */
  lines?: { start: number; end: number };
  question: string;
  intent: Intent;
  /** `quick`: a hover, a lens or the current line; `full`: a question asked (the panel, `ail/context`, the CLI). */
  depth: 'quick' | 'full';
  /**
   * Where the asked lines blamed on `sha` were in that commit: its path and their 1-based line numbers
   * there (a review comment on the commit's pull request points at those). Known once blame is done.
   */
  origins(sha: string): { path: string; lines: number[] } | undefined;
  /** The asked lines' text as the question sees it (unsaved text included); at most 200 lines. */
  lineText(): Promise<string[]>;
}

/** Finds commits the blame and history of the range did not (the semantic commit index, for example). */
export interface EvidenceSource {
  readonly name: EvidenceProducer;
  candidates(query: QueryFacts, signal: AbortSignal): Promise<{ sha: string; similarity: number }[]>;
}

/** Adds facts to the evidence already chosen (the pull request that merged a commit, its review, issue titles). */
export interface EvidenceEnricher {
  readonly name: EvidenceProducer;
  /**
   * Asks a network service (GitHub): runs after the local enrichers, so that it finds the pull requests
   * they named, within what is left of the budget.
   */
  readonly online?: boolean;
  /** Only fills evidence no other local enricher described: runs after them, so that their answer stands. */
  readonly fillsGaps?: boolean;
  /** Called when a question begins, before blame: warm what every answer will need. Optional; must not throw. */
  begin?(query: QueryFacts, signal: AbortSignal): void;
  /** Called when an editor opens a file of the repository: prepare in the background what its questions will need. Optional; must not throw. */
  warm?(repo: Repository, head: string): void;
  /** Stops background work (the engine is shutting down). Optional. */
  dispose?(): void;
  /**
   * Called as soon as blame names the likely commits, while line history is still running: start
   * look-ups now so that `enrich` finds them done. Optional; must not throw.
   */
  prefetch?(query: QueryFacts, shas: string[], signal: AbortSignal): void;
  enrich(query: QueryFacts, evidence: Evidence[], signal: AbortSignal): Promise<{ warnings?: WarningCode[] }>;
}

/** Commits the merge index covers; older ones are looked up one by one. */
const MERGE_INDEX_LIMIT = 200_000;
/** Repositories whose merge index is kept (one head each). */
const MERGE_INDEX_REPOSITORIES = 8;

/** Finds, without any network, the `Merge pull request #N` commit that brought a commit into the first-parent line. */
export class MergeCommitEnricher implements EvidenceEnricher {
  readonly name = 'merge-commit' as const;
  /** (repository, head, commit) → the PR its merge commit names; commits and merges never change. */
  private readonly found = new FlightCache<string, PullRequestMention | undefined>(2048);
  /**
   * Per repository, which merge brought each commit in, for its newest head only: an index costs
   * megabytes on a long history, and an older head is rarely asked about again. It is built in the
   * background and not stopped when the question that started it goes away: a hover moved past is
   * cancelled, and on a long history the next one would start the walk over again.
   */
  private readonly merges = new Map<string, { head: string; index: Promise<MergeIndex>; controller: AbortController }>();

  constructor(private readonly limit = 2) {}

  warm(repo: Repository, head: string): void {
    this.indexFor(repo, head).catch(() => undefined);
  }

  begin(query: QueryFacts): void {
    this.warm(query.repo, query.head);
  }

  prefetch(query: QueryFacts, shas: string[], signal: AbortSignal): void {
    for (const sha of shas.slice(0, this.limit)) this.mention(query, sha, signal).catch(() => undefined);
  }

  async enrich(query: QueryFacts, evidence: Evidence[], signal: AbortSignal): Promise<{ warnings?: WarningCode[] }> {
    await Promise.all(
      evidence.slice(0, this.limit).map(async (item) => {
        if (item.pullRequest) return;
        const mention = await this.mention(query, item.commit.sha, signal);
        if (mention) item.pullRequest = { number: mention.number, title: mention.title, via: 'merge-commit' };
      }),
    );
    return {};
  }

  /** Stops every walk still running (the engine is shutting down). */
  dispose(): void {
    for (const { controller } of this.merges.values()) controller.abort();
    this.merges.clear();
  }

  private indexFor(repo: Repository, head: string): Promise<MergeIndex> {
    const kept = this.merges.get(repo.root);
    if (kept?.head === head) return kept.index;
    kept?.controller.abort(); // HEAD moved: the old walk is of no more use
    this.merges.delete(repo.root);
    if (this.merges.size >= MERGE_INDEX_REPOSITORIES) {
      const [oldest, entry] = this.merges.entries().next().value!;
      entry.controller.abort();
      this.merges.delete(oldest);
    }
    const controller = new AbortController();
    const index = mergeIndex(repo, head, MERGE_INDEX_LIMIT, controller.signal);
    index.catch(() => {
      if (this.merges.get(repo.root)?.index === index) this.merges.delete(repo.root);
    });
    this.merges.set(repo.root, { head, index, controller });
    return index;
  }

  private async mergeIndex(query: QueryFacts, signal: AbortSignal): Promise<MergeIndex> {
    const index = await orWhenAborted(this.indexFor(query.repo, query.head), signal, undefined);
    if (!index) throw new CancelledError();
    return index;
  }

  private mention(query: QueryFacts, sha: string, signal: AbortSignal): Promise<PullRequestMention | undefined> {
    const key = `${query.repo.root}\0${query.head}\0${sha}`;
    return this.found.get(key, (shared) => this.lookUp(query, sha, shared), signal);
  }

  private async lookUp(query: QueryFacts, sha: string, signal: AbortSignal): Promise<PullRequestMention | undefined> {
    const index = await this.mergeIndex(query, signal);
    if (index.onMainline(sha)) return undefined; // committed on the first-parent line: no merge brought it
    const known = index.introducedBy(sha);
    // Beyond the bound of the index, walk the history for this one commit.
    const merge = known ?? (index.complete ? undefined : await mergeThatIntroduced(query.repo, query.head, sha, signal));
    if (signal.aborted) throw new CancelledError();
    const commit = merge ? await query.repo.commit(merge) : undefined;
    return commit ? pullRequestFromMessage(commit.subject, commit.body) : undefined;
  }
}
