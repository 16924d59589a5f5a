import { fileURLToPath } from 'node:url';
import type { InitializeParams, WorkspaceFolder, WorkspaceFoldersChangeEvent } from 'vscode-languageserver/node';

/**
 * The workspace folders, as absolute paths, in the client's order: each answers about its own
 * repository. From `initialize` (its `workspaceFolders`, else `rootUri`/`rootPath`; `AIL_REPO_PATH`
 * replaces them all), then kept up to date by `workspace/didChangeWorkspaceFolders`.
 */
export class WorkspaceFolders {
  private folders: string[] = [];

  /** Set once, at initialize. */
  reset(params: InitializeParams, repoPath: string | undefined): void {
    this.folders = repoPath ? [repoPath] : foldersOf(params);
  }

  get all(): readonly string[] {
    return this.folders;
  }

  /** Applies a change the client sent; answers the folders added (to open their repositories). `AIL_REPO_PATH` stays as it is. */
  change(event: WorkspaceFoldersChangeEvent, repoPath: string | undefined): string[] {
    if (repoPath) return [];
    const removed = new Set(event.removed.map(pathOf).filter((folder) => folder !== undefined));
    const added = event.added.map(pathOf).filter((folder): folder is string => folder !== undefined && !this.folders.includes(folder));
    this.folders = [...this.folders.filter((folder) => !removed.has(folder)), ...added];
    return added;
  }
}

function foldersOf(params: InitializeParams): string[] {
  const folders = (params.workspaceFolders ?? []).map(pathOf).filter((folder): folder is string => folder !== undefined);
  if (folders.length > 0) return [...new Set(folders)];
  const root = params.rootUri?.startsWith('file:') ? fileURLToPath(params.rootUri) : (params.rootPath ?? undefined);
  return root ? [root] : [];
}

function pathOf(folder: WorkspaceFolder): string | undefined {
  if (!folder.uri.startsWith('file:')) return undefined;
  try {
    return fileURLToPath(folder.uri);
  } catch {
    return undefined; // file://host/share: no path on this machine
  }
}
