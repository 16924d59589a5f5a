import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from './helpers/cli';
import { ALICE, BOB, Fixture, lines } from './helpers/fixture';
import { HOSTILE_MESSAGE, MALLORY, RAW_CONTROLS, SHOWN_SUBJECT } from './helpers/hostile';
import { until } from './helpers/http-service';
import { McpProcess } from './helpers/mcp';
import { childProcesses } from './helpers/processes';

const TOKEN = ['ghp', 'mcptesttokennotreal0123456789abcdef'].join('_');
const FILE = 'src/auth/session.ts';

/**
 * A repository with the history an agent meets: the line it asks about was written in PR #42 (which
 * fixes issue #17), then re-indented by a formatting commit, then the file was moved. The answer must
 * name the PR's commit, not the formatting or the move.
 */
function sessionHistory(repo: Fixture): { created: string; timeout: string; reformat: string; moved: string } {
  const body = (indent: string, constant: string) => ['export class SessionStore {', `${indent}private sessions = new Map<string, number>();`, `${indent}get(id: string) {`, `${indent}${indent}return this.sessions.get(id);`, `${indent}}`, '}', ...(constant ? [constant] : [])];
  repo.write('src/session.ts', body('  ', ''));
  const created = repo.commit('Add the session store', ALICE);
  repo.write('src/session.ts', body('  ', 'export const IDLE_TIMEOUT_MS = 30 * 60 * 1000;'));
  const timeout = repo.commit('Time out idle sessions after 30 minutes (#42)\n\nSecurity review asked that an abandoned laptop not stay logged in.\n\nFixes #17', BOB);
  repo.write('src/session.ts', body('    ', 'export const IDLE_TIMEOUT_MS = 30  *  60 * 1000 ;'));
  const reformat = repo.commit('Reformat with four-space indentation', ALICE);
  repo.move('src/session.ts', FILE);
  const moved = repo.commit('Move the session store into auth', ALICE);
  return { created, timeout, reformat, moved };
}

const text = (result: CallToolResult) => (result.content[0] as { text: string }).text;

describe('ail serve --mcp: the tools an agent calls', () => {
  const repo = Fixture.create('ail-mcp-');
  const data = mkdtempSync(path.join(tmpdir(), 'ail-mcp-data-'));
  let shas: ReturnType<typeof sessionHistory>;
  let hostile = '';
  let server: McpProcess;
  let tools: Tool[] = [];
  const seen: unknown[] = [];
  const call = async (name: string, args: Record<string, unknown>): Promise<CallToolResult> => {
    const result = (await server.client.callTool({ name, arguments: args })) as CallToolResult;
    seen.push(result);
    return result;
  };
  const validator = new AjvJsonSchemaValidator();
  /** The structured output checked against the output schema `tools/list` gave, by the SDK's own JSON Schema validator. */
  const conforms = (name: string, result: CallToolResult) => {
    const tool = tools.find((t) => t.name === name)!;
    const verdict = validator.getValidator(tool.outputSchema as never)(result.structuredContent);
    expect(verdict.valid ? '' : verdict.errorMessage).toBe('');
  };

  beforeAll(async () => {
    shas = sessionHistory(repo);
    repo.write('src/queue.ts', lines(3));
    hostile = repo.commit(HOSTILE_MESSAGE, MALLORY);
    // Every other line changed since: 900 runs of one line each.
    repo.write('src/striped.txt', lines(900));
    repo.commit('Add the striped file', ALICE);
    repo.write('src/striped.txt', lines(900).map((line, i) => (i % 2 ? `${line} changed` : line)));
    repo.commit('Change every other line', BOB);
    symlinkSync('/etc', path.join(repo.root, 'escape'));
    server = await McpProcess.start(repo.root, { AIL_DATA_DIR: data, GITHUB_TOKEN: TOKEN });
    tools = (await server.client.listTools()).tools;
  });
  afterAll(async () => {
    await server?.close();
    repo.cleanup();
    rmSync(data, { recursive: true, force: true });
  });

  it('lists four read-only tools, each with input and output JSON Schemas and a description for a model, and says when to call why', async () => {
    expect(tools.map((tool) => tool.name).sort()).toEqual(['blame', 'line_history', 'search_history', 'why']);
    const required = Object.fromEntries(tools.map((tool) => [tool.name, tool.inputSchema.required ?? []]));
    expect(required).toEqual({ why: ['path'], line_history: ['path', 'startLine', 'endLine'], search_history: ['query'], blame: ['path'] });
    for (const tool of tools) {
      expect(tool.description!.length, tool.name).toBeGreaterThan(100);
      expect(tool.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.outputSchema?.type).toBe('object');
      // Both compile as JSON Schema, and every property says what it is.
      validator.getValidator(tool.inputSchema as never);
      validator.getValidator(tool.outputSchema as never);
      for (const [name, property] of Object.entries(tool.inputSchema.properties ?? {})) expect((property as { description?: string }).description, `${tool.name}.${name}`).toBeTruthy();
    }
    // VS Code's ail_why (package.json) takes what the MCP why takes, so an agent's call means the same in both.
    const manifest = JSON.parse(readFileSync(path.resolve(__dirname, '../package.json'), 'utf8'));
    const why = tools.find((tool) => tool.name === 'why')!;
    expect(Object.keys(manifest.contributes.languageModelTools[0].inputSchema.properties)).toEqual(Object.keys(why.inputSchema.properties!));
    expect(manifest.contributes.languageModelTools[0].inputSchema.required).toEqual(why.inputSchema.required);
    expect(server.client.getServerVersion()).toMatchObject({ name: 'ail', version: manifest.version });
    expect(server.client.getInstructions()).toMatch(/Call `why` before you change/);
  });

  it('why: names the commit that wrote the line, its PR and issue, through the formatting commit and the move', async () => {
    const result = await call('why', { path: FILE, startLine: 7, question: 'why is the idle timeout 30 minutes?' });
    expect(result.isError).toBeFalsy();
    conforms('why', result);
    const answer = result.structuredContent as any;
    expect(answer).toMatchObject({ file: FILE, lines: { start: 7, end: 7 }, headSha: repo.head(), partial: false });
    expect(answer.evidence[0]).toMatchObject({ sha: shas.timeout, pullRequest: { number: 42 }, issues: [{ number: 17 }], pathInCommit: 'src/session.ts' });
    expect(answer.confidence).toBeGreaterThan(0.5);
    expect(answer.summary).toContain('abandoned laptop');
    expect(JSON.stringify(answer)).not.toContain('@example.com'); // no emails: the agent needs names
    expect(text(result)).toMatch(/^src\/auth\/session\.ts:7 — confidence \d+% \(high\)\n/);
    expect(text(result)).toContain(`${shas.timeout.slice(0, 7)} 2021-01-03 Bob Builder: Time out idle sessions after 30 minutes (#42) PR #42`);
  });

  it('line_history: the commits that shaped the lines, newest first, the re-indentation marked cosmetic, PRs and issues named', async () => {
    const result = await call('line_history', { path: FILE, startLine: 2, endLine: 7 });
    conforms('line_history', result);
    const answer = result.structuredContent as any;
    expect(answer.commits.map((commit: { sha: string }) => commit.sha)).toEqual([shas.reformat, shas.timeout, shas.created]);
    expect(answer.commits[0]).toMatchObject({ cosmetic: 'formatting', path: 'src/session.ts' });
    expect(answer.commits[1]).toMatchObject({ pullRequest: 42, issues: [17], blamedLines: 1 });
    expect(answer.commits[2]).toMatchObject({ blamedLines: 5 });
    expect(answer.partial).toBe(false);
    expect((await call('line_history', { path: FILE, startLine: 2, endLine: 7, limit: 1 })).structuredContent).toMatchObject({ commits: [{ sha: shas.reformat }] });
  });

  it('blame: runs of lines with the commit each comes from after tracing, each commit once', async () => {
    const result = await call('blame', { path: FILE });
    conforms('blame', result);
    const answer = result.structuredContent as any;
    expect(answer.runs).toEqual([
      { start: 1, end: 6, sha: shas.created.slice(0, 7), originalLine: 1, path: 'src/session.ts' },
      { start: 7, end: 7, sha: shas.timeout.slice(0, 7), originalLine: 7, path: 'src/session.ts' },
    ]);
    expect(answer.commits.map((commit: { sha: string }) => commit.sha)).toEqual([shas.created, shas.timeout]);
    expect((await call('blame', { path: FILE, startLine: 7 })).structuredContent).toMatchObject({ lines: { start: 7, end: 7 }, runs: [{ start: 7, end: 7, sha: shas.timeout.slice(0, 7) }] });
  });

  it('blame: a file of more runs than one answer holds says where it stopped; asked lines past it are answered', async () => {
    const whole = await call('blame', { path: 'src/striped.txt' });
    conforms('blame', whole);
    expect(whole.structuredContent).toMatchObject({ lines: { start: 1, end: 900 }, truncated: { runs: 900, shownThroughLine: 400 } });
    expect((whole.structuredContent as any).runs).toHaveLength(400);
    expect((whole.structuredContent as any).commits).toHaveLength(2);
    expect(text(whole)).toContain('(the first 400 of 900 runs, through line 400: ask for startLine/endLine to see the rest)');
    const rest = await call('blame', { path: 'src/striped.txt', startLine: 801, endLine: 900 });
    expect(rest.structuredContent).not.toHaveProperty('truncated');
    expect((rest.structuredContent as any).runs).toHaveLength(100);
    expect((rest.structuredContent as any).runs[99]).toMatchObject({ start: 900, end: 900 });
  });

  it('search_history: commits by topic from the commit index, also before the file was moved', async () => {
    let result = await call('search_history', { query: 'abandoned laptop logged in' });
    // The index builds in the background as the server starts: until then the answer says so, with no commits.
    await until(async () => {
      result = await call('search_history', { query: 'abandoned laptop logged in' });
      return (result.structuredContent as any).index.state === 'ready';
    }, 20_000, 'the commit index');
    conforms('search_history', result);
    expect((result.structuredContent as any).commits[0]).toMatchObject({ sha: shas.timeout, pullRequest: 42, issues: [17] });
    const inFile = await call('search_history', { query: 'session store', path: FILE, limit: 5 });
    conforms('search_history', inFile);
    const found = (inFile.structuredContent as any).commits.map((commit: { sha: string }) => commit.sha);
    expect(found).toContain(shas.created);
    expect(found).not.toContain(hostile);
  });

  it('serves the answer for a file as the resource ail://why/{path}', async () => {
    const { resourceTemplates } = await server.client.listResourceTemplates();
    expect(resourceTemplates.map((template) => template.uriTemplate)).toEqual(['ail://why/{+path}']);
    const { contents } = await server.client.readResource({ uri: `ail://why/${FILE}` });
    expect(contents[0]).toMatchObject({ uri: `ail://why/${FILE}`, mimeType: 'text/markdown' });
    expect((contents[0] as { text: string }).text).toContain('Time out idle sessions after 30 minutes');
  });

  it.each([
    ['why', 'no path', {}, /path is required/],
    ['why', 'a path that climbs out', { path: '../../etc/passwd' }, /path "\.\.\/\.\.\/etc\/passwd" is outside the repository/],
    ['why', 'an absolute path elsewhere', { path: '/etc/passwd' }, /is outside the repository/],
    ['why', 'a symbolic link out of the repository', { path: 'escape/passwd' }, /escape\/passwd is outside the repository/],
    ['why', 'a line past the end', { path: FILE, startLine: 99 }, /line 99 is past the end of the file \(7 lines\)/],
    ['why', 'an end before the start', { path: FILE, startLine: 5, endLine: 3 }, /endLine \(3\) is before startLine \(5\)/],
    ['why', 'an end without a start', { path: FILE, endLine: 3 }, /endLine was given without startLine/],
    ['why', 'line 0', { path: FILE, startLine: 0 }, /startLine must be a line number from 1/],
    ['why', 'a path that is a number', { path: 5 }, /path must be a string/],
    ['line_history', 'no lines', { path: FILE }, /startLine must be a line number from 1/],
    ['blame', 'a file that is not there', { path: 'src/nope.ts' }, /src\/nope\.ts does not exist/],
    ['blame', 'the repository itself', { path: '.' }, /path "\." is the repository's root, a directory/],
    ['search_history', 'no query', {}, /query is required/],
    ['search_history', 'a path outside', { query: 'x', path: '../x' }, /is outside the repository/],
    ['search_history', 'a limit of 100', { query: 'x', limit: 100 }, /limit must be a whole number from 1 to 30/],
    ['nope', 'a tool that does not exist', {}, /Tool nope not found/],
  ])('%s refuses %s with a tool error the model reads', async (tool, _name, args, message) => {
    const result = await call(tool, args);
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(message);
    expect(result.structuredContent).toBeUndefined();
  });

  it('shows a hostile commit message escaped in the text, raw in the data', async () => {
    const result = await call('blame', { path: 'src/queue.ts' });
    expect(text(result)).toContain(SHOWN_SUBJECT);
    expect(text(result)).not.toMatch(RAW_CONTROLS);
    expect((result.structuredContent as any).commits[0].subject).toBe(HOSTILE_MESSAGE.split('\n')[0]);
  });

  it('wrote nothing but the protocol to stdout, and the token nowhere', async () => {
    await call('why', { path: FILE, startLine: 1 });
    expect(server.protocolErrors).toEqual([]);
    expect(server.stderr).toContain('MCP server on stdio');
    expect(server.stderr).not.toContain(TOKEN);
    expect(JSON.stringify(seen)).not.toContain(TOKEN);
    expect(seen.length).toBeGreaterThan(20);
  });
});

describe('ail serve --mcp: starting and stopping', () => {
  it('stops, status 0, when its client closes stdin, having written nothing unasked to stdout', async () => {
    const repo = Fixture.create('ail-mcp-stop-');
    const data = mkdtempSync(path.join(tmpdir(), 'ail-mcp-stop-data-'));
    try {
      repo.write('a.ts', ['export const a = 1;']);
      repo.commit('Add a');
      const child = spawn(process.execPath, [CLI, 'serve', '--mcp'], { cwd: repo.root, env: { ...process.env, AIL_DATA_DIR: data, AIL_ALLOW_MODEL_DOWNLOAD: 'false' } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      await until(() => stderr.includes('MCP server on stdio'), 20_000, 'the server starting');
      child.stdin.end();
      expect(await exited).toBe(0);
      expect(stdout).toBe('');
    } finally {
      repo.cleanup();
      rmSync(data, { recursive: true, force: true });
    }
  });

  it('refuses a directory outside any work tree, and unknown arguments, with exit 2 and one line', async () => {
    const outside = mkdtempSync(path.join(tmpdir(), 'ail-mcp-outside-'));
    try {
      const result = await runCli(['serve', '--mcp', '--repo', outside], { cwd: outside, env: { AIL_DATA_DIR: outside } });
      expect(result).toMatchObject({ code: 2, stdout: '' });
      expect(result.stderr).toMatch(/^ail: ail serve --mcp: .*not .*(repository|work tree).*\(give --repo DIR\)\n$/);
      const bad = await runCli(['serve', '--mcp', '--port', '3'], { cwd: outside });
      expect(bad).toEqual({ code: 2, stdout: '', stderr: 'ail: ail serve --mcp does not take --port: it takes --repo DIR\n' });
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});

describe('ail bench --mcp', () => {
  it('asks the same questions in-process, over LSP and over MCP, and reports p50/p95 of each and the overhead', async () => {
    const repo = Fixture.create('ail-mcp-bench-');
    try {
      repo.write('src/long.ts', lines(40));
      repo.commit('Add the long file', ALICE);
      repo.write('src/long.ts', lines(40).map((line, i) => (i % 5 ? line : `${line} // reviewed`)));
      repo.commit('Review every fifth line', BOB);
      const result = await runCli(['bench', '--mcp', '--repo', repo.root, '--json'], { cwd: repo.root, env: { AIL_COMMIT_GRAPH: 'false' } });
      expect(result.code, result.stderr).toBe(0);
      const report = JSON.parse(result.stdout);
      expect(report).toMatchObject({ repository: repo.root, questions: 1, warmRounds: 5 });
      for (const front of ['inProcess', 'lsp', 'mcp']) {
        expect(report[front].coldMs.p50, front).toBeGreaterThan(0);
        expect(report[front].warmMs.p95, front).toBeGreaterThan(0);
        expect(report[front].partial, front).toBe(0);
      }
      expect(Object.keys(report.overheadMs)).toEqual(['lsp', 'mcp']);
    } finally {
      repo.cleanup();
    }
  });
});

/**
 * Cancellation and the time limit, with git held: `.mailmap` made a named pipe that the test opens and
 * never writes holds every git blame and log at its start (see test/server.test.ts), so the test knows
 * the call is running, and can tell when its processes are gone.
 */
describe('ail serve --mcp: cancelled calls and the time limit', () => {
  const repo = Fixture.create('ail-mcp-held-');
  const data = mkdtempSync(path.join(tmpdir(), 'ail-mcp-held-data-'));
  beforeAll(() => {
    sessionHistory(repo);
  });
  afterAll(() => {
    repo.cleanup();
    rmSync(data, { recursive: true, force: true });
  });

  const holdGit = async <T>(work: (server: McpProcess) => Promise<T>, env: Record<string, string>): Promise<{ server: McpProcess; outcome: T }> => {
    const server = await McpProcess.start(repo.root, { AIL_DATA_DIR: data, AIL_INDEX_ENABLED: 'false', ...env });
    const mailmap = repo.path('.mailmap');
    execFileSync('mkfifo', [mailmap]);
    try {
      return { server, outcome: await work(server) };
    } finally {
      rmSync(mailmap);
    }
  };

  it('a cancelled call stops: its git processes are killed, and the server goes on answering', async () => {
    const { server } = await holdGit(async (server) => {
      const holding = open(repo.path('.mailmap'), 'w'); // returns once a git process opens it to read
      const controller = new AbortController();
      const pending = server.client.callTool({ name: 'why', arguments: { path: FILE, startLine: 2, endLine: 4 } }, undefined, { signal: controller.signal });
      const held = await holding;
      try {
        const questionWork = () => childProcesses(server.pid).filter((child) => child.running && child.argv.some((arg) => arg.startsWith('-L')));
        expect(questionWork().length).toBeGreaterThan(0);
        controller.abort();
        await expect(pending).rejects.toThrow(/abort/i);
        await until(() => questionWork().length === 0, 10_000, 'the cancelled call stopping its git processes');
      } finally {
        await held.close();
      }
    }, { AIL_MAX_QUERY_TIME_S: '120' });
    try {
      const after = (await server.client.callTool({ name: 'why', arguments: { path: FILE, startLine: 7 } })) as CallToolResult;
      expect((after.structuredContent as any).evidence[0].pullRequest.number).toBe(42);
      // This server runs without the semantic index: search_history says so, with no commits.
      const search = (await server.client.callTool({ name: 'search_history', arguments: { query: 'idle sessions' } })) as CallToolResult;
      expect(search.structuredContent).toEqual({ query: 'idle sessions', index: { state: 'off', commits: 0, reason: 'the semantic index is off (AIL_INDEX_ENABLED=false)' }, commits: [] });
      expect(text(search)).toBe('No results: the semantic index is off (AIL_INDEX_ENABLED=false).');
      expect(server.protocolErrors).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('a call past the time limit answers partial, marked as such, not an error', async () => {
    const { server, outcome } = await holdGit(async (server) => {
      const holding = open(repo.path('.mailmap'), 'w');
      const why = server.client.callTool({ name: 'why', arguments: { path: FILE, startLine: 3 } }) as Promise<CallToolResult>;
      const held = await holding;
      try {
        const blame = (await server.client.callTool({ name: 'blame', arguments: { path: FILE, startLine: 3 } })) as CallToolResult;
        return { why: await why, blame };
      } finally {
        await held.close();
      }
    }, { AIL_MAX_QUERY_TIME_S: '0.5' });
    try {
      expect(outcome.why.isError).toBeFalsy();
      expect(outcome.why.structuredContent).toMatchObject({ partial: true, warnings: expect.arrayContaining(['time-limit']) });
      expect(text(outcome.why)).toContain('partial: the time limit cut the digging short');
      expect(outcome.blame.structuredContent).toMatchObject({ partial: true, runs: [] });
      expect(text(outcome.blame)).toContain('did not finish within the time limit');
    } finally {
      await server.close();
    }
  });
});

describe('ail serve --mcp: why through the commits that only reshaped a line', () => {
  const repo = Fixture.create('ail-mcp-trace-');
  const data = mkdtempSync(path.join(tmpdir(), 'ail-mcp-trace-data-'));
  let server: McpProcess;
  const sha: Record<string, string> = {};
  beforeAll(async () => {
    repo.write('src/each.js', ['function each(list, callback) {', '  for (const x of list) if (callback) callback(x);', '}']);
    sha.wrote = repo.commit('Skip the callback when none is given (#8)', ALICE);
    repo.write('src/each.js', ['function each(list, iteratee) {', '  for (const x of list) if (iteratee) iteratee(x);', '}', 'export { each };']);
    sha.rename = repo.commit('Rename `callback` to `iteratee`', BOB);
    server = await McpProcess.start(repo.root, { AIL_DATA_DIR: data });
  });
  afterAll(async () => {
    await server?.close();
    repo.cleanup();
    rmSync(data, { recursive: true, force: true });
  });

  it('names the commit that wrote the line, and what the rename did, in the structure and the text', async () => {
    const result = (await server.client.callTool({ name: 'why', arguments: { path: 'src/each.js', startLine: 2 } })) as CallToolResult;
    const answer = result.structuredContent as any;
    expect(answer.evidence[0]).toMatchObject({ sha: sha.wrote, tracedThrough: [{ sha: sha.rename!.slice(0, 7), change: 'identifier-rename' }] });
    expect(answer.evidence.find((e: any) => e.sha === sha.rename)?.reshaped).toBe('identifier-rename');
    expect(text(result)).toContain(`traced through ${sha.rename!.slice(0, 7)} identifier-rename`);
  });
});
