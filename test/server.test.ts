import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CancellationTokenSource,
  CodeLensRequest,
  CodeLensResolveRequest,
  DidChangeConfigurationNotification,
  DidChangeTextDocumentNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExecuteCommandRequest,
  HoverRequest,
  type CodeLens,
  type MarkupContent,
} from 'vscode-languageserver-protocol/node';
import { ClearCacheRequest, ContextRequest, HealthRequest, ReindexRequest, StatsRequest } from '../shared/protocol';
import { relativeTime } from '../shared/format';
import { generateRepository } from '../server/bench/generate';
import { ALICE, BOB, Fixture, lines } from './helpers/fixture';
import { HOSTILE_MESSAGE, MALLORY, RAW_CONTROLS, SHOWN_NAME, SHOWN_SUBJECT } from './helpers/hostile';
import { childProcesses } from './helpers/processes';
import { CLI } from './helpers/cli';
import { RawClient, TestClient } from './helpers/lsp';
import { QUEUE_SOURCE } from './helpers/queue';

/** The built server over stdio, as an editor drives it. */
describe('dist/server.js --stdio', () => {
  const repo = Fixture.create();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ail-lsp-data-'));
  let client: TestClient;
  let sha = '';
  let uri = '';
  const source = QUEUE_SOURCE;
  beforeAll(async () => {
    repo.git('remote', 'add', 'origin', 'git@github.com:acme/queue.git');
    repo.write('src/queue.ts', source);
    sha = repo.commit('Bound the job queue at twenty entries to apply back-pressure (#31)\n\nFixes #30', ALICE);
    repo.write('README.md', ['# queue']);
    repo.commit('Add a README', BOB);
    uri = pathToFileURL(repo.path('src/queue.ts')).href;
    client = await TestClient.start(repo.root, { AIL_DATA_DIR: dataDir, AIL_ALLOW_MODEL_DOWNLOAD: 'false', AIL_COMMIT_GRAPH: 'false' });
  });
  afterAll(async () => {
    if (client.stderr) process.stderr.write(`server stderr:\n${client.stderr}\n`);
    await client.stop();
    repo.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('announces hover, code lens with resolve, sync and the askWhy command', () => {
    expect(client.capabilities).toMatchObject({
      hoverProvider: true,
      codeLensProvider: { resolveProvider: true },
      executeCommandProvider: { commands: ['ail.askWhy'] },
      textDocumentSync: { openClose: true, change: 2 },
    });
  });

  it('is live and ready', async () => {
    expect(await client.connection.sendRequest(HealthRequest.type, null)).toEqual({
      live: true,
      ready: true,
      reasons: [],
      githubToken: false,
      repositories: [{ folder: repo.root, root: repo.root, ready: true, reasons: [] }],
    });
  });

  it('answers ail/context with evidence', async () => {
    const context = await client.connection.sendRequest(ContextRequest.type, {
      textDocument: { uri },
      range: { start: { line: 3, character: 0 }, end: { line: 5, character: 0 } },
      question: 'why twenty?',
    });
    expect(context.file).toBe('src/queue.ts');
    expect(context.range).toEqual({ start: { line: 3, character: 0 }, end: { line: 5, character: 0 } });
    expect(context.evidence[0]!.commit.sha).toBe(sha);
    expect(context.evidence[0]!.blamedLines).toBe(2);
    expect(context.evidence[0]!.pullRequest?.number).toBe(31);
    expect(context.source).toBe('cold');
    const again = await client.connection.sendRequest(ContextRequest.type, {
      textDocument: { uri },
      range: { start: { line: 3, character: 0 }, end: { line: 5, character: 0 } },
      question: 'Why twenty',
    });
    expect(again.source).toBe('l1');
  });

  it('hovers with the commit, its PR and issue as links, the why and the confidence', async () => {
    const result = await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 3, character: 8 } });
    const value = (result!.contents as MarkupContent).value;
    expect(value).toContain(`[\`${sha.slice(0, 7)}\`](https://github.com/acme/queue/commit/${sha})`);
    expect(value).toContain('**Bound the job queue at twenty entries to apply back-pressure (\\#31)**');
    expect(value).toContain('[#31](https://github.com/acme/queue/pull/31)');
    expect(value).toContain('closes [#30](https://github.com/acme/queue/issues/30)');
    expect(value).toMatch(/confidence 0\.\d\d \(high\)/);
  });

  it('hovers on unsaved text: a new line is not committed yet, the lines below still have their history', async () => {
    const edited = [...source.slice(0, 3), '    console.log(item);', ...source.slice(3)].join('\n') + '\n';
    await client.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'typescript', version: 1, text: source.join('\n') + '\n' } });
    await client.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: { start: { line: 3, character: 0 }, end: { line: 3, character: 0 } }, text: '    console.log(item);\n' }],
    });
    const fresh = await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 3, character: 4 } });
    expect((fresh!.contents as MarkupContent).value).toBe('**AIL** · not committed yet: this line has no history.');
    const below = await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 4, character: 4 } });
    expect((below!.contents as MarkupContent).value).toContain(sha.slice(0, 7));
    const context = await client.connection.sendRequest(ContextRequest.type, { textDocument: { uri } });
    expect(context.uncommittedLines).toBe(1);
    expect(edited.split('\n')[3]).toBe('    console.log(item);');
    await client.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
  });

  it('counts a file opened in the editor as warming until it is blamed ahead of its hovers', async () => {
    const readme = pathToFileURL(repo.path('README.md')).href;
    await client.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: readme, languageId: 'markdown', version: 1, text: '# queue\n' } });
    expect((await client.connection.sendRequest(StatsRequest.type)).warming).toBe(1);
    const hovered = await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri: readme }, position: { line: 0, character: 0 } });
    expect((hovered!.contents as MarkupContent).value).toContain('Add a README');
    // The hover changed the stats, so a status follows it; if the blame was still running then, the next
    // one says it is done. Without one saying so, this waits until the test times out.
    const { queries } = await client.connection.sendRequest(StatsRequest.type);
    await client.status((status) => status.queries === queries && status.warming === 0);
    await client.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri: readme } });
  });

  it('gives no hover where there is nothing to say', async () => {
    const untracked = pathToFileURL(repo.path('notes.txt')).href;
    expect(await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri: untracked }, position: { line: 0, character: 0 } })).toBeNull();
  });

  it('lists cheap code lenses, then resolves them with the history and the askWhy command', async () => {
    const readme = pathToFileURL(repo.path('src/queue.ts')).href;
    const lenses = (await client.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri: readme } })) as CodeLens[];
    expect(lenses.every((lens) => lens.command === undefined)).toBe(true);
    expect(lenses.map((lens) => lens.range.start.line)).toEqual([0, 0, 2, 8]); // the file, class Queue, push, drain
    const resolved = await Promise.all(lenses.map((lens) => client.connection.sendRequest(CodeLensResolveRequest.type, lens)));
    expect(resolved[0]!.command!.title).toMatch(/^1 commit · 1 author · last change .* ago by Alice Archer$/);
    expect(resolved[2]!.command!.title).toMatch(/^last changed .* ago by Alice Archer in #31 · 1 commit$/);
    expect(resolved[2]!.command).toMatchObject({ command: 'ail.askWhy', arguments: [readme, { start: { line: 2, character: 0 }, end: { line: 6, character: 0 } }] });

    const answer = await client.connection.sendRequest(ExecuteCommandRequest.type, { command: 'ail.askWhy', arguments: resolved[2]!.command!.arguments });
    expect(answer).toMatchObject({ file: 'src/queue.ts', evidence: [{ commit: { sha } }] });
    expect(await client.message(/^AIL: Lines 3–6 come from [0-9a-f]{7} “Bound the job queue/)).toBeTruthy();
  });

  it('reports stats and sends them as ail/status, then clears the caches', async () => {
    const stats = await client.connection.sendRequest(StatsRequest.type);
    expect(stats.queries).toBeGreaterThan(0);
    expect(stats.l1.hits).toBeGreaterThan(0);
    expect(stats.index).toMatchObject({ embedder: 'lexical-v1-384' });
    await client.status((status) => status.queries === stats.queries);
    const dropped = await client.connection.sendRequest(ClearCacheRequest.type);
    expect(dropped.l1).toBeGreaterThan(0);
    expect((await client.connection.sendRequest(StatsRequest.type)).l1.size).toBe(0);
  });

  it('applies a settings change live: the semantic cache switched off without a restart', async () => {
    client.config = { semanticCache: { enabled: false, rollout: 40 }, cache: { size: 7 } };
    await client.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
    const status = await client.status((s) => s.l2.enabled === false);
    expect(status.l2).toMatchObject({ enabled: false, rollout: 40, size: 0 });
    expect(status.l1.capacity).toBe(7);
    expect(client.codeLensRefreshes).toBeGreaterThan(0);
    client.config = {};
    await client.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
    await client.status((s) => s.l2.enabled === true && s.l1.capacity === 1000);
  });

  it('rebuilds the commit index on ail/reindex, with progress', async () => {
    const result = await client.connection.sendRequest(ReindexRequest.type, null);
    expect(result).toMatchObject({ commits: 2, embedder: 'lexical-v1-384' });
    expect(client.progress.some((p) => (p as { value?: { kind?: string } }).value?.kind === 'begin')).toBe(true);
    expect(client.progress.some((p) => (p as { value?: { kind?: string } }).value?.kind === 'end')).toBe(true);
  });

  it('refuses bad params with a message that names the problem', async () => {
    const refuse = (params: unknown) => client.connection.sendRequest(ContextRequest.type, params as never);
    await expect(refuse({ textDocument: { uri: 'untitled:Untitled-1' } })).rejects.toMatchObject({ message: 'textDocument.uri must be a file: URI' });
    await expect(refuse({ textDocument: { uri }, range: { start: { line: 899, character: 0 }, end: { line: 899, character: 3 } } })).rejects.toMatchObject({
      message: 'line 900 is past the end of the file (11 lines)',
    });
    await expect(refuse({ textDocument: { uri }, maxEvidence: 0 })).rejects.toMatchObject({ message: 'maxEvidence must be a whole number from 1 to 50 (got 0)' });
    await expect(refuse({ textDocument: { uri }, range: { start: { line: 5, character: 0 }, end: { line: 2, character: 0 } } })).rejects.toMatchObject({
      message: 'range ends (line 3) before it starts (line 6)',
    });
    await expect(refuse({ textDocument: { uri: pathToFileURL(repo.path('missing.ts')).href } })).rejects.toMatchObject({ message: 'missing.ts does not exist: not at HEAD, and not in any commit before it' });
    await expect(refuse({})).rejects.toMatchObject({ code: -32602, message: 'textDocument.uri must be a file: URI' });
    await expect(refuse({ textDocument: { uri: 'file://build-host/src/queue.ts' } })).rejects.toMatchObject({
      code: -32602,
      message: 'textDocument.uri must be a file: URI of a path on this machine (got "file://build-host/src/queue.ts")',
    });
    await expect(refuse({ textDocument: { uri }, range: { start: { line: 1, character: 'x' }, end: { line: 2, character: 0 } } })).rejects.toMatchObject({
      code: -32602,
      message: 'range.start.character must be a whole, non-negative number (got "x")',
    });
    await expect(refuse({ textDocument: { uri }, question: 42 })).rejects.toMatchObject({ code: -32602, message: 'question must be a string (got 42)' });
    await expect(refuse({ textDocument: { uri: pathToFileURL(repo.root).href } })).rejects.toMatchObject({
      code: -32602,
      message: `. is the repository's root (${repo.root}), a directory, not a file`,
    });
    const askWhy = (args: unknown[]) => client.connection.sendRequest(ExecuteCommandRequest.type, { command: 'ail.askWhy', arguments: args });
    await expect(askWhy([uri, { start: null }])).rejects.toMatchObject({ code: -32602, message: 'range must have start and end positions with whole, non-negative line numbers' });
  });
});

/** A repository is untrusted input: its text reaches an editor with control characters made visible and markdown escaped. */
describe('a hostile history in the editor', () => {
  const repo = Fixture.create('ail-lsp-hostile-');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ail-lsp-data-'));
  let client: TestClient;
  let sha = '';
  let uri = '';
  beforeAll(async () => {
    repo.write('app.ts', lines(3));
    sha = repo.commit(HOSTILE_MESSAGE, MALLORY);
    uri = pathToFileURL(repo.path('app.ts')).href;
    client = await TestClient.start(repo.root, { AIL_DATA_DIR: dataDir, AIL_ALLOW_MODEL_DOWNLOAD: 'false', AIL_COMMIT_GRAPH: 'false', AIL_INDEX_ENABLED: 'false' });
  });
  afterAll(async () => {
    await client.stop();
    repo.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const age = () => relativeTime('2021-01-02T12:00:00Z', Date.now());
  const short = () => sha.slice(0, 7);

  it('hovers with control characters visible and markdown escaped: no escape sequence, link, image or HTML from the commit', async () => {
    const hover = await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 0, character: 0 } });
    const value = (hover!.contents as MarkupContent).value;
    expect(value).not.toMatch(RAW_CONTROLS);
    const name = String.raw`Mallory\\x1b\]0;PWNED\\x07 \\x1b\[2J\\x1b\[6n\\u202eliveD`;
    const subject = String.raw`Fix \\x1b\]0;PWNED\\x07 the \[queue\](https://evil.example) !\[x\](https://evil.example/t.png) \<img src=x\> \\x1b\[2J\\x1b\[6n`;
    expect(value.split('\n')).toEqual([
      `**AIL** · \`${short()}\` · ${name} · ${age()}`,
      '',
      `**${subject}**`,
      '',
      `Line 1 comes from \`${short()}\` “${subject}” by ${name}, ${age()}. The commit says: “Because \\\\u202eexe.txt is \\*fine\\*.\\\\x1b\\[31m”`,
      '',
      expect.stringMatching(/^_confidence 0\.\d\d \(\w+\)_$/),
    ]);
  });

  it('titles code lenses and shows askWhy with control characters visible', async () => {
    const lenses = (await client.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } })) as CodeLens[];
    const file = await client.connection.sendRequest(CodeLensResolveRequest.type, lenses[0]!);
    expect(file.command!.title).toBe(`1 commit · 1 author · last change ${age()} by ${SHOWN_NAME}`);
    await client.connection.sendRequest(ExecuteCommandRequest.type, { command: 'ail.askWhy', arguments: [uri, { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } }] });
    const message = await client.message(/^AIL: Line 1 comes from/);
    expect(message).not.toMatch(RAW_CONTROLS);
    expect(message).toBe(`AIL: Line 1 comes from ${short()} “${SHOWN_SUBJECT}” by ${SHOWN_NAME}, ${age()}. The commit says: “Because \\u202eexe.txt is *fine*.\\x1b[31m”`);
  });

  it('answers ail/context with the raw data: escaping is for the surfaces that show it', async () => {
    const context = await client.connection.sendRequest(ContextRequest.type, { textDocument: { uri } });
    expect(context.evidence[0]!.commit).toMatchObject({ sha, author: MALLORY.name, body: 'Because \u202eexe.txt is *fine*.\x1b[31m' });
  });
});

/** Params as any client may send them, including `null`, which vscode-jsonrpc itself never writes. */
describe('requests with odd params', () => {
  const repo = Fixture.create('ail-lsp-params-');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ail-lsp-data-'));
  let client: RawClient;
  beforeAll(async () => {
    repo.write('a.ts', ['export const a = 1;']);
    repo.commit('Add a constant');
    client = await RawClient.start(repo.root, { AIL_DATA_DIR: dataDir, AIL_ALLOW_MODEL_DOWNLOAD: 'false', AIL_COMMIT_GRAPH: 'false' });
  });
  afterAll(async () => {
    await client.stop();
    repo.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const cases: { method: string; params: unknown; answer: object }[] = [
    { method: 'ail/reindex', params: null, answer: { result: { commits: 1, embedder: 'lexical-v1-384' } } },
    { method: 'ail/reindex', params: {}, answer: { result: { commits: 1 } } },
    { method: 'ail/reindex', params: undefined, answer: { result: { commits: 1 } } },
    { method: 'ail/health', params: null, answer: { result: { live: true, ready: true, reasons: [], githubToken: false } } },
    { method: 'ail/stats', params: [], answer: { result: { queries: 0 } } },
    { method: 'ail/clearCache', params: null, answer: { result: { l1: 0, l2: 0 } } },
    { method: 'ail/reindex', params: { force: true }, answer: { error: { code: -32602, message: "ail/reindex takes no params or { uri } (got 'force')" } } },
    { method: 'ail/clearCache', params: [1, 2], answer: { error: { code: -32602, message: 'ail/clearCache takes no params (got [1,2])' } } },
    { method: 'ail/stats', params: ['all'], answer: { error: { code: -32602, message: 'ail/stats takes no params (got "all")' } } },
    { method: 'ail/context', params: null, answer: { error: { code: -32602, message: 'ail/context takes an object with textDocument.uri (got null)' } } },
    { method: 'ail/context', params: { textDocument: null }, answer: { error: { code: -32602, message: 'textDocument.uri must be a file: URI' } } },
    { method: 'ail/context', params: { textDocument: { uri: 7 } }, answer: { error: { code: -32602, message: 'textDocument.uri must be a file: URI' } } },
    {
      method: 'ail/context',
      params: { textDocument: { uri: 'file:///x' }, range: { start: { line: -1, character: 0 }, end: null } },
      answer: { error: { code: -32602, message: 'range must have start and end positions with whole, non-negative line numbers' } },
    },
    { method: 'ail/context', params: { textDocument: { uri: 'file:///x' }, maxEvidence: '5' }, answer: { error: { code: -32602, message: 'maxEvidence must be a whole number from 1 to 50 (got "5")' } } },
    { method: 'workspace/executeCommand', params: { command: 'ail.askWhy', arguments: null }, answer: { error: { code: -32602, message: 'ail.askWhy takes a file: URI and an optional range' } } },
  ];

  it.each(cases)('$method with $params', async ({ method, params, answer }) => {
    expect(await client.request(method, params)).toMatchObject(answer);
  });
});

/** A repository deleted under a running server, then made anew at the same path. */
describe('a repository deleted under the server', () => {
  it('says it no longer exists, not that it has no commits or that git is missing, and answers again once it is back', async () => {
    const repo = Fixture.create('ail-lsp-deleted-');
    const dataDir = mkdtempSync(path.join(tmpdir(), 'ail-lsp-data-'));
    repo.write('a.ts', ['export const a = 1;']);
    repo.commit('Add a constant');
    const client = await TestClient.start(repo.root, { AIL_DATA_DIR: dataDir, AIL_ALLOW_MODEL_DOWNLOAD: 'false', AIL_COMMIT_GRAPH: 'false', AIL_INDEX_ENABLED: 'false' });
    const uri = pathToFileURL(repo.path('a.ts')).href;
    try {
      expect((await client.connection.sendRequest(ContextRequest.type, { textDocument: { uri } })).evidence[0]!.commit.subject).toBe('Add a constant');
      rmSync(repo.root, { recursive: true, force: true });
      const gone = `the repository at ${repo.root} no longer exists (deleted or moved)`;
      await expect(client.connection.sendRequest(ContextRequest.type, { textDocument: { uri } })).rejects.toMatchObject({ code: -32602, message: gone });
      expect(await client.connection.sendRequest(HealthRequest.type, null)).toEqual({ live: true, ready: false, reasons: [gone], githubToken: false, repositories: [{ folder: repo.root, ready: false, reasons: [gone] }] });

      mkdirSync(repo.root);
      const again = Fixture.at(repo.root);
      again.git('init', '-q', '-b', 'main');
      again.write('a.ts', ['export const a = 2;']);
      again.commit('Add a constant again');
      expect((await client.connection.sendRequest(ContextRequest.type, { textDocument: { uri } })).evidence[0]!.commit.subject).toBe('Add a constant again');
      expect(await client.connection.sendRequest(HealthRequest.type, null)).toMatchObject({ live: true, ready: true, reasons: [], githubToken: false });
    } finally {
      await client.stop();
      repo.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

/**
 * A request the client cancels stops its work: answered RequestCancelled, never with a result, and its
 * git processes killed. git blame and git log read `.mailmap` as they start; made a named pipe that
 * the test opens and never writes, it holds every one of them there, so no request can finish before
 * it is cancelled and the test knows (its open returns) when git is running.
 */
describe('cancelled requests', () => {
  const repo = Fixture.create('ail-lsp-cancelled-');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ail-lsp-data-'));
  let client: TestClient;
  beforeAll(async () => {
    repo.write('src/queue.ts', lines(40));
    repo.commit('Add the queue');
    repo.write('src/queue.ts', lines(40, 'row'));
    repo.commit('Call them rows', BOB);
    client = await TestClient.start(repo.root, {
      AIL_DATA_DIR: dataDir,
      AIL_ALLOW_MODEL_DOWNLOAD: 'false',
      AIL_COMMIT_GRAPH: 'false',
      AIL_INDEX_ENABLED: 'false',
      AIL_MAX_QUERY_TIME_S: '120',
    });
  });
  afterAll(async () => {
    await client.stop();
    repo.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers each RequestCancelled, never a result, and kills the git processes it started', async () => {
    const uri = pathToFileURL(repo.path('src/queue.ts')).href;
    const mailmap = repo.path('.mailmap');
    execFileSync('mkfifo', [mailmap]);
    const holding = open(mailmap, 'w'); // returns once a git process opens it to read
    const sources: CancellationTokenSource[] = [];
    const answers: Promise<unknown>[] = [];
    for (let line = 0; line < 16; line++) {
      const source = new CancellationTokenSource();
      sources.push(source);
      const request =
        line % 2
          ? client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line, character: 0 } }, source.token)
          : client.connection.sendRequest(ContextRequest.type, { textDocument: { uri }, range: { start: { line, character: 0 }, end: { line: line + 1, character: 0 } } }, source.token);
      answers.push(request.then((result) => ({ result }), (error: { code?: number }) => ({ code: error.code })));
    }
    const held = await holding;
    try {
      const questionWork = () => childProcesses(client.server.pid!).filter((child) => child.running && child.argv.some((arg) => arg.startsWith('-L')));
      expect(questionWork().length).toBeGreaterThan(0);
      for (const source of sources) source.cancel();
      expect(await Promise.all(answers)).toEqual(answers.map(() => ({ code: -32800 })));
      expect(questionWork().map((child) => child.argv.slice(-4).join(' '))).toEqual([]);
    } finally {
      await held.close();
      rmSync(mailmap);
    }
    const after = await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 3, character: 0 } });
    expect((after!.contents as MarkupContent).value).toContain('**Call them rows**');
  });
});

describe('cancellation over stdio', () => {
  let root = '';
  let client: TestClient;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ail-lsp-cancel-'));
  let largest = '';
  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'ail-lsp-big-'));
    const generated = await generateRepository(path.join(root, 'repo'), { commits: 1500, files: 20 });
    largest = generated.largestFile;
    client = await TestClient.start(generated.root, { AIL_DATA_DIR: dataDir, AIL_ALLOW_MODEL_DOWNLOAD: 'false', AIL_INDEX_ENABLED: 'false', AIL_COMMIT_GRAPH: 'false' });
    root = generated.root;
  }, 120_000);
  afterAll(async () => {
    await client.stop();
    rmSync(path.dirname(root), { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers $/cancelRequest with RequestCancelled, and keeps serving', async () => {
    const uri = pathToFileURL(path.join(root, largest)).href;
    const source = new CancellationTokenSource();
    const pending = client.connection.sendRequest(ContextRequest.type, { textDocument: { uri }, question: 'why does this whole file exist?' }, source.token);
    source.cancel();
    await expect(pending).rejects.toMatchObject({ code: -32800 });
    const answer = await client.connection.sendRequest(ContextRequest.type, { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } } });
    expect(answer.evidence.length).toBeGreaterThan(0);
  });
});

describe('ail serve --stdio', () => {
  it('is the same language server', async () => {
    const repo = Fixture.create();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'ail-serve-'));
    repo.write('a.ts', ['export const a = 1;']);
    repo.commit('Add a constant for the serve test', ALICE);
    const client = await TestClient.start(repo.root, { AIL_DATA_DIR: dataDir, AIL_ALLOW_MODEL_DOWNLOAD: 'false' }, undefined, [CLI, 'serve', '--stdio']);
    try {
      expect(await client.connection.sendRequest(HealthRequest.type, null)).toMatchObject({ live: true, ready: true, reasons: [], githubToken: false });
      const answer = await client.connection.sendRequest(ContextRequest.type, { textDocument: { uri: pathToFileURL(repo.path('a.ts')).href } });
      expect(answer.evidence[0]!.commit.subject).toBe('Add a constant for the serve test');
    } finally {
      await client.stop();
      repo.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
