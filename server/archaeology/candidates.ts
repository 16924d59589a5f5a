import type { ArchaeologyContext, AuthorShare, CommitRef, EvidenceReason } from '../../shared/types';
import { isUncommitted } from '../git/blame';
import type { TracedBlame } from '../git/blamer';
import { commitRef, shortSha } from '../git/commit';
import type { FileHistoryEntry, HistoryResult, LineHistoryEntry } from '../git/history';
import type { Candidate, ScoredCandidate } from './rank';

/**
 * The candidates of one question, gathered from blame, line history and file history, and the plain
 * facts told beside the evidence: the authors of the lines, the timeline, the cosmetic commits traced.
 */

/** Candidates considered at most, the most blamed and most recent first. */
export const MAX_CANDIDATES = 60;

export function newCandidate(sha: string): Candidate {
  return { sha, reasons: new Set<EvidenceReason>(), blamedLines: 0, hunk: '', linked: false };
}

export function gatherCandidates(
  blame: TracedBlame,
  blamed: Map<number, number>,
  lineResult: HistoryResult<LineHistoryEntry> | undefined,
  fileResult: HistoryResult<FileHistoryEntry> | undefined,
  file: string,
  renamedFrom: Set<string>,
): Map<string, Candidate> {
  const candidates = new Map<string, Candidate>();
  const get = (sha: string) => {
    let candidate = candidates.get(sha);
    if (!candidate) candidates.set(sha, (candidate = newCandidate(sha)));
    return candidate;
  };
  // Paths this file had before a rename. A copy (`C`, which --follow also reports) is code taken from a file that still exists.
  const historicPaths = new Set<string>(renamedFrom);
  for (const entry of fileResult?.items ?? []) {
    if (entry.oldPath && entry.status.startsWith('R')) historicPaths.add(entry.oldPath);
  }
  for (const [index, count] of blamed) {
    const commit = blame.commits[index]!;
    if (isUncommitted(commit.sha)) continue;
    const candidate = get(commit.sha);
    candidate.reasons.add('blame');
    candidate.blamedLines += count;
    if (commit.filename && commit.filename !== file) candidate.reasons.add(historicPaths.has(commit.filename) ? 'rename' : 'moved-code');
  }
  const lineItems = lineResult?.items ?? [];
  lineItems.forEach((entry, rank) => {
    const candidate = get(entry.sha);
    candidate.reasons.add('line-history');
    candidate.lineHistoryRank = candidate.lineHistoryRank ?? rank;
    candidate.hunk = entry.hunk;
    if (lineResult?.complete && rank === lineItems.length - 1) candidate.created = true;
  });
  for (const entry of fileResult?.items ?? []) {
    const candidate = candidates.get(entry.sha) ?? (blamed.size === 0 || candidates.size < MAX_CANDIDATES ? get(entry.sha) : undefined);
    candidate?.reasons.add('file-history');
    if (candidate && entry.oldPath && entry.status.startsWith('R')) candidate.reasons.add('rename');
  }
  return candidates;
}

export function countTraced(blame: TracedBlame, start: number, end: number): number {
  const seen = new Set<string>();
  for (let line = start; line <= end; line++) for (const sha of blame.traced.get(line) ?? []) seen.add(sha);
  return seen.size;
}

export function tracedFor(blame: TracedBlame, start: number, end: number, sha: string): string[] {
  const seen = new Set<string>();
  for (let line = start; line <= end; line++) {
    if (blame.commits[blame.lineCommit[line]!]?.sha !== sha) continue;
    for (const traced of blame.traced.get(line) ?? []) seen.add(traced);
  }
  return [...seen];
}

/**
 * Who wrote the lines, as `git shortlog` counts them: by name, so one person committing under two
 * addresses (work and personal, an old employer's) is one author, shown with the address of most lines.
 */
export function authorsOf(blame: TracedBlame, blamed: Map<number, number>): AuthorShare[] {
  const byName = new Map<string, AuthorShare & { byMail: Map<string, number> }>();
  const counted = new Set<string>();
  for (const [index, count] of blamed) {
    const commit = blame.commits[index]!;
    if (isUncommitted(commit.sha)) continue;
    const key = commit.author.trim().toLowerCase() || commit.authorMail.toLowerCase();
    const share = byName.get(key) ?? { name: commit.author, email: commit.authorMail, lines: 0, commits: 0, byMail: new Map<string, number>() };
    share.lines += count;
    share.byMail.set(commit.authorMail, (share.byMail.get(commit.authorMail) ?? 0) + count);
    // A commit blamed under two paths (code it copied from another file) is still one commit.
    if (!counted.has(commit.sha)) share.commits += 1;
    counted.add(commit.sha);
    byName.set(key, share);
  }
  return [...byName.values()]
    .map(({ byMail, ...share }) => ({ ...share, email: [...byMail].sort((a, b) => b[1] - a[1])[0]![0] }))
    .sort((a, b) => b.lines - a.lines || a.name.localeCompare(b.name));
}

export function buildTimeline(
  blame: TracedBlame,
  blamed: Map<number, number>,
  lineResult: HistoryResult<LineHistoryEntry> | undefined,
  fileResult: HistoryResult<FileHistoryEntry> | undefined,
  ranked: ScoredCandidate[],
  wholeFile: boolean,
): ArchaeologyContext['timeline'] {
  const commitsBySha = new Map(ranked.map((item) => [item.sha, item.commit!]));
  const history = wholeFile ? fileResult : lineResult;
  const shas = history?.items.map((item) => item.sha) ?? [];
  let newest: CommitRef | undefined;
  let newestTime = -Infinity;
  for (const [index] of blamed) {
    const commit = blame.commits[index]!;
    if (isUncommitted(commit.sha) || commit.authorTime <= newestTime) continue;
    newestTime = commit.authorTime;
    newest = { sha: commit.sha, shortSha: shortSha(commit.sha), author: commit.author, date: commitsBySha.get(commit.sha)?.date ?? new Date(commit.authorTime * 1000).toISOString(), subject: commit.summary };
  }
  const oldestSha = history?.complete ? shas[shas.length - 1] : undefined;
  const oldest = oldestSha ? commitsBySha.get(oldestSha) : undefined;
  const timeline: ArchaeologyContext['timeline'] = { commitCount: shas.length || commitsBySha.size };
  if (oldest) timeline.created = commitRef(oldest);
  if (newest) timeline.lastChanged = newest;
  return timeline;
}

export function orderReasons(reasons: Set<EvidenceReason>): EvidenceReason[] {
  const order: EvidenceReason[] = ['blame', 'line-history', 'file-history', 'rename', 'moved-code', 'semantic', 'keyword'];
  return order.filter((reason) => reasons.has(reason));
}

/** Where the file was in a commit and in that commit's parent, when either differs from its path today. */
export interface CommitPaths {
  pathInCommit?: string;
  pathInParent?: string;
}

/**
 * The file's path in `sha` and in its parent, as blame (for the asked lines), line history or file
 * history names them, first that knows. Each is given only when it differs from the one before it
 * (the parent's from the commit's, the commit's from today's `file`); a parent without the file (the
 * commit created it) has none. For opening the commit's diff of a file renamed since.
 */
export function commitPaths(
  sha: string,
  blame: TracedBlame,
  lineResult: HistoryResult<LineHistoryEntry> | undefined,
  fileResult: HistoryResult<FileHistoryEntry> | undefined,
  file: string,
): CommitPaths {
  const known = pathsOf(sha, blame, lineResult, fileResult);
  if (!known) return {};
  const paths: CommitPaths = {};
  if (known.path !== file) paths.pathInCommit = known.path;
  if (known.parentPath !== undefined && known.parentPath !== known.path) paths.pathInParent = known.parentPath;
  return paths;
}

function pathsOf(
  sha: string,
  blame: TracedBlame,
  lineResult: HistoryResult<LineHistoryEntry> | undefined,
  fileResult: HistoryResult<FileHistoryEntry> | undefined,
): { path: string; parentPath?: string } | undefined {
  const blamed = blame.commits.find((commit) => commit.sha === sha && commit.filename);
  if (blamed) return { path: blamed.filename, parentPath: blamed.previous?.filename };
  const line = lineResult?.items.find((entry) => entry.sha === sha && entry.path);
  if (line?.path) return { path: line.path, parentPath: line.previousPath };
  const changed = fileResult?.items.find((entry) => entry.sha === sha);
  if (changed) return { path: changed.path, parentPath: changed.oldPath ?? (changed.status.startsWith('A') ? undefined : changed.path) };
  return undefined;
}
