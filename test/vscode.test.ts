import { existsSync, lstatSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireInstalled } from './helpers/external';
import { Fixture } from './helpers/fixture';
import { gitRecorder, type GitRecorder } from './helpers/git-recorder';
import { processesIn, processTable } from './helpers/processes';
import { FILE_LENS, HOSTILE_FILE, HOSTILE_SUBJECT, HOVER_LINE, QUEUE_FILE, QUEUE_SUBJECT, SYMBOL_LENS, SYMBOL_LENS_COUNT, buildQueueHistory, hoverExpectations, type QueueHistory } from './helpers/vscode-expectations';
import { CODE_SERVER_VERSION, Workbench, groupMembers, missingForWorkbench } from './helpers/workbench';
import { closesWith, raise } from './helpers/workbench-suite';

/**
 * Tier three in VS Code: the extension in a real workbench (code-server 1.100.3's extension host, driven
 * headless through Chromium), as a user meets it. Each step waits on what the UI shows and saves a
 * screenshot under test-output/vscode/. scripts/e2e-setup.sh installs code-server; .ci/run installs
 * Chromium and runs this suite.
 */

/** A token that must reach AIL's server and no file. */
const TOKEN = 'ghp_e2eTokenThatMustNotLeak0123456789';

/** How long a step waits for the UI to show what it expects (expect.poll's default is one second). */
const WAIT = { timeout: 20_000 };

const available = requireInstalled('the VS Code tests (test/vscode.test.ts)', missingForWorkbench());

describe.runIf(available)(`VS Code ${CODE_SERVER_VERSION.replace(/^4\./, '1.')} (code-server ${CODE_SERVER_VERSION}) with AIL installed`, () => {
  let repo: Fixture;
  let history: QueueHistory;
  let workbench: Workbench | undefined;
  let chromiumBefore: Set<number>;
  let git: GitRecorder;
  let probeOut = '';
  const bench = (): Workbench => workbench ?? raise(new Error('the workbench did not start'));
  /** Every dialog (alert, confirm, prompt) any frame of the workbench opened: none is expected. */
  const dialogs: string[] = [];
  const userSettings = (): Record<string, unknown> => JSON.parse(readFileSync(path.join(bench().home, 'user-data/User/settings.json'), 'utf8')) as Record<string, unknown>;

  beforeAll(async () => {
    // Made here, not when the file is collected: a skipped suite leaves nothing behind.
    repo = Fixture.create('ail-vscode-repo-');
    history = buildQueueHistory(repo);
    git = gitRecorder(path.join(repo.root, '..', `${path.basename(repo.root)}-git`));
    chromiumBefore = new Set(chromiumProcesses());
    // Every message traced, params included, once the AIL channel's level is Trace (the token step sets it).
    // An agent beside AIL (test/data/agent-probe) calls ail_why through vscode.lm.invokeTool once AIL runs.
    probeOut = path.join(repo.root, '..', `${path.basename(repo.root)}-agent-probe.json`);
    const probe = { AIL_AGENT_PROBE_OUT: probeOut, AIL_AGENT_PROBE_INPUT: JSON.stringify({ path: QUEUE_FILE, startLine: HOVER_LINE, question: 'why is the queue bounded?' }) };
    workbench = await Workbench.start({ name: 'queue', settings: { 'ail.trace.server': 'verbose' }, env: { AIL_COMMIT_GRAPH: 'false', ...git.env, ...probe }, extensions: [path.resolve(__dirname, 'data/agent-probe')] });
    workbench.page.on('dialog', (dialog) => {
      dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      void dialog.dismiss();
    });
  }, 120_000);

  closesWith(() => ({ workbench, repo }));

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

  it("offers ail_why to agent mode: vscode.lm lists it and answers an agent's call; and says this VS Code has no MCP server definition API (1.101+)", async () => {
    // What the extension's API surface says in this editor, from the AIL channel's log on disk. The tool is
    // registered and listed by vscode.lm.tools; no chat participant runs in code-server, so none calls it here.
    const logged = (text: string) => filesContaining(bench().home, text).filter((file) => /^user-data\/logs\/.*AIL\.log$/.test(file));
    await expect.poll(() => logged('agent mode: the language model tool ail_why is registered'), WAIT).toHaveLength(1);
    const log = readFileSync(path.join(bench().home, logged('agent mode: the language model tool ail_why is registered')[0]!), 'utf8');
    expect(log).toContain('agent mode: the language model tool ail_why is registered (vscode.lm.tools lists it)');
    // 1.100 has a proposal of that API under another contribution point: it is not touched, so nothing failed.
    expect(log).toContain(`MCP: VS Code ${CODE_SERVER_VERSION.replace(/^4\./, '1.')} has no vscode.lm.registerMcpServerDefinitionProvider (1.101+)`);
    expect(log).not.toContain('is not offered:');

    // And an agent's call through vscode.lm.invokeTool: the answer of AIL's server, as the panel's Markdown; a bad path refused in a sentence.
    await expect.poll(() => existsSync(probeOut), { timeout: 60_000 }).toBe(true);
    const probe = JSON.parse(readFileSync(probeOut, 'utf8')) as { tools?: string[]; text?: string; refused?: string; error?: string };
    rmSync(probeOut);
    expect(probe.error).toBeUndefined();
    expect(probe.tools).toContain('ail_why');
    for (const expected of [new RegExp(history.short), /Bound the job queue at twenty entries/, /#31/, /closes \\?#30/]) expect(probe.text).toMatch(expected);
    expect(probe.refused).toBe('path "../../etc/passwd" is outside the workspace folders: give a file path relative to one of them');
  }, 90_000);

  it('ran its git through PATH in the fixture (the git recorder the untrusted-folder step relies on sees it)', () => {
    const calls = git.calls();
    expect(calls.filter((call) => call.startsWith(`${repo.root}\t`) && / blame /.test(` ${call.split('\t')[1]} `))).not.toEqual([]);
  });

  it('reads the current-line annotation after line 4: author, age and the commit subject; it follows the cursor, and an edited line is not committed yet', async () => {
    const editor = bench().activeEditor();
    await bench().goToLine(HOVER_LINE);
    const annotation = new RegExp(`^Alice Archer, .* ago · ${escapeRegExp(QUEUE_SUBJECT)}$`);
    await expect.poll(() => bench().afterLineTexts(editor), WAIT).toEqual([{ line: HOVER_LINE, text: expect.stringMatching(annotation) }]);
    await bench().screenshot('current-line');

    await bench().goToLine(9);
    await expect.poll(() => bench().afterLineTexts(editor), WAIT).toEqual([{ line: 9, text: expect.stringMatching(annotation) }]);

    await bench().goToLine(HOVER_LINE);
    await bench().page.keyboard.press('End');
    // A change of code (blame ignores whitespace, so a space would still be Alice's line), with no space in it: one undo.
    await bench().page.keyboard.insertText('//edited');
    await expect.poll(() => bench().afterLineTexts(editor), WAIT).toEqual([{ line: HOVER_LINE, text: 'Not committed yet' }]);
    await bench().screenshot('current-line-edited');
    await bench().page.keyboard.press('Control+Z');
    await expect.poll(() => bench().afterLineTexts(editor), WAIT).toEqual([{ line: HOVER_LINE, text: expect.stringMatching(annotation) }]);
  });

  it('runs "AIL: Ask Why" from the palette on a selection and reads the panel: summary, evidence SHA, PR link, confidence, tier', async () => {
    await bench().goToLine(HOVER_LINE);
    await bench().page.keyboard.press('Shift+ArrowDown');
    await bench().page.keyboard.press('Shift+ArrowDown');
    await bench().page.keyboard.press('Shift+End');
    await bench().runCommand('AIL: Ask Why');
    const box = bench().page.locator('.quick-input-widget');
    await expect.poll(() => box.locator('.quick-input-title').innerText(), WAIT).toBe('AIL: Ask Why');
    const input = box.locator('input');
    await expect.poll(() => input.inputValue(), WAIT).toBe('Why does this code exist?');
    await input.fill('why twenty?');
    await input.press('Enter');

    const panel = await bench().webview('AIL: Ask Why');
    await panel.locator('body:not(.busy) p.summary', { hasText: /Lines 4–6 come from .*Bound the job queue at twenty entries/ }).waitFor();
    await bench().screenshot('ask-why-panel');
    expect(await panel.locator('h2.question').innerText()).toBe('why twenty?');
    expect(await panel.locator('.evidence li').first().locator('a.sha').innerText()).toBe(history.short);
    expect(await panel.locator('.evidence li').first().locator('div.refs a.pr').getAttribute('title')).toBe('https://github.com/acme/queue/pull/31');
    expect(await panel.locator('.evidence li').first().locator('div.refs a.issue').getAttribute('title')).toBe('https://github.com/acme/queue/issues/30');
    expect(await panel.locator('.confidence .band').innerText()).toBe('high');
    expect(await panel.locator('header p.meta').innerText()).toMatch(/^Dug from the history in \d/);
  });

  it('asks a follow-up question in the panel and reads the new answer', async () => {
    const panel = await bench().webview('AIL: Ask Why');
    await panel.locator('form#follow-up input#question').fill('who bounded the queue?');
    await panel.locator('form#follow-up button', { hasText: 'Ask' }).click();
    await panel.locator('body:not(.busy) h2.question', { hasText: 'who bounded the queue?' }).waitFor();
    await bench().screenshot('follow-up');
    expect(await panel.locator('.evidence li').first().locator('a.sha').innerText()).toBe(history.short);
    expect(await panel.locator('.evidence li').first().locator('.author').innerText()).toBe('Alice Archer');
    expect(await panel.locator('form#follow-up input#question').inputValue()).toBe('');
  });

  it('asks at once from a code lens and from the hover\'s "Ask Why" link: no input box, the panel answers for those lines', async () => {
    const editor = bench().activeEditor();
    const panel = await bench().webview('AIL: Ask Why');
    await (await bench().codeLensAbove(editor, 3)).click();
    await panel.locator('body:not(.busy) p.summary', { hasText: /^Lines 3–6 come from / }).waitFor();
    expect(await panel.locator('h2.question').innerText()).toBe('Why does this code exist?');
    expect(await bench().page.locator('.quick-input-widget').isVisible()).toBe(false);
    await bench().screenshot('ask-why-code-lens');

    const hover = await bench().hoverLine(editor, HOVER_LINE, 'Bound the job queue');
    await hover.locator('a[data-href^="command:ail.askWhy"]', { hasText: 'Ask Why' }).click();
    await panel.locator('body:not(.busy) p.summary', { hasText: /^Line 4 comes from / }).waitFor();
    expect(await panel.locator('.evidence li').first().locator('a.sha').innerText()).toBe(history.short);
    await bench().screenshot('ask-why-hover-link');
  });

  it('shows a commit subject of HTML as text in the hover and the panel, and runs none of it', async () => {
    const editor = await bench().openFile(HOSTILE_FILE, 'export const escaped');
    // The file's lens first: it pushes line 1 down, away from under a mouse that came too soon.
    await bench().codeLensTitles(editor, 1);
    await expect.poll(() => bench().afterLineTexts(editor), WAIT).toEqual([{ line: 1, text: expect.stringMatching(new RegExp(`^Bob Builder, .* ago · ${escapeRegExp(HOSTILE_SUBJECT)}$`)) }]);
    const hover = await bench().hoverLine(editor, 1, HOSTILE_SUBJECT);
    expect(await hover.locator('img').count()).toBe(0);
    await hover.locator('a[data-href^="command:ail.askWhy"]', { hasText: 'Ask Why' }).click();
    const panel = await bench().webview('AIL: Ask Why');
    const subject = panel.locator('body:not(.busy) .evidence li strong.subject', { hasText: HOSTILE_SUBJECT });
    await subject.waitFor();
    await bench().page.keyboard.press('Escape');
    await hover.waitFor({ state: 'hidden' });
    await bench().screenshot('escaped-subject');
    // Reasons and notes each on a line of their own (they once ran together: "line history1 line of the range").
    const [reasons, notes] = [await panel.locator('.evidence li small.reasons').first().boundingBox(), await panel.locator('.evidence li small.notes').first().boundingBox()];
    expect(notes!.y).toBeGreaterThanOrEqual(reasons!.y + reasons!.height - 1);
    // The text itself, not markup: the node holds one text node, and the page has no image at all.
    expect(await subject.evaluate((node) => [node.childNodes.length, node.textContent])).toEqual([1, HOSTILE_SUBJECT]);
    expect(await panel.locator('img').count()).toBe(0);
    expect(await panel.locator('main#answer').innerText()).toContain(HOSTILE_SUBJECT);
    // The webview's sandbox has no allow-modals and its CSP no 'unsafe-inline', so an injected onerror
    // could not show a dialog anyway: the DOM above is the proof; this says no layer of it ran either.
    expect(dialogs).toEqual([]);
  });

  it('toggles the semantic cache from the palette: the status bar item says so at once, and user settings hold it', async () => {
    const status = bench().statusItem('ail.status');
    // The hit rate moves with every question asked: the L2 part is what the toggle changes.
    const l2 = async (): Promise<string> => /· (L2 .*)$/.exec(await status.innerText())?.[1] ?? (await status.innerText());
    await expect.poll(l2, WAIT).toMatch(/^L2 (on|\d+%)$/);
    const on = await l2();
    await bench().screenshot('status-l2-on');

    await bench().runCommand('AIL: Toggle Semantic Cache');
    await expect.poll(l2, WAIT).toBe('L2 off');
    await expect.poll(() => userSettings()['ail.semanticCache.enabled'], WAIT).toBe(false);
    await bench().screenshot('status-l2-off');

    await bench().runCommand('AIL: Toggle Semantic Cache');
    await expect.poll(l2, WAIT).toBe(on);
    await expect.poll(() => userSettings()['ail.semanticCache.enabled'], WAIT).toBe(true);
  });

  it('sets a GitHub token with the protocol traced verbosely: the server has it, and no settings, log or data file does; clearing it tells the server', async () => {
    // "ail.trace.server": "verbose" is set; the client traces once the AIL channel is at Trace, as a user sets it.
    await bench().runCommand('Developer: Set Log Level...');
    await bench().page.locator('.quick-input-list .monaco-list-row[aria-label^="AIL, "]').click();
    await bench().page.locator('.quick-input-list .monaco-list-row[aria-label="Trace"]').click();
    const log = (): string => filesContaining(bench().home, 'AIL: a GitHub token is set').map((file) => readFileSync(path.join(bench().home, file), 'utf8')).join('\n');
    await bench().runCommand('AIL: Set GitHub Token');
    const box = bench().page.locator('.quick-input-widget');
    await expect.poll(() => box.locator('.quick-input-title').innerText(), WAIT).toBe('AIL: Set GitHub Token');
    const input = box.locator('input[type=password]');
    await input.fill(TOKEN);
    await bench().screenshot('token-input');
    await input.press('Enter');
    // The client says "given to the server" only when the server's answer to ail/setGitHubToken says it holds one.
    await bench().notification('given to the server').waitFor();
    await bench().runCommand('AIL: Show Logs');
    await bench().page.locator('.part.panel .view-lines', { hasText: 'AIL: a GitHub token is set' }).waitFor();
    await bench().screenshot('token-set');

    // The scan reaches what it must: the user settings, and the AIL output channel's log file on disk.
    expect(filesContaining(bench().home, '"ail.semanticCache.enabled"')).toContain('user-data/User/settings.json');
    await expect.poll(() => filesContaining(bench().home, 'AIL: a GitHub token is set'), WAIT).toContainEqual(expect.stringMatching(/^user-data\/logs\/.*AIL\.log$/));
    // The request was traced, params and all, yet not the token: the trace is on, and it holds back only that.
    await expect.poll(log, WAIT).toMatch(/\[trace\] Sending request 'ail\/setGitHubToken - \(\d+\)'\./);
    expect(filesContaining(bench().home, TOKEN)).toEqual([]);
    expect(log()).toMatch(/\[trace\] Sending request 'ail\/setGitHubToken - \(\d+\)'\.\nParams: \(not logged: the GitHub token\)/);
    expect(log()).toMatch(/\[trace\] Received response 'ail\/setGitHubToken - \(\d+\)' in \d+ms\.\nResult: \{\n\s+"githubToken": true/);
    // Every other message is traced whole: the stats a command asks for, result and all.
    await bench().runCommand('AIL: Show Cache Stats');
    await expect.poll(log, WAIT).toMatch(/\[trace\] Received response 'ail\/stats - \(\d+\)' in \d+ms\.\nResult: \{\n\s+"l1"/);
    await bench().page.locator('.monaco-dialog-box').waitFor();
    await bench().page.keyboard.press('Escape');
    await bench().page.locator('.monaco-dialog-box').waitFor({ state: 'detached' });

    await bench().runCommand('AIL: Clear GitHub Token');
    await bench().notification('the GitHub token is removed').waitFor();
    await bench().page.locator('.part.panel .view-lines', { hasText: 'AIL: the GitHub token is cleared' }).waitFor();
  });

  it('ran the extension installed from the .vsix: its server, a Node child of the extension host, loaded the N-API addons it carries', () => {
    const installed = readdirSync(path.join(bench().home, 'extensions')).filter((name) => name.startsWith('ail.ail-'));
    expect(installed).toHaveLength(1);
    const extension = path.join(bench().home, 'extensions', installed[0]!);
    expect(lstatSync(extension).isSymbolicLink()).toBe(false);
    const servers = groupMembers(bench().group).filter((member) => member.includes(`${extension}/dist/server.js`));
    expect(servers).toHaveLength(1);
    const maps = readFileSync(`/proc/${servers[0]!.split(' ')[0]}/maps`, 'utf8');
    expect(maps).toContain(`${extension}/dist/node_modules/hnswlib-node/build/Release/addon.node`);
    if (existsSync(path.join(extension, 'native/build/Release/ail_spawn.node'))) expect(maps).toContain(`${extension}/native/build/Release/ail_spawn.node`);
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
  let repo: Fixture;
  let workbench: Workbench | undefined;
  let git: GitRecorder;
  const bench = (): Workbench => workbench ?? raise(new Error('the workbench did not start'));

  beforeAll(async () => {
    // Its own workbench: trust is decided when code-server starts (with trust enabled the harness drops --disable-workspace-trust).
    repo = Fixture.create('ail-vscode-untrusted-');
    buildQueueHistory(repo);
    git = gitRecorder(path.join(repo.root, '..', `${path.basename(repo.root)}-git`));
    workbench = await Workbench.start({
      name: 'untrusted',
      settings: { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.untrustedFiles': 'open' },
      env: { AIL_COMMIT_GRAPH: 'false', ...git.env },
    });
  }, 120_000);

  closesWith(() => ({ workbench, repo }));

  it('runs no git in an untrusted folder and says why', async () => {
    await bench().openFolder(repo.root);
    await bench().page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).waitFor();
    // The extension activated (it is "limited" in untrusted workspaces) and said why it does nothing.
    await bench().notification('AIL: this workspace is not trusted').waitFor();
    await bench().page.locator('.notification-toast .monaco-button', { hasText: 'Manage Workspace Trust' }).waitFor();
    const status = bench().statusItem('ail.status');
    await status.locator('.codicon-circle-slash').waitFor();
    expect((await status.innerText()).trim()).toBe('AIL');
    const editor = await bench().openFile(QUEUE_FILE, 'export class Queue');
    await status.hover();
    await bench().page.locator('.monaco-hover, .workbench-hover', { hasText: 'AIL is off: this workspace is not trusted' }).first().waitFor();
    await bench().screenshot('restricted');
    expect(await editor.locator('.codelens-decoration').count()).toBe(0);
    expect(git.calls()).toEqual([]);
  });

  it('starts AIL when the folder is trusted: git runs, lenses and the hover answer', async () => {
    await bench().page.locator('.notification-toast .monaco-button', { hasText: 'Manage Workspace Trust' }).click();
    await bench().page.locator('.workspace-trust-editor .monaco-button', { hasText: /^Trust$/ }).first().click();
    await bench().page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).waitFor({ state: 'hidden' });
    await bench().screenshot('trust-granted');
    // Back to the file, from the Workspace Trust editor that now says the folder is trusted.
    await bench().page.locator('.tabs-container .tab', { hasText: 'queue.ts' }).click();
    const editor = bench().activeEditor();
    const titles = await bench().codeLensTitles(editor, SYMBOL_LENS_COUNT + 1);
    expect(titles.filter((title) => FILE_LENS.test(title))).toHaveLength(1);
    await bench().hoverLine(editor, HOVER_LINE, 'Bound the job queue');
    await bench().screenshot('trusted');
    expect(git.calls().filter((call) => call.startsWith(`${repo.root}\t`) && / blame /.test(` ${call.split('\t')[1]} `))).not.toEqual([]);
    await expect.poll(() => bench().statusItem('ail.status').innerText(), WAIT).toMatch(/AIL .*L2/);
  });

  it('closes: nothing of it left running', async () => {
    const group = bench().group;
    await bench().close();
    expect(groupMembers(group)).toEqual([]);
    expect(processesIn(repo.root)).toEqual([]);
  });
});

/** The files under `root` whose bytes contain `text` (sockets and unreadable files are passed over). */
function filesContaining(root: string, text: string): string[] {
  const found: string[] = [];
  const needle = Buffer.from(text);
  for (const entry of readdirSync(root, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    try {
      if (readFileSync(file).includes(needle)) found.push(path.relative(root, file));
    } catch {
      // gone meanwhile, or not readable
    }
  }
  return found;
}

/** Chromium processes on this machine (Debian's lives in /usr/lib/chromium). */
function chromiumProcesses(): number[] {
  const found: number[] = [];
  for (const entry of processTable()) {
    if (entry.state === 'Z') continue;
    try {
      if (entry.argv()[0]?.includes('chromium')) found.push(entry.pid);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
