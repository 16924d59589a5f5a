import { describe, expect, it } from 'vitest';
import { guardConflict, signatureOf } from '../server/cache/guards';
import { normalizeForCache } from '../server/cache/key';
import type { Sample } from '../server/bench/http-load';
import { renderReport, type ReportRun } from '../server/bench/http-report';
import { checkTargets, summarize } from '../server/bench/http-summary';
import { HttpWorkload, QUESTIONS, type ContextBody } from '../server/bench/http-workload';
import { Random, Zipf } from '../server/bench/random';
import { LexicalEmbedder } from '../server/semantic/lexical-embedder';

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
