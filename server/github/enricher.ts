import type { Evidence, IssueRef, PullRequestRef, WarningCode } from '../../shared/types';
import type { EvidenceEnricher, QueryFacts } from '../archaeology/enrichers';
import { issuesFromMessage } from '../archaeology/references';
import type { Repository } from '../git/repository';
import { CancelledError } from '../util/flight';
import type { CallOptions, GitHubClient } from './client';
import type { PullRequest } from './data';
import { closingUrls, decisiveSentence, isBot, isSubstantiveReview, touchesLines, trimBody } from './digest';
import type { GitHubFailure, GitHubResult } from './failure';
import { detectGitHubRepository, pullRequestUrl, type GitHubRepository, type GitHubTarget } from './repository';

/** What the enricher needs of GitHub: the client of one API root (`GitHubClient`), and whether a token will be sent. */
export interface GitHubApi {
  client: Pick<GitHubClient, 'pullRequestsForCommit' | 'pullRequest' | 'reviewComments' | 'reviews' | 'issue'>;
  /** Whether a token will be sent (no token: the unauthenticated budget, so fewer look-ups per answer). */
  hasToken(): Promise<boolean>;
}

/** Evidence commits described per answer: a hover needs its top commit's PR; a question, its first few. */
const QUICK_COMMITS = 1;
const FULL_COMMITS = 3;
/** Without a token GitHub allows 60 requests an hour: one commit per question. */
const ANONYMOUS_COMMITS = 1;
/** Issues whose titles are looked up per pull request. */
const ISSUE_TITLES = 3;
/** A review comment or review summary is shown up to this many characters. */
const COMMENT_LIMIT = 600;
/** After GitHub could not be reached, it is not asked again for this long: every hover would wait for the same failure. */
const UNREACHABLE_PAUSE_MS = 30_000;

const FAILURE_WARNINGS: ReadonlySet<string> = new Set(['github-unavailable', 'github-auth', 'github-rate-limited']);

/**
 * The pull request behind each evidence commit, from GitHub: the PR GitHub associates with the commit
 * (else the number the message, a merge commit or a PR ref named), its title, description, state and
 * author; in a full answer also the review comments on the asked lines, the review summaries (bots left
 * out), who reviewed it with words, the sentence that best says why, and the titles of the issues it
 * closes. Every failure is a warning code and the git-only answer stands.
 */
export class GitHubEnricher implements EvidenceEnricher {
  readonly name = 'github' as const;
  readonly online = true;
  /** API root → until when GitHub is not asked (it could not be reached). */
  private readonly unreachable = new Map<string, number>();

  constructor(
    private readonly api: (apiUrl: string) => GitHubApi,
    private target: GitHubTarget = {},
    private readonly now: () => number = Date.now,
    /** The secret a work tree's GitHub answers are shared under in the team tier (its root commit), or undefined: not shared. */
    private readonly secretOf: (repo: Repository) => Promise<string | undefined> = async () => undefined,
  ) {}

  /** GITHUB_OWNER, GITHUB_REPO and GITHUB_API_URL changed (a settings change applies at the next question). */
  configure(target: GitHubTarget): void {
    this.target = target;
  }

  /** The GitHub repository of a work tree under the current settings, or undefined (not on GitHub: nothing to ask). */
  async repository(repo: Repository, options: { secret?: boolean } = {}): Promise<GitHubRepository | undefined> {
    const found = await detectGitHubRepository(repo, this.target).catch(() => undefined);
    if (!found || options.secret === false) return found;
    const secret = await this.secretOf(repo).catch(() => undefined);
    return secret ? { ...found, secret } : found;
  }

  prefetch(query: QueryFacts, shas: string[], signal: AbortSignal): void {
    void (async () => {
      const repository = await this.repository(query.repo);
      if (!repository || this.paused(repository)) return;
      const api = this.api(repository.apiUrl);
      const count = query.depth === 'quick' ? QUICK_COMMITS : (await api.hasToken()) ? FULL_COMMITS : ANONYMOUS_COMMITS;
      for (const sha of shas.slice(0, count)) void api.client.pullRequestsForCommit(repository, sha, { priority: 'interactive', signal }).catch(() => undefined);
    })().catch(() => undefined);
  }

  async enrich(query: QueryFacts, evidence: Evidence[], signal: AbortSignal): Promise<{ warnings?: WarningCode[] }> {
    const repository = await this.repository(query.repo);
    if (!repository || evidence.length === 0) return {};
    if (this.paused(repository)) return { warnings: ['github-unavailable'] };
    const api = this.api(repository.apiUrl);
    const count = query.depth === 'quick' ? QUICK_COMMITS : (await api.hasToken()) ? FULL_COMMITS : ANONYMOUS_COMMITS;
    const failures: GitHubFailure[] = [];
    const options: CallOptions = { priority: 'interactive', signal };
    const take = <T>(result: GitHubResult<T>): T | undefined => {
      if (result.ok) return result.value;
      if (result.failure.kind === 'cancelled') throw new CancelledError();
      if (result.failure.kind !== 'not-found') failures.push(result.failure);
      return undefined;
    };
    await Promise.all(evidence.slice(0, count).map((item) => this.describe(query, item, repository, api, options, take)));
    if (failures.some((failure) => failure.kind === 'github-unavailable')) this.unreachable.set(repository.apiUrl, this.now() + UNREACHABLE_PAUSE_MS);
    else if (failures.length === 0) this.unreachable.delete(repository.apiUrl);
    const warnings = [...new Set(failures.map((failure) => failure.kind as string).filter((kind): kind is WarningCode => FAILURE_WARNINGS.has(kind)))];
    return warnings.length ? { warnings } : {};
  }

  private paused(repository: GitHubRepository): boolean {
    const until = this.unreachable.get(repository.apiUrl);
    return until !== undefined && until > this.now();
  }

  private async describe(query: QueryFacts, item: Evidence, repository: GitHubRepository, api: GitHubApi, options: CallOptions, take: <T>(result: GitHubResult<T>) => T | undefined): Promise<void> {
    const sha = item.commit.sha;
    let pull: PullRequest | undefined;
    let via: PullRequestRef['via'] = item.pullRequest?.via ?? (item.pullRequest ? 'message' : undefined);
    // GitHub's association first: a message may name a PR that did not bring this commit (a revert, a mention).
    const associated = take(await api.client.pullRequestsForCommit(repository, sha, options));
    if (associated?.length) {
      pull = choosePullRequest(associated, sha);
      if (pull) via = item.pullRequest?.number === pull.number ? via : 'github';
    }
    // The association's list carries the title, body, state, author and merge time: the single PR is asked
    // for only when the number came from elsewhere (the message, a merge commit, a PR ref).
    if (!pull && item.pullRequest) pull = take(await api.client.pullRequest(repository, item.pullRequest.number, options));
    if (!pull) return;

    const ref: PullRequestRef = {
      number: pull.number,
      title: pull.title,
      url: pull.htmlUrl || pullRequestUrl(repository, pull.number),
      state: pull.mergedAt ? 'merged' : pull.state,
      ...(pull.mergedAt ? { mergedAt: pull.mergedAt } : {}),
      ...(pull.user ? { author: pull.user.login } : {}),
      ...(via ? { via } : {}),
    };
    item.pullRequest = ref;
    if (query.depth === 'quick') return;

    const body = trimBody(pull.body);
    if (body) ref.body = body;
    const [commentPages, reviewPages] = await Promise.all([api.client.reviewComments(repository, pull.number, options).then(take), api.client.reviews(repository, pull.number, options).then(take)]);
    const comments = commentPages?.items;
    const reviews = reviewPages?.items;
    const lineText = await query.lineText();
    const origin = query.origins(sha);
    const at = {
      paths: [...new Set([origin?.path, item.pathInCommit, query.file].filter((p): p is string => p !== undefined))],
      lines: origin?.lines ?? (query.lines ? range(query.lines.start + 1, query.lines.end + 1) : []),
      text: lineText,
    };
    const human = (comments ?? []).filter((comment) => !isBot(comment.user));
    const onLines = human.filter((comment) => touchesLines(comment, at));
    // A reply is on the lines when the comment it answers is.
    const threads = new Set(onLines.map((comment) => comment.id));
    const discussion = human.filter((comment) => threads.has(comment.id) || (comment.inReplyToId !== undefined && threads.has(comment.inReplyToId)));
    if (discussion.length) ref.reviewComments = discussion.map((comment) => ({ author: comment.user!.login, body: clip(comment.body), url: comment.htmlUrl, ...(comment.createdAt ? { date: comment.createdAt } : {}) }));
    const worded = (reviews ?? []).filter((review) => !isBot(review.user) && review.state !== 'PENDING' && (review.body.trim() || review.state === 'CHANGES_REQUESTED'));
    if (worded.length) ref.reviews = worded.map((review) => ({ author: review.user!.login, state: review.state, body: clip(review.body), url: review.htmlUrl, ...(review.submittedAt ? { date: review.submittedAt } : {}) }));
    const reviewers = [...new Set([...discussion.map((c) => c.user!.login), ...worded.map((r) => r.user!.login)])].filter((login) => login !== ref.author);
    if (reviewers.length && isSubstantiveReview(discussion, worded, ref.author)) ref.reviewers = reviewers;
    const quote = decisiveSentence({ ...(body ? { description: { body, author: ref.author ?? 'ghost', url: ref.url } } : {}), comments: discussion, reviews: worded }, query.question, lineText);
    if (quote) ref.quote = quote;

    await this.closedIssues(item, pull, repository, api, options, take);
  }

  /** The issues the pull request closes (its description, the commit's message) added to the evidence, with their titles. */
  private async closedIssues(item: Evidence, pull: PullRequest, repository: GitHubRepository, api: GitHubApi, options: CallOptions, take: <T>(result: GitHubResult<T>) => T | undefined): Promise<void> {
    const own = `${repository.owner}/${repository.name}`.toLowerCase();
    const found: IssueRef[] = [...item.issues];
    const add = (issue: IssueRef) => {
      const repositoryOf = issue.repository && issue.repository.toLowerCase() !== own ? issue.repository : undefined;
      const normalized: IssueRef = repositoryOf ? { ...issue, repository: repositoryOf } : { number: issue.number, ...(issue.title ? { title: issue.title } : {}), ...(issue.url ? { url: issue.url } : {}) };
      if (!found.some((known) => known.number === normalized.number && (known.repository ?? '') === (normalized.repository ?? ''))) found.push(normalized);
    };
    for (const issue of issuesFromMessage(`${pull.title}\n${pull.body}`)) add(issue);
    for (const issue of closingUrls(pull.body)) add(issue);
    const ownIssues = found.filter((issue) => !issue.repository).slice(0, ISSUE_TITLES);
    await Promise.all(
      ownIssues.map(async (issue) => {
        if (issue.title) return;
        const fetched = take(await api.client.issue(repository, issue.number, options));
        if (fetched && !fetched.isPullRequest) {
          issue.title = fetched.title;
          issue.url = fetched.htmlUrl;
        }
      }),
    );
    item.issues = found;
  }
}

/** Of the PRs GitHub associates with a commit: the one that merged it (its merge commit), else a merged one, else the first. */
export function choosePullRequest(pulls: PullRequest[], sha: string): PullRequest | undefined {
  return pulls.find((pull) => pull.mergeCommitSha === sha) ?? pulls.find((pull) => pull.mergedAt) ?? pulls[0];
}

function clip(text: string): string {
  const flat = text.replace(/\r\n?/g, '\n').trim();
  return flat.length > COMMENT_LIMIT ? `${flat.slice(0, COMMENT_LIMIT - 1).trimEnd()}…` : flat;
}

function range(start: number, end: number): number[] {
  const lines: number[] = [];
  for (let line = start; line <= end && lines.length < 500; line++) lines.push(line);
  return lines;
}
