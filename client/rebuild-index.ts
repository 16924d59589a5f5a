import { ProgressLocation, window, workspace, type QuickPickItem, type WorkspaceFolder } from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { ReindexRequest } from '../shared/protocol';
import { reindexMessage } from './repositories';

interface Target extends QuickPickItem {
  /** The folder whose repository is rebuilt; undefined: every folder's. */
  folder?: WorkspaceFolder;
}

/**
 * `ail.rebuildIndex`: with one workspace folder, its repository's index. With several, as GitLens asks
 * which repository: a quick pick of the folders, the active editor's first, and every folder last.
 * A progress notification until the server is done; cancelling it cancels the request.
 */
export async function rebuildIndex(client: LanguageClient): Promise<void> {
  const folders = workspace.workspaceFolders ?? [];
  const target: Pick<Target, 'folder'> | undefined = folders.length > 1 ? await pickFolder(folders) : {};
  if (!target) return;
  const title = `AIL: rebuilding the commit index${target.folder ? ` of ${target.folder.name}` : ''}`;
  const params = target.folder ? { uri: target.folder.uri.toString() } : null;
  const result = await window.withProgress({ location: ProgressLocation.Notification, title, cancellable: true }, (_progress, token) => client.sendRequest(ReindexRequest.type, params, token));
  void window.showInformationMessage(reindexMessage(result));
}

async function pickFolder(folders: readonly WorkspaceFolder[]): Promise<Target | undefined> {
  const editor = window.activeTextEditor;
  const active = editor ? workspace.getWorkspaceFolder(editor.document.uri) : undefined;
  const ordered = active ? [active, ...folders.filter((folder) => folder !== active)] : folders;
  const items: Target[] = [
    ...ordered.map((folder) => ({ label: folder.name, description: folder === active ? 'the active editor' : undefined, detail: folder.uri.fsPath, folder })),
    { label: 'All workspace folders', description: `${folders.length} folders, one after another` },
  ];
  return window.showQuickPick(items, { title: 'AIL: Rebuild Index', placeHolder: "Which folder's repository?" });
}
