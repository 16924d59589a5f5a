import type { EvidenceSource, QueryFacts } from '../archaeology/enrichers';
import { commitsTouching } from '../git/history';
import { FlightCache, isCancelled } from '../util/flight';
import type { SemanticLayer } from './layer';

/** Below this cosine similarity a commit message is not evidence for the question. */
const MIN_SIMILARITY = 0.3;
const MAX_HITS = 5;
const FILE_COMMITS_LIMIT = 20_000;

/**
 * Semantic evidence: the commits that touched the file whose messages are nearest the question, found
 * in the commit index. It finds what blame of the range cannot: "why did we move to bcrypt?" asked on
 * a file whose lines were rewritten since.
 */
export class SemanticSource implements EvidenceSource {
  readonly name = 'semantic' as const;
  /** (work tree, head, file) → the commits that touched the file. */
  private readonly fileCommits = new FlightCache<string, Set<string>>(256);

  constructor(private readonly layer: SemanticLayer) {}

  async candidates(query: QueryFacts, signal: AbortSignal): Promise<{ sha: string; similarity: number }[]> {
    const index = this.layer.indexFor(query.repo);
    if (!index || index.count === 0) return [];
    try {
      const key = `${query.repo.root}\0${query.head}\0${query.file}`;
      const touched = await this.fileCommits.get(key, (shared) => this.commitsOf(query, shared), signal);
      const hits = await index.search(query.question, MAX_HITS, signal, touched);
      return hits.filter((hit) => hit.similarity >= MIN_SIMILARITY);
    } catch (error) {
      if (isCancelled(error)) return [];
      throw error;
    }
  }

  private async commitsOf(query: QueryFacts, signal: AbortSignal): Promise<Set<string>> {
    return new Set(await commitsTouching(query.repo, query.head, query.file, FILE_COMMITS_LIMIT, signal));
  }
}
