import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HoverRequest, type MarkupContent } from 'vscode-languageserver-protocol/node';
import { ReindexRequest } from '../shared/protocol';
import { requireProgram } from './helpers/external';
import { ALICE, BOB, Fixture } from './helpers/fixture';
import { TestClient } from './helpers/lsp';
import { McpProcess } from './helpers/mcp';
import { packagedVsix } from './helpers/vsix';
import { QUEUE_SOURCE } from './helpers/queue';
import { buildTinyModel, type TinyModel } from './helpers/tiny-model';

/**
 * The .vsix a user installs: built by scripts/package.mjs (as `npm run package` does, from the dist/ the
 * test setup built; helpers/vsix.ts shares the one build with the VS Code suite), unpacked as VS Code
 * unpacks it, and its own server and CLI run from there with nothing of this repository's node_modules in
 * reach. The server's N-API addons (hnswlib-node, onnxruntime-node, sharp, the posix_spawn addon) load in
 * Node here; test/vscode.test.ts installs the same .vsix into code-server, whose extension host is Node
 * too. Electron's Node is not tried on this machine.
 */

const ROOT = path.resolve(__dirname, '..');
const UNZIP = requireProgram('unzip', 'apt-get install unzip', 'the .vsix test (test/package.test.ts)');
const HOST = `${process.platform}-${process.arch}`;
/** The size the issue aims at for linux-x64. */
const MAX_LINUX_X64_BYTES = 40e6;

describe.skipIf(!UNZIP.found)('the packaged extension (.vsix)', () => {
  let work: string;
  let extension: string;
  let vsix: string;
  let files: string[];
  let repo: Fixture;
  let tiny: TinyModel;
  let client: TestClient | undefined;
  let sha = '';

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'ail-vsix-'));
    // The one the VS Code suite installs too (helpers/vsix.ts): built once per change, whichever asks first.
    vsix = await packagedVsix();
    execFileSync('unzip', ['-q', vsix, '-d', path.join(work, 'unpacked')]);
    extension = path.join(work, 'unpacked', 'extension');
    files = listFiles(extension);

    repo = Fixture.create('ail-vsix-repo-');
    repo.git('remote', 'add', 'origin', 'git@github.com:acme/queue.git');
    repo.write('src/queue.ts', QUEUE_SOURCE);
    sha = repo.commit('Bound the job queue at twenty entries to apply back-pressure (#31)\n\nFixes #30', ALICE);
    repo.write('README.md', ['# queue']);
    repo.commit('Add a README', BOB);
    tiny = await buildTinyModel(path.join(work, 'models'));
  }, 180_000);

  afterAll(async () => {
    await client?.stop();
    repo?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** What the packaged programs get: a model on disk (so transformers.js and onnxruntime-node load), no network, no NODE_PATH. */
  const env = (data: string): NodeJS.ProcessEnv => ({
    AIL_DATA_DIR: path.join(work, data),
    AIL_MODEL_PATH: tiny.path,
    AIL_EMBEDDING_MODEL: tiny.name,
    AIL_ALLOW_MODEL_DOWNLOAD: 'false',
    AIL_COMMIT_GRAPH: 'false',
    NODE_PATH: '',
  });

  it('holds the bundles, the manifest, LICENSE and the runtime packages, and nothing for other platforms or development', () => {
    for (const file of ['package.json', 'LICENSE.txt', 'readme.md', 'dist/extension.js', 'dist/server.js', 'dist/cli.js', 'dist/mcp.js', 'dist/webview.js', 'dist/webview.css', 'dist/node_modules/hnswlib-node/build/Release/addon.node']) {
      expect(files, file).toContain(file);
    }
    if (existsSync(path.join(ROOT, 'native/build/Release/ail_spawn.node'))) expect(files).toContain('native/build/Release/ail_spawn.node');
    const [platform, arch] = HOST.split('-');
    const onnx = files.filter((file) => file.startsWith('dist/node_modules/onnxruntime-node/bin/'));
    expect(onnx).toContain(`dist/node_modules/onnxruntime-node/bin/napi-v6/${platform}/${arch}/onnxruntime_binding.node`);
    expect(onnx.filter((file) => !file.startsWith(`dist/node_modules/onnxruntime-node/bin/napi-v6/${platform}/${arch}/`))).toEqual([]);
    expect(files.filter((file) => file.endsWith('.wasm') && file.includes('tree-sitter-typescript'))).toHaveLength(1);

    const packages = new Set(files.filter((file) => file.startsWith('dist/node_modules/')).map((file) => packageName(file)));
    for (const absent of ['onnxruntime-web', 'vitest', 'typescript', 'esbuild', '@vscode/vsce', 'vscode-languageclient', 'vscode-languageserver', 'lru-cache', 'onnx-proto', 'adm-zip', '@modelcontextprotocol/sdk', 'zod']) {
      expect(packages.has(absent), `${absent} is in the .vsix`).toBe(false);
    }
    expect(files.some((file) => file.startsWith('node_modules/') || file.endsWith('.map') || file.endsWith('.d.ts'))).toBe(false);

    const manifest = JSON.parse(readFileSync(path.join(extension, 'package.json'), 'utf8'));
    expect(manifest.repository).toMatchObject({ type: 'git' });
    expect(manifest.devDependencies).toBeUndefined();
    if (HOST === 'linux-x64') expect(statSync(vsix).size).toBeLessThan(MAX_LINUX_X64_BYTES);
  });

  it("runs its own CLI: git through the posix_spawn addon, the model through onnxruntime-node, the index through hnswlib-node", () => {
    const validate = spawnSync(process.execPath, [path.join(extension, 'dist/cli.js'), 'validate', '--json'], { cwd: repo.root, encoding: 'utf8', env: { ...process.env, ...env('cli-data') } });
    const report = JSON.parse(validate.stdout) as { failed: number; checks: { name: string; ok: boolean; detail: string }[] };
    expect(report.failed, validate.stdout).toBe(0);
    const detail = (name: string) => report.checks.find((check) => check.name === name)?.detail;
    if (files.includes('native/build/Release/ail_spawn.node')) expect(detail('git')).toMatch(/started with posix_spawn/);
    expect(detail('embedder')).toMatch(new RegExp(`transformers:${tiny.name}`));
    expect(detail('index')).toMatch(/2 commits/);
  });

  it('parses with its own web-tree-sitter and grammars', () => {
    const script = `
      const { Parser, Language } = require('web-tree-sitter');
      const grammar = require('path').join(require.resolve('@vscode/tree-sitter-wasm/package.json'), '..', 'wasm', 'tree-sitter-typescript.wasm');
      (async () => {
        await Parser.init();
        const parser = new Parser();
        parser.setLanguage(await Language.load(grammar));
        console.log(require.resolve('web-tree-sitter') + '\\n' + parser.parse('export class Queue { push() {} }').rootNode.toString());
      })().catch((error) => { console.error(error); process.exit(1); });`;
    const run = spawnSync(process.execPath, ['-e', script], { cwd: path.join(extension, 'dist'), encoding: 'utf8', env: { ...process.env, NODE_PATH: '' } });
    expect(run.status, run.stderr).toBe(0);
    const [resolved, tree] = run.stdout.split('\n');
    expect(resolved!.startsWith(extension)).toBe(true);
    expect(tree).toContain('class_declaration');
  });

  it('serves MCP from its own dist/mcp.js (the MCP server the extension lists in VS Code 1.101+): why names the commit, its PR and issue', async () => {
    // GitHub on a closed local port: the fixture's github.com remote is not on it, so nothing goes to the network.
    const server = await McpProcess.start(repo.root, { ...(env('mcp-data') as Record<string, string>), GITHUB_API_URL: 'http://127.0.0.1:1' }, ['--repo', repo.root], path.join(extension, 'dist/cli.js'));
    try {
      const result = (await server.client.callTool({ name: 'why', arguments: { path: 'src/queue.ts', startLine: 4 } })) as { structuredContent?: any; isError?: boolean };
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent.evidence[0]).toMatchObject({ sha, pullRequest: { number: 31 }, issues: [{ number: 30 }] });
      expect(server.protocolErrors).toEqual([]);
      expect(server.stderr).not.toMatch(/Cannot find module|ERR_MODULE_NOT_FOUND/);
    } finally {
      await server.close();
    }
  });

  it('starts its own server: a hover answers, and the commit index builds with the model', async () => {
    client = await TestClient.start(repo.root, env('lsp-data'), undefined, [path.join(extension, 'dist/server.js'), '--stdio']);
    const uri = pathToFileURL(repo.path('src/queue.ts')).href;
    const hover = await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 3, character: 8 } });
    expect((hover!.contents as MarkupContent).value).toContain(`[\`${sha.slice(0, 7)}\`](https://github.com/acme/queue/commit/${sha})`);
    const index = await client.connection.sendRequest(ReindexRequest.type, null);
    expect(index).toMatchObject({ commits: 2, embedder: `transformers:${tiny.name}` });
    expect(client.stderr).not.toMatch(/Cannot find module|ERR_MODULE_NOT_FOUND/);
  });
});

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    return entry.isDirectory() ? listFiles(path.join(dir, entry.name), rel) : [rel];
  });
}

/** `dist/node_modules/@scope/name/...` → `@scope/name`; nested node_modules name the innermost package. */
function packageName(file: string): string {
  const parts = file.split('/');
  const at = parts.lastIndexOf('node_modules');
  return parts[at + 1]!.startsWith('@') ? `${parts[at + 1]}/${parts[at + 2]}` : parts[at + 1]!;
}
