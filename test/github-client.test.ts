import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeRate, type RateState } from '../server/github/budget';
import { GitHubClient, type GitHubClientOptions } from '../server/github/client';
import { clock, failureOfNetwork, type GitHubResult } from '../server/github/failure';
import { FakeGitHub, errorBody, issueBody, pullRequestBody, replies, user, type ReviewCommentShape } from './helpers/fake-github';

const REPO = { owner: 'ail-dev', name: 'ail' };
const SHA = '3f786850e387550fdab836ed7e6dc881de23001b';
const TOKEN = 'ghp_R3alLookingT0kenThatMustNeverLeak0042';
const UPLOAD_HUNK = '@@ -10,6 +10,9 @@ export async function upload(file: Blob) {\n   const socket = await connect();\n+  // The CDN closes idle sockets after 30 s.\n+  socket.setKeepAlive(true, 10_000);\n+  await retry(() => socket.send(file), 3);';

let fake: FakeGitHub;
let dir: string;
const clients: GitHubClient[] = [];

beforeEach(async () => {
  fake = await FakeGitHub.start();
  dir = mkdtempSync(path.join(tmpdir(), 'ail-github-'));
});

afterEach(async () => {
  clients.length = 0;
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

function client(options: Partial<GitHubClientOptions> = {}): GitHubClient {
  const created = new GitHubClient({ baseUrl: fake.baseUrl, token: async () => TOKEN, cacheDir: path.join(dir, 'github'), ...options });
  clients.push(created);
  return created;
}

function value<T>(result: GitHubResult<T>): T {
  if (!result.ok) throw new Error(`expected an answer, got ${result.failure.kind}: ${result.failure.message}`);
  return result.value;
}

function failure<T>(result: GitHubResult<T>) {
  if (result.ok) throw new Error(`expected a failure, got an answer from ${result.source}`);
  return result.failure;
}

/** Every file under the cache folder, with its text. */
function cacheFiles(): { file: string; text: string }[] {
  const root = path.join(dir, 'github');
  const out: { file: string; text: string }[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push({ file: full, text: readFileSync(full, 'utf8') });
    }
  };
  try {
    walk(root);
  } catch {
    // no cache folder yet
  }
  return out;
}

/** Resolves when the client's rate state satisfies the condition (it reports every change). */
function stateWhere(condition: (state: RateState) => boolean): { options: Partial<GitHubClientOptions>; reached: Promise<void> } {
  let resolve!: () => void;
  const reached = new Promise<void>((done) => (resolve = done));
  return { options: { onRateChange: (state) => condition(state) && resolve() }, reached };
}

const uploadComments: ReviewCommentShape[] = [
  { id: 101, path: 'src/upload.ts', line: 14, startLine: 12, diffHunk: UPLOAD_HUNK, body: 'Why 10 s and not 30? The CDN closes at 30, so 10 leaves room for two probes.', author: user('mona') },
  { id: 102, path: 'docs/upload.md', line: 3, body: 'Typo: "recieve".', author: user('hubot') },
  { id: 103, path: 'src/upload.ts', line: 14, diffHunk: UPLOAD_HUNK, body: 'Coverage: 87% of the diff is covered.', author: user('codecov[bot]', 'Bot') },
];

describe('answers, in GitHub\'s own shapes', () => {
  it('finds the pull request that merged a commit: title, body, state, author, merge time and link', async () => {
    fake.commit(REPO, SHA, [{ number: 42, title: 'Retry the upload when the socket closes', body: 'The CDN drops idle sockets after 30 s.\n\nFixes #7', author: user('mona') }]);
    const pulls = value(await client().pullRequestsForCommit(REPO, SHA));
    expect(pulls).toHaveLength(1);
    expect(pulls[0]).toMatchObject({
      number: 42,
      title: 'Retry the upload when the socket closes',
      body: 'The CDN drops idle sockets after 30 s.\n\nFixes #7',
      state: 'closed',
      mergedAt: '2011-01-26T19:01:12Z',
      user: { login: 'mona', type: 'User', bot: false },
      htmlUrl: 'https://github.com/ail-dev/ail/pull/42',
      baseRef: 'master',
    });
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /repos/ail-dev/ail/commits/${SHA}/pulls`]);
    expect(fake.requests[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('reads a pull request, its review comments (on the lines, elsewhere, a bot\'s) and its reviews', async () => {
    fake.pullRequest(REPO, { number: 42, title: 'Retry the upload', mergedAt: null, state: 'open' }, {
      comments: uploadComments,
      reviews: [{ id: 9, state: 'APPROVED', body: 'Keep-alive at a third of the CDN timeout is what the runbook says.', author: user('octocat') }],
    });
    const github = client();
    const pull = value(await github.pullRequest(REPO, 42));
    expect(pull).toMatchObject({ number: 42, state: 'open', draft: false, htmlUrl: 'https://github.com/ail-dev/ail/pull/42' });
    expect(pull.mergedAt).toBeUndefined();

    const comments = value(await github.reviewComments(REPO, 42));
    expect(comments.complete).toBe(true);
    expect(comments.items.map((c) => [c.id, c.path, c.startLine, c.line, c.side, c.user?.login, c.user?.bot])).toEqual([
      [101, 'src/upload.ts', 12, 14, 'RIGHT', 'mona', false],
      [102, 'docs/upload.md', undefined, 3, 'RIGHT', 'hubot', false],
      [103, 'src/upload.ts', undefined, 14, 'RIGHT', 'codecov[bot]', true],
    ]);
    expect(comments.items[0]).toMatchObject({ diffHunk: UPLOAD_HUNK, body: uploadComments[0]!.body, commitId: '6dcb09b5b57875f334f61aebed695e2e4193db5e', htmlUrl: 'https://github.com/ail-dev/ail/pull/42#discussion_r101' });

    const reviews = value(await github.reviews(REPO, 42));
    expect(reviews.items).toEqual([
      expect.objectContaining({ id: 9, state: 'APPROVED', body: 'Keep-alive at a third of the CDN timeout is what the runbook says.', user: { login: 'octocat', type: 'User', bot: false } }),
    ]);
    expect(fake.requests.find((r) => r.path.endsWith('/comments'))!.query).toMatchObject({ per_page: '100', page: '1' });
  });

  it('reads the issues a pull request closes, and tells an issue from a pull request', async () => {
    fake.issue(REPO, { number: 7, title: 'Uploads fail after 30 s idle', state: 'closed' });
    fake.issue(REPO, { number: 42, title: 'Retry the upload', state: 'open', pullRequest: true });
    const github = client();
    expect(value(await github.issue(REPO, 7))).toMatchObject({ number: 7, title: 'Uploads fail after 30 s idle', state: 'closed', stateReason: 'completed', isPullRequest: false, htmlUrl: 'https://github.com/ail-dev/ail/issues/7' });
    expect(value(await github.issue(REPO, 42))).toMatchObject({ number: 42, isPullRequest: true });
  });

  it('pages a long discussion, up to its bound', async () => {
    const many = Array.from({ length: 250 }, (_, i): ReviewCommentShape => ({ id: 1000 + i, path: 'src/upload.ts', line: 1 + (i % 40), body: `comment ${i}` }));
    fake.pullRequest(REPO, { number: 5, title: 'A long review' }, { comments: many });
    const bounded = value(await client({ maxPages: 2 }).reviewComments(REPO, 5));
    expect(bounded.items.map((c) => c.id)).toEqual(many.slice(0, 200).map((c) => c.id));
    expect(bounded.complete).toBe(false);
    expect(fake.requests.map((r) => r.query.page)).toEqual(['1', '2']);

    rmSync(dir, { recursive: true, force: true });
    const whole = value(await client({ maxPages: 3 }).reviewComments(REPO, 5));
    expect(whole.items).toHaveLength(250);
    expect(whole.complete).toBe(true);
  });

  it('asks GitHub Enterprise Server at its /api/v3', async () => {
    await fake.close();
    fake = await FakeGitHub.start({ prefix: '/api/v3' });
    fake.issue(REPO, { number: 7, title: 'Uploads fail after 30 s idle', state: 'closed' });
    expect(value(await client({ baseUrl: `${fake.baseUrl}/` }).issue(REPO, 7)).title).toBe('Uploads fail after 30 s idle');
    expect(fake.requests.map((r) => r.path)).toEqual(['/repos/ail-dev/ail/issues/7']);
  });

  it('answers a malformed response as github-unavailable, not as data', async () => {
    fake.on('/repos/ail-dev/ail/pulls/3', { body: { message: 'this is not a pull request' } });
    expect(failure(await client().pullRequest(REPO, 3)).kind).toBe('github-unavailable');
    expect(cacheFiles()).toEqual([]);
  });
});

describe('the token, asked for every request', () => {
  it('sends the token the provider has now, and none when it has none', async () => {
    let token: string | undefined = 'ghp_firstTokenOfTheSession00000000000000';
    fake.issue(REPO, { number: 1, title: 'one', state: 'open' }).issue(REPO, { number: 2, title: 'two', state: 'open' }).issue(REPO, { number: 3, title: 'three', state: 'open' });
    const github = client({ token: async () => token });
    value(await github.issue(REPO, 1));
    token = 'ghp_secondTokenSetWhileRunning0000000000';
    value(await github.issue(REPO, 2));
    token = undefined;
    value(await github.issue(REPO, 3));
    expect(fake.requests.map((r) => r.headers.authorization)).toEqual(['Bearer ghp_firstTokenOfTheSession00000000000000', 'Bearer ghp_secondTokenSetWhileRunning0000000000', undefined]);
  });

  it('asks without a token when the provider fails', async () => {
    fake.issue(REPO, { number: 1, title: 'one', state: 'open' });
    const lines: string[] = [];
    const github = client({ token: () => Promise.reject(new Error('gh: not logged in')), log: (line) => lines.push(line) });
    expect(value(await github.issue(REPO, 1)).title).toBe('one');
    expect(fake.requests[0]!.headers.authorization).toBeUndefined();
    expect(lines).toEqual(['GitHub: the token could not be read; asking without one']);
  });
});

describe('the disk cache', () => {
  it('answers a look-up it holds from disk, with no request', async () => {
    fake.pullRequest(REPO, { number: 42, title: 'Retry the upload', mergedAt: null, state: 'open' });
    const github = client();
    expect((await github.pullRequest(REPO, 42)).ok).toBe(true);
    const again = await github.pullRequest(REPO, 42);
    expect(again.ok && again.source).toBe('cache');
    expect(value(again).title).toBe('Retry the upload');
    expect(fake.requests).toHaveLength(1);
    expect(github.rateState()).toMatchObject({ sent: 1, cacheHits: 1 });
  });

  it('asks again with If-None-Match once an answer may have changed; the 304 costs no rate budget', async () => {
    fake.pullRequest(REPO, { number: 42, title: 'Retry the upload', mergedAt: null, state: 'open' });
    const github = client({ freshMs: 0 });
    value(await github.pullRequest(REPO, 42));
    const etag = fake.requests[0]!.headers['if-none-match'];
    expect(etag).toBeUndefined();
    const left = fake.rate(TOKEN).remaining;

    const again = await github.pullRequest(REPO, 42);
    expect(again.ok && again.source).toBe('revalidated');
    expect(value(again).title).toBe('Retry the upload');
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1]!.headers['if-none-match']).toMatch(/^W\/"[0-9a-f]{40}"$/);
    expect(fake.rate(TOKEN).remaining).toBe(left);
    expect(github.rateState()).toMatchObject({ sent: 2, spent: 1, notModified: 1, remaining: left });
  });

  it('serves merged pull requests, closed issues and a merged commit\'s pulls from disk for good, to a new client too', async () => {
    fake.commit(REPO, SHA, [{ number: 42, title: 'Retry the upload' }]);
    fake.pullRequest(REPO, { number: 42, title: 'Retry the upload' });
    fake.issue(REPO, { number: 7, title: 'Uploads fail after 30 s idle', state: 'closed' });
    fake.pullRequest(REPO, { number: 43, title: 'Still open', mergedAt: null, state: 'open' });
    const first = client();
    for (const result of [await first.pullRequestsForCommit(REPO, SHA), await first.pullRequest(REPO, 42), await first.issue(REPO, 7), await first.pullRequest(REPO, 43)]) {
      expect(result.ok && result.source).toBe('network');
    }
    expect(fake.requests).toHaveLength(4);

    // Another process, long after: nothing stored is fresh any more, but what cannot change needs no asking.
    const second = client({ freshMs: 0 });
    for (const result of [await second.pullRequestsForCommit(REPO, SHA), await second.pullRequest(REPO, 42), await second.issue(REPO, 7)]) {
      expect(result.ok && result.source).toBe('cache');
    }
    expect(fake.requests).toHaveLength(4);
    const open = await second.pullRequest(REPO, 43);
    expect(open.ok && open.source).toBe('revalidated');
    expect(fake.requests).toHaveLength(5);
  });

  it('takes a damaged cache file for a miss, never an error', async () => {
    fake.issue(REPO, { number: 7, title: 'Uploads fail after 30 s idle', state: 'closed' });
    fake.issue(REPO, { number: 8, title: 'Retries hide real failures', state: 'closed' });
    fake.issue(REPO, { number: 9, title: 'Upload size limit', state: 'closed' });
    const first = client();
    for (const number of [7, 8, 9]) value(await first.issue(REPO, number));
    const files = cacheFiles().sort((a, b) => a.file.localeCompare(b.file));
    expect(files).toHaveLength(3);
    // Cut short (a crash mid-write on a file system without atomic rename), not JSON at all, and another entry's content.
    writeFileSync(files[0]!.file, files[0]!.text.slice(0, 40));
    writeFileSync(files[1]!.file, Buffer.from([0xff, 0xfe, 0x00, 0x13]));
    writeFileSync(files[2]!.file, files[0]!.text);

    const lines: string[] = [];
    const second = client({ log: (line) => lines.push(line) });
    for (const number of [7, 8, 9]) {
      const result = await second.issue(REPO, number);
      expect(result.ok && result.source).toBe('network');
    }
    expect(fake.requests).toHaveLength(6);
    expect(lines.filter((line) => line.includes('damaged'))).toHaveLength(3);
    // And written whole again.
    const third = client();
    for (const number of [7, 8, 9]) expect((await third.issue(REPO, number)).ok).toBe(true);
    expect(fake.requests).toHaveLength(6);
  });

  it('stays under its size bound, least recently used out first, and leaves no temporary file', async () => {
    for (let number = 1; number <= 40; number++) fake.issue(REPO, { number, title: `Issue ${number}`, body: 'x'.repeat(400), state: 'closed' });
    const github = client({ cacheMaxBytes: 8 * 1024 });
    for (let number = 1; number <= 40; number++) value(await github.issue(REPO, number));
    const files = cacheFiles();
    const bytes = files.reduce((sum, f) => sum + statSync(f.file).size, 0);
    expect(bytes).toBeLessThanOrEqual(8 * 1024);
    expect(files.length).toBeGreaterThan(5);
    expect(files.filter((f) => f.file.endsWith('.tmp'))).toEqual([]);
    // The newest are the ones kept: issue 40 needs no request, issue 1 does.
    const before = fake.requests.length;
    expect((await github.issue(REPO, 40)).ok && fake.requests.length).toBe(before);
    value(await github.issue(REPO, 1));
    expect(fake.requests.length).toBe(before + 1);
  });

  it('keeps the validators and GitHub\'s fields, never the token or a request header', async () => {
    fake.commit(REPO, SHA, [{ number: 42, title: 'Retry the upload' }]);
    fake.pullRequest(REPO, { number: 42, title: 'Retry the upload' }, { comments: uploadComments, reviews: [{ id: 9, state: 'APPROVED', body: 'LGTM' }] });
    const github = client({ freshMs: 0 });
    value(await github.pullRequestsForCommit(REPO, SHA));
    value(await github.pullRequest(REPO, 42));
    value(await github.reviewComments(REPO, 42));
    value(await github.reviews(REPO, 42));
    value(await github.reviews(REPO, 42));
    const files = cacheFiles();
    expect(files).toHaveLength(4);
    for (const { text } of files) {
      expect(text).not.toContain(TOKEN);
      expect(text.toLowerCase()).not.toMatch(/authorization|bearer|x-ratelimit/);
      const entry = JSON.parse(text);
      expect(Object.keys(entry).sort()).toEqual(['data', 'etag', 'immutable', 'key', 'next', 'storedAt', 'v']);
    }
    // Only what AIL reads of a pull request: not its repositories, links or reviewers.
    const pull = files.map((f) => JSON.parse(f.text)).find((entry) => entry.key.endsWith(' pull-42'));
    expect(Object.keys(pull.data).sort()).toEqual(['base', 'body', 'closed_at', 'created_at', 'draft', 'html_url', 'merge_commit_sha', 'merged_at', 'merged_by', 'number', 'state', 'title', 'user']);
  });
});

describe('the rate budget', () => {
  it('keeps the last requests for interactive questions: background work stops at the reserve', async () => {
    for (let number = 1; number <= 5; number++) fake.issue(REPO, { number, title: `Issue ${number}`, state: 'open' });
    const github = client();
    // A token's budget is 5,000 an hour; the reserve is a tenth of it.
    fake.rate(TOKEN).remaining = 502;
    value(await github.issue(REPO, 1, { priority: 'interactive' }));
    expect(github.rateState()).toMatchObject({ limit: 5000, remaining: 501, reserve: 500 });
    value(await github.issue(REPO, 2, { priority: 'background' }));
    const refused = failure(await github.issue(REPO, 3, { priority: 'background' }));
    expect(refused.kind).toBe('github-rate-limited');
    expect(refused.message).toBe(`GitHub's last 500 requests until ${clock(fake.rate(TOKEN).reset * 1000)} are kept for questions`);
    expect(fake.requests).toHaveLength(2);
    expect(value(await github.issue(REPO, 3, { priority: 'interactive' })).number).toBe(3);
    expect(fake.requests).toHaveLength(3);
  });

  it('has at most maxInFlight requests at GitHub; the rest queue, interactive ones first', async () => {
    for (let number = 1; number <= 7; number++) fake.issue(REPO, { number, title: `Issue ${number}`, state: 'open' });
    const queued = stateWhere((state) => state.queued === 5);
    const github = client({ maxInFlight: 2, ...queued.options });
    const release = fake.hold();
    const background = [1, 2, 3, 4, 5, 6].map((number) => github.issue(REPO, number, { priority: 'background' }));
    await fake.received(2);
    const interactive = github.issue(REPO, 7, { priority: 'interactive' });
    // Unbounded, all seven would reach GitHub.
    await Promise.race([queued.reached, fake.received(7)]);
    expect(fake.requests).toHaveLength(2);
    expect(fake.pending).toBe(2);
    release();
    for (const result of await Promise.all([...background, interactive])) expect(result.ok).toBe(true);
    expect(fake.maxPending).toBe(2);
    // The question asked last went to GitHub before the background work queued ahead of it.
    expect(fake.requests[2]!.path).toBe('/repos/ail-dev/ail/issues/7');
  });

  it('shares one request among concurrent look-ups of the same thing', async () => {
    fake.pullRequest(REPO, { number: 42, title: 'Retry the upload' });
    const github = client();
    const release = fake.hold();
    const both = [github.pullRequest(REPO, 42), github.pullRequest(REPO, 42, { priority: 'background' })];
    await fake.received(1);
    release();
    for (const result of await Promise.all(both)) expect(value(result).number).toBe(42);
    expect(fake.requests).toHaveLength(1);
  });

  it('sends nothing while the budget is used up, says until when, and asks again after the reset', async () => {
    let now = Date.now();
    const reset = Math.floor(now / 1000) + 25 * 60;
    fake.on('/repos/ail-dev/ail/issues/1', replies.rateLimited(reset), { body: {} });
    fake.issue(REPO, { number: 2, title: 'Two', state: 'open' });
    const github = client({ now: () => now });
    const limited = failure(await github.issue(REPO, 1));
    expect(limited).toMatchObject({ kind: 'github-rate-limited', status: 403, until: reset * 1000 });
    expect(describeRate(github.rateState())).toBe(`GitHub: rate limited until ${clock(reset * 1000)}`);
    // Nothing else goes to GitHub meanwhile, interactive or not.
    expect(failure(await github.issue(REPO, 2)).kind).toBe('github-rate-limited');
    expect(fake.requests).toHaveLength(1);
    now = reset * 1000 + 1;
    expect(describeRate(github.rateState())).toBeUndefined();
    expect(value(await github.issue(REPO, 2)).title).toBe('Two');
    expect(fake.requests).toHaveLength(2);
  });

  it('waits as long as retry-after says (429), for every request', async () => {
    let now = Date.now();
    fake.on('/repos/ail-dev/ail/issues/1', replies.tooManyRequests(120));
    fake.issue(REPO, { number: 2, title: 'Two', state: 'open' });
    const github = client({ now: () => now });
    expect(failure(await github.issue(REPO, 1))).toMatchObject({ kind: 'github-rate-limited', status: 429, until: now + 120_000 });
    now += 119_000;
    expect(failure(await github.issue(REPO, 2)).kind).toBe('github-rate-limited');
    expect(fake.requests).toHaveLength(1);
    now += 2_000;
    expect(value(await github.issue(REPO, 2)).title).toBe('Two');
  });

  it('backs off a minute after a secondary limit that names no time, then twice as long', async () => {
    let now = Date.now();
    fake.on('/repos/ail-dev/ail/issues/1', replies.secondary(), replies.secondary(), { body: {} });
    const github = client({ now: () => now });
    expect(failure(await github.issue(REPO, 1))).toMatchObject({ kind: 'github-rate-limited', until: now + 60_000 });
    now += 61_000;
    expect(failure(await github.issue(REPO, 1))).toMatchObject({ kind: 'github-rate-limited', until: now + 120_000 });
    expect(fake.requests).toHaveLength(2);
  });

  it('keeps a budget per token: a new token is not held back by the old one\'s limit', async () => {
    let token = 'ghp_oldTokenWhoseBudgetIsGone000000000000';
    const reset = Math.floor(Date.now() / 1000) + 3600;
    fake.on('/repos/ail-dev/ail/issues/1', replies.rateLimited(reset), { body: {} });
    fake.issue(REPO, { number: 2, title: 'Two', state: 'open' });
    const github = client({ token: async () => token });
    expect(failure(await github.issue(REPO, 1)).kind).toBe('github-rate-limited');
    token = 'ghp_newTokenWithAFullBudget0000000000000';
    expect(value(await github.issue(REPO, 2)).title).toBe('Two');
  });
});

describe('failures, classified', () => {
  const cases: { name: string; reply: () => Parameters<FakeGitHub['on']>[1]; kind: string; status?: number }[] = [
    { name: '401 Bad credentials', reply: replies.badCredentials, kind: 'github-auth', status: 401 },
    { name: '403 without a limit (SSO, scope)', reply: replies.forbidden, kind: 'github-auth', status: 403 },
    { name: '403 with the budget used up', reply: () => replies.rateLimited(Math.floor(Date.now() / 1000) + 600), kind: 'github-rate-limited', status: 403 },
    { name: '403 secondary limit with retry-after', reply: () => replies.secondary(30), kind: 'github-rate-limited', status: 403 },
    { name: '429 with retry-after', reply: () => replies.tooManyRequests(30), kind: 'github-rate-limited', status: 429 },
    { name: '404', reply: replies.notFound, kind: 'not-found', status: 404 },
    { name: '500', reply: replies.serverError, kind: 'github-unavailable', status: 500 },
    { name: '502 from the load balancer (HTML)', reply: () => ({ status: 502, headers: { 'content-type': 'text/html' }, body: '<html>Bad gateway</html>' }), kind: 'github-unavailable', status: 502 },
  ];
  for (const { name, reply, kind, status } of cases) {
    it(`${name} is ${kind}`, async () => {
      fake.on('/repos/ail-dev/ail/pulls/42', reply());
      const found = failure(await client().pullRequest(REPO, 42));
      expect(found).toMatchObject({ kind, status });
      expect(found.message).toContain(String(status));
      expect(found.message).not.toContain(TOKEN);
    });
  }

  it('a GitHub that refuses connections is github-unavailable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const found = failure(await client({ baseUrl: `http://127.0.0.1:${port}` }).pullRequest(REPO, 42));
    expect(found.kind).toBe('github-unavailable');
    expect(found.message).toBe('GitHub could not be reached for pull request #42 of ail-dev/ail (ECONNREFUSED)');
  });

  it('a failed DNS look-up is github-unavailable, named as such', () => {
    // What Node's fetch (undici) throws when getaddrinfo fails; no test here may send a DNS query.
    const dns = Object.assign(new Error('getaddrinfo ENOTFOUND api.github.com'), { code: 'ENOTFOUND', hostname: 'api.github.com', syscall: 'getaddrinfo' });
    const fetchFailed = new TypeError('fetch failed', { cause: dns });
    expect(failureOfNetwork(fetchFailed, 'issue #7 of ail-dev/ail')).toEqual({ kind: 'github-unavailable', message: 'GitHub could not be reached for issue #7 of ail-dev/ail (DNS ENOTFOUND for api.github.com)' });
  });

  for (const stall of ['headers', 'body'] as const) {
    it(`a response that stalls (${stall === 'headers' ? 'no answer at all' : 'half a body'}) is cut at the call's deadline and the connection dropped`, async () => {
      fake.on('/repos/ail-dev/ail/pulls/42', { body: { number: 42 }, stall });
      const found = failure(await client().pullRequest(REPO, 42, { timeoutMs: 300 }));
      expect(found).toEqual({ kind: 'github-unavailable', message: 'GitHub did not answer within 300 ms for pull request #42 of ail-dev/ail' });
      await fake.quiet();
      expect(fake.requests[0]!.abandoned).toBe(true);
    }, 10_000);
  }

  it('a caller that cancels gets cancelled, and the request is dropped', async () => {
    fake.on('/repos/ail-dev/ail/pulls/42', { stall: 'headers' });
    const controller = new AbortController();
    const pending = client().pullRequest(REPO, 42, { signal: controller.signal });
    await fake.received(1);
    controller.abort();
    expect(failure(await pending).kind).toBe('cancelled');
    await fake.quiet();
    expect(fake.requests[0]!.abandoned).toBe(true);
  }, 10_000);

  it('serves a stored answer GitHub cannot confirm, marked stale with the reason', async () => {
    fake.on('/repos/ail-dev/ail/issues/8', { body: issueBody(REPO, { number: 8, title: 'Open question', state: 'open' }) }, replies.serverError());
    const github = client({ freshMs: 0 });
    value(await github.issue(REPO, 8));
    const again = await github.issue(REPO, 8);
    expect(again).toMatchObject({ ok: true, source: 'stale', failure: { kind: 'github-unavailable', status: 500 } });
    expect(value(again).title).toBe('Open question');
  });

  it('never lets the token into an error, a log line or a cached file, even when GitHub echoes it', async () => {
    fake.on('/repos/ail-dev/ail/pulls/1', replies.badCredentials());
    fake.on('/repos/ail-dev/ail/pulls/2', { status: 400, body: errorBody(400, `Problems parsing header: Authorization: Bearer ${TOKEN}`, '') });
    fake.on('/repos/ail-dev/ail/pulls/3', { stall: 'headers' });
    fake.on('/repos/ail-dev/ail/pulls/4', replies.serverError());
    fake.on('/repos/ail-dev/ail/pulls/5', { status: 200, body: { message: `token ${TOKEN} is not a pull request` } });
    fake.pullRequest(REPO, { number: 6, title: 'Fine' });
    fake.on('/repos/ail-dev/ail/pulls/7', { status: 200, headers: { deprecation: 'true', sunset: `Tue, 1 Jan 2030 00:00:00 GMT ${TOKEN}` }, body: pullRequestBody(REPO, { number: 7, title: 'Deprecated' }) });
    const lines: string[] = [];
    const github = client({ log: (line) => lines.push(line), timeoutMs: 300 });
    const said: string[] = [];
    for (let number = 1; number <= 7; number++) {
      const result = await github.pullRequest(REPO, number);
      said.push(result.ok ? JSON.stringify(result) : result.failure.message);
    }
    expect(fake.requests.every((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(said[1]).toContain('Authorization: Bearer [token]');
    expect(lines.some((line) => line.includes('deprecated'))).toBe(true);
    for (const text of [...said, ...lines, ...cacheFiles().map((f) => f.text)]) expect(text).not.toContain(TOKEN);
  }, 10_000);
});

describe('what is never asked', () => {
  it('a repository name from a remote that would leave /repos/, a bad number or sha: not found, with no request', async () => {
    fake.on('/user/pulls/1', { body: { number: 1 } });
    const github = client();
    const asked: GitHubResult<unknown>[] = [
      await github.pullRequest({ owner: '..', name: 'user' }, 1),
      await github.issue({ owner: 'ail-dev', name: '..' }, 1),
      await github.reviews({ owner: 'ail dev', name: 'ail' }, 1),
      await github.reviewComments(REPO, 0),
      await github.issue(REPO, 1.5),
      await github.pullRequestsForCommit(REPO, 'HEAD~1'),
    ];
    for (const result of asked) expect(failure(result).kind).toBe('not-found');
    expect(fake.requests).toEqual([]);
  });
});
