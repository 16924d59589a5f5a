import type { Evidence } from '../../shared/types';
import { mergeThatIntroduced } from '../git/history';
import type { Repository } from '../git/repository';
import { pullRequestFromMessage } from './references';
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
  enrich(query: QueryFacts, evidence: Evidence[], signal: AbortSignal): Promise<{ warnings?: string[] }>;
}

/** Finds, without any network, the `Merge pull request #N` commit that brought a commit into the first-parent line. */
export class MergeCommitEnricher implements EvidenceEnricher {
  readonly name = 'merge-commit';

  async enrich(query: QueryFacts, evidence: Evidence[], signal: AbortSignal): Promise<{ warnings?: string[] }> {
    await Promise.all(
      evidence.map(async (item) => {
        if (item.pullRequest) return;
        const merge = await mergeThatIntroduced(query.repo, query.head, item.commit.sha, signal);
        if (!merge) return;
        const commit = await query.repo.commit(merge);
        const mention = commit && pullRequestFromMessage(commit.subject, commit.body);
        if (mention) item.pullRequest = { number: mention.number, title: mention.title };
      }),
    );
    return {};
  }
}
