import type { GitOutcome } from './runner';
import { unquotePath } from './quote';
import type { CommitGraph } from './commit-graph';
import type { Repository } from './repository';
import { TimeSlicer } from '../util/slices';

/** The outcome of a history walk that may be cut short: what was found, and whether it is all there is. */
export interface HistoryResult<T> {
  items: T[];
  /** False when the walk was stopped by the time limit, cancellation or the count bound. */
  complete: boolean;
  /** Why it stopped early, when it did. */
  stopped?: 'cancelled' | 'timeout' | 'limit' | 'failed';
}

export interface LineHistoryEntry {
  sha: string;
  /** The lines this commit added and removed in the range, for lexical matching. */
  hunk: string;
  /** The file's path in this commit (`log -L` follows the lines across renames). */
  path?: string;
  /** Its path in the commit's parent; absent when the commit created the file. */
  previousPath?: string;
}

export interface FileHistoryEntry {
  sha: string;
  status: string;
  path: string;
  /** The path before this commit, for renames and copies. */
  oldPath?: string;
}

const RECORD = '\x1e';

/** `git log -L` for a range of lines at `head`, newest first, bounded by count and by the caller's signal. */
export async function lineHistory(
  repo: Repository,
  head: string,
  file: string,
  startLine: number,
  endLine: number,
  options: { limit: number; signal?: AbortSignal; timeoutMs?: number },
): Promise<HistoryResult<LineHistoryEntry>> {
  const args = [
    'log',
    `-L${startLine},${endLine}:${file}`,
    `--format=${RECORD}%H`,
    '--no-ext-diff',
    '--no-textconv',
    '--no-color',
    // The paths' prefixes as this parser reads them, whatever diff.noprefix or diff.mnemonicPrefix say.
    '--src-prefix=a/',
    '--dst-prefix=b/',
    '-n',
    String(options.limit),
    head,
  ];
  const outcome = await repo.git.run(args, { signal: options.signal, timeoutMs: options.timeoutMs });
  if (outcome.kind !== 'ok') return stoppedEarly(outcome);
  const items: LineHistoryEntry[] = [];
  for (const record of outcome.stdout.split(RECORD)) {
    if (!record) continue;
    const newline = record.indexOf('\n');
    const sha = (newline < 0 ? record : record.slice(0, newline)).trim();
    const hunkLines: string[] = [];
    const paths: { path?: string; previousPath?: string } = {};
    let inHunk = false;
    for (const line of record.slice(newline + 1).split('\n')) {
      if (line.startsWith('@@')) inHunk = true;
      else if (line.startsWith('diff --git')) inHunk = false;
      else if (inHunk && (line.startsWith('+') || line.startsWith('-'))) hunkLines.push(line.slice(1));
      else if (!inHunk && line.startsWith('--- ')) paths.previousPath ??= diffPath(line.slice(4), 'a/');
      else if (!inHunk && line.startsWith('+++ ')) paths.path ??= diffPath(line.slice(4), 'b/');
    }
    items.push({ sha, hunk: hunkLines.join('\n').slice(0, 8000), ...definedOnly(paths) });
  }
  return items.length >= options.limit ? { items, complete: false, stopped: 'limit' } : { items, complete: true };
}

/** A path of a diff's `---`/`+++` line (`a/src/x.ts`, `"b/we\\tird"`, `/dev/null`), without its prefix; undefined for no file. */
function diffPath(name: string, prefix: 'a/' | 'b/'): string | undefined {
  const path = unquotePath(name.replace(/\t$/, ''));
  return path.startsWith(prefix) ? path.slice(prefix.length) : undefined;
}

function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Commits that touched the file, following renames, newest first. */
export async function fileHistory(
  repo: Repository,
  head: string,
  file: string,
  options: { limit: number; signal?: AbortSignal; timeoutMs?: number },
): Promise<HistoryResult<FileHistoryEntry>> {
  const args = ['log', '--follow', '-M', '--name-status', `--format=${RECORD}%H`, '--no-color', '-n', String(options.limit), head, '--', file];
  const outcome = await repo.git.run(args, { signal: options.signal, timeoutMs: options.timeoutMs });
  if (outcome.kind !== 'ok') return stoppedEarly(outcome);
  const items: FileHistoryEntry[] = [];
  for (const record of outcome.stdout.split(RECORD)) {
    if (!record) continue;
    const lines = record.split('\n');
    const sha = lines[0]!.trim();
    const change = lines.slice(1).find((line) => /^[A-Z]\d*\t/.test(line));
    if (!change) {
      items.push({ sha, status: 'M', path: file });
      continue;
    }
    const [status, first, second] = change.split('\t');
    items.push(
      second === undefined
        ? { sha, status: status!, path: unquotePath(first!) }
        : { sha, status: status!, path: unquotePath(second), oldPath: unquotePath(first!) },
    );
  }
  return items.length >= options.limit ? { items, complete: false, stopped: 'limit' } : { items, complete: true };
}

/**
 * The merge commit that brought `sha` into the first-parent line of `head`, if it came in through a
 * merge, for commits older than the merge index reaches. The commits between `sha` and `head` that
 * descend from `sha` (`--ancestry-path`) include the first-parent line from `head` down to where
 * `sha` joined it: follow first parents while they descend from `sha`. The last one reached has
 * `sha` as its first parent when `sha` was committed on that line; otherwise it is the merge that
 * brought `sha` in. (`--first-parent` cannot do this walk in git: it drops branch commits before
 * the ancestry path is drawn.)
 */
export async function mergeThatIntroduced(repo: Repository, head: string, sha: string, signal?: AbortSignal): Promise<string | undefined> {
  const outcome = await repo.git.run(['rev-list', '--ancestry-path', '--parents', `${sha}..${head}`], { signal });
  if (outcome.kind !== 'ok') return undefined;
  const firstParent = new Map<string, string | undefined>();
  for (const line of outcome.stdout.split('\n')) {
    if (!line) continue;
    const [commit, parent] = line.split(' ');
    firstParent.set(commit!, parent);
  }
  if (!firstParent.has(head)) return undefined; // `sha` is `head`, or not in its history
  let last = head;
  for (let next = firstParent.get(head); next !== undefined && firstParent.has(next); next = firstParent.get(next)) last = next;
  return firstParent.get(last) === sha ? undefined : last;
}

/**
 * Which merge brought each commit into HEAD's first-parent line: the mainline is followed by first
 * parents from HEAD; then, oldest merge first, every commit reachable from a merge's other parents that
 * is not on the mainline and not yet claimed by an older merge was brought in by it. Built once per
 * HEAD, so that a look-up is an array access instead of a history walk.
 */
export interface MergeIndex {
  /** Whether the commit is on HEAD's first-parent line. */
  onMainline(sha: string): boolean;
  /** The mainline merge that brought a branch commit in; undefined for mainline commits and for commits the index does not cover. */
  introducedBy(sha: string): string | undefined;
  /** False when the history was longer than the bound: commits beyond it are not covered. */
  complete: boolean;
}

/** Commits of HEAD's history missing from the commit-graph (newer than it) read one by one, at most. */
const MAX_COMMITS_OUTSIDE_GRAPH = 2000;

/**
 * The merge index from the commit-graph when the repository has one git would use (no process, no
 * text: parents are positions in the file), otherwise from `git rev-list --parents`, bounded by `limit`.
 */
export async function mergeIndex(repo: Repository, head: string, limit: number, signal?: AbortSignal): Promise<MergeIndex> {
  const graph = await repo.commitGraph();
  const fromGraph = graph && (await mergeIndexFromGraph(repo, graph, head, signal));
  if (signal?.aborted) throw new Error('merge index cancelled');
  return fromGraph || mergeIndexFromRevList(repo, head, limit, signal);
}

async function mergeIndexFromGraph(repo: Repository, graph: CommitGraph, head: string, signal?: AbortSignal): Promise<MergeIndex | undefined> {
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
  const parentsOf = (id: number) => (id < graph.size ? graph.parentsOf(id) : outsideParentIds[id - graph.size]!);
  const oidOf = (id: number) => (id < graph.size ? graph.oidAt(id) : outsideOids[id - graph.size]!);

  const { mainline, introducedBy } = await walkMerges(idOf(head), graph.size + outsideOids.length, parentsOf);
  return {
    complete: true,
    onMainline: (sha) => {
      const id = idOf(sha);
      return id >= 0 && mainline[id] === 1;
    },
    introducedBy: (sha) => {
      const id = idOf(sha);
      const merge = id >= 0 ? introducedBy[id]! : -1;
      return merge >= 0 ? oidOf(merge) : undefined;
    },
  };
}

async function mergeIndexFromRevList(repo: Repository, head: string, limit: number, signal?: AbortSignal): Promise<MergeIndex> {
  // Read as it arrives, each name copied out of git's bytes: what the index keeps must not be slices
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
  // Parents beyond the bound are not listed: -1, where the walk stops.
  const parents: number[][] = [];
  const slicer = new TimeSlicer();
  for (const names of parentNames) {
    parents.push(names.map((name) => ids.get(name) ?? -1));
    if (slicer.due()) await slicer.rest();
  }
  const { mainline, introducedBy } = await walkMerges(ids.get(head) ?? -1, oids.length, (id) => parents[id]!);
  return {
    complete: oids.length < limit,
    onMainline: (sha) => {
      const id = ids.get(sha);
      return id !== undefined && mainline[id] === 1;
    },
    introducedBy: (sha) => {
      const id = ids.get(sha);
      const merge = id === undefined ? -1 : introducedBy[id]!;
      return merge >= 0 ? oids[merge] : undefined;
    },
  };
}

/**
 * The walk both sources of the index share, on commits numbered 0..total-1 (-1: not known): the
 * first-parent line from `head`, then, oldest merge first, what each merge's other parents reach
 * that neither the line nor an older merge has. It visits every commit once, which on a long history
 * takes tens of milliseconds: it runs in slices, so a question that comes meanwhile is not held up.
 */
async function walkMerges(head: number, total: number, parentsOf: (id: number) => readonly number[]): Promise<{ mainline: Uint8Array; introducedBy: Int32Array }> {
  const slicer = new TimeSlicer();
  const mainline = new Uint8Array(total);
  const merges: number[] = [];
  for (let id = head; id >= 0 && mainline[id] === 0; ) {
    mainline[id] = 1;
    const parents = parentsOf(id);
    if (parents.length > 1) merges.push(id);
    id = parents.length > 0 ? parents[0]! : -1;
    if (slicer.due()) await slicer.rest();
  }
  const introducedBy = new Int32Array(total).fill(-1);
  for (const merge of merges.reverse()) {
    const stack = parentsOf(merge).slice(1);
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (id < 0 || mainline[id] === 1 || introducedBy[id]! >= 0) continue;
      introducedBy[id] = merge;
      stack.push(...parentsOf(id));
      if (slicer.due()) await slicer.rest();
    }
  }
  return { mainline, introducedBy };
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

function stoppedEarly<T>(outcome: Exclude<GitOutcome, { kind: 'ok' }>): HistoryResult<T> {
  return { items: [], complete: false, stopped: outcome.kind };
}
