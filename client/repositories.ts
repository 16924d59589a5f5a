import type { ReindexResult } from '../shared/protocol';
import type { CacheStats } from '../shared/types';
import { visible } from '../shared/visible';

/**
 * Which repository a file is in, from what the server says of each (`CacheStats.indexes`), and the
 * words for a rebuilt index. Imports no `vscode`, so tests load it.
 */

/**
 * The stats as the status bar shows them for a file: `index` is the index of the repository holding
 * `file` (the innermost, for nested work trees), with the embedder and its fallback kept; the first
 * repository's when the file is in none the server knows, or there is no file.
 */
export function statsFor(stats: CacheStats, file: string | undefined): CacheStats {
  if (file === undefined || !stats.indexes?.length) return stats;
  const holding = stats.indexes.filter((index) => isInside(file, index.root)).sort((a, b) => b.root.length - a.root.length)[0];
  if (!holding) return stats;
  const { root, state, commits, progress } = holding;
  const { progress: _first, ...shared } = stats.index;
  return { ...stats, index: { ...shared, root, state, commits, ...(progress ? { progress } : {}) } };
}

/** The name a repository goes by in the status bar and messages: its folder's name. */
export function repositoryName(root: string): string {
  return root.replace(/[\\/]+$/, '').split(/[\\/]/).pop() || root;
}

/** "AIL: indexed 12 commits of api with lexical-v1-384 in 0.4 s.", naming each repository rebuilt when there are several. */
export function reindexMessage(result: ReindexResult): string {
  const repositories = result.repositories ?? [];
  const of = repositories.length === 1 ? ` of ${visible(repositoryName(repositories[0]!.root))}` : repositories.length > 1 ? ` (${repositories.map((r) => `${visible(repositoryName(r.root))} ${r.commits}`).join(', ')})` : '';
  return `AIL: indexed ${result.commits} commit${result.commits === 1 ? '' : 's'}${of} with ${visible(result.embedder)} in ${result.seconds} s.`;
}

function isInside(file: string, root: string): boolean {
  // Windows paths compared as VS Code and Node may write them: either slash, either case of the drive letter.
  const normal = (p: string) => p.replace(/\\/g, '/').replace(/^([A-Za-z]):/, (_, drive: string) => `${drive.toLowerCase()}:`).replace(/\/+$/, '');
  const [f, r] = [normal(file), normal(root)];
  return f === r || f.startsWith(`${r}/`);
}
