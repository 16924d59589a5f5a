import { DiskStore } from '../util/disk-store';

/** One stored answer: GitHub's validators and the fields AIL keeps of the body (see data.ts). Never a header of the request. */
export interface CacheEntry {
  /** The key it was stored under, checked on read: a file moved or mixed up is a miss. */
  key: string;
  etag?: string;
  lastModified?: string;
  /** When GitHub last confirmed it (epoch ms): a 200 or a 304. */
  storedAt: number;
  /** A merged pull request, a closed issue: served for good, without asking again. */
  immutable: boolean;
  /** A page of a list: whether GitHub linked a next page. */
  next?: boolean;
  data: unknown;
}

/** Where an entry lives: per GitHub and repository (`scope`), then per endpoint (`name`, e.g. `pulls-7-comments-1`). */
export interface CacheKey {
  scope: string;
  name: string;
  /** Content only those with the repository have (its root commit): set, the team tier may share the entry under it. Not part of the disk's key. */
  secret?: string;
}

const VERSION = 1;
const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;

/**
 * GitHub's answers on disk, under a directory of their own (the server's data dir), in a `DiskStore`:
 * written whole or not at all, bounded, the entries used least recently going first. A file that cannot
 * be parsed or is not what its name says is a miss (and is removed), never an error.
 */
export class DiskCache {
  private readonly store: DiskStore;

  constructor(
    readonly dir: string,
    options: { maxBytes?: number; log?: (line: string) => void } = {},
  ) {
    this.store = new DiskStore(dir, { maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES, log: options.log, name: 'GitHub cache' });
  }

  /** Bytes the cache holds, as far as this process knows (0 before its first write). */
  get bytes(): number {
    return this.store.bytes;
  }

  fileOf(key: CacheKey): string {
    return this.store.fileOf(key.scope, key.name);
  }

  async read(key: CacheKey): Promise<CacheEntry | undefined> {
    const file = this.fileOf(key);
    const text = await this.store.read(file);
    if (text === undefined) return undefined;
    const entry = parseEntry(text, fullKey(key));
    if (!entry) await this.store.discard(file, 'was damaged; it is asked again');
    return entry;
  }

  /** Stores the entry; a failure to write (disk full, permissions) is logged and otherwise ignored. */
  async write(key: CacheKey, entry: Omit<CacheEntry, 'key'>): Promise<void> {
    await this.store.write(this.fileOf(key), JSON.stringify({ v: VERSION, ...entry, key: fullKey(key) }));
  }
}

function fullKey(key: CacheKey): string {
  return `${key.scope} ${key.name}`;
}

function parseEntry(text: string, key: string): CacheEntry | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const o = parsed as Record<string, unknown>;
  if (o.v !== VERSION || o.key !== key || typeof o.storedAt !== 'number' || typeof o.immutable !== 'boolean' || !('data' in o)) return undefined;
  if (o.etag !== undefined && typeof o.etag !== 'string') return undefined;
  if (o.lastModified !== undefined && typeof o.lastModified !== 'string') return undefined;
  return {
    key,
    etag: o.etag as string | undefined,
    lastModified: o.lastModified as string | undefined,
    storedAt: o.storedAt,
    immutable: o.immutable,
    next: o.next === true,
    data: o.data,
  };
}
