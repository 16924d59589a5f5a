import { createHash } from 'node:crypto';
import { TEAM_KEY_PREFIX, type TeamCache } from '../cache/team';
import type { Repository } from '../git/repository';
import type { CacheEntry, CacheKey, DiskCache } from './disk-cache';

/** What the fetcher keeps GitHub's answers in: the disk cache, or the disk with the team tier behind it. */
export type EntryStore = Pick<DiskCache, 'read' | 'write'>;

/** A merged pull request or a closed issue does not change: kept by the team for a month. */
export const IMMUTABLE_TTL_S = 30 * 24 * 3600;
/** An open one is revalidated with its ETag by whoever finds it stale; the team keeps it a day. */
export const MUTABLE_TTL_S = 24 * 3600;

/**
 * GitHub's answers on this machine's disk, then in the team's Redis: an entry missing from the disk is
 * looked up there before GitHub is asked, and every entry written (a 200, or a 304 that refreshed it) is
 * written to both, so a team asks GitHub once per pull request. What is shared is what the disk keeps
 * (validators, the kept fields of the body, when it was confirmed), never a request header or a token.
 * Only keys that carry a secret (the repository's root commit) are shared: a team member reaches only
 * the entries of repositories whose content they have.
 */
export class TeamGitHubCache implements EntryStore {
  constructor(
    private readonly disk: DiskCache | undefined,
    private readonly team: () => TeamCache | undefined,
  ) {}

  async read(key: CacheKey): Promise<CacheEntry | undefined> {
    const local = await this.disk?.read(key);
    if (local) return local;
    const team = key.secret ? this.team() : undefined;
    if (!team) return undefined;
    const found = await team.get(teamKey(key), isSharedEntry);
    if (found.kind !== 'hit') return undefined;
    const entry = found.value;
    await this.disk?.write(key, entry);
    return { ...entry, key: `${key.scope} ${key.name}` };
  }

  async write(key: CacheKey, entry: Omit<CacheEntry, 'key'>): Promise<void> {
    await this.disk?.write(key, entry);
    const team = key.secret ? this.team() : undefined;
    if (team) await team.set(teamKey(key), shared(entry), entry.immutable ? IMMUTABLE_TTL_S : MUTABLE_TTL_S);
  }
}

function teamKey(key: CacheKey): string {
  return `${TEAM_KEY_PREFIX}github:${createHash('sha256').update(JSON.stringify([key.scope, key.name, key.secret])).digest('hex')}`;
}

function shared(entry: Omit<CacheEntry, 'key'> & { key?: string }): Omit<CacheEntry, 'key'> {
  const { key: _key, ...rest } = entry;
  return rest;
}

function isSharedEntry(value: unknown): value is Omit<CacheEntry, 'key'> {
  if (!value || typeof value !== 'object') return false;
  const o = value as Record<string, unknown>;
  return typeof o.storedAt === 'number' && typeof o.immutable === 'boolean' && 'data' in o && (o.etag === undefined || typeof o.etag === 'string') && (o.next === undefined || typeof o.next === 'boolean');
}

/**
 * The root commit of the work tree's history (the smallest SHA, when it has several): what only those
 * with the repository's content know. One git process per repository, kept; undefined when git fails.
 */
export function rootCommits(): (repo: Repository) => Promise<string | undefined> {
  const roots = new WeakMap<Repository, Promise<string | undefined>>();
  return (repo) => {
    let root = roots.get(repo);
    if (!root) {
      root = repo.git.run(['rev-list', '--max-parents=0', 'HEAD'], { timeoutMs: 30_000 }).then((outcome) => (outcome.kind === 'ok' ? outcome.stdout.split('\n').filter(Boolean).sort()[0] : undefined));
      roots.set(repo, root);
    }
    return root;
  };
}
