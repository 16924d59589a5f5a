import type { Evidence, WarningCode } from '../../shared/types';
import { pullRefsStamp, pullRequestIndex, type PullRequestFound, type PullRequestIndex } from '../git/pull-refs';
import type { Repository } from '../git/repository';
import { CancelledError } from '../util/flight';
import { orWhenAborted } from '../util/race';
import type { EvidenceEnricher, QueryFacts } from './enrichers';
import { pullRequestFromMessage } from './references';

/** Commits the index covers where there is no commit-graph (one `rev-list --parents`); with one, all. */
const INDEX_LIMIT = 200_000;
/** Repositories whose index is kept (one HEAD and refs state each). */
const INDEX_REPOSITORIES = 8;

/**
 * Names, with no network and no token, the pull request that brought an evidence commit, from the PR
 * refs the clone fetched (see server/git/pull-refs.ts for which PRs it can name, and which not). Only
 * where nothing else named one: a message's own `(#123)`, or the merge commit another enricher found.
 * The title is the one the merge commit that brought the PR's head gives (`Merge pull request #N`,
 * its body's first line), when that merge names this PR; otherwise there is none.
 */
export class PullRefEnricher implements EvidenceEnricher {
  readonly name = 'pull-refs' as const;
  readonly fillsGaps = true;
  /**
   * Per repository, the index for its newest HEAD and refs state: built in the background when a file
   * is opened or a question begins, not stopped by a cancelled hover, and built again when HEAD moves
   * or PR refs are fetched.
   */
  private readonly indexes = new Map<string, { head: string; stamp: string; index: Promise<PullRequestIndex>; controller: AbortController }>();

  warm(repo: Repository, head: string): void {
    this.indexFor(repo, head).catch(() => undefined);
  }

  begin(query: QueryFacts): void {
    this.warm(query.repo, query.head);
  }

  async enrich(query: QueryFacts, evidence: Evidence[], signal: AbortSignal): Promise<{ warnings?: WarningCode[] }> {
    if (evidence.every((item) => item.pullRequest)) return {};
    const index = await orWhenAborted(this.indexFor(query.repo, query.head), signal, undefined);
    if (!index) throw new CancelledError();
    await Promise.all(
      evidence.map(async (item) => {
        const found = item.pullRequest ? undefined : index.pullRequestOf(item.commit.sha);
        if (!found) return;
        const named = await this.named(query.repo, found);
        if (!item.pullRequest) item.pullRequest = { ...named, via: 'pull-ref' };
      }),
    );
    return {};
  }

  dispose(): void {
    for (const { controller } of this.indexes.values()) controller.abort();
    this.indexes.clear();
  }

  /**
   * The number, and the title when the merge that brought the head names the PR: of several PRs with
   * one head, the one it names, else the first opened (the lowest number).
   */
  private async named(repo: Repository, found: PullRequestFound): Promise<{ number: number; title?: string }> {
    const merge = await repo.commit(found.merge).catch(() => undefined);
    const mention = merge && pullRequestFromMessage(merge.subject, merge.body);
    if (mention?.via === 'merge-commit' && found.numbers.includes(mention.number)) return { number: mention.number, title: mention.title };
    return { number: found.numbers[0]! };
  }

  private indexFor(repo: Repository, head: string): Promise<PullRequestIndex> {
    const stamp = pullRefsStamp(repo);
    const kept = this.indexes.get(repo.root);
    if (kept?.head === head && kept.stamp === stamp) return kept.index;
    kept?.controller.abort(); // HEAD moved or refs were fetched: the old walk is of no more use
    this.indexes.delete(repo.root);
    if (this.indexes.size >= INDEX_REPOSITORIES) {
      const [oldest, entry] = this.indexes.entries().next().value!;
      entry.controller.abort();
      this.indexes.delete(oldest);
    }
    const controller = new AbortController();
    const index = pullRequestIndex(repo, head, { limit: INDEX_LIMIT, signal: controller.signal });
    index.catch(() => {
      if (this.indexes.get(repo.root)?.index === index) this.indexes.delete(repo.root);
    });
    this.indexes.set(repo.root, { head, stamp, index, controller });
    return index;
  }
}
