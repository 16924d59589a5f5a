import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import * as path from 'node:path';
import { until } from './http-service';
import { startWatchdog, type Watchdog } from './watchdog';

/**
 * Prometheus's own programs for tests (Debian's `prometheus` package: `prometheus` and `promtool`), and
 * what a dashboard and a rules file ask of it. Prometheus starts in a process group of its own with a
 * watchdog beside it, so it ends, and its temp dir goes, however the test process ends.
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

/** A real Prometheus on 127.0.0.1, its TSDB and config in `dir`, in a process group of its own: `stop` ends it and removes `dir`. */
export class Prometheus {
  private output = '';
  private readonly exited: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly watchdog: Watchdog,
    readonly url: string,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString('utf8')));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ? null : code)));
  }

  /** Starts it with `config` (written as JSON, which Prometheus reads as the YAML it is) and waits until it is ready. */
  static async start(dir: string, config: unknown): Promise<Prometheus> {
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'prometheus.yml');
    writeFileSync(file, JSON.stringify(config, null, 2));
    const port = await freePort();
    const child = spawn('prometheus', [`--config.file=${file}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    // From here on, however this process ends, the watchdog ends Prometheus's group and removes `dir`.
    const prometheus = new Prometheus(child, startWatchdog(child.pid!, dir, dir), `http://127.0.0.1:${port}`);
    let starting = true;
    try {
      const exited = prometheus.exited.then((code) => {
        if (starting) throw new Error(`prometheus exited (${code}) before it was ready:\n${prometheus.output}`);
      });
      await Promise.race([exited, until(async () => (await fetch(`${prometheus.url}/-/ready`).catch(() => undefined))?.ok === true, 30_000, 'prometheus being ready')]);
    } catch (error) {
      await prometheus.stop();
      throw error;
    } finally {
      starting = false;
    }
    return prometheus;
  }

  log(): string {
    return this.output;
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

  /** SIGTERM, SIGKILL after `graceMs`; resolves with its exit status once the watchdog has removed its dir. */
  async stop(graceMs = 10_000): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    await this.watchdog.end();
    return code;
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
