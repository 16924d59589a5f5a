import { startProcess, type ChildLike } from './process';
import { lacksObjects } from './partial-clone';
import { gitEnvironment, type GitRunner } from './runner';
import { decodeUtf8 } from '../util/slices';

export type CatFileObject =
  | { kind: 'found'; oid: string; type: string; content: Buffer }
  | { kind: 'missing'; name: string };

interface Pending {
  name: string;
  resolve: (object: CatFileObject) => void;
  reject: (error: Error) => void;
}

/**
 * One long-lived `git cat-file --batch` per repository: reading a commit or a blob costs a pipe round
 * trip instead of a process start. Requests are answered in order; the process is started lazily,
 * restarted after it dies, and stopped after a while without requests so an idle server holds nothing.
 */
export class CatFileBatch {
  private child: ChildLike | undefined;
  private readonly queue: Pending[] = [];
  /** Output not taken yet: at most a header that has not fully arrived, between objects. */
  private buffer: Buffer = Buffer.alloc(0);
  /**
   * The object at the front, while its content arrives: copied chunk by chunk into a buffer of its
   * size, so that a large blob is never joined from its chunks in one go (2 MB held the event loop for
   * milliseconds) nor held twice.
   */
  private filling: { oid: string; type: string; target: Buffer; filled: number } | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Names asked this turn, written to git together at its end. */
  private readonly unsent: string[] = [];
  private flushing = false;
  private closed = false;

  constructor(private readonly git: GitRunner, private readonly idleMs = 30_000) {}

  /** Reads one object by name (`<sha>`, `<rev>:<path>`). Names containing a newline cannot be asked and come back missing. */
  read(name: string): Promise<CatFileObject> {
    if (name.includes('\n')) return Promise.resolve({ kind: 'missing', name });
    if (this.closed) return Promise.reject(new Error('the repository was closed'));
    return new Promise<CatFileObject>((resolve, reject) => {
      this.ensureChild();
      this.queue.push({ name, resolve, reject });
      clearTimeout(this.idleTimer);
      this.send(name);
    });
  }

  /**
   * Names asked in one turn of the event loop go to git in one write: each write to the pipe wakes
   * cat-file, and on a busy machine a write per name held this thread about a millisecond each.
   */
  private send(name: string): void {
    this.unsent.push(name);
    if (this.flushing) return;
    this.flushing = true;
    process.nextTick(() => {
      this.flushing = false;
      // Only ever names for the process running now: one that exits takes its unsent names with it.
      const names = this.unsent.splice(0);
      if (names.length > 0) this.child?.stdin.write(`${names.join('\n')}\n`);
    });
  }

  async readText(name: string): Promise<string | undefined> {
    const object = await this.read(name);
    return object.kind === 'found' ? decodeUtf8(object.content) : undefined;
  }

  /** Stops the process; with `close`, for good (a later read is refused instead of starting a new one). */
  dispose(close = true): void {
    if (close) this.closed = true;
    clearTimeout(this.idleTimer);
    const child = this.child;
    this.child = undefined;
    if (child) {
      child.stdin.end();
      child.kill();
    }
    this.filling = undefined;
    this.unsent.length = 0;
    this.failAll(new Error('git cat-file was stopped'));
  }

  private ensureChild(): ChildLike {
    if (this.child) return this.child;
    const child = startProcess(this.git.gitPath, this.git.argv(['cat-file', '--batch']), { cwd: this.git.cwd, env: gitEnvironment() });
    this.child = child;
    this.buffer = Buffer.alloc(0);
    this.filling = undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      const rest = this.fill(chunk);
      if (rest.length === 0) return;
      this.buffer = this.buffer.length ? Buffer.concat([this.buffer, rest]) : rest;
      this.drain();
    });
    child.stdin.on('error', () => undefined);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString('utf8');
    });
    child.on('error', (error) => this.onExit(child, error, ''));
    child.on('close', () => this.onExit(child, new Error(`git cat-file exited${stderr ? `: ${stderr.trim().split('\n').pop()}` : ''}`), stderr));
    return child;
  }

  private onExit(child: ChildLike, error: Error, stderr: string): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.unsent.length = 0; // for the process that is gone
    if (lacksObjects(stderr) && !this.filling && this.queue.length > 0) {
      // In a partial clone git dies on the first object it would have to fetch: the one at the front,
      // every earlier one having been answered. It is missing here; the rest are asked again.
      const front = this.queue.shift()!;
      front.resolve({ kind: 'missing', name: front.name });
      if (this.queue.length === 0 || this.closed) return this.failAll(error);
      const rest = this.queue.splice(0);
      this.ensureChild();
      for (const pending of rest) {
        this.queue.push(pending);
        this.send(pending.name);
      }
      return;
    }
    this.failAll(error);
  }

  private failAll(error: Error): void {
    for (const pending of this.queue.splice(0)) pending.reject(error);
  }

  /** Copies what belongs to the object being filled; hands it over once whole. Returns the bytes after it. */
  private fill(chunk: Buffer): Buffer {
    const filling = this.filling;
    if (!filling) return chunk;
    const taken = chunk.copy(filling.target, filling.filled);
    filling.filled += taken;
    if (filling.filled < filling.target.length) return chunk.subarray(chunk.length);
    this.filling = undefined;
    const pending = this.queue.shift();
    // The target holds the content and git's newline after it.
    pending?.resolve({ kind: 'found', oid: filling.oid, type: filling.type, content: filling.target.subarray(0, filling.target.length - 1) });
    const rest = chunk.subarray(taken);
    if (rest.length === 0 && this.queue.length === 0) this.drain(); // nothing more asked: start the idle clock
    return rest;
  }

  private drain(): void {
    while (this.queue.length > 0) {
      const newline = this.buffer.indexOf(0x0a);
      if (newline < 0) return;
      const header = this.buffer.subarray(0, newline).toString('utf8');
      const pending = this.queue[0]!;
      if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
        this.buffer = this.buffer.subarray(newline + 1);
        this.queue.shift();
        pending.resolve({ kind: 'missing', name: pending.name });
        continue;
      }
      const [oid, type, sizeText] = header.split(' ');
      const size = Number(sizeText);
      if (!oid || !type || !Number.isFinite(size)) {
        this.failAll(new Error(`unexpected git cat-file output: ${header.slice(0, 80)}`));
        this.dispose(false);
        return;
      }
      const end = newline + 1 + size;
      if (this.buffer.length < end + 1) {
        // Content and its trailing newline not all here yet: collect the rest as it comes.
        const target = Buffer.allocUnsafe(size + 1);
        const have = this.buffer.copy(target, 0, newline + 1);
        this.buffer = Buffer.alloc(0);
        this.filling = { oid, type, target, filled: have };
        return;
      }
      // A view, not a copy: the bytes read are never written again (later chunks make new buffers),
      // and a large blob copied once more was megabytes of garbage per whole-file cosmetic check.
      const content = this.buffer.subarray(newline + 1, end);
      this.buffer = this.buffer.subarray(end + 1);
      this.queue.shift();
      pending.resolve({ kind: 'found', oid, type, content });
    }
    if (this.queue.length === 0) {
      this.buffer = Buffer.alloc(0);
      this.idleTimer = setTimeout(() => this.dispose(false), this.idleMs);
      this.idleTimer.unref();
    }
  }
}
