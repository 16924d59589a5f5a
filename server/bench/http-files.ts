import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Progress } from '../cli/progress';
import { configArgs, SAFE_CONFIG } from '../git/runner';
import { rawGit } from './git';
import type { WorkloadFile } from './http-workload';

/** Bytes looked at for a NUL, as git does to call a file binary. */
const BINARY_PROBE = 8000;

/**
 * The text files of a work tree that a workload may ask about: tracked regular files (no symlink or
 * submodule), not binary, with at least one line; read from the work tree, which should be at the
 * commit the service serves. Paths are relative to the work tree's top, as the service takes them.
 */
export async function listWorkloadFiles(root: string, progress: Progress, signal?: AbortSignal): Promise<WorkloadFile[]> {
  const listing = await rawGit(root, ['--no-pager', ...configArgs(SAFE_CONFIG), 'ls-files', '--stage', '-z']);
  const paths = listing
    .split('\0')
    .filter(Boolean)
    .map((entry) => /^(\d+) [0-9a-f]+ \d+\t(.*)$/s.exec(entry))
    .filter((match): match is RegExpExecArray => match !== null && (match[1] === '100644' || match[1] === '100755'))
    .map((match) => match[2]!);
  const unique = [...new Set(paths)]; // a file in conflict is listed once per stage
  const files: WorkloadFile[] = [];
  for (const [i, file] of unique.entries()) {
    if (signal?.aborted) break;
    const lines = await countLines(path.join(root, file));
    if (lines > 0) files.push({ path: file, lines });
    if ((i + 1) % 200 === 0 || i + 1 === unique.length) progress('bench', { done: i + 1, total: unique.length, message: 'reading the files' });
  }
  return files;
}

/** Lines of a text file (a last line without a newline counts); 0 for a binary or unreadable one. */
export async function countLines(file: string): Promise<number> {
  let text: Buffer;
  try {
    text = await readFile(file);
  } catch {
    return 0;
  }
  if (text.subarray(0, BINARY_PROBE).includes(0)) return 0;
  let count = 0;
  for (let at = text.indexOf(10); at !== -1; at = text.indexOf(10, at + 1)) count++;
  return text.length > 0 && text[text.length - 1] !== 10 ? count + 1 : count;
}
