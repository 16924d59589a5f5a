import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MergeCommitEnricher } from '../server/archaeology/enrichers';
import { ArchaeologyProvider } from '../server/archaeology/provider';
import { AnswerService, type CacheSettings } from '../server/cache/answers';
import { Metrics } from '../server/observe/metrics';
import { cacheStats } from '../server/observe/stats';
import { rolloutBucket } from '../server/cache/key';
import { RepositoryRegistry } from '../server/git/registry';
import { LexicalEmbedder } from '../server/semantic/lexical-embedder';
import { ALICE, BOB, Fixture, lines } from './helpers/fixture';

const registry = new RepositoryRegistry();
afterAll(() => registry.dispose());
const embedder = new LexicalEmbedder();
const defaults: CacheSettings = { cacheSize: 1000, semanticCacheEnabled: true, semanticCacheRollout: 100, semanticCacheThreshold: 0.85, semanticCacheSize: 100 };

/** An answer service with its own metrics; `stats(service)` is what `ail/stats` would answer about its caches. */
const metricsOf = new WeakMap<AnswerService, Metrics>();
function service(settings: Partial<CacheSettings> = {}, provider = new ArchaeologyProvider({ registry, enrichers: [new MergeCommitEnricher()] })) {
  const metrics = new Metrics();
  const answers = new AnswerService({ provider, embedder: () => embedder, metrics }, { ...defaults, ...settings });
  metricsOf.set(answers, metrics);
  return answers;
}
const stats = (answers: AnswerService) => cacheStats(metricsOf.get(answers)!, { caches: answers.state(), index: { state: 'off', commits: 0, embedder: embedder.id }, warming: 0 });

describe('the two cache tiers in front of the engine', () => {
  const repo = Fixture.create();
  let first = '';
  beforeAll(() => {
    repo.write('src/retry.ts', ['export const MAX_RETRIES = 3;', ...lines(10)]);
    first = repo.commit('Retry failed uploads three times; the CDN drops about one in a thousand', ALICE);
  });
  afterAll(() => repo.cleanup());
  const ask = (answers: AnswerService, question: string, extra: { contents?: string; lines?: [number, number] } = {}) =>
    answers.ask({ path: repo.path('src/retry.ts'), lines: { start: (extra.lines?.[0] ?? 1) - 1, end: (extra.lines?.[1] ?? 1) - 1 }, question, contents: extra.contents, timeLimitMs: 20_000 });

  it('answers cold, then from L1 for the same question however it is spaced or cased', async () => {
    const answers = service();
    const cold = await ask(answers, 'why three retries?');
    expect(cold.source).toBe('cold');
    const again = await ask(answers, '  Why   THREE retries ');
    expect(again.source).toBe('l1');
    expect(again.question).toBe('Why THREE retries');
    expect(again.evidence).toEqual(cold.evidence);
    expect(stats(answers)).toMatchObject({ queries: 2, l1: { hits: 1, misses: 1, size: 1, capacity: 1000 }, hitRate: 0.5 });
    expect(stats(answers).questions).toEqual({ queries: 2, hitRate: 0.5 });
  });

  it('counts hovers and lenses (quick answers) among all answers, not among questions', async () => {
    const answers = service();
    await ask(answers, 'why three retries?');
    for (const line of [2, 3, 4]) await answers.ask({ path: repo.path('src/retry.ts'), lines: { start: line, end: line }, depth: 'quick', timeLimitMs: 20_000 });
    expect(stats(answers)).toMatchObject({ queries: 4, hitRate: 0, questions: { queries: 1, hitRate: 0 } });
  });

  it('misses L1 after a new commit and for edited text: nothing stale is served', async () => {
    const answers = service({ semanticCacheEnabled: false });
    expect((await ask(answers, 'why?')).source).toBe('cold');
    expect((await ask(answers, 'why?')).source).toBe('l1');
    const edited = ['export const MAX_RETRIES = 5;', ...lines(10)].join('\n') + '\n';
    const onEdit = await ask(answers, 'why?', { contents: edited });
    expect(onEdit.source).toBe('cold');
    expect(onEdit.uncommittedLines).toBe(1);
    repo.write('src/retry.ts', ['export const MAX_RETRIES = 4;', ...lines(10)]);
    const second = repo.commit('Allow a fourth retry for slow mobile networks', BOB);
    const afterCommit = await ask(answers, 'why?');
    expect(afterCommit.source).toBe('cold');
    expect(afterCommit.headSha).toBe(second);
    expect(afterCommit.evidence[0]!.commit.sha).toBe(second);
    expect(afterCommit.headSha).not.toBe(first);
  });

  it('serves a paraphrase from L2, with its similarity and the question it was computed for', async () => {
    const answers = service();
    const cold = await ask(answers, 'why was the retry limit added', { lines: [1, 1] });
    const hit = await ask(answers, 'what is the reason the retry limit was added', { lines: [1, 1] });
    expect(hit.source).toBe('l2');
    expect(hit.similarity).toBeGreaterThanOrEqual(0.85);
    expect(hit.cachedQuestion).toBe('why was the retry limit added');
    expect(hit.evidence).toEqual(cold.evidence);
    const guarded = await ask(answers, 'why was the retry limit removed', { lines: [1, 1] });
    expect(guarded.source).toBe('cold');
    expect(stats(answers).l2).toMatchObject({ hits: 1, misses: 2, size: 2, enabled: true, rollout: 100, threshold: 0.85 });
  });

  it('keeps quick answers (hovers, lenses) out of L2: their question never varies', async () => {
    const answers = service();
    const quick = (line: number) => answers.ask({ path: repo.path('src/retry.ts'), lines: { start: line, end: line }, depth: 'quick', timeLimitMs: 20_000 });
    expect((await quick(9)).source).toBe('cold');
    expect((await quick(9)).source).toBe('l1');
    expect((await quick(10)).source).toBe('cold');
    expect(stats(answers).l2).toMatchObject({ hits: 0, misses: 0, size: 0 });
  });

  it('switches L2 off at once and frees it, and back on, without a restart', async () => {
    const answers = service();
    await ask(answers, 'why was the retry limit added', { lines: [2, 2] });
    expect(stats(answers).l2.size).toBe(1);
    answers.configure({ ...defaults, semanticCacheEnabled: false });
    expect(stats(answers).l2).toMatchObject({ size: 0, enabled: false });
    const off = await ask(answers, 'what is the reason the retry limit was added', { lines: [2, 2] });
    expect(off.source).toBe('cold');
    expect(stats(answers).l2.hits).toBe(0);
    answers.configure(defaults);
    await ask(answers, 'why was the retry limit added', { lines: [3, 3] });
    expect((await ask(answers, 'what is the reason the retry limit was added', { lines: [3, 3] })).source).toBe('l2');
  });

  it('takes a stable share of questions through L2 by rollout', async () => {
    const questions = Array.from({ length: 400 }, (_, i) => `why does handler ${i} retry`);
    const share = (rollout: number) => questions.filter((q) => rolloutBucket(q) < rollout).length / questions.length;
    expect(share(0)).toBe(0);
    expect(share(100)).toBe(1);
    expect(share(50)).toBeGreaterThan(0.4);
    expect(share(50)).toBeLessThan(0.6);
    expect(questions.map(rolloutBucket)).toEqual(questions.map(rolloutBucket)); // the same question, the same path

    const none = service({ semanticCacheRollout: 0 });
    await ask(none, 'why was the retry limit added', { lines: [4, 4] });
    expect((await ask(none, 'what is the reason the retry limit was added', { lines: [4, 4] })).source).toBe('cold');
    expect(stats(none).l2).toMatchObject({ hits: 0, misses: 0, size: 0, rollout: 0 });
  });

  it('computes concurrent identical questions once, and never caches a partial answer', async () => {
    const provider = new ArchaeologyProvider({ registry });
    let computed = 0;
    const answer = provider.answer.bind(provider);
    provider.answer = (target, input) => {
      computed++;
      return answer(target, input);
    };
    const answers = service({}, provider);
    const both = await Promise.all([ask(answers, 'why the constant?', { lines: [5, 5] }), ask(answers, 'why the constant?', { lines: [5, 5] })]);
    expect(computed).toBe(1);
    expect(both[0]!.evidence).toEqual(both[1]!.evidence);

    const partial = await answers.ask({ path: repo.path('src/retry.ts'), lines: { start: 6, end: 6 }, question: 'cut short', timeLimitMs: 1 });
    expect(partial.partial).toBe(true);
    const retried = await ask(answers, 'cut short', { lines: [7, 7] });
    expect(retried.source).toBe('cold');
    expect(stats(answers).l1.size).toBe(2);
  });

  it('clears both tiers on request', async () => {
    const answers = service();
    await ask(answers, 'why was the retry limit added', { lines: [8, 8] });
    expect(answers.clear()).toEqual({ l1: 1, l2: 1 });
    expect((await ask(answers, 'why was the retry limit added', { lines: [8, 8] })).source).toBe('cold');
  });
});
