import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { benchGitHub } from '../server/github/bench';
import { runCli } from './helpers/cli';
import { benchScenario, FakeGitHub } from './helpers/fake-github';

const REPO = { owner: 'ail-dev', name: 'ail' };

/** 16 commits whose pull request was merged and closed its issue, 4 whose pull request is still open. */
const history = (fake: FakeGitHub): string[] => benchScenario(fake, REPO, 20);

describe('what GitHub costs a question (the bench)', () => {
  let fake: FakeGitHub;
  let dir: string;

  beforeEach(async () => {
    fake = await FakeGitHub.start();
    dir = mkdtempSync(path.join(tmpdir(), 'ail-github-bench-'));
  });

  afterEach(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts the requests of cold, warm and stale look-up sets, as the fake saw them', async () => {
    const commits = history(fake);
    const bench = await benchGitHub({ baseUrl: fake.baseUrl, repo: REPO, commits, cacheDir: path.join(dir, 'github'), token: 'ghp_benchTokenNotARealOne000000000000000' });
    // Cold: the commit's pulls, then its review comments, reviews and closed issue: four per commit.
    expect(bench.cold).toMatchObject({ sets: 20, requests: 80, requestsPerSet: 4, notModified: 0, servedFromDisk: 0 });
    // Warm: another process within the freshness window asks GitHub nothing.
    expect(bench.warm).toMatchObject({ requests: 0, servedFromDisk: 1 });
    // Later: merged pulls and closed issues from the disk; discussions and open work asked again, all 304.
    expect(bench.later).toMatchObject({ requests: 48, notModified: 48, servedFromDisk: 32 / 80 });
    expect(fake.requests).toHaveLength(80 + 48);
    expect(fake.requests.slice(80).every((r) => typeof r.headers['if-none-match'] === 'string')).toBe(true);
  });
});

describe('ail bench --github', () => {
  it('prints what GitHub costs a question: requests per evidence commit, the share the disk serves a second server, the 304s of a later run', async () => {
    const result = await runCli(['bench', '--github', '--json'], { cwd: tmpdir() });
    expect(result.code, result.stderr).toBe(0);
    const figures = JSON.parse(result.stdout) as { latencyMs: number; cold: { requestsPerSet: number; servedFromDisk: number }; warm: { requests: number; servedFromDisk: number }; later: { requests: number; notModified: number } };
    expect(figures.latencyMs).toBe(50);
    expect(figures.cold).toMatchObject({ requestsPerSet: 4, servedFromDisk: 0 });
    expect(figures.warm).toMatchObject({ requests: 0, servedFromDisk: 1 });
    expect(figures.later.requests).toBeGreaterThan(0);
    expect(figures.later.notModified).toBe(figures.later.requests);
  });
});
