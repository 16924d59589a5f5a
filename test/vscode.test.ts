import { readdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { requireInstalled } from './helpers/external';
import { Fixture } from './helpers/fixture';
import { gitRecorder, type GitRecorder } from './helpers/git-recorder';
import { processesIn } from './helpers/processes';
import { FILE_LENS, HOVER_LINE, QUEUE_FILE, SYMBOL_LENS, SYMBOL_LENS_COUNT, buildQueueHistory, hoverExpectations, type QueueHistory } from './helpers/vscode-expectations';
import { CODE_SERVER_VERSION, Workbench, groupMembers, missingForWorkbench } from './helpers/workbench';

/**
 * Tier three in VS Code: the extension in a real workbench (code-server 1.100.3's extension host, driven
 * headless through Chromium), as a user meets it. Each step waits on what the UI shows and saves a
 * screenshot under test-output/vscode/. scripts/e2e-setup.sh installs code-server; .ci/run installs
 * Chromium and runs this suite.
 */

const available = requireInstalled('the VS Code tests (test/vscode.test.ts)', missingForWorkbench());

describe.runIf(available)(`VS Code ${CODE_SERVER_VERSION.replace(/^4\./, '1.')} (code-server ${CODE_SERVER_VERSION}) with AIL installed`, () => {
  let repo: Fixture;
  let history: QueueHistory;
  let workbench: Workbench | undefined;
  let chromiumBefore: Set<number>;
  let git: GitRecorder;
  const bench = (): Workbench => workbench ?? raise(new Error('the workbench did not start'));

  beforeAll(async () => {
    // Made here, not when the file is collected: a skipped suite leaves nothing behind.
    repo = Fixture.create('ail-vscode-repo-');
    history = buildQueueHistory(repo);
    git = gitRecorder(path.join(repo.root, '..', `${path.basename(repo.root)}-git`));
    chromiumBefore = new Set(chromiumProcesses());
    workbench = await Workbench.start({ name: 'queue', env: { AIL_COMMIT_GRAPH: 'false', ...git.env } });
  }, 60_000);

  // A step that fails leaves a picture of what the workbench showed.
  beforeEach(({ onTestFailed, task }) => {
    onTestFailed(async () => {
      await workbench?.screenshot(`failed-${task.name.split(' ')[0]}`).catch(() => undefined);
    });
  });

  afterAll(async () => {
    await workbench?.close();
    if (repo) rmSync(`${repo.root}-git`, { recursive: true, force: true });
    repo?.cleanup();
  });

  it('opens the fixture repository as the workspace', async () => {
    await bench().openFolder(repo.root);
    await bench().page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'src' }).waitFor();
    await bench().screenshot('folder-open');
  });

  it('opens src/queue.ts and shows the code lens titles over the file and each symbol', async () => {
    const editor = await bench().openFile(QUEUE_FILE, 'export class Queue');
    const titles = await bench().codeLensTitles(editor, SYMBOL_LENS_COUNT + 1);
    await bench().screenshot('code-lenses');
    expect(titles.filter((title) => FILE_LENS.test(title))).toHaveLength(1);
    expect(titles.filter((title) => SYMBOL_LENS.test(title))).toHaveLength(SYMBOL_LENS_COUNT);
  });

  it('hovers a line of src/queue.ts and reads the commit, its PR and the issue it closes', async () => {
    // After the lenses: lines they push down cannot move away from under the mouse.
    const editor = bench().activeEditor();
    const hover = await bench().hoverLine(editor, HOVER_LINE, 'Bound the job queue');
    await bench().screenshot('hover');
    const text = await hover.innerText();
    for (const expected of hoverExpectations(history)) expect(text).toMatch(expected);
  });

  it('ran its git through PATH in the fixture (the git recorder the untrusted-folder step relies on sees it)', () => {
    const calls = git.calls();
    expect(calls.filter((call) => call.startsWith(`${repo.root}\t`) && / blame /.test(` ${call.split('\t')[1]} `))).not.toEqual([]);
  });

  // The steps below wait for the VS Code client of issue 13 (another branch). Each comment is the step as
  // it is to be written: what to do, what to wait on, what to expect. Switch one on by turning its
  // `it.todo` into an `it` with that body, in this order (they share the one workbench).

  // Cursor on line 4 (click its text: `editor.locator('.view-line').nth(…)` or Ctrl+G 4 Enter). Wait for
  // dim text after the end of that line; VS Code renders a decoration's `after.contentText` as CSS
  // `::after { content: "…" }` on a span of the line, so read it with
  // `getComputedStyle(span, '::after').content` over the spans of `.view-line` at line 4's top (through
  // `page.waitForFunction`, which waits on the DOM). Expect
  //   /^Alice Archer, .* ago · Bound the job queue at twenty entries \(#31\)$/
  // and on no other line. Move to line 9: the annotation moves with the cursor (wait for it there, and
  // gone from line 4). Type a character at the end of line 4: "not committed yet" there; undo (Ctrl+Z).
  // Screenshot 'current-line'.
  it.todo('reads the current-line annotation after line 4: author, age and the commit subject');

  // Select lines 4-6 (Ctrl+G 4 Enter, then Shift+Down twice, Shift+End). runCommand('AIL: Ask Why'):
  // the input box (`.quick-input-widget input`) is pre-filled "Why does this code exist?"; fill
  // 'why twenty?' and press Enter. `webview('AIL: Ask Why')` (the panel opens beside the editor) and wait
  // in it for the summary: text /Lines 4–6 come from .*Bound the job queue at twenty entries/. Expect
  // the question 'why twenty?', the evidence list's first row with `history.short`, a link
  // `a[href="https://github.com/acme/queue/pull/31"]` and one to issues/30, the confidence band "high",
  // which tier answered. Screenshot 'ask-why-panel'.
  it.todo('runs "AIL: Ask Why" from the palette on a selection and reads the panel: summary, evidence SHA, PR link');

  // In the same webview: fill the panel's question field with 'who bounded the queue?' and press Enter
  // (or click its Ask button). Wait for that question to show as the panel's current question, and an
  // answer whose evidence again starts with `history.short` and names Alice Archer. Screenshot
  // 'follow-up'.
  it.todo('asks a follow-up question in the panel and reads the new answer');

  // `statusItem('ail.status')` (DOM id "ail.ail.ail.status"): wait for it to read /AIL/ and to say L2 is
  // on. runCommand('AIL: Toggle Semantic Cache'): wait for the item's text to change to L2 off (for
  // example `AIL · L2 off`); user-data/User/settings.json (`bench().home`) now has
  // "ail.semanticCache.enabled": false. Toggle again: back to the first text, the setting true. A
  // screenshot of each state ('status-l2-on', 'status-l2-off').
  it.todo('toggles the semantic cache from the palette and reads the status bar item change');

  // runCommand('AIL: Set GitHub Token'); the input box is a password box (`input[type=password]`); fill
  // TOKEN = 'ghp_e2eTokenThatMustNotLeak0123456789' and press Enter. Proof it reached the server: the
  // server's answer to `ail/health` (or the status item's tooltip) says a GitHub token is set; with a
  // GitHub API base URL setting, better: a fake API on 127.0.0.1 that records
  // `Authorization: Bearer TOKEN` when the panel asks about #31. Then no file has it: read every file
  // under `bench().home` (user settings, code-server's and VS Code's logs under user-data/logs, the
  // extension host's and AIL's output channel logs, AIL_DATA_DIR) and expect none to contain TOKEN.
  // Clear GitHub Token afterwards: the server says none is set.
  it.todo('sets a GitHub token: the server has it, and no settings or log file does');

  it('reads a webview the way the Ask Why panel will be read (the harness, on the Markdown preview)', async () => {
    await bench().openFile('README.md', '# queue');
    await bench().runCommand('Markdown: Open Preview to the Side');
    const preview = await bench().webview('Preview README.md');
    await preview.locator('h1', { hasText: 'queue' }).waitFor();
    await bench().screenshot('webview');
    await bench().runCommand('View: Close All Editor Groups');
  });

  it('closes: no code-server, extension host, AIL server, git or Chromium left running', async () => {
    const group = bench().group;
    await bench().close();
    expect(groupMembers(group)).toEqual([]);
    expect(processesIn(repo.root)).toEqual([]);
    expect(chromiumProcesses().filter((pid) => !chromiumBefore.has(pid))).toEqual([]);
  });
});

describe.runIf(available)('VS Code with AIL in an untrusted folder', () => {
  // Its own workbench, since trust is decided at start: `Workbench.start({ name: 'untrusted', settings:
  // { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never' },
  // env: { AIL_COMMIT_GRAPH: 'false', ...gitRecorder(dir).env } })` (with trust enabled the harness drops
  // --disable-workspace-trust), on a fresh `buildQueueHistory` fixture; openFolder, openFile(QUEUE_FILE)
  // and hoverLine-free waits only: wait for the workbench's "Restricted Mode" status entry
  // (`.statusbar-item`, hasText 'Restricted Mode') and for AIL to say why it does nothing (its status item
  // reads as disabled, `statusItem('ail.status')` hasText /AIL/ with the "untrusted" reason in its
  // tooltip, or the notification it shows). Expect the git recorder's `calls()` to be [] (not one git
  // process, in the fixture or anywhere), no code lens (`.codelens-decoration` count 0) and a hover with
  // no AIL section (hover line 4: `.monaco-hover:not(.hidden)` without 'Bound the job queue', or none).
  // Then trust the folder (runCommand('Workspaces: Manage Workspace Trust'), click 'Trust'): AIL starts,
  // the lenses appear, and calls() now has AIL's blame. Screenshots 'restricted' and 'trusted'.
  it.todo('runs no git in an untrusted folder and says why; trusting the folder starts it');
});

/** Chromium processes on this machine (Debian's lives in /usr/lib/chromium). */
function chromiumProcesses(): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
      if (state !== 'Z' && readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]!.includes('chromium')) found.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

function raise(error: Error): never {
  throw error;
}
