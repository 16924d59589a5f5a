import { window, workspace, type Disposable, type ExtensionContext, type LogOutputChannel, type TextEditor } from 'vscode';
import { State, type LanguageClient } from 'vscode-languageclient/node';
import { SetGitHubTokenRequest, StatusNotification } from '../shared/protocol';
import type { ArchaeologyContext, CacheStats } from '../shared/types';
import { CurrentLineAnnotation } from './current-line';
import { GitHubToken } from './github-token';
import { createLanguageClient } from './language-client';
import { AskWhyPanel } from './panel/panel';
import { statsFor } from './repositories';
import { StatusBar } from './status-bar';
import { stateOf } from './status-view';

export const UNTRUSTED = 'this workspace is not trusted, so AIL runs no git in it. Trust the folder to start AIL.';

/**
 * The extension while it is active: the language client (started only in a trusted workspace), the
 * status bar item, the Ask Why panel, the current-line annotation and the token. Commands act on it.
 */
export class Ail implements Disposable {
  readonly log: LogOutputChannel;
  readonly status = new StatusBar();
  readonly token: GitHubToken;
  readonly panel: AskWhyPanel;
  private client: LanguageClient | undefined;
  private readonly annotation: CurrentLineAnnotation;
  private lastStats: CacheStats | undefined;
  private githubUnavailable = false;
  private githubAuth = false;
  private gaveUp: string | undefined;
  /** The file of the last file editor that was active: the status bar shows its repository's index. */
  private file: string | undefined;
  private readonly subscriptions: Disposable[] = [];

  constructor(private readonly context: ExtensionContext) {
    this.log = window.createOutputChannel('AIL', { log: true });
    this.token = new GitHubToken(context.secrets);
    this.panel = new AskWhyPanel(context, () => this.running(), (answer) => this.answered(answer));
    this.annotation = new CurrentLineAnnotation(() => this.running());
    this.editorChanged(window.activeTextEditor);
    this.subscriptions.push(window.onDidChangeActiveTextEditor((editor) => this.editorChanged(editor)));
  }

  /** The stats as the active editor's repository sees them (its index, not the first folder's). */
  statsForActiveFile(stats: CacheStats): CacheStats {
    return statsFor(stats, this.file);
  }

  /** The client when it is running, for requests. */
  running(): LanguageClient | undefined {
    return this.client?.isRunning() ? this.client : undefined;
  }

  /** Starts the server, unless the workspace is untrusted: then no git runs, and the status says why. */
  async start(): Promise<void> {
    if (!workspace.isTrusted) {
      this.status.show({ kind: 'disabled', reason: UNTRUSTED });
      this.log.info(`not started: ${UNTRUSTED}`);
      return;
    }
    if (this.client) return;
    this.gaveUp = undefined;
    this.status.show({ kind: 'starting' });
    const client = createLanguageClient(this.context, this.log, (message) => {
      this.gaveUp = message;
      this.log.error(message);
    });
    this.client = client;
    client.onNotification(StatusNotification.type, (stats) => this.statsArrived(stats));
    client.onDidChangeState(({ newState }) => {
      if (newState === State.Running) void this.sendToken();
      if (newState === State.Starting) this.status.show({ kind: 'starting' });
      if (newState === State.Stopped && this.client === client) this.status.show(this.gaveUp ? { kind: 'error', message: this.gaveUp } : { kind: 'disabled', reason: 'the language server is stopped' });
    });
    try {
      await client.start();
    } catch (error) {
      const message = `the language server could not start (${error instanceof Error ? error.message : String(error)})`;
      this.log.error(message);
      this.status.show({ kind: 'error', message });
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client?.needsStop()) await client.stop().catch((error: unknown) => this.log.warn(`stopping the language server: ${String(error)}`));
    await client?.dispose().catch(() => undefined);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Sends the stored token (or that there is none) to the server; the token itself never reaches a log. */
  async sendToken(): Promise<boolean> {
    const client = this.running();
    if (!client) return false;
    const token = (await this.token.get()) ?? null;
    try {
      // Without a stored token, say nothing: the server may have GITHUB_TOKEN from its environment.
      if (token === null) return false;
      return (await client.sendRequest(SetGitHubTokenRequest.type, { token })).githubToken;
    } catch (error) {
      this.log.warn(`the GitHub token could not be given to the server: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    }
  }

  /** Shows a settings change in the status bar at once, before the server's next status confirms it. */
  expectSemanticCache(enabled: boolean): void {
    if (this.lastStats) this.statsArrived({ ...this.lastStats, l2: { ...this.lastStats.l2, enabled } });
  }

  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
    this.annotation.dispose();
    this.panel.dispose();
    this.status.dispose();
    this.log.dispose();
  }

  private statsArrived(stats: CacheStats): void {
    this.lastStats = stats;
    this.status.show(stateOf(this.statsForActiveFile(stats), { githubUnavailable: this.githubUnavailable, githubAuth: this.githubAuth }));
  }

  /** A webview or an output panel leaves the last file's repository shown. */
  private editorChanged(editor: TextEditor | undefined): void {
    if (editor?.document.uri.scheme !== 'file') return;
    const file = editor.document.uri.fsPath;
    if (file === this.file) return;
    this.file = file;
    // Only over a state the stats drew: starting, stopped or off stay as they are.
    const drawn = ['indexing', 'ready', 'degraded'].includes(this.status.state.kind);
    if (this.lastStats && drawn) this.statsArrived(this.lastStats);
  }

  private answered(answer: ArchaeologyContext): void {
    this.githubUnavailable = answer.warnings.includes('github-unavailable');
    this.githubAuth = answer.warnings.includes('github-auth');
    if (this.lastStats) this.statsArrived(this.lastStats);
  }
}

/** A command that needs the server: says so when it is not running, rather than failing silently. */
export function needsServer(ail: Ail, run: (client: LanguageClient) => Promise<unknown>): () => Promise<void> {
  return async () => {
    const client = ail.running();
    if (!client) {
      const reason = ail.status.state.kind === 'disabled' ? ail.status.state.reason : 'the language server is not running ("AIL: Restart Server" starts it)';
      void window.showWarningMessage(`AIL: ${reason}`);
      return;
    }
    try {
      await run(client);
    } catch (error) {
      void window.showErrorMessage(`AIL: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
}
