import { cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cosine, type ProgressReporter } from '../server/semantic/embedder';
import { loadTransformersEmbedder, type TransformersEmbedder, type TransformersOptions } from '../server/semantic/transformers-embedder';
import { CancelledError } from '../server/util/flight';
import { buildTinyModel, type TinyModel } from './helpers/tiny-model';

type Progress = Parameters<ProgressReporter>[0];

const TEXTS = [
  'fix the cache leak in the server',
  'Refactor the tokenizer: split parse() from index()',
  'revert "bump the default timeout"',
  '',
  'why is this retry limit 3?',
  'add a test for the blame history of renamed files',
];

/** 70 texts of different lengths, so that batches of 32 are padded. */
const MANY = Array.from({ length: 70 }, (_, i) => `${TEXTS[i % TEXTS.length]} ${'commit '.repeat(i % 9)}${i}`);

function norm(vector: Float32Array): number {
  return Math.sqrt(cosine(vector, vector));
}

describe('TransformersEmbedder on a tiny local model', () => {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'ail-embedder-')));
  const cacheDir = path.join(dir, 'cache');
  const progress: Progress[] = [];
  let tiny: TinyModel;
  let embedder: TransformersEmbedder;

  const options = (more: Partial<TransformersOptions> = {}): TransformersOptions => ({
    model: tiny.name,
    modelPath: tiny.path,
    cacheDir,
    allowRemote: false,
    ...more,
  });

  /** A copy of the tiny model in its own folder, changed by `damage`. */
  const copy = (name: string, damage: (folder: string) => void): string => {
    const folder = path.join(dir, name, tiny.name);
    cpSync(tiny.path, folder, { recursive: true });
    damage(folder);
    return folder;
  };

  beforeAll(async () => {
    tiny = await buildTinyModel(dir);
    const outcome = await loadTransformersEmbedder(options({ batchSize: 32, onProgress: (p) => progress.push(p) }));
    if (outcome.kind !== 'ok') throw new Error(`the tiny model did not load: ${outcome.reason}`);
    embedder = outcome.embedder;
  });

  afterAll(async () => {
    await embedder?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('names the model and reads the dimension from its output', () => {
    expect(embedder.id).toBe(`transformers:${tiny.name}`);
    expect(embedder.dimension).toBe(tiny.dimension);
  });

  it('returns one unit-length vector per text, in order, even for empty and over-long texts', async () => {
    const long = 'the server returns a cached response after a retry '.repeat(40); // past the 128-token limit
    const vectors = await embedder.embed([...TEXTS, long]);
    expect(vectors).toHaveLength(TEXTS.length + 1);
    for (const vector of vectors) {
      expect(vector).toBeInstanceOf(Float32Array);
      expect(vector).toHaveLength(tiny.dimension);
      expect(norm(vector)).toBeCloseTo(1, 5);
    }
    expect(await embedder.embed([])).toEqual([]);
  });

  it('gives identical texts identical vectors and different texts different ones', async () => {
    const [a, b, c] = await embedder.embed([TEXTS[0]!, TEXTS[0]!, TEXTS[1]!]);
    const [again] = await embedder.embed([TEXTS[0]!]);
    expect(Array.from(b!)).toEqual(Array.from(a!));
    expect(Array.from(again!)).toEqual(Array.from(a!));
    expect(cosine(a!, c!)).toBeLessThan(0.99);
    const all = await embedder.embed(TEXTS);
    for (let i = 0; i < all.length; i++) {
      for (let j = i + 1; j < all.length; j++) expect(cosine(all[i]!, all[j]!), `${TEXTS[i]} / ${TEXTS[j]}`).toBeLessThan(0.999);
    }
  });

  it('gives the same vectors in batches of 32 as one text at a time', async () => {
    const batched = await embedder.embed(MANY);
    expect(batched).toHaveLength(MANY.length);
    for (let i = 0; i < MANY.length; i++) {
      const [alone] = await embedder.embed([MANY[i]!]);
      expect(cosine(batched[i]!, alone!), MANY[i]).toBeCloseTo(1, 5);
      for (let k = 0; k < tiny.dimension; k++) expect(batched[i]![k]).toBeCloseTo(alone![k]!, 5);
    }
  });

  it('reported loading progress, ending with everything done', () => {
    expect(progress.length).toBeGreaterThan(2);
    expect(progress[0]!.message).toContain(tiny.name);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.done).toBeGreaterThanOrEqual(progress[i - 1]!.done);
    const last = progress.at(-1)!;
    expect(last.total).toBeGreaterThan(0);
    expect(last.done).toBe(last.total);
    expect(last.message).toBe(`${tiny.name} is ready`);
    expect(progress.some((p) => p.message.includes('onnx/model.onnx'))).toBe(true);
  });

  it('rejects with a CancelledError when the signal is already aborted', async () => {
    await expect(embedder.embed(TEXTS, AbortSignal.abort())).rejects.toBeInstanceOf(CancelledError);
    await expect(loadTransformersEmbedder(options(), AbortSignal.abort())).rejects.toBeInstanceOf(CancelledError);
  });

  it('stops between batches when the signal aborts during a call', async () => {
    const controller = new AbortController();
    const embedding = embedder.embed(MANY, controller.signal); // the first batch has started
    controller.abort();
    await expect(embedding).rejects.toBeInstanceOf(CancelledError);
  });

  it('finds a copy in the cache dir by model name, without a model path', async () => {
    const cached = path.join(dir, 'other-cache');
    mkdirSync(cached);
    cpSync(tiny.path, path.join(cached, tiny.name), { recursive: true });
    const outcome = await loadTransformersEmbedder({ model: tiny.name, cacheDir: cached, allowRemote: false });
    expect(outcome.kind).toBe('ok');
    if (outcome.kind !== 'ok') return;
    expect(await outcome.embedder.embed([TEXTS[0]!])).toEqual(await embedder.embed([TEXTS[0]!]));
    await outcome.embedder.dispose();
  });

  it('puts transformers.js settings back after a load', async () => {
    const { env } = await import('@huggingface/transformers');
    const before = { remote: env.allowRemoteModels, local: env.allowLocalModels, models: env.localModelPath, cache: env.cacheDir, fetch: env.fetch };
    const outcome = await loadTransformersEmbedder(options());
    if (outcome.kind === 'ok') await outcome.embedder.dispose();
    expect({ remote: env.allowRemoteModels, local: env.allowLocalModels, models: env.localModelPath, cache: env.cacheDir, fetch: env.fetch }).toEqual(before);
  });

  describe('is unavailable, with one sentence and quickly, when the model cannot be had offline', () => {
    const cases: { name: string; options: () => TransformersOptions; reason: RegExp }[] = [
      {
        name: 'no copy in the cache and remote off',
        options: () => ({ cacheDir: path.join(dir, 'empty-cache'), allowRemote: false }),
        reason: /^no local copy of Xenova\/all-MiniLM-L6-v2 in .*empty-cache and remote download is off$/,
      },
      {
        name: 'a model folder that does not exist',
        options: () => options({ model: 'Xenova/all-MiniLM-L6-v2', modelPath: path.join(dir, 'nowhere') }),
        reason: /^the model folder .*nowhere for Xenova\/all-MiniLM-L6-v2 does not exist$/,
      },
      {
        name: 'a model folder without its graph',
        options: () => options({ modelPath: copy('no-graph', (folder) => rmSync(path.join(folder, 'onnx'), { recursive: true })) }),
        reason: /^the model folder .*no-graph.* for ail-tiny-bert lacks onnx\/model\.onnx$/,
      },
      {
        name: 'a corrupt graph',
        options: () => options({ modelPath: copy('corrupt', (folder) => writeFileSync(path.join(folder, 'onnx', 'model.onnx'), 'not a model')) }),
        reason: /^ail-tiny-bert could not be loaded from .*corrupt.* \(.+\)$/,
      },
      {
        name: 'a corrupt tokenizer',
        options: () => options({ modelPath: copy('bad-tokenizer', (folder) => writeFileSync(path.join(folder, 'tokenizer.json'), '{')) }),
        reason: /^ail-tiny-bert could not be loaded from .*bad-tokenizer.* \(.+\)$/,
      },
    ];
    for (const { name, options: make, reason } of cases) {
      it(name, { timeout: 10_000 }, async () => {
        const started = performance.now();
        const outcome = await loadTransformersEmbedder(make());
        expect(outcome).toEqual({ kind: 'unavailable', reason: expect.stringMatching(reason) });
        if (outcome.kind === 'unavailable') expect(outcome.reason).not.toContain('\n');
        expect(performance.now() - started).toBeLessThan(5_000);
      });
    }
  });
});
