import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { benchScenario, FakeGitHub } from '../bench/fake-github';
import { benchGitHub, type GitHubBench } from '../github/bench';
import { AilError } from '../util/errors';

/** What GitHub answers take: the bench's GitHub answers each request after this long. */
const LATENCY_MS = 50;
const REPO = { owner: 'ail-dev', name: 'bench' };

/**
 * `ail bench --github`: what GitHub costs a question. A GitHub on 127.0.0.1 serving GitHub's documented
 * response shapes (the fake the tests use; it needs the dev dependency @octokit/openapi) answers in 50 ms;
 * the look-ups an enricher makes for each of 20 evidence commits run over a cold disk cache, again from
 * a new client (another server process) on what it left, and once nothing is fresh any more.
 */
export async function runGitHubBench(json: boolean, out: NodeJS.WritableStream): Promise<number> {
  let fake: FakeGitHub | undefined;
  let commits: string[];
  try {
    fake = await FakeGitHub.start();
    fake.latencyMs = LATENCY_MS;
    commits = benchScenario(fake, REPO, 20);
  } catch (error) {
    await fake?.close();
    throw new AilError('bad-argument', `ail bench --github needs the development dependencies (npm ci in AIL's checkout): ${error instanceof Error ? error.message : String(error)}`);
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'ail-bench-github-'));
  let result: GitHubBench;
  try {
    result = await benchGitHub({ baseUrl: fake.baseUrl, repo: REPO, commits, cacheDir: path.join(dir, 'github'), token: 'ail-bench-token' /* any token: the fake gives each its own budget of 5,000; no GitHub-shaped literal, which vsce's secret scan refuses */ });
  } finally {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
  if (json) {
    out.write(`${JSON.stringify({ latencyMs: LATENCY_MS, ...result }, null, 2)}\n`);
    return 0;
  }
  const percent = (share: number) => `${Math.round(share * 100)}%`;
  const line = (name: string, run: GitHubBench['cold']) =>
    `${name.padEnd(34)} ${run.requestsPerSet.toFixed(1)} requests (${run.notModified} of ${run.requests} not modified, no budget)  ${percent(run.servedFromDisk)} from disk  p50 ${run.p50Ms.toFixed(1)} ms  p95 ${run.p95Ms.toFixed(1)} ms`;
  out.write(
    [
      `ail bench --github: the look-ups of ${result.cold.sets} evidence commits (their PR, its review comments and reviews, the issues it closes), GitHub answering in ${LATENCY_MS} ms`,
      line('cold (empty disk cache)', result.cold),
      line('second server, within 5 minutes', result.warm),
      line('later (nothing fresh)', result.later),
      'per set: requests per evidence commit; p50/p95: what GitHub adds to a question that waits for it',
    ].join('\n') + '\n',
  );
  return 0;
}
