import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArchaeologyContext } from '../shared/types';
import { SemanticCache, type AnswerScope } from '../server/cache/semantic-cache';
import { LexicalEmbedder } from '../server/semantic/lexical-embedder';
import { PAIRS } from './data/paraphrases';

const embedder = new LexicalEmbedder();
const scope: AnswerScope = { root: '/repo', head: 'h1', file: 'src/a.ts', text: 'blob:b1', lines: { start: 10, end: 19 }, depth: 'full' };

function answerFor(question: string): ArchaeologyContext {
  return { question, file: 'src/a.ts', headSha: 'h1', summary: `answer to ${question}`, confidence: 0.5, evidence: [], authors: [], timeline: { commitCount: 0 }, source: 'cold', queryTimeMs: 1, warnings: [] };
}

describe('the paraphrase and hard-negative set, through the real cache', () => {
  const outcomes: { pair: (typeof PAIRS)[number]; hit: boolean }[] = [];
  beforeAll(async () => {
    for (const pair of PAIRS) {
      const cache = new SemanticCache({ capacity: 10, threshold: 0.85 });
      await cache.add(embedder, scope, pair.a, answerFor(pair.a));
      outcomes.push({ pair, hit: (await cache.lookup(embedder, scope, pair.b)) !== undefined });
    }
  });
  afterAll(() => {
    const negatives = outcomes.filter((o) => !o.pair.same);
    const positives = outcomes.filter((o) => o.pair.same);
    const falseHits = negatives.filter((o) => o.hit).length;
    const hits = positives.filter((o) => o.hit).length;
    process.stdout.write(`L2 with ${embedder.id} at 0.85: ${hits}/${positives.length} paraphrases served, ${falseHits}/${negatives.length} hard negatives served (false-hit rate ${(falseHits / negatives.length).toFixed(2)})\n`);
  });

  it('serves no hard negative', () => {
    expect(outcomes.filter((o) => !o.pair.same && o.hit).map((o) => `${o.pair.a} / ${o.pair.b}`)).toEqual([]);
  });

  it('serves most paraphrases even with the lexical embedder', () => {
    const positives = outcomes.filter((o) => o.pair.same);
    expect(positives.filter((o) => o.hit).length / positives.length).toBeGreaterThanOrEqual(0.75);
  });
});

describe('scope, capacity and release', () => {
  it('answers only about the same work tree, HEAD, file, text, depth and nearly the same lines', async () => {
    const cache = new SemanticCache({ capacity: 10, threshold: 0.85 });
    await cache.add(embedder, scope, 'why was the retry limit added', answerFor('why was the retry limit added'));
    const ask = (other: Partial<AnswerScope>) => cache.lookup(embedder, { ...scope, ...other }, 'why was this retry limit added?');
    expect((await ask({}))?.cachedQuestion).toBe('why was the retry limit added');
    expect((await ask({}))?.similarity).toBeGreaterThanOrEqual(0.85);
    expect(await ask({ lines: { start: 11, end: 19 } })).toBeDefined(); // 9 of 10 lines shared
    expect(await ask({ lines: { start: 10, end: 21 } })).toBeDefined(); // 10 of 12
    expect(await ask({ lines: { start: 13, end: 19 } })).toBeUndefined(); // inside, but 7 of 10
    expect(await ask({ lines: { start: 15, end: 25 } })).toBeUndefined();
    expect(await ask({ lines: undefined })).toBeUndefined();
    expect(await ask({ depth: 'quick' })).toBeUndefined();
    expect(await ask({ head: 'h2' })).toBeUndefined();
    expect(await ask({ file: 'src/b.ts' })).toBeUndefined();
    expect(await ask({ text: 'text:edited' })).toBeUndefined();
    expect(await ask({ root: '/other' })).toBeUndefined();
  });

  it('evicts the least recently used question at capacity, reusing its slot', async () => {
    const cache = new SemanticCache({ capacity: 2, threshold: 0.85 });
    const questions = ['why is the pool shared', 'why does the parser skip comments', 'why are sessions kept in redis'];
    await cache.add(embedder, scope, questions[0]!, answerFor(questions[0]!));
    await cache.add(embedder, scope, questions[1]!, answerFor(questions[1]!));
    expect(await cache.lookup(embedder, scope, questions[0]!)).toBeDefined(); // now the most recently used
    await cache.add(embedder, scope, questions[2]!, answerFor(questions[2]!));
    expect(cache.size).toBe(2);
    expect(await cache.lookup(embedder, scope, questions[1]!)).toBeUndefined();
    expect(await cache.lookup(embedder, scope, questions[0]!)).toBeDefined();
    expect(await cache.lookup(embedder, scope, questions[2]!)).toBeDefined();
    for (let i = 0; i < 50; i++) await cache.add(embedder, scope, `why does handler number ${i} exist`, answerFor(`q${i}`));
    expect(cache.size).toBe(2);
  });

  it('forgets everything for another embedder, and on clear', async () => {
    const cache = new SemanticCache({ capacity: 5, threshold: 0.85 });
    await cache.add(embedder, scope, 'why is the pool shared', answerFor('a'));
    const other = new LexicalEmbedder(256);
    expect(await cache.lookup(other, scope, 'why is the pool shared')).toBeUndefined();
    await cache.add(other, scope, 'why is the pool shared', answerFor('b'));
    expect(cache.size).toBe(1);
    expect(cache.clear()).toBe(1);
    expect(cache.size).toBe(0);
  });
});
