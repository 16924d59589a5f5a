import * as vscode from 'vscode';
import { FILE_LENS, HOVER_LINE, QUEUE_FILE, SYMBOL_LENS, SYMBOL_LENS_COUNT, hoverExpectations, type QueueHistory } from '../helpers/vscode-expectations';

/**
 * Runs inside a desktop VS Code (@vscode/test-electron's extension test API, started by
 * test/vscode-electron.test.ts): the expectations test/vscode.test.ts checks in code-server's UI, asked of
 * the editor's own providers. AIL_E2E_HISTORY carries the fixture's commit. Throws to fail.
 */
export async function run(): Promise<void> {
  const history = JSON.parse(process.env.AIL_E2E_HISTORY ?? 'null') as QueueHistory | null;
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!history || !folder) throw new Error('the runner passes AIL_E2E_HISTORY and opens the fixture as the folder');
  const extension = vscode.extensions.getExtension('ail.ail');
  if (!extension) throw new Error('the extension ail.ail is not loaded');
  await extension.activate();

  const uri = vscode.Uri.joinPath(folder.uri, QUEUE_FILE);
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));

  // The server answers once it has started: ask until AIL's hover is among the editor's (30 s at most).
  const hover = await until('AIL hover on line 4', async () => {
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(HOVER_LINE - 1, 6));
    const text = hovers.flatMap((found) => found.contents).map((content) => markdownText(typeof content === 'string' ? content : content.value)).join('\n');
    return text.includes('Bound the job queue') ? text : undefined;
  });
  for (const expected of hoverExpectations(history)) if (!expected.test(hover)) throw new Error(`the hover does not match ${expected}:\n${hover}`);

  const titles = await until('resolved code lenses', async () => {
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100);
    const found = lenses.map((lens) => lens.command?.title ?? '');
    return found.length === SYMBOL_LENS_COUNT + 1 && found.every(Boolean) ? found : undefined;
  });
  const files = titles.filter((title) => FILE_LENS.test(title)).length;
  const symbols = titles.filter((title) => SYMBOL_LENS.test(title)).length;
  if (files !== 1 || symbols !== SYMBOL_LENS_COUNT) throw new Error(`code lens titles: ${JSON.stringify(titles)}`);
}

/** Markdown as a reader sees it: links as their text, no emphasis or escapes (enough for AIL's hovers). */
function markdownText(markdown: string): string {
  return markdown
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[*`]/g, '')
    .replace(/\\(.)/g, '$1');
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
