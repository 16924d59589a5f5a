import { randomBytes } from 'node:crypto';
import { commands, env, Uri, ViewColumn, window, type Disposable, type ExtensionContext, type WebviewPanel } from 'vscode';
import { CancellationTokenSource, ResponseError, type LanguageClient } from 'vscode-languageclient/node';
import { commitFiles } from '../../shared/commit-files';
import { ContextRequest, OPEN_COMMIT_COMMAND } from '../../shared/protocol';
import type { ArchaeologyContext, Range } from '../../shared/types';
import { answerMarkdown } from './markdown';
import { panelHtml, nonce } from './html';
import { answerView, errorView, httpsUrl, loadingView } from './model';
import type { FromWebview, PanelAction, ToWebview } from './view';

/** What was asked: the document, the lines, the question. Follow-ups and "Ask again fresh" reuse it. */
export interface Query {
  uri: string;
  range?: Range;
  question: string;
}

export const PANEL_TITLE = 'AIL: Ask Why';
export const PANEL_VIEW_TYPE = 'ail.askWhy';

/**
 * The Ask Why panel: one webview beside the editor, reused for every question. It sends `ail/context`
 * (cancelling the previous question), and posts the answer to the webview as data; clicks come back as
 * actions, checked here before anything is opened or copied.
 */
export class AskWhyPanel implements Disposable {
  private panel: WebviewPanel | undefined;
  private query: Query | undefined;
  private answer: ArchaeologyContext | undefined;
  private shown: ToWebview | undefined;
  private pending: CancellationTokenSource | undefined;

  constructor(
    private readonly context: ExtensionContext,
    private readonly client: () => LanguageClient | undefined,
    private readonly onAnswer: (answer: ArchaeologyContext) => void,
  ) {}

  async ask(query: Query, fresh = false): Promise<void> {
    const client = this.client();
    if (!client) {
      void window.showWarningMessage('AIL is not running: nothing can be asked. "AIL: Restart Server" starts it.');
      return;
    }
    this.pending?.cancel();
    const pending = (this.pending = new CancellationTokenSource());
    this.query = query;
    this.reveal();
    this.post({ type: 'render', nodes: loadingView(query.question), question: query.question, busy: true });
    try {
      const answer = await client.sendRequest(ContextRequest.type, { textDocument: { uri: query.uri }, ...(query.range ? { range: query.range } : {}), question: query.question, ...(fresh ? { fresh: true } : {}) }, pending.token);
      if (pending.token.isCancellationRequested) return;
      this.answer = answer;
      this.post({ type: 'render', nodes: answerView(answer), question: query.question, busy: false });
      this.onAnswer(answer);
    } catch (error) {
      if (pending.token.isCancellationRequested) return;
      this.answer = undefined;
      const message = error instanceof ResponseError || error instanceof Error ? error.message : String(error);
      this.post({ type: 'render', nodes: errorView(query.question, message), question: query.question, busy: false });
    }
  }

  dispose(): void {
    this.pending?.cancel();
    this.panel?.dispose();
  }

  private reveal(): void {
    if (this.panel) {
      this.panel.reveal(ViewColumn.Beside, true);
      return;
    }
    const dist = Uri.joinPath(this.context.extensionUri, 'dist');
    const panel = window.createWebviewPanel(PANEL_VIEW_TYPE, PANEL_TITLE, { viewColumn: ViewColumn.Beside, preserveFocus: true }, { enableScripts: true, enableCommandUris: false, localResourceRoots: [dist] });
    panel.webview.html = panelHtml({
      cspSource: panel.webview.cspSource,
      nonce: nonce((size) => randomBytes(size)),
      scriptUri: panel.webview.asWebviewUri(Uri.joinPath(dist, 'webview.js')).toString(),
      styleUri: panel.webview.asWebviewUri(Uri.joinPath(dist, 'webview.css')).toString(),
    });
    panel.webview.onDidReceiveMessage((message: FromWebview) => void this.received(message));
    panel.onDidDispose(() => {
      this.pending?.cancel();
      this.panel = undefined;
      this.answer = undefined;
      this.shown = undefined;
    });
    this.panel = panel;
  }

  private post(message: ToWebview): void {
    this.shown = message;
    void this.panel?.webview.postMessage(message);
  }

  private async received(message: FromWebview): Promise<void> {
    switch (message?.type) {
      case 'ready': // the script has loaded (again, after the panel was hidden): show what there is
        if (this.shown) void this.panel?.webview.postMessage(this.shown);
        return;
      case 'ask':
        if (this.query && typeof message.question === 'string' && message.question.trim()) await this.ask({ ...this.query, question: message.question.trim().slice(0, 1000) });
        return;
      case 'action':
        await this.act(message.action);
        return;
    }
  }

  /** A click, checked: only https URLs open, only this answer's commits. */
  private async act(action: PanelAction): Promise<void> {
    const answer = this.answer;
    switch (action?.kind) {
      case 'askFresh':
        if (this.query) await this.ask(this.query, true);
        return;
      case 'copyMarkdown':
        if (!answer) return;
        await env.clipboard.writeText(answerMarkdown(answer));
        void window.showInformationMessage('AIL: the answer is on the clipboard, as Markdown.');
        return;
      case 'openUrl': {
        const url = httpsUrl(action.url);
        if (url) await env.openExternal(Uri.parse(url, true));
        return;
      }
      case 'openCommit':
      case 'copySha': {
        const known = answer && [...answer.evidence.map((e) => e.commit.sha), answer.timeline.created?.sha, answer.timeline.lastChanged?.sha].includes(action.sha);
        if (!known || !this.query) return;
        if (action.kind === 'copySha') await env.clipboard.writeText(action.sha);
        else {
          // Where the file was in that commit, when it was renamed since: git has no file at today's path there.
          const files = commitFiles(this.query.uri, answer.file, answer.evidence.find((item) => item.commit.sha === action.sha));
          await commands.executeCommand(OPEN_COMMIT_COMMAND, this.query.uri, action.sha, answer.github ?? null, ...(files ? [files] : []));
        }
        return;
      }
    }
  }
}
