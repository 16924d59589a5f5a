import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DiskStore, seal, unseal } from '../util/disk-store';
import type { ChangeKind } from './cosmetic';
import type { BlameCommit } from './blame';
import type { TracedBlame } from './blamer';
import type { HistoryResult, LineHistoryEntry } from './history';

/** The layout of what is stored: bumped when it changes, so an older file is a miss. */
const FORMAT = 'ail-git-store 1';
const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

/**
 * The sources under server/git, hashed when the bundle is built (esbuild.mjs defines it). What a blame
 * or a line history holds is decided by this code (the flags, the tracing through cosmetic commits, the
 * parsing), so a store written by another build of it is never read: a blame traced by older rules is
 * a miss, not a stale answer.
 */
declare const AIL_GIT_SOURCES: string | undefined;

/** Everything a whole-file or range blame depends on, besides the code that computed it. */
export interface BlameId {
  /** `Repository.storeIdentity()`: the work tree, its git directory, and what changes history under one HEAD (shallow, mailmap). */
  repo: string;
  head: string;
  path: string;
  blob: string;
  /** The ignore files' fingerprint and the commits they resolved to. */
  ignore: string;
  /** 0-based inclusive lines; omitted: the whole file. */
  lines?: { start: number; end: number };
}

export interface LineHistoryId {
  repo: string;
  head: string;
  path: string;
  blob: string;
  /** 1-based inclusive lines, as `log -L` takes them. */
  start: number;
  end: number;
  limit: number;
}

/**
 * Blames and line histories on disk (under the data dir, `git/`), so that asking again, a second
 * process or an editor restarted tomorrow starts from what was computed. Each is keyed by everything
 * it depends on: HEAD (which fixes the history below it: an amend, a rebase or a reset makes a new
 * one), the path, the blob, the ignore lists, the lines, the work tree and the code that computed it.
 * Each file is sealed (`seal`: the key, length and checksum) and its body checked field by field
 * before use: a damaged, truncated or foreign file is a miss and is removed, never an error. Writes
 * run after the caller has its value, and `flush` waits for them.
 */
export class GitStore {
  private readonly disk: DiskStore;
  private readonly code: string;
  private readonly pending = new Set<Promise<void>>();

  constructor(dir: string, options: { maxBytes?: number; maxEntryBytes?: number; log?: (line: string) => void } = {}) {
    this.disk = new DiskStore(dir, { maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES, maxEntryBytes: options.maxEntryBytes, log: options.log, name: 'git store' });
    this.code = codeStamp();
  }

  get dir(): string {
    return this.disk.dir;
  }

  get bytes(): number {
    return this.disk.bytes;
  }

  async readBlame(id: BlameId): Promise<TracedBlame | undefined> {
    return this.read(blameKey(id, this.code), id.repo, (body) => decodeBlame(body, id.head));
  }

  /** Stores the blame, and for a whole file notes its HEAD as the newest (see `newestHead`). */
  writeBlame(id: BlameId, blame: TracedBlame): void {
    this.later(() => {
      const writes = [this.write(blameKey(id, this.code), id.repo, encodeBlame(blame))];
      if (!id.lines) writes.push(this.write(newestKey(id, this.code), id.repo, JSON.stringify({ head: id.head })));
      return Promise.all(writes);
    });
  }

  /** The HEAD of the newest whole-file blame stored for this file, blob and ignore lists at any HEAD: the one to carry over. */
  async newestHead(id: Omit<BlameId, 'head' | 'lines'>): Promise<string | undefined> {
    return this.read(newestKey(id, this.code), id.repo, (body) => {
      const parsed = parse(body);
      return isObject(parsed) && typeof parsed.head === 'string' && SHA.test(parsed.head) ? parsed.head : undefined;
    });
  }

  async readLineHistory(id: LineHistoryId): Promise<HistoryResult<LineHistoryEntry> | undefined> {
    return this.read(historyKey(id, this.code), id.repo, decodeHistory);
  }

  /** Stores a walk that finished (or stopped at its count bound); one cut short is not the answer. */
  writeLineHistory(id: LineHistoryId, result: HistoryResult<LineHistoryEntry>): void {
    if (!result.complete && result.stopped !== 'limit') return;
    this.later(() => this.write(historyKey(id, this.code), id.repo, JSON.stringify(result)));
  }

  /**
   * A record another layer computed from git objects alone (a line's trace through the commits that
   * reshaped it), under `kind` and an `id` that names everything it depends on, the code that computed
   * it included. Checked by `decode` like the rest: what does not decode is a miss and is removed.
   */
  async readRecord<T>(kind: string, id: readonly string[], repo: string, decode: (body: string) => T | undefined): Promise<T | undefined> {
    return this.read(recordKey(kind, id, repo, this.code), repo, decode);
  }

  writeRecord(kind: string, id: readonly string[], repo: string, body: string): void {
    this.later(() => this.write(recordKey(kind, id, repo, this.code), repo, body));
  }

  /** Resolves when every write asked for so far, even one not started yet, is done (before a one-shot process exits). */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
    await this.disk.flush();
  }

  private file(key: string, repo: string): string {
    return this.disk.fileOf(repo, createHash('sha256').update(key).digest('hex').slice(0, 40));
  }

  private async read<T>(key: string, repo: string, decode: (body: string) => T | undefined): Promise<T | undefined> {
    const file = this.file(key, repo);
    const text = await this.disk.read(file);
    if (text === undefined) return undefined;
    const body = unseal(text, FORMAT, key);
    const value = body === undefined ? undefined : decode(body);
    if (value === undefined) await this.disk.discard(file, 'was damaged or is not what its name says; it is computed again');
    return value;
  }

  private write(key: string, repo: string, body: string): Promise<void> {
    return this.disk.write(this.file(key, repo), seal(FORMAT, key, body));
  }

  /** After the caller's turn (its answer goes first), never failing; `flush` waits for it. */
  private later(write: () => Promise<unknown>): void {
    const done: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
      .then(write)
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => this.pending.delete(done));
    this.pending.add(done);
  }
}

const SHA = /^[0-9a-f]{40,64}$/;
const KINDS: ReadonlySet<string> = new Set<ChangeKind>(['whitespace', 'formatting', 'rename', 'substantive']);

function blameKey(id: BlameId, code: string): string {
  const lines = id.lines ? `${id.lines.start}-${id.lines.end}` : 'file';
  return ['blame -w -M -C, traced', code, id.repo, id.head, id.path, id.blob, id.ignore, lines].join('\0');
}

function newestKey(id: Omit<BlameId, 'head' | 'lines'>, code: string): string {
  return ['newest blame', code, id.repo, id.path, id.blob, id.ignore].join('\0');
}

function historyKey(id: LineHistoryId, code: string): string {
  return ['log -L', code, id.repo, id.head, id.path, id.blob, `${id.start},${id.end}`, String(id.limit)].join('\0');
}

function recordKey(kind: string, id: readonly string[], repo: string, code: string): string {
  return [`record ${kind}`, code, repo, ...id].join('\0');
}

/**
 * A blame as JSON: its commits, and its lines as runs (first line, count, commit, first original line),
 * which a blame's blocks make short; the traced lines and the cosmetic commits as pairs.
 */
function encodeBlame(blame: TracedBlame): string {
  const runs: number[] = [];
  const { lineCommit, originalLine } = blame;
  for (let line = 0; line < lineCommit.length; ) {
    const commit = lineCommit[line]!;
    let end = line + 1;
    while (end < lineCommit.length && lineCommit[end] === commit && originalLine[end] === originalLine[end - 1]! + 1) end++;
    if (commit >= 0) runs.push(line, end - line, commit, originalLine[line]!);
    line = end;
  }
  return JSON.stringify({ head: blame.head, lines: lineCommit.length, commits: blame.commits, runs, traced: [...blame.traced], cosmetic: [...blame.cosmetic] });
}

/** The blame, or undefined when anything in it is not what a blame at `head` holds. */
function decodeBlame(body: string, head: string): TracedBlame | undefined {
  const o = parse(body);
  if (!isObject(o) || o.head !== head || !isCount(o.lines) || !Array.isArray(o.commits) || !Array.isArray(o.runs) || !Array.isArray(o.traced) || !Array.isArray(o.cosmetic)) return undefined;
  const commits = o.commits.map(decodeCommit);
  if (commits.some((commit) => commit === undefined)) return undefined;
  const lines = o.lines;
  const lineCommit = new Int32Array(lines).fill(-1);
  const originalLine = new Int32Array(lines);
  const runs = o.runs;
  if (runs.length % 4 !== 0) return undefined;
  for (let i = 0; i < runs.length; i += 4) {
    const [start, count, commit, original] = runs.slice(i, i + 4);
    if (!isCount(start) || !isCount(count) || count < 1 || start + count > lines || !isCount(commit) || commit >= commits.length || !isCount(original) || original < 1) return undefined;
    for (let k = 0; k < count; k++) {
      lineCommit[start + k] = commit;
      originalLine[start + k] = original + k;
    }
  }
  const traced = new Map<number, string[]>();
  for (const pair of o.traced) {
    if (!Array.isArray(pair) || pair.length !== 2 || !isCount(pair[0]) || pair[0] >= lines || !Array.isArray(pair[1]) || !pair[1].every((sha) => typeof sha === 'string' && SHA.test(sha))) return undefined;
    traced.set(pair[0], pair[1] as string[]);
  }
  const cosmetic = new Map<string, ChangeKind>();
  for (const pair of o.cosmetic) {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || !SHA.test(pair[0]) || typeof pair[1] !== 'string' || !KINDS.has(pair[1])) return undefined;
    cosmetic.set(pair[0], pair[1] as ChangeKind);
  }
  return { commits: commits as BlameCommit[], lineCommit, originalLine, traced, cosmetic, head };
}

function decodeCommit(value: unknown): BlameCommit | undefined {
  if (!isObject(value)) return undefined;
  const { sha, author, authorMail, authorTime, summary, filename, previous, boundary } = value;
  if (typeof sha !== 'string' || !(SHA.test(sha) || /^0{40,64}$/.test(sha))) return undefined;
  if (typeof author !== 'string' || typeof authorMail !== 'string' || typeof authorTime !== 'number' || !Number.isFinite(authorTime)) return undefined;
  if (typeof summary !== 'string' || typeof filename !== 'string' || typeof boundary !== 'boolean') return undefined;
  const commit: BlameCommit = { sha, author, authorMail, authorTime, summary, filename, boundary };
  if (previous !== undefined) {
    if (!isObject(previous) || typeof previous.sha !== 'string' || !SHA.test(previous.sha) || typeof previous.filename !== 'string') return undefined;
    commit.previous = { sha: previous.sha, filename: previous.filename };
  }
  return commit;
}

function decodeHistory(body: string): HistoryResult<LineHistoryEntry> | undefined {
  const o = parse(body);
  if (!isObject(o) || !Array.isArray(o.items) || typeof o.complete !== 'boolean') return undefined;
  if (!o.complete && o.stopped !== 'limit') return undefined;
  const items: LineHistoryEntry[] = [];
  for (const item of o.items) {
    if (!isObject(item) || typeof item.sha !== 'string' || !SHA.test(item.sha) || typeof item.hunk !== 'string') return undefined;
    if ((item.path !== undefined && typeof item.path !== 'string') || (item.previousPath !== undefined && typeof item.previousPath !== 'string')) return undefined;
    const entry: LineHistoryEntry = { sha: item.sha, hunk: item.hunk };
    if (item.path !== undefined) entry.path = item.path as string;
    if (item.previousPath !== undefined) entry.previousPath = item.previousPath as string;
    if (item.newStart !== undefined) {
      if (typeof item.newStart !== 'number' || !Number.isInteger(item.newStart) || item.newStart < 1) return undefined;
      entry.newStart = item.newStart;
    }
    items.push(entry);
  }
  return o.complete ? { items, complete: true } : { items, complete: false, stopped: 'limit' };
}

function parse(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/** The built code's stamp, or, run from the sources (the tests), the same hash computed from them. */
function codeStamp(): string {
  if (typeof AIL_GIT_SOURCES === 'string') return AIL_GIT_SOURCES;
  return gitSourcesHash(__dirname);
}

/**
 * SHA-256 over the names and contents of the .ts files of a folder (or of the `names` given), in name
 * order: esbuild.mjs computes the same.
 */
export function gitSourcesHash(folder: string, names?: readonly string[]): string {
  const hash = createHash('sha256');
  for (const name of (names ?? readdirSync(folder)).filter((name) => name.endsWith('.ts')).sort()) {
    hash.update(name).update('\0').update(readFileSync(path.join(folder, name))).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}
