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
  const commits: BlameCommit[] = [];
  const byKey = new Map<string, number>();
  const details = new Map<string, Pick<BlameCommit, 'author' | 'authorMail' | 'authorTime' | 'summary'>>();
  const lastPath = new Map<string, number>();
  const lineCommit: number[] = [];
  const originalLine: number[] = [];
  let block: Block | undefined;
  const settle = () => {
    if (!block) return;
    const { sha } = block;
    const known = block.filename === undefined ? lastPath.get(sha) : byKey.get(`${sha}\0${block.filename}`);
    let index = known;
    if (index === undefined) {
      index = commits.length;
      const about = details.get(sha) ?? { author: '', authorMail: '', authorTime: 0, summary: '' };
      commits.push({ sha, ...about, filename: block.filename ?? '', boundary: false });
      byKey.set(`${sha}\0${block.filename ?? ''}`, index);
    }
    const commit = commits[index]!;
    if (block.previous) commit.previous = block.previous;
    if (block.boundary) commit.boundary = true;
    lastPath.set(sha, index);
    for (let i = 0; i < block.count; i++) {
      lineCommit[block.finalLine - 1 + i] = index;
      originalLine[block.finalLine - 1 + i] = block.origLine + i;
    }
    block = undefined;
  };
  let pos = 0;
  while (pos < output.length) {
    let end = output.indexOf('\n', pos);
    if (end < 0) end = output.length;
    const line = output.slice(pos, end);
    pos = end + 1;
    if (line.startsWith('\t')) {
      settle();
      continue;
    }
    const header = HEADER.exec(line);
    if (header) {
      settle();
      const sha = header[1]!;
      block = { sha, origLine: Number(header[2]), finalLine: Number(header[3]), count: header[4] === undefined ? 1 : Number(header[4]), boundary: false };
      continue;
    }
    if (!block) continue;
    const space = line.indexOf(' ');
    const key = space < 0 ? line : line.slice(0, space);
    const value = space < 0 ? '' : line.slice(space + 1);
    let about = details.get(block.sha);
    if (!about) details.set(block.sha, (about = { author: '', authorMail: '', authorTime: 0, summary: '' }));
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
        settle();
        break;
    }
  }
  settle();
  const count = Math.max(lineCount ?? 0, lineCommit.length);
  const lc = new Int32Array(count).fill(-1);
  const ol = new Int32Array(count);
  for (let i = 0; i < lineCommit.length; i++) {
    lc[i] = lineCommit[i] ?? -1;
    ol[i] = originalLine[i] ?? 0;
  }
  return { commits, lineCommit: lc, originalLine: ol };
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

/**
 * Reads `git blame --incremental` output as it arrives and reports each commit the first time lines
 * are blamed on it, so work that depends on the commit can start while git goes on blaming.
 */
export class IncrementalScanner {
  /** A chunk can end inside a multi-byte character of a path. */
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  private entry: Partial<BlamedEntry> & { sha?: string } = {};
  private readonly seen = new Set<string>();

  constructor(private readonly onCommit: (entry: BlamedEntry) => void) {}

  feed(chunk: Buffer): void {
    const text = this.partial + this.decoder.write(chunk);
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      const header = HEADER.exec(line);
      if (header) {
        this.entry = { sha: header[1]!, boundary: false };
        continue;
      }
      if (line === 'boundary') this.entry.boundary = true;
      else if (line.startsWith('previous ')) {
        const value = line.slice('previous '.length);
        const split = value.indexOf(' ');
        this.entry.previous = { sha: value.slice(0, split), filename: unquotePath(value.slice(split + 1)) };
      } else if (line.startsWith('filename ')) {
        const { sha, previous, boundary } = this.entry;
        if (sha && !this.seen.has(sha)) {
          this.seen.add(sha);
          this.onCommit({ sha, filename: unquotePath(line.slice('filename '.length)), previous, boundary: boundary ?? false });
        }
        this.entry = {};
      }
    }
  }
}
