import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { settingsFromEnv } from '../shared/settings';
import type { ArchaeologyContext } from '../shared/types';
import { Engine } from '../server/engine';
import { FakeGitHub, replies, user, type PullRequestShape, type Repo } from './helpers/fake-github';
import { BOB, Fixture } from './helpers/fixture';

/**
 * The answer with GitHub: the engine as the language server and the CLI build it, on a real repository
 * whose remote is a fake GitHub on 127.0.0.1 serving GitHub's documented response shapes.
 */

const TOKEN = 'ghp_answersTokenThatMustNotLeak0123456789';
const REPO: Repo = { owner: 'acme', name: 'queue' };
const QUESTION = 'Why is the queue bounded?';
const BOUND_LINE = '    if (this.items.length >= MAX_ITEMS) throw new QueueFull(MAX_ITEMS);';

const source = (bounded: boolean) => [
  'export const MAX_ITEMS = 1000;',
  '',
  'export class Queue {',
  '  push(item: Job): void {',
  bounded ? BOUND_LINE : '    // unbounded',
  '    this.items.push(item);',
  '  }',
  '}',
];

function walk(root: string): string[] {
  return readdirSync(root).flatMap((name) => {
    const file = path.join(root, name);
    return statSync(file).isDirectory() ? walk(file) : [file];
  });
}

describe('answers with the pull request from GitHub', () => {
  let repo: Fixture;
  let fake: FakeGitHub;
  let dataDir: string;
  let bounded: string;
  let created: string;
  let engines: Engine[] = [];
  const logs: string[] = [];
  let pr: PullRequestShape;

  const engine = (env: Record<string, string> = {}): Engine => {
    const settings = settingsFromEnv({ GITHUB_API_URL: fake.baseUrl, GITHUB_TOKEN: TOKEN, AIL_DATA_DIR: dataDir, AIL_INDEX_ENABLED: 'false', AIL_COMMIT_GRAPH: 'false', ...env });
    const built = new Engine(settings, { gh: false, log: (line) => logs.push(line) });
    engines.push(built);
    return built;
  };
  const ask = (e: Engine, depth: 'quick' | 'full' = 'full'): Promise<ArchaeologyContext> =>
    e.ask({ path: repo.path('src/queue.ts'), lines: { start: 4, end: 4 }, question: depth === 'full' ? QUESTION : undefined, depth, timeLimitMs: 10_000 });

  beforeAll(async () => {
    fake = await FakeGitHub.start();
    repo = Fixture.create('ail-github-');
    dataDir = mkdtempSync(path.join(tmpdir(), 'ail-github-data-'));
    repo.git('remote', 'add', 'origin', `${fake.baseUrl}/${REPO.owner}/${REPO.name}.git`);
    created = repo.write('src/queue.ts', source(false)).commit('Add a job queue');
    repo.write('src/queue.ts', source(true));
    bounded = repo.commit('Bound the queue', BOB); // a message that says little: the PR says why
  });
  afterAll(async () => {
    await fake.close();
    repo.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await Promise.all(engines.map((e) => e.dispose()));
    engines = [];
    fake.on(`/repos/${REPO.owner}/${REPO.name}/commits/${bounded}/pulls`, { body: [] });
  });

  const serve = () => {
    pr = {
      number: 55,
      title: 'Bound the job queue at 1000 items',
      body: '<!-- describe your change -->\n## Why\nThe worker ran out of memory when producers outpaced it, because the queue grew without limit. Fixes #42\n\n## Checklist\n- [ ] docs',
      state: 'closed',
      mergedAt: '2021-01-03T12:00:00Z',
      author: user('bob'),
      mergeCommitSha: bounded,
    };
    fake.commit(REPO, bounded, [pr]);
    fake.commit(REPO, created, []); // pushed to main directly: GitHub answers an empty list
    fake.pullRequest(REPO, pr, {
      comments: [
        { id: 1, path: 'src/queue.ts', line: 5, body: 'Throwing here is right because callers must apply back-pressure, not drop jobs silently.', author: user('alan') },
        { id: 2, path: 'src/queue.ts', line: 5, body: 'Nice catch, you are right.', author: user('bob'), inReplyTo: 1 },
        { id: 3, path: 'src/worker.ts', line: 40, body: 'This is a different file entirely, because reasons of style.', author: user('alan'), diffHunk: '@@ -38,2 +38,2 @@\n+  run();' },
        { id: 4, path: 'src/queue.ts', line: 5, body: 'Consider adding a unit test because coverage dropped on this line.', author: user('codecov[bot]', 'Bot') },
      ],
      reviews: [
        { id: 10, state: 'APPROVED', body: 'Looks good; the limit matches what the worker can hold.', author: user('alan') },
        { id: 11, state: 'COMMENTED', body: 'Automated review: 3 files changed.', author: user('coderabbitai') },
      ],
    });
    fake.issue(REPO, { number: 42, title: 'Worker runs out of memory under load', state: 'closed' });
  };

  it('names the PR, quotes its decisive review sentence with its author, shows the review on these lines and the closed issue, and is more confident for it', async () => {
    serve();
    // The same repository as AIL answers it without GitHub (its remote is not on the GitHub configured).
    const gitOnly = await ask(engine({ GITHUB_API_URL: 'http://127.0.0.1:1' }));
    const answer = await ask(engine());
    const top = answer.evidence[0]!;
    expect(top.commit.sha).toBe(bounded);
    expect(top.pullRequest).toMatchObject({ number: 55, title: 'Bound the job queue at 1000 items', url: `https://github.com/${REPO.owner}/${REPO.name}/pull/55`, state: 'merged', author: 'bob', via: 'github' });
    expect(top.pullRequest!.body).toBe('## Why\nThe worker ran out of memory when producers outpaced it, because the queue grew without limit. Fixes #42');
    // The comment on line 5 and its reply; not the other file's, not the bot's.
    expect(top.pullRequest!.reviewComments?.map((c) => [c.author, c.body])).toEqual([
      ['alan', 'Throwing here is right because callers must apply back-pressure, not drop jobs silently.'],
      ['bob', 'Nice catch, you are right.'],
    ]);
    expect(top.pullRequest!.reviews?.map((r) => r.author)).toEqual(['alan']);
    expect(top.pullRequest!.reviewers).toEqual(['alan']);
    expect(top.pullRequest!.quote).toMatchObject({ author: 'alan', where: 'review-comment', text: 'Throwing here is right because callers must apply back-pressure, not drop jobs silently.' });
    expect(answer.summary).toContain('Reviewing #55, @alan wrote on these lines: “Throwing here is right because callers must apply back-pressure, not drop jobs silently.”');
    expect(top.issues).toContainEqual(expect.objectContaining({ number: 42, title: 'Worker runs out of memory under load' }));
    expect(answer.warnings).toEqual([]);
    expect(gitOnly.warnings).toEqual([]);
    expect(gitOnly.evidence[0]!.pullRequest).toBeUndefined();
    expect(answer.confidence).toBeGreaterThan(gitOnly.confidence);
  });

  it("gives a hover the PR's title and link only, and spends no request on its discussion", async () => {
    serve();
    const before = fake.requests.length;
    const e = engine({ AIL_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'ail-github-hover-')) });
    let hover = await ask(e, 'quick');
    // A hover gives GitHub a quarter second; what came later is there for the next one.
    if (hover.partial) hover = await ask(e, 'quick');
    expect(hover.evidence[0]!.pullRequest).toMatchObject({ number: 55, title: 'Bound the job queue at 1000 items', author: 'bob' });
    expect(hover.evidence[0]!.pullRequest!.reviewComments).toBeUndefined();
    const paths = fake.requests.slice(before).map((request) => request.path);
    expect(paths.every((p) => p.endsWith(`/commits/${bounded}/pulls`))).toBe(true);
  });

  it('asks GitHub nothing the disk cache holds: a second server answers the same with no request', async () => {
    serve();
    const first = await ask(engine());
    await Promise.all(engines.map((e) => e.dispose()));
    engines = [];
    const before = fake.requests.length;
    const second = await ask(engine());
    expect(second.evidence[0]!.pullRequest).toEqual(first.evidence[0]!.pullRequest);
    expect(second.summary).toBe(first.summary);
    expect(fake.requests.slice(before).map((r) => r.path)).toEqual([]);
  });

  it.each([
    ['a bad token (401)', replies.badCredentials(), 'github-auth'],
    ['a spent rate limit (403)', replies.rateLimited(Math.floor(Date.now() / 1000) + 600), 'github-rate-limited'],
    ['a secondary limit (429)', replies.tooManyRequests(120), 'github-rate-limited'],
    ['a server error (500)', replies.serverError(), 'github-unavailable'],
    ['a response that stalls past the time limit', { stall: 'headers' as const }, 'github-unavailable'],
  ])('answers from git alone, with a warning, after %s', async (_name, reply, warning) => {
    const sha = bounded;
    fake.on(`/repos/${REPO.owner}/${REPO.name}/commits/${sha}/pulls`, reply);
    const answer = await engine({ AIL_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'ail-github-fail-')), AIL_MAX_QUERY_TIME_S: '3' }).ask({ path: repo.path('src/queue.ts'), lines: { start: 4, end: 4 }, question: QUESTION, depth: 'full', timeLimitMs: 3000 });
    expect(answer.evidence[0]!.commit.sha).toBe(bounded);
    expect(answer.evidence[0]!.pullRequest).toBeUndefined();
    expect(answer.warnings).toContain(warning);
    expect(answer.summary).toContain('Bound the queue');
    if (warning === 'github-rate-limited') {
      // ail/stats (and the status bar) says until when.
      const limitedUntil = engines[engines.length - 1]!.stats().github?.limitedUntil;
      expect(limitedUntil).toBeDefined();
      expect(Date.parse(limitedUntil!)).toBeGreaterThan(Date.now());
    }
  });

  it('never lets the token into an answer, a log line or a cached file', async () => {
    serve();
    fake.on(`/repos/${REPO.owner}/${REPO.name}/issues/42`, replies.badCredentials());
    const before = fake.requests.length;
    const own = mkdtempSync(path.join(tmpdir(), 'ail-github-token-'));
    const answer = await ask(engine({ AIL_DATA_DIR: own }));
    expect(JSON.stringify(answer)).not.toContain(TOKEN);
    expect(logs.join('\n')).not.toContain(TOKEN);
    const cached = walk(own);
    expect(cached.some((file) => file.includes(`${path.sep}github${path.sep}`))).toBe(true);
    for (const file of cached) expect(readFileSync(file, 'utf8'), file).not.toContain(TOKEN);
    // The token did reach GitHub: the fake saw it on every request.
    expect(fake.requests.slice(before).map((request) => request.headers.authorization)).toEqual(expect.arrayContaining([`Bearer ${TOKEN}`]));
    expect(new Set(fake.requests.slice(before).map((request) => request.headers.authorization))).toEqual(new Set([`Bearer ${TOKEN}`]));
  });

  it('names a PR from the PR refs the clone fetched with GitHub gone, and says GitHub could not be reached', async () => {
    const gone = await FakeGitHub.start();
    await gone.close();
    const offline = Fixture.create('ail-github-offline-');
    try {
      offline.git('remote', 'add', 'origin', `${gone.baseUrl}/${REPO.owner}/${REPO.name}.git`);
      offline.write('src/queue.ts', source(false)).commit('Add a job queue');
      offline.git('checkout', '-q', '-b', 'bound');
      const head = offline.write('src/queue.ts', source(true)).commit('Bound the queue', BOB);
      offline.git('checkout', '-q', 'main');
      offline.gitCommitting(BOB, 'merge', '--no-ff', '-q', '-m', "Merge branch 'bound'", 'bound');
      offline.git('update-ref', 'refs/pull/7/head', head);
      const answer = await engine({ GITHUB_API_URL: gone.baseUrl, AIL_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'ail-github-offline-data-')) }).ask({
        path: offline.path('src/queue.ts'),
        lines: { start: 4, end: 4 },
        question: QUESTION,
        depth: 'full',
        timeLimitMs: 10_000,
      });
      expect(answer.evidence[0]!.commit.sha).toBe(head);
      expect(answer.evidence[0]!.pullRequest).toMatchObject({ number: 7, via: 'pull-ref' });
      expect(answer.warnings).toContain('github-unavailable');
    } finally {
      offline.cleanup();
    }
  });
});
