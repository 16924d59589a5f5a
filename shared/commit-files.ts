import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Evidence } from './types';

/** Where to read a file in a commit and in the commit's parent: absolute paths on this machine. */
export interface CommitFiles {
  path: string;
  parentPath: string;
}

/**
 * The fourth argument of `ail.openCommit [uri, sha, github, files]`, for a file renamed since the
 * commit (or code moved from another file): its path in the commit and in the parent, from the
 * evidence's `pathInCommit` and `pathInParent`, made absolute from the asked file's URI and its path in
 * the repository (`ArchaeologyContext.file`). Undefined when both are today's path, or the URI does not
 * end with that path.
 */
export function commitFiles(uri: string, file: string, evidence: Pick<Evidence, 'pathInCommit' | 'pathInParent'> | undefined): CommitFiles | undefined {
  if (!evidence?.pathInCommit && !evidence?.pathInParent) return undefined;
  let local: string;
  try {
    local = fileURLToPath(uri);
  } catch {
    return undefined;
  }
  const suffix = path.join(...file.split('/'));
  if (!local.endsWith(path.sep + suffix)) return undefined;
  const root = local.slice(0, local.length - suffix.length);
  const inCommit = evidence.pathInCommit ?? file;
  const inParent = evidence.pathInParent ?? inCommit;
  return { path: path.join(root, ...inCommit.split('/')), parentPath: path.join(root, ...inParent.split('/')) };
}
