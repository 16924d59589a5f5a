import { alphanumerics } from '../util/chars';
import { isUncommitted, type Blame, type BlameCommit } from './blame';
import type { CatFileObject } from './catfile';
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
const MAX_HEADERS = 8192;
const CHECK_BATCH = 8;
/** Blobs read ahead and not claimed by a check are dropped after this, or when there are more than MAX_READ_AHEAD. */
const READ_AHEAD_KEEP_MS = 5000;
const MAX_READ_AHEAD = 512;

interface CommitHeader {
  tree: string;
  parents: string[];
}

/** The tree and parents of a raw commit object (the header ends at the first empty line). */
function parseHeader(content: Buffer): CommitHeader {
  const end = content.indexOf('\n\n');
  const header = content.toString('utf8', 0, end < 0 ? content.length : end);
  let tree = '';
  const parents: string[] = [];
  for (const line of header.split('\n')) {
    if (line.startsWith('tree ')) tree = line.slice(5);
    else if (line.startsWith('parent ')) parents.push(line.slice(7));
  }
  return { tree, parents };
}

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
  private readonly headers = new Map<string, Promise<CommitHeader | undefined | 'unreadable'>>();
  /** Blobs read ahead during a blame of some lines, by object name, oldest first. */
  private readonly blobs = new Map<string, { read: Promise<CatFileObject>; at: number }>();

  constructor(private readonly repo: Repository) {}

  async couldMoveLines(blame: Blame, finalText: string, start: number, end: number): Promise<boolean> {
    const begun = performance.now();
    try {
      return await this.check(blame, finalText, start, end);
    } finally {
      // Files read ahead for this blame and not claimed (a commit whose lines cannot score, or one
      // past the first that could move lines) are of no more use: do not hold them.
      for (const [oid, { at }] of this.blobs) if (at <= begun) this.blobs.delete(oid);
    }
  }

  private async check(blame: Blame, finalText: string, start: number, end: number): Promise<boolean> {
    const last = Math.min(end, blame.lineCommit.length - 1);
    const finalLines = linesOf(finalText, start, last);
    // A few commits at a time, so a whole file's hundreds of commits do not hold all their files at
    // once, and no further than the first that could move lines: then git's search runs anyway.
    const commits = [...blameRuns(blame, start, last)];
    for (let i = 0; i < commits.length; i += CHECK_BATCH) {
      const batch = commits.slice(i, i + CHECK_BATCH).map(([index, runs]) => {
        const lines = runs.map((run) => run.map((line) => toLine(finalLines[line - start] ?? '')));
        return this.commitCouldMove(blame.commits[index]!, lines);
      });
      const verdicts = await Promise.all(batch);
      if (verdicts.some(Boolean)) return true;
    }
    return false;
  }

  /** Whether `-C` could move some of these runs of lines, blamed on this commit, to another file it changed. */
  private async commitCouldMove(blamed: BlameCommit, lineRuns: Line[][]): Promise<boolean> {
    if (isUncommitted(blamed.sha)) return true;
    if (blamed.boundary) return false; // no parents here: nothing to copy from
    // Runs too small to reach the score cannot move, whatever the other files hold.
    const runs = lineRuns.filter((run) => run.reduce((score, line) => score + line.alnum, 1) > COPY_SCORE);
    if (runs.length === 0) return false;
    const commit = await this.header(blamed.sha);
    if (!commit || commit === 'unreadable') return true;
    const verdicts = await Promise.all(
      commit.parents.map(async (parent) => {
        const sources = await this.changedFiles(commit.tree, parent);
        if (sources === 'unknown') return true;
        const own = blamed.previous?.sha === parent ? blamed.previous.filename : undefined;
        return this.copiedFromAny(sources.files.filter((file) => file.path !== own), runs);
      }),
    );
    return verdicts.some(Boolean);
  }

  /**
   * Starts reading what checking this commit needs while blame is still running: its parents' trees,
   * and, for a blame of some lines (`withFiles`: a commit or two), the earlier versions of the other
   * files it changed, which the check reads whole.
   */
  prefetch(sha: string, previous: { sha: string; filename: string } | undefined, withFiles = false): void {
    if (previous) void this.header(previous.sha).catch(() => undefined);
    void this.header(sha).then(async (commit) => {
      if (!commit || commit === 'unreadable') return;
      for (const parent of commit.parents) {
        const sources = await this.changedFiles(commit.tree, parent);
        if (!withFiles || sources === 'unknown') continue;
        const own = previous?.sha === parent ? previous.filename : undefined; // the blamed file itself is no source
        for (const file of sources.files) if (file.path !== own) this.readAhead(file.oid);
      }
    }).catch(() => undefined); // read ahead only: the check itself reads again, and says what failed
  }

  /** A blob read ahead for the check, handed over once (then forgotten); unclaimed ones are dropped after a while. */
  private readAhead(oid: string): void {
    if (this.blobs.has(oid)) return;
    const read = this.repo.objects.read(oid);
    read.catch(() => undefined); // a read nobody claims may fail (the repository closed) unobserved
    this.blobs.set(oid, { read, at: performance.now() });
    for (const [key, { at }] of this.blobs) {
      if (performance.now() - at < READ_AHEAD_KEEP_MS && this.blobs.size <= MAX_READ_AHEAD) break;
      this.blobs.delete(key);
    }
  }

  private readBlob(oid: string): Promise<CatFileObject> {
    const ahead = this.blobs.get(oid);
    if (ahead) {
      this.blobs.delete(oid);
      return ahead.read;
    }
    return this.repo.objects.read(oid);
  }

  /**
   * A commit's tree and parents, read from its object header; undefined when the repository does not
   * have the commit, 'unreadable' when cat-file failed (not remembered). Kept here rather than as full
   * commits in the repository's cache: a whole file's blame names hundreds of commits, whose messages
   * no answer will show.
   */
  private header(sha: string): Promise<CommitHeader | undefined | 'unreadable'> {
    let header = this.headers.get(sha);
    if (!header) {
      header = this.repo.objects.read(sha).then(
        (object) => (object.kind === 'found' && object.type === 'commit' ? parseHeader(object.content) : undefined),
        () => {
          this.headers.delete(sha);
          return 'unreadable' as const;
        },
      );
      if (this.headers.size >= MAX_HEADERS) this.headers.delete(this.headers.keys().next().value!);
      this.headers.set(sha, header);
    }
    return header;
  }

  /** The files the commit changed or removed, as they were in `parent`. Remembered per commit and parent. */
  private changedFiles(tree: string, parentSha: string): Promise<Sources> {
    const key = `${tree}\0${parentSha}`;
    let sources = this.changed.get(key);
    if (!sources) {
      sources = (async (): Promise<Sources> => {
        const parent = await this.header(parentSha);
        if (parent === 'unreadable') return 'unknown';
        if (!parent) return { files: [] }; // not in this repository (a shallow boundary): git has no parent to copy from either
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
    const wanted = new Map<number, string[]>();
    for (const run of runs) {
      for (const { bare, hash } of run) {
        const same = wanted.get(hash);
        if (!same) wanted.set(hash, [bare]);
        else if (!same.includes(bare)) same.push(bare);
      }
    }
    const objects = await Promise.all(files.map((file) => this.readBlob(file.oid)));
    let bytes = 0;
    const budget = { comparisons: MAX_COMPARISONS };
    for (const object of objects) {
      if (object.kind !== 'found') return true;
      bytes += object.content.length;
      if (bytes > MAX_SOURCE_BYTES) return true;
      const found = locate(object.content, wanted);
      if (found.positions.size === 0) continue;
      for (const run of runs) if (copiedBlock(run, found, budget)) return true;
    }
    return false;
  }
}

/**
 * Whether lines in these ranges of the final text could score as a copy at all (git moves a block
 * only past COPY_SCORE letters and digits): if they cannot, no check needs the other files.
 */
export function rangesCouldScore(text: string, ranges: readonly { start: number; end: number }[]): boolean {
  let score = 1;
  for (const range of ranges) for (const line of linesOf(text, range.start, range.end)) score += alphanumerics(line);
  return score > COPY_SCORE;
}

/** A line of the final text as copy detection compares and scores it. */
interface Line {
  /** Whitespace removed: what `-w` compares. */
  bare: string;
  /** FNV-1a of the bare line's UTF-8 bytes, to find it in a file without decoding the file. */
  hash: number;
  alnum: number;
}

/** Where the wanted lines sit in one file: line number to bare text, and bare text to line numbers. */
interface Located {
  at: Map<number, string>;
  positions: Map<string, number[]>;
}

const MAX_COMPARISONS = 2_000_000;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function toLine(text: string): Line {
  const bare = withoutWhitespace(text);
  return { bare, hash: bareHash(Buffer.from(bare, 'utf8'), 0, Infinity), alnum: alphanumerics(text) };
}

/** FNV-1a over the bytes from..to that are not whitespace (the same hash for a line however it is spaced). */
function bareHash(bytes: Buffer, from: number, to: number): number {
  let hash = FNV_OFFSET;
  const end = Math.min(to, bytes.length);
  for (let i = from; i < end; i++) {
    const c = bytes[i]!;
    if (c === 32 || (c >= 9 && c <= 13)) continue;
    hash = Math.imul(hash ^ c, FNV_PRIME);
  }
  return hash >>> 0;
}

/**
 * Finds the wanted lines in a file's bytes: one pass, a hash per line, and only a line whose hash is
 * wanted is decoded and compared. Every other line is left as bytes (a file is often large and the
 * wanted lines are few).
 */
function locate(content: Buffer, wanted: Map<number, string[]>): Located {
  const found: Located = { at: new Map(), positions: new Map() };
  let line = 0;
  let start = 0;
  while (start < content.length) {
    let end = content.indexOf(10, start);
    if (end < 0) end = content.length;
    const same = wanted.get(bareHash(content, start, end));
    if (same) {
      const bare = withoutWhitespace(content.toString('utf8', start, end));
      if (same.includes(bare)) {
        found.at.set(line, bare);
        const at = found.positions.get(bare);
        if (at) at.push(line);
        else found.positions.set(bare, [line]);
      }
    }
    start = end + 1;
    line++;
  }
  return found;
}

/** Whether a block of consecutive run lines, equal line for line to consecutive lines of the file, scores as a copy. */
function copiedBlock(run: readonly Line[], found: Located, budget: { comparisons: number }): boolean {
  for (let i = 0; i < run.length; i++) {
    for (const at of found.positions.get(run[i]!.bare) ?? []) {
      let score = 1;
      for (let k = 0; i + k < run.length && found.at.get(at + k) === run[i + k]!.bare; k++) {
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

/** `-w` compares lines with all whitespace removed: git's whitespace, the ASCII kind, byte by byte. */
function withoutWhitespace(line: string): string {
  return line.replace(/[ \t\n\v\f\r]+/g, '');
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
