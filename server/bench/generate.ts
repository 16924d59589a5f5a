import { mkdir, readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { startFastImport } from './fast-import';
import { runGit } from './git';
import { History } from './history';

/**
 * Builds a synthetic but realistic git repository for the benchmark: nested TypeScript-like sources
 * with Zipf-skewed churn (a few hot files collect hundreds of commits and grow to thousands of lines),
 * squash commits with `(#123)` suffixes and `Fixes #45` bodies, pull-request merges with two parents,
 * "Run prettier" re-indentations, renames and the odd "wip". Everything is streamed through a single
 * `git fast-import`, and the same seed always yields the same history and the same HEAD sha.
 */

export interface GenerateOptions {
  /** Total number of commits in the repository (initial, side-branch and merge commits included). */
  commits: number;
  /** Number of tracked files, README.md included (default 200). */
  files?: number;
  /** PRNG seed (default 1). */
  seed?: number;
  /** Called about every 500 commits written, and once at the end. */
  onProgress?: (done: number, total: number) => void;
}

export interface GeneratedRepository {
  /** Absolute path of the work tree. */
  root: string;
  commits: number;
  /** Paths tracked at HEAD, sorted. */
  files: string[];
  headSha: string;
  /** The path at HEAD with the most lines. */
  largestFile: string;
}

/** Creates (in an empty or missing `dir`) a repository of exactly `options.commits` commits on `main`. */
export async function generateRepository(dir: string, options: GenerateOptions): Promise<GeneratedRepository> {
  const total = options.commits;
  const fileCount = options.files ?? 200;
  const seed = options.seed ?? 1;
  if (!Number.isInteger(total) || total < 1) throw new Error(`commits must be a positive integer, got ${total}`);
  if (!Number.isInteger(fileCount) || fileCount < 2) throw new Error(`files must be an integer >= 2, got ${fileCount}`);
  if (!Number.isFinite(seed)) throw new Error(`seed must be a number, got ${seed}`);

  const root = path.resolve(dir);
  await mkdir(root, { recursive: true });
  const existing = await readdir(root);
  if (existing.length > 0) throw new Error(`${root} is not empty`);

  await runGit(root, ['init', '-q', '-b', 'main', '--object-format=sha1']);

  const importer = startFastImport(root);
  const history = new History(seed, total, fileCount, importer.write, options.onProgress);
  try {
    await history.run();
  } catch {
    throw await importer.abort();
  }
  await importer.finish();

  // The scratch branch every pull request was built on is fully merged; drop it.
  await runGit(root, ['update-ref', '-d', 'refs/heads/_side']).catch(() => undefined);
  await runGit(root, ['reset', '-q', '--hard', 'main']);
  const headSha = (await runGit(root, ['rev-parse', 'HEAD'])).trim();

  const states = history.fileStates;
  let largest = states[0]!;
  for (const file of states) if (file.lines.length > largest.lines.length) largest = file;
  return {
    root,
    commits: total,
    files: states.map((file) => file.path).sort(),
    headSha,
    largestFile: largest.path,
  };
}
