import * as path from 'node:path';
import { commands, env, extensions, Uri, window } from 'vscode';

/**
 * `ail.openCommit [uri, sha, github?]`: on GitHub when the repository is there, else VS Code's diff of
 * the file in that commit (the built-in git extension's `git:` documents, `sha^` against `sha`).
 */
export async function openCommit(uri: unknown, sha: unknown, github?: unknown): Promise<void> {
  if (typeof sha !== 'string' || !/^[0-9a-f]{7,64}$/.test(sha)) return;
  if (typeof github === 'string' && /^[\w.-]+\/[\w.-]+$/.test(github)) {
    await env.openExternal(Uri.parse(`https://github.com/${github}/commit/${sha}`, true));
    return;
  }
  if (typeof uri !== 'string' || !uri.startsWith('file:')) return;
  const file = Uri.parse(uri, true);
  await extensions.getExtension('vscode.git')?.activate();
  const at = (ref: string) => file.with({ scheme: 'git', query: JSON.stringify({ path: file.fsPath, ref }) });
  try {
    await commands.executeCommand('vscode.diff', at(`${sha}^`), at(sha), `${path.basename(file.fsPath)} (${sha.slice(0, 7)})`);
  } catch (error) {
    void window.showWarningMessage(`AIL: could not show commit ${sha.slice(0, 7)} (${error instanceof Error ? error.message : String(error)}).`);
  }
}

/** `ail.copySha [sha]`. */
export async function copySha(sha: unknown): Promise<void> {
  if (typeof sha !== 'string' || !/^[0-9a-f]{7,64}$/.test(sha)) return;
  await env.clipboard.writeText(sha);
  void window.setStatusBarMessage(`AIL: copied ${sha.slice(0, 7)}`, 3000);
}
