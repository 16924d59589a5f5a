import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { settingsFromEnv, SettingError } from '../shared/settings';
import { RepositoryRegistry } from '../server/git/registry';
import { commitUrl, detectGitHubRepository, issueUrl, parseRemote, pullRequestUrl } from '../server/github/repository';
import { GitHubTokens } from '../server/github/token';
import { requireProgram } from './helpers/external';
import { Fixture } from './helpers/fixture';

describe('the GitHub repository of a work tree', () => {
  let repo: Fixture;
  let registry: RepositoryRegistry;
  beforeAll(() => {
    repo = Fixture.create();
    repo.write('a.txt', 'a').commit('first');
  });
  afterAll(() => repo.cleanup());
  afterEach(async () => {
    for (const remote of repo.git('remote').split('\n').filter(Boolean)) repo.git('remote', 'remove', remote);
    try {
      repo.git('config', '--remove-section', 'url.git@github.com:');
    } catch {
      // not set in this test
    }
    await registry.dispose();
  });
  const detect = async (target = {}) => {
    registry = new RepositoryRegistry();
    const { repo: repository } = await registry.forDirectory(repo.root);
    return detectGitHubRepository(repository, target);
  };

  it('reads origin in every URL form git accepts', async () => {
    for (const url of ['https://github.com/acme/queue.git', 'git@github.com:acme/queue.git', 'ssh://git@github.com/acme/queue', 'ssh://git@github.com:22/acme/queue.git', 'git://github.com/acme/queue.git', 'https://token@github.com/acme/queue/']) {
      expect(parseRemote(url), url).toEqual({ owner: 'acme', name: 'queue' });
    }
    repo.git('remote', 'add', 'origin', 'git@github.com:acme/queue.git');
    const found = await detect();
    expect(found).toEqual({ owner: 'acme', name: 'queue', webUrl: 'https://github.com', apiUrl: 'https://api.github.com' });
    expect(pullRequestUrl(found!, 12)).toBe('https://github.com/acme/queue/pull/12');
    expect(commitUrl(found!, 'abc')).toBe('https://github.com/acme/queue/commit/abc');
    expect(issueUrl(found!, 3, 'other/lib')).toBe('https://github.com/other/lib/issues/3');
  });

  it('never takes a host that only looks like GitHub, so the token goes nowhere else', async () => {
    for (const url of ['https://evil.example/github.com/acme/queue.git', 'https://github.com.evil.example/acme/queue', 'git@evil.example:github.com/queue.git', 'https://github.com/acme', 'https://github.com/../queue', '/srv/git/github.com/acme/queue.git']) {
      expect(parseRemote(url), url).toBeUndefined();
    }
    repo.git('remote', 'add', 'origin', 'https://evil.example/github.com/acme/queue.git');
    expect(await detect()).toBeUndefined();
  });

  it('takes another remote on GitHub when origin is elsewhere, and applies insteadOf as git does', async () => {
    repo.git('remote', 'add', 'origin', 'https://gitlab.example/acme/queue.git');
    repo.git('remote', 'add', 'upstream', 'gh:upstream-org/queue');
    repo.git('config', 'url.git@github.com:.insteadOf', 'gh:');
    expect(await detect()).toMatchObject({ owner: 'upstream-org', name: 'queue' });
  });

  it('prefers GITHUB_OWNER and GITHUB_REPO to the remotes', async () => {
    repo.git('remote', 'add', 'origin', 'git@github.com:acme/queue.git');
    expect(await detect({ owner: 'fork-owner', repo: 'queue-fork' })).toMatchObject({ owner: 'fork-owner', name: 'queue-fork' });
  });

  it('finds a GitHub Enterprise repository on the host of GITHUB_API_URL, and links to that host', async () => {
    repo.git('remote', 'add', 'origin', 'git@ghe.example.com:platform/billing.git');
    expect(await detect()).toBeUndefined(); // github.com is the default: an Enterprise host needs its API URL
    const found = await detect({ apiUrl: 'https://ghe.example.com/api/v3' });
    expect(found).toEqual({ owner: 'platform', name: 'billing', webUrl: 'https://ghe.example.com', apiUrl: 'https://ghe.example.com/api/v3' });
    expect(pullRequestUrl(found!, 7)).toBe('https://ghe.example.com/platform/billing/pull/7');
  });
});

describe('GITHUB_API_URL', () => {
  it('takes an http or https URL and refuses anything else by name', () => {
    expect(settingsFromEnv({}).githubApiUrl).toBe('https://api.github.com');
    expect(settingsFromEnv({ GITHUB_API_URL: 'https://ghe.example.com/api/v3/' }).githubApiUrl).toBe('https://ghe.example.com/api/v3');
    for (const bad of ['ghe.example.com', 'file:///etc/passwd', 'https://user:secret@ghe.example.com/api/v3', 'https://ghe.example.com/api/v3?x=1']) {
      expect(() => settingsFromEnv({ GITHUB_API_URL: bad }), bad).toThrow(SettingError);
      expect(() => settingsFromEnv({ GITHUB_API_URL: bad }), bad).toThrow(/^GITHUB_API_URL must be an http or https URL/);
    }
  });
});

describe('the GitHub token', () => {
  const gh = requireProgram('gh', 'apt-get install gh', 'the tests of the token from the gh CLI');
  let home: string;
  const savedConfig = process.env.GH_CONFIG_DIR;
  beforeAll(() => {
    home = mkdtempSync(path.join(tmpdir(), 'ail-gh-'));
    mkdirSync(path.join(home, 'gh'));
    writeFileSync(path.join(home, 'gh', 'hosts.yml'), 'github.com:\n    oauth_token: gho_fromTheGhCli\n    user: grace\nghe.example.com:\n    oauth_token: gho_enterpriseHost\n    user: grace\n');
    process.env.GH_CONFIG_DIR = path.join(home, 'gh');
  });
  afterAll(() => {
    if (savedConfig === undefined) delete process.env.GH_CONFIG_DIR;
    else process.env.GH_CONFIG_DIR = savedConfig;
    rmSync(home, { recursive: true, force: true });
  });

  it("is the client's, else GITHUB_TOKEN, and can change while the server runs", async () => {
    const tokens = new GitHubTokens('ghp_fromEnvironment', false);
    expect(await tokens.token()).toEqual({ value: 'ghp_fromEnvironment', source: 'environment' });
    tokens.setFromClient('ghp_fromSecretStorage');
    expect(await tokens.token()).toEqual({ value: 'ghp_fromSecretStorage', source: 'client' });
    tokens.setFromClient(undefined);
    expect(await tokens.token()).toEqual({ value: 'ghp_fromEnvironment', source: 'environment' });
    expect(await new GitHubTokens(undefined, false).token()).toBeUndefined();
  });

  it.skipIf(!gh.found)('is the gh CLI login for that host when nothing else is set', async () => {
    const tokens = new GitHubTokens(undefined, 'gh');
    expect(await tokens.token('github.com')).toEqual({ value: 'gho_fromTheGhCli', source: 'gh' });
    expect(await tokens.token('ghe.example.com')).toEqual({ value: 'gho_enterpriseHost', source: 'gh' });
    expect(await tokens.token('unknown.example')).toBeUndefined();
    tokens.setFromClient('ghp_fromSecretStorage');
    expect((await tokens.token('github.com'))?.source).toBe('client');
  });

  it('is none, without an error, when gh is not installed', async () => {
    expect(await new GitHubTokens(undefined, path.join(home, 'no-such-gh')).token()).toBeUndefined();
  });
});
