import { spawn } from 'node:child_process';
import { GIT_CONFIG, gitEnv } from './git';

/** A running `git fast-import` that reads the stream from its stdin. */
export interface FastImport {
  /** Writes to fast-import's stdin, waiting for the pipe to drain; rejects once fast-import has exited. */
  write(chunk: string): Promise<void>;
  /** Ends the stream and waits for fast-import to exit; rejects with its exit status and stderr on failure. */
  finish(): Promise<void>;
  /** Stops fast-import after the stream could not be completed, and says why it failed. */
  abort(): Promise<Error>;
}

/** Starts `git fast-import` in the (already initialised) repository at `root`. */
export function startFastImport(root: string): FastImport {
  // Speed over pack size: level-1 zlib, and no delta attempts (fast-import only deltas against the
  // previous blob in the stream, which here is nearly always another file, so they mostly fail and
  // cost half the import time). Neither changes any object id.
  const importArgs = [...GIT_CONFIG, '-c', 'pack.compression=1', 'fast-import', '--quiet', '--done', '--depth=0'];
  const child = spawn('git', importArgs, {
    cwd: root,
    // glibc hands freed memory back to the kernel at once: fast-import grows and shrinks its heap around
    // every commit (12 brk calls each, 96,000 for 8,000 small commits), which took 7 s of system time.
    // Keeping 64 MB of slack makes the same import 0.2 s. Other C libraries ignore the variable.
    env: { ...gitEnv(), MALLOC_TOP_PAD_: String(64 * 1024 * 1024) },
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    if (stderr.length < 64 * 1024) stderr += chunk;
  });
  child.stdin.on('error', () => {
    // EPIPE when fast-import dies early; its exit status and stderr say why.
  });
  let gone = false;
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', (error) => {
      gone = true;
      reject(error);
    });
    child.on('close', (code) => {
      gone = true;
      resolve(code);
    });
  });
  exited.catch(() => undefined); // observed later; avoid an unhandled rejection meanwhile

  const failure = async (): Promise<Error> => {
    let code: number | null;
    try {
      code = await exited;
    } catch (error) {
      return new Error(`git fast-import could not start: ${(error as Error).message}`);
    }
    return new Error(`git fast-import failed (exit ${code}): ${stderr.trim()}`);
  };

  const write = (chunk: string): Promise<void> => {
    if (gone) return Promise.reject(new Error('git fast-import exited early'));
    if (child.stdin.write(chunk)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onDrain = (): void => {
        cleanup();
        resolve();
      };
      const onGone = (): void => {
        cleanup();
        reject(new Error('git fast-import exited early'));
      };
      const cleanup = (): void => {
        child.stdin.off('drain', onDrain);
        child.off('close', onGone);
        child.off('error', onGone);
      };
      child.stdin.on('drain', onDrain);
      child.on('close', onGone);
      child.on('error', onGone);
    });
  };

  const finish = async (): Promise<void> => {
    child.stdin.end();
    let code: number | null;
    try {
      code = await exited;
    } catch {
      throw await failure();
    }
    if (code !== 0) throw await failure();
  };

  const abort = (): Promise<Error> => {
    if (!gone) child.kill();
    return failure();
  };

  return { write, finish, abort };
}
