import { StringDecoder } from 'node:string_decoder';
import { unquotePath } from './quote';

/**
 * A commit as blame names it, under one path: lines can be blamed on the same commit under two
 * paths (`-C` found some of them in another file that commit changed), and each path has its own
 * `previous`.
 */
export interface BlameCommit {
  sha: string;
  author: string;
  authorMail: string;
  authorTime: number;
  summary: string;
  /** The file's path in this commit. */
  filename: string;
  /** The parent and path the lines came from, when the commit has a parent. */
  previous?: { sha: string; filename: string };
  /** The commit is a root commit or sits at a shallow clone's boundary: older history is not here. */
  boundary: boolean;
}

/** One blame of a whole file: for each line (0-based) the commit it is blamed on. */
export interface Blame {
  commits: BlameCommit[];
  /** Index into `commits`, per line. */
  lineCommit: Int32Array;
  /** 1-based line number in the blamed commit, per line. */
  originalLine: Int32Array;
}

const HEADER = /^([0-9a-f]{40,64}) (\d+) (\d+)(?: (\d+))?$/;

interface Block {
  sha: string;
  origLine: number;
  finalLine: number;
  count: number;
  filename?: string;
  previous?: { sha: string; filename: string };
  boundary: boolean;
}

/**
 * Parses `git blame --porcelain` or `--incremental` output. Both give each block of lines a header
 * `<sha> <line in commit> <final line> [<count>]`, then the commit's details the first time it is
 * named, then `previous` and `filename` (porcelain leaves them out when they are what they were the
 * last time for a commit blamed under one path only); porcelain adds each line's text, not needed here.
 */
export function parsePorcelain(output: string, lineCount?: number): Blame {
  const parser = new BlameParser();
  parser.feed(output);
  return parser.finish(lineCount);
}

/**
 * `parsePorcelain` as the output arrives: a whole file's blame is hundreds of kilobytes, which parsed in
 * one go at the end held the event loop ~20 ms; fed chunk by chunk, the work is spread over the reads.
 * `onCommit` hears of each commit the first time lines are blamed on it (with `--incremental`, as
 * soon as those lines are final), so work that depends on it can start while git goes on blaming.
 */
export class BlameParser {
  /** A chunk can end inside a multi-byte character of a path. */
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  private readonly commits: BlameCommit[] = [];
  private readonly byKey = new Map<string, number>();
  private readonly details = new Map<string, Pick<BlameCommit, 'author' | 'authorMail' | 'authorTime' | 'summary'>>();
  private readonly lastPath = new Map<string, number>();
  private readonly announced = new Set<string>();
  private readonly lineCommit: number[] = [];
  private readonly originalLine: number[] = [];
  private block: Block | undefined;

  constructor(private readonly onCommit?: (entry: BlamedEntry) => void) {}

  feed(chunk: Buffer | string): void {
    const text = this.partial + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    let pos = 0;
    for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', pos)) {
      this.line(text.slice(pos, end));
      pos = end + 1;
    }
    this.partial = text.slice(pos);
  }

  finish(lineCount?: number): Blame {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    if (rest) this.line(rest);
    this.settle();
    const count = Math.max(lineCount ?? 0, this.lineCommit.length);
    const lineCommit = new Int32Array(count).fill(-1);
    const originalLine = new Int32Array(count);
    for (let i = 0; i < this.lineCommit.length; i++) {
      lineCommit[i] = this.lineCommit[i] ?? -1;
      originalLine[i] = this.originalLine[i] ?? 0;
    }
    return { commits: this.commits, lineCommit, originalLine };
  }

  private line(line: string): void {
    if (line.startsWith('\t')) {
      this.settle();
      return;
    }
    const header = HEADER.exec(line);
    if (header) {
      this.settle();
      const sha = header[1]!;
      this.block = { sha, origLine: Number(header[2]), finalLine: Number(header[3]), count: header[4] === undefined ? 1 : Number(header[4]), boundary: false };
      return;
    }
    const block = this.block;
    if (!block) return;
    const space = line.indexOf(' ');
    const key = space < 0 ? line : line.slice(0, space);
    const value = space < 0 ? '' : line.slice(space + 1);
    let about = this.details.get(block.sha);
    if (!about) this.details.set(block.sha, (about = { author: '', authorMail: '', authorTime: 0, summary: '' }));
    switch (key) {
      case 'author':
        about.author = value;
        break;
      case 'author-mail':
        about.authorMail = value.replace(/^<|>$/g, '');
        break;
      case 'author-time':
        about.authorTime = Number(value);
        break;
      case 'summary':
        about.summary = value;
        break;
      case 'boundary':
        block.boundary = true;
        break;
      case 'previous': {
        const split = value.indexOf(' ');
        block.previous = { sha: value.slice(0, split), filename: unquotePath(value.slice(split + 1)) };
        break;
      }
      case 'filename':
        block.filename = unquotePath(value);
        if (this.onCommit && !this.announced.has(block.sha)) {
          this.announced.add(block.sha);
          this.onCommit({ sha: block.sha, filename: block.filename, previous: block.previous, boundary: block.boundary });
        }
        this.settle();
        break;
    }
  }

  private settle(): void {
    const block = this.block;
    if (!block) return;
    const { sha } = block;
    const known = block.filename === undefined ? this.lastPath.get(sha) : this.byKey.get(`${sha}\0${block.filename}`);
    let index = known;
    if (index === undefined) {
      index = this.commits.length;
      const about = this.details.get(sha) ?? { author: '', authorMail: '', authorTime: 0, summary: '' };
      this.commits.push({ sha, ...about, filename: block.filename ?? '', boundary: false });
      this.byKey.set(`${sha}\0${block.filename ?? ''}`, index);
    }
    const commit = this.commits[index]!;
    if (block.previous) commit.previous = block.previous;
    if (block.boundary) commit.boundary = true;
    this.lastPath.set(sha, index);
    for (let i = 0; i < block.count; i++) {
      this.lineCommit[block.finalLine - 1 + i] = index;
      this.originalLine[block.finalLine - 1 + i] = block.origLine + i;
    }
    this.block = undefined;
  }
}

export function isUncommitted(sha: string): boolean {
  return /^0+$/.test(sha);
}

/** The commits blamed for lines [start, end] (0-based, inclusive), with how many lines each. */
export function commitsInRange(blame: Blame, start: number, end: number): Map<number, number> {
  const counts = new Map<number, number>();
  for (let line = Math.max(0, start); line <= Math.min(end, blame.lineCommit.length - 1); line++) {
    const index = blame.lineCommit[line]!;
    if (index >= 0) counts.set(index, (counts.get(index) ?? 0) + 1);
  }
  return counts;
}

/** A blamed commit as `blame --incremental` names it, once the lines blamed on it are final. */
export interface BlamedEntry {
  sha: string;
  filename: string;
  previous?: { sha: string; filename: string };
  boundary: boolean;
}
