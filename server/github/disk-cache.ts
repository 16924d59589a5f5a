import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

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
}

const VERSION = 1;
const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;

/**
 * GitHub's answers on disk, under a directory of their own (the server's data dir). Files are written
 * to a temporary name and renamed over the old one, so a reader sees a whole file or none; a file that
 * cannot be read, parsed or is not what its name says is a miss (and is removed), never an error. The
 * folder is kept under `maxBytes`: the entries used least recently go first.
 */
export class DiskCache {
  private readonly maxBytes: number;
  /** path → size and last use, for the bound; read from the disk on the first write. */
  private index: Map<string, { size: number; used: number }> | undefined;
  private indexing: Promise<Map<string, { size: number; used: number }>> | undefined;
  private total = 0;
  private sequence = 0;
  private readonly log: (line: string) => void;

  constructor(
    readonly dir: string,
    options: { maxBytes?: number; log?: (line: string) => void } = {},
  ) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.log = options.log ?? (() => undefined);
  }

  /** Bytes the cache holds, as far as this process knows (0 before its first write). */
  get bytes(): number {
    return this.total;
  }

  fileOf(key: CacheKey): string {
    const scope = createHash('sha256').update(key.scope).digest('hex').slice(0, 24);
    return path.join(this.dir, scope, `${key.name.replace(/[^A-Za-z0-9-]/g, '_')}.json`);
  }

  async read(key: CacheKey): Promise<CacheEntry | undefined> {
    const file = this.fileOf(key);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch {
      return undefined;
    }
    const entry = parseEntry(text, fullKey(key));
    if (!entry) {
      this.log(`GitHub cache: ${path.basename(file)} was damaged; it is asked again`);
      await this.remove(file);
      return undefined;
    }
    const known = this.index?.get(file);
    if (known) known.used = Date.now();
    return entry;
  }

  /** Stores the entry; a failure to write (disk full, permissions) is logged and otherwise ignored. */
  async write(key: CacheKey, entry: Omit<CacheEntry, 'key'>): Promise<void> {
    const file = this.fileOf(key);
    const text = JSON.stringify({ v: VERSION, ...entry, key: fullKey(key) });
    const temporary = `${file}.${process.pid}.${++this.sequence}.tmp`;
    try {
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(temporary, text, { mode: 0o600 });
      await fs.rename(temporary, file);
    } catch (error) {
      this.log(`GitHub cache: could not write ${path.basename(file)} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
      await this.remove(temporary);
      return;
    }
    await this.account(file, Buffer.byteLength(text));
  }

  private async account(file: string, size: number): Promise<void> {
    const index = await this.loadIndex();
    const before = index.get(file);
    this.total += size - (before?.size ?? 0);
    index.set(file, { size, used: Date.now() });
    if (this.total <= this.maxBytes) return;
    // Down to 90%, so that the next writes do not each evict one.
    const oldest = [...index.entries()].sort((a, b) => a[1].used - b[1].used);
    for (const [victim, { size: victimSize }] of oldest) {
      if (this.total <= this.maxBytes * 0.9) break;
      index.delete(victim);
      this.total -= victimSize;
      await this.remove(victim);
    }
  }

  private loadIndex(): Promise<Map<string, { size: number; used: number }>> {
    if (this.index) return Promise.resolve(this.index);
    this.indexing ??= this.scan().then((index) => {
      this.index = index;
      return index;
    });
    return this.indexing;
  }

  /** The files already there (left by an earlier run), and temporary files a crash left behind removed. */
  private async scan(): Promise<Map<string, { size: number; used: number }>> {
    const index = new Map<string, { size: number; used: number }>();
    const scopes = await fs.readdir(this.dir, { withFileTypes: true }).catch(() => []);
    for (const scope of scopes) {
      if (!scope.isDirectory()) continue;
      const folder = path.join(this.dir, scope.name);
      for (const name of await fs.readdir(folder).catch(() => [] as string[])) {
        const file = path.join(folder, name);
        const stat = await fs.stat(file).catch(() => undefined);
        if (!stat?.isFile()) continue;
        if (name.endsWith('.tmp')) {
          if (!name.includes(`.${process.pid}.`)) await this.remove(file);
          continue;
        }
        index.set(file, { size: stat.size, used: stat.mtimeMs });
        this.total += stat.size;
      }
    }
    return index;
  }

  private async remove(file: string): Promise<void> {
    await fs.rm(file, { force: true }).catch(() => undefined);
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
