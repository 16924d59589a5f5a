import { unquotePath } from './quote';
import type { Repository } from './repository';

/**
 * The two git questions a line's trace asks of each commit it passes: which lines the commit removed
 * (one of them is what the line read before it), and which commit wrote one line of an older version.
 */

/** One hunk of a commit's diff against its first parent, without context lines. */
export interface CommitHunk {
  /** The file's path in the parent (undefined when the commit created the file). */
  path?: string;
  /** Its path in the commit (differs for a rename; undefined when the commit deleted the file). */
  pathAfter?: string;
  /** 1-based first line of `removed` in the parent, and of `added` in the commit. */
  oldStart: number;
  newStart: number;
  removed: string[];
  added: string[];
}

/** Changed lines read at most from one commit's diff: a formatter run over a whole repository is read in part, never held whole. */
const MAX_DIFF_LINES = 400_000;

/**
 * The hunks of `sha` against `parent`, with renames found (`-M`), no context, no external diff or
 * textconv drivers (a repository's config cannot run a program here).
 */
export async function commitHunks(repo: Repository, sha: string, parent: string, signal?: AbortSignal): Promise<CommitHunk[]> {
  const outcome = await repo.git.run(
    ['diff', '-U0', '-M', '--no-ext-diff', '--no-textconv', '--no-color', '--src-prefix=a/', '--dst-prefix=b/', parent, sha],
    { signal },
  );
  if (outcome.kind !== 'ok') return [];
  const hunks: CommitHunk[] = [];
  let from: string | undefined;
  let to: string | undefined;
  let hunk: CommitHunk | undefined;
  let lines = 0;
  for (const text of outcome.stdout.split('\n')) {
    if (text.startsWith('diff --git ')) {
      from = to = hunk = undefined;
    } else if (!hunk && text.startsWith('--- ')) {
      from = pathOf(text.slice(4), 'a/');
    } else if (!hunk && text.startsWith('+++ ')) {
      to = pathOf(text.slice(4), 'b/');
    } else if (text.startsWith('@@')) {
      const match = /^@@ -(\d+)(?:,\d+)? \+(\d+)/.exec(text);
      hunk = { ...(from !== undefined ? { path: from } : {}), ...(to !== undefined ? { pathAfter: to } : {}), oldStart: Number(match?.[1] ?? 0), newStart: Number(match?.[2] ?? 0), removed: [], added: [] };
      hunks.push(hunk);
    } else if (hunk && text.startsWith('-')) {
      hunk.removed.push(text.slice(1));
      lines++;
    } else if (hunk && text.startsWith('+')) {
      hunk.added.push(text.slice(1));
      lines++;
    }
    if (lines >= MAX_DIFF_LINES) break;
  }
  return hunks;
}

function pathOf(name: string, prefix: 'a/' | 'b/'): string | undefined {
  const path = unquotePath(name.replace(/\t$/, ''));
  return path.startsWith(prefix) ? path.slice(prefix.length) : undefined;
}

/** Where a line of an older version came from: the commit that wrote it, its path and line there. */
export interface LineOrigin {
  sha: string;
  path: string;
  /** 1-based, in `sha`. */
  line: number;
}

/** `git blame -w` of one line of `path` at `revision` (1-based `line`): the commit that wrote it. */
export async function blameOneLine(repo: Repository, revision: string, path: string, line: number, signal?: AbortSignal): Promise<LineOrigin | undefined> {
  const outcome = await repo.git.run(
    ['blame', '--porcelain', '-w', '--no-textconv', '--no-ignore-revs-file', '-L', `${line},${line}`, revision, '--', path],
    { signal },
  );
  if (outcome.kind !== 'ok') return undefined;
  const lines = outcome.stdout.split('\n');
  const header = /^([0-9a-f]{40,64}) (\d+) \d+/.exec(lines[0] ?? '');
  if (!header) return undefined;
  const filename = lines.find((text) => text.startsWith('filename '));
  return { sha: header[1]!, path: filename ? unquotePath(filename.slice('filename '.length)) : path, line: Number(header[2]) };
}
