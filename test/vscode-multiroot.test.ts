import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireInstalled } from './helpers/external';
import { ALICE, BOB, Fixture } from './helpers/fixture';
import { processesIn } from './helpers/processes';
import { CODE_SERVER_VERSION, Workbench, groupMembers, missingForWorkbench } from './helpers/workbench';
import { closesWith, raise } from './helpers/workbench-suite';

/**
 * A multi-root workspace in VS Code (code-server, as test/vscode.test.ts drives it): two repositories as
 * two folders of one `.code-workspace`. Each folder answers about its own repository: the status bar
 * follows the active editor's, Rebuild Index asks which folder, and Open commit on a repository without
 * GitHub opens VS Code's diff of a file renamed since, read where it was then. VS Code's git extension
 * is on here: its `git:` documents are what that diff reads.
 */

const WAIT = { timeout: 20_000 };
const PRINTER = 'src/printer.ts';
const OLD_PRINTER = 'lib/old-printer.ts';

const available = requireInstalled('the VS Code tests (test/vscode-multiroot.test.ts)', missingForWorkbench());

describe.runIf(available)(`VS Code ${CODE_SERVER_VERSION.replace(/^4\./, '1.')} with AIL in a multi-root workspace`, () => {
  let alpha: Fixture;
  let beta: Fixture;
  let printed = '';
  let workbench: Workbench | undefined;
  let folder = '';
  const bench = (): Workbench => workbench ?? raise(new Error('the workbench did not start'));

  beforeAll(async () => {
    // Made here, not when the file is collected: a skipped suite leaves nothing behind.
    folder = mkdtempSync(path.join(tmpdir(), 'ail-vscode-workspace-'));
    alpha = Fixture.create('ail-e2e-alpha-');
    for (const [n, subject] of ['Add the parser', 'Parse numbers'].entries()) {
      alpha.write('parser.ts', ['export function parse(text: string) {', `  return text.length + ${n};`, '}']);
      alpha.commit(subject, ALICE);
    }
    // No remote: Open commit shows VS Code's diff. Line 2 changed under the file's old name, then it moved.
    beta = Fixture.create('ail-e2e-beta-');
    beta.write(OLD_PRINTER, ['export function print(value: unknown) {', '  return String(value);', '}']);
    beta.commit('Add the printer', BOB);
    beta.write(OLD_PRINTER, ['export function print(value: unknown) {', '  return JSON.stringify(value);', '}']);
    printed = beta.commit('Print values as JSON', BOB);
    beta.move(OLD_PRINTER, PRINTER);
    beta.commit('Move the printer to src', ALICE);
    writeFileSync(path.join(folder, 'both.code-workspace'), JSON.stringify({ folders: [{ path: alpha.root, name: 'alpha' }, { path: beta.root, name: 'beta' }] }, null, 2));
    workbench = await Workbench.start({ name: 'multi-root', settings: { 'git.enabled': true, 'git.autoRepositoryDetection': true }, env: { AIL_COMMIT_GRAPH: 'false' } });
  }, 120_000);

  closesWith(() => ({ workbench, repo: [alpha, beta] }));
  afterAll(() => {
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('opens the two folders of the .code-workspace', async () => {
    await bench().openWorkspace(path.join(folder, 'both.code-workspace'), ['alpha', 'beta']);
    await bench().screenshot('workspace-open');
  });

  it("shows in the status bar the commit index of the active editor's repository", async () => {
    const status = bench().statusItem('ail.status');
    const index = async () => /Commit index of [^:]*:[^\n]*/.exec(await bench().statusTooltip(status, 'AIL'))?.[0];
    await bench().openFile('parser.ts', 'export function parse');
    await expect.poll(index, WAIT).toMatch(new RegExp(`^Commit index of ${path.basename(alpha.root)}: ready · 2 commits`));
    await bench().openFile(PRINTER, 'export function print');
    await expect.poll(index, WAIT).toMatch(new RegExp(`^Commit index of ${path.basename(beta.root)}: ready · 3 commits`));
    await status.hover();
    await bench().page.locator('.monaco-hover:not(.hidden), .workbench-hover', { hasText: 'Commit index of' }).first().waitFor();
    await bench().screenshot('status-beta');
    await bench().page.mouse.move(700, 300);
  });

  it('asks which folder Rebuild Index is for, the active editor\'s first, and rebuilds that one', async () => {
    await bench().runCommand('AIL: Rebuild Index');
    const rows = bench().page.locator('.quick-input-list .monaco-list-row');
    await expect.poll(() => rows.evaluateAll((found) => found.map((row) => row.getAttribute('aria-label') ?? '')), WAIT).toEqual([
      expect.stringMatching(/^beta, the active editor/),
      expect.stringMatching(/^alpha/),
      expect.stringMatching(/^All workspace folders/),
    ]);
    await bench().screenshot('rebuild-index-pick');
    await rows.first().click();
    await bench().notification(`AIL: indexed 3 commits of ${path.basename(beta.root)} with `).waitFor();
    await bench().screenshot('rebuild-index-done');
  });

  it('opens a commit of a file renamed since as VS Code\'s diff of the file where it was then', async () => {
    const editor = bench().activeEditor();
    const hover = await bench().hoverLine(editor, 2, 'Print values as JSON');
    await hover.locator('a[data-href^="command:ail.openCommit"]', { hasText: 'Open commit' }).click();
    await bench().page.locator('.tabs-container .tab.active', { hasText: `old-printer.ts (${printed.slice(0, 7)})` }).waitFor();
    const diff = bench().page.locator('.monaco-diff-editor').first();
    await diff.locator('.editor.original .view-lines', { hasText: 'return String(value);' }).waitFor();
    await diff.locator('.editor.modified .view-lines', { hasText: 'return JSON.stringify(value);' }).waitFor();
    await bench().screenshot('open-commit-renamed');
  });

  it('closes: no code-server, extension host, AIL server or git left running', async () => {
    const group = bench().group;
    await bench().close();
    expect(groupMembers(group)).toEqual([]);
    expect(processesIn(alpha.root)).toEqual([]);
    expect(processesIn(beta.root)).toEqual([]);
  });
});
