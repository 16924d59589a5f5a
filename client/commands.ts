import { ConfigurationTarget, window, workspace, type Disposable, commands } from 'vscode';
import { ClearCacheRequest, SetGitHubTokenRequest, StatsRequest } from '../shared/protocol';
import { DEFAULT_QUESTION } from '../shared/types';
import { needsServer, type Ail } from './ail';
import { askTarget, selectionRange } from './ask-target';
import type { CommandId } from './contributions';
import { tokenProblem } from './github-token';
import { copySha, openCommit } from './open-commit';
import { rebuildIndex } from './rebuild-index';
import { statusView, stateOf } from './status-view';

/** Every command of the extension, id to handler, registered once (ids and titles: client/contributions.ts). */
export function registerCommands(ail: Ail): Disposable[] {
  const table: Record<CommandId, (...args: unknown[]) => unknown> = {
    'ail.askWhy': (first, second) => askWhy(ail, first, second),
    'ail.showCacheStats': needsServer(ail, async (client) => {
      const stats = await client.sendRequest(StatsRequest.type);
      const view = statusView(stateOf(ail.statsForActiveFile(stats)));
      const [headline, ...rest] = view.tooltip.split('\n');
      await window.showInformationMessage(headline!, { modal: true, detail: rest.slice(0, -1).join('\n') });
    }),
    'ail.clearCache': needsServer(ail, async (client) => {
      const dropped = await client.sendRequest(ClearCacheRequest.type);
      void window.showInformationMessage(`AIL: cleared ${dropped.l1} answer${dropped.l1 === 1 ? '' : 's'} from L1 and ${dropped.l2} from L2. Git facts stay: they cannot be stale.`);
    }),
    'ail.rebuildIndex': needsServer(ail, (client) => rebuildIndex(client)),
    'ail.toggleSemanticCache': () => toggleSemanticCache(ail),
    'ail.setGitHubToken': async () => {
      const token = await window.showInputBox({ title: 'AIL: Set GitHub Token', prompt: "Kept in VS Code's secret storage, never in settings", password: true, ignoreFocusOut: true, validateInput: tokenProblem });
      if (token === undefined) return;
      await ail.token.store(token.trim());
      const held = await ail.sendToken();
      void window.showInformationMessage(held ? "AIL: the GitHub token is saved in VS Code's secret storage and given to the server." : "AIL: the GitHub token is saved in VS Code's secret storage; the server gets it when it starts.");
    },
    'ail.clearGitHubToken': async () => {
      await ail.token.clear();
      await ail.running()?.sendRequest(SetGitHubTokenRequest.type, { token: null }).catch(() => undefined);
      void window.showInformationMessage('AIL: the GitHub token is removed.');
    },
    'ail.showLogs': () => ail.log.show(),
    'ail.restartServer': () => ail.restart(),
    'ail.openCommit': (uri, sha, github, files) => openCommit(uri, sha, github, files),
    'ail.copySha': (sha) => copySha(sha),
  };
  return Object.entries(table).map(([id, handler]) => commands.registerCommand(id, handler));
}

/** From a lens or a hover: at once. From the palette, a key or the menu: the selection, after the question is confirmed. */
async function askWhy(ail: Ail, first: unknown, second: unknown): Promise<void> {
  const target = askTarget(first, second);
  if (target.kind === 'given') {
    await ail.panel.ask({ uri: target.uri, ...(target.range ? { range: target.range } : {}), question: DEFAULT_QUESTION });
    return;
  }
  const editor = window.activeTextEditor;
  if (!editor || editor.document.uri.scheme !== 'file') {
    void window.showWarningMessage('AIL: open a file of a git repository and select the code to ask about.');
    return;
  }
  const range = selectionRange(editor.selection.start, editor.selection.end);
  const lines = range.end.line - range.start.line === 1 ? `line ${range.start.line + 1}` : `lines ${range.start.line + 1}–${range.end.line}`;
  const question = await window.showInputBox({ title: 'AIL: Ask Why', prompt: `About ${workspace.asRelativePath(editor.document.uri)}, ${lines}`, value: DEFAULT_QUESTION, valueSelection: [0, DEFAULT_QUESTION.length] });
  if (question === undefined || question.trim() === '') return;
  await ail.panel.ask({ uri: editor.document.uri.toString(), range, question: question.trim() });
}

/** The seed's instant rollback: flips `ail.semanticCache.enabled` where it is set, and the status bar shows it at once. */
async function toggleSemanticCache(ail: Ail): Promise<void> {
  const config = workspace.getConfiguration('ail');
  const enabled = !config.get<boolean>('semanticCache.enabled', true);
  const where = config.inspect<boolean>('semanticCache.enabled');
  const target = where?.workspaceFolderValue !== undefined ? ConfigurationTarget.WorkspaceFolder : where?.workspaceValue !== undefined ? ConfigurationTarget.Workspace : ConfigurationTarget.Global;
  await config.update('semanticCache.enabled', enabled, target);
  ail.expectSemanticCache(enabled);
  void window.setStatusBarMessage(`AIL: semantic cache ${enabled ? 'on' : 'off'}`, 3000);
}
