import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A GitHub REST API on 127.0.0.1 for tests: Octokit's `baseUrl` points at it. Its bodies are GitHub's
 * own documented examples (the `components.examples` of the OpenAPI description GitHub publishes, as
 * `@octokit/openapi` ships it), read from the package when a test starts and adapted (numbers, shas,
 * titles, users); its error bodies have the fields of the spec's `basic-error` and GitHub's wording.
 * Like GitHub it sends a weak ETag with every JSON body and answers a matching `If-None-Match` with a
 * 304 that spends no rate budget; it keeps a budget per token (and one without), sends the
 * `x-ratelimit-*` headers, pages lists with `Link` headers, and answers 401 for a token it does not
 * accept. Routes can be scripted with any reply, including one that never comes (a stall). Every
 * request is recorded: method, path, query and headers.
 */

/** The spec's examples by name (`pull-request`, `issue`, ...), parsed once per test process. */
let spec: { examples: Record<string, { value: unknown }>; schemas: Record<string, { properties?: Record<string, unknown> }> } | undefined;

function openapi(): NonNullable<typeof spec> {
  if (!spec) {
    const file = createRequire(__filename).resolve('@octokit/openapi/generated/api.github.com.json');
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { components: { examples: Record<string, { value: unknown }>; schemas: Record<string, { properties?: Record<string, unknown> }> } };
    spec = { examples: parsed.components.examples, schemas: parsed.components.schemas };
  }
  return spec;
}

/** A deep copy of one of GitHub's examples. */
export function example<T = Record<string, unknown>>(name: string): T {
  const found = openapi().examples[name];
  if (!found) throw new Error(`@octokit/openapi has no example named ${name}`);
  return structuredClone(found.value) as T;
}

type Json = Record<string, unknown>;

export interface Repo {
  owner: string;
  name: string;
}

/** The example's repository and number, moved to this repository and number, in every URL it holds. */
function relocate<T>(value: T, repo: Repo, from: { number?: number; to?: number } = {}): T {
  const text = JSON.stringify(value)
    .replaceAll('octocat/Hello-World', `${repo.owner}/${repo.name}`)
    .replace(from.number !== undefined && from.to !== undefined ? new RegExp(`/(pulls|pull|issues)/${from.number}\\b`, 'g') : /$^/, (_m, kind: string) => `/${kind}/${from.to}`);
  return JSON.parse(text) as T;
}

/** A user as GitHub sends it (the examples' `simple-user`), renamed; `Bot` for an app's account. */
export function user(login: string, type: 'User' | 'Bot' = 'User'): Json {
  const octocat = (example<Json>('pull-request').user ?? {}) as Json;
  return JSON.parse(JSON.stringify({ ...octocat, login, type }).replaceAll('/octocat', `/${encodeURIComponent(login)}`)) as Json;
}

export interface PullRequestShape {
  number: number;
  title: string;
  body?: string | null;
  state?: 'open' | 'closed';
  mergedAt?: string | null;
  author?: Json;
  mergeCommitSha?: string;
}

/** `GET /repos/{o}/{r}/pulls/{n}`: the `pull-request` example. */
export function pullRequestBody(repo: Repo, pr: PullRequestShape): Json {
  const body = relocate(example<Json>('pull-request'), repo, { number: 1347, to: pr.number });
  return adaptPull(body, pr);
}

/** An item of `GET /repos/{o}/{r}/commits/{sha}/pulls`: the `pull-request-simple-items` example's first. */
export function pullRequestSimpleBody(repo: Repo, pr: PullRequestShape): Json {
  const body = relocate(example<Json[]>('pull-request-simple-items')[0]!, repo, { number: 1347, to: pr.number });
  return adaptPull(body, pr);
}

function adaptPull(body: Json, pr: PullRequestShape): Json {
  const merged = pr.mergedAt === undefined ? '2011-01-26T19:01:12Z' : pr.mergedAt;
  Object.assign(body, {
    number: pr.number,
    title: pr.title,
    body: pr.body === undefined ? body.body : pr.body,
    state: pr.state ?? (merged ? 'closed' : 'open'),
    merged_at: merged,
    closed_at: merged ?? (pr.state === 'closed' ? '2011-01-26T19:01:12Z' : null),
    locked: false,
    active_lock_reason: null,
  });
  if ('merged' in body) body.merged = merged !== null;
  if (pr.author) body.user = pr.author;
  if (pr.mergeCommitSha) body.merge_commit_sha = pr.mergeCommitSha;
  return body;
}

export interface ReviewCommentShape {
  id: number;
  path: string;
  body: string;
  /** The lines it is on (`line`, and `start_line` for several). */
  line: number | null;
  startLine?: number | null;
  originalLine?: number;
  diffHunk?: string;
  side?: 'LEFT' | 'RIGHT';
  author?: Json;
  commitId?: string;
  inReplyTo?: number;
}

/** An item of `GET /repos/{o}/{r}/pulls/{n}/comments`: the `pull-request-review-comment-items` example. */
export function reviewCommentBody(repo: Repo, pull: number, comment: ReviewCommentShape): Json {
  const body = relocate(example<Json[]>('pull-request-review-comment-items')[0]!, repo);
  Object.assign(body, {
    id: comment.id,
    url: `https://api.github.com/repos/${repo.owner}/${repo.name}/pulls/comments/${comment.id}`,
    html_url: `https://github.com/${repo.owner}/${repo.name}/pull/${pull}#discussion_r${comment.id}`,
    path: comment.path,
    body: comment.body,
    line: comment.line,
    original_line: comment.originalLine ?? comment.line,
    start_line: comment.startLine ?? null,
    original_start_line: comment.startLine ?? null,
    start_side: comment.startLine ? (comment.side ?? 'RIGHT') : null,
    side: comment.side ?? 'RIGHT',
    diff_hunk: comment.diffHunk ?? body.diff_hunk,
    in_reply_to_id: comment.inReplyTo,
  });
  if (comment.inReplyTo === undefined) delete body.in_reply_to_id;
  if (comment.author) body.user = comment.author;
  if (comment.commitId) body.commit_id = body.original_commit_id = comment.commitId;
  return body;
}

/** An item of `GET /repos/{o}/{r}/pulls/{n}/reviews`: the `pull-request-review-items` example. */
export function reviewBody(repo: Repo, pull: number, review: { id: number; state: string; body: string; author?: Json }): Json {
  const body = relocate(example<Json[]>('pull-request-review-items')[0]!, repo);
  Object.assign(body, { id: review.id, state: review.state, body: review.body, html_url: `https://github.com/${repo.owner}/${repo.name}/pull/${pull}#pullrequestreview-${review.id}` });
  if (review.author) body.user = review.author;
  return body;
}

/** `GET /repos/{o}/{r}/issues/{n}`: the `issue` example, without its `pull_request` unless asked. */
export function issueBody(repo: Repo, issue: { number: number; title: string; body?: string; state: 'open' | 'closed'; pullRequest?: boolean }): Json {
  const body = relocate(example<Json>('issue'), repo, { number: 1347, to: issue.number });
  Object.assign(body, {
    number: issue.number,
    title: issue.title,
    body: issue.body ?? body.body,
    state: issue.state,
    closed_at: issue.state === 'closed' ? '2011-04-22T13:33:48Z' : null,
    state_reason: issue.state === 'closed' ? 'completed' : null,
    locked: false,
    active_lock_reason: null,
  });
  if (!issue.pullRequest) delete body.pull_request;
  return body;
}

/** An error body with the fields of the spec's `basic-error` (and no other), worded as GitHub words it. */
export function errorBody(status: number, message: string, documentation: string): Json {
  const body: Json = { message, documentation_url: `https://docs.github.com/rest${documentation}`, status: String(status) };
  const allowed = Object.keys(openapi().schemas['basic-error']?.properties ?? {});
  for (const key of Object.keys(body)) if (!allowed.includes(key)) throw new Error(`basic-error has no field ${key}`);
  return body;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Never answer: `headers`, nothing at all; `body`, the status line and headers, then part of the body and no more. */
  stall?: 'headers' | 'body';
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** The client hung up before the answer was complete (it gave up). */
  abandoned: boolean;
}

export type Responder = Reply | ((request: RecordedRequest) => Reply);

interface RateBucket {
  limit: number;
  remaining: number;
  /** Epoch seconds. */
  reset: number;
}

/** GitHub's messages for its limits and refusals, with the documentation path each names. */
export const replies = {
  badCredentials: (): Reply => ({ status: 401, body: errorBody(401, 'Bad credentials', '') }),
  notFound: (): Reply => ({ status: 404, body: errorBody(404, 'Not Found', '/pulls/pulls#get-a-pull-request') }),
  /** The primary limit used up: 403, `x-ratelimit-remaining: 0`, the reset. */
  rateLimited: (reset: number): Reply => ({
    status: 403,
    headers: { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-used': '5000', 'x-ratelimit-reset': String(reset), 'x-ratelimit-resource': 'core' },
    body: errorBody(403, 'API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.', '/overview/rate-limits-for-the-rest-api'),
  }),
  /** A secondary limit: 403 and the message, with `retry-after` when given. */
  secondary: (retryAfter?: number): Reply => ({
    status: 403,
    headers: retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) },
    body: errorBody(403, 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.', '/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits'),
  }),
  tooManyRequests: (retryAfter: number): Reply => ({
    status: 429,
    headers: { 'retry-after': String(retryAfter) },
    body: errorBody(429, 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', '/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits'),
  }),
  serverError: (): Reply => ({ status: 500, body: errorBody(500, 'Server Error', '') }),
  /** 403 that is no limit: the token may not read this (an organization's SSO, a missing scope). */
  forbidden: (): Reply => ({ status: 403, body: errorBody(403, 'Resource not accessible by personal access token', '/pulls/pulls#get-a-pull-request') }),
};

export class FakeGitHub {
  readonly requests: RecordedRequest[] = [];
  /** Added to every answer (the bench's "GitHub answering in 50 ms"). */
  latencyMs = 0;
  /** Requests that have arrived and not been answered. */
  pending = 0;
  maxPending = 0;
  /** Tokens answered; others get 401. Undefined: any token. */
  acceptedTokens: string[] | undefined;
  private readonly routes = new Map<string, Responder[]>();
  private readonly buckets = new Map<string, RateBucket>();
  private readonly sockets = new Set<Socket>();
  private readonly waiters: { count: number; resolve: () => void }[] = [];
  private held: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    /** Octokit's `baseUrl`: the origin, or with GitHub Enterprise Server's `/api/v3`. */
    readonly baseUrl: string,
    private readonly prefix: string,
  ) {}

  /** `prefix: '/api/v3'` serves the API where GitHub Enterprise Server has it. */
  static async start(options: { prefix?: string } = {}): Promise<FakeGitHub> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const prefix = options.prefix ?? '';
    const fake = new FakeGitHub(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}${prefix}`, prefix);
    server.on('connection', (socket) => {
      fake.sockets.add(socket);
      socket.on('close', () => fake.sockets.delete(socket));
    });
    server.on('request', (request, response) => void fake.handle(request, response));
    return fake;
  }

  /** Answers `GET path` (no query) with these replies in turn, the last one from then on. */
  on(path: string, ...responders: Responder[]): this {
    this.routes.set(path, responders);
    return this;
  }

  /** The budget a token has (or no token: `undefined`), created as GitHub would: 5,000 an hour, 60 without. */
  rate(token?: string): RateBucket {
    const key = token ?? '';
    let bucket = this.buckets.get(key);
    if (!bucket) {
      const limit = token ? 5000 : 60;
      bucket = { limit, remaining: limit, reset: Math.floor(Date.now() / 1000) + 3600 };
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  /** Holds every answer until the returned function is called. */
  hold(): () => void {
    let release!: () => void;
    this.held = new Promise<void>((resolve) => (release = resolve));
    return () => {
      this.held = undefined;
      release();
    };
  }

  /** Resolves once every request that arrived has been answered or abandoned. */
  async quiet(): Promise<void> {
    while (this.pending > 0) await new Promise((resolve) => setImmediate(resolve));
  }

  /** Resolves once `count` requests have arrived in all. */
  received(count: number): Promise<void> {
    if (this.requests.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  /** Requests for a path (query ignored). */
  requestsFor(path: string): RecordedRequest[] {
    return this.requests.filter((request) => request.path === path);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // Scenarios: what a repository on GitHub holds, served at its routes.

  /** A commit and the pull requests GitHub associates with it. */
  commit(repo: Repo, sha: string, pulls: PullRequestShape[]): this {
    return this.on(`/repos/${repo.owner}/${repo.name}/commits/${sha}/pulls`, { body: pulls.map((pr) => pullRequestSimpleBody(repo, pr)) });
  }

  /** A pull request with its review comments and reviews (paged as GitHub pages them). */
  pullRequest(repo: Repo, pr: PullRequestShape, discussion: { comments?: ReviewCommentShape[]; reviews?: { id: number; state: string; body: string; author?: Json }[] } = {}): this {
    const base = `/repos/${repo.owner}/${repo.name}/pulls/${pr.number}`;
    this.on(base, { body: pullRequestBody(repo, pr) });
    this.on(`${base}/comments`, this.paged(`${base}/comments`, (discussion.comments ?? []).map((comment) => reviewCommentBody(repo, pr.number, comment))));
    this.on(`${base}/reviews`, this.paged(`${base}/reviews`, (discussion.reviews ?? []).map((review) => reviewBody(repo, pr.number, review))));
    return this;
  }

  issue(repo: Repo, issue: { number: number; title: string; body?: string; state: 'open' | 'closed'; pullRequest?: boolean }): this {
    return this.on(`/repos/${repo.owner}/${repo.name}/issues/${issue.number}`, { body: issueBody(repo, issue) });
  }

  /** A list answered a page at a time (`per_page`, default 30; `page`), with GitHub's `Link` header. */
  paged(path: string, items: unknown[]): Responder {
    return (request): Reply => {
      const perPage = Math.min(100, Number(request.query.per_page ?? 30));
      const page = Math.max(1, Number(request.query.page ?? 1));
      const last = Math.max(1, Math.ceil(items.length / perPage));
      const link = (n: number, rel: string) => `<${this.baseUrl}${path}?per_page=${perPage}&page=${n}>; rel="${rel}"`;
      const links = [...(page < last ? [link(page + 1, 'next'), link(last, 'last')] : []), ...(page > 1 ? [link(1, 'first'), link(page - 1, 'prev')] : [])];
      return { body: items.slice((page - 1) * perPage, page * perPage), headers: links.length ? { link: links.join(', ') } : undefined };
    };
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    // Routes are the API's paths; anything outside the prefix is not the API (and so is not found).
    const path = url.pathname.startsWith(`${this.prefix}/`) ? url.pathname.slice(this.prefix.length) : `(outside ${this.prefix})${url.pathname}`;
    const recorded: RecordedRequest = { method: request.method ?? 'GET', path, query: Object.fromEntries(url.searchParams), headers: request.headers, abandoned: false };
    this.requests.push(recorded);
    this.pending++;
    this.maxPending = Math.max(this.maxPending, this.pending);
    let finished = false;
    response.on('close', () => {
      if (!finished) recorded.abandoned = true;
      this.pending--;
    });
    response.on('finish', () => (finished = true));
    for (const waiter of [...this.waiters]) {
      if (this.requests.length >= waiter.count) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
    if (this.held) await this.held;
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    if (response.destroyed) return;

    const token = /^(?:token|bearer)\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const reply = token !== undefined && this.acceptedTokens && !this.acceptedTokens.includes(token) ? replies.badCredentials() : this.reply(recorded);
    if (reply.stall === 'headers') return;
    const bucket = this.rate(token);
    const status = reply.status ?? 200;
    const text = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    const etag = `W/"${createHash('sha256').update(text).digest('hex').slice(0, 40)}"`;
    const notModified = status === 200 && request.headers['if-none-match'] === etag;
    // A 304 costs nothing; everything else one request of the budget.
    if (!notModified && bucket.remaining > 0) bucket.remaining--;
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'x-github-media-type': 'github.v3; format=json',
      'x-github-api-version-selected': '2022-11-28',
      'x-ratelimit-limit': String(bucket.limit),
      'x-ratelimit-remaining': String(bucket.remaining),
      'x-ratelimit-reset': String(bucket.reset),
      'x-ratelimit-used': String(bucket.limit - bucket.remaining),
      'x-ratelimit-resource': 'core',
      ...(status === 200 ? { etag, 'cache-control': token ? 'private, max-age=60, s-maxage=60' : 'public, max-age=60, s-maxage=60', vary: 'Accept, Authorization, Cookie, X-GitHub-OTP' } : {}),
      ...reply.headers,
    };
    if (notModified) {
      delete headers['content-type'];
      response.writeHead(304, headers);
      response.end();
      return;
    }
    response.writeHead(status, headers);
    if (reply.stall === 'body') {
      response.write(text.slice(0, Math.floor(text.length / 2)));
      return;
    }
    response.end(text);
  }

  private reply(request: RecordedRequest): Reply {
    const responders = this.routes.get(request.path);
    if (!responders || responders.length === 0) return replies.notFound();
    const responder = responders.length > 1 ? responders.shift()! : responders[0]!;
    return typeof responder === 'function' ? responder(request) : responder;
  }
}

/**
 * The bench's GitHub history: `count` commits, each brought by a pull request (merged for four in five,
 * and closing an issue; the others still open) with a review thread on a line and an approval.
 */
export function benchScenario(fake: FakeGitHub, repo: Repo, count = 20): string[] {
  const commits: string[] = [];
  for (let i = 0; i < count; i++) {
    const sha = (0xa000 + i).toString(16).padEnd(40, '0');
    const merged = i % 5 !== 4;
    const number = 100 + i;
    const issue = 500 + i;
    const pr = { number, title: `Change ${i}`, body: `Why change ${i}.\n\nFixes #${issue}`, mergedAt: merged ? '2024-03-01T10:00:00Z' : null, state: merged ? ('closed' as const) : ('open' as const), author: user('mona') };
    fake.commit(repo, sha, [pr]);
    fake.pullRequest(repo, pr, {
      comments: [
        { id: number * 10, path: 'src/a.ts', line: 3, body: 'Why not a map?', author: user('hubot') },
        { id: number * 10 + 1, path: 'src/a.ts', line: 3, body: 'Order matters here.', author: user('mona'), inReplyTo: number * 10 },
      ],
      reviews: [{ id: number, state: 'APPROVED', body: 'Good.', author: user('octocat') }],
    });
    fake.issue(repo, { number: issue, title: `Issue ${issue}`, state: merged ? 'closed' : 'open' });
    commits.push(sha);
  }
  return commits;
}
