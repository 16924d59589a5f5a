import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CodeLens, Hover, MarkupContent } from 'vscode-languageserver-protocol';
import type { Health } from '../shared/protocol';
import type { ArchaeologyContext } from '../shared/types';
import { requireProgram } from './helpers/external';
import { ALICE, BOB, Fixture } from './helpers/fixture';
import { SERVER } from './helpers/lsp';
import { QUEUE_SOURCE } from './helpers/queue';

/**
 * Tier three: a real editor. Neovim's built-in LSP client (0.7+) starts the built `dist/server.js` with the
 * setup that docs/editors.md documents, and a Lua script presses the keys a user would and records what
 * Neovim received. Without Neovim on PATH these tests are skipped with a line saying what to install, and
 * fail under CI=true (.ci/run installs it): test/helpers/external.ts.
 */

const DOCS = path.resolve(__dirname, '../docs/editors.md');
const DOCS_MARKER = '<!-- test/neovim.test.ts runs this block -->';
const DOCS_COMMAND = "{ 'node', '/path/to/ail/dist/server.js', '--stdio' }";
/** Each wait inside Neovim (a request, a float, the lenses) gives up after this. */
const WAIT_MS = 10_000;
/** The Lua script's own deadline for all its waits together: it quits by itself well before the kill. */
const SCRIPT_BUDGET_MS = 40_000;
/** The last resort: Neovim is killed if it has not quit by then, and the test says so. */
const KILL_AFTER_MS = 60_000;
const OUTPUT_START = '<<<ail-neovim';
const OUTPUT_END = 'ail-neovim>>>';

/** What the Lua script writes to stdout: what Neovim received, as Neovim decoded it. */
interface NeovimResults {
  error?: string;
  nvim?: { major: number; minor: number; patch: number };
  initialized: boolean;
  clientName?: string;
  health?: { result?: Health; err?: unknown };
  hover?: { result?: Hover; err?: unknown };
  hoverFloat?: string[];
  context?: { result?: ArchaeologyContext; err?: unknown };
  notifications: { message: string; level?: number }[];
  modeAfterAsk?: string;
  lensesResolved: boolean;
  lenses: CodeLens[];
  lensText: { line: number; text: string }[];
  messages: string[];
  stopped: boolean;
}

interface NeovimRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  killed: boolean;
  ms: number;
  stdout: string;
  stderr: string;
}

// The harness around the documented setup. `INPUT` is replaced with a JSON object (paths, time limits).
const HARNESS = String.raw`
local input = vim.fn.json_decode([==[INPUT]==])
local results = { notifications = {}, messages = {}, lenses = {}, lensText = {}, initialized = false, lensesResolved = false, stopped = false }
local deadline = vim.loop.now() + input.budgetMs

-- Every wait is bounded by WAIT_MS and by what is left of the script's budget.
local function wait(condition)
  local left = math.max(0, math.min(input.waitMs, deadline - vim.loop.now()))
  return vim.wait(left, condition, 20)
end

-- Typed keys, run at once as if typed (typeahead included, so input() reads from it).
local function keys(text)
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes(text, true, false, true), 'x', false)
end

local function floats()
  local found = {}
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_config(win).relative ~= '' then table.insert(found, win) end
  end
  return found
end

local function run()
  local version = vim.version()
  results.nvim = { major = version.major, minor = version.minor, patch = version.patch }
  -- Record what the user would see: vim.notify (the keymap's summary) and window/showMessage (ail.askWhy).
  vim.notify = function(message, level) table.insert(results.notifications, { message = message, level = level }) end
  local show_message = vim.lsp.handlers['window/showMessage']
  vim.lsp.handlers['window/showMessage'] = function(err, result, ctx, config)
    table.insert(results.messages, result.message)
    return show_message(err, result, ctx, config)
  end

  dofile(input.setup) -- the blocks of docs/editors.md
  vim.cmd('edit ' .. vim.fn.fnameescape(input.file))
  local bufnr = vim.api.nvim_get_current_buf()
  local client
  local clients = vim.lsp.get_clients or vim.lsp.get_active_clients
  results.initialized = wait(function()
    for _, candidate in ipairs(clients()) do
      if candidate.name == 'ail' and candidate.initialized and vim.lsp.buf_is_attached(bufnr, candidate.id) then client = candidate end
    end
    return client ~= nil
  end)
  assert(results.initialized, 'the ail client did not start, initialize and attach to ' .. input.file)
  results.clientName = client.name

  results.health = client.request_sync('ail/health', nil, input.waitMs, bufnr)

  -- Hover as a plugin asks for it, then as a user does (K opens the float).
  vim.api.nvim_win_set_cursor(0, { 4, 8 })
  local hovers = vim.lsp.buf_request_sync(bufnr, 'textDocument/hover', vim.lsp.util.make_position_params(), input.waitMs)
  results.hover = hovers and hovers[client.id]
  keys('4G9|K')
  wait(function() return #floats() > 0 end)
  local float = floats()[1]
  if float then
    results.hoverFloat = vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(float), 0, -1, false)
    vim.api.nvim_win_close(float, true)
  end

  results.context = client.request_sync('ail/context', {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = { start = { line = 3, character = 0 }, ['end'] = { line = 5, character = 0 } },
    question = 'why twenty?',
  }, input.waitMs, bufnr)

  -- The documented visual-mode keymap: select lines 4-6, ask, read the summary it shows.
  keys('4GV6G<Leader>aw<C-u>why twenty?<CR>')
  local function answered()
    for _, note in ipairs(results.notifications) do
      if note.message:find('^AIL: ') then return true end
    end
    return false
  end
  wait(answered)
  results.modeAfterAsk = vim.api.nvim_get_mode().mode

  -- on_attach called vim.lsp.codelens.refresh(); Neovim resolves each lens itself.
  results.lensesResolved = wait(function()
    local lenses = vim.lsp.codelens.get(bufnr)
    if #lenses == 0 then return false end
    for _, lens in ipairs(lenses) do
      if not lens.command then return false end
    end
    return true
  end)
  results.lenses = vim.lsp.codelens.get(bufnr)
  local namespace = vim.lsp.codelens.__namespaces[client.id]
  for _, mark in ipairs(vim.api.nvim_buf_get_extmarks(bufnr, namespace, 0, -1, { details = true })) do
    local chunks = {}
    for _, chunk in ipairs(mark[4].virt_text or {}) do table.insert(chunks, chunk[1]) end
    table.insert(results.lensText, { line = mark[2], text = table.concat(chunks) })
  end

  -- The lens on line 3 (push), run with the documented key: ail.askWhy, answered by window/showMessage.
  keys('3G<Leader>al')
  wait(function() return #results.messages > 0 end)

  client.stop()
  results.stopped = wait(function() return client.is_stopped() end)
end

local ok, err = xpcall(run, debug.traceback)
if not ok then results.error = tostring(err) end
local encoded_ok, encoded = pcall(vim.fn.json_encode, results)
if not encoded_ok then
  encoded = vim.fn.json_encode({ error = 'json_encode failed: ' .. tostring(encoded) .. '; ' .. tostring(results.error) })
end
-- In headless 0.7 print() goes to stderr; the results go to stdout between markers.
io.stdout:write('OUTPUT_START\n', encoded, '\nOUTPUT_END\n')
io.stdout:flush()
vim.cmd('qa!')
`;

const NEOVIM = requireProgram('nvim', 'apt-get install neovim', 'the Neovim editor tests (test/neovim.test.ts)');

describe.skipIf(!NEOVIM.found)('Neovim driving dist/server.js', () => {
  // Made when the tests run, not when a skipped suite is collected.
  let repo: Fixture;
  let work: string;
  const source = QUEUE_SOURCE;
  let sha = '';
  let short = '';
  let neovim: NeovimRun | undefined;
  let received: NeovimResults | undefined;
  let setupError: unknown;
  // Each test reads what Neovim received; a setup that failed (no Neovim, a script error) fails every test.
  const run = (): NeovimRun => (setupError ? raise(setupError) : neovim!);
  const results = (): NeovimResults => (setupError ? raise(setupError) : received!);

  beforeAll(async () => {
    repo = Fixture.create('ail-nvim-repo-');
    work = mkdtempSync(path.join(tmpdir(), 'ail-nvim-'));
    try {
      await runDocumentedSetup();
    } catch (error) {
      setupError = error;
    }
  }, KILL_AFTER_MS + 30_000);

  async function runDocumentedSetup(): Promise<void> {
    const nvim = neovimVersion();
    repo.git('remote', 'add', 'origin', 'git@github.com:acme/queue.git');
    repo.write('src/queue.ts', source);
    sha = repo.commit('Bound the job queue at twenty entries (#31)\n\nFixes #30', ALICE);
    short = sha.slice(0, 7);
    repo.write('README.md', ['# queue']);
    repo.commit('Add a README', BOB);

    const setup = path.join(work, 'ail-setup.lua');
    const script = path.join(work, 'ail-test.lua');
    writeFileSync(setup, documentedSetup());
    writeFileSync(script, harness({ setup, file: 'src/queue.ts', waitMs: WAIT_MS, budgetMs: SCRIPT_BUDGET_MS }));
    neovim = await runNeovim(['--headless', '--noplugin', '-u', 'NONE', '-i', 'NONE', '-n', '-c', `luafile ${script}`, '-c', 'qa!'], repo.root, {
      AIL_DATA_DIR: path.join(work, 'data'),
      AIL_ALLOW_MODEL_DOWNLOAD: 'false',
      AIL_COMMIT_GRAPH: 'false',
      // Neovim's own files (lsp.log among them) stay in the temp dir.
      XDG_CONFIG_HOME: path.join(work, 'config'),
      XDG_DATA_HOME: path.join(work, 'share'),
      XDG_STATE_HOME: path.join(work, 'state'),
      XDG_CACHE_HOME: path.join(work, 'cache'),
    });
    received = parseResults(neovim, nvim);
  }

  afterAll(() => {
    repo?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('runs the documented setup and quits by itself, having stopped the server', () => {
    expect(results().error).toBeUndefined();
    expect(run().killed, `Neovim did not quit within ${KILL_AFTER_MS} ms and was killed`).toBe(false);
    expect({ code: run().code, signal: run().signal }).toEqual({ code: 0, signal: null });
    expect(results().initialized).toBe(true);
    expect(results().clientName).toBe('ail');
    expect(results().stopped).toBe(true);
  });

  it('receives ail/health: live and ready', () => {
    expect(results().health).toEqual({
      result: { live: true, ready: true, reasons: [], githubToken: false, repositories: [{ folder: repo.root, root: repo.root, ready: true, reasons: [] }] },
    });
  });

  it('receives a Markdown hover with the short sha, the subject and #31, and shows it in a float on K', () => {
    const contents = results().hover?.result?.contents as MarkupContent | undefined;
    expect(contents?.kind).toBe('markdown');
    const value = contents!.value;
    expect(value).toContain(`[\`${short}\`](https://github.com/acme/queue/commit/${sha})`);
    expect(value).toContain('**Bound the job queue at twenty entries (\\#31)**');
    expect(value).toContain('[#31](https://github.com/acme/queue/pull/31)');
    expect(value).toContain('closes [#30](https://github.com/acme/queue/issues/30)');
    expect(results().hover?.result?.range).toEqual({ start: { line: 3, character: 0 }, end: { line: 3, character: source[3]!.length } });
    // Neovim 0.7 puts the Markdown in the float line for line, as it came (-u NONE: no concealing).
    expect(results().hoverFloat?.[0]).toBe(value.split('\n')[0]);
    expect(results().hoverFloat?.join('\n')).toContain('[#31](https://github.com/acme/queue/pull/31)');
  });

  it('receives ail/context with the commit, its PR and the issue it closes', () => {
    const context = results().context?.result;
    expect(results().context?.err).toBeUndefined();
    expect(context?.file).toBe('src/queue.ts');
    expect(context?.question).toBe('why twenty?');
    expect(context?.evidence[0]?.commit.sha).toBe(sha);
    expect(context?.evidence[0]?.pullRequest?.number).toBe(31);
    expect(context?.evidence[0]?.issues.map((issue) => issue.number)).toContain(30);
  });

  it('answers the documented visual-mode keymap with the summary, and is back in normal mode', () => {
    const answers = results().notifications.filter((note) => note.message.startsWith('AIL: '));
    expect(answers).toHaveLength(1);
    expect(answers[0]!.message).toMatch(new RegExp(`^AIL: Lines 4–6 come from \`${short}\` “Bound the job queue at twenty entries” \\(#31\\)`));
    expect(results().modeAfterAsk).toBe('n');
  });

  it('resolves the code lenses through vim.lsp.codelens and shows their titles', () => {
    expect(results().lensesResolved).toBe(true);
    const lenses = [...results().lenses].sort((a, b) => a.range.start.line - b.range.start.line);
    expect(lenses.map((lens) => lens.range.start.line)).toEqual([0, 0, 2, 8]); // the file, class Queue, push, drain
    const titles = lenses.map((lens) => lens.command?.title ?? '');
    const fileLens = titles.find((title) => /^1 commit · 1 author · /.test(title));
    expect(fileLens).toMatch(/^1 commit · 1 author · last change .* ago by Alice Archer$/);
    expect(titles.filter((title) => title !== fileLens)).toEqual(Array(3).fill(expect.stringMatching(/^last changed .* ago by Alice Archer in #31 · 1 commit$/)));
    expect(lenses.every((lens) => lens.command?.command === 'ail.askWhy')).toBe(true);
    const shown = new Map(results().lensText.map((mark) => [mark.line, mark.text]));
    expect([...shown.keys()].sort((a, b) => a - b)).toEqual([0, 2, 8]);
    expect(shown.get(2)).toMatch(/^last changed .* ago by Alice Archer in #31 · 1 commit$/);
    expect(shown.get(0)).toContain(' | '); // two lenses on the first line, joined by Neovim
  });

  it('runs the lens on the cursor line: ail.askWhy, answered with window/showMessage', () => {
    expect(results().messages).toEqual([expect.stringMatching(new RegExp(`^AIL: Lines 3–6 come from ${short} “Bound the job queue at twenty entries” \\(#31\\)`))]);
  });

  /** The blocks of docs/editors.md marked for this test, with the server's real path. */
  function documentedSetup(): string {
    const text = readFileSync(DOCS, 'utf8');
    const blocks = text
      .split(DOCS_MARKER)
      .slice(1)
      .map((part) => /^\s*```lua\n([\s\S]*?)\n```/.exec(part)?.[1]);
    if (blocks.length !== 2 || blocks.some((block) => block === undefined)) {
      throw new Error(`docs/editors.md must have two \`\`\`lua blocks, each right after "${DOCS_MARKER}" (found ${blocks.length})`);
    }
    const setup = blocks.join('\n');
    if (setup.split(DOCS_COMMAND).length !== 2) throw new Error(`docs/editors.md's Neovim setup must contain ${DOCS_COMMAND} exactly once`);
    return setup.replace(DOCS_COMMAND, `{ ${luaString(process.execPath)}, ${luaString(SERVER)}, '--stdio' }`);
  }

  function harness(input: Record<string, unknown>): string {
    const json = JSON.stringify(input);
    if (json.includes(']==]')) throw new Error(`cannot embed ${json} in a Lua long string`);
    return HARNESS.replace('INPUT', () => json).replace('OUTPUT_START', OUTPUT_START).replace('OUTPUT_END', OUTPUT_END);
  }

  function parseResults(ran: NeovimRun, version: string): NeovimResults {
    const start = ran.stdout.indexOf(OUTPUT_START);
    const end = ran.stdout.indexOf(OUTPUT_END, start);
    if (start < 0 || end < 0) {
      throw new Error(
        `${version} wrote no results (exit ${ran.code}, signal ${ran.signal}${ran.killed ? ', killed by the test' : ''})\n` +
          `stdout:\n${ran.stdout}\nstderr:\n${ran.stderr}\nlsp.log:\n${lspLog()}`,
      );
    }
    const parsed = JSON.parse(ran.stdout.slice(start + OUTPUT_START.length, end)) as NeovimResults;
    if (parsed.error) throw new Error(`the Lua script failed in ${version}:\n${parsed.error}\nstderr:\n${ran.stderr}\nlsp.log:\n${lspLog()}`);
    return parsed;
  }

  function lspLog(): string {
    const logs = [path.join(work, 'cache/nvim/lsp.log'), path.join(work, 'state/nvim/lsp.log')].filter((file) => existsSync(file));
    return logs.map((file) => readFileSync(file, 'utf8')).join('\n') || '(none)';
  }

  function runNeovim(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<NeovimRun> {
    for (const dir of ['config', 'share', 'state', 'cache', 'data']) mkdirSync(path.join(work, dir), { recursive: true });
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const child = spawn('nvim', args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let killed = false;
      const timer = setTimeout(() => {
        killed = true;
        child.kill('SIGKILL');
      }, KILL_AFTER_MS);
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, killed, ms: Math.round(performance.now() - started), stdout, stderr });
      });
    });
  }
});

/** "NVIM v0.7.2", or an error: an nvim that does not run, or one older than 0.7, fails the tests (it is there, so it is not skipped). */
function neovimVersion(): string {
  const probe = spawnSync('nvim', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(`nvim --version failed (${probe.error?.message ?? `exit ${probe.status}`}): test/neovim.test.ts needs a working Neovim 0.7+ (apt-get install neovim)`);
  }
  const version = /NVIM v(\d+)\.(\d+)\.(\d+)/.exec(probe.stdout);
  if (!version) throw new Error(`cannot read Neovim's version from: ${probe.stdout.split('\n')[0]}`);
  const [major, minor] = [Number(version[1]), Number(version[2])];
  if (major === 0 && minor < 7) throw new Error(`${version[0]} is too old: test/neovim.test.ts needs Neovim 0.7+ (vim.lsp.start_client, nvim_create_autocmd, vim.keymap)`);
  return version[0];
}

function luaString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

function raise(error: unknown): never {
  throw error;
}
