import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { settingsFromEnv, type Settings } from '../../shared/settings';
import { generateRepository } from '../bench/generate';
import { Random } from '../bench/random';
import { composeEngine } from '../compose';
import { processStarter } from '../git/process';
import { AilError } from '../util/errors';
import { runGitHubBench } from './bench-github';
import { runTeamBench } from './bench-team';
import { runHttpBench, wantsHttp } from './bench-http';
import { benchCaches, type CacheBench } from './bench-caches';
import { rawGit as git } from '../bench/git';
import { benchLsp, type LspBench } from './bench-lsp';
import { benchMcp, printMcp } from './bench-mcp';
import { runQualityBench } from './bench-quality';
import { progressPrinter, type Progress } from './progress';

interface BenchArgs {
  repo?: string;
  commits: number;
  queries: number;
  json: boolean;
  /** Only the language server over stdio. */
  lsp: boolean;
  /** `--mcp`: the MCP server's why against the same question in-process and over LSP. */
  mcp: boolean;
  /** `--github`: what GitHub costs a question, against a GitHub on 127.0.0.1 answering in 50 ms. */
  github: boolean;
  /** `--team`: ten engines asking a Zipf mix, each on its own and then sharing a Redis (`--redis URL`, else redis-server from PATH). */
  team: boolean;
  redis?: string;
  /** --queries was given (`--team` asks 200 questions in all unless told). */
  queriesGiven: boolean;
  /** `--quality`: the quality set; the other arguments are its own (server/cli/bench-quality.ts). */
  quality?: string[];
}

interface Target {
  file: string;
  start: number;
  end: number;
}

/** The files a bench asks about, each with a range for its first question and another for a later one. */
interface Workload {
  /** The largest text files, up to --queries, with their line counts. */
  chosen: { file: string; lines: number }[];
  /** A range per chosen file, asked before anything has blamed that file. */
  cold: Target[];
  /** Another range per chosen file, asked once the file is blamed. */
  warm: Target[];
  /** The seeded random numbers the ranges were drawn from, for whatever the bench draws next. */
  random: () => number;
}

/**
 * `ail bench`: the engine in-process against raw `git blame --porcelain -L` for the same ranges on the
 * same machine, reported as ratios. Without --repo it generates (once, then reuses) a repository of
 * --commits commits with git fast-import. The options are parsed here, and here alone it is decided
 * which bench runs (`--quality`, `--github`, `--mcp`, `--lsp`, else the engine's).
 */
export async function runBench(argv: readonly string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  if (wantsHttp(argv)) return runHttpBench(argv, out, err, generatedRepository);
  const args = parseBenchArgs(argv);
  if (args.quality) return runQualityBench(args.quality, out, err);
  if (args.github) return runGitHubBench(args.json, out);
  const progress = progressPrinter(err);
  const root = args.repo ? path.resolve(args.repo) : await generatedRepository(args.commits, err, progress);
  if (args.team) return runTeamBench({ asks: args.queriesGiven ? args.queries : 200, redis: args.redis, json: args.json }, root, out, err);
  const work = await chooseWorkload(root, args.queries);
  if (args.mcp) return printMcp(await benchMcp(root, work.cold.slice(0, 20), progress), root, args.json, out);
  if (args.lsp) return printLsp(await benchLsp(root, work.chosen.slice(0, 20), work.chosen.slice(20, 20 + 16), work.random, progress), root, args.json, out);
  return printEngine(await benchEngine(root, work, progress), args.json, out);
}

/** The largest text files of 20 lines or more, and seeded ranges in each: the same files and lines on every run. */
async function chooseWorkload(root: string, queries: number): Promise<Workload> {
  const files = (await git(root, ['ls-files', '-z'])).split('\0').filter(Boolean);
  const sized = files
    .map((file) => ({ file, lines: countFileLines(path.join(root, file)) }))
    .filter((f) => f.lines >= 20)
    .sort((a, b) => b.lines - a.lines || a.file.localeCompare(b.file));
  if (sized.length === 0) throw new AilError('bad-argument', `no text file of 20 lines or more in ${root}`);
  const seeded = new Random(7);
  const random = () => seeded.next();
  const chosen = sized.slice(0, Math.min(sized.length, queries));
  const rangeIn = (lines: number): [number, number] => {
    const length = 1 + Math.floor(random() * 10);
    const start = Math.floor(random() * Math.max(1, lines - length));
    return [start, Math.min(lines - 1, start + length - 1)];
  };
  const cold: Target[] = chosen.map(({ file, lines }) => {
    const [start, end] = rangeIn(lines);
    return { file, start, end };
  });
  const warm: Target[] = chosen.map(({ file, lines }) => {
    const [start, end] = rangeIn(lines);
    return { file, start, end };
  });
  return { chosen, cold, warm, random };
}

/** The engine in-process: first hovers beside their raw yardsticks, then full and warm answers, then the caches. */
async function benchEngine(root: string, work: Workload, progress: Progress) {
  const settings = { ...settingsFromEnv(process.env), maxQueryTimeS: 60 };
  const hovers = await benchFirstHovers(settings, root, work.cold);
  const answers = await benchAnswers(settings, root, work, hovers.hoverFlags, progress);
  const { raw } = hovers;
  const { caches } = answers;
  return {
    repository: root,
    commits: Number((await git(root, ['rev-list', '--count', 'HEAD'])).trim()),
    queries: work.cold.length,
    processStarter: processStarter(),
    rawBlameMs: stats(raw.blame),
    rawBlameTunedMs: stats(raw.blameTuned),
    rawBlameSameFlagsMs: stats(raw.blameSameFlags),
    rawHoverWorkMs: stats(raw.hoverWork),
    ignoredCommits: hovers.ignored.length,
    rawLineHistoryMs: stats(raw.lineHistory),
    rawFullWorkMs: stats(answers.rawFullWorkTimes),
    coldQuickAskMs: stats(hovers.coldQuickTimes),
    coldQuickRatio: { p50: ratio(stats(hovers.coldQuickTimes).p50, stats(raw.blame).p50), p95: ratio(stats(hovers.coldQuickTimes).p95, stats(raw.blame).p95) },
    coldAskMs: stats(answers.coldTimes),
    commitGraph: hovers.commitGraph,
    warmAskMs: stats(answers.warmTimes),
    warmFullAskMs: stats(answers.warmFullTimes),
    coldRatio: { p50: ratio(stats(answers.coldTimes).p50, stats(raw.blame).p50), p95: ratio(stats(answers.coldTimes).p95, stats(raw.blame).p95) },
    coldRatioSameFlags: {
      p50: ratio(stats(answers.coldTimes).p50, stats(raw.blameSameFlags).p50),
      p95: ratio(stats(answers.coldTimes).p95, stats(raw.blameSameFlags).p95),
    },
    copySearches: { quick: hovers.copySearches, full: answers.copySearches },
    peakRssMb: answers.peakRssMb,
    l1HitMs: percentiles(caches.l1HitMs),
    l2HitMs: percentiles(caches.l2HitMs),
    l2Served: `${caches.l2Served}/${caches.l2Asked}`,
    commitIndex: caches.index,
    commitIndex50k: caches.index50k,
  };
}

type EngineBench = Awaited<ReturnType<typeof benchEngine>>;

/**
 * First hovers: quick answers on files no engine has blamed, from an engine of their own (gone before
 * the rest starts), each timed right after the raw git it is compared with.
 */
async function benchFirstHovers(settings: Settings, root: string, cold: readonly Target[]) {
  const coldQuickTimes: number[] = [];
  const hoverEngine = composeEngine(settings);
  const { repo: hoverRepo, blamer: hoverBlamer } = await hoverEngine.registry.forDirectory(root);
  // Raw git is measured on the same repository, so it gets the commit-graph too.
  const commitGraph = settings.writeCommitGraph ? await hoverRepo.ensureCommitGraph({ keepProcessAlive: true }) : 'off';
  // Raw git first, alone: once untimed, so that every history it reads is paged in, then timed, while
  // no AIL work (a line-history walk that outlives its answer, a background blame) runs beside it.
  // Plain blame, the yardstick, is timed beside the first hovers below.
  const raw = {
    blame: [] as number[],
    // The same plain blame with the heap slack AIL gives its own git (GIT_MALLOC_TOP_PAD): how much of
    // AIL's speed is that environment rather than AIL.
    blameTuned: [] as number[],
    blameSameFlags: [] as number[],
    hoverWork: [] as number[],
    lineHistory: [] as number[],
  };
  // The blame a first hover starts with: -w -M and the ignore lists AIL honours (it runs -C, or blames
  // again through a cosmetic commit, only when that could change the answer).
  const ignored = await hoverBlamer.ignoredCommits(await hoverRepo.requireHead());
  const hoverFlags = ['-w', '-M', ...ignored.flatMap((sha) => ['--ignore-rev', sha])];
  for (const target of cold) await timeRaw(root, target, ['-w', '-M', '-C']);
  for (const target of cold) {
    raw.blameSameFlags.push(await timeRaw(root, target, ['-w', '-M', '-C']));
    raw.lineHistory.push(await timeRawLineHistory(root, target));
  }
  try {
    // Each first hover is timed right after raw git on the same lines: this machine's speed drifts over
    // minutes, and a hover leaves nothing running behind it, so the pairs see the same machine.
    for (const target of cold) {
      raw.blame.push(await timeRaw(root, target));
      raw.blameTuned.push(await timeRaw(root, target, [], true));
      raw.hoverWork.push(await timeRaw(root, target, hoverFlags));
      coldQuickTimes.push(await timeAsk(hoverEngine, root, target, 'quick'));
    }
  } finally {
    await hoverEngine.dispose();
  }
  return { raw, coldQuickTimes, commitGraph, ignored, hoverFlags, copySearches: { ...hoverBlamer.copySearches } };
}

/**
 * Full answers on cold files (each after the two walks it needs, run raw at once), then quick and full
 * answers on other lines of the files once blamed, then the caches; from one engine that warms files.
 */
async function benchAnswers(settings: Settings, root: string, { cold, warm }: Workload, hoverFlags: readonly string[], progress: Progress) {
  const engine = composeEngine(settings, { warmFiles: true });
  const { repo, blamer } = await engine.registry.forDirectory(root);
  const head = await repo.requireHead();
  const coldTimes: number[] = [];
  const rawFullWorkTimes: number[] = [];
  const warmTimes: number[] = [];
  const warmFullTimes: number[] = [];
  let caches: CacheBench;
  let peakRssMb = 0;
  try {
    for (let i = 0; i < cold.length; i++) {
      const target = cold[i]!;
      // The two walks a full answer runs, raw and at once, just before it: on two cores they slow each
      // other down, so this, not either alone, is what git itself needs for that answer.
      rawFullWorkTimes.push(await timeTogether([() => timeRawLineHistory(root, target), () => timeRaw(root, target, hoverFlags)]));
      coldTimes.push(await timeAsk(engine, root, target, 'full'));
      // A line-history walk can outlive its answer; asking again waits for it (the walk is shared), so
      // that nothing of this question runs beside the next one timed.
      await timeAsk(engine, root, target, 'full');
      // "Another line of an already-blamed file": wait for the background blame of the whole file.
      const headFile = await repo.headFile(target.file, head);
      await blamer.whenWarm({ path: target.file, head, blob: headFile.blob });
      warmTimes.push(await timeAsk(engine, root, warm[i]!, 'quick'));
      const another = { ...warm[i]!, start: Math.max(0, warm[i]!.start - 1) };
      warmFullTimes.push(await timeAsk(engine, root, another, 'full'));
      await timeAsk(engine, root, another, 'full');
      progress('bench', { done: i + 1, total: cold.length, message: 'files' });
    }
    peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    caches = await benchCaches(engine, repo, warm.slice(0, Math.min(warm.length, 20)), progress);
  } finally {
    await engine.dispose();
  }
  return { coldTimes, rawFullWorkTimes, warmTimes, warmFullTimes, peakRssMb, caches, copySearches: { ...blamer.copySearches } };
}

function printEngine(result: EngineBench, json: boolean, out: NodeJS.WritableStream): number {
  if (json) {
    out.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  }
  const row = (name: string, s: { p50: number; p95: number }, note = '') => `${name.padEnd(34)} ${s.p50.toFixed(1).padStart(8)} ${s.p95.toFixed(1).padStart(8)}  ${note}`;
  const { repository: root, commitGraph, commitIndex, commitIndex50k } = result;
  out.write(
    [
      `ail bench: ${result.commits} commits at ${root}, ${result.queries} files, commit-graph ${commitGraph}, git started with ${result.processStarter} (raw and AIL alike)`,
      row('raw git blame --porcelain -L', result.rawBlameMs, 'as a shell runs it: the yardstick'),
      row('  the same, with AIL heap slack', result.rawBlameTunedMs, `${ratio(result.rawBlameTunedMs.p50, result.rawBlameMs.p50)}x plain: AIL runs its git with MALLOC_TOP_PAD_ (glibc), the raw rows below do not`),
      row('raw git blame --porcelain -w -M -C -L', result.rawBlameSameFlagsMs, `${ratio(result.rawBlameSameFlagsMs.p50, result.rawBlameMs.p50)}x plain: what -w -M -C cost git`),
      row(
        `raw git blame -w -M -L, ${result.ignoredCommits} ignored`,
        result.rawHoverWorkMs,
        `${ratio(result.rawHoverWorkMs.p50, result.rawBlameMs.p50)}x plain: the blame a first hover starts with`,
      ),
      row('raw git log -L -n 30', result.rawLineHistoryMs, `${ratio(result.rawLineHistoryMs.p50, result.rawBlameMs.p50)}x plain blame: the line history a full answer reads`),
      row('raw blame -w -M and log -L at once', result.rawFullWorkMs, `${ratio(result.rawFullWorkMs.p50, result.rawBlameMs.p50)}x plain blame: the two walks of a full answer`),
      row('cold file, quick (a first hover)', result.coldQuickAskMs, `${result.coldQuickRatio.p50}x / ${result.coldQuickRatio.p95}x raw git blame -L ${target('p50 <= 1.5x', result.coldQuickRatio.p50 <= 1.5)}`),
      row('', result.coldQuickAskMs, `${ratio(result.coldQuickAskMs.p50, result.rawHoverWorkMs.p50)}x / ${ratio(result.coldQuickAskMs.p95, result.rawHoverWorkMs.p95)}x that blame run raw (AIL blames again for -C or a cosmetic commit)`),
      row('cold file, full (ail ask)', result.coldAskMs, `${result.coldRatio.p50}x / ${result.coldRatio.p95}x raw git blame -L; blame and line history`),
      row('', result.coldAskMs, `${ratio(result.coldAskMs.p50, result.rawFullWorkMs.p50)}x / ${ratio(result.coldAskMs.p95, result.rawFullWorkMs.p95)}x those two walks run raw, at once`),
      row('', result.coldAskMs, `${result.coldRatioSameFlags.p50}x / ${result.coldRatioSameFlags.p95}x raw git blame -w -M -C -L`),
      row('another line, blamed file, quick', result.warmAskMs, `${ratio(result.warmAskMs.p50, result.rawBlameMs.p50)}x raw git ${target('p95 <= 5 ms', result.warmAskMs.p95 <= 5)}`),
      row('another line, blamed file, full', result.warmFullAskMs, `${ratio(result.warmFullAskMs.p50, result.rawBlameMs.p50)}x raw git (walks log -L)`),
      `git's copy search (-C) needed by ${result.copySearches.quick.run} of ${result.copySearches.quick.run + result.copySearches.quick.skipped} cold blames; the others were shown not to need it`,
      `peak RSS ${result.peakRssMb} MB after the queries above ${target('< 150 MB', result.peakRssMb < 150)}`,
      '',
      `L1 hit                             p50 ${result.l1HitMs.p50} ms  p99 ${result.l1HitMs.p99} ms ${target('p99 < 0.2 ms', result.l1HitMs.p99 < 0.2)}`,
      `L2 hit (lexical embedder)          p50 ${result.l2HitMs.p50} ms  p95 ${result.l2HitMs.p95} ms ${target('p95 < 2 ms', result.l2HitMs.p95 < 2)}, ${result.l2Served} paraphrases served`,
      `commit index, ${commitIndex.commits} commits            built in ${commitIndex.seconds} s with ${commitIndex.embedder} ${target('< 60 s', commitIndex.seconds < 60)}, +${commitIndex.rssDeltaMb} MB RSS, ${commitIndex.fileMb} MB on disk`,
      `commit index, ${commitIndex50k.vectors} vectors           +${commitIndex50k.rssDeltaMb} MB RSS, ${commitIndex50k.fileMb} MB on disk (built in ${commitIndex50k.seconds} s)`,
    ].join('\n') + '\n',
  );
  return 0;
}

function printLsp(result: LspBench, root: string, json: boolean, out: NodeJS.WritableStream): number {
  const cold = stats(result.coldHoverMs);
  const raw = stats(result.rawFileBlameMs);
  const warm = percentiles(result.warmHoverMs);
  const summary = {
    repository: root,
    coldHoverMs: cold,
    rawFileBlameMs: raw,
    coldRatio: { p50: ratio(cold.p50, raw.p50), p95: ratio(cold.p95, raw.p95) },
    warmHoverMs: warm,
    cachedContextPerSecond: result.cachedContextPerSecond,
    rssMbAfter: result.rssMbAfter,
    soak: {
      bursts: result.soak.bursts,
      hoversPerBurst: result.soak.hoversPerBurst,
      hoverMs: stats(result.soak.hoverMs),
      newestHoverMs: stats(result.soak.newestHoverMs),
      drainMs: stats(result.soak.drainMs),
      cancelled: result.soak.cancelled,
      answeredAfterCancel: result.soak.answeredAfterCancel,
    },
  };
  if (json) {
    out.write(`${JSON.stringify(summary, null, 2)}\n`);
    return 0;
  }
  const rss = result.rssMbAfter;
  const growth = rss.length >= 2 ? rss[rss.length - 1]!.rssMb - rss[rss.length - 2]!.rssMb : 0;
  out.write(
    [
      `ail bench --lsp: the server over stdio at ${root}`,
      `first hover on a cold file         p50 ${cold.p50} ms  p95 ${cold.p95} ms  (${summary.coldRatio.p50}x / ${summary.coldRatio.p95}x raw git blame --porcelain of the file) ${target('p50 <= 1.5x', summary.coldRatio.p50 <= 1.5)}`,
      `raw git blame --porcelain (file)   p50 ${raw.p50} ms  p95 ${raw.p95} ms`,
      `hover on a warm file               p50 ${warm.p50} ms  p95 ${warm.p95} ms  ${target('p95 < 5 ms', warm.p95 < 5)}`,
      `cached ail/context, 5,000 in flight ${result.cachedContextPerSecond} requests/s ${target('>= 2,000', result.cachedContextPerSecond >= 2000)}`,
      `server RSS over 10,000 mixed queries, after the requests in flight: ${rss.map((r) => `${r.rssMb} MB at ${r.queries}`).join(', ')} (last 2,000: ${growth >= 0 ? '+' : ''}${growth} MB)`,
      `soak: ${summary.soak.bursts} bursts of ${summary.soak.hoversPerBurst} hovers at once on 4 files (2 open, 2 cold; an edit every other burst), half cancelled within 150 ms`,
      `  hover (not cancelled)            p50 ${summary.soak.hoverMs.p50} ms  p95 ${summary.soak.hoverMs.p95} ms`,
      `  newest hover of a burst          p50 ${summary.soak.newestHoverMs.p50} ms  p95 ${summary.soak.newestHoverMs.p95} ms  (where the editor is now)`,
      `  burst drained in                 p50 ${summary.soak.drainMs.p50} ms  p95 ${summary.soak.drainMs.p95} ms`,
      `  cancelled hovers answered anyway ${summary.soak.answeredAfterCancel} of ${summary.soak.cancelled} (the rest got RequestCancelled; these answers were on their way before the cancel was read)`,
    ].join('\n') + '\n',
  );
  return 0;
}

/** A figure's target, and whether it was met: a figure past its target says so where it is printed. */
function target(text: string, met: boolean): string {
  return met ? `(target ${text})` : `(MISSED: target ${text})`;
}

function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = { commits: 10_000, queries: 40, json: false, lsp: false, mcp: false, github: false, team: false, queriesGiven: false };
  if (argv.includes('--quality')) return { ...args, quality: argv.filter((arg) => arg !== '--quality') };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new AilError('bad-argument', `${arg} needs a value`);
      return next;
    };
    const count = (text: string) => {
      const n = Number(text);
      if (!Number.isInteger(n) || n < 1) throw new AilError('bad-argument', `${arg} must be a whole number from 1 up (got '${text}')`);
      return n;
    };
    if (arg === '--repo') args.repo = value();
    else if (arg === '--commits') args.commits = count(value());
    else if (arg === '--queries') {
      args.queries = count(value());
      args.queriesGiven = true;
    } else if (arg === '--team') args.team = true;
    else if (arg === '--redis') args.redis = value();
    else if (arg === '--json') args.json = true;
    else if (arg === '--lsp') args.lsp = true;
    else if (arg === '--mcp') args.mcp = true;
    else if (arg === '--github') args.github = true;
    else throw new AilError('bad-argument', `unknown option ${arg} (ail bench takes --repo DIR, --commits N, --queries N, --lsp, --mcp, --github, --team [--redis URL], --json; or --quality and its options)`);
  }
  return args;
}

async function generatedRepository(commits: number, err: NodeJS.WritableStream, progress: Progress): Promise<string> {
  const root = path.join(tmpdir(), `ail-bench-${commits}-seed1`);
  const stamp = path.join(root, '.git', 'ail-bench-complete');
  if (existsSync(stamp)) return root;
  if (existsSync(root)) throw new AilError('bad-argument', `${root} exists but is not a finished benchmark repository; remove it and run again`);
  const started = performance.now();
  await generateRepository(root, {
    commits,
    onProgress: (done, total) => progress('bench', { done, total, message: 'generating commits' }),
  });
  err.write(`bench: generated in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  writeFileSync(stamp, new Date().toISOString());
  return root;
}

/** Raw git blame of the range: plain (the target's yardstick), or with the flags AIL's blame uses (-w -M -C: the same work). */
async function timeRaw(root: string, target: Target, flags: readonly string[] = [], tuned = false): Promise<number> {
  const started = performance.now();
  await git(root, ['blame', '--porcelain', ...flags, '-L', `${target.start + 1},${target.end + 1}`, 'HEAD', '--', target.file], tuned);
  return performance.now() - started;
}

/** Wall time of several raw git runs started together. */
async function timeTogether(runs: (() => Promise<number>)[]): Promise<number> {
  const started = performance.now();
  await Promise.all(runs.map((run) => run()));
  return performance.now() - started;
}

/** The line history a full answer reads, as AIL asks git for it. */
async function timeRawLineHistory(root: string, target: Target): Promise<number> {
  const started = performance.now();
  await git(root, ['log', `-L${target.start + 1},${target.end + 1}:${target.file}`, '--format=%H', '--no-color', '-n', '30', 'HEAD']);
  return performance.now() - started;
}

async function timeAsk(engine: ReturnType<typeof composeEngine>, root: string, target: Target, depth: 'quick' | 'full'): Promise<number> {
  const started = performance.now();
  await engine.provider.ask({ path: path.join(root, target.file), lines: { start: target.start, end: target.end }, timeLimitMs: 60_000, depth });
  return performance.now() - started;
}

function countFileLines(file: string): number {
  try {
    const text = readFileSync(file);
    if (text.subarray(0, 8000).includes(0)) return 0;
    let count = 0;
    for (const byte of text) if (byte === 10) count++;
    return count;
  } catch {
    return 0;
  }
}

function stats(values: number[]): { p50: number; p95: number; mean: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const round = (n: number) => Math.round(n * 100) / 100;
  return { p50: round(at(0.5)), p95: round(at(0.95)), mean: round(values.reduce((a, b) => a + b, 0) / Math.max(1, values.length)) };
}

function percentiles(values: number[]): { p50: number; p95: number; p99: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => Math.round((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0) * 1000) / 1000;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

function ratio(a: number, b: number): number {
  return b > 0 ? Math.round((a / b) * 100) / 100 : 0;
}
