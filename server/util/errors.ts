import * as path from 'node:path';
import { visible } from '../../shared/visible';

/**
 * Errors a user should read: bad input, a path that is not in a repository, a line past the end.
 * The message is one sentence that names the problem; the code is stable for programs. It is one line
 * whatever a path or an argument in it holds: control characters are made visible (see visible.ts).
 * Anything else that goes wrong is a bug or an environment failure and is reported as such.
 */
export type AilErrorCode =
  | 'not-a-repository'
  | 'not-a-work-tree'
  | 'unsafe-repository'
  | 'repository-gone'
  | 'empty-repository'
  | 'git-not-found'
  | 'file-missing'
  | 'file-untracked'
  | 'file-binary'
  | 'outside-repository'
  | 'line-out-of-range'
  | 'malformed-range'
  | 'bad-argument';

export class AilError extends Error {
  constructor(readonly code: AilErrorCode, message: string) {
    super(visible(message));
    this.name = 'AilError';
  }
}

/** A path as the user most likely typed it: relative to the current directory when that is short, else absolute. */
export function displayPath(absolute: string): string {
  const relative = path.relative(process.cwd(), absolute);
  if (!relative) return '.';
  // Outside the current directory, '../../../etc/passwd' reads worse than the path itself.
  return path.isAbsolute(relative) || relative === '..' || relative.startsWith(`..${path.sep}`) ? absolute : relative;
}

export function isAilError(error: unknown): error is AilError {
  return error instanceof AilError;
}
