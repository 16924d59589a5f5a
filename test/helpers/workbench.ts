import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type FrameLocator, type Locator, type Page } from 'playwright-core';
import { packagedVsix } from './vsix';
import { startWatchdog, type Watchdog } from './watchdog';
import { processTable } from './processes';

/**
 * A real VS Code workbench for end-to-end tests: code-server (VS Code 1.100.3 served to a browser, with
 * extensions in its real Node extension host) driven by playwright-core in Debian's headless Chromium.
 * scripts/e2e-setup.sh installs code-server into a cache outside the repository; .ci/run installs
 * Chromium. Each `Workbench` is one code-server in its own process group, with its own user data and
 * extensions folders in a temp dir, on 127.0.0.1 and a port the system chose; `close()` ends the browser
 * and that whole group, and a watchdog process does the same when this process dies without closing.
 */

export const CODE_SERVER_VERSION = '4.100.3';
const REPO = path.resolve(__dirname, '../..');
const PACKAGE = { publisher: 'ail', name: 'ail', version: '0.1.0' };

/** Where scripts/e2e-setup.sh installs code-server (the same AIL_E2E_CACHE and default). */
export function codeServerRoot(): string {
  const cache = process.env.AIL_E2E_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'ail-e2e');
  return path.join(cache, `code-server-${CODE_SERVER_VERSION}`);
}

const CODE_SERVER_ENTRY = path.join(codeServerRoot(), 'node_modules/code-server/out/node/entry.js');
export const CHROMIUM = process.env.AIL_CHROMIUM ?? '/usr/bin/chromium';

/** What is missing to run a workbench here, each with how to install it (empty when nothing is). */
export function missingForWorkbench(): string[] {
  const missing: string[] = [];
  if (!existsSync(CODE_SERVER_ENTRY)) missing.push(`code-server ${CODE_SERVER_VERSION} is not installed; install it with \`bash scripts/e2e-setup.sh\``);
  if (!existsSync(CHROMIUM)) missing.push('chromium is not installed; install it with `apt-get install chromium` (or set AIL_CHROMIUM to its path)');
  return missing;
}

/**
 * How the extension gets into the workbench: the .vsix a user installs (`npm run package`, built once per
 * change of its inputs by helpers/vsix.ts), installed with `code-server --install-extension`, so its own
 * dist/node_modules and N-API addons run in the extension host. `{ kind: 'repository' }` links the built
 * repository in instead (dist/, package.json and the repository's node_modules), as VS Code would unpack it.
 */
const EXTENSION: ExtensionSource = { kind: 'vsix', file: packagedVsix };

/** A .vsix is a path, or how to get one. */
type ExtensionSource = { kind: 'repository' } | { kind: 'vsix'; file: string | (() => Promise<string>) };

/** User settings that keep the workbench quiet: no welcome page, tips, trust prompt, telemetry or updates. */
const QUIET_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  // The built-in git extension would run git on the fixture too: these tests count AIL's git alone.
  'git.enabled': false,
  'git.autoRepositoryDetection': false,
  'github.gitAuthentication': false,
  'chat.commandCenter.enabled': false,
  'editor.minimap.enabled': false,
  // No fades: a screenshot taken once the hover is there shows it whole, not half-faded over the text.
  'workbench.reduceMotion': 'on',
  'window.commandCenter': false,
};

export interface WorkbenchOptions {
  /** A name for the screenshots' folder: test-output/vscode/<name>/. */
  name: string;
  /** Settings over the quiet ones (`'security.workspace.trust.enabled': true` for a trust test). */
  settings?: Record<string, unknown>;
  /** Environment for code-server, its extension host and so AIL's server, over this process's. */
  env?: NodeJS.ProcessEnv;
  /** Each wait on the UI gives up after this. */
  timeoutMs?: number;
  /** Folders of unpacked extensions linked in beside AIL (test/data/agent-probe: an agent calling ail_why). */
  extensions?: string[];
}

export class Workbench {
  private shots = 0;
  private closed = false;

  private constructor(
    readonly page: Page,
    private readonly browser: BrowserContext,
    private readonly server: ChildProcess,
    private readonly watchdog: Watchdog,
    readonly url: string,
    readonly home: string,
    readonly screenshots: string,
    private readonly log: () => string,
  ) {}

  /** Starts code-server with AIL installed, and a browser on it; nothing is opened yet. */
  static async start(options: WorkbenchOptions): Promise<Workbench> {
    const home = realpathSync(mkdtempSync(path.join(tmpdir(), 'ail-vscode-')));
    const userData = path.join(home, 'user-data');
    const extensions = path.join(home, 'extensions');
    mkdirSync(path.join(userData, 'User'), { recursive: true });
    mkdirSync(extensions, { recursive: true });
    mkdirSync(path.join(home, 'tmp'));
    writeFileSync(path.join(userData, 'User/settings.json'), JSON.stringify({ ...QUIET_SETTINGS, ...options.settings }, null, 2));
    const config = path.join(home, 'config.yaml');
    writeFileSync(config, 'auth: none\ncert: false\n');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      // code-server's and VS Code's own files stay in the temp dir.
      XDG_CONFIG_HOME: path.join(home, 'config'),
      XDG_DATA_HOME: path.join(home, 'share'),
      XDG_CACHE_HOME: path.join(home, 'cache'),
      // The extension host's sockets and the TypeScript server's files too.
      TMPDIR: path.join(home, 'tmp'),
      AIL_DATA_DIR: path.join(home, 'ail-data'),
      AIL_ALLOW_MODEL_DOWNLOAD: 'false',
      // The extension host gets this environment as it is: without this VS Code's server starts the
      // user's login shell and takes its environment (PATH among it) instead.
      VSCODE_CLI: '1',
      ...options.env,
    };
    const common = ['--config', config, '--user-data-dir', userData, '--extensions-dir', extensions];
    try {
      await installExtension(extensions, common, env);
      for (const folder of options.extensions ?? []) linkExtension(extensions, folder);
    } catch (error) {
      rmSync(home, { recursive: true, force: true });
      throw error;
    }

    const screenshots = path.join(REPO, 'test-output/vscode', options.name);
    rmSync(screenshots, { recursive: true, force: true });
    mkdirSync(screenshots, { recursive: true });

    const server = spawn(
      process.execPath,
      [CODE_SERVER_ENTRY, ...common, '--bind-addr', '127.0.0.1:0', '--auth', 'none', '--disable-telemetry', '--disable-update-check', '--disable-getting-started-override', '--disable-workspace-trust'].filter(
        (arg) => arg !== '--disable-workspace-trust' || options.settings?.['security.workspace.trust.enabled'] !== true,
      ),
      // Its own process group: close() ends code-server, its extension host, AIL's server and their children at once.
      { cwd: home, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    // From here on, whatever happens to this process, the watchdog ends code-server's group and the
    // browser (its profile is in `home`) and removes `home`.
    const watchdog = startWatchdog(server.pid!, home, home);
    let output = '';
    server.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    server.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const log = (): string => output;
    let browser: BrowserContext | undefined;
    try {
      const url = await listening(server, log, options.timeoutMs ?? 30_000);
      browser = await chromium.launchPersistentContext(path.join(home, 'chromium'), {
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
        viewport: { width: 1400, height: 900 },
      });
      const page = browser.pages()[0] ?? (await browser.newPage());
      page.setDefaultTimeout(options.timeoutMs ?? 30_000);
      return new Workbench(page, browser, server, watchdog, url, home, screenshots, log);
    } catch (error) {
      await withTimeout(browser?.close() ?? Promise.resolve(), 10_000).catch(() => undefined);
      await watchdog.end();
      throw error;
    }
  }

  /** Opens `folder` as the workspace and waits for the workbench to show it. */
  async openFolder(folder: string): Promise<void> {
    await this.page.goto(`${this.url}?folder=${encodeURIComponent(folder)}`);
    await this.page.locator('.monaco-workbench').waitFor();
    // The explorer shows the folder's name once the workspace is open.
    await this.page.locator(`.explorer-folders-view, .monaco-workbench .part.sidebar`).first().waitFor();
  }

  /** Opens a `.code-workspace` file (a multi-root workspace) and waits for the explorer to show each of `folders` by name. */
  async openWorkspace(file: string, folders: readonly string[]): Promise<void> {
    await this.page.goto(`${this.url}?workspace=${encodeURIComponent(file)}`);
    await this.page.locator('.monaco-workbench').waitFor();
    for (const name of folders) await this.page.locator('.explorer-folders-view .monaco-list-row', { hasText: name }).first().waitFor();
  }

  /** The tooltip of a status bar item, as the mouse over it shows it; the mouse then leaves and the tooltip goes. */
  async statusTooltip(item: Locator, containing: string): Promise<string> {
    await item.hover();
    const tooltip = this.page.locator('.monaco-hover:not(.hidden), .workbench-hover', { hasText: containing }).first();
    await tooltip.waitFor();
    const text = await tooltip.innerText();
    await this.page.mouse.move(700, 300);
    await tooltip.waitFor({ state: 'hidden' });
    return text;
  }

  /** Opens a file of the workspace through Quick Open, and waits for its editor tab and text. */
  async openFile(relative: string, firstLine: string): Promise<Locator> {
    await this.page.locator('.monaco-workbench').click({ position: { x: 700, y: 450 } }).catch(() => undefined);
    await this.page.keyboard.press('Control+P');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(relative);
    const row = this.page.locator('.quick-input-list .monaco-list-row', { hasText: path.basename(relative) }).first();
    // A click on the row, not Enter: Enter takes whichever row is first when the key lands, and the list
    // may still be filling then (once, Enter opened nothing at all).
    await row.click();
    await this.page.locator('.tabs-container .tab.active', { hasText: path.basename(relative) }).waitFor();
    const editor = this.activeEditor();
    await editor.locator('.view-lines', { hasText: firstLine }).waitFor();
    return editor;
  }

  /** The editor that has focus, or the first one. */
  activeEditor(): Locator {
    return this.page.locator('.editor-instance .monaco-editor').first();
  }

  /**
   * Runs a command from the palette: types its title and clicks the row with exactly that title (a row's
   * label is the title, then ", <keybinding>" when it has one). Fuzzy matching may rank other rows first.
   */
  async runCommand(title: string): Promise<void> {
    await this.page.keyboard.press('F1');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(`>${title}`);
    const label = JSON.stringify(title);
    const prefix = JSON.stringify(`${title}, `);
    await this.page.locator(`.quick-input-list .monaco-list-row:is([aria-label=${label}], [aria-label^=${prefix}])`).first().click();
  }

  /** A notification toast whose message contains `text`. */
  notification(text: string): Locator {
    return this.page.locator('.notification-toast .notification-list-item-message', { hasText: text });
  }

  /** The status bar item an extension created with `window.createStatusBarItem(id)`: AIL's is `ail.status`. */
  statusItem(id: string, extension = `${PACKAGE.publisher}.${PACKAGE.name}`): Locator {
    return this.page.locator(`[id=${JSON.stringify(`${extension}.${id}`)}]`);
  }

  /**
   * The document of the webview that is on screen (a webview panel's HTML lives in an iframe inside the
   * workbench's iframe), once the editor tab titled `title` is the active one.
   */
  async webview(title: string): Promise<FrameLocator> {
    const tab = JSON.stringify(title);
    await this.page.locator(`.tab.active:is([aria-label=${tab}], [aria-label^=${JSON.stringify(`${title}, `)}])`).first().waitFor();
    const outer = this.page.locator('iframe.webview.ready').filter({ visible: true });
    await outer.waitFor();
    return outer.contentFrame().frameLocator('#active-frame');
  }

  /** Moves the cursor of the focused editor to the start of a 1-based line (Go to Line, Ctrl+G). */
  async goToLine(line: number): Promise<void> {
    await this.page.keyboard.press('Control+G');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(`:${line}`);
    await input.press('Enter');
    await input.waitFor({ state: 'hidden' });
  }

  /**
   * The text each line of `editor` shows after its end from a decoration's `after.contentText` (VS Code
   * renders it as CSS `::after { content: "…" }` on a span of the line), by 1-based line number.
   */
  async afterLineTexts(editor: Locator): Promise<{ line: number; text: string }[]> {
    return editor.evaluate((editorRoot) => {
      // This runs in the page; the tests' TypeScript has no DOM types, so the little used of it is named here.
      type Element = { style: { top: string }; textContent: string | null; parentElement: Element; querySelectorAll(selector: string): Iterable<Element> };
      const root = editorRoot as unknown as Element;
      const style = (globalThis as unknown as { getComputedStyle(element: Element, pseudo: string): { content: string } }).getComputedStyle;
      const numbers = new Map<string, number>();
      for (const number of root.querySelectorAll('.margin-view-overlays .line-numbers')) numbers.set(number.parentElement.style.top, Number(number.textContent));
      const found: { line: number; text: string }[] = [];
      for (const line of root.querySelectorAll('.view-lines .view-line')) {
        for (const span of line.querySelectorAll('span')) {
          const content = style(span, '::after').content;
          if (!content || content === 'none' || content === 'normal') continue;
          found.push({ line: numbers.get(line.style.top) ?? -1, text: content.startsWith('"') ? (JSON.parse(content) as string) : content });
        }
      }
      return found.sort((a, b) => a.line - b.line);
    });
  }

  /** Moves the mouse over the text of a 1-based line of the active editor, and returns the hover it shows. */
  async hoverLine(editor: Locator, line: number, text: string): Promise<Locator> {
    const number = editor.locator('.margin-view-overlays .line-numbers', { hasText: new RegExp(`^${line}$`) });
    const box = await number.boundingBox();
    const lines = await editor.locator('.view-lines').boundingBox();
    if (!box || !lines) throw new Error(`line ${line} is not on screen`);
    // From outside the text onto the line, as a hand moves: the editor asks for hovers on mouse moves.
    await this.page.mouse.move(lines.x + 40, lines.y + lines.height - 5);
    await this.page.mouse.move(lines.x + 40, box.y + box.height / 2, { steps: 5 });
    const hover = this.page.locator('.monaco-hover:not(.hidden)', { hasText: text });
    await hover.waitFor();
    return hover;
  }

  /** The code lens shown in the view zone just above a 1-based line of `editor` (its first title, a link). */
  async codeLensAbove(editor: Locator, line: number): Promise<Locator> {
    const number = await editor.locator('.margin-view-overlays .line-numbers', { hasText: new RegExp(`^${line}$`) }).boundingBox();
    if (!number) throw new Error(`line ${line} is not on screen`);
    const lenses = editor.locator('.codelens-decoration');
    for (let i = 0; i < (await lenses.count()); i++) {
      const box = await lenses.nth(i).boundingBox();
      if (box && Math.abs(box.y + box.height - number.y) < number.height) return lenses.nth(i).locator('a').first();
    }
    throw new Error(`no code lens over line ${line}`);
  }

  /**
   * The code lens titles the editor shows, one per lens (VS Code joins the lenses of a line with " | "),
   * once it shows `count` of them and each has its title (a lens waiting for resolve shows none).
   */
  async codeLensTitles(editor: Locator, count: number): Promise<string[]> {
    const handle = await editor.elementHandle();
    if (!handle) throw new Error('no editor');
    const titles = await this.page.waitForFunction(
      ({ root, count }) => {
        const texts = [...root.querySelectorAll('.codelens-decoration')].flatMap((lens) => (lens.textContent ?? '').split('|'));
        const titles = texts.map((text) => text.replace(/\s+/g, ' ').trim());
        return titles.length === count && titles.every((title) => title.length > 0) ? titles : undefined;
      },
      { root: handle, count },
    );
    return (await titles.jsonValue()) as string[];
  }

  /** Saves a screenshot as test-output/vscode/<name>/<nn>-<step>.png and returns its path. */
  async screenshot(step: string): Promise<string> {
    const file = path.join(this.screenshots, `${String(++this.shots).padStart(2, '0')}-${step}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  /** What code-server printed: for a failure's message. */
  output(): string {
    return this.log();
  }

  /** The process group id (code-server's pid): a test checks that nothing of it is left after close(). */
  get group(): number {
    return this.server.pid!;
  }

  /**
   * Ends the browser, then code-server's whole process group (SIGTERM, SIGKILL after 5 s), and removes
   * the temp dir; returns when none of them is left. Safe to call twice.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await withTimeout(this.browser.close(), 10_000).catch(() => undefined);
    killGroup(this.server, 'SIGTERM');
    await withTimeout(exited(this.server), 5_000).catch(() => undefined);
    // Kills what is left (the extension host, AIL's server, a browser that would not close) and removes home.
    await this.watchdog.end();
    await until(() => groupMembers(this.group).length === 0, 5_000);
  }
}

/**
 * The live processes of the process group `pgid` (zombies are not counted: where PID 1 does not reap, an
 * orphan that exited stays a zombie in its group), read from /proc.
 */
export function groupMembers(pgid: number): string[] {
  const found: string[] = [];
  for (const entry of processTable()) {
    if (entry.pgrp !== pgid || entry.state === 'Z' || entry.state === 'X') continue;
    try {
      found.push(`${entry.pid} ${entry.argv().join(' ')}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

async function installExtension(extensions: string, common: string[], env: NodeJS.ProcessEnv): Promise<void> {
  if (EXTENSION.kind === 'repository') {
    if (!existsSync(path.join(REPO, 'dist/extension.js'))) throw new Error('dist/extension.js is missing: run `npm run build`');
    symlinkSync(REPO, path.join(extensions, `${PACKAGE.publisher}.${PACKAGE.name}-${PACKAGE.version}`), 'dir');
    return;
  }
  const file = typeof EXTENSION.file === 'string' ? EXTENSION.file : await EXTENSION.file();
  const installed = spawnSync(process.execPath, [CODE_SERVER_ENTRY, ...common, '--install-extension', file], { env, encoding: 'utf8', timeout: 60_000 });
  if (installed.status !== 0) throw new Error(`code-server --install-extension ${file} failed (${installed.status}):\n${installed.stdout}\n${installed.stderr}`);
}

/**
 * An unpacked extension linked into the extensions folder. Once `--install-extension` has written
 * extensions.json, VS Code loads what it lists and nothing else there: the link is listed too.
 */
function linkExtension(extensions: string, folder: string): void {
  const manifest = JSON.parse(readFileSync(path.join(folder, 'package.json'), 'utf8')) as { publisher: string; name: string; version: string };
  const relativeLocation = `${manifest.publisher}.${manifest.name}-${manifest.version}`;
  const target = path.join(extensions, relativeLocation);
  symlinkSync(folder, target, 'dir');
  const list = path.join(extensions, 'extensions.json');
  if (!existsSync(list)) return;
  const listed = JSON.parse(readFileSync(list, 'utf8')) as unknown[];
  listed.push({
    identifier: { id: `${manifest.publisher}.${manifest.name}` },
    version: manifest.version,
    location: { $mid: 1, path: target, scheme: 'file' },
    relativeLocation,
    metadata: { installedTimestamp: Date.now(), source: 'resource' },
  });
  writeFileSync(list, JSON.stringify(listed));
}

/** Waits for code-server's "HTTP server listening on http://127.0.0.1:PORT/" and returns that address. */
function listening(server: ChildProcess, log: () => string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`code-server did not listen within ${timeoutMs} ms:\n${log()}`)), timeoutMs);
    const check = (): void => {
      const match = /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(log());
      if (match) finish(undefined, match[1]);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => finish(new Error(`code-server exited (${code ?? signal}) before it listened:\n${log()}`));
    function finish(error?: Error, url?: string): void {
      clearTimeout(timer);
      server.stdout!.off('data', check);
      server.stderr!.off('data', check);
      server.off('exit', onExit);
      if (error) reject(error);
      else resolve(url!);
    }
    server.stdout!.on('data', check);
    server.stderr!.on('data', check);
    server.on('exit', onExit);
    server.on('error', (error) => finish(error));
  });
}

function killGroup(server: ChildProcess, signal: NodeJS.Signals): void {
  if (server.pid === undefined) return;
  try {
    process.kill(-server.pid, signal);
  } catch {
    // the group is gone already
  }
}

function exited(child: ChildProcess): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => child.once('exit', () => resolve(true)));
}

/** Checks `condition` every 20 ms until it holds or `ms` pass (for processes the kernel is still ending). */
async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}
