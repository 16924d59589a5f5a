import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { settingsFromEnv } from '../../shared/settings';
import type { AnswerSource } from '../../shared/types';
import { FakeGitHub, user } from '../bench/fake-github';
import { rawGit as git } from '../bench/git';
import { Random, Zipf } from '../bench/random';
import { Engine } from '../engine';
import { AilError } from '../util/errors';

const ENGINES = 10;
const REPO = { owner: 'ail-dev', name: 'bench' };
const QUESTIONS = ['why is this here?', 'who decided this?', 'what problem did this fix?'];

export interface TeamRun {
  /** `local`: each engine on its own; `team`: the ten share a Redis. */
  mode: 'local' | 'team';
  asks: number;
  gitProcesses: number;
  githubRequests: number;
  /** Team look-ups and writes that failed (past the 50 ms budget, mostly) and were dug locally: summed over the engines. */
  teamErrors: number;
  wallS: number;
  tiers: Partial<Record<AnswerSource, { answers: number; p50Ms: number; p95Ms: number }>>;
}

/**
 * `ail bench --team`: ten engines (each its own data dir, as ten machines would have) ask a Zipf mix of
 * questions about one repository at once, first each on its own, then sharing one Redis (redis-server
 * from PATH on a loopback port, or `--redis URL`, flushed first). GitHub is a fake on 127.0.0.1 that
 * knows a pull request for every commit. Counted: git processes (a counting `git` first on PATH, the
 * same for both runs), requests GitHub received, and the latency of each tier.
 */
export async function runTeamBench(options: { asks: number; redis?: string; json: boolean }, root: string, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const { asks, json } = options;
  const given = options.redis;
  const work = mkdtempSync(path.join(tmpdir(), 'ail-bench-team-'));
  let redis: ChildProcess | undefined;
  let fake: FakeGitHub | undefined;
  const savedPath = process.env.PATH;
  try {
    const url = given ?? (await startRedis(work, (child) => (redis = child)));
    fake = await FakeGitHub.start();
    fake.latencyMs = 50;
    const shas = (await git(root, ['rev-list', 'HEAD'])).split('\n').filter(Boolean);
    shas.forEach((sha, i) => {
      const pr = { number: i + 1, title: `Change ${i + 1}`, body: `Why change ${i + 1}.`, mergedAt: '2024-03-01T10:00:00Z', state: 'closed' as const, author: user('mona') };
      fake!.commit(REPO, sha, [pr]);
      fake!.pullRequest(REPO, pr, { reviews: [{ id: i + 1, state: 'APPROVED', body: 'Good.', author: user('octocat') }] });
    });
    const targets = await chooseTargets(root);
    const random = new Random(11);
    const zipf = new Zipf(targets.length, 1.1);
    const plan = Array.from({ length: asks }, (_, i) => ({ engine: i % ENGINES, target: targets[zipf.sample(random)]! }));
    const counter = countingGit(work);
    process.env.PATH = `${counter.bin}${path.delimiter}${savedPath ?? ''}`;
    const runs: TeamRun[] = [];
    for (const mode of ['local', 'team'] as const) {
      if (mode === 'team') await flush(url);
      err.write(`bench --team: ${mode}: ${ENGINES} engines, ${asks} questions about ${targets.length} targets (Zipf s=1.1)\n`);
      runs.push(await runMode(mode, root, url, fake, plan, counter, work));
    }
    if (json) out.write(`${JSON.stringify({ repository: root, engines: ENGINES, runs }, null, 2)}\n`);
    else out.write(formatRuns(root, runs));
    return 0;
  } finally {
    process.env.PATH = savedPath;
    await fake?.close();
    redis?.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  }
}

async function runMode(mode: TeamRun['mode'], root: string, url: string, fake: FakeGitHub, plan: { engine: number; target: Target }[], counter: { count: () => number }, work: string): Promise<TeamRun> {
  const base = settingsFromEnv({ AIL_INDEX_ENABLED: 'false', AIL_ALLOW_MODEL_DOWNLOAD: 'false', AIL_COMMIT_GRAPH: 'false', AIL_MAX_QUERY_TIME_S: '60', GITHUB_API_URL: fake.baseUrl, GITHUB_OWNER: REPO.owner, GITHUB_REPO: REPO.name, GITHUB_TOKEN: 'ail-bench-token' });
  const engines = Array.from({ length: ENGINES }, (_, i) => new Engine({ ...base, dataDir: path.join(work, `${mode}-${i}`), ...(mode === 'team' ? { teamRedisUrl: url, teamBudgetMs: 50 } : {}) }, { gh: false }));
  const gitBefore = counter.count();
  const githubBefore = fake.requests.length;
  const samples: { tier: AnswerSource; ms: number }[] = [];
  const started = performance.now();
  let teamErrors = 0;
  try {
    await Promise.all(
      engines.map(async (engine, e) => {
        for (const { target } of plan.filter((step) => step.engine === e)) {
          const t0 = performance.now();
          const answer = await engine.ask({ path: path.join(root, target.file), lines: { start: target.start, end: target.end }, question: target.question });
          samples.push({ tier: answer.source, ms: performance.now() - t0 });
        }
      }),
    );
    teamErrors = engines.reduce((sum, engine) => sum + (engine.stats().team?.errors ?? 0), 0);
  } finally {
    await Promise.all(engines.map((engine) => engine.dispose()));
  }
  const tiers: TeamRun['tiers'] = {};
  for (const tier of ['l1', 'team', 'cold'] as const) {
    const times = samples.filter((s) => s.tier === tier).map((s) => s.ms).sort((a, b) => a - b);
    if (times.length === 0) continue;
    const at = (q: number) => Math.round(times[Math.min(times.length - 1, Math.floor(q * times.length))]! * 10) / 10;
    tiers[tier] = { answers: times.length, p50Ms: at(0.5), p95Ms: at(0.95) };
  }
  return { mode, asks: samples.length, gitProcesses: counter.count() - gitBefore, githubRequests: fake.requests.length - githubBefore, teamErrors, wallS: Math.round((performance.now() - started) / 100) / 10, tiers };
}

interface Target {
  file: string;
  start: number;
  end: number;
  question: string;
}

/** 60 targets: a line range in one of the 20 largest files, and one of three questions; the same on every run. */
async function chooseTargets(root: string): Promise<Target[]> {
  const files = (await git(root, ['ls-files', '-z'])).split('\0').filter(Boolean);
  const sized = files
    .map((file) => {
      try {
        return { file, lines: readFileSync(path.join(root, file), 'utf8').split('\n').length };
      } catch {
        return { file, lines: 0 };
      }
    })
    .filter((f) => f.lines >= 20)
    .sort((a, b) => b.lines - a.lines || a.file.localeCompare(b.file))
    .slice(0, 20);
  if (sized.length === 0) throw new AilError('bad-argument', `no text file of 20 lines or more in ${root}`);
  const random = new Random(5);
  const targets: Target[] = [];
  for (let i = 0; i < 60; i++) {
    const { file, lines } = sized[i % sized.length]!;
    const start = Math.floor(random.next() * (lines - 5));
    targets.push({ file, start, end: start + Math.floor(random.next() * 4), question: QUESTIONS[Math.floor(i / sized.length) % QUESTIONS.length]! });
  }
  return targets;
}

/** A `git` first on PATH that counts its calls, then runs the real git (both runs pay its small cost alike). */
function countingGit(dir: string): { bin: string; count: () => number } {
  const bin = path.join(dir, 'bin');
  const log = path.join(dir, 'git-calls');
  mkdirSync(bin, { recursive: true });
  writeFileSync(log, '');
  const real = (process.env.PATH ?? '').split(path.delimiter).map((d) => path.join(d, 'git')).find((candidate) => {
    try {
      return readFileSync(candidate).length > 0;
    } catch {
      return false;
    }
  });
  if (!real) throw new AilError('git-not-found', 'git was not found on PATH');
  writeFileSync(path.join(bin, 'git'), `#!/bin/sh\necho >> '${log}'\nexec '${real}' "$@"\n`);
  chmodSync(path.join(bin, 'git'), 0o755);
  return { bin, count: () => readFileSync(log, 'utf8').length };
}

async function startRedis(dir: string, keep: (child: ChildProcess) => void): Promise<string> {
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--maxmemory', '256mb', '--maxmemory-policy', 'allkeys-lru'], { stdio: ['ignore', 'pipe', 'pipe'] });
  keep(child);
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.once('error', () => reject(new AilError('bad-argument', 'ail bench --team needs redis-server on PATH (apt-get install redis-server) or --redis URL')));
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new AilError('bad-argument', `redis-server exited with ${code}: ${output.slice(-500)}`)));
  });
  return `redis://127.0.0.1:${port}`;
}

async function flush(url: string): Promise<void> {
  const { createClient } = await import('@redis/client');
  const client = createClient({ url });
  await client.connect();
  try {
    for await (const keys of client.scanIterator({ MATCH: 'ail:*' })) if (keys.length > 0) await client.unlink(keys);
  } finally {
    client.destroy();
  }
}

function formatRuns(root: string, runs: TeamRun[]): string {
  const lines = [`ail bench --team: ${ENGINES} engines (own data dirs) on ${root}, GitHub faked on 127.0.0.1 answering in 50 ms`];
  for (const run of runs) {
    lines.push(`${run.mode.padEnd(6)} ${run.asks} questions in ${run.wallS} s: ${run.gitProcesses} git processes, ${run.githubRequests} GitHub requests${run.mode === 'team' ? `, ${run.teamErrors} team look-ups or writes failed` : ''}`);
    for (const [tier, t] of Object.entries(run.tiers)) lines.push(`       ${tier.padEnd(5)} ${String(t.answers).padStart(4)} answers  p50 ${t.p50Ms} ms  p95 ${t.p95Ms} ms`);
  }
  return `${lines.join('\n')}\n`;
}
