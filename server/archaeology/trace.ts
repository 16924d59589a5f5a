import type { TracedChange } from '../../shared/types';
import { blameOneLine, commitHunks, type CommitHunk, type LineOrigin } from '../git/line-origin';
import { gitSourcesHash, type GitStore } from '../git/git-store';
import type { Repository } from '../git/repository';
import { CancelledError, FlightCache, isCancelled } from '../util/flight';
import { orWhenAborted } from '../util/race';
import { classifyLineChange, preImageOf, similarity, tokens, type PreImage, type RemovedLine } from './mechanical';
import { isGenericMessage } from './text';

/**
 * A line followed back through the commits that changed its form but not what it does: from the commit
 * blame names, to what the line read before it (the most alike line that commit removed, in the same
 * file or, for a move, another), to the commit that wrote that, and so on until a commit changed what
 * the line does. That commit explains the line; the ones passed are said with what they did.
 */

/** A commit passed on the way, and what it did to the line. */
export interface TraceStep {
  sha: string;
  change: TracedChange;
  /** The line's path in that commit. */
  path: string;
}

export interface LineTrace {
  /** Where the trace ended: the commit that wrote what the line does, its path and line there. */
  origin: LineOrigin;
  /** The commits passed, newest first. */
  steps: TraceStep[];
  /** False when the time limit stopped it before a commit that changed the line (the step bound ends it complete). */
  complete: boolean;
}

/** Commits passed at most: past this, a line's history is a rewrite, not a reshaping. */
const MAX_STEPS = 6;

/**
 * Traces kept per line of a commit, and the lines each commit removed (a formatter's commit is met by
 * every line it touched), both bounded. A trace cut short is not kept.
 */
export class LineTracer {
  private readonly traces = new FlightCache<string, LineTrace>(2048);
  private readonly code = traceCodeStamp();

  /** `store`: traces kept on disk too (a trace depends on commit objects only), for the next process. */
  constructor(private readonly store?: GitStore) {}

  /** Per commit and parent. */
  private readonly hunks = new FlightCache<string, CommitHunk[]>(16);

  /**
   * The trace from `start` (a line as blame gave it). It runs under `work`, which may outlive the
   * answer (a long-lived process lets cut work finish, for the next question); the answer waits until
   * `wait` ends and takes what was found by then.
   */
  async trace(repo: Repository, start: LineOrigin, work: AbortSignal, wait: AbortSignal = work): Promise<LineTrace> {
    const key = memoryKey(repo, start);
    let partial: LineTrace = { origin: start, steps: [], complete: false };
    const walking = this.traces.get(
      key,
      (shared) =>
        this.walk(repo, start, shared, (sofar) => {
          partial = sofar;
        }),
      work,
    );
    try {
      return (await orWhenAborted(walking, wait, undefined)) ?? partial;
    } catch (error) {
      // Cancelled: what was found so far. Anything else (git gone, an object unreadable): blame's answer stands.
      return isCancelled(error) ? partial : { origin: start, steps: [], complete: true };
    }
  }

  /** A trace already made (in memory, or on disk from an earlier process), without asking git anything: for hovers. */
  async known(repo: Repository, start: LineOrigin): Promise<LineTrace | undefined> {
    const kept = this.traces.peek(memoryKey(repo, start));
    if (kept) return kept;
    const id = this.storeId(start);
    return this.store?.readRecord('line trace', id, repo.storeIdentity(), (body) => decodeTrace(body, start)).catch(() => undefined);
  }

  /** What a stored trace is keyed by besides the work tree: the rules that made it and where it starts. */
  private storeId(start: LineOrigin): string[] {
    return [this.code, start.sha, start.path, String(start.line)];
  }

  private async walk(repo: Repository, start: LineOrigin, signal: AbortSignal, progress: (sofar: LineTrace) => void): Promise<LineTrace> {
    const id = this.storeId(start);
    const stored = await this.store?.readRecord('line trace', id, repo.storeIdentity(), (body) => decodeTrace(body, start));
    if (stored) return stored;
    const trace = await this.follow(repo, start, signal, progress);
    this.store?.writeRecord('line trace', id, repo.storeIdentity(), JSON.stringify(trace));
    return trace;
  }

  private async follow(repo: Repository, start: LineOrigin, signal: AbortSignal, progress: (sofar: LineTrace) => void): Promise<LineTrace> {
    const steps: TraceStep[] = [];
    let at = start;
    for (let round = 0; round < MAX_STEPS; round++) {
      const next = await this.step(repo, at, signal);
      if (signal.aborted) throw new CancelledError();
      if (!next) return { origin: at, steps, complete: true };
      steps.push({ sha: at.sha, change: next.change, path: at.path });
      at = next.origin;
      progress({ origin: at, steps: [...steps], complete: false });
    }
    return { origin: at, steps, complete: true };
  }

  /** What `at`'s commit did to the line, and where the line was before it, unless the commit changed what it does. */
  private async step(repo: Repository, at: LineOrigin, signal: AbortSignal): Promise<{ change: TracedChange; origin: LineOrigin } | undefined> {
    const commit = await repo.commit(at.sha);
    if (!commit || commit.parents.length === 0) return undefined;
    const text = (await repo.objects.readText(`${at.sha}:${at.path}`))?.split('\n')[at.line - 1];
    if (text === undefined) return undefined;
    // A merge is compared with each side (two at most): the line comes from the one it is most like.
    let found: (Found & { parent: string }) | undefined;
    for (const parent of commit.parents.slice(0, 2)) {
      const hunks = await this.hunks.get(`${at.sha}\0${parent}`, (shared) => commitHunks(repo, at.sha, parent, shared), signal);
      const here = lineBefore(hunks, at, text);
      if (here && (!found || here.before.similarity > found.before.similarity)) found = { ...here, parent };
    }
    if (!found) return undefined;
    const { before, moved, block, parent } = found;
    // A merge that kept the line much as one side had it resolved a conflict: the side's commit wrote it.
    const change =
      commit.parents.length > 1
        ? before.similarity >= 0.6
          ? 'merge'
          : 'substantive'
        : classifyLineChange(before.text, text, `${commit.subject}\n${commit.body}`, { moved, generic: isGenericMessage(commit.subject, commit.body), block });
    if (change === 'substantive') return undefined;
    const origin = await blameOneLine(repo, parent, before.removed.path, before.removed.line, signal);
    if (!origin || origin.sha === at.sha) return undefined;
    return { change, origin };
  }
}

/** The line as it read before a commit, where that was, and how alike the block it was rewritten in stayed. */
interface Found {
  before: PreImage;
  /** It was elsewhere: in another hunk of the file, or in another file. */
  moved: boolean;
  /** How alike the hunk that wrote the line is to what it replaced (0..1). */
  block: number;
}

/**
 * Of the lines a commit removed (`hunks`, against one parent), the one `text` (line `at` in the commit)
 * was before: the most alike in the hunk that wrote it, unless a line elsewhere in the file is clearly
 * more alike (a block moved within the file); else an almost identical line of another file (a move);
 * else, when the hunk kept most of its tokens as a whole (a refactor reshaping a block), its most
 * alike removed line, if it shares anything with the line.
 */
function lineBefore(hunks: readonly CommitHunk[], at: LineOrigin, text: string): Found | undefined {
  const own = hunks.find((hunk) => hunk.pathAfter === at.path && hunk.newStart <= at.line && at.line < hunk.newStart + hunk.added.length);
  const inFile = hunks.filter((hunk) => hunk.pathAfter === at.path);
  const block = own && own.removed.length > 0 ? similarity(own.removed.join(' '), own.added.join(' ')) : 0;
  const inOwn = own ? preImageOf(text, removedOf([own])) : undefined;
  const anywhereInFile = preImageOf(text, removedOf(inFile));
  // A line found outside the hunk that wrote it was moved there: only a line with enough in it to be told apart.
  const elsewhere = anywhereInFile && distinctive(text) ? anywhereInFile : undefined;
  const before = inOwn && !(elsewhere && elsewhere.similarity > inOwn.similarity + 0.1) ? inOwn : (elsewhere ?? inOwn);
  if (before) {
    const inside = own !== undefined && before.removed.path === own.path && before.removed.line >= own.oldStart && before.removed.line < own.oldStart + own.removed.length;
    return { before, moved: !inside, block };
  }
  const moved = distinctive(text) ? preImageOf(text, removedOf(hunks.filter((hunk) => hunk.pathAfter !== at.path)), 0.8) : undefined;
  if (moved) return { before: moved, moved: true, block };
  const reshaped = own && block >= 0.5 ? preImageOf(text, removedOf([own]), 0.15) : undefined;
  return reshaped && { before: reshaped, moved: false, block };
}

/** A line with enough in it to be recognised elsewhere: `newValue = objValue;` is in many places, a signature or a long name in one. */
function distinctive(text: string): boolean {
  const words = tokens(text).filter((token) => /[\w"$]/.test(token));
  const long = words.some((token) => token.replace(/[^A-Za-z0-9]/g, '').length >= 12); // `synchronousRequestInterceptors`, a package pin
  return text.replace(/[^A-Za-z0-9]/g, '').length >= 16 && (words.length >= 4 || long);
}

function memoryKey(repo: Repository, start: LineOrigin): string {
  return `${repo.root}\0${start.sha}\0${start.path}\0${start.line}`;
}

/** The lines the hunks removed, each with its file's path and line in the parent. */
function removedOf(hunks: readonly CommitHunk[]): RemovedLine[] {
  return hunks.flatMap((hunk) => (hunk.path === undefined ? [] : hunk.removed.map((text, i) => ({ path: hunk.path!, line: hunk.oldStart + i, text }))));
}

/**
 * The rules a trace was made by, hashed when the bundle is built (esbuild.mjs): a trace stored by other
 * rules is never read.
 */
declare const AIL_TRACE_SOURCES: string | undefined;

function traceCodeStamp(): string {
  if (typeof AIL_TRACE_SOURCES === 'string') return AIL_TRACE_SOURCES;
  return gitSourcesHash(__dirname, ['mechanical.ts', 'text.ts', 'trace.ts']);
}

const SHA = /^[0-9a-f]{40,64}$/;
const CHANGES: ReadonlySet<string> = new Set<TracedChange>(['whitespace', 'formatting', 'file-rename', 'identifier-rename', 'annotation', 'move', 'modernisation', 'refactor', 'merge', 'uninformative']);

/** A stored trace, or undefined when anything in it is not what a finished trace from `start` holds. */
function decodeTrace(body: string, start: LineOrigin): LineTrace | undefined {
  let o: unknown;
  try {
    o = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof o !== 'object' || o === null) return undefined;
  const { origin, steps, complete } = o as Record<string, unknown>;
  if (complete !== true || !isOrigin(origin) || !Array.isArray(steps) || steps.length > MAX_STEPS) return undefined;
  const decoded: TraceStep[] = [];
  for (const step of steps as unknown[]) {
    if (typeof step !== 'object' || step === null) return undefined;
    const { sha, change, path } = step as Record<string, unknown>;
    if (typeof sha !== 'string' || !SHA.test(sha) || typeof change !== 'string' || !CHANGES.has(change) || typeof path !== 'string') return undefined;
    decoded.push({ sha, change: change as TracedChange, path });
  }
  // A trace starts where it was asked from: its first step is that commit, or it has none and ends there.
  if (decoded.length > 0 ? decoded[0]!.sha !== start.sha : origin.sha !== start.sha) return undefined;
  return { origin, steps: decoded, complete: true };
}

function isOrigin(value: unknown): value is LineOrigin {
  if (typeof value !== 'object' || value === null) return false;
  const { sha, path, line } = value as Record<string, unknown>;
  return typeof sha === 'string' && SHA.test(sha) && typeof path === 'string' && typeof line === 'number' && Number.isInteger(line) && line >= 1;
}
