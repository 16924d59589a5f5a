import * as path from 'node:path';
import { commands, env, extensions, Uri, window } from 'vscode';
import type { CommitFiles } from '../shared/commit-files';

/**
 * `ail.openCommit [uri, sha, github?, files?]`: on GitHub when the repository is there, else VS Code's
 * diff of the file in that commit (the built-in git extension's `git:` documents, `sha^` against `sha`),
 * read where the file was then: `files` names its paths in the commit and its parent when it was renamed
 * since (without them, today's path, which git would not find in an older commit).
 */
export async function openCommit(uri: unknown, sha: unknown, github?: unknown, files?: unknown): Promise<void> {
  if (typeof sha !== 'string' || !/^[0-9a-f]{7,64}$/.test(sha)) return;
  if (typeof github === 'string' && /^[\w.-]+\/[\w.-]+$/.test(github)) {
    await env.openExternal(Uri.parse(`https://github.com/${github}/commit/${sha}`, true));
    return;
  }
  if (typeof uri !== 'string' || !uri.startsWith('file:')) return;
  const today = Uri.parse(uri, true).fsPath;
  const { path: inCommit, parentPath: inParent } = filesOf(files) ?? { path: today, parentPath: today };
  await extensions.getExtension('vscode.git')?.activate();
  const at = (file: string, ref: string) => Uri.file(file).with({ scheme: 'git', query: JSON.stringify({ path: file, ref }) });
  const name = path.basename(inParent) === path.basename(inCommit) ? path.basename(inCommit) : `${path.basename(inParent)} → ${path.basename(inCommit)}`;
  try {
    await commands.executeCommand('vscode.diff', at(inParent, `${sha}^`), at(inCommit, sha), `${name} (${sha.slice(0, 7)})`);
  } catch (error) {
    void window.showWarningMessage(`AIL: could not show commit ${sha.slice(0, 7)} (${error instanceof Error ? error.message : String(error)}).`);
  }
}

/** The paths of a command's `files` argument, when it is two absolute paths. */
function filesOf(files: unknown): CommitFiles | undefined {
  if (typeof files !== 'object' || files === null) return undefined;
  const { path: inCommit, parentPath } = files as Partial<Record<keyof CommitFiles, unknown>>;
  if (typeof inCommit !== 'string' || typeof parentPath !== 'string' || !path.isAbsolute(inCommit) || !path.isAbsolute(parentPath)) return undefined;
  return { path: inCommit, parentPath };
}

/** `ail.copySha [sha]`. */
export async function copySha(sha: unknown): Promise<void> {
  if (typeof sha !== 'string' || !/^[0-9a-f]{7,64}$/.test(sha)) return;
  await env.clipboard.writeText(sha);
  void window.setStatusBarMessage(`AIL: copied ${sha.slice(0, 7)}`, 3000);
}
