import { fileText, type FileState } from './source-file';
import type { Signature } from './vocabulary';

/** The text of the `git fast-import` stream: blob and commit commands, one string per command. */

/** A file change in a commit: new inline content, a blob written earlier (by mark), or a rename. */
export type Change =
  | { op: 'modify'; file: FileState }
  | { op: 'blob'; file: FileState; mark: number }
  | { op: 'rename'; from: string; to: string };

export interface CommitCommand {
  ref: string;
  mark: number;
  /** Seconds since the epoch, used for both author and committer. */
  time: number;
  author: Signature;
  /** Defaults to the author. */
  committer?: Signature;
  message: string;
  from?: number;
  merge?: number;
  changes: readonly Change[];
  /** Commands written just before the commit, e.g. the blobs it refers to by mark. */
  preamble?: string;
}

function signature(who: Signature, time: number): string {
  return `${who.name} <${who.email}> ${time} ${who.tz}`;
}

function dataBlock(text: string): string {
  return `data ${Buffer.byteLength(text, 'utf8')}\n${text}\n`;
}

/** A `blob` command storing the current content of `file` under `mark`. */
export function blobCommand(mark: number, file: FileState): string {
  return `blob\nmark :${mark}\n${dataBlock(fileText(file))}`;
}

/** A `commit` command (preceded by its preamble), terminated by a blank line. */
export function commitCommand(commit: CommitCommand): string {
  const parts: string[] = [];
  if (commit.preamble) parts.push(commit.preamble);
  parts.push(`commit ${commit.ref}\nmark :${commit.mark}\n`);
  parts.push(`author ${signature(commit.author, commit.time)}\n`);
  parts.push(`committer ${signature(commit.committer ?? commit.author, commit.time)}\n`);
  parts.push(dataBlock(commit.message.endsWith('\n') ? commit.message : commit.message + '\n'));
  if (commit.from !== undefined) parts.push(`from :${commit.from}\n`);
  if (commit.merge !== undefined) parts.push(`merge :${commit.merge}\n`);
  for (const change of commit.changes) {
    if (change.op === 'modify') parts.push(`M 100644 inline ${change.file.path}\n`, dataBlock(fileText(change.file)));
    else if (change.op === 'blob') parts.push(`M 100644 :${change.mark} ${change.file.path}\n`);
    else parts.push(`R ${change.from} ${change.to}\n`);
  }
  parts.push('\n');
  return parts.join('');
}
