import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { HierarchicalNSW } from 'hnswlib-node';
import type { EngineParts } from '../compose';
import type { Repository } from '../git/repository';
import { CommitIndex } from '../semantic/commit-index';
import { INDEX_FILE } from '../semantic/index-store';
import { LexicalEmbedder } from '../semantic/lexical-embedder';
import type { Progress } from './progress';

export interface CacheTarget {
  file: string;
  start: number;
  end: number;
}

export interface CacheBench {
  l1HitMs: number[];
  l2HitMs: number[];
  l2Served: number;
  l2Asked: number;
  index: { commits: number; seconds: number; embedder: string; rssDeltaMb: number; fileMb: number };
  index50k: { vectors: number; seconds: number; rssDeltaMb: number; fileMb: number };
}

const L1_REPEATS = 200;

/** The cache tiers and the commit index, in-process, with the lexical embedder (no model can be had here). */
export async function benchCaches(engine: EngineParts, repo: Repository, targets: CacheTarget[], progress: Progress): Promise<CacheBench> {
  const ask = (target: CacheTarget, question: string) =>
    engine.answers.ask({ path: path.join(repo.root, target.file), lines: { start: target.start, end: target.end }, question, timeLimitMs: 60_000 });
  const l1HitMs: number[] = [];
  const l2HitMs: number[] = [];
  let l2Served = 0;
  await engine.semantic.start(undefined, new LexicalEmbedder().id);
  // First every answer is computed (a partial one, its line history still walking, is not cached, so
  // ask until it is whole); then the hits are timed, away from the garbage the digging leaves behind.
  for (const [i, target] of targets.entries()) {
    for (let tries = 0; tries < 100 && (await ask(target, 'why does this code exist?')).partial; tries++);
    for (let tries = 0; tries < 100 && (await ask(target, 'why was this retry handling added')).partial; tries++);
    progress('bench', { done: i + 1, total: targets.length, message: 'caches' });
  }
  for (const target of targets) {
    for (let r = 0; r < L1_REPEATS; r++) {
      const started = performance.now();
      const answer = await ask(target, 'why does this code exist?');
      l1HitMs.push(performance.now() - started);
      if (answer.source !== 'l1') throw new Error(`expected an L1 hit, got '${answer.source}'`);
    }
  }
  for (const target of targets) {
    const started = performance.now();
    const paraphrase = await ask(target, 'what is the reason this retry handling was added?');
    if (paraphrase.source === 'l2') {
      l2HitMs.push(performance.now() - started);
      l2Served++;
    }
  }
  return { l1HitMs, l2HitMs, l2Served, l2Asked: targets.length, index: await benchIndex(repo, progress), index50k: benchIndex50k(progress) };
}

/** Builds the repository's commit index from scratch with the lexical embedder, in a temp dir. */
async function benchIndex(repo: Repository, progress: Progress): Promise<CacheBench['index']> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ail-bench-index-'));
  try {
    global.gc?.();
    const before = process.memoryUsage.rss();
    const started = performance.now();
    const embedder = new LexicalEmbedder();
    const index = new CommitIndex(repo, embedder, {
      dir,
      batchSize: 256,
      onProgress: ({ done, total }) => progress('bench', { done, total, message: 'indexing commits' }),
    });
    const state = await index.open();
    if (state !== 'ready') throw new Error(`the index build ended '${state}': ${index.reason ?? ''}`);
    const seconds = (performance.now() - started) / 1000;
    const rssDeltaMb = (process.memoryUsage.rss() - before) / 1024 / 1024;
    const fileMb = statSync(path.join(dir, INDEX_FILE)).size / 1024 / 1024;
    const commits = index.count;
    index.dispose();
    return { commits, seconds: round(seconds), embedder: embedder.id, rssDeltaMb: round(rssDeltaMb), fileMb: round(fileMb) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The memory of a 50,000-commit index: lexical vectors of synthetic commit messages in the same HNSW settings. */
function benchIndex50k(progress: Progress): CacheBench['index50k'] {
  const count = 50_000;
  const embedder = new LexicalEmbedder();
  const words = 'fix add remove cache retry timeout parser token session user auth login request response header body stream queue worker pool limit config build test docs bump dependency release refactor rename move split merge handle error crash leak slow fast memory cpu disk network socket file path url query index search sort filter map reduce'.split(' ');
  global.gc?.();
  const before = process.memoryUsage.rss();
  const started = performance.now();
  const index = new HierarchicalNSW('cosine', embedder.dimension);
  index.initIndex(count, 16, 100, 100);
  let seed = 1;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < count; i++) {
    const message = Array.from({ length: 6 + Math.floor(random() * 10) }, () => words[Math.floor(random() * words.length)]).join(' ');
    index.addPoint(Array.from(embedder.embedOne(`${message} #${i}`)), i);
    if ((i + 1) % 500 === 0) progress('bench', { done: i + 1, total: count, message: `building a ${count.toLocaleString('en')}-vector index` });
  }
  const seconds = (performance.now() - started) / 1000;
  const rssDeltaMb = (process.memoryUsage.rss() - before) / 1024 / 1024;
  const dir = mkdtempSync(path.join(tmpdir(), 'ail-bench-50k-'));
  try {
    index.writeIndexSync(path.join(dir, INDEX_FILE));
    return { vectors: count, seconds: round(seconds), rssDeltaMb: round(rssDeltaMb), fileMb: round(statSync(path.join(dir, INDEX_FILE)).size / 1024 / 1024) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
