import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { FeatureExtractionPipeline, ProgressInfo } from '@huggingface/transformers';
import { CancelledError } from '../util/flight';
import type { Embedder, ProgressReporter } from './embedder';

export const DEFAULT_MODEL = 'Xenova/all-MiniLM-L6-v2';
export const DEFAULT_BATCH_SIZE = 32;

/**
 * The files a model needs, relative to its folder. We always ask for fp32 on the CPU, which is
 * `onnx/model.onnx`; the other dtypes (`model_quantized.onnx`, ...) are never read.
 */
const MODEL_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'] as const;

/** What a Hugging Face model id looks like (`name` or `owner/name`); anything else is not downloadable. */
const MODEL_ID = /^[\w.-]+(\/[\w.-]+)?$/;

export interface TransformersOptions {
  /** A Hugging Face model id; `Xenova/all-MiniLM-L6-v2` by default. It names the vectors (`id`) whatever folder the files come from. */
  model?: string;
  /** A local folder holding the model's files (AIL_MODEL_PATH): config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx. When set, nothing is downloaded. */
  modelPath?: string;
  /** Where downloaded models are kept, under AIL's data dir; a model is at `<cacheDir>/<model>/`. */
  cacheDir: string;
  /** False: never touch the network, use only `modelPath` or a copy already in `cacheDir`. */
  allowRemote: boolean;
  /** Texts per model call (AIL_BATCH_SIZE). */
  batchSize?: number;
  onProgress?: ProgressReporter;
}

export type LoadOutcome = { kind: 'ok'; embedder: TransformersEmbedder } | { kind: 'unavailable'; reason: string };

type Transformers = typeof import('@huggingface/transformers');

/** Where the files come from: a folder on disk (given, or the cache) or the Hub, downloading into the cache. */
interface Source {
  /** What transformers.js is given: an absolute folder, or a model id resolved against `localModelPath`/`cacheDir`. */
  location: string;
  remote: boolean;
  /** Where the files are, for messages. */
  where: string;
}

/**
 * Sentence embeddings from a transformers.js feature-extraction pipeline: mean pooling over the
 * tokens, normalized to unit length. Made by `loadTransformersEmbedder`.
 */
export class TransformersEmbedder implements Embedder {
  readonly id: string;

  constructor(
    readonly model: string,
    readonly dimension: number,
    private readonly extractor: FeatureExtractionPipeline,
    private readonly batchSize: number,
  ) {
    this.id = `transformers:${model}`;
  }

  async embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const vectors: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += this.batchSize) {
      if (signal?.aborted) throw new CancelledError();
      vectors.push(...(await this.run(texts.slice(start, start + this.batchSize))));
    }
    if (signal?.aborted) throw new CancelledError();
    return vectors;
  }

  /** Frees the onnxruntime session. The embedder cannot be used afterwards. */
  async dispose(): Promise<void> {
    await this.extractor.dispose();
  }

  private async run(batch: string[]): Promise<Float32Array[]> {
    const output = await this.extractor(batch, { pooling: 'mean', normalize: true });
    const [rows, columns] = output.dims;
    const data = output.data;
    if (!(data instanceof Float32Array) || output.dims.length !== 2 || rows !== batch.length || !columns) {
      throw new Error(`the model returned a ${output.type} tensor of shape [${output.dims.join(', ')}] for ${batch.length} texts`);
    }
    return Array.from({ length: rows }, (_, row) => data.slice(row * columns, (row + 1) * columns));
  }
}

/**
 * Loads the model and checks that it embeds. Never throws for a missing model, no network or
 * broken files: that is `unavailable` with one sentence. Throws a CancelledError if the signal
 * aborts first (a load already under way finishes in the background and is then freed).
 */
export async function loadTransformersEmbedder(options: TransformersOptions, signal?: AbortSignal): Promise<LoadOutcome> {
  if (signal?.aborted) throw new CancelledError();
  const model = options.model ?? DEFAULT_MODEL;
  const batchSize = Number.isInteger(options.batchSize) && options.batchSize! > 0 ? options.batchSize! : DEFAULT_BATCH_SIZE;
  const source = await locate(model, options);
  if (typeof source === 'string') return unavailable(source);

  let library: Transformers;
  try {
    library = await import('@huggingface/transformers');
  } catch (error) {
    return unavailable(`the transformers.js library could not be loaded (${brief(error)})`);
  }
  if (signal?.aborted) throw new CancelledError();

  const loading = withEnvironment(library, options.cacheDir, source.remote, signal, () => load(library, model, source, batchSize, options.onProgress));
  if (!signal) return loading;
  return new Promise<LoadOutcome>((resolve, reject) => {
    const onAbort = () => reject(new CancelledError());
    signal.addEventListener('abort', onAbort, { once: true });
    loading.then(
      (outcome) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted && outcome.kind === 'ok') void outcome.embedder.dispose().catch(() => undefined);
        resolve(outcome); // ignored when the abort came first
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Finds the model's files, or says in one sentence why there are none to be had. */
async function locate(model: string, options: TransformersOptions): Promise<Source | string> {
  if (options.modelPath) { // a blank setting means none
    const folder = path.resolve(options.modelPath);
    if (!(await isDirectory(folder))) return `the model folder ${folder} for ${model} does not exist`;
    const missing = await missingFiles(folder);
    if (missing.length > 0) return `the model folder ${folder} for ${model} lacks ${missing.join(', ')}`;
    return { location: folder, remote: false, where: folder };
  }
  if (!MODEL_ID.test(model) || model.includes('..') || model.includes('--')) return `${model} is not a Hugging Face model id`;
  const cached = path.join(options.cacheDir, ...model.split('/'));
  if (options.allowRemote) return { location: model, remote: true, where: `the Hugging Face Hub (cached in ${options.cacheDir})` };
  if (!(await isDirectory(cached))) return `no local copy of ${model} in ${options.cacheDir} and remote download is off`;
  const missing = await missingFiles(cached);
  if (missing.length > 0) return `the local copy of ${model} in ${cached} lacks ${missing.join(', ')} and remote download is off`;
  return { location: model, remote: false, where: cached };
}

async function load(library: Transformers, model: string, source: Source, batchSize: number, onProgress: ProgressReporter | undefined): Promise<LoadOutcome> {
  const progress = progressReporter(model, onProgress);
  let extractor: FeatureExtractionPipeline;
  try {
    extractor = await library.pipeline('feature-extraction', source.location, {
      local_files_only: !source.remote,
      device: 'cpu',
      dtype: 'fp32',
      progress_callback: progress.callback,
    });
  } catch (error) {
    return unavailable(loadFailure(model, source, error));
  }
  try {
    // One real call: proves the tokenizer and the graph fit together, and gives the dimension.
    const probe = await new TransformersEmbedder(model, 0, extractor, 1).embed(['dimension probe']);
    const dimension = probe[0]!.length;
    progress.finish();
    return { kind: 'ok', embedder: new TransformersEmbedder(model, dimension, extractor, batchSize) };
  } catch (error) {
    await extractor.dispose().catch(() => undefined);
    return unavailable(`${model} from ${source.where} loaded but could not embed text (${brief(error)})`);
  }
}

function loadFailure(model: string, source: Source, error: unknown): string {
  const name = error instanceof Error ? error.name : '';
  if (source.remote && name === 'ModelFileNotFoundError') {
    return `${model} could not be found on the Hugging Face Hub (${brief(error)})`;
  }
  if (source.remote && /fetch failed|network|ENOTFOUND|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN/i.test(`${brief(error)} ${String((error as { cause?: unknown })?.cause ?? '')}`)) {
    return `${model} could not be downloaded (${brief(error)})`;
  }
  return `${model} could not be loaded from ${source.where} (${brief(error)})`;
}

/**
 * transformers.js keeps where it looks in its module-global `env`, and some of its look-ups read it
 * directly (the file list `pipeline()` computes first ignores the per-call `cache_dir` and
 * `local_files_only`). So each load sets what it needs and puts the previous values back when it
 * is done, and loads take turns: two loads never see each other's settings. Set per load:
 * `allowLocalModels` (on), `allowRemoteModels`, `localModelPath` and `cacheDir` (both the cache dir, so
 * a copy put there by hand and a downloaded one are the same place), and `fetch` (when remote is off,
 * a function that refuses, so nothing can reach the network; when it is on, one that carries the
 * caller's signal).
 *
 * State the library forces and we leave alone: importing it sets `process.env.ORT_DISABLE_TELEMETRY`
 * and onnxruntime's global log level (from `env.logLevel`); it memoizes each model's config and file
 * metadata per model id for the life of the process (so a model id or folder names one model: a
 * folder whose files change under a running process may be described from before the change); and
 * its logger prints warnings to stderr and, at `env.logLevel` INFO or lower, to stdout, which a stdio
 * language server must never allow.
 */
let turn: Promise<unknown> = Promise.resolve();

async function withEnvironment<T>(library: Transformers, cacheDir: string, remote: boolean, signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
  const { env } = library;
  const run = turn.then(async () => {
    const saved = { allowLocalModels: env.allowLocalModels, allowRemoteModels: env.allowRemoteModels, localModelPath: env.localModelPath, cacheDir: env.cacheDir, fetch: env.fetch };
    env.allowLocalModels = true;
    env.allowRemoteModels = remote;
    env.localModelPath = cacheDir;
    env.cacheDir = cacheDir;
    if (!remote) env.fetch = refuseNetwork;
    // The library passes no signal of its own; ours ends a download when the caller goes, so the next load is not kept waiting.
    else if (signal) env.fetch = (input, init?: RequestInit) => saved.fetch(input, { ...init, signal });
    try {
      return await work();
    } finally {
      Object.assign(env, saved);
    }
  });
  turn = run.catch(() => undefined);
  return run;
}

async function refuseNetwork(input: string | URL): Promise<never> {
  throw new Error(`remote download is off, not fetching ${String(input)}`);
}

/**
 * Maps transformers.js load events to `done`/`total` bytes over all the model's files (its
 * `progress_total`), with the file being read in the message. Its own `ready` comes before our probe,
 * so the last report is ours.
 */
function progressReporter(model: string, report: ProgressReporter | undefined): { callback?: (info: ProgressInfo) => void; finish(): void } {
  if (!report) return { finish: () => undefined };
  let done = 0;
  let total = 0;
  const emit = (message: string) => {
    try {
      report({ done, total, message });
    } catch {
      // A failing reporter must not fail the load: it would surface as a baffling `unavailable`.
    }
  };
  emit(`loading ${model}`);
  return {
    callback: (info) => {
      switch (info.status) {
        case 'initiate':
          emit(`loading ${model}: ${info.file}`);
          break;
        case 'progress_total':
          done = info.loaded;
          total = info.total;
          emit(`loading ${model}: ${Math.floor(info.progress)}%`);
          break;
        case 'done':
          emit(`loading ${model}: ${info.file} done`);
          break;
        default:
          break; // per-file `progress` is in `progress_total`; `download` and `ready` add nothing
      }
    },
    finish: () => {
      done = total = Math.max(total, done, 1);
      emit(`${model} is ready`);
    },
  };
}

async function missingFiles(folder: string): Promise<string[]> {
  const present = await Promise.all(MODEL_FILES.map((file) => stat(path.join(folder, file)).then((s) => s.isFile(), () => false)));
  return MODEL_FILES.filter((_, index) => !present[index]);
}

async function isDirectory(folder: string): Promise<boolean> {
  return stat(folder).then((s) => s.isDirectory(), () => false);
}

function unavailable(reason: string): LoadOutcome {
  return { kind: 'unavailable', reason };
}

/** The first line of an error's message, without a final period, at most 200 characters. */
function brief(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const line = (message.split('\n').find((part) => part.trim() !== '') ?? 'unknown error').trim().replace(/\.$/, '');
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}
