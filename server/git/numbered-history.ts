import type { CommitGraph } from './commit-graph';
import type { Repository } from './repository';
import { TimeSlicer } from '../util/slices';

/**
 * HEAD's history with every commit numbered and its parents given as numbers, so that a walk over
 * 100,000 commits is array accesses rather than string look-ups: what the merge index and the pull
 * request index are built on.
 */
export interface NumberedHistory {
  /** The number of `head`; -1 when it has none (an empty walk). */
  readonly head: number;
  /** Numbers run from 0 to size - 1. From the commit-graph, some of them are commits outside HEAD's history. */
  readonly size: number;
  /** False when the history was longer than the bound: commits beyond it have no number, and a parent beyond it is -1. */
  readonly complete: boolean;
  /** The commit's number, or -1 when it has none. */
  idOf(sha: string): number;
  oidOf(id: number): string;
  /** The parents' numbers, first parent first; -1 for a parent beyond the bound. */
  parentsOf(id: number): readonly number[];
}

/** Commits of HEAD's history missing from the commit-graph (newer than it) read one by one, at most. */
const MAX_COMMITS_OUTSIDE_GRAPH = 2000;

/**
 * From the commit-graph when the repository has one git would use (no process, no text: parents are
 * positions in the file), otherwise from `git rev-list --parents`, bounded by `limit`. Runs beside
 * questions, never holding a slot they need. Rejects when git fails or the signal aborts.
 */
export async function numberedHistory(repo: Repository, head: string, limit: number, signal?: AbortSignal): Promise<NumberedHistory> {
  const graph = await repo.commitGraph();
  const fromGraph = graph && (await fromCommitGraph(repo, graph, head, signal));
  if (signal?.aborted) throw new Error('history walk cancelled');
  return fromGraph || fromRevList(repo, head, limit, signal);
}

async function fromCommitGraph(repo: Repository, graph: CommitGraph, head: string, signal?: AbortSignal): Promise<NumberedHistory | undefined> {
  // Commits newer than the graph get the positions after it: read from their objects, from HEAD down
  // to where the graph takes over (it holds every ancestor of what it holds).
  const outside = new Map<string, number>();
  const outsideOids: string[] = [];
  const outsideParents: string[][] = [];
  const pending = [head];
  while (pending.length > 0) {
    const sha = pending.pop()!;
    if (graph.positionOf(sha) >= 0 || outside.has(sha)) continue;
    if (outsideOids.length >= MAX_COMMITS_OUTSIDE_GRAPH || signal?.aborted) return undefined;
    const commit = await repo.commit(sha);
    if (!commit) return undefined;
    outside.set(sha, graph.size + outsideOids.length);
    outsideOids.push(sha);
    outsideParents.push(commit.parents);
    pending.push(...commit.parents);
  }
  const idOf = (sha: string) => {
    const position = graph.positionOf(sha);
    return position >= 0 ? position : (outside.get(sha) ?? -1);
  };
  const outsideParentIds = outsideParents.map((parents) => parents.map(idOf));
  return {
    head: idOf(head),
    size: graph.size + outsideOids.length,
    complete: true,
    idOf,
    oidOf: (id) => (id < graph.size ? graph.oidAt(id) : outsideOids[id - graph.size]!),
    parentsOf: (id) => (id < graph.size ? graph.parentsOf(id) : outsideParentIds[id - graph.size]!),
  };
}

async function fromRevList(repo: Repository, head: string, limit: number, signal?: AbortSignal): Promise<NumberedHistory> {
  // Read as it arrives, each name copied out of git's bytes: what an index keeps must not be slices
  // of one string of the whole output (tens of megabytes on a long history) that would stay alive with it.
  const ids = new Map<string, number>();
  const oids: string[] = [];
  const parentNames: string[][] = [];
  const lines = new LineReader((line) => {
    const names: string[] = [];
    for (let at = 0; at < line.length; ) {
      let end = line.indexOf(0x20, at);
      if (end < 0) end = line.length;
      if (end > at) names.push(line.toString('latin1', at, end));
      at = end + 1;
    }
    if (names.length === 0) return;
    ids.set(names[0]!, oids.length);
    oids.push(names[0]!);
    parentNames.push(names.slice(1));
  });
  const outcome = await repo.git.run(['rev-list', '--parents', `--max-count=${limit}`, head], {
    signal,
    onOutput: (chunk) => lines.feed(chunk),
    streamOnly: true,
    background: true, // built beside questions, never holding a slot they need
  });
  if (outcome.kind !== 'ok') throw new Error(`git rev-list --parents ${outcome.kind}`);
  lines.end();
  // Parents beyond the bound are not listed: -1, where a walk stops.
  const parents: number[][] = [];
  const slicer = new TimeSlicer();
  for (const names of parentNames) {
    parents.push(names.map((name) => ids.get(name) ?? -1));
    if (slicer.due()) await slicer.rest();
  }
  return {
    head: ids.get(head) ?? -1,
    size: oids.length,
    complete: oids.length < limit,
    idOf: (sha) => ids.get(sha) ?? -1,
    oidOf: (id) => oids[id]!,
    parentsOf: (id) => parents[id]!,
  };
}

/** Splits a stream of bytes into lines (without the newline), a line split across chunks included. */
class LineReader {
  private rest: Buffer | undefined;

  constructor(private readonly onLine: (line: Buffer) => void) {}

  feed(chunk: Buffer): void {
    const data = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    let start = 0;
    for (let end = data.indexOf(0x0a); end >= 0; end = data.indexOf(0x0a, start)) {
      this.onLine(data.subarray(start, end));
      start = end + 1;
    }
    this.rest = start < data.length ? Buffer.from(data.subarray(start)) : undefined;
  }

  end(): void {
    if (this.rest) this.onLine(this.rest);
    this.rest = undefined;
  }
}
