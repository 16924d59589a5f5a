import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeGitHub, user } from './helpers/fake-github';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..');

/**
 * Octokit's packages are ES modules only, and dist/server.js is CommonJS that esbuild bundles: the
 * GitHub client, bundled with the server's own settings, must run from a folder with no node_modules
 * anywhere above it (as the packaged extension does), under plain Node.
 */
describe('the GitHub client, bundled as dist/server.js is', () => {
  let fake: FakeGitHub;
  let dir: string;

  beforeAll(async () => {
    fake = await FakeGitHub.start();
    dir = mkdtempSync(path.join(tmpdir(), 'ail-github-bundle-'));
  });

  afterAll(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('needs no package at run time and answers through Octokit', async () => {
    const outfile = path.join(dir, 'github.js');
    await build({ entryPoints: [path.join(ROOT, 'server/github/client.ts')], outfile, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'silent' });
    expect(readFileSync(outfile, 'utf8')).not.toMatch(/require\("@octokit/);

    fake.pullRequest({ owner: 'ail-dev', name: 'ail' }, { number: 42, title: 'Retry the upload', author: user('mona') });
    const script = `
      const { GitHubClient } = require(${JSON.stringify(outfile)});
      const client = new GitHubClient({ baseUrl: ${JSON.stringify(fake.baseUrl)}, token: async () => undefined });
      client.pullRequest({ owner: 'ail-dev', name: 'ail' }, 42).then((result) => process.stdout.write(JSON.stringify(result)));
    `;
    const { stdout } = await run(process.execPath, ['-e', script], { cwd: dir, env: { PATH: process.env.PATH ?? '', NODE_PATH: '' } });
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, source: 'network', value: { number: 42, title: 'Retry the upload', user: { login: 'mona' } } });
    expect(fake.requests[0]!.headers['user-agent']).toMatch(/^ail octokit-rest\.js\/\S+ octokit-core\.js\//);
  });
});
