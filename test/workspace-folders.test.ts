import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DidChangeWorkspaceFoldersNotification } from 'vscode-languageserver-protocol/node';
import { HealthRequest, ReindexRequest } from '../shared/protocol';
import type { CacheStats } from '../shared/types';
import { ALICE, BOB, Fixture } from './helpers/fixture';
import { defaultCapabilities, TestClient, workspaceFolder } from './helpers/lsp';

/**
 * A multi-root workspace, as VS Code opens one: two repositories as two folders of one workspace, then
 * folders added and removed. Each folder answers about its own repository: health, the commit index
 * and Rebuild Index, through the built server over stdio.
 */
describe('dist/server.js in a multi-root workspace', () => {
  const alpha = Fixture.create('ail-alpha-');
  const beta = Fixture.create('ail-beta-');
  const gamma = Fixture.create('ail-gamma-');
  const plain = mkdtempSync(path.join(tmpdir(), 'ail-plain-'));
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ail-folders-data-'));
  let client: TestClient;
  const indexOf = (stats: CacheStats, root: string) => stats.indexes?.find((index) => index.root === root);
  const readyWith = (root: string, commits: number) => (stats: CacheStats) => indexOf(stats, root)?.state === 'ready' && indexOf(stats, root)?.commits === commits;

  beforeAll(async () => {
    for (const [n, subject] of ['Add the parser', 'Parse numbers', 'Parse strings'].entries()) {
      alpha.write('parser.ts', [`export const version = ${n};`]);
      alpha.commit(subject, ALICE);
    }
    for (const [n, subject] of ['Add the printer', 'Print numbers'].entries()) {
      beta.write('printer.ts', [`export const version = ${n};`]);
      beta.commit(subject, BOB);
    }
    gamma.write('gamma.ts', ['export const gamma = 1;']);
    gamma.commit('Add gamma', ALICE);
    const capabilities = defaultCapabilities();
    capabilities.workspace = { ...capabilities.workspace, workspaceFolders: true };
    client = await TestClient.start(alpha.root, { AIL_DATA_DIR: dataDir, AIL_ALLOW_MODEL_DOWNLOAD: 'false', AIL_COMMIT_GRAPH: 'false' }, capabilities, undefined, undefined, [alpha.root, beta.root]);
  });
  afterAll(async () => {
    await client.stop();
    for (const repo of [alpha, beta, gamma]) repo.cleanup();
    rmSync(plain, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("indexes each folder's repository, and reports each index in the stats (the first folder's as index)", async () => {
    const stats = await client.status((s) => readyWith(alpha.root, 3)(s) && readyWith(beta.root, 2)(s));
    expect(stats.index).toMatchObject({ root: alpha.root, state: 'ready', commits: 3 });
  });

  it("says each folder's repository is ready, or the one a URI names", async () => {
    expect(await client.connection.sendRequest(HealthRequest.type, null)).toMatchObject({
      ready: true,
      reasons: [],
      repositories: [
        { folder: alpha.root, root: alpha.root, ready: true, reasons: [] },
        { folder: beta.root, root: beta.root, ready: true, reasons: [] },
      ],
    });
    const file = pathToFileURL(beta.path('printer.ts')).href;
    expect((await client.connection.sendRequest(HealthRequest.type, { uri: file })).repositories).toEqual([{ folder: beta.path('printer.ts'), root: beta.root, ready: true, reasons: [] }]);
  });

  it("rebuilds the index of the repository a URI names, or of every folder's", async () => {
    const one = await client.connection.sendRequest(ReindexRequest.type, { uri: pathToFileURL(beta.root).href });
    expect(one).toMatchObject({ commits: 2, repositories: [{ root: beta.root, commits: 2 }] });
    const all = await client.connection.sendRequest(ReindexRequest.type, null);
    expect(all).toMatchObject({ commits: 5, repositories: [{ root: alpha.root, commits: 3 }, { root: beta.root, commits: 2 }] });
  });

  it('follows folders added and removed: a new folder is indexed unasked, a removed one leaves health', async () => {
    await client.connection.sendNotification(DidChangeWorkspaceFoldersNotification.type, { event: { added: [workspaceFolder(gamma.root)], removed: [workspaceFolder(alpha.root)] } });
    await client.status(readyWith(gamma.root, 1));
    const health = await client.connection.sendRequest(HealthRequest.type, null);
    expect(health.repositories?.map((repository) => repository.root)).toEqual([beta.root, gamma.root]);
    expect(await client.connection.sendRequest(ReindexRequest.type, null)).toMatchObject({ commits: 3, repositories: [{ root: beta.root }, { root: gamma.root }] });
  });

  it('says which folder is no repository, and rebuilds the others', async () => {
    // A notification, then a request: the server handles them in order.
    await client.connection.sendNotification(DidChangeWorkspaceFoldersNotification.type, { event: { added: [workspaceFolder(plain)], removed: [] } });
    const reason = `${plain} is not in a git repository`;
    expect(await client.connection.sendRequest(HealthRequest.type, null)).toMatchObject({
      ready: false,
      reasons: [reason],
      repositories: [{ folder: beta.root, ready: true }, { folder: gamma.root, ready: true }, { folder: plain, ready: false, reasons: [reason] }],
    });
    expect(await client.connection.sendRequest(ReindexRequest.type, null)).toMatchObject({ commits: 3 });
    await expect(client.connection.sendRequest(ReindexRequest.type, { uri: pathToFileURL(plain).href })).rejects.toMatchObject({ code: -32600, message: reason });
  });

  it('refuses a URI that is no file: URI, and any other field, by name', async () => {
    await expect(client.connection.sendRequest(ReindexRequest.type, { uri: 'untitled:Untitled-1' })).rejects.toMatchObject({ code: -32602, message: 'uri must be a file: URI' });
    await expect(client.connection.sendRequest(HealthRequest.type, { folder: 'x' } as never)).rejects.toMatchObject({ code: -32602, message: "ail/health takes no params or { uri } (got 'folder')" });
  });
});
