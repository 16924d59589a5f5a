import type { HistoryResult } from './history';
import { unquotePath } from './quote';
import type { Repository } from './repository';

/** A commit whose message holds one of the searched strings. */
export interface MessageHit {
  sha: string;
  /** Its whole message, subject and body. */
  message: string;
}

/**
 * The commits that touched any of `paths` at HEAD's history and whose message contains one of
 * `needles`, newest first, at most `limit`: `git log --grep` with fixed strings, any case, so what a
 * question names can never be read as a pattern. Paths are literal (`:(literal)`), and renames are not
 * followed: `--follow` filters by message before it sees a rename, so the caller passes every path the
 * file had.
 */
export async function commitsMentioning(
  repo: Repository,
  head: string,
  paths: readonly string[],
  needles: readonly string[],
  options: { limit: number; signal?: AbortSignal; timeoutMs?: number },
): Promise<HistoryResult<MessageHit>> {
  if (paths.length === 0 || needles.length === 0) return { items: [], complete: true };
  const args = [
    'log',
    // -z: commits end in NUL, which no message holds, so a message cannot forge a record.
    '-z',
    '--format=%H%n%B',
    '--no-color',
    // The walk is what the paths say, whatever a repository's log.follow says of one path.
    '--no-follow',
    '--regexp-ignore-case',
    '--fixed-strings',
    ...needles.map((needle) => `--grep=${needle}`),
    '-n',
    String(options.limit),
    head,
    '--',
    ...paths.map((path) => `:(literal)${path}`),
  ];
  const outcome = await repo.git.run(args, { signal: options.signal, timeoutMs: options.timeoutMs });
  if (outcome.kind !== 'ok') return { items: [], complete: false, stopped: outcome.kind };
  const items: MessageHit[] = [];
  for (const record of outcome.stdout.split('\0')) {
    const newline = record.indexOf('\n');
    const sha = (newline < 0 ? record : record.slice(0, newline)).trim();
    if (/^[0-9a-f]{40,64}$/.test(sha)) items.push({ sha, message: newline < 0 ? '' : record.slice(newline + 1).trim() });
  }
  return items.length >= options.limit ? { items, complete: false, stopped: 'limit' } : { items, complete: true };
}

/**
 * Every path `file` had in HEAD's history, following renames (`--follow --diff-filter=R`: only the
 * commits that renamed it are listed), today's first. At most `limit` renames.
 */
export async function pathsOfFile(repo: Repository, head: string, file: string, options: { limit: number; signal?: AbortSignal }): Promise<HistoryResult<string>> {
  const args = ['log', '--follow', '-M', '--diff-filter=R', '--name-status', '--format=', '--no-color', '-n', String(options.limit), head, '--', file];
  const outcome = await repo.git.run(args, { signal: options.signal });
  if (outcome.kind !== 'ok') return { items: [file], complete: false, stopped: outcome.kind };
  const paths = new Set([file]);
  for (const line of outcome.stdout.split('\n')) {
    const [status, from] = line.split('\t');
    if (status?.startsWith('R') && from) paths.add(unquotePath(from));
  }
  return { items: [...paths], complete: true };
}
