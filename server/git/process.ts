import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { accessSync, constants as fsConstants, existsSync, statSync } from 'node:fs';
import { Socket } from 'node:net';
import { constants } from 'node:os';
import * as path from 'node:path';
import type { Readable, Writable } from 'node:stream';

/**
 * Starting a process. Node's `spawn` forks the whole server first: on the machines measured that blocks
 * the event loop 5 ms at 50 MB of RSS and 8-12 ms at 150-400 MB, before git has even started, and a
 * cold question pays it once per git call. `native/spawn.c` starts the process with posix_spawn instead
 * (about 0.5 ms at any size) and hands back its pipes, which Node's own streams then read and write.
 * Where the addon was not built (no compiler at install, another platform), Node's spawn is used.
 */

/** What the runner, cat-file and the bench use of a child process: Node's `ChildProcess` has it all. */
export interface ChildLike {
  readonly pid?: number | undefined;
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Null until the process has exited (and was reaped). */
  readonly exitCode: number | null;
  kill(signal?: NodeJS.Signals): boolean;
  on(event: 'error', listener: (error: Error) => void): this;
  /** After the process has exited and its stdout and stderr are closed. */
  on(event: 'close', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
}

export interface StartOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export type ProcessStarter = 'posix_spawn' | 'node';

interface NativeSpawn {
  spawn(file: string, argv: string[], envp: string[], cwd: string): [number, number, number, number];
  reap(pid: number): { code: number | null; signal: number | null } | null;
}

const ADDON = path.join('native', 'build', 'Release', 'ail_spawn.node');

let loaded: NativeSpawn | undefined | null;

/** The addon, looked for beside the bundle (dist/) and beside the sources (server/git/); null if absent or unloadable. */
function addon(): NativeSpawn | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  if (process.platform === 'win32') return loaded;
  for (const up of ['..', path.join('..', '..')]) {
    const file = path.resolve(__dirname, up, ADDON);
    if (!existsSync(file)) continue;
    try {
      const module = { exports: {} as Partial<NativeSpawn> };
      process.dlopen(module, file);
      if (typeof module.exports.spawn === 'function' && typeof module.exports.reap === 'function') loaded = module.exports as NativeSpawn;
    } catch {
      // Built for another Node ABI or platform: Node's spawn does the job, only slower.
    }
    break;
  }
  return loaded;
}

/** Which way processes start in this server: shown by `ail bench` so that its figures can be read. */
export function processStarter(): ProcessStarter {
  return addon() ? 'posix_spawn' : 'node';
}

/** Starts `file` with `args` (no shell), its three standard streams piped. `starter` forces one way (tests). */
export function startProcess(file: string, args: readonly string[], options: StartOptions, starter?: ProcessStarter): ChildLike {
  const native = starter === 'node' ? null : addon();
  if (starter === 'posix_spawn' && !native) throw new Error(`the posix_spawn addon is not built (${ADDON}): run npm ci or npm run build`);
  if (!native) return spawn(file, args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
  const envp: string[] = [];
  for (const [key, value] of Object.entries(options.env)) if (value !== undefined) envp.push(`${key}=${value}`);
  const start = (at: string): [number, number, number, number] | unknown => {
    try {
      return native.spawn(at, [file, ...args], envp, options.cwd);
    } catch (error) {
      return error;
    }
  };
  const resolved = onPath(file, options.env.PATH);
  let started = start(resolved ?? file);
  if (resolved && (started as NodeJS.ErrnoException).code === 'ENOENT') {
    // Moved or removed since it was found: look along PATH again.
    found.delete(pathKey(file, options.env.PATH));
    started = start(onPath(file, options.env.PATH) ?? file);
  }
  return new SpawnedProcess(native, file, started);
}

const pathKey = (file: string, searchPath: string | undefined) => `${file}\0${searchPath ?? ''}`;
const found = new Map<string, string | null>();

/**
 * Where `file` is on the child's `PATH`, found once: posix_spawnp (and Node's spawn) try every
 * directory before it on each start, and on a long PATH those failed execs held the event loop ~1 ms
 * per git call. (posix_spawnp itself would search this process's PATH, not the child's.)
 */
function onPath(file: string, searchPath: string | undefined): string | undefined {
  if (file.includes('/')) return undefined;
  const key = pathKey(file, searchPath);
  let at = found.get(key);
  if (at === undefined) {
    at = null;
    for (const directory of (searchPath ?? '').split(path.delimiter)) {
      // An empty or relative entry is relative to the child's working directory: leave the search to the spawn.
      if (!path.isAbsolute(directory)) break;
      const candidate = path.join(directory, file);
      try {
        accessSync(candidate, fsConstants.X_OK);
        if (!statSync(candidate).isFile()) continue;
      } catch {
        continue;
      }
      at = candidate;
      break;
    }
    if (found.size >= 16) found.clear();
    found.set(key, at);
  }
  return at ?? undefined;
}

/** The addon's failure as Node reports a failed spawn: `spawn git ENOENT`, with the code, syscall and path. */
function spawnError(file: string, thrown: unknown): NodeJS.ErrnoException {
  const code = (thrown as NodeJS.ErrnoException | undefined)?.code ?? 'ESPAWN';
  const error: NodeJS.ErrnoException = new Error(`spawn ${file} ${code}`);
  error.code = code;
  error.syscall = `spawn ${file}`;
  error.path = file;
  return error;
}

const SIGNAL_NAMES = new Map<number, NodeJS.Signals>();
for (const [name, number] of Object.entries(constants.signals)) {
  if (!SIGNAL_NAMES.has(number)) SIGNAL_NAMES.set(number, name as NodeJS.Signals);
}

/** A process started by the addon: events and fields as Node's `ChildProcess` has them. */
class SpawnedProcess extends EventEmitter implements ChildLike {
  readonly pid: number | undefined;
  readonly stdin: Socket;
  readonly stdout: Socket;
  readonly stderr: Socket;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  private reaped = false;
  private openStreams = 2;
  private reapTimer: NodeJS.Timeout | undefined;

  /** From what the addon's spawn returned, or the error it threw (then emitted as 'error', as Node does). */
  constructor(private readonly native: NativeSpawn, file: string, started: [number, number, number, number] | unknown) {
    super();
    if (!Array.isArray(started)) {
      const error = spawnError(file, started);
      this.stdin = new Socket();
      this.stdout = new Socket();
      this.stderr = new Socket();
      for (const stream of [this.stdin, this.stdout, this.stderr]) stream.destroy();
      this.reaped = true;
      // After the caller has attached its listeners.
      process.nextTick(() => this.emit('error', error));
      return;
    }
    const [pid, stdin, stdout, stderr] = started as [number, number, number, number];
    this.pid = pid;
    this.stdin = new Socket({ fd: stdin, readable: false, writable: true });
    this.stdout = new Socket({ fd: stdout, readable: true, writable: false });
    this.stderr = new Socket({ fd: stderr, readable: true, writable: false });
    this.stdout.once('close', () => this.streamClosed());
    this.stderr.once('close', () => this.streamClosed());
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    // A process not reaped yet keeps its pid (a zombie at worst), so the signal cannot reach another process.
    if (this.reaped || this.pid === undefined) return false;
    try {
      process.kill(this.pid, signal);
    } catch {
      return false;
    }
    this.scheduleReap(1); // it may die with its pipes held open elsewhere: reap it anyway
    return true;
  }

  private streamClosed(): void {
    this.openStreams--;
    if (!this.reaped) this.tryReap(1);
    else if (this.openStreams === 0) this.emit('close', this.exitCode, this.signalCode);
  }

  private tryReap(delayMs: number): void {
    if (this.reaped || this.pid === undefined) return;
    let status: ReturnType<NativeSpawn['reap']>;
    try {
      status = this.native.reap(this.pid);
    } catch {
      // Reaped elsewhere (a waitpid(-1) in some other addon): it has exited, how is lost. A failure, not a crash.
      status = { code: null, signal: null };
    }
    if (!status) {
      this.scheduleReap(delayMs);
      return;
    }
    this.reaped = true;
    clearTimeout(this.reapTimer);
    this.exitCode = status.code;
    this.signalCode = status.signal === null ? null : (SIGNAL_NAMES.get(status.signal) ?? null);
    this.stdin.destroy();
    this.emit('exit', this.exitCode, this.signalCode);
    if (this.openStreams === 0) this.emit('close', this.exitCode, this.signalCode);
  }

  /** Polls for the exit: stdout and stderr close as git exits, so the first or second look finds it; later looks back off. */
  private scheduleReap(delayMs: number): void {
    if (this.reapTimer) return;
    this.reapTimer = setTimeout(() => {
      this.reapTimer = undefined;
      this.tryReap(Math.min(delayMs * 2, 100));
    }, delayMs);
  }
}
