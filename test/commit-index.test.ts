import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Repository } from '../server/git/repository';
import { CommitIndex } from '../server/semantic/commit-index';
import { INDEX_FILE, loadIndex, MANIFEST_FILE, SHAS_FILE, verifyIndex, type IndexManifest } from '../server/semantic/index-store';
import { LexicalEmbedder } from '../server/semantic/lexical-embedder';
import { Fixture } from './helpers/fixture';

const MESSAGES = [
  'Initial project layout',
  'Hash passwords with bcrypt instead of MD5\n\nMD5 is broken for password storage; bcrypt is slow on purpose and salts each hash.',
  'Add retry to the HTTP client\n\nTransient 502s from the gateway failed whole imports; retry three times with backoff.',
  'Render the invoice table with virtual scrolling',
  'Upgrade the logging library to version 3',
  'Cache parsed configuration files between requests',
  'Fix the off-by-one in pagination of search results',
  'Translate the settings page into French and German',
];

const embedder = new LexicalEmbedder();
const expected = { embedder: embedder.id, dimension: embedder.dimension };
const temporaryDirs: string[] = [];

function dataDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ail-index-'));
  temporaryDirs.push(dir);
  return dir;
}

function history(messages: readonly string[]): { fixture: Fixture; shas: string[] } {
  const fixture = Fixture.create();
  const shas = messages.map((message, i) => fixture.write('notes.txt', `change ${i}\n`).commit(message));
  return { fixture, shas };
}

function readManifest(dir: string): IndexManifest {
  return JSON.parse(readFileSync(path.join(dir, MANIFEST_FILE), 'utf8')) as IndexManifest;
}

afterAll(() => {
  for (const dir of temporaryDirs) rmSync(dir, { recursive: true, force: true });
});

describe('CommitIndex: build, persist, reopen', () => {
  let fixture: Fixture;
  let shas: string[];
  let repo: Repository;
  let dir: string;
  let built: CommitIndex;
  const progress: { done: number; total: number }[] = [];

  beforeAll(async () => {
    ({ fixture, shas } = history(MESSAGES));
    repo = await Repository.open(fixture.root);
    dir = dataDir();
    built = new CommitIndex(repo, embedder, { dir, batchSize: 3, onProgress: ({ done, total }) => progress.push({ done, total }) });
    expect(await built.open()).toBe('ready');
  });

  afterAll(() => {
    repo.dispose();
    fixture.cleanup();
  });

  it('indexes every commit and finds the bcrypt commit from a paraphrased question', async () => {
    expect(built.count).toBe(MESSAGES.length);
    expect(built.lastRun).toMatchObject({ kind: 'built', embedded: MESSAGES.length });
    const hits = await built.search('why did we move to bcrypt?', 3);
    expect(hits[0]!.sha).toBe(shas[1]);
    expect(hits[0]!.similarity).toBeGreaterThan(hits[1]!.similarity);
    expect((await built.search('why does the http client retry?', 1))[0]!.sha).toBe(shas[2]);
  });

  it('persists the index, the sha table and a manifest that describes them', () => {
    expect(readdirSync(dir).sort()).toEqual([INDEX_FILE, SHAS_FILE, MANIFEST_FILE].sort());
    const manifest = readManifest(dir);
    expect(manifest).toMatchObject({ version: 1, embedder: 'lexical-v1-384', dimension: 384, head: fixture.head(), count: MESSAGES.length });
    expect(manifest.checksum.index).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.checksum.shas).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(readFileSync(path.join(dir, SHAS_FILE), 'utf8').trim().split('\n'))).toEqual(new Set(shas));
  });

  it('reports progress during the build until done reaches total', () => {
    expect(progress.length).toBeGreaterThan(2);
    expect(progress.every(({ total }) => total === MESSAGES.length)).toBe(true);
    expect(progress.map(({ done }) => done)).toEqual([...progress.map(({ done }) => done)].sort((a, b) => a - b));
    expect(progress.at(-1)).toEqual({ done: MESSAGES.length, total: MESSAGES.length });
  });

  it('reopens the stored index without embedding anything', async () => {
    const reopenedProgress: number[] = [];
    const reopened = new CommitIndex(repo, embedder, { dir, batchSize: 3, onProgress: ({ done }) => reopenedProgress.push(done) });
    expect(await reopened.open()).toBe('ready');
    expect(reopened.lastRun).toMatchObject({ kind: 'loaded', embedded: 0, count: MESSAGES.length });
    expect(reopenedProgress).toEqual([]);
    expect(reopened.warnings).toEqual([]);
    expect((await reopened.search('why did we move to bcrypt?', 1))[0]!.sha).toBe(shas[1]);
  });

  it('answers only from the given commits with restrictTo', async () => {
    const hits = await built.search('why did we move to bcrypt?', 5, undefined, new Set([shas[2]!, shas[4]!]));
    expect(hits.map((hit) => hit.sha).sort()).toEqual([shas[2], shas[4]].sort());
  });

  it('answers nothing before it is opened, and an aborted open leaves it off with nothing stored', async () => {
    const emptyDir = dataDir();
    const index = new CommitIndex(repo, embedder, { dir: emptyDir, batchSize: 3 });
    expect(await index.search('bcrypt', 3)).toEqual([]);
    const controller = new AbortController();
    controller.abort();
    expect(await index.open(controller.signal)).toBe('off');
    expect(readdirSync(emptyDir)).toEqual([]);
  });
});

describe('CommitIndex: restrictTo through the graph filter', () => {
  it('answers only from a set too large to score exactly', async () => {
    const fixture = Fixture.create();
    const routine = Array.from({ length: 68 }, (_, i) => fixture.commit(`Routine maintenance of module ${i}`));
    const bcrypt = fixture.commit('Hash passwords with bcrypt instead of MD5');
    const retry = fixture.commit('Add retry to the HTTP client');
    const repo = await Repository.open(fixture.root);
    try {
      const index = new CommitIndex(repo, embedder, { dir: dataDir(), batchSize: 16 });
      await index.open();
      expect(index.count).toBe(70);
      const withBcrypt = new Set([...routine.slice(0, 66), bcrypt]);
      expect((await index.search('why did we move to bcrypt?', 5, undefined, withBcrypt))[0]!.sha).toBe(bcrypt);
      const withoutEither = new Set(routine.slice(0, 66));
      const hits = await index.search('why did we move to bcrypt?', 5, undefined, withoutEither);
      expect(hits).toHaveLength(5);
      expect(hits.every((hit) => withoutEither.has(hit.sha))).toBe(true);
      expect(hits.map((hit) => hit.sha)).not.toContain(retry);
    } finally {
      repo.dispose();
      fixture.cleanup();
    }
  });
});

describe('CommitIndex: incremental update', () => {
  it('adds exactly the new commit when HEAD moves on, and it is searchable', async () => {
    const { fixture } = history(MESSAGES.slice(0, 4));
    const repo = await Repository.open(fixture.root);
    try {
      const dir = dataDir();
      const index = new CommitIndex(repo, embedder, { dir, batchSize: 2 });
      await index.open();
      expect(index.count).toBe(4);
      const added = fixture.write('notes.txt', 'new\n').commit('Compress uploaded images with WebP');
      expect(await index.update()).toBe('ready');
      expect(index.lastRun).toMatchObject({ kind: 'updated', embedded: 1, count: 5 });
      expect(index.count).toBe(5);
      expect(index.head).toBe(added);
      expect((await index.search('why are images stored as webp?', 1))[0]!.sha).toBe(added);
      expect(readManifest(dir)).toMatchObject({ head: added, count: 5 });
      const reopened = new CommitIndex(repo, embedder, { dir, batchSize: 2 });
      await reopened.open();
      expect(reopened.lastRun).toMatchObject({ kind: 'loaded', embedded: 0, count: 5 });
    } finally {
      repo.dispose();
      fixture.cleanup();
    }
  });

  it('rebuilds when HEAD no longer contains the indexed commit', async () => {
    const { fixture } = history(MESSAGES.slice(0, 4));
    const repo = await Repository.open(fixture.root);
    try {
      const index = new CommitIndex(repo, embedder, { dir: dataDir(), batchSize: 2 });
      await index.open();
      fixture.git('reset', '-q', '--hard', 'HEAD~2');
      const rewritten = fixture.write('notes.txt', 'other\n').commit('Switch the build to esbuild');
      expect(await index.update()).toBe('ready');
      expect(index.lastRun).toMatchObject({ kind: 'rebuilt', reason: expect.stringMatching(/^HEAD .* does not contain the indexed commit/), embedded: 3, count: 3 });
      expect(index.head).toBe(rewritten);
      expect(index.warnings).toEqual([expect.stringMatching(/^index-rebuilt: HEAD .* does not contain the indexed commit/)]);
    } finally {
      repo.dispose();
      fixture.cleanup();
    }
  });
});

/** Ways a stored index can be damaged, and the reason verification must give before anything reads it. */
const CORRUPTIONS: { name: string; damage: (dir: string) => void; reason: RegExp }[] = [
  {
    name: 'a missing manifest',
    damage: (dir) => rmSync(path.join(dir, MANIFEST_FILE)),
    reason: /^manifest missing$/,
  },
  {
    name: 'a truncated commits.hnsw',
    damage: (dir) => {
      const file = path.join(dir, INDEX_FILE);
      truncateSync(file, Math.floor(readFileSync(file).length / 2));
    },
    reason: /^checksum mismatch: commits\.hnsw$/,
  },
  {
    name: 'a flipped byte in a neighbour list in the middle of commits.hnsw',
    damage: (dir) => {
      const file = path.join(dir, INDEX_FILE);
      const bytes = readFileSync(file);
      const count = Number(bytes.readBigUInt64LE(16));
      const sizePerElement = Number(bytes.readBigUInt64LE(24));
      // Level 0 starts after the 96-byte header; each element begins with its neighbour count, then the neighbour ids.
      const firstNeighbour = 96 + Math.floor(count / 2) * sizePerElement + 4;
      bytes[firstNeighbour + 1]! ^= 0xff;
      writeFileSync(file, bytes);
    },
    reason: /^checksum mismatch: commits\.hnsw$/,
  },
  {
    name: 'a manifest written for another embedder',
    damage: (dir) => {
      const manifest = readManifest(dir);
      writeFileSync(path.join(dir, MANIFEST_FILE), JSON.stringify({ ...manifest, embedder: 'transformers:Xenova/all-MiniLM-L6-v2' }));
    },
    reason: /^embedder changed: index built with transformers:Xenova\/all-MiniLM-L6-v2, now lexical-v1-384$/,
  },
  {
    name: 'a manifest with another dimension',
    damage: (dir) => {
      const manifest = readManifest(dir);
      writeFileSync(path.join(dir, MANIFEST_FILE), JSON.stringify({ ...manifest, dimension: 256 }));
    },
    reason: /^dimension mismatch: index has 256, embedder has 384$/,
  },
  {
    name: 'commits.shas with a line missing',
    damage: (dir) => {
      const file = path.join(dir, SHAS_FILE);
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.splice(3, 1);
      writeFileSync(file, lines.join('\n'));
    },
    reason: /^count mismatch: commits\.shas has 7 commits, manifest says 8$/,
  },
];

describe('CommitIndex: recovery from a damaged index', () => {
  let fixture: Fixture;
  let shas: string[];
  let repo: Repository;
  let pristine: string;

  beforeAll(async () => {
    ({ fixture, shas } = history(MESSAGES));
    repo = await Repository.open(fixture.root);
    pristine = dataDir();
    await new CommitIndex(repo, embedder, { dir: pristine, batchSize: 4 }).open();
    expect((await verifyIndex(pristine, expected)).kind).toBe('ok');
  });

  afterAll(() => {
    repo.dispose();
    fixture.cleanup();
  });

  it.each(CORRUPTIONS)('detects $name before reading it, deletes it, rebuilds and says why', async ({ damage, reason }) => {
    const dir = dataDir();
    cpSync(pristine, dir, { recursive: true });
    damage(dir);

    // Verification alone (no hnswlib call) must already refuse it.
    const verified = await verifyIndex(dir, expected);
    expect(verified.kind).toBe('invalid');
    expect(verified.kind === 'invalid' && verified.reason).toMatch(reason);

    const progress: number[] = [];
    const index = new CommitIndex(repo, embedder, { dir, batchSize: 4, onProgress: ({ done }) => progress.push(done) });
    expect(await index.open()).toBe('ready');
    expect(index.warnings).toHaveLength(1);
    expect(index.warnings[0]).toMatch(/^index-rebuilt: /);
    expect(index.warnings[0]!.slice('index-rebuilt: '.length)).toMatch(reason);
    expect(index.lastRun).toMatchObject({ kind: 'rebuilt', embedded: MESSAGES.length, count: MESSAGES.length });
    expect(index.lastRun!.reason).toMatch(reason);
    expect(progress.at(-1)).toBe(MESSAGES.length);

    // The rebuilt set replaced the damaged one and is whole.
    const reloaded = await loadIndex(dir, expected);
    expect(reloaded.kind).toBe('ok');
    expect(readdirSync(dir).filter((name) => name.includes('.tmp-'))).toEqual([]);
    expect(existsSync(path.join(dir, MANIFEST_FILE))).toBe(true);
    expect((await index.search('why did we move to bcrypt?', 1))[0]!.sha).toBe(shas[1]);
  });
});
