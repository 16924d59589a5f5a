import type { EngineParts } from './compose';
import type { ResolvedQuestion } from './archaeology/provider';
import { LineHistories } from './archaeology/line-histories';
import { issuesFromMessage, pullRequestFromMessage } from './archaeology/references';
import { isUncommitted } from './git/blame';
import type { TracedBlame } from './git/blamer';
import { classifyChange, type ChangeKind } from './git/cosmetic';
import { fileHistory, type LineHistoryEntry } from './git/history';
import type { Repository } from './git/repository';
import { AilError } from './util/errors';
import { CancelledError, isCancelled } from './util/flight';
import { orWhenAborted, withDeadline } from './util/race';
import { textOf } from './util/slices';

/**
 * The plain questions under an answer, for front ends that want the facts rather than the answer (the
 * MCP server's `line_history`, `blame` and `search_history`): each is made of what the engine's parts
 * already compute (the provider's line histories, the blamer's traced blame, the commit index's
 * search), with the same path checks, time limit and cancellation as `ask`.
 */

/** One commit, as the history questions name it. */
export interface HistoryCommit {
  sha: string;
  shortSha: string;
  author: string;
  /** ISO 8601 author date. */
  date: string;
  subject: string;
  /** The pull request its message names (`Title (#12)`, `Merge pull request #12`). */
  pullRequest?: number;
  /** Issues its message closes (`Fixes #45`). */
  issues: number[];
}

export interface LineHistoryCommit extends HistoryCommit {
  /** The file's path in this commit, when it differs from today's (a rename, or code moved from another file). */
  path?: string;
  /** A cosmetic change (whitespace, formatting, a pure rename) that blame was traced through to reach an older commit. */
  cosmetic?: Exclude<ChangeKind, 'substantive'>;
  /** Lines of the range blame gives to this commit after tracing through cosmetic commits: where they come from today. */
  blamedLines?: number;
}

export interface LineHistoryAnswer {
  file: string;
  /** 0-based, inclusive. */
  lines: { start: number; end: number };
  headSha: string;
  /** Newest first. */
  commits: LineHistoryCommit[];
  /** The time limit cut the walk or the blame: older commits may be missing. */
  partial: boolean;
}

/** Consecutive lines blamed on one commit. */
export interface BlameRun {
  /** 0-based, inclusive. */
  start: number;
  end: number;
  sha: string;
  /** Where the first line of the run was in that commit (1-based). */
  originalLine: number;
  /** The file's path in that commit, when it differs from today's. */
  path?: string;
  /** Cosmetic commits (newest first) blame was traced through to reach this one. */
  tracedThrough?: string[];
}

export interface BlameAnswer {
  file: string;
  lines: { start: number; end: number };
  headSha: string;
  runs: BlameRun[];
  /** Each commit the runs name, once. */
  commits: HistoryCommit[];
  /** Every cosmetic commit blame was traced through, and what kind it was. */
  cosmetic: { sha: string; kind: ChangeKind }[];
  partial: boolean;
}

export type IndexReadiness = 'ready' | 'building' | 'off' | 'failed' | 'loading';

export interface SearchAnswer {
  query: string;
  /** The file the search was restricted to (its commits), when one was given. */
  file?: string;
  index: { state: IndexReadiness; commits: number; reason?: string };
  /** Best first; empty when the index is not ready. */
  commits: (HistoryCommit & { similarity: number })[];
}

export interface HistoryRequest {
  /** Absolute path of a file. */
  path: string;
  /** The work tree the path must be inside (the served repository). */
  repository?: string;
  /** 0-based, inclusive. */
  lines?: { start: number; end: number };
  signal?: AbortSignal;
  timeLimitMs: number;
}

const MAX_LIMIT = 30;

export class HistoryQueries {
  /** The provider's line histories share their walks through the git store; in memory, these are the façade's own. */
  private readonly histories: LineHistories;

  constructor(private readonly parts: EngineParts) {
    this.histories = new LineHistories(parts.registry.store);
  }

  /** The commits that shaped these lines, newest first: `log -L` (renames followed) and the traced blame's origins, cosmetic ones marked. */
  async lineHistory(request: HistoryRequest & { lines: { start: number; end: number }; limit?: number }): Promise<LineHistoryAnswer> {
    const target = await this.resolve(request);
    const lines = target.lines!;
    const deadline = withDeadline(request.signal, request.timeLimitMs);
    const [walk, blame] = await Promise.all([
      this.histories.get(target.repo, target.head, target.file, target.headFile.blob, lines, deadline),
      this.blameOf(target, deadline),
    ]);
    stopIfCancelled(request.signal);
    const limit = Math.min(request.limit ?? 10, MAX_LIMIT);
    const shas = new Map<string, { path?: string; entry?: LineHistoryEntry }>();
    for (const item of walk.items) shas.set(item.sha, { path: item.path && item.path !== target.file ? item.path : undefined, entry: item });
    const blamed = new Map<string, { lines: number; path?: string }>();
    if (blame) {
      for (let line = lines.start; line <= lines.end; line++) {
        const commit = blame.commits[blame.lineCommit[line]!];
        if (!commit || isUncommitted(commit.sha)) continue;
        const entry = blamed.get(commit.sha) ?? { lines: 0, path: commit.filename !== target.file ? commit.filename : undefined };
        entry.lines++;
        blamed.set(commit.sha, entry);
        for (const sha of blame.traced.get(line) ?? []) if (!shas.has(sha)) shas.set(sha, {});
      }
      // Code moved from another file is blamed there (-C); log -L stops at the move: the origin is added.
      for (const [sha, entry] of blamed) if (!shas.has(sha)) shas.set(sha, { path: entry.path });
    }
    const commits: (LineHistoryCommit & { time: number })[] = [];
    for (const [sha, known] of shas) {
      const commit = await describe(target.repo, sha);
      if (!commit) continue;
      // Blame ignores whitespace (-w), so it never classifies a re-indentation: a commit it did not trace through is asked here.
      const kind = blame?.cosmetic.get(sha) ?? (known.entry && !blamed.has(sha) ? await cosmeticKind(target.repo, commit, known.entry, target.file) : undefined);
      commits.push({
        ...commit,
        ...(known.path ? { path: known.path } : {}),
        ...(kind && kind !== 'substantive' ? { cosmetic: kind } : {}),
        ...(blamed.has(sha) ? { blamedLines: blamed.get(sha)!.lines } : {}),
      });
    }
    // Author dates carry their author's offset: order by the instant.
    commits.sort((a, b) => b.time - a.time);
    const partial = !blame || (!walk.complete && walk.stopped !== 'limit');
    return { file: target.file, lines, headSha: target.head, commits: commits.slice(0, limit).map(({ time: _time, ...commit }) => commit), partial };
  }

  /** Line by line, the commit each line comes from after tracing through cosmetic commits, as runs of consecutive lines. */
  async blame(request: HistoryRequest): Promise<BlameAnswer> {
    const target = await this.resolve(request);
    const lines = target.lines ?? { start: 0, end: Math.max(0, target.lineCount - 1) };
    const deadline = withDeadline(request.signal, request.timeLimitMs);
    const blame = await this.blameOf(target, deadline);
    stopIfCancelled(request.signal);
    const base = { file: target.file, lines, headSha: target.head };
    if (!blame || target.lineCount === 0) return { ...base, runs: [], commits: [], cosmetic: [], partial: !blame };
    const runs: BlameRun[] = [];
    for (let line = lines.start; line <= lines.end; line++) {
      const commit = blame.commits[blame.lineCommit[line]!]!;
      const traced = blame.traced.get(line) ?? [];
      const last = runs[runs.length - 1];
      if (last && last.sha === commit.sha && last.end === line - 1 && (last.tracedThrough ?? []).join() === traced.join()) {
        last.end = line;
        continue;
      }
      runs.push({
        start: line,
        end: line,
        sha: commit.sha,
        originalLine: blame.originalLine[line]!,
        ...(commit.filename && commit.filename !== target.file ? { path: commit.filename } : {}),
        ...(traced.length ? { tracedThrough: traced } : {}),
      });
    }
    const named = [...new Set(runs.map((run) => run.sha))];
    const commits: HistoryCommit[] = [];
    for (const sha of named) {
      if (isUncommitted(sha)) continue;
      const commit = await describe(target.repo, sha);
      if (commit) commits.push(withoutTime(commit));
    }
    return { ...base, runs, commits, cosmetic: [...blame.cosmetic].map(([sha, kind]) => ({ sha, kind })), partial: false };
  }

  /**
   * Commits whose messages are nearest the query, from the repository's commit index; only those that
   * touched `path` when one is given. While the index is not ready (off, the embedder loading, being
   * built) the answer says so and holds no commits: it never waits past the time limit for the index.
   */
  async search(request: { repository: string; query: string; path?: string; limit?: number; signal?: AbortSignal; timeLimitMs: number; indexEnabled: boolean }): Promise<SearchAnswer> {
    const { repo } = await this.parts.registry.forDirectory(request.repository);
    const head = await repo.requireHead();
    const file = request.path === undefined ? undefined : repo.relativePath(request.path, repo.root);
    const base = { query: request.query, ...(file ? { file } : {}) };
    if (!request.indexEnabled) return { ...base, index: { state: 'off', commits: 0, reason: 'the semantic index is off (AIL_INDEX_ENABLED=false)' }, commits: [] };
    const deadline = withDeadline(request.signal, request.timeLimitMs);
    const semantic = this.parts.semantic;
    // The embedder's load is shared by the whole process: it takes no question's signal, only the wait for it does.
    const started = await orWhenAborted(semantic.start(), deadline, undefined);
    stopIfCancelled(request.signal);
    if (!started) return { ...base, index: { state: 'loading', commits: 0, reason: 'the embedding model is still loading; ask again shortly' }, commits: [] };
    const index = await semantic.ready(repo, deadline);
    stopIfCancelled(request.signal);
    if (!index) return { ...base, index: { state: 'off', commits: 0, reason: 'there is no commit index for this repository' }, commits: [] };
    if (index.state !== 'ready') {
      const progress = index.progress ? ` (${index.progress.done} of ${index.progress.total} commits)` : '';
      const reason = index.state === 'failed' ? `the commit index failed: ${index.reason ?? 'see the log'}` : `the commit index is being built${progress}; ask again shortly`;
      return { ...base, index: { state: index.state === 'failed' ? 'failed' : 'building', commits: index.count, ...(reason ? { reason } : {}) }, commits: [] };
    }
    // The file's commits under its earlier names too: a search for why it exists should reach back past a move.
    const touched = file ? new Set((await fileHistory(repo, head, file, { limit: 20_000, signal: request.signal })).items.map((item) => item.sha)) : undefined;
    stopIfCancelled(request.signal);
    let hits;
    try {
      hits = await index.search(request.query, Math.min(request.limit ?? 10, MAX_LIMIT), request.signal, touched);
    } catch (error) {
      if (isCancelled(error)) throw new CancelledError();
      throw error;
    }
    const commits: SearchAnswer['commits'] = [];
    // A similarity at or below 0 shares nothing with the query: not a result.
    for (const hit of hits.filter((found) => found.similarity > 0)) {
      const commit = await describe(repo, hit.sha);
      if (commit) commits.push({ ...withoutTime(commit), similarity: Math.round(hit.similarity * 1000) / 1000 });
    }
    return { ...base, index: { state: 'ready', commits: index.count }, commits };
  }

  /** The file at HEAD and the asked lines, checked as `ask` checks them; a file HEAD does not have is refused (blame runs at HEAD). */
  private async resolve(request: HistoryRequest): Promise<ResolvedQuestion> {
    const target = await this.parts.provider.resolve({ path: request.path, repository: request.repository, lines: request.lines, depth: 'quick' });
    if (!(await target.repo.hasPath(target.head, target.file))) {
      throw new AilError('file-missing', `${target.file} is not in HEAD (removed, or not committed yet): blame and line history read the file as HEAD has it`);
    }
    return target;
  }

  /** The traced blame of the asked lines (the whole file without lines), or undefined when the deadline passed first. */
  private async blameOf(target: ResolvedQuestion, signal: AbortSignal): Promise<TracedBlame | undefined> {
    const request = { path: target.file, head: target.head, blob: target.headFile.blob, text: target.headFile.text };
    const blame = target.lines ? target.blamer.blameLines({ ...request, lines: target.lines }, signal) : target.blamer.blame(request, signal);
    try {
      return await orWhenAborted(blame, signal, undefined);
    } catch (error) {
      if (isCancelled(error)) return undefined;
      throw error;
    }
  }
}

/** How a commit of the walk changed the file (`classifyChange`, the blamer's test), from its version and its parent's; undefined when either cannot be read. */
async function cosmeticKind(repo: Repository, commit: { sha: string }, entry: LineHistoryEntry, file: string): Promise<ChangeKind | undefined> {
  const info = await repo.commit(commit.sha);
  const parent = info?.parents[0];
  const after = entry.path ?? file;
  const before = entry.previousPath ?? after;
  if (!parent) return undefined;
  const [now, then] = await Promise.all([bytesAt(repo, commit.sha, after), bytesAt(repo, parent, before)]);
  if (!now || !then) return undefined;
  return classifyChange(then, now, before !== after);
}

async function bytesAt(repo: Repository, sha: string, file: string): Promise<Buffer | undefined> {
  try {
    return Buffer.from(await textOf((await repo.headFile(file, sha)).text), 'utf8');
  } catch {
    return undefined; // not there (created by the commit), binary, or gone from a partial clone
  }
}

function stopIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

async function describe(repo: Repository, sha: string): Promise<(HistoryCommit & { time: number }) | undefined> {
  const commit = await repo.commit(sha);
  if (!commit) return undefined;
  const pullRequest = pullRequestFromMessage(commit.subject, commit.body)?.number;
  return {
    sha,
    shortSha: sha.slice(0, 7),
    author: commit.author,
    date: commit.date,
    subject: commit.subject,
    ...(pullRequest !== undefined ? { pullRequest } : {}),
    issues: issuesFromMessage(`${commit.subject}\n${commit.body}`).filter((issue) => !issue.repository).map((issue) => issue.number),
    time: commit.authorTime,
  };
}

function withoutTime({ time: _time, ...commit }: HistoryCommit & { time: number }): HistoryCommit {
  return commit;
}
