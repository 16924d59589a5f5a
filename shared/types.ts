/**
 * The data AIL answers with: plain types shared by the server, the client, the CLI and tests.
 * This file is the TypeScript form of the contract in docs/protocol.md and imports nothing.
 * Positions and ranges are LSP's: 0-based lines and characters.
 */

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export interface ContextParams {
  /** file: URI of a file inside a git work tree. */
  textDocument: { uri: string };
  /** Omitted: the whole file. */
  range?: Range;
  /** Omitted: "Why does this code exist?" */
  question?: string;
  /** Default 5. */
  maxEvidence?: number;
  /** True: dig now, bypassing both caches (the exact L1 and the semantic L2); the answer then replaces the cached one. */
  fresh?: boolean;
}

export interface CommitRef {
  sha: string;
  shortSha: string;
  author: string;
  /** ISO 8601 author date. */
  date: string;
  subject: string;
}

/**
 * What a commit did to the asked lines when it kept what they do, so that they were traced through it:
 * whitespace, formatting (a formatter's quotes, commas, wrapping), a file rename, an identifier rename,
 * type annotations, a move from another file, a modernisation (a deprecated API swapped, `var` to
 * `const`), a refactor that kept the tokens, a merge that resolved a conflict keeping the line much as
 * one side had it, or a small change whose message says nothing of why.
 */
export type TracedChange =
  | 'whitespace'
  | 'formatting'
  | 'file-rename'
  | 'identifier-rename'
  | 'annotation'
  | 'move'
  | 'modernisation'
  | 'refactor'
  | 'merge'
  | 'uninformative';

/** A commit traced through, and what it did to the lines. */
export interface TracedCommit extends CommitRef {
  change: TracedChange;
}

export type EvidenceReason = 'blame' | 'line-history' | 'file-history' | 'rename' | 'moved-code' | 'semantic' | 'keyword';

export interface PullRequestRef {
  number: number;
  /** Absent when only the number is known: a PR ref fetched into the clone has none, and no message gave it. */
  title?: string;
  url?: string;
  /** `open`, `closed` (without merging) or `merged`. */
  state?: string;
  mergedAt?: string;
  /** The description, trimmed of its template (HTML comments, empty sections, unticked boxes). */
  body?: string;
  /** Login of who opened it. */
  author?: string;
  /** How AIL knows the commit came from it: its message, a merge commit, a PR ref fetched into the clone, or GitHub. */
  via?: 'message' | 'merge-commit' | 'pull-ref' | 'github';
  /** Review comments on the asked lines, by people (bots left out), oldest first. */
  reviewComments?: ReviewCommentRef[];
  /** Review summaries with words in them, by people. */
  reviews?: ReviewRef[];
  /** People other than the author who reviewed it with words (on these lines, a summary, or a change request). */
  reviewers?: string[];
  /** The sentence of the description or the review that best says why, when one gives a reason. */
  quote?: QuoteRef;
}

export interface ReviewCommentRef {
  author: string;
  body: string;
  url?: string;
  /** ISO 8601. */
  date?: string;
}

export interface ReviewRef {
  author: string;
  /** `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`. */
  state: string;
  body: string;
  url?: string;
  date?: string;
}

export interface QuoteRef {
  text: string;
  author: string;
  where: 'description' | 'review-comment' | 'review';
  url?: string;
}

export interface IssueRef {
  number: number;
  title?: string;
  url?: string;
  /** `owner/repo` when the reference named another repository (`owner/repo#45`). */
  repository?: string;
}

export interface Evidence {
  commit: CommitRef & { body: string; authorEmail: string };
  /** 0..1 */
  score: number;
  reasons: EvidenceReason[];
  pullRequest?: PullRequestRef;
  issues: IssueRef[];
  /** Lines of the asked range this commit is blamed for (after tracing through cosmetic commits). */
  blamedLines?: number;
  /** The commit this one was cherry-picked from, when its message says so and the commit exists here. */
  cherryPickOf?: CommitRef;
  /** The commits that reshaped these lines since this one wrote them, newest first, each with what it did: traced through to reach this one. */
  tracedThrough?: TracedCommit[];
  /** Set on a commit that only reshaped the asked lines (it was traced through): what it did to them. */
  reshaped?: TracedChange;
  /** Path of the file in this commit, when it differs from today's (renamed, or code moved from another file). */
  pathInCommit?: string;
  /**
   * Path of the file in this commit's (first) parent, when it differs from its path in the commit: the
   * commit renamed it, or moved the code from there. Open the commit's diff with this one for `sha^`.
   */
  pathInParent?: string;
}

export interface AuthorShare {
  name: string;
  email: string;
  lines: number;
  commits: number;
}

/** The tier that answered: the local exact cache, the local semantic cache, the team's shared Redis (`AIL_REDIS_URL`), or the engine itself. */
export type AnswerSource = 'cold' | 'l1' | 'l2' | 'team';

export interface ArchaeologyContext {
  question: string;
  /** Path relative to the repository root, as it is at HEAD (as it was, for a removed file: see `removed`). */
  file: string;
  range?: Range;
  headSha: string;
  /** 1-3 sentences of markdown, citing short SHAs and #PRs. */
  summary: string;
  /** 0..1 */
  confidence: number;
  /** Best first. */
  evidence: Evidence[];
  authors: AuthorShare[];
  timeline: { created?: CommitRef; lastChanged?: CommitRef; commitCount: number };
  source: AnswerSource;
  /** For 'l2': cosine similarity to the cached question. */
  similarity?: number;
  /** For 'l2': the cached question this answer was computed for. */
  cachedQuestion?: string;
  queryTimeMs: number;
  /** True when the time limit cut the digging short. */
  partial?: boolean;
  /** Machine-readable codes, each said in words in docs/protocol.md. */
  warnings: WarningCode[];
  /** Number of cosmetic commits traced through for this range. */
  cosmeticCommitsTraced?: number;
  /** Lines of the range that are not committed yet (unsaved or uncommitted edits). */
  uncommittedLines?: number;
  /** `owner/name` of the repository on GitHub, when its remote (or GITHUB_OWNER/GITHUB_REPO) says so; set by the language server, for links. */
  github?: string;
  /** The repository's web page (`https://github.com/owner/name`, or on a GitHub Enterprise host), with `github`. */
  githubUrl?: string;
  /** Set when the file is not at HEAD but was in its history: the answer is about its removal and its last version. */
  removed?: RemovedFile;
}

/** A file gone from HEAD, as its history tells it. */
export interface RemovedFile {
  /** The commit that removed the file (its latest removal in the history of HEAD), or moved it away. */
  commit: CommitRef;
  /** The parent of `commit` that had the file: its last version is `<lastVersion>:<file>`, and lines asked are blamed there. */
  lastVersion: string;
  /** The commit that last changed the file before it was removed. */
  lastChanged?: CommitRef;
  /** Where `commit` moved the file, when it renamed it rather than removing it. */
  movedTo?: string;
}

/** The current-line annotation of one line: who last changed it, when, and the commit's subject. */
export type LineSummary =
  | { kind: 'committed'; sha: string; shortSha: string; author: string; /** ISO 8601 author date. */ date: string; subject: string; pullRequest?: number }
  | { kind: 'uncommitted' };

/**
 * The evidence sources and enrichers by name: `<name>-unavailable` is the warning when one failed or ran
 * out of time, so `github-unavailable` is also what an unreachable GitHub says.
 */
export type EvidenceProducer = 'semantic' | 'merge-commit' | 'pull-refs' | 'github';

export type WarningCode =
  | 'shallow-history'
  | 'partial-clone'
  | 'file-untracked'
  | 'uncommitted-lines'
  | 'line-history-incomplete'
  | 'file-history-incomplete'
  | 'topic-search-incomplete'
  | 'time-limit'
  | 'embedder-fallback'
  | 'github-auth'
  | 'github-rate-limited'
  | 'team-cache-unavailable'
  | `${EvidenceProducer}-unavailable`;

export interface CacheStats {
  l1: { hits: number; misses: number; size: number; capacity: number };
  l2: { hits: number; misses: number; size: number; capacity: number; enabled: boolean; rollout: number; threshold: number };
  hitRate: number;
  queries: number;
  /**
   * Questions: full answers (ail/context, the Ask Why panel, the CLI), apart from the quick answers of
   * hovers, lenses and the current-line annotation, which are most of `queries` in an editor and mostly
   * new lines. `hitRate` of these is what a cache alert judges.
   */
  questions: { queries: number; hitRate: number };
  avgQueryTimeMs: number;
  p95QueryTimeMs: number;
  /**
   * The first repository's commit index (in the language server: the first workspace folder's).
   * `fallback`: why the model is not used, when `embedder` is the lexical fallback. `progress`: commits
   * embedded of those to embed, while a build or an update of that index runs. `root`: that repository.
   */
  index: { state: IndexState; commits: number; embedder: string; fallback?: string; progress?: { done: number; total: number }; root?: string };
  /** Every repository's commit index, one per work tree the engine opened one for (each workspace folder's, in a multi-root workspace). */
  indexes?: RepositoryIndex[];
  /** Files being blamed in the background, ahead of their hovers (opened in the editor, or asked about before). */
  warming: number;
  /** The GitHub in use (`GITHUB_API_URL`), once a question asked it. */
  github?: GitHubStats;
  /** The team's shared tier, when `AIL_REDIS_URL` is set. */
  team?: TeamState;
  memoryRssBytes: number;
}

/**
 * The team tier (a shared Redis): `ready`, `connecting`, or why answers come from local git meanwhile:
 * `down` (unreachable), `slow` (a lookup passed its budget), `full` (maxmemory with noeviction refuses
 * writes), `refused` (wrong credentials). `reason` says it in words, never with the URL.
 */
export interface TeamState {
  state: 'ready' | 'connecting' | 'down' | 'slow' | 'full' | 'refused';
  hits: number;
  misses: number;
  /** Lookups and writes that failed, and values that did not decode. */
  errors: number;
  /** Answers this server shared. */
  written: number;
  reason?: string;
}

export type IndexState = 'off' | 'building' | 'ready' | 'failed';

/** One repository's commit index: the work tree's root (an absolute path), its state, and its progress while it builds. */
export interface RepositoryIndex {
  root: string;
  state: IndexState;
  commits: number;
  progress?: { done: number; total: number };
}

/** GitHub's rate budget as GitHub last told it, and what AIL asked of it. Times are ISO 8601. */
export interface GitHubStats {
  /** Requests sent, those GitHub counted against the budget, and the 304s it did not. */
  requests: number;
  spent: number;
  notModified: number;
  /** Look-ups the disk cache answered with no request. */
  cacheHits: number;
  limit?: number;
  remaining?: number;
  resetAt?: string;
  /** No request is sent before then: the budget is spent, or GitHub asked AIL to slow down. */
  limitedUntil?: string;
}

export const DEFAULT_QUESTION = 'Why does this code exist?';
export const DEFAULT_MAX_EVIDENCE = 5;
