import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardConflict, signatureOf } from '../server/cache/guards';
import { normalizeForCache } from '../server/cache/key';
import type { Sample } from '../server/bench/http-load';
import { renderReport, type ReportRun } from '../server/bench/http-report';
import { checkTargets, summarize } from '../server/bench/http-summary';
import { HttpWorkload, QUESTIONS, type ContextBody } from '../server/bench/http-workload';
import { Random, Zipf } from '../server/bench/random';
import { LexicalEmbedder } from '../server/semantic/lexical-embedder';
import { CLI, runCli } from './helpers/cli';
import { ALICE, BOB, CHLOE, Fixture, lines } from './helpers/fixture';
import { ServiceProcess, until } from './helpers/http-service';

const FILES = Array.from({ length: 40 }, (_, i) => ({ path: `src/file${i}.ts`, lines: 5 + i * 7 }));

const draw = (workload: HttpWorkload, count: number): ContextBody[] => Array.from({ length: count }, () => workload.next());

describe('the Zipf sampler', () => {
  it('draws the same ranks from the same seed, and others from another', () => {
    const zipf = new Zipf(50, 1.1);
    const ranks = (seed: number) => {
      const random = new Random(seed);
      return Array.from({ length: 200 }, () => zipf.sample(random));
    };
    expect(ranks(7)).toEqual(ranks(7));
    expect(ranks(7)).not.toEqual(ranks(8));
  });

  it('makes rank 1 the most frequent, each rank about (k+1/k)^s as frequent as the next', () => {
    const zipf = new Zipf(20, 1.1);
    const random = new Random(1);
    const counts = new Array<number>(20).fill(0);
    for (let i = 0; i < 100_000; i++) counts[zipf.sample(random)]!++;
    expect(Math.max(...counts)).toBe(counts[0]);
    for (let k = 1; k < 5; k++) expect(counts[k - 1]!).toBeGreaterThan(counts[k]!);
    expect(counts[0]! / counts[1]!).toBeCloseTo(2 ** 1.1, 0);
    expect(counts[0]! / 100_000).toBeGreaterThan(0.25); // 1 / H(20, 1.1) ≈ 0.30
  });

  it('refuses a distribution without ranks', () => {
    expect(() => new Zipf(0, 1.1)).toThrow(/at least one rank/);
  });
});

describe('the workload', () => {
  it('asks the same questions in the same order for the same seed, whatever order the files were listed in', () => {
    const a = draw(new HttpWorkload(FILES, { seed: 3 }), 500);
    const b = draw(new HttpWorkload([...FILES].reverse(), { seed: 3 }), 500);
    expect(a).toEqual(b);
    expect(draw(new HttpWorkload(FILES, { seed: 4 }), 500)).not.toEqual(a);
  });

  it('asks about lines inside each file (1-based, inclusive), sometimes about a whole file, and repeats itself as people do', () => {
    const lines = new Map(FILES.map((f) => [f.path, f.lines]));
    const bodies = draw(new HttpWorkload(FILES, { seed: 1 }), 5000);
    for (const body of bodies) {
      if (!body.range) continue;
      expect(body.range.start).toBeGreaterThanOrEqual(1);
      expect(body.range.end).toBeGreaterThanOrEqual(body.range.start);
      expect(body.range.end).toBeLessThanOrEqual(lines.get(body.path)!);
    }
    const wholeFiles = bodies.filter((b) => !b.range).length;
    expect(wholeFiles).toBeGreaterThan(50);
    expect(wholeFiles).toBeLessThan(300);
    // A few files take most questions, and the same question about the same lines comes back.
    const perFile = new Map<string, number>();
    for (const body of bodies) perFile.set(body.path, (perFile.get(body.path) ?? 0) + 1);
    const hottest = [...perFile.values()].sort((x, y) => y - x);
    expect(hottest.slice(0, 4).reduce((x, y) => x + y, 0)).toBeGreaterThan(bodies.length / 3);
    const keys = new Set(bodies.map((b) => JSON.stringify([b.path, b.range, normalizeForCache(b.question)])));
    expect(keys.size).toBeLessThan(bodies.length * 0.6);
  });

  it('never asks about a file without lines', () => {
    const bodies = draw(new HttpWorkload([...FILES, { path: 'empty.txt', lines: 0 }], { seed: 1 }), 2000);
    expect(bodies.some((b) => b.path === 'empty.txt')).toBe(false);
    expect(() => new HttpWorkload([{ path: 'empty.txt', lines: 0 }], { seed: 1 })).toThrow(/text file with lines/);
  });

  it('asks every template in several wordings, the usual wording most', () => {
    const bodies = draw(new HttpWorkload(FILES, { seed: 1 }), 20_000);
    const asked = new Map<string, number>();
    for (const body of bodies) asked.set(body.question, (asked.get(body.question) ?? 0) + 1);
    for (const wordings of QUESTIONS) {
      expect(asked.get(wordings[0]!)).toBeGreaterThan(0);
      expect(wordings.filter((w) => asked.has(w)).length).toBeGreaterThanOrEqual(2);
      for (const paraphrase of wordings.slice(1)) expect(asked.get(wordings[0]!)!).toBeGreaterThan(asked.get(paraphrase) ?? 0);
    }
  });

  // What L2 may serve is the cache's business; the workload only has to give it the chance and not
  // ask it to confuse two questions. Checked with the guards and the lexical embedder the service falls back to.
  it('words each question so that the semantic cache may serve its paraphrases, and no other question', () => {
    const embedder = new LexicalEmbedder();
    const vectors = new Map(QUESTIONS.flat().map((q) => [q, embedder.embedOne(q)]));
    const cosine = (a: string, b: string) => vectors.get(a)!.reduce((sum, x, i) => sum + x * vectors.get(b)![i]!, 0);
    let servable = 0;
    for (const [usual, ...paraphrases] of QUESTIONS) {
      for (const paraphrase of paraphrases) {
        expect(guardConflict(signatureOf(usual!), signatureOf(paraphrase)), `${usual} / ${paraphrase}`).toBeUndefined();
        if (cosine(usual!, paraphrase) >= 0.85) servable++;
      }
    }
    expect(servable).toBeGreaterThanOrEqual(QUESTIONS.length);
    for (const [i, a] of QUESTIONS.entries()) {
      for (const b of QUESTIONS.slice(i + 1)) {
        for (const x of a) for (const y of b) if (!guardConflict(signatureOf(x), signatureOf(y))) expect(cosine(x, y), `${x} / ${y}`).toBeLessThan(0.85);
      }
    }
  });
});

describe('the figures and the report', () => {
  const sample = (at: number, ms: number, tier: Sample['tier'], path = 'src/a.ts', status = 200): Sample => ({ at, ms, status, path, ...(tier ? { tier, serverMs: ms / 2 } : { error: 'line-out-of-range' }) });
  const samples: Sample[] = [
    ...Array.from({ length: 60 }, (_, i) => sample(i * 50, 1 + (i % 5) * 0.2, 'l1')),
    ...Array.from({ length: 20 }, (_, i) => sample(i * 150, 20 + i, 'l2', 'docs/<img src=x onerror=alert(1)>.md')),
    ...Array.from({ length: 40 }, (_, i) => sample(i * 75, 100 + i * 10, 'cold', 'src/"quoted" & <b>.ts')),
    sample(500, 3, undefined, 'src/a.ts', 400),
  ];
  const run: ReportRun = { url: 'http://127.0.0.1:1/', repository: '/tmp/<repo>', started: false, seed: 1, concurrency: 4, requests: 121, warmupS: 0, files: 3, startedAt: new Date(0), interrupted: false };

  it('adds up: every request answered or failed, every answer in one tier, percentiles in order', () => {
    const summary = summarize(samples, 3500);
    expect(summary.requests).toBe(121);
    expect(summary.answered + summary.failed).toBe(summary.requests);
    expect(summary.tiers.l1.count + summary.tiers.l2.count + summary.tiers.cold.count).toBe(summary.answered);
    expect(summary.errors).toEqual({ '400': 1 });
    expect(summary.errorCodes).toEqual({ 'line-out-of-range': 1 });
    expect(summary.hitRate.overall).toBeCloseTo(80 / 120, 3);
    for (const figures of [summary.overall, summary.tiers.l1, summary.tiers.l2, summary.tiers.cold]) {
      expect(figures.p50).toBeLessThanOrEqual(figures.p95);
      expect(figures.p95).toBeLessThanOrEqual(figures.p99);
    }
    expect(summary.series.reduce((n, b) => n + b.answered + b.failed, 0)).toBe(summary.requests);
    const targets = checkTargets(summary);
    expect(targets.find((t) => t.figure === 'throughput')).toMatchObject({ met: false });
    expect(targets.find((t) => t.figure === 'l1 p95')).toMatchObject({ met: true });
  });

  it('leaves a target it cannot judge unjudged', () => {
    const targets = checkTargets(summarize(samples.filter((s) => s.tier !== 'l2'), 3500));
    expect(targets.find((t) => t.figure === 'l2 p95')!.met).toBeUndefined();
  });

  it('is one self-contained HTML page with its charts, and every string from the repository escaped', () => {
    const summary = summarize(samples, 3500);
    const html = renderReport(run, summary, checkTargets(summary), samples);
    expect(html.match(/<html/g)).toHaveLength(1);
    expect(html.match(/<\/html>/g)).toHaveLength(1);
    for (const title of ['Latency over time', 'Latency distribution by tier', 'Hit rate over time']) expect(html).toContain(`<h2>${title}</h2>`);
    expect(html.match(/<svg /g)!.length).toBeGreaterThanOrEqual(3);
    expect(html).toMatch(/<circle /);
    expect(html).toMatch(/<polyline /);
    expect(html).not.toMatch(/<script|<img|<b>|<link|@import|url\(/i);
    expect(html).not.toContain('<repo>');
    expect(html).toContain('docs/&#60;img src=x onerror=alert(1)&#62;.md');
    expect(html).toContain('src/&#34;quoted&#34; &#38; &#60;b&#62;.ts');
    expect(html).toContain("Content-Security-Policy\" content=\"default-src 'none'");
  });
});

/** A file whose name would be markup, were the report to forget to escape it. */
const MARKUP_FILE = 'docs/<img src=x onerror=alert(1)>.md';

/** A small repository with some history in each file. */
function benchFixture(): Fixture {
  const repo = Fixture.create('ail-bench-http-');
  repo.write('src/server.ts', lines(60, 'serve'));
  repo.write('src/retry.ts', lines(30, 'retry'));
  repo.write(MARKUP_FILE, lines(20, 'doc'));
  repo.write('README.md', lines(8, 'readme'));
  repo.commit('Initial server, retry and docs', ALICE);
  repo.write('src/server.ts', [...lines(20, 'serve'), 'const TIMEOUT_MS = 5000; // the proxy cuts at 6 s', ...lines(40, 'serve').slice(21)]);
  repo.commit('Time requests out before the proxy does (#12)', BOB);
  repo.write('src/retry.ts', ['export const MAX_RETRIES = 3;', ...lines(30, 'retry').slice(1)]);
  repo.commit('Retry failed uploads three times; the CDN drops about one in a thousand', CHLOE);
  repo.write(MARKUP_FILE, [...lines(10, 'doc'), 'How the retries work.', ...lines(20, 'doc').slice(11)]);
  repo.commit('Document the retries', ALICE);
  return repo;
}

interface BenchJson {
  url: string;
  started: boolean;
  requests: number;
  answered: number;
  failed: number;
  interrupted: boolean;
  report: string | null;
  tiers: Record<'l1' | 'l2' | 'cold', { count: number; p50: number; p95: number; p99: number }>;
  overall: { count: number; p50: number; p95: number; p99: number };
  hitRate: { l1: number; l2: number; overall: number };
  errors: Record<string, number>;
  targets: { figure: string; met: boolean | undefined }[];
}

/** Whether anything accepts a connection at `url`. */
function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = request(new URL('health/live', url), { timeout: 2000 }, (response) => {
      response.resume();
      resolve(true);
    });
    probe.on('error', () => resolve(false));
    probe.on('timeout', () => probe.destroy(new Error('timeout')));
    probe.end();
  });
}

describe('ail bench --http against a service', () => {
  const repo = benchFixture();
  const data = mkdtempSync(path.join(tmpdir(), 'ail-bench-http-data-'));
  const out = mkdtempSync(path.join(tmpdir(), 'ail-bench-http-out-'));
  let service: ServiceProcess;

  beforeAll(async () => {
    service = await ServiceProcess.start(repo.root, { AIL_DATA_DIR: data });
    await until(async () => (await service.get('/v1/stats')).body.index.state === 'ready', 20_000, 'the commit index');
  });
  afterAll(async () => {
    await service?.kill();
    repo.cleanup();
    rmSync(data, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  });

  it('asks 150 questions and reports them all: tiers, percentiles in order, hit rates, the targets, and an HTML report', async () => {
    const report = path.join(out, 'r.html');
    const result = await runCli(['bench', '--http', service.url, '--repo', repo.root, '--requests', '150', '--concurrency', '4', '--report', report, '--json'], { cwd: out });
    expect(result.code, result.stderr).toBe(0);
    const figures = JSON.parse(result.stdout) as BenchJson;
    expect(figures).toMatchObject({ started: false, requests: 150, interrupted: false, report });
    expect(figures.answered + figures.failed).toBe(150);
    expect(figures.failed).toBe(0);
    expect(figures.tiers.l1.count + figures.tiers.l2.count + figures.tiers.cold.count).toBe(150);
    expect(figures.tiers.l1.count).toBeGreaterThan(0); // a Zipf mix repeats itself
    expect(figures.tiers.cold.count).toBeGreaterThan(0);
    for (const latency of [figures.overall, figures.tiers.l1, figures.tiers.cold]) {
      expect(latency.p50).toBeGreaterThan(0);
      expect(latency.p50).toBeLessThanOrEqual(latency.p95);
      expect(latency.p95).toBeLessThanOrEqual(latency.p99);
    }
    expect(figures.hitRate.overall).toBeCloseTo(figures.hitRate.l1 + figures.hitRate.l2, 3);
    expect(figures.hitRate.l1).toBeCloseTo(figures.tiers.l1.count / 150, 3);
    expect(figures.targets.map((t) => t.figure)).toEqual(['throughput', 'cold p95', 'l1 p95', 'l2 p95']);
    expect(result.stderr).toContain(`bench: report written to ${report}`);

    const html = readFileSync(report, 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html.match(/<html[ >]/g)).toHaveLength(1);
    expect(html.match(/<\/html>/g)).toHaveLength(1);
    for (const title of ['Latency over time', 'Latency distribution by tier', 'Hit rate over time']) expect(html).toContain(`<h2>${title}</h2>`);
    expect(html.match(/<svg [^>]*role="img"/g)!.length).toBeGreaterThanOrEqual(3);
    expect(html).toMatch(/<circle /);
    expect(html).toMatch(/<polygon /);
    // Nothing from elsewhere, and the file named like markup is text.
    expect(html).not.toMatch(/<script|<link|<img|src=["']?http|url\(/i);
    expect(html).toContain('docs/&#60;img src=x onerror=alert(1)&#62;.md');
  });

  it('prints the figures beside the seed\'s targets, a missed one marked MISSED, a tier without answers said so, and where the report went', async () => {
    expect((await service.post('/v1/cache/clear')).status).toBe(200);
    const report = path.join(out, 'text.html');
    const bench = () => runCli(['bench', '--http', service.url, '--repo', repo.root, '--requests', '40', '--concurrency', '2', '--report', report], { cwd: out });
    const first = await bench();
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^throughput [\d.]+ qps, slowest second [\d.]+ qps \((MISSED: )?target 110\+ qps sustained\)$/m);
    expect(first.stdout).toMatch(/^cold +[1-9]\d* +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +\((MISSED: )?target p95 <= 450 ms\)$/m);
    expect(first.stdout).toMatch(/^l1 +\d+ .*\((MISSED: )?target p95 <= 2 ms\)$/m);
    expect(first.stdout).toMatch(/^overall +40 /m);
    expect(first.stdout).toMatch(/^hit rate: l1 [\d.]+%, l2 [\d.]+%, overall [\d.]+%$/m);
    expect(first.stdout).toContain('errors by HTTP status: none');
    expect(first.stdout.trimEnd().split('\n').at(-1)).toBe(`report: ${report}`);
    expect(existsSync(report)).toBe(true);
    // The same seed asks the same questions again: every answer is cached now.
    const again = await bench();
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^cold +0 +- +- +- +- +- +\(target p95 <= 450 ms: no answers\)$/m);
    expect(again.stdout).toMatch(/^hit rate: .*, overall 100\.0%$/m);
  });

  it('counts what the service refuses by HTTP status: a clone at another commit asks about lines that are not there', async () => {
    const other = Fixture.create('ail-bench-http-other-');
    try {
      other.write('src/server.ts', lines(400, 'serve'));
      other.write('src/gone.ts', lines(50, 'gone'));
      other.commit('A longer server and a file the service does not have');
      const result = await runCli(['bench', '--http', service.url, '--repo', other.root, '--requests', '60', '--report', path.join(out, 'other.html'), '--json'], { cwd: out });
      expect(result.code, result.stderr).toBe(0);
      const figures = JSON.parse(result.stdout) as BenchJson & { errorCodes: Record<string, number> };
      expect(figures.failed).toBeGreaterThan(0);
      expect(figures.answered + figures.failed).toBe(60);
      expect(Object.values(figures.errors).reduce((a, b) => a + b, 0)).toBe(figures.failed);
      for (const status of Object.keys(figures.errors)) expect(['400', '404']).toContain(status);
    } finally {
      other.cleanup();
    }
  });
});

describe('ail bench --http when the service goes away', () => {
  it('stops counting refusals, prints what it measured until then, and says the service stopped answering', async () => {
    const repo = benchFixture();
    const data = mkdtempSync(path.join(tmpdir(), 'ail-bench-http-data-'));
    const out = mkdtempSync(path.join(tmpdir(), 'ail-bench-http-out-'));
    const service = await ServiceProcess.start(repo.root, { AIL_DATA_DIR: data });
    try {
      const child = spawn(process.execPath, [CLI, 'bench', '--http', service.url, '--repo', repo.root, '--duration', '120', '--json', '--report', path.join(out, 'gone.html')], { cwd: out });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      await until(() => /bench: requests, /.test(stderr), 30_000, 'the run to start');
      await service.kill();
      expect(await exited).toBe(1);
      expect(stderr).toMatch(/^bench: stopped after \d+ requests: the service stopped answering$/m);
      expect(stderr.trimEnd().split('\n').at(-1)).toMatch(/^ail: the service stopped answering: 20 connections in a row failed \(ECONN(REFUSED|RESET)\); the figures above are those of the run until then$/);
      const figures = JSON.parse(stdout) as BenchJson;
      expect(figures.answered).toBeGreaterThan(0);
      expect(figures.failed).toBeGreaterThanOrEqual(20);
      expect(figures.errors['no response']).toBe(figures.failed);
    } finally {
      await service.kill();
      repo.cleanup();
      rmSync(data, { recursive: true, force: true });
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('ail bench --http refuses what it cannot do, in one line', () => {
  const cwd = tmpdir();
  it.each([
    [['--http', 'notaurl'], /^ail: --http takes the service's URL, e\.g\. http:\/\/127\.0\.0\.1:8080 \(got 'notaurl'\)$/],
    [['--http', 'ftp://example.com'], /^ail: --http takes an http:\/\/ or https:\/\/ URL \(got 'ftp:\/\/example\.com'\)$/],
    [['--http', 'http://127.0.0.1:9', '--concurrency', '0'], /^ail: --concurrency must be a whole number from 1 to 1,024 \(got '0'\)$/],
    [['--http', 'http://127.0.0.1:9', '--duration', 'soon'], /^ail: --duration must be a number of seconds above 0 up to 86400 \(got 'soon'\)$/],
    [['--http', 'http://127.0.0.1:9', '--duration', '5', '--requests', '10'], /^ail: --duration and --requests both say when to stop: give one$/],
    [['--http', 'http://127.0.0.1:9', '--commits', '100'], /^ail: --commits chooses the generated repository/],
    [['--http', '--report', '/nonexistent-folder/r.html'], /^ail: --report: the folder \/nonexistent-folder does not exist$/],
    [['--http', '--bogus'], /^ail: unknown option --bogus \(ail bench --http \[URL\]/],
  ])('%j', async (args, message) => {
    const result = await runCli(['bench', ...args], { cwd });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.endsWith('\n')).toBe(true);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr.trimEnd()).toMatch(message);
  });

  it('says a URL nobody answers at cannot be reached, after ending its progress, and writes no report', async () => {
    const repo = benchFixture();
    const out = mkdtempSync(path.join(tmpdir(), 'ail-bench-http-out-'));
    try {
      const report = path.join(out, 'r.html');
      const result = await runCli(['bench', '--http', 'http://127.0.0.1:1', '--repo', repo.root, '--requests', '10', '--report', report], { cwd: out });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      const stderr = result.stderr.trimEnd().split('\n');
      expect(stderr.at(-2)).toBe('bench: stopped');
      expect(stderr.at(-1)).toBe('ail: cannot reach http://127.0.0.1:1/: ECONNREFUSED (is ail serve --http running there?)');
      expect(stderr).toContain('bench: connecting to http://127.0.0.1:1/');
      expect(existsSync(report)).toBe(false);
    } finally {
      repo.cleanup();
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('refuses a --repo that is not a git work tree', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ail-bench-http-plain-'));
    try {
      const result = await runCli(['bench', '--http', 'http://127.0.0.1:1', '--repo', dir, '--report', path.join(dir, 'r.html')], { cwd: dir });
      expect(result.code).toBe(2);
      expect(result.stderr.trimEnd()).toBe(`ail: ${dir} is not a git work tree: --repo names the local clone of the repository the service serves`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ail bench --http without a URL: the service it starts itself', () => {
  const repo = benchFixture();
  const out = mkdtempSync(path.join(tmpdir(), 'ail-bench-http-out-'));
  afterAll(() => {
    repo.cleanup();
    rmSync(out, { recursive: true, force: true });
  });

  it('serves --repo, measures it, and stops it', async () => {
    const result = await runCli(['bench', '--http', '--repo', repo.root, '--requests', '30', '--json', '--report', path.join(out, 'own.html')], { cwd: out });
    expect(result.code, result.stderr).toBe(0);
    const figures = JSON.parse(result.stdout) as BenchJson;
    expect(figures).toMatchObject({ started: true, requests: 30, failed: 0 });
    expect(result.stderr).toContain('bench: starting ail serve --http');
    expect(await answers(figures.url)).toBe(false);
  });

  it('on Ctrl-C stops sending, ends its progress, prints what it measured, and stops the service', async () => {
    const child = spawn(process.execPath, [CLI, 'bench', '--http', '--repo', repo.root, '--duration', '120', '--json', '--report', path.join(out, 'ctrl-c.html')], {
      cwd: out,
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    // The first line of the run's progress says questions are being answered.
    await until(() => /bench: requests, /.test(stderr), 30_000, 'the run to start');
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toMatch(/^bench: interrupted after \d+ requests$/m);
    const figures = JSON.parse(stdout) as BenchJson;
    expect(figures).toMatchObject({ started: true, interrupted: true });
    expect(figures.requests).toBeGreaterThan(0);
    expect(figures.answered + figures.failed).toBe(figures.requests);
    expect(await answers(figures.url)).toBe(false);
  });
});
