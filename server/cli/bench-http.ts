import { existsSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { settingsFromEnv } from '../../shared/settings';
import { visible } from '../../shared/visible';
import { rawGit } from '../bench/git';
import { getJson, runLoad, type LoadRun, type Sample } from '../bench/http-load';
import { renderReport, type ReportRun } from '../bench/http-report';
import { startService, type Service } from '../bench/http-service';
import { checkTargets, summarize, TIERS, type HttpSummary, type TargetCheck } from '../bench/http-summary';
import { HttpWorkload } from '../bench/http-workload';
import { configArgs, SAFE_CONFIG } from '../git/runner';
import { AilError } from '../util/errors';
import { listWorkloadFiles } from '../bench/http-files';
import { busyNow, busyShare, cpuTimes } from '../bench/machine';
import { progressPrinter, type Progress, type ProgressPrinter } from './progress';

export interface HttpBenchArgs {
  /** The user's service; none: the bench starts one on the generated repository, or on `--repo`. */
  url?: URL;
  repo?: string;
  commits: number;
  concurrency: number;
  /** Seconds of measured load, unless `requests` is given. */
  durationS: number;
  requests?: number;
  warmupS: number;
  seed: number;
  report: string;
  json: boolean;
}

/** Makes the generated benchmark repository (once, then reuses it), as `ail bench` does. */
export type GeneratedRepository = (commits: number, err: NodeJS.WritableStream, progress: Progress) => Promise<string>;

/** A request the service has not answered in this long has failed. */
const REQUEST_TIMEOUT_MS = 120_000;
/** How long a service the bench started may take to be ready (its commit index built). */
const READY_TIMEOUT_MS = 300_000;
/** The share of the machine busy before the bench began past which its figures are said to be another job's too. */
const BUSY = 0.2;
/** How often progress is told about the run at most. */
const PROGRESS_INTERVAL_MS = 200;

const USAGE = 'ail bench --http [URL] [--repo DIR] [--commits N] [--concurrency N] [--duration S | --requests N] [--warmup S] [--seed N] [--report FILE] [--json]';

/** Whether `ail bench` was asked for the HTTP load generator. */
export function wantsHttp(argv: readonly string[]): boolean {
  return argv.some((arg) => arg === '--http' || arg.startsWith('--http='));
}

/**
 * `ail bench --http [URL]`: a load generator for AIL's HTTP service. A seeded Zipf mix of questions
 * about the files of `--repo` (`http-workload.ts`) from `--concurrency` clients for `--duration` seconds
 * or `--requests` requests; prints throughput, latency per tier, hit rates and errors against the seed's
 * targets, and writes an HTML report. Without a URL it starts `ail serve --http` itself, on the generated
 * benchmark repository (or `--repo`), and stops it however the run ends.
 */
export async function runHttpBench(argv: readonly string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream, generated: GeneratedRepository): Promise<number> {
  const args = parseHttpBenchArgs(argv, process.cwd());
  const progress = progressPrinter(err);
  const stop = new AbortController();
  let service: Service | undefined;
  const onSignal = () => {
    if (!stop.signal.aborted) return stop.abort();
    // Asked twice: stop now.
    service?.kill();
    progress.end('bench', 'interrupted');
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let run: LoadRun;
  let meta: ReportRun;
  try {
    // Before the bench starts anything of its own (the service, its index build): what else runs here.
    const machine: NonNullable<ReportRun['machine']> = { cores: availableParallelism(), busyBefore: await busyNow() };
    const root = args.url ? await workTree(args.repo ?? '.') : args.repo ? await workTree(args.repo) : await generated(args.commits, err, progress);
    if (stop.signal.aborted) throw new Interrupted();
    const files = await listWorkloadFiles(root, progress, stop.signal);
    if (stop.signal.aborted) throw new Interrupted();
    if (files.length === 0) throw new AilError('bad-argument', `no text file with lines in ${root}`);
    if (!args.url) {
      progress('bench', { done: 0, total: 0, message: 'starting ail serve --http' });
      service = await startService(root, stop.signal);
    }
    const base = args.url ?? service!.url;
    progress('bench', { done: 0, total: 0, message: `connecting to ${base.href}` });
    await checkService(base, service !== undefined, progress, err, stop.signal);
    progress.end('bench', `${base.href} is ready`);
    const workload = new HttpWorkload(files, { seed: args.seed });
    const load = { base, next: () => workload.next(), concurrency: args.concurrency, signal: stop.signal, timeoutMs: REQUEST_TIMEOUT_MS };
    if (args.warmupS > 0) {
      const warming = reporter(progress, 'warming up', undefined, args.warmupS);
      await runLoad({ ...load, durationMs: args.warmupS * 1000, onSample: warming.sample });
      warming.finish();
    }
    if (stop.signal.aborted) throw new Interrupted();
    meta = {
      url: base.href,
      repository: root,
      started: service !== undefined,
      seed: args.seed,
      concurrency: args.concurrency,
      ...(args.requests !== undefined ? { requests: args.requests } : { durationS: args.durationS }),
      warmupS: args.warmupS,
      files: files.length,
      startedAt: new Date(),
      interrupted: false,
      machine,
    };
    const cpuBefore = cpuTimes();
    const running = reporter(progress, 'requests', args.requests, args.durationS);
    run = await runLoad({ ...load, ...(args.requests !== undefined ? { requests: args.requests } : { durationMs: args.durationS * 1000 }), onSample: running.sample });
    if (run.interrupted) progress.end('bench', `interrupted after ${run.samples.length} requests`);
    else if (run.lost) progress.end('bench', `stopped after ${run.samples.length} requests: the service stopped answering`);
    else running.finish();
    if (run.samples.length === 0) throw run.interrupted ? new Interrupted() : new Error('no request was answered or failed');
    meta.interrupted = run.interrupted || run.lost !== undefined;
    machine.busyDuring = busyShare(cpuBefore, cpuTimes());
    meta.clientCpu = Math.round((run.clientCpuMs / Math.max(run.elapsedMs, 1)) * 100) / 100;
  } catch (error) {
    const interrupted = error instanceof Interrupted || stop.signal.aborted;
    progress.end('bench', interrupted ? 'interrupted' : 'stopped');
    if (interrupted) {
      err.write('bench: interrupted before anything was measured\n');
      return 130;
    }
    if (service?.exited) throw new Error(`${error instanceof Error ? error.message : String(error)}; the service it started had exited: ${service.exited}`);
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    const stopped = await service?.stop();
    if (stopped && stopped !== 'exited 0') err.write(`bench: the service it started ${visible(stopped)}\n`);
  }

  const summary = summarize(run.samples, run.elapsedMs);
  const targets = checkTargets(summary);
  const report = path.resolve(args.report);
  let reportError: string | undefined;
  try {
    writeFileSync(report, renderReport(meta, summary, targets, run.samples));
  } catch (error) {
    reportError = error instanceof Error ? error.message : String(error);
  }
  if (args.json) {
    out.write(`${JSON.stringify({ ...meta, startedAt: meta.startedAt.toISOString(), report: reportError ? null : report, ...summary, targets }, null, 2)}\n`);
  } else {
    out.write(`${formatSummary(meta, summary, targets)}\n`);
  }
  if (reportError) {
    err.write(`ail: the report was not written to ${visible(report)}: ${visible(reportError)}\n`);
    return 1;
  }
  if (args.json) err.write(`bench: report written to ${visible(report)}\n`);
  else out.write(`report: ${visible(report)}\n`);
  if (run.lost) {
    err.write(`ail: the service stopped answering: ${run.lost}; the figures above are those of the run until then\n`);
    return 1;
  }
  return run.interrupted ? 130 : 0;
}

class Interrupted extends Error {}

/** Progress of a load run: answers so far, with the running throughput and hit rate; `finish` shows it done. */
function reporter(progress: Progress, message: string, requests?: number, durationS?: number): { sample: (sample: Sample, elapsedMs: number) => void; finish: () => void } {
  let count = 0;
  let hits = 0;
  let answered = 0;
  let shown = -Infinity;
  let elapsed = 0;
  let finished = false;
  const show = (final: boolean) => {
    const rate = `${message}, ${(answered / Math.max(elapsed / 1000, 1e-3)).toFixed(0)} qps, ${answered ? Math.round((hits / answered) * 100) : 0}% hits`;
    if (requests !== undefined) progress('bench', { done: final ? requests : Math.min(count, requests), total: requests, message: rate });
    else {
      const seconds = Math.ceil(durationS!);
      progress('bench', { done: final ? seconds : Math.min(Math.floor(elapsed / 1000), seconds - 1), total: seconds, message: `${rate}, seconds` });
    }
    finished = final || (requests !== undefined && count >= requests);
  };
  return {
    sample: (sample, elapsedMs) => {
      count++;
      elapsed = elapsedMs;
      if (sample.tier) answered++;
      if (sample.tier === 'l1' || sample.tier === 'l2') hits++;
      const last = requests !== undefined && count >= requests;
      if (!last && elapsedMs - shown < PROGRESS_INTERVAL_MS) return;
      shown = elapsedMs;
      show(false);
    },
    finish: () => {
      if (!finished) show(true);
    },
  };
}

/**
 * Reachable, AIL's, and ready. A service the bench started is waited for, its commit index included (built
 * as it starts, it would take the cores from the first questions); the user's is measured as it is.
 */
async function checkService(base: URL, started: boolean, progress: ProgressPrinter, err: NodeJS.WritableStream, signal: AbortSignal): Promise<void> {
  const live = await getJson(base, 'health/live', 10_000, signal);
  if (signal.aborted) throw new Interrupted();
  if (live.status === 0) throw new Error(`cannot reach ${base.href}: ${live.error ?? 'no answer'} (is ail serve --http running there?)`);
  if (live.status !== 200) throw new Error(`${base.href} answered ${live.status} to GET /health/live: is it AIL's HTTP service (ail serve --http)?`);
  const deadline = performance.now() + (started ? READY_TIMEOUT_MS : 0);
  const waitIndex = started && settingsFromEnv(process.env).semanticIndexEnabled;
  for (;;) {
    const ready = await getJson(base, 'health/ready', 10_000, signal);
    const stats = ready.status === 200 && waitIndex ? await getJson(base, 'v1/stats', 10_000, signal) : undefined;
    if (signal.aborted) throw new Interrupted();
    const index = (stats?.json as { index?: { state?: string; progress?: { done: number; total: number } } } | undefined)?.index;
    if (ready.status === 200 && (!stats || index?.state === 'ready' || index?.state === 'failed')) return;
    const reasons = (ready.json as { reasons?: unknown } | undefined)?.reasons;
    const why = ready.status === 200 ? `commit index ${index?.state ?? 'unknown'}` : Array.isArray(reasons) && reasons.length ? reasons.map(String).join('; ') : `HTTP ${ready.status}`;
    if (performance.now() >= deadline) {
      if (ready.status !== 200) err.write(`bench: the service says it is not ready (${visible(why)}); measuring it as it is\n`);
      else err.write(`bench: the service's ${visible(why)} after ${READY_TIMEOUT_MS / 1000} s; measuring it as it is\n`);
      return;
    }
    const done = index?.progress ? { done: index.progress.done, total: index.progress.total } : { done: 0, total: 0 };
    progress('bench', { ...done, message: `waiting for the service (${why})` });
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The top of the git work tree at `dir`: the paths the service is asked about are relative to it. */
async function workTree(dir: string): Promise<string> {
  const absolute = path.resolve(dir);
  try {
    return path.resolve((await rawGit(absolute, ['--no-pager', ...configArgs(SAFE_CONFIG), 'rev-parse', '--show-toplevel'])).trim());
  } catch {
    throw new AilError('not-a-work-tree', `${absolute} is not a git work tree: --repo names the local clone of the repository the service serves`);
  }
}

/** The figures as a person reads them, each target beside its figure, marked MISSED when missed. */
export function formatSummary(run: ReportRun, summary: HttpSummary, targets: readonly TargetCheck[]): string {
  const target = (figure: string) => {
    const check = targets.find((t) => t.figure === figure);
    if (!check) return '';
    return check.met === undefined ? `(target ${check.text}: no answers)` : check.met ? `(target ${check.text})` : `(MISSED: target ${check.text})`;
  };
  const ms = (value: number) => (value >= 100 ? value.toFixed(0) : value.toFixed(2)).padStart(9);
  const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
  const row = (name: string, figures: HttpSummary['overall'], note: string) => {
    const [p50, p95, p99, s50, s95] = [figures.p50, figures.p95, figures.p99, figures.serverP50, figures.serverP95].map((v) => (figures.count ? ms(v) : '-'.padStart(9)));
    return `${name.padEnd(8)} ${String(figures.count).padStart(7)} ${p50} ${p95} ${p99}   ${s50} ${s95}  ${note}`.trimEnd();
  };
  const errors = Object.entries(summary.errors)
    .sort((a, b) => b[1] - a[1])
    .map(([status, count]) => `${status}: ${count}`)
    .join(', ');
  const codes = Object.entries(summary.errorCodes)
    .sort((a, b) => b[1] - a[1])
    .map(([code, count]) => `${code} ${count}`)
    .join(', ');
  const lines = [
    `ail bench --http: ${visible(run.url)}${run.started ? ` (started by the bench on ${visible(run.repository)})` : ''}, ${run.files} files from ${visible(run.repository)}`,
    `seed ${run.seed}, concurrency ${run.concurrency}, ${run.requests !== undefined ? `${run.requests} requests` : `${run.durationS} s`}${run.warmupS ? ` after ${run.warmupS} s of warm-up` : ''}${run.interrupted ? ', INTERRUPTED before its end' : ''}`,
    `${summary.requests} requests in ${summary.elapsedS.toFixed(1)} s: ${summary.answered} answered, ${summary.failed} failed${summary.partial ? ` (${summary.partial} answers cut short by the time limit)` : ''}`,
    `throughput ${summary.qps.toFixed(1)} qps, slowest second ${summary.slowestSecondQps} qps ${target('throughput')}`,
    ...(run.machine ? [`machine: ${run.machine.cores} cores, ${percent(run.machine.busyBefore)} busy before the bench began${run.machine.busyDuring !== undefined ? `, ${percent(run.machine.busyDuring)} during the run` : ''}`] : []),
    ...(run.machine && run.machine.busyBefore > BUSY ? [`the machine was busy before the bench began: other work took from the service, and these figures are lower than its own`] : []),
    ...(run.clientCpu !== undefined ? [`the load generator used ${Math.round(run.clientCpu * 100)}% of a core (on the service's machine, that much is not the service's)`] : []),
    '',
    `${'tier'.padEnd(8)} ${'answers'.padStart(7)} ${'p50 ms'.padStart(9)} ${'p95 ms'.padStart(9)} ${'p99 ms'.padStart(9)}   ${'svc p50'.padStart(9)} ${'svc p95'.padStart(9)}`,
    ...TIERS.map((tier) => row(tier, summary.tiers[tier], target(`${tier} p95`))),
    row('overall', summary.overall, ''),
    '(round trips as the client saw them; svc: the answers\' queryTimeMs, what the service says the question took)',
    '',
    `hit rate: l1 ${percent(summary.hitRate.l1)}, l2 ${percent(summary.hitRate.l2)}, overall ${percent(summary.hitRate.overall)}`,
    `errors by HTTP status: ${errors || 'none'}${codes ? ` (${visible(codes)})` : ''}`,
  ];
  const refused = summary.errorCodes['file-missing'] ?? 0;
  if (refused > summary.requests / 2) lines.push(`most questions named files the service does not have: is ${visible(run.repository)} a clone of the repository it serves, at the same commit?`);
  return lines.join('\n');
}

/** The options of `ail bench --http`; a bad one is an AilError naming it (exit 2). */
export function parseHttpBenchArgs(argv: readonly string[], cwd: string): HttpBenchArgs {
  const args: HttpBenchArgs = { commits: 10_000, concurrency: 8, durationS: 30, warmupS: 0, seed: 1, report: path.join(cwd, 'ail-bench-http.html'), json: false };
  let durationGiven = false;
  let commitsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    const eq = raw.startsWith('--') ? raw.indexOf('=') : -1;
    const arg = eq > 0 ? raw.slice(0, eq) : raw;
    const inline = eq > 0 ? raw.slice(eq + 1) : undefined;
    const value = () => {
      const next = inline ?? argv[++i];
      if (next === undefined) throw new AilError('bad-argument', `${arg} needs a value`);
      return next;
    };
    const whole = (text: string, min: number, max = 1_000_000) => {
      const n = Number(text);
      if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
        throw new AilError('bad-argument', `${arg} must be a whole number from ${min} to ${max.toLocaleString('en')} (got '${text}')`);
      }
      return n;
    };
    const seconds = (text: string, min: number) => {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n) || n < min || (min === 0 ? false : n === 0) || n > 86_400) {
        throw new AilError('bad-argument', `${arg} must be a number of seconds ${min === 0 ? 'from 0' : 'above 0'} up to 86400 (got '${text}')`);
      }
      return n;
    };
    if (arg === '--http') {
      // The URL is optional: the next argument is it unless it is another option.
      const next = inline ?? (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--') ? argv[++i] : undefined);
      if (next !== undefined) args.url = serviceUrl(next);
    } else if (arg === '--repo') args.repo = value();
    else if (arg === '--commits') (args.commits = whole(value(), 1, 10_000_000)), (commitsGiven = true);
    else if (arg === '--concurrency') args.concurrency = whole(value(), 1, 1024);
    else if (arg === '--duration') (args.durationS = seconds(value(), 1)), (durationGiven = true);
    else if (arg === '--requests') args.requests = whole(value(), 1, 100_000_000);
    else if (arg === '--warmup') args.warmupS = seconds(value(), 0);
    else if (arg === '--seed') args.seed = whole(value(), 0, 2 ** 32 - 1);
    else if (arg === '--report') args.report = path.resolve(cwd, value());
    else if (arg === '--json') args.json = true;
    else throw new AilError('bad-argument', `unknown ${arg.startsWith('-') ? 'option' : 'argument'} ${raw} (${USAGE})`);
  }
  if (durationGiven && args.requests !== undefined) throw new AilError('bad-argument', '--duration and --requests both say when to stop: give one');
  if (args.url && commitsGiven) throw new AilError('bad-argument', '--commits chooses the generated repository the bench serves itself; with a URL the service is yours (--repo names its local clone)');
  const folder = path.dirname(args.report);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new AilError('bad-argument', `--report: the folder ${folder} does not exist`);
  return args;
}

/** `--http URL`: an http or https URL of the service's root (a path prefix is kept), nothing after it. */
function serviceUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new AilError('bad-argument', `--http takes the service's URL, e.g. http://127.0.0.1:8080 (got '${text}')`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AilError('bad-argument', `--http takes an http:// or https:// URL (got '${text}')`);
  if (url.search || url.hash) throw new AilError('bad-argument', `--http takes the service's root URL, without a query or fragment (got '${text}')`);
  if (url.username || url.password) throw new AilError('bad-argument', '--http: a URL with credentials in it is not supported');
  return url;
}
