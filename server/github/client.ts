import { Octokit } from '@octokit/rest';
import { RateBudget, type Priority, type RateState } from './budget';
import {
  parseIssue,
  parsePullRequest,
  parsePullRequests,
  parseReviewComments,
  parseReviews,
  pickIssue,
  pickPullRequest,
  pickPullRequests,
  pickReviewComments,
  pickReviews,
  type Issue,
  type PullRequest,
  type RepositoryRef,
  type Review,
  type ReviewComment,
} from './data';
import { DiskCache } from './disk-cache';
import { TeamGitHubCache } from './team-cache';
import type { TeamCache } from '../cache/team';
import type { GitHubFailure, GitHubResult } from './failure';
import { Fetcher, startCall, type Call, type Endpoint, type TokenProvider } from './fetcher';

export type { TokenProvider };

export const DEFAULT_API_URL = 'https://api.github.com';

export interface GitHubClientOptions {
  /** The REST API: https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server. */
  baseUrl?: string;
  token: TokenProvider;
  /** Folder of the disk cache (under the server's data dir); without one, nothing is kept between look-ups. */
  cacheDir?: string;
  /** The team's shared tier behind the disk cache, when there is one (AIL_REDIS_URL). */
  team?: () => TeamCache | undefined;
  /** Bound of the disk cache (default 32 MiB). */
  cacheMaxBytes?: number;
  /** How long a stored answer that can still change (an open pull request, a discussion) is served without asking GitHub (default 5 minutes). */
  freshMs?: number;
  /** Default time limit of one call, queue included (default 10 s); a call may give its own. */
  timeoutMs?: number;
  /** Requests in flight at once (default 4). */
  maxInFlight?: number;
  /** Share of the rate limit kept for interactive questions (default 0.1, at least 3 requests). */
  reserveShare?: number;
  /** Pages of 100 read of a review discussion (default 3). */
  maxPages?: number;
  /** Log lines (already free of the token). */
  log?: (line: string) => void;
  /** Called when the rate state changes (for the status bar). */
  onRateChange?: (state: RateState) => void;
  /** The clock (tests move it past a reset). */
  now?: () => number;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Time limit of this call, queue included: a response that has not arrived by then is `github-unavailable`. */
  timeoutMs?: number;
  /** Interactive calls go first and may use the reserve (default interactive). */
  priority?: Priority;
}

export interface ReviewDiscussion<T> {
  items: T[];
  /** False when more pages were there than `maxPages` allowed. */
  complete: boolean;
}

const PER_PAGE = 100;

/**
 * AIL's GitHub client: what AIL reads of GitHub, typed, on Octokit. Each look-up returns a
 * `GitHubResult` and never throws: a failure is classified (failure.ts) with the token scrubbed from its
 * sentence. Answers are kept on disk with GitHub's validators: one that can still change is served for
 * `freshMs`, then asked again conditionally (a 304 costs no rate budget); a merged pull request and a
 * closed issue are served from disk for good (fetcher.ts). Requests take turns in the rate budget
 * (budget.ts), interactive ones first. One client per GitHub (`baseUrl`); the repository is per call.
 */
export class GitHubClient {
  readonly baseUrl: string;
  private readonly budget: RateBudget;
  private readonly fetcher: Fetcher;
  private readonly timeoutMs: number;
  private readonly maxPages: number;

  constructor(options: GitHubClientOptions) {
    this.baseUrl = (options.baseUrl ?? DEFAULT_API_URL).replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxPages = Math.max(1, options.maxPages ?? 3);
    const now = options.now ?? Date.now;
    const sink = options.log ?? (() => undefined);
    const log = (line: string) => sink(this.fetcher.scrub(line));
    this.budget = new RateBudget({ maxInFlight: options.maxInFlight, reserveShare: options.reserveShare, now, onChange: options.onRateChange });
    const quiet = () => undefined;
    // Octokit's request log prints the request's options, headers included, at debug level: never let it.
    const octokitLog = { debug: quiet, info: quiet, warn: (message: string) => log(`GitHub: ${message}`), error: quiet };
    this.fetcher = new Fetcher({
      octokit: new Octokit({ baseUrl: this.baseUrl, userAgent: 'ail', log: octokitLog, request: { log: octokitLog } }),
      token: options.token,
      cache: options.team
        ? new TeamGitHubCache(options.cacheDir ? new DiskCache(options.cacheDir, { maxBytes: options.cacheMaxBytes, log }) : undefined, options.team)
        : options.cacheDir
          ? new DiskCache(options.cacheDir, { maxBytes: options.cacheMaxBytes, log })
          : undefined,
      budget: this.budget,
      freshMs: options.freshMs ?? 5 * 60_000,
      now,
      log,
    });
  }

  /** The pull requests a commit belongs to (`GET /repos/{o}/{r}/commits/{sha}/pulls`): the merged one that brought it in, usually alone. */
  pullRequestsForCommit(repo: RepositoryRef, sha: string, options: CallOptions = {}): Promise<GitHubResult<PullRequest[]>> {
    if (!validRepository(repo) || !/^[0-9a-f]{4,64}$/i.test(sha)) return Promise.resolve(notFound(`commit ${sha.slice(0, 64)} in ${name(repo)}`));
    return this.one(
      {
        what: `the pull requests of commit ${sha.slice(0, 12)} in ${name(repo)}`,
        route: 'GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls',
        params: { owner: repo.owner, repo: repo.name, commit_sha: sha, per_page: PER_PAGE },
        key: { scope: this.scope(repo), ...(repo.secret ? { secret: repo.secret } : {}), name: `commit-${sha.toLowerCase()}-pulls` },
        pick: pickPullRequests,
        parse: parsePullRequests,
        // Once a merged pull request brought the commit in, that is the answer for good.
        immutable: (pulls) => pulls.some((pull) => pull.mergedAt !== undefined),
      },
      options,
    );
  }

  /** One pull request (`GET /repos/{o}/{r}/pulls/{n}`). */
  pullRequest(repo: RepositoryRef, number: number, options: CallOptions = {}): Promise<GitHubResult<PullRequest>> {
    if (!validRepository(repo) || !validNumber(number)) return Promise.resolve(notFound(`pull request #${number} in ${name(repo)}`));
    return this.one(
      {
        what: `pull request #${number} of ${name(repo)}`,
        route: 'GET /repos/{owner}/{repo}/pulls/{pull_number}',
        params: { owner: repo.owner, repo: repo.name, pull_number: number },
        key: { scope: this.scope(repo), ...(repo.secret ? { secret: repo.secret } : {}), name: `pull-${number}` },
        pick: pickPullRequest,
        parse: parsePullRequest,
        immutable: (pull) => pull.mergedAt !== undefined,
      },
      options,
    );
  }

  /** The review comments of a pull request (`GET /repos/{o}/{r}/pulls/{n}/comments`), oldest first, at most `maxPages` pages of 100. */
  reviewComments(repo: RepositoryRef, number: number, options: CallOptions = {}): Promise<GitHubResult<ReviewDiscussion<ReviewComment>>> {
    if (!validRepository(repo) || !validNumber(number)) return Promise.resolve(notFound(`pull request #${number} in ${name(repo)}`));
    return this.pages(
      (page) => ({
        what: `the review comments of pull request #${number} of ${name(repo)}`,
        route: 'GET /repos/{owner}/{repo}/pulls/{pull_number}/comments',
        params: { owner: repo.owner, repo: repo.name, pull_number: number, per_page: PER_PAGE, page },
        key: { scope: this.scope(repo), ...(repo.secret ? { secret: repo.secret } : {}), name: `pull-${number}-comments-${page}` },
        pick: pickReviewComments,
        parse: parseReviewComments,
        // Comments can be added to a merged pull request: asked again when stale (a 304 is free).
        immutable: () => false,
      }),
      options,
    );
  }

  /** The reviews of a pull request (`GET /repos/{o}/{r}/pulls/{n}/reviews`): their verdicts and summaries. */
  reviews(repo: RepositoryRef, number: number, options: CallOptions = {}): Promise<GitHubResult<ReviewDiscussion<Review>>> {
    if (!validRepository(repo) || !validNumber(number)) return Promise.resolve(notFound(`pull request #${number} in ${name(repo)}`));
    return this.pages(
      (page) => ({
        what: `the reviews of pull request #${number} of ${name(repo)}`,
        route: 'GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews',
        params: { owner: repo.owner, repo: repo.name, pull_number: number, per_page: PER_PAGE, page },
        key: { scope: this.scope(repo), ...(repo.secret ? { secret: repo.secret } : {}), name: `pull-${number}-reviews-${page}` },
        pick: pickReviews,
        parse: parseReviews,
        immutable: () => false,
      }),
      options,
    );
  }

  /** An issue (`GET /repos/{o}/{r}/issues/{n}`); GitHub answers a pull request's number here too (`isPullRequest`). */
  issue(repo: RepositoryRef, number: number, options: CallOptions = {}): Promise<GitHubResult<Issue>> {
    if (!validRepository(repo) || !validNumber(number)) return Promise.resolve(notFound(`issue #${number} in ${name(repo)}`));
    return this.one(
      {
        what: `issue #${number} of ${name(repo)}`,
        route: 'GET /repos/{owner}/{repo}/issues/{issue_number}',
        params: { owner: repo.owner, repo: repo.name, issue_number: number },
        key: { scope: this.scope(repo), ...(repo.secret ? { secret: repo.secret } : {}), name: `issue-${number}` },
        pick: pickIssue,
        parse: parseIssue,
        immutable: (issue) => issue.state === 'closed',
      },
      options,
    );
  }

  /** The rate budget of the current token, and the counts of requests, for stats and the status bar. */
  rateState(): RateState & { cacheHits: number } {
    return { ...this.budget.state(), cacheHits: this.fetcher.cacheHits };
  }

  private async one<T>(endpoint: Endpoint<T>, options: CallOptions): Promise<GitHubResult<T>> {
    const call = this.call(options);
    try {
      const result = await this.fetcher.lookUp(endpoint, call);
      return result.ok ? { ...result, value: result.value.value } : result;
    } finally {
      call.done();
    }
  }

  private async pages<T>(endpointOf: (page: number) => Endpoint<T[]>, options: CallOptions): Promise<GitHubResult<ReviewDiscussion<T>>> {
    const call = this.call(options);
    try {
      const items: T[] = [];
      const sources = new Set<string>();
      let stale: GitHubFailure | undefined;
      for (let page = 1; ; page++) {
        const result = await this.fetcher.lookUp(endpointOf(page), call);
        if (!result.ok) return result;
        items.push(...result.value.value);
        sources.add(result.source);
        if (result.source === 'stale') stale ??= result.failure;
        const more = result.value.next && result.value.value.length > 0;
        if (!more || page >= this.maxPages) {
          const value = { items, complete: !more };
          if (stale) return { ok: true, value, source: 'stale', failure: stale };
          const source = sources.has('network') ? 'network' : sources.has('revalidated') ? 'revalidated' : 'cache';
          return { ok: true, value, source };
        }
      }
    } finally {
      call.done();
    }
  }

  private call(options: CallOptions): Call {
    return startCall({ signal: options.signal, timeoutMs: options.timeoutMs ?? this.timeoutMs, priority: options.priority ?? 'interactive' });
  }

  private scope(repo: RepositoryRef): string {
    return `${this.baseUrl} ${repo.owner.toLowerCase()}/${repo.name.toLowerCase()}`;
  }
}

function name(repo: RepositoryRef): string {
  return `${repo.owner}/${repo.name}`;
}

/**
 * An owner and name GitHub could have. They come from a remote URL or a setting, so they are checked
 * before they become a path: `..` would walk out of `/repos/` to another endpoint, with the token.
 */
function validRepository(repo: RepositoryRef): boolean {
  return [repo.owner, repo.name].every((part) => /^[A-Za-z0-9_.-]{1,100}$/.test(part) && part !== '.' && part !== '..');
}

function validNumber(number: number): boolean {
  return Number.isSafeInteger(number) && number > 0;
}

function notFound<T>(what: string): GitHubResult<T> {
  return { ok: false, failure: { kind: 'not-found', message: `GitHub has no ${what}` } };
}
