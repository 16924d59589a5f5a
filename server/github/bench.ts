import { issuesFromMessage } from '../archaeology/references';
import { GitHubClient, type GitHubClientOptions } from './client';
import type { RepositoryRef } from './data';

export interface GitHubBenchOptions {
  /** A GitHub REST API (in tests and `ail bench`, a local fake that answers after a set delay). */
  baseUrl: string;
  repo: RepositoryRef;
  /** The evidence commits of the questions, one look-up set each. */
  commits: string[];
  /** An empty folder: the cold run fills it, the later runs read it. */
  cacheDir: string;
  token?: string;
  /** Passed to every client (the queue's bound, say). */
  client?: Partial<GitHubClientOptions>;
}

export interface GitHubRunFigures {
  /** Look-up sets run, one per commit. */
  sets: number;
  /** Requests sent, and per look-up set. */
  requests: number;
  requestsPerSet: number;
  /** 304s among them (no rate budget spent). */
  notModified: number;
  /** Share of the look-ups answered from the disk cache without a request. */
  servedFromDisk: number;
  /** Milliseconds a look-up set took, which is what GitHub adds to a question that waits for it. */
  p50Ms: number;
  p95Ms: number;
}

export interface GitHubBench {
  /** An empty cache. */
  cold: GitHubRunFigures;
  /** A new client (another server process) on the cache the cold run left, within `freshMs`. */
  warm: GitHubRunFigures;
  /** The same once nothing is fresh any more (`freshMs` 0): what cannot change comes from the disk, the rest is asked again conditionally. */
  later: GitHubRunFigures;
}

/**
 * What GitHub costs a question: for each commit, the look-ups an enricher makes (the pull requests of
 * the commit; then, for the one merged, its review comments, its reviews and the issues its body
 * closes, side by side), timed per set, over a cold cache, a warm one and a stale one. Requests are the
 * client's own count.
 */
export async function benchGitHub(options: GitHubBenchOptions): Promise<GitHubBench> {
  const make = (extra: Partial<GitHubClientOptions>) =>
    new GitHubClient({ baseUrl: options.baseUrl, token: async () => options.token, cacheDir: options.cacheDir, ...options.client, ...extra });
  const cold = await run(make({}), options);
  const warm = await run(make({}), options);
  const later = await run(make({ freshMs: 0 }), options);
  return { cold, warm, later };
}

async function run(client: GitHubClient, options: GitHubBenchOptions): Promise<GitHubRunFigures> {
  const times: number[] = [];
  for (const sha of options.commits) {
    const started = performance.now();
    await lookUpSet(client, options.repo, sha);
    times.push(performance.now() - started);
  }
  const state = client.rateState();
  const lookUps = state.sent + state.cacheHits;
  return {
    sets: options.commits.length,
    requests: state.sent,
    requestsPerSet: options.commits.length ? state.sent / options.commits.length : 0,
    notModified: state.notModified,
    servedFromDisk: lookUps ? state.cacheHits / lookUps : 0,
    p50Ms: percentile(times, 0.5),
    p95Ms: percentile(times, 0.95),
  };
}

/** The look-ups an enricher makes for one evidence commit. */
async function lookUpSet(client: GitHubClient, repo: RepositoryRef, sha: string): Promise<void> {
  const pulls = await client.pullRequestsForCommit(repo, sha);
  if (!pulls.ok) return;
  // The commit's pulls carry the title, body, state and author already: no request for the pull request itself.
  const pull = pulls.value.find((candidate) => candidate.mergedAt !== undefined) ?? pulls.value[0];
  if (!pull) return;
  const issues = issuesFromMessage(pull.body).filter((issue) => issue.repository === undefined);
  await Promise.all([client.reviewComments(repo, pull.number), client.reviews(repo, pull.number), ...issues.map((issue) => client.issue(repo, issue.number))]);
}

function percentile(values: number[], share: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)]!;
}
