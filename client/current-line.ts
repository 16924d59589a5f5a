import { DecorationRangeBehavior, Range, ThemeColor, window, workspace, type Disposable, type TextEditor, type TextEditorDecorationType } from 'vscode';
import { CancellationTokenSource, type LanguageClient } from 'vscode-languageclient/node';
import { LineSummaryRequest } from '../shared/protocol';
import { lineAnnotation } from './line-annotation';

/** How long the cursor must rest on a line before it is annotated: typing and moving never wait on AIL. */
export const ANNOTATION_DELAY_MS = 250;

/**
 * The current-line annotation: dim text after the end of the line the cursor is on, from
 * `ail/lineSummary`. Asked once the cursor has rested (debounced), cancelled and cleared as soon as it
 * moves on or the text changes; off with `ail.currentLine.enabled`.
 */
export class CurrentLineAnnotation implements Disposable {
  private readonly decoration: TextEditorDecorationType;
  private readonly subscriptions: Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  private pending: CancellationTokenSource | undefined;
  private annotated: TextEditor | undefined;

  constructor(private readonly client: () => LanguageClient | undefined) {
    this.decoration = window.createTextEditorDecorationType({
      after: { color: new ThemeColor('editorCodeLens.foreground'), margin: '0 0 0 3em', fontStyle: 'italic' },
      rangeBehavior: DecorationRangeBehavior.ClosedOpen,
    });
    this.subscriptions.push(
      window.onDidChangeTextEditorSelection((event) => this.schedule(event.textEditor)),
      window.onDidChangeActiveTextEditor((editor) => this.schedule(editor)),
      workspace.onDidChangeTextDocument((event) => {
        if (window.activeTextEditor?.document === event.document) this.schedule(window.activeTextEditor);
      }),
      workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('ail.currentLine.enabled')) this.schedule(window.activeTextEditor);
      }),
    );
    this.schedule(window.activeTextEditor);
  }

  /** Clears at once, then asks after the delay: whatever the user does next, nothing waits on the server. */
  schedule(editor: TextEditor | undefined): void {
    this.clear();
    if (!editor || editor.document.uri.scheme !== 'file') return;
    if (!workspace.getConfiguration('ail', editor.document.uri).get<boolean>('currentLine.enabled', true)) return;
    const line = editor.selection.active.line;
    const version = editor.document.version;
    this.timer = setTimeout(() => void this.annotate(editor, line, version), ANNOTATION_DELAY_MS);
  }

  dispose(): void {
    this.clear();
    this.decoration.dispose();
    for (const subscription of this.subscriptions) subscription.dispose();
  }

  private async annotate(editor: TextEditor, line: number, version: number): Promise<void> {
    const client = this.client();
    if (!client?.isRunning()) return;
    const pending = (this.pending = new CancellationTokenSource());
    let summary;
    try {
      summary = await client.sendRequest(LineSummaryRequest.type, { textDocument: { uri: editor.document.uri.toString() }, line }, pending.token);
    } catch {
      return; // cancelled, or the server is restarting: no annotation is better than a stale one
    }
    const moved = editor.selection.active.line !== line || editor.document.version !== version || window.activeTextEditor !== editor;
    if (pending.token.isCancellationRequested || moved || !summary || line >= editor.document.lineCount) return;
    const end = editor.document.lineAt(line).range.end;
    editor.setDecorations(this.decoration, [{ range: new Range(end, end), renderOptions: { after: { contentText: lineAnnotation(summary) } } }]);
    this.annotated = editor;
  }

  private clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending?.cancel();
    this.pending = undefined;
    this.annotated?.setDecorations(this.decoration, []);
    this.annotated = undefined;
  }
}
