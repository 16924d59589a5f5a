import { startProcess, type ChildLike } from './process';
import { isCancelled } from '../util/flight';
import { Semaphore, type QueueTicket } from '../util/semaphore';

/**
 * Every git process AIL starts goes through here. A repository is untrusted input: its config and
 * attributes must not be able to run code through AIL, so each call carries config overrides that
 * switch off everything in git that can start a program on a read-only command.
 */
export const SAFE_CONFIG: readonly string[] = [
  'core.fsmonitor=false',
  'core.pager=cat',
  'core.quotepath=false',
  'color.ui=never',
  'log.showSignature=false',
  'diff.external=',
  'core.untrackedCache=false',
  'gc.auto=0',
  'maintenance.auto=false',
];

export type GitOutcome =
  | { kind: 'ok'; stdout: string }
  | { kind: 'cancelled' }
  | { kind: 'timeout'; afterMs: number }
  | { kind: 'failed'; exitCode: number | null; stderr: string };

export interface GitCallOptions {
  signal?: AbortSignal;
  /** Written to the process's stdin (e.g. `blame --contents -`). */
  input?: string;
  timeoutMs?: number;
  /** Extra `-c key=value` pairs for this call only. */
  config?: readonly string[];
  /** Exit codes other than 0 that still mean success (e.g. 1 for `diff --quiet`). */
  okExitCodes?: readonly number[];
  /** Sees stdout as it arrives (e.g. `blame --incremental`, to start on what is final already). */
  onOutput?: (chunk: Buffer) => void;
  /** With `onOutput`: stdout is read there only, not also kept and decoded (the outcome's `stdout` is empty). */
  streamOnly?: boolean;
  /**
   * Work nobody waits for (warming a file, indexing): it runs in a pool of its own, one process at a
   * time, so that it never holds a slot a question needs.
   */
  background?: boolean;
  /** Moves this call to the front of the queue while it waits (see QueueTicket). */
  ticket?: QueueTicket;
}

export interface GitRunnerOptions {
  gitPath?: string;
  maxConcurrent?: number;
  defaultTimeoutMs?: number;
  maxOutputBytes?: number;
}

/**
 * Heap slack for git's malloc. glibc gives freed memory back to the kernel at once, and git's history
 * walks free and grow their heap all the time: one `log -L` on vue-core made 2,579 brk calls, and most
 * of its time went to them. With 1 MB kept at the top of the heap (setting it also fixes glibc's mmap
 * threshold), that `log -L` took 220 ms instead of 564, a blame on express 42 ms instead of 60 and
 * one on git.git ~0.85 s instead of 1.25, for ~1 MB more RSS. Larger pads helped the long walks no
 * more and slowed the short ones; other C libraries ignore the variable.
 */
export const GIT_MALLOC_TOP_PAD = String(1024 * 1024);

/**
 * What a git child may see of AIL's environment: what git needs to find itself, its libraries, the
 * user's own config and a temp dir. Nothing else: an editor's or a CI's environment holds tokens and
 * passwords (GITHUB_TOKEN, NPM_TOKEN, AWS_SECRET_ACCESS_KEY...), and anything git starts on a
 * repository's behalf would see them. AIL's git reads local objects only and needs none of them.
 */
const PASSED_TO_GIT = new Set(
  [
    'PATH', 'HOME', 'USER', 'LOGNAME', 'XDG_CONFIG_HOME', 'TMPDIR', 'TMP', 'TEMP', 'TZ', 'LD_LIBRARY_PATH', 'DYLD_LIBRARY_PATH',
    // Windows: where git, its shell and the user's config are.
    'SYSTEMROOT', 'WINDIR', 'COMSPEC', 'PATHEXT', 'USERPROFILE', 'HOMEDRIVE', 'HOMEPATH', 'APPDATA', 'LOCALAPPDATA', 'PROGRAMDATA',
    'MALLOC_TOP_PAD_',
  ],
);

/**
 * The environment of every git child: the few variables git needs (PASSED_TO_GIT, never a secret),
 * heap slack (a value the user set is kept), no pager or prompt, and no network. A partial clone
 * fetches a missing object from its promisor remote on demand, and that fetch runs whatever the
 * repository's config names (`core.sshCommand`, `remote.<name>.uploadpack`): GIT_NO_LAZY_FETCH stops
 * the fetch where git knows it (2.39.4 and later), and an empty GIT_ALLOW_PROTOCOL refuses every
 * transport on any git, overriding the repository's own `protocol.<name>.allow`.
 */
export function gitEnvironment(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(base)) {
    if (PASSED_TO_GIT.has(key.toUpperCase())) env[key] = value;
  }
  env.GIT_TERMINAL_PROMPT = '0';
  env.GIT_OPTIONAL_LOCKS = '0';
  env.GIT_NO_LAZY_FETCH = '1';
  env.GIT_ALLOW_PROTOCOL = '';
  env.GIT_PAGER = 'cat';
  env.PAGER = 'cat';
  env.LC_ALL = 'C';
  env.MALLOC_TOP_PAD_ = base.MALLOC_TOP_PAD_ ?? GIT_MALLOC_TOP_PAD;
  return env;
}

export function configArgs(config: readonly string[]): string[] {
  return config.flatMap((pair) => ['-c', pair]);
}

/** Runs git in one repository with bounded concurrency, a timeout and cancellation that kills the process. */
export class GitRunner {
  readonly gitPath: string;
  private readonly semaphore: Semaphore;
  private readonly backgroundSemaphore = new Semaphore(1);
  private readonly defaultTimeoutMs: number;
  private readonly maxOutputBytes: number;
  private readonly env = gitEnvironment();
  /** Processes running now, stopped by dispose: none outlives the engine. */
  private readonly running = new Set<ChildLike>();
  private disposed = false;

  constructor(readonly cwd: string, options: GitRunnerOptions = {}) {
    this.gitPath = options.gitPath ?? 'git';
    // Newest first: under a burst of hovers, the one asked last is where the editor is now.
    this.semaphore = new Semaphore(Math.max(1, options.maxConcurrent ?? 4), 'newest-first');
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? 30_000;
    this.maxOutputBytes = options.maxOutputBytes ?? 256 * 1024 * 1024;
  }

  /** The full argument list for a git call, exposed so tests and the benchmark can see exactly what runs. */
  argv(args: readonly string[], config: readonly string[] = []): string[] {
    return ['--no-pager', ...configArgs(SAFE_CONFIG), ...configArgs(config), ...args];
  }

  /** Runs git once a slot is free. A call whose signal aborts while it waits leaves the queue at once. */
  run(args: readonly string[], options: GitCallOptions = {}): Promise<GitOutcome> {
    return this.runWhenStarted(() => args, options);
  }

  /**
   * Like `run`, with the arguments asked for when the process starts: work that waits for a slot can
   * still take more in (a blame of some lines, joined by other lines of the same file meanwhile).
   */
  runWhenStarted(args: () => readonly string[], options: GitCallOptions = {}): Promise<GitOutcome> {
    if (options.signal?.aborted) return Promise.resolve({ kind: 'cancelled' });
    return (options.background ? this.backgroundSemaphore : this.semaphore)
      .run(() => this.spawnOnce(args(), options), options.signal, options.ticket)
      .catch((error: unknown) => {
        if (isCancelled(error)) return { kind: 'cancelled' } as const;
        throw error;
      });
  }

  /** Like `run`, but a failure, timeout or cancellation becomes a `GitCallError`. For callers that cannot go on without the output. */
  async output(args: readonly string[], options: GitCallOptions = {}): Promise<string> {
    const outcome = await this.run(args, options);
    if (outcome.kind === 'ok') return outcome.stdout;
    throw new GitCallError(args, outcome);
  }

  /** Kills every git process still running (background walks included) and refuses new ones: the engine is shutting down. */
  dispose(): void {
    this.disposed = true;
    for (const child of this.running) child.kill('SIGKILL');
    this.running.clear();
  }

  private spawnOnce(args: readonly string[], options: GitCallOptions): Promise<GitOutcome> {
    if (options.signal?.aborted || this.disposed) return Promise.resolve({ kind: 'cancelled' });
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    return new Promise<GitOutcome>((resolve) => {
      const child = startProcess(this.gitPath, this.argv(args, options.config), { cwd: this.cwd, env: this.env });
      this.running.add(child);
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let outBytes = 0;
      let settled: GitOutcome | undefined;
      const finish = (outcome: GitOutcome) => {
        if (settled) return;
        settled = outcome;
        this.running.delete(child);
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        if (outcome.kind !== 'ok' && child.exitCode === null) child.kill('SIGKILL');
        resolve(outcome);
      };
      const onAbort = () => finish({ kind: 'cancelled' });
      const timer = setTimeout(() => finish({ kind: 'timeout', afterMs: timeoutMs }), timeoutMs);
      options.signal?.addEventListener('abort', onAbort, { once: true });

      child.stdout.on('data', (chunk: Buffer) => {
        outBytes += chunk.length;
        if (outBytes > this.maxOutputBytes) {
          finish({ kind: 'failed', exitCode: null, stderr: `output larger than ${this.maxOutputBytes} bytes` });
          return;
        }
        if (!options.streamOnly) stdout.push(chunk);
        try {
          options.onOutput?.(chunk);
        } catch (error) {
          // A reader that cannot take the output fails this call; thrown here, it would end the server.
          finish({ kind: 'failed', exitCode: null, stderr: `reading the output failed: ${error instanceof Error ? error.message : String(error)}` });
        }
      });
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      child.on('error', (error) => finish({ kind: 'failed', exitCode: null, stderr: error.message }));
      child.on('close', (code, signal) => {
        const ok = code === 0 || (code !== null && options.okExitCodes?.includes(code));
        // Killed from outside (the OOM killer, a user's kill): say so, not an empty failure.
        const said = Buffer.concat(stderr).toString('utf8').trim() || (signal ? `git was killed by ${signal}` : '');
        finish(ok ? { kind: 'ok', stdout: Buffer.concat(stdout).toString('utf8') } : { kind: 'failed', exitCode: code, stderr: said });
      });
      child.stdin.on('error', () => undefined); // git may exit before reading all input
      child.stdin.end(options.input ?? '');
    });
  }
}

export class GitCallError extends Error {
  constructor(readonly args: readonly string[], readonly outcome: Exclude<GitOutcome, { kind: 'ok' }>) {
    super(describeOutcome(args, outcome));
    this.name = 'GitCallError';
  }
}

function describeOutcome(args: readonly string[], outcome: Exclude<GitOutcome, { kind: 'ok' }>): string {
  const what = `git ${args[0] ?? ''}`;
  switch (outcome.kind) {
    case 'cancelled':
      return `${what} was cancelled`;
    case 'timeout':
      return `${what} timed out after ${outcome.afterMs} ms`;
    case 'failed':
      return `${what} failed${outcome.exitCode === null ? '' : ` (exit ${outcome.exitCode})`}: ${outcome.stderr.split('\n')[0] ?? ''}`;
  }
}
