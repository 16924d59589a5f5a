import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { CLI } from './cli';

/** `ail serve --http` as a team runs it: the built CLI in a process of its own, on a loopback port it picked. */
export class ServiceProcess {
  stderr = '';
  private exit: Promise<number | null>;

  private constructor(readonly process: ChildProcessWithoutNullStreams, readonly url: string, stderr: string, exit: Promise<number | null>) {
    this.stderr = stderr;
    this.exit = exit;
    process.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
  }

  /** Starts `ail serve --http 127.0.0.1:0 --repo <repo>` (plus `args`) and resolves once it listens. */
  static async start(repo: string, env: NodeJS.ProcessEnv = {}, args: string[] = []): Promise<ServiceProcess> {
    const child = spawn(process.execPath, [CLI, 'serve', '--http', '127.0.0.1:0', '--repo', repo, ...args], {
      cwd: repo,
      env: { ...process.env, AIL_ALLOW_MODEL_DOWNLOAD: 'false', AIL_COMMIT_GRAPH: 'false', ...env },
    });
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`ail serve did not listen within 20 s:\n${stderr}`)), 20_000);
      child.stderr.on('data', function listening(chunk: Buffer) {
        stderr += chunk.toString('utf8');
        const match = /listening on (http:\/\/\S+)/.exec(stderr);
        if (match) {
          clearTimeout(timer);
          child.stderr.off('data', listening);
          resolve(match[1]!);
        }
      });
      void exit.then((code) => {
        clearTimeout(timer);
        reject(new Error(`ail serve exited with ${code} before it listened:\n${stderr}`));
      });
    });
    return new ServiceProcess(child, url, stderr, exit);
  }

  async get(route: string): Promise<{ status: number; body: any; text: string; headers: Headers }> {
    return this.fetch(route, { method: 'GET' });
  }

  async post(route: string, body?: unknown, init: RequestInit = {}): Promise<{ status: number; body: any; text: string; headers: Headers }> {
    return this.fetch(route, { method: 'POST', headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }), ...init });
  }

  async fetch(route: string, init: RequestInit): Promise<{ status: number; body: any; text: string; headers: Headers }> {
    const response = await fetch(`${this.url}${route}`, init);
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: response.status, body, text, headers: response.headers };
  }

  /** Sends `signal` and resolves with the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill(signal);
    return this.exit;
  }

  /** Resolves with the exit code once it has exited (sends nothing). */
  exited(): Promise<number | null> {
    return this.exit;
  }

  /** Kills it whatever it is doing (a test's cleanup). */
  async kill(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGKILL');
    await this.exit;
  }
}

/** Polls `check` every 50 ms until it answers true, or fails after `ms`. */
export async function until(check: () => Promise<boolean> | boolean, ms = 20_000, what = 'the condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not hold within ${ms / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
