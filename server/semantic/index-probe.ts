import type { HierarchicalNSW } from 'hnswlib-node';
import type { Repository } from '../git/repository';
import { readCommitMessages } from './commit-messages';
import type { Embedder } from './embedder';
import { SHAS_FILE } from './index-store';

/** Commits embedded again when an index is loaded, spread over its labels, besides the indexed head. */
const SAMPLE = 8;
/** A message embedded again lands on its stored vector; another commit's message does not come this close. */
const SAME_VECTOR = 0.98;
/** Search breadth of the probe's search: as the index's own searches, then, before calling a miss damage, far wider. */
const PROBE_EF = [128, 1024];

export interface LoadedCommits {
  index: HierarchicalNSW;
  shas: readonly string[];
  /** The commit the index was built for; verification made sure the sha table names it. */
  head: string;
}

/**
 * Whether a loaded index answers for the commits it names. The structural check of the file proves
 * that hnswlib can follow the graph safely; it cannot see whether the sha table and the vectors belong
 * together (a table of other commits, or the right ones shuffled, under a checksum that matches). So
 * the indexed head and a few commits spread over the labels are embedded again from their messages
 * and compared with the vectors stored for them, and a search for the head's message must come back
 * as close as the head's own vector. Undefined when it does; otherwise what is wrong. Throws only a
 * CancelledError, or when git or the embedder fail.
 */
export async function probeIndex(repo: Repository, embedder: Embedder, loaded: LoadedCommits, signal: AbortSignal): Promise<string | undefined> {
  const { index, shas, head } = loaded;
  const labels = sampleLabels(shas.length, shas.indexOf(head));
  for (const label of labels) {
    if (!(await repo.commit(shas[label]!))) return `${SHAS_FILE} names ${shas[label]!.slice(0, 12)}, which is not a commit of this repository`;
  }
  const messages = await readCommitMessages(
    repo.git,
    labels.map((label) => shas[label]!),
    signal,
  );
  const vectors = await embedder.embed(messages, signal);
  let headSimilarity = 1;
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    const similarity = cosine(vectors[i]!, index.getPoint(label));
    if (similarity < SAME_VECTOR) {
      return `the vector stored for ${shas[label]!.slice(0, 12)} is not its message's (similarity ${similarity.toFixed(3)}): ${SHAS_FILE} does not match the graph`;
    }
    if (i === 0) headSimilarity = similarity;
  }
  // HNSW search is approximate: a sound graph can miss at the usual breadth, rarely, and a rebuild is
  // costly, so only a miss at a far wider breadth counts. A graph whose links lead nowhere misses at both.
  let best = -1;
  for (const ef of PROBE_EF) {
    index.setEf(ef);
    const { distances, neighbors } = index.searchKnn(Array.from(vectors[0]!), 1);
    best = neighbors.length > 0 ? 1 - distances[0]! : -1;
    if (best >= headSimilarity - (1 - SAME_VECTOR)) return undefined;
  }
  return `a search for the indexed head's message finds nothing as close as its own vector (${best.toFixed(3)} against ${headSimilarity.toFixed(3)})`;
}

/** The head's label first, then SAMPLE labels spread evenly from the first to the last, each once. */
function sampleLabels(count: number, headLabel: number): number[] {
  const labels = new Set<number>([headLabel]);
  for (let i = 0; i < SAMPLE && count > 0; i++) labels.add(Math.round((i * (count - 1)) / Math.max(1, SAMPLE - 1)));
  return [...labels];
}

/** Cosine similarity of a fresh vector and a stored one; two zero vectors count as the same. */
function cosine(fresh: Float32Array, stored: readonly number[]): number {
  let dot = 0;
  let freshNorm = 0;
  let storedNorm = 0;
  for (let i = 0; i < fresh.length; i++) {
    dot += fresh[i]! * stored[i]!;
    freshNorm += fresh[i]! * fresh[i]!;
    storedNorm += stored[i]! * stored[i]!;
  }
  if (freshNorm === 0 || storedNorm === 0) return freshNorm === storedNorm ? 1 : 0;
  return dot / Math.sqrt(freshNorm * storedNorm);
}
