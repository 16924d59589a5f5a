import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** An `ail serve --http` the bench started, on a loopback port of its own. */
export interface Service {
  url: URL;
  /** How it ended when it ended on its own ("exited 1", "killed by SIGSEGV"), else undefined. */
  readonly exited: string | undefined;
  /** SIGTERM, then SIGKILL if it has not exited after a grace period; resolves how it ended. */
  stop(): Promise<string>;
  /** SIGTERM at once, without waiting (the process is exiting). */
  kill(): void;
}

/** How long the service may take to listen. */
const LISTEN_TIMEOUT_MS = 120_000;
/** How long a stopping service may take to finish its requests in flight. */
const STOP_GRACE_MS = 15_000;
/** Lines of its stderr kept for a message when it fails. */
const TAIL_LINES = 20;

/**
 * Starts `node dist/cli.js serve --http 127.0.0.1:0 --repo <root>` with a data folder of its own (removed
 * when it stops) and no model download, and resolves when it says where it listens. It runs in a process
 * group of its own so that a Ctrl-C in the terminal reaches the bench, which then stops it; should the
 * bench exit any other way, its exit handler sends the SIGTERM.
 */
export function startService(root: string, signal: AbortSignal): Promise<Service> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ail-bench-http-'));
  const child = spawn(process.execPath, [path.join(__dirname, 'cli.js'), 'serve', '--http', '127.0.0.1:0', '--repo', root], {
    env: { ...process.env, AIL_DATA_DIR: dataDir, AIL_ALLOW_MODEL_DOWNLOAD: process.env.AIL_ALLOW_MODEL_DOWNLOAD ?? 'false' },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  const tail: string[] = [];
  let exited: string | undefined;
  const ended = new Promise<string>((resolve) => {
    child.on('exit', (code, sig) => {
      exited = sig ? `was killed by ${sig}` : `exited ${code}`;
      resolve(exited);
    });
    child.on('error', (error) => {
      exited = `could not start: ${error.message}`;
      resolve(exited);
    });
  });
  const killOnExit = () => terminate(child);
  process.on('exit', killOnExit);
  void ended.then(() => {
    process.off('exit', killOnExit);
    rmSync(dataDir, { recursive: true, force: true });
  });
  const service = (url: URL): Service => ({
    url,
    get exited() {
      return exited;
    },
    stop: async () => {
      if (exited) return exited;
      terminate(child);
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      try {
        return await ended;
      } finally {
        clearTimeout(timer);
      }
    },
    kill: () => terminate(child),
  });
  return new Promise((resolve, reject) => {
    let buffered = '';
    const fail = (message: string) => {
      cleanup();
      terminate(child);
      reject(new Error(message));
    };
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
        const listening = /listening on (https?:\/\/\S+)/.exec(line);
        if (listening) {
          cleanup();
          resolve(service(new URL(listening[1]!)));
        }
      }
    };
    const onEnd = () => fail(`ail serve --http ${exited ?? 'stopped'} before it listened${tail.length ? `: ${tail.join(' | ')}` : ''}`);
    const onAbort = () => fail('interrupted while the service was starting');
    const timer = setTimeout(() => fail(`ail serve --http did not listen within ${LISTEN_TIMEOUT_MS / 1000} s${tail.length ? `: ${tail.join(' | ')}` : ''}`), LISTEN_TIMEOUT_MS);
    const cleanup = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      child.off('close', onEnd);
      child.off('error', onEnd);
    };
    // Its log is read all the while (a full pipe would stall it); the last lines are kept for a failure.
    child.stderr!.on('data', onData);
    child.on('close', onEnd);
    child.on('error', onEnd);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function terminate(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
}
