import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

interface Known {
  size: number;
  used: number;
}

export interface DiskStoreOptions {
  /** The folder is kept under this many bytes: the entries used least recently go first. */
  maxBytes: number;
  /** An entry larger than this is not stored at all (default an eighth of `maxBytes`). */
  maxEntryBytes?: number;
  log?: (line: string) => void;
  /** What the log calls this store ("GitHub cache"). */
  name: string;
}

/**
 * Text files under a folder of their own, one per entry, in folders per scope: what the GitHub cache
 * and the git store share. A file is written to a temporary name and renamed over the old one, so a
 * reader sees a whole file or none; the folder is kept under `maxBytes`, the entries used least
 * recently (by modification time, which a read renews, so that it holds across processes) removed
 * first; an entry over `maxEntryBytes` is not written. Reading never throws: a file that is missing
 * or unreadable is a miss. Deciding whether a file's text is what it should be is the caller's (see
 * `seal`): a damaged one is `discard`ed.
 */
export class DiskStore {
  private readonly maxBytes: number;
  private readonly maxEntryBytes: number;
  private readonly log: (line: string) => void;
  /** path → size and last use, for the bound; read from the disk on the first write. */
  private index: Map<string, Known> | undefined;
  private indexing: Promise<Map<string, Known>> | undefined;
  private total = 0;
  private sequence = 0;
  private readonly writing = new Set<Promise<void>>();

  constructor(
    readonly dir: string,
    private readonly options: DiskStoreOptions,
  ) {
    this.maxBytes = options.maxBytes;
    this.maxEntryBytes = options.maxEntryBytes ?? Math.floor(options.maxBytes / 8);
    this.log = options.log ?? (() => undefined);
  }

  /** Bytes the store holds, as far as this process knows (0 before its first write). */
  get bytes(): number {
    return this.total;
  }

  /** The file of an entry: a folder per scope (hashed), a file per name (made safe). */
  fileOf(scope: string, name: string): string {
    const folder = createHash('sha256').update(scope).digest('hex').slice(0, 24);
    return path.join(this.dir, folder, `${name.replace(/[^A-Za-z0-9-]/g, '_')}.json`);
  }

  /** The file's text, or undefined when it is not there or cannot be read. A hit counts as a use. */
  async read(file: string): Promise<string | undefined> {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch {
      return undefined;
    }
    const now = Date.now();
    const known = this.index?.get(file);
    if (known) known.used = now;
    // The use is kept on the disk too, for the next process's bound; a failure only loses that.
    void fs.utimes(file, now / 1000, now / 1000).catch(() => undefined);
    return text;
  }

  /** A file whose text was not what its name says: removed, so that it is computed and written again. */
  async discard(file: string, why: string): Promise<void> {
    this.log(`${this.options.name}: ${path.basename(file)} ${why}`);
    const known = this.index?.get(file);
    if (known) {
      this.index!.delete(file);
      this.total -= known.size;
    }
    await remove(file);
  }

  /** Stores the text; a failure to write (disk full, permissions) is logged and otherwise ignored. */
  write(file: string, text: string): Promise<void> {
    const writing = this.writeNow(file, text).finally(() => this.writing.delete(writing));
    this.writing.add(writing);
    return writing;
  }

  /** Resolves when every write started so far is done (before a one-shot process exits). */
  async flush(): Promise<void> {
    while (this.writing.size > 0) await Promise.all([...this.writing]);
  }

  private async writeNow(file: string, text: string): Promise<void> {
    const size = Buffer.byteLength(text);
    if (size > this.maxEntryBytes) {
      this.log(`${this.options.name}: ${path.basename(file)} is ${size} bytes, over ${this.maxEntryBytes}; not stored`);
      return;
    }
    const temporary = `${file}.${process.pid}.${++this.sequence}.tmp`;
    try {
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(temporary, text, { mode: 0o600 });
      await fs.rename(temporary, file);
    } catch (error) {
      this.log(`${this.options.name}: could not write ${path.basename(file)} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
      await remove(temporary);
      return;
    }
    await this.account(file, size);
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
      await remove(victim);
    }
  }

  private loadIndex(): Promise<Map<string, Known>> {
    if (this.index) return Promise.resolve(this.index);
    this.indexing ??= this.scan().then((index) => {
      this.index = index;
      return index;
    });
    return this.indexing;
  }

  /** The files already there (left by an earlier run), and temporary files a crash left behind removed. */
  private async scan(): Promise<Map<string, Known>> {
    const index = new Map<string, Known>();
    const scopes = await fs.readdir(this.dir, { withFileTypes: true }).catch(() => []);
    for (const scope of scopes) {
      if (!scope.isDirectory()) continue;
      const folder = path.join(this.dir, scope.name);
      for (const name of await fs.readdir(folder).catch(() => [] as string[])) {
        const file = path.join(folder, name);
        const stat = await fs.stat(file).catch(() => undefined);
        if (!stat?.isFile()) continue;
        if (name.endsWith('.tmp')) {
          if (!name.includes(`.${process.pid}.`)) await remove(file);
          continue;
        }
        index.set(file, { size: stat.size, used: stat.mtimeMs });
        this.total += stat.size;
      }
    }
    return index;
  }
}

async function remove(file: string): Promise<void> {
  await fs.rm(file, { force: true }).catch(() => undefined);
}

/**
 * An entry's text with what proves it whole: a first line naming the format, the full key and the
 * body's length and SHA-256, then the body. `unseal` gives the body back only when all of them match,
 * so a truncated, damaged or misplaced file (two keys whose names collide) is never trusted.
 */
export function seal(format: string, key: string, body: string): string {
  const header = { format, key, bytes: Buffer.byteLength(body), sha256: createHash('sha256').update(body).digest('hex') };
  return `${JSON.stringify(header)}\n${body}`;
}

export function unseal(text: string, format: string, key: string): string | undefined {
  const newline = text.indexOf('\n');
  if (newline < 0) return undefined;
  let header: unknown;
  try {
    header = JSON.parse(text.slice(0, newline));
  } catch {
    return undefined;
  }
  if (typeof header !== 'object' || header === null) return undefined;
  const h = header as Record<string, unknown>;
  const body = text.slice(newline + 1);
  if (h.format !== format || h.key !== key || h.bytes !== Buffer.byteLength(body)) return undefined;
  return h.sha256 === createHash('sha256').update(body).digest('hex') ? body : undefined;
}
