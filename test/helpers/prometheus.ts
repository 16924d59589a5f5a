import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import * as path from 'node:path';
import { CLI } from './cli';
import { startWatchdog, type Watchdog } from './watchdog';

/**
 * Prometheus's own programs for tests (Debian's `prometheus` package: `prometheus` and `promtool`), and
 * AIL's HTTP service as Prometheus sees it. Every process here starts in a process group of its own
 * with a watchdog beside it, so it ends, and its temp dir goes, however the test process ends.
 */

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `promtool` with `stdin` fed to it (`check metrics` reads the exposition there). */
export function promtool(args: string[], stdin = ''): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/** A TCP port nobody listened on a moment ago (for a program that cannot be told to pick one and say which). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Asks `check` until it returns something other than undefined: the state polled is the signal (a
 * target's health, a value scraped), each ask a real request. Throws after `timeoutMs` naming `what`
 * and the last thing `check` saw.
 */
export async function waitUntil<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last: ${last instanceof Error ? last.message : String(last)})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A process in its own group; `stop` sends SIGTERM, waits for its exit (SIGKILL after `graceMs`), then the watchdog ends the group and removes its dir. */
class Detached {
  private output = '';
  readonly exited: Promise<number | null>;

  constructor(
    readonly child: ChildProcess,
    private readonly watchdog: Watchdog,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString('utf8')));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ? null : code)));
  }

  static start(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; marker: string; remove?: string }): Detached {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    return new Detached(child, startWatchdog(child.pid!, options.marker, options.remove));
  }

  log(): string {
    return this.output;
  }

  /** Resolves with the first match of `pattern` in its output, or rejects when it exits first or after `timeoutMs`. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(this.output);
        if (!match) return;
        done();
        resolve(match);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${pattern} in ${timeoutMs} ms; output:\n${this.output}`));
      }, timeoutMs);
      const onExit = () => {
        done();
        reject(new Error(`exited before ${pattern}; output:\n${this.output}`));
      };
      const done = () => {
        clearTimeout(timer);
        this.child.stdout?.off('data', check);
        this.child.stderr?.off('data', check);
        this.child.off('exit', onExit);
      };
      this.child.stdout?.on('data', check);
      this.child.stderr?.on('data', check);
      this.child.once('exit', onExit);
      check();
    });
  }

  async stop(graceMs = 10_000): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    await this.watchdog.end();
    return code;
  }
}

/** One sample of an instant query's answer: labels, and the value as Prometheus writes it ("NaN" included). */
export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** A rule as `/api/v1/rules` lists it. */
export interface RuleState {
  type: 'recording' | 'alerting';
  name: string;
  query: string;
  health: string;
  lastError?: string;
  lastEvaluation: string;
}

/** A real Prometheus on 127.0.0.1, its TSDB and config in `dir` (removed on stop). */
export class Prometheus {
  private constructor(
    private readonly process: Detached,
    readonly url: string,
  ) {}

  /** Starts it with `config` (written as JSON, which Prometheus reads as the YAML it is) and waits until it is ready. */
  static async start(dir: string, config: unknown): Promise<Prometheus> {
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'prometheus.yml');
    writeFileSync(file, JSON.stringify(config, null, 2));
    const port = await freePort();
    const process = Detached.start('prometheus', [`--config.file=${file}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { cwd: dir, marker: dir, remove: dir });
    const prometheus = new Prometheus(process, `http://127.0.0.1:${port}`);
    try {
      const exited = process.exited.then((code) => Promise.reject(new Error(`prometheus exited (${code}) before it was ready:\n${process.log()}`)));
      await Promise.race([exited, waitUntil('prometheus to be ready', async () => ((await fetch(`${prometheus.url}/-/ready`)).ok ? true : undefined))]);
    } catch (error) {
      await process.stop();
      throw error;
    }
    return prometheus;
  }

  log(): string {
    return this.process.log();
  }

  async api<T>(route: string, params: Record<string, string> = {}): Promise<T> {
    const response = await fetch(`${this.url}${route}?${new URLSearchParams(params)}`);
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${route} ${JSON.stringify(params)}: ${body.error ?? response.status}`);
    return body.data;
  }

  /** An instant query at `time` (Unix seconds), the vector it answers. */
  async query(expr: string, time?: number): Promise<Sample[]> {
    const data = await this.api<{ resultType: string; result: Sample[] }>('/api/v1/query', { query: expr, ...(time === undefined ? {} : { time: String(time) }) });
    if (data.resultType !== 'vector') throw new Error(`${expr}: a ${data.resultType}, not a vector`);
    return data.result;
  }

  /** The value of a query that answers one sample, or undefined while it answers none. */
  async value(expr: string): Promise<number | undefined> {
    const [sample] = await this.query(expr);
    return sample ? Number(sample.value[1]) : undefined;
  }

  async rules(): Promise<RuleState[]> {
    const data = await this.api<{ groups: { rules: RuleState[] }[] }>('/api/v1/rules');
    return data.groups.flatMap((group) => group.rules);
  }

  stop(): Promise<number | null> {
    return this.process.stop();
  }
}

/** `ail serve --http` from the built dist/cli.js. */
export class AilHttpServer {
  private constructor(
    private readonly process: Detached,
    readonly url: string,
  ) {}

  /**
   * Starts it on 127.0.0.1 with a free port for `repo`, with `env` over this environment less every
   * AIL, FAISS and GitHub variable of the developer's (the test says what the server sees). `marker` is a
   * path in its command line (the repository's is) that the watchdog looks for.
   */
  static async start(repo: string, env: Record<string, string>, args: string[] = []): Promise<AilHttpServer> {
    const own: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) if (!/^(AIL_|FAISS_|GITHUB_)/.test(key)) own[key] = value;
    const server = Detached.start(process.execPath, [CLI, 'serve', '--http', '127.0.0.1:0', '--repo', repo, ...args], { cwd: repo, env: { ...own, NO_COLOR: '1', ...env }, marker: repo });
    try {
      const [, url] = await server.waitForOutput(/listening on (http:\/\/\S+)/, 30_000);
      return new AilHttpServer(server, url!);
    } catch (error) {
      await server.stop();
      throw error;
    }
  }

  log(): string {
    return this.process.log();
  }

  async request(method: 'GET' | 'POST', route: string, body?: unknown): Promise<{ status: number; text: string; json: () => unknown }> {
    const response = await fetch(`${this.url}${route}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, text, json: () => JSON.parse(text) };
  }

  /** SIGTERM, as systemd stops it; resolves with its exit code. */
  stop(): Promise<number | null> {
    return this.process.stop();
  }
}

interface Panel {
  title?: string;
  type?: string;
  targets?: { expr?: string; refId?: string }[];
  panels?: Panel[];
}

export interface Dashboard {
  panels: Panel[];
  templating?: { list: { name: string; type: string; includeAll?: boolean; allValue?: string | null }[] };
}

/** Every panel of a dashboard, those inside rows too. */
export function dashboardPanels(dashboard: Dashboard): Panel[] {
  return dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
}

/**
 * The PromQL of every target of a dashboard, with Grafana's variables as Grafana would fill them in:
 * its interval variables by `window`, a multi-value variable by its "All" value (`.*` when it names
 * none). A variable the dashboard does not declare is an error.
 */
export function dashboardQueries(dashboard: Dashboard, window = '1m'): { panel: string; refId: string; expr: string }[] {
  const values = new Map<string, string>([
    ['__rate_interval', window],
    ['__interval', window],
    ['__range', window],
  ]);
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type === 'query' || variable.type === 'custom') values.set(variable.name, variable.includeAll ? (variable.allValue ?? '.*') : '.*');
  }
  return dashboardPanels(dashboard).flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      panel: panel.title ?? '(untitled)',
      refId: target.refId ?? '?',
      expr: (target.expr ?? '').replace(/\$\{?(\w+)\}?/g, (whole, name: string) => {
        const value = values.get(name);
        if (value === undefined) throw new Error(`panel ${panel.title}: ${whole} is no variable of the dashboard`);
        return value;
      }),
    })),
  );
}

/**
 * The queries under an alert's condition: for `a > 0.6 and b >= 20 / 300` (the shape of every alert
 * in docs/ops/ail-alerts.yml), `a` and `b`, which answer whether or not the alert fires. Throws for a
 * condition of any other shape.
 */
export function alertSides(query: string): string[] {
  return query.split(' and ').map((part) => {
    const match = /^(.+?)\s*(?:>=|<=|==|!=|>|<)\s*[\d.e+\-*/ ]+$/.exec(part.trim());
    if (!match) throw new Error(`an alert whose condition is not "<query> <comparison> <number>[ and ...]": ${query}`);
    return match[1]!;
  });
}
