import { isUncommitted, type Blame } from './blame';
import type { Repository } from './repository';
import { changedFiles, type ChangedFile } from './trees';

/**
 * git blame's default copy score (`-C` without a number): a run of lines goes to another file only
 * when it holds more alphanumeric characters than this (git counts 1 + the alphanumerics).
 */
const COPY_SCORE = 40;
/** Past these, a commit is too big to check: blame with `-C` and let git look. */
const MAX_SOURCE_FILES = 256;
const MAX_SOURCE_BYTES = 32 * 1024 * 1024;
const MAX_REMEMBERED = 1024;

type Sources = { files: ChangedFile[] } | 'unknown';

/**
 * Decides, without running git, whether `git blame -C` could give any of the lines a `-w -M` blame
 * blamed on some commit to another file. Copy detection only acts on the lines a commit would
 * otherwise keep: at a blamed commit Y, git diffs runs of those lines (as they read in the final text,
 * whitespace ignored) against the pre-images of the other files Y changed, and moves a block of a run
 * only when the block appears line for line in one such file and scores above COPY_SCORE. So if no
 * such block exists for any blamed commit, `-w -M -C` blames exactly as `-w -M` did, and the costly
 * copy search can be skipped.
 * Anything this cannot check (lines not committed yet, huge commits, missing objects) answers true.
 */
export class CopyCheck {
  /** The files each (commit, parent) changed: small, and asked again by every blame of those commits. */
  private readonly changed = new Map<string, Promise<Sources>>();

  constructor(private readonly repo: Repository) {}

  async couldMoveLines(blame: Blame, finalText: string, start: number, end: number): Promise<boolean> {
    const last = Math.min(end, blame.lineCommit.length - 1);
    const finalLines = linesOf(finalText, start, last);
    const verdicts = await Promise.all(
      [...blameRuns(blame, start, last)].map(async ([index, lineRuns]) => {
        const blamed = blame.commits[index]!;
        if (isUncommitted(blamed.sha)) return true;
        if (blamed.boundary) return false; // no parents here: nothing to copy from
        // Runs too small to reach the score cannot move, whatever the other files hold.
        const runs = lineRuns
          .map((run) => run.map((line) => toLine(finalLines[line - start] ?? '')))
          .filter((run) => run.reduce((score, line) => score + line.alnum, 1) > COPY_SCORE);
        if (runs.length === 0) return false;
        const commit = await this.repo.commit(blamed.sha);
        if (!commit) return true;
        const verdicts = await Promise.all(
          commit.parents.map(async (parent) => {
            const sources = await this.changedFiles(commit.tree, parent);
            if (sources === 'unknown') return true;
            const own = blamed.previous?.sha === parent ? blamed.previous.filename : undefined;
            return this.copiedFromAny(sources.files.filter((file) => file.path !== own), runs);
          }),
        );
        return verdicts.some(Boolean);
      }),
    );
    return verdicts.some(Boolean);
  }

  /** Starts reading what checking this commit needs (its parents' trees), while blame is still running. */
  prefetch(sha: string, previous: string | undefined): void {
    if (previous) void this.repo.commit(previous);
    void this.repo.commit(sha).then((commit) => {
      for (const parent of commit?.parents ?? []) void this.changedFiles(commit!.tree, parent);
    }, () => undefined);
  }

  /** The files the commit changed or removed, as they were in `parent`. Remembered per commit and parent. */
  private changedFiles(tree: string, parentSha: string): Promise<Sources> {
    const key = `${tree}\0${parentSha}`;
    let sources = this.changed.get(key);
    if (!sources) {
      sources = (async (): Promise<Sources> => {
        const parent = await this.repo.commit(parentSha);
        if (!parent) return { files: [] }; // beyond a shallow boundary: git has no parent to copy from either
        const files = await changedFiles(this.repo.objects, parent.tree, tree, MAX_SOURCE_FILES);
        return files === 'too-many' ? 'unknown' : { files };
      })().catch(() => 'unknown' as const);
      if (this.changed.size >= MAX_REMEMBERED) this.changed.delete(this.changed.keys().next().value!);
      this.changed.set(key, sources);
    }
    return sources;
  }

  /**
   * Whether some stretch of a run (as many of its lines as it takes to score) appears, line after
   * line, in one of these files: git only moves lines that its diff against that file finds in common,
   * and common lines come in unbroken blocks on both sides.
   */
  private async copiedFromAny(files: readonly ChangedFile[], runs: readonly Line[][]): Promise<boolean> {
    const wanted = new Set(runs.flatMap((run) => run.map((line) => line.bare)));
    const firsts = new Set([...wanted].map((bare) => bare.charAt(0)));
    const objects = await Promise.all(files.map((file) => this.repo.objects.read(file.oid)));
    let bytes = 0;
    const budget = { comparisons: MAX_COMPARISONS };
    for (const object of objects) {
      if (object.kind !== 'found') return true;
      bytes += object.content.length;
      if (bytes > MAX_SOURCE_BYTES) return true;
      // Where each wanted line sits in this file; other lines can never be part of a copied block.
      const source: (string | undefined)[] = [];
      const positions = new Map<string, number[]>();
      for (const text of object.content.toString('utf8').split('\n')) {
        const trimmed = text.trim();
        const bare = firsts.has(trimmed.charAt(0)) ? withoutWhitespace(trimmed) : undefined;
        if (bare !== undefined && wanted.has(bare)) {
          const at = positions.get(bare);
          if (at) at.push(source.length);
          else positions.set(bare, [source.length]);
          source.push(bare);
        } else source.push(undefined);
      }
      if (positions.size === 0) continue;
      for (const run of runs) if (copiedBlock(run, source, positions, budget)) return true;
    }
    return false;
  }
}

/** A line of the final text as copy detection compares and scores it. */
interface Line {
  /** Whitespace removed: what `-w` compares. */
  bare: string;
  alnum: number;
}

const MAX_COMPARISONS = 2_000_000;

function toLine(text: string): Line {
  return { bare: withoutWhitespace(text), alnum: alphanumerics(text) };
}

/** Whether a block of consecutive run lines, equal line for line to consecutive source lines, scores as a copy. */
function copiedBlock(run: readonly Line[], source: readonly (string | undefined)[], positions: Map<string, number[]>, budget: { comparisons: number }): boolean {
  for (let i = 0; i < run.length; i++) {
    for (const at of positions.get(run[i]!.bare) ?? []) {
      let score = 1;
      for (let k = 0; i + k < run.length && at + k < source.length && source[at + k] === run[i + k]!.bare; k++) {
        score += run[i + k]!.alnum;
        if (score > COPY_SCORE) return true;
        // Past this much work, say "could": git's own search will settle it.
        if (--budget.comparisons <= 0) return true;
      }
    }
  }
  return false;
}

/** A run of final lines blamed on one commit, consecutive in the final text and in the commit. */
type Run = number[];

function blameRuns(blame: Blame, start: number, end: number): Map<number, Run[]> {
  const runs = new Map<number, Run[]>();
  let current: Run | undefined;
  for (let line = start; line <= end; line++) {
    const index = blame.lineCommit[line]!;
    if (index < 0) {
      current = undefined;
      continue;
    }
    const continues = current !== undefined && blame.lineCommit[line - 1] === index && blame.originalLine[line] === blame.originalLine[line - 1]! + 1;
    if (!continues) {
      current = [];
      runs.set(index, [...(runs.get(index) ?? []), current]);
    }
    current!.push(line);
  }
  return runs;
}

/** `-w` compares lines with all whitespace removed. */
function withoutWhitespace(line: string): string {
  return line.replace(/\s+/g, '');
}

function alphanumerics(line: string): number {
  let count = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)) count++;
  }
  return count;
}

/** Lines start..end (0-based, inclusive) of a text, without splitting all of it. */
function linesOf(text: string, start: number, end: number): string[] {
  let pos = 0;
  for (let line = 0; line < start && pos >= 0; line++) {
    pos = text.indexOf('\n', pos);
    if (pos >= 0) pos++;
  }
  if (pos < 0) return [];
  const lines: string[] = [];
  for (let line = start; line <= end; line++) {
    const next = text.indexOf('\n', pos);
    lines.push(next < 0 ? text.slice(pos) : text.slice(pos, next));
    if (next < 0) break;
    pos = next + 1;
  }
  return lines;
}
