import type { GitOutcome } from './runner';
import { unquotePath } from './quote';
import { numberedHistory } from './numbered-history';
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
  /** 1-based line in this commit where the range's lines begin (the first hunk's `+` start). */
  newStart?: number;
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
    const paths: { path?: string; previousPath?: string; newStart?: number } = {};
    let inHunk = false;
    for (const line of record.slice(newline + 1).split('\n')) {
      if (line.startsWith('@@')) {
        inHunk = true;
        const start = /\+(\d+)/.exec(line);
        if (start) paths.newStart ??= Number(start[1]);
      }
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
 * The shas of the commits that touched `file` at this path (renames not followed), newest first, at
 * most `limit`.
 */
export async function commitsTouching(repo: Repository, head: string, file: string, limit: number, signal?: AbortSignal): Promise<string[]> {
  const output = await repo.git.output(['log', '--format=%H', `--max-count=${limit}`, head, '--', file], { signal });
  return output.split('\n').filter(Boolean);
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

/**
 * The merge index on HEAD's numbered history: from the commit-graph when git would use it, else from
 * `git rev-list --parents`, bounded by `limit` (see numberedHistory).
 */
export async function mergeIndex(repo: Repository, head: string, limit: number, signal?: AbortSignal): Promise<MergeIndex> {
  const history = await numberedHistory(repo, head, limit, signal);
  const { mainline, introducedBy } = await walkMerges(history.head, history.size, (id) => history.parentsOf(id));
  return {
    complete: history.complete,
    onMainline: (sha) => {
      const id = history.idOf(sha);
      return id >= 0 && mainline[id] === 1;
    },
    introducedBy: (sha) => {
      const id = history.idOf(sha);
      const merge = id >= 0 ? introducedBy[id]! : -1;
      return merge >= 0 ? history.oidOf(merge) : undefined;
    },
  };
}

/**
 * The walk of the index, on commits numbered 0..total-1 (-1: not known): the first-parent line
 * from `head`, then, oldest merge first, what each merge's other parents reach that neither the line
 * nor an older merge has. It visits every commit once, which on a long history
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

function stoppedEarly<T>(outcome: Exclude<GitOutcome, { kind: 'ok' }>): HistoryResult<T> {
  return { items: [], complete: false, stopped: outcome.kind };
}
