/**
 * What AIL keeps of GitHub's answers: a few fields of each, not Octokit's types (a pull request there
 * is a hundred fields and two repositories). Each kind has a `pick` that keeps GitHub's own field names
 * (that subset is what the disk cache stores) and a `parse` that checks the subset and turns it into
 * the plain type. `parse` reads a fresh response and a cached file alike, so a damaged or foreign
 * file fails the same check a malformed response does.
 */

/** The repository a request is about: `owner/name` on the GitHub that `baseUrl` names. */
export interface RepositoryRef {
  owner: string;
  name: string;
  /** The repository's root commit, when the team tier is on: its GitHub answers are shared under keys that hold it. */
  secret?: string;
}

export interface GitHubUser {
  login: string;
  /** GitHub's account type: `User`, `Bot`, `Organization`, `Mannequin`. */
  type: string;
  /** A `[bot]` account or one GitHub types `Bot` (known review bots that are plain users are the caller's to judge). */
  bot: boolean;
}

export interface PullRequest {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  draft: boolean;
  /** ISO 8601; absent when not merged. */
  mergedAt?: string;
  closedAt?: string;
  createdAt?: string;
  mergeCommitSha?: string;
  user?: GitHubUser;
  mergedBy?: GitHubUser;
  htmlUrl: string;
  /** The branch it was opened against (`main`). */
  baseRef?: string;
}

export interface ReviewComment {
  id: number;
  reviewId?: number;
  inReplyToId?: number;
  path: string;
  /** The line of the diff's file the comment is on, in the version `commitId` names; absent once outdated. */
  line?: number;
  originalLine?: number;
  /** First line of a multi-line comment. */
  startLine?: number;
  originalStartLine?: number;
  /** `RIGHT`: the new version's lines; `LEFT`: the old one's. */
  side?: 'LEFT' | 'RIGHT';
  startSide?: 'LEFT' | 'RIGHT';
  /** `line` or `file` (a comment on the whole file). */
  subjectType?: string;
  diffHunk: string;
  body: string;
  user?: GitHubUser;
  commitId?: string;
  originalCommitId?: string;
  createdAt?: string;
  htmlUrl: string;
}

export interface Review {
  id: number;
  /** `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`, `DISMISSED`, `PENDING`. */
  state: string;
  body: string;
  user?: GitHubUser;
  commitId?: string;
  submittedAt?: string;
  htmlUrl: string;
}

export interface Issue {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  /** `completed`, `not_planned`, `reopened`, `duplicate`. */
  stateReason?: string;
  closedAt?: string;
  user?: GitHubUser;
  htmlUrl: string;
  /** GitHub's issues endpoint answers pull requests too. */
  isPullRequest: boolean;
}

/** A response that is not what the endpoint documents (or a cache file that is not what was written). */
export class MalformedError extends Error {
  constructor(what: string) {
    super(`not ${what}`);
    this.name = 'MalformedError';
  }
}

/** GitHub's limit on a body (65,536 characters); more is not GitHub's and is cut. */
const MAX_TEXT = 65_536;

type Json = Record<string, unknown>;

function record(value: unknown, what: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new MalformedError(what);
  return value as Json;
}

function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new MalformedError(what);
  return value;
}

function integer(o: Json, key: string, what: string): number {
  const value = o[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new MalformedError(what);
  return value;
}

function text(o: Json, key: string, what: string): string {
  const value = o[key];
  if (typeof value !== 'string') throw new MalformedError(what);
  return value.slice(0, MAX_TEXT);
}

/** A string field GitHub may send as null or leave out (a body nobody wrote). */
function optionalText(o: Json, key: string): string | undefined {
  const value = o[key];
  return typeof value === 'string' ? value.slice(0, MAX_TEXT) : undefined;
}

function optionalInteger(o: Json, key: string): number | undefined {
  const value = o[key];
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
}

function side(value: unknown): 'LEFT' | 'RIGHT' | undefined {
  return value === 'LEFT' || value === 'RIGHT' ? value : undefined;
}

function openOrClosed(o: Json, what: string): 'open' | 'closed' {
  const state = o.state;
  if (state !== 'open' && state !== 'closed') throw new MalformedError(what);
  return state;
}

function pickFields(raw: unknown, fields: readonly string[]): Json {
  const o = record(raw, 'an object');
  const kept: Json = {};
  for (const field of fields) if (o[field] !== undefined) kept[field] = o[field];
  return kept;
}

const USER_FIELDS = ['login', 'type'] as const;

function pickUser(raw: unknown): Json | null {
  return typeof raw === 'object' && raw !== null ? pickFields(raw, USER_FIELDS) : null;
}

/** A user, or undefined for a deleted account (GitHub sends null, shown as "ghost"). */
function user(raw: unknown): GitHubUser | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const o = raw as Json;
  if (typeof o.login !== 'string') return undefined;
  const type = typeof o.type === 'string' ? o.type : 'User';
  return { login: o.login, type, bot: type === 'Bot' || o.login.endsWith('[bot]') };
}

const PULL_FIELDS = ['number', 'title', 'body', 'state', 'draft', 'merged_at', 'closed_at', 'created_at', 'merge_commit_sha', 'html_url'] as const;

export function pickPullRequest(raw: unknown): Json {
  const o = record(raw, 'a pull request');
  const base = typeof o.base === 'object' && o.base !== null ? (o.base as Json).ref : undefined;
  return { ...pickFields(o, PULL_FIELDS), user: pickUser(o.user), merged_by: pickUser(o.merged_by), ...(typeof base === 'string' ? { base: { ref: base } } : {}) };
}

export function parsePullRequest(raw: unknown): PullRequest {
  const what = 'a pull request';
  const o = record(raw, what);
  const base = typeof o.base === 'object' && o.base !== null ? optionalText(o.base as Json, 'ref') : undefined;
  return {
    number: integer(o, 'number', what),
    title: text(o, 'title', what),
    body: optionalText(o, 'body') ?? '',
    state: openOrClosed(o, what),
    draft: o.draft === true,
    mergedAt: optionalText(o, 'merged_at'),
    closedAt: optionalText(o, 'closed_at'),
    createdAt: optionalText(o, 'created_at'),
    mergeCommitSha: optionalText(o, 'merge_commit_sha'),
    user: user(o.user),
    mergedBy: user(o.merged_by),
    htmlUrl: text(o, 'html_url', what),
    baseRef: base,
  };
}

export function pickPullRequests(raw: unknown): Json[] {
  return list(raw, 'a list of pull requests').map(pickPullRequest);
}

export function parsePullRequests(raw: unknown): PullRequest[] {
  return list(raw, 'a list of pull requests').map(parsePullRequest);
}

const COMMENT_FIELDS = [
  'id',
  'pull_request_review_id',
  'in_reply_to_id',
  'path',
  'line',
  'original_line',
  'start_line',
  'original_start_line',
  'side',
  'start_side',
  'subject_type',
  'diff_hunk',
  'body',
  'commit_id',
  'original_commit_id',
  'created_at',
  'html_url',
] as const;

export function pickReviewComments(raw: unknown): Json[] {
  return list(raw, 'a list of review comments').map((item) => ({ ...pickFields(item, COMMENT_FIELDS), user: pickUser(record(item, 'a review comment').user) }));
}

export function parseReviewComments(raw: unknown): ReviewComment[] {
  const what = 'a review comment';
  return list(raw, 'a list of review comments').map((item) => {
    const o = record(item, what);
    return {
      id: integer(o, 'id', what),
      reviewId: optionalInteger(o, 'pull_request_review_id'),
      inReplyToId: optionalInteger(o, 'in_reply_to_id'),
      path: text(o, 'path', what),
      line: optionalInteger(o, 'line'),
      originalLine: optionalInteger(o, 'original_line'),
      startLine: optionalInteger(o, 'start_line'),
      originalStartLine: optionalInteger(o, 'original_start_line'),
      side: side(o.side),
      startSide: side(o.start_side),
      subjectType: optionalText(o, 'subject_type'),
      diffHunk: optionalText(o, 'diff_hunk') ?? '',
      body: optionalText(o, 'body') ?? '',
      user: user(o.user),
      commitId: optionalText(o, 'commit_id'),
      originalCommitId: optionalText(o, 'original_commit_id'),
      createdAt: optionalText(o, 'created_at'),
      htmlUrl: text(o, 'html_url', what),
    };
  });
}

const REVIEW_FIELDS = ['id', 'state', 'body', 'commit_id', 'submitted_at', 'html_url'] as const;

export function pickReviews(raw: unknown): Json[] {
  return list(raw, 'a list of reviews').map((item) => ({ ...pickFields(item, REVIEW_FIELDS), user: pickUser(record(item, 'a review').user) }));
}

export function parseReviews(raw: unknown): Review[] {
  const what = 'a review';
  return list(raw, 'a list of reviews').map((item) => {
    const o = record(item, what);
    return {
      id: integer(o, 'id', what),
      state: text(o, 'state', what),
      body: optionalText(o, 'body') ?? '',
      user: user(o.user),
      commitId: optionalText(o, 'commit_id'),
      submittedAt: optionalText(o, 'submitted_at'),
      htmlUrl: text(o, 'html_url', what),
    };
  });
}

const ISSUE_FIELDS = ['number', 'title', 'body', 'state', 'state_reason', 'closed_at', 'html_url'] as const;

export function pickIssue(raw: unknown): Json {
  const o = record(raw, 'an issue');
  return { ...pickFields(o, ISSUE_FIELDS), user: pickUser(o.user), ...(o.pull_request ? { pull_request: {} } : {}) };
}

export function parseIssue(raw: unknown): Issue {
  const what = 'an issue';
  const o = record(raw, what);
  return {
    number: integer(o, 'number', what),
    title: text(o, 'title', what),
    body: optionalText(o, 'body') ?? '',
    state: openOrClosed(o, what),
    stateReason: optionalText(o, 'state_reason'),
    closedAt: optionalText(o, 'closed_at'),
    user: user(o.user),
    htmlUrl: text(o, 'html_url', what),
    isPullRequest: typeof o.pull_request === 'object' && o.pull_request !== null,
  };
}
