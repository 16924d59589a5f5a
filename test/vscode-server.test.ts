import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DidChangeTextDocumentNotification, DidCloseTextDocumentNotification, DidOpenTextDocumentNotification, HoverRequest, type MarkupContent } from 'vscode-languageserver-protocol/node';
import { ASK_WHY_COMMAND, ContextRequest, COPY_SHA_COMMAND, HealthRequest, LineSummaryRequest, OPEN_COMMIT_COMMAND, SetGitHubTokenRequest } from '../shared/protocol';
import { ALICE, BOB, Fixture } from './helpers/fixture';
import { TestClient } from './helpers/lsp';
import { QUEUE_SOURCE } from './helpers/queue';

const CLIENT_COMMANDS = [ASK_WHY_COMMAND, OPEN_COMMIT_COMMAND, COPY_SHA_COMMAND];
const TOKEN = 'ghp_TESTTOKENthatmustneverbelogged0123456789';

/** What the VS Code client asks of the built server over stdio: its commands, the annotation, the token, fresh answers, progress. */
describe('dist/server.js for the VS Code client', () => {
  const repo = Fixture.create();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ail-vscode-data-'));
  const brokenModel = mkdtempSync(path.join(tmpdir(), 'ail-broken-model-'));
  let client: TestClient;
  let sha = '';
  let uri = '';
  beforeAll(async () => {
    repo.git('remote', 'add', 'origin', 'https://github.com/acme/queue.git');
    repo.write('src/queue.ts', QUEUE_SOURCE);
    sha = repo.commit('Bound the job queue at twenty entries to apply back-pressure (#31)', ALICE);
    repo.write('README.md', ['# queue']);
    repo.commit('Add a README', BOB);
    uri = pathToFileURL(repo.path('src/queue.ts')).href;
    // A model folder with every file a model needs, none of them usable: the load begins, then fails.
    mkdirSync(path.join(brokenModel, 'onnx'));
    for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']) writeFileSync(path.join(brokenModel, file), 'not a model');
    client = await TestClient.start(
      repo.root,
      { AIL_DATA_DIR: dataDir, AIL_MODEL_PATH: brokenModel, AIL_ALLOW_MODEL_DOWNLOAD: 'false', AIL_COMMIT_GRAPH: 'false', GITHUB_TOKEN: '' },
      undefined,
      undefined,
      { clientCommands: CLIENT_COMMANDS },
    );
  });
  afterAll(async () => {
    await client.stop();
    repo.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(brokenModel, { recursive: true, force: true });
  });

  it('ends the model-load progress when the model cannot be loaded, and the index build it falls back to', async () => {
    await client.progressEnded('AIL: loading the embedding model');
    await client.progressEnded('AIL: indexing commit messages');
    const stats = await client.status((s) => s.index.fallback !== undefined);
    expect(stats.index.fallback).toContain('could not be loaded');
  });

  it('leaves ail.askWhy to a client that runs it itself', () => {
    expect(client.capabilities).not.toHaveProperty('executeCommandProvider');
  });

  it('hovers with Ask Why, Open commit and Copy SHA links, and no internal words', async () => {
    await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 3, character: 4 } });
    const value = ((await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 3, character: 4 } }))!.contents as MarkupContent).value;
    const args = (list: unknown[]) => encodeURIComponent(JSON.stringify(list));
    expect(value).toContain(`[Ask Why](command:ail.askWhy?${args([uri, { start: { line: 3, character: 0 }, end: { line: 4, character: 0 } }])})`);
    expect(value).toContain(`[Open commit](command:ail.openCommit?${args([uri, sha, 'acme/queue'])})`);
    expect(value).toContain(`[Copy SHA](command:ail.copySha?${args([sha])})`);
    expect(value).not.toMatch(/from L[12]/);
  });

  it('answers ail/context with the GitHub repository, and bypasses both caches when fresh', async () => {
    const ask = (fresh?: boolean) => client.connection.sendRequest(ContextRequest.type, { textDocument: { uri }, range: { start: { line: 3, character: 0 }, end: { line: 4, character: 0 } }, ...(fresh === undefined ? {} : { fresh }) });
    const first = await ask();
    expect(first.github).toBe('acme/queue');
    expect((await ask()).source).toBe('l1');
    expect((await ask(true)).source).toBe('cold');
    expect((await ask()).source).toBe('l1');
    await expect(client.connection.sendRequest(ContextRequest.type, { textDocument: { uri }, fresh: 'yes' } as never)).rejects.toMatchObject({ code: -32602, message: 'fresh must be true or false (got "yes")' });
  });

  it('annotates a committed line with its author, date, subject and PR', async () => {
    expect(await client.connection.sendRequest(LineSummaryRequest.type, { textDocument: { uri }, line: 3 })).toEqual({
      kind: 'committed',
      sha,
      shortSha: sha.slice(0, 7),
      author: ALICE.name,
      date: expect.stringMatching(/^2021-01-0\d/),
      subject: 'Bound the job queue at twenty entries to apply back-pressure (#31)',
      pullRequest: 31,
    });
  });

  it('annotates an edited line as not committed yet, and refuses a bad line by name', async () => {
    await client.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'typescript', version: 1, text: QUEUE_SOURCE.join('\n') + '\n' } });
    await client.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: { start: { line: 3, character: 0 }, end: { line: 3, character: 0 } }, text: '    console.log(item);\n' }],
    });
    expect(await client.connection.sendRequest(LineSummaryRequest.type, { textDocument: { uri }, line: 3 })).toEqual({ kind: 'uncommitted' });
    expect(await client.connection.sendRequest(LineSummaryRequest.type, { textDocument: { uri }, line: 4 })).toMatchObject({ kind: 'committed', sha });
    await client.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
    expect(await client.connection.sendRequest(LineSummaryRequest.type, { textDocument: { uri }, line: 900 })).toBeNull();
    await expect(client.connection.sendRequest(LineSummaryRequest.type, { textDocument: { uri }, line: -1 })).rejects.toMatchObject({ code: -32602, message: 'line must be a whole, non-negative number (got -1)' });
  });

  it('keeps a GitHub token in memory: health says one is set, no log or message holds it', async () => {
    expect((await client.connection.sendRequest(HealthRequest.type, null)).githubToken).toBe(false);
    expect(await client.connection.sendRequest(SetGitHubTokenRequest.type, { token: TOKEN })).toEqual({ githubToken: true });
    expect((await client.connection.sendRequest(HealthRequest.type, null)).githubToken).toBe(true);
    await expect(client.connection.sendRequest(SetGitHubTokenRequest.type, { token: 'two words' })).rejects.toMatchObject({ code: -32602, message: 'token must be one word of printable characters, at most 1,024' });
    expect(await client.connection.sendRequest(SetGitHubTokenRequest.type, { token: null })).toEqual({ githubToken: false });
    expect((await client.connection.sendRequest(HealthRequest.type, null)).githubToken).toBe(false);
    expect(client.logs).toContain('AIL: a GitHub token is set');
    expect([...client.logs, ...client.messages, client.stderr].join('\n')).not.toContain(TOKEN.slice(4));
  });
});

/**
 * Open commit without GitHub shows VS Code's diff of the file in the commit (`sha^` against `sha`), read
 * through git at a path: for a file renamed since, the path it had then, which the server knows.
 */
describe('dist/server.js names where a renamed file was in each commit, for Open commit', () => {
  const repo = Fixture.create('ail-renamed-');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ail-renamed-data-'));
  let client: TestClient;
  let uri = '';
  const sha: Record<string, string> = {};
  const OLD = 'lib/old-queue.ts';
  const NEW = 'src/queue.ts';
  beforeAll(async () => {
    // Line 4 written, then rewritten, under the old name; then the file moved, line 5 edited on the way.
    repo.write(OLD, QUEUE_SOURCE.map((line, i) => (i === 3 ? '    if (this.items.length > 99) throw new Error("full");' : line)));
    sha.created = repo.commit('Add the queue', ALICE);
    repo.write(OLD, QUEUE_SOURCE);
    sha.bounded = repo.commit('Bound the queue at twenty entries', ALICE);
    repo.move(OLD, NEW);
    repo.write(NEW, QUEUE_SOURCE.map((line, i) => (i === 4 ? '    this.items.push(item.trim());' : line)));
    sha.moved = repo.commit('Move the queue to src and trim items', BOB);
    uri = pathToFileURL(repo.path(NEW)).href;
    client = await TestClient.start(repo.root, { AIL_DATA_DIR: dataDir, AIL_ALLOW_MODEL_DOWNLOAD: 'false', AIL_COMMIT_GRAPH: 'false', AIL_INDEX_ENABLED: 'false', GITHUB_TOKEN: '' }, undefined, undefined, {
      clientCommands: CLIENT_COMMANDS,
    });
  });
  afterAll(async () => {
    await client.stop();
    repo.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('gives each commit of the answer its path then and its parent\'s, from blame and from line history', async () => {
    const answer = await client.connection.sendRequest(ContextRequest.type, { textDocument: { uri }, range: { start: { line: 3, character: 0 }, end: { line: 5, character: 0 } }, maxEvidence: 10 });
    const of = (commit: string) => answer.evidence.find((item) => item.commit.sha === commit);
    // Blamed under the old name; its parent had it there too.
    expect(of(sha.bounded!)).toMatchObject({ pathInCommit: OLD });
    expect(of(sha.bounded!)).not.toHaveProperty('pathInParent');
    // The move: today's path in the commit, the old one in its parent.
    expect(of(sha.moved!)).toMatchObject({ pathInParent: OLD });
    expect(of(sha.moved!)).not.toHaveProperty('pathInCommit');
    // Found by line history only (blame names its successor): it created the file, so its parent has none.
    expect(of(sha.created!)).toMatchObject({ reasons: expect.not.arrayContaining(['blame']), pathInCommit: OLD });
    expect(of(sha.created!)).not.toHaveProperty('pathInParent');
    // The paths are where git has the file: today's path is in none of the older commits.
    expect(repo.git('show', `${sha.bounded}:${OLD}`)).toContain('>= 20');
    expect(repo.git('show', `${sha.moved}^:${OLD}`)).toContain('this.items.push(item);');
    expect(() => repo.git('show', `${sha.bounded}:${NEW}`)).toThrow();
  });

  it('hovers with an Open commit link that carries the paths, in the commit and in its parent', async () => {
    const link = async (line: number) => {
      const value = ((await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line, character: 4 } }))!.contents as MarkupContent).value;
      const query = /\[Open commit\]\(command:ail\.openCommit\?([^)]*)\)/.exec(value)?.[1];
      return query === undefined ? undefined : (JSON.parse(decodeURIComponent(query)) as unknown[]);
    };
    expect(await link(3)).toEqual([uri, sha.bounded, null, { path: repo.path(OLD), parentPath: repo.path(OLD) }]);
    expect(await link(4)).toEqual([uri, sha.moved, null, { path: repo.path(NEW), parentPath: repo.path(OLD) }]);
    // A line whose commit saw the file at today's path keeps the short form.
    repo.write(NEW, [...QUEUE_SOURCE.map((line, i) => (i === 4 ? '    this.items.push(item.trim());' : line)), '// more']);
    const added = repo.commit('Say more', BOB);
    expect(await link(11)).toEqual([uri, added]);
  });
});
