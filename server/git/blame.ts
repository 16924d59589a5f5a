import { unquotePath } from './quote';

/** What `git blame --porcelain` says about one commit. */
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

const HEADER = /^([0-9a-f]{40,64}) (\d+) (\d+)(?: \d+)?$/;

/** Parses `git blame --porcelain` output. */
export function parsePorcelain(output: string, lineCount?: number): Blame {
  const commits: BlameCommit[] = [];
  const bySha = new Map<string, number>();
  const lineCommit: number[] = [];
  const originalLine: number[] = [];
  let current: BlameCommit | undefined;
  let finalLine = 0;
  let origLine = 0;
  let pos = 0;
  while (pos < output.length) {
    let end = output.indexOf('\n', pos);
    if (end < 0) end = output.length;
    const line = output.slice(pos, end);
    pos = end + 1;
    if (line.startsWith('\t')) {
      if (current) {
        const index = bySha.get(current.sha)!;
        lineCommit[finalLine - 1] = index;
        originalLine[finalLine - 1] = origLine;
      }
      continue;
    }
    const header = HEADER.exec(line);
    if (header) {
      const sha = header[1]!;
      origLine = Number(header[2]);
      finalLine = Number(header[3]);
      let index = bySha.get(sha);
      if (index === undefined) {
        index = commits.length;
        bySha.set(sha, index);
        commits.push({ sha, author: '', authorMail: '', authorTime: 0, summary: '', filename: '', boundary: false });
      }
      current = commits[index];
      continue;
    }
    if (!current) continue;
    const space = line.indexOf(' ');
    const key = space < 0 ? line : line.slice(0, space);
    const value = space < 0 ? '' : line.slice(space + 1);
    switch (key) {
      case 'author':
        current.author = value;
        break;
      case 'author-mail':
        current.authorMail = value.replace(/^<|>$/g, '');
        break;
      case 'author-time':
        current.authorTime = Number(value);
        break;
      case 'summary':
        current.summary = value;
        break;
      case 'boundary':
        current.boundary = true;
        break;
      case 'filename':
        current.filename = unquotePath(value);
        break;
      case 'previous': {
        const split = value.indexOf(' ');
        current.previous = { sha: value.slice(0, split), filename: unquotePath(value.slice(split + 1)) };
        break;
      }
    }
  }
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
