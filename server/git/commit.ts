import type { CommitRef } from '../../shared/types';

/** A commit as AIL uses it, parsed from the raw object `git cat-file --batch` returns. */
export interface CommitInfo {
  sha: string;
  /** The commit's root tree. */
  tree: string;
  parents: string[];
  author: string;
  authorEmail: string;
  /** Seconds since the epoch (author date). */
  authorTime: number;
  /** ISO 8601 author date in the author's own offset. */
  date: string;
  committerTime: number;
  subject: string;
  body: string;
}

const SIGNATURE = /^(.*) <([^>]*)> (-?\d+) ([+-]\d{4})$/;

export function parseCommitObject(sha: string, raw: string): CommitInfo {
  const headerEnd = raw.indexOf('\n\n');
  const header = headerEnd < 0 ? raw : raw.slice(0, headerEnd);
  const message = headerEnd < 0 ? '' : raw.slice(headerEnd + 2);
  let tree = '';
  const parents: string[] = [];
  let author = { name: '', email: '', time: 0, tz: '+0000' };
  let committerTime = 0;
  for (const line of header.split('\n')) {
    if (line.startsWith(' ')) continue; // continuation of a multi-line header (gpgsig, mergetag)
    const space = line.indexOf(' ');
    const key = line.slice(0, space);
    const value = line.slice(space + 1);
    if (key === 'tree') tree = value;
    else if (key === 'parent') parents.push(value);
    else if (key === 'author') author = parseSignature(value);
    else if (key === 'committer') committerTime = parseSignature(value).time;
  }
  const trimmed = message.replace(/\s+$/, '');
  const firstBreak = trimmed.search(/\n\s*\n/);
  const subjectBlock = firstBreak < 0 ? trimmed : trimmed.slice(0, firstBreak);
  const body = firstBreak < 0 ? '' : trimmed.slice(firstBreak).replace(/^\s*\n/, '').trim();
  return {
    sha,
    tree,
    parents,
    author: author.name,
    authorEmail: author.email,
    authorTime: author.time,
    date: isoDate(author.time, author.tz),
    committerTime,
    subject: subjectBlock.split('\n').map((l) => l.trim()).join(' ').trim(),
    body,
  };
}

function parseSignature(value: string): { name: string; email: string; time: number; tz: string } {
  const match = SIGNATURE.exec(value);
  if (!match) return { name: value, email: '', time: 0, tz: '+0000' };
  return { name: match[1]!, email: match[2]!, time: Number(match[3]), tz: match[4]! };
}

/** `2024-03-05T14:03:00+01:00`: the instant in the author's own offset, as git shows it. */
export function isoDate(epochSeconds: number, tz: string): string {
  const sign = tz.startsWith('-') ? -1 : 1;
  const offsetMinutes = sign * (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(3, 5)));
  const shifted = new Date((epochSeconds + offsetMinutes * 60) * 1000);
  const base = shifted.toISOString().slice(0, 19);
  return `${base}${tz.slice(0, 3)}:${tz.slice(3, 5)}`;
}

export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

export function commitRef(commit: CommitInfo): CommitRef {
  return { sha: commit.sha, shortSha: shortSha(commit.sha), author: commit.author, date: commit.date, subject: commit.subject };
}
