import type { Evidence } from '../../shared/types';
import { mergeIndex, mergeThatIntroduced, type MergeIndex } from '../git/history';
import type { Repository } from '../git/repository';
import { CancelledError, FlightCache } from '../util/flight';
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
}

/** Finds commits the blame and history of the range did not (the semantic commit index, for example). */
export interface EvidenceSource {
  readonly name: string;
  candidates(query: QueryFacts, signal: AbortSignal): Promise<{ sha: string; similarity: number }[]>;
}

/** Adds facts to the evidence already chosen (the pull request that merged a commit, its review, issue titles). */
export interface EvidenceEnricher {
  readonly name: string;
  /** Called when a question begins, before blame: warm what every answer will need. Optional; must not throw. */
  begin?(query: QueryFacts, signal: AbortSignal): void;
  /**
   * Called as soon as blame names the likely commits, while line history is still running: start
   * look-ups now so that `enrich` finds them done. Optional; must not throw.
   */
  prefetch?(query: QueryFacts, shas: string[], signal: AbortSignal): void;
  enrich(query: QueryFacts, evidence: Evidence[], signal: AbortSignal): Promise<{ warnings?: string[] }>;
}

/** Finds, without any network, the `Merge pull request #N` commit that brought a commit into the first-parent line. */
/** Commits the merge index covers; older ones are looked up one by one. */
const MERGE_INDEX_LIMIT = 200_000;

export class MergeCommitEnricher implements EvidenceEnricher {
  readonly name = 'merge-commit';
  /** (repository, head, commit) → the PR its merge commit names; commits and merges never change. */
  private readonly found = new FlightCache<string, PullRequestMention | undefined>(2048);
  /** (repository, head) → which merge brought each commit in, for the whole (bounded) history. */
  private readonly merges = new FlightCache<string, MergeIndex>(4);

  constructor(private readonly limit = 2) {}

  begin(query: QueryFacts, signal: AbortSignal): void {
    this.mergeIndex(query, signal).catch(() => undefined);
  }

  prefetch(query: QueryFacts, shas: string[], signal: AbortSignal): void {
    for (const sha of shas.slice(0, this.limit)) this.mention(query, sha, signal).catch(() => undefined);
  }

  async enrich(query: QueryFacts, evidence: Evidence[], signal: AbortSignal): Promise<{ warnings?: string[] }> {
    await Promise.all(
      evidence.slice(0, this.limit).map(async (item) => {
        if (item.pullRequest) return;
        const mention = await this.mention(query, item.commit.sha, signal);
        if (mention) item.pullRequest = { number: mention.number, title: mention.title };
      }),
    );
    return {};
  }

  private mergeIndex(query: QueryFacts, signal: AbortSignal): Promise<MergeIndex> {
    return this.merges.get(`${query.repo.root}\0${query.head}`, (shared) => mergeIndex(query.repo, query.head, MERGE_INDEX_LIMIT, shared), signal);
  }

  private mention(query: QueryFacts, sha: string, signal: AbortSignal): Promise<PullRequestMention | undefined> {
    const key = `${query.repo.root}\0${query.head}\0${sha}`;
    return this.found.get(key, (shared) => this.lookUp(query, sha, shared), signal);
  }

  private async lookUp(query: QueryFacts, sha: string, signal: AbortSignal): Promise<PullRequestMention | undefined> {
    const index = await this.mergeIndex(query, signal);
    if (index.mainline.has(sha)) return undefined; // committed on the first-parent line: no merge brought it
    const known = index.introducedBy.get(sha);
    // Beyond the bound of the index, walk the history for this one commit.
    const merge = known ?? (index.complete ? undefined : await mergeThatIntroduced(query.repo, query.head, sha, signal));
    if (signal.aborted) throw new CancelledError();
    const commit = merge ? await query.repo.commit(merge) : undefined;
    return commit ? pullRequestFromMessage(commit.subject, commit.body) : undefined;
  }
}
