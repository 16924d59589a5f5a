import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireProgram } from './helpers/external';
import { FakeGitHub, user, type Repo } from './helpers/fake-github';
import { BOB, CHLOE, Fixture } from './helpers/fixture';
import { startWatchdog, type Watchdog } from './helpers/watchdog';
import { ServiceProcess, until } from './helpers/http-service';
import { alertSides, dashboardPanels, dashboardQueries, promtool, Prometheus, type Dashboard, type RuleState, type Sample } from './helpers/prometheus';

/**
 * The operations kit in docs/ops against Debian's Prometheus 2.42: promtool reads the alert rules and
 * AIL's /metrics, and a real Prometheus scrapes the built `ail serve --http` (with GitHub faked on
 * 127.0.0.1) and answers every query of the Grafana dashboard and every rule.
 */

const purpose = 'the Prometheus tests (test/prometheus.test.ts)';
const promtoolProgram = requireProgram('promtool', 'apt-get install prometheus', purpose);
// The same package: one line when it is missing, not two.
const found = promtoolProgram.found && requireProgram('prometheus', 'apt-get install prometheus', purpose).found;

const RULES = path.resolve(__dirname, '../docs/ops/ail-alerts.yml');
const RULE_TESTS = path.resolve(__dirname, 'data/ail-alerts.promtest.yml');
const DASHBOARD = path.resolve(__dirname, '../docs/ops/grafana-dashboard.json');

const dashboard = (): Dashboard => JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;

/** "SUCCESS: 15 rules found" */
async function checkRules(file: string): Promise<{ code: number | null; output: string; rules: number }> {
  const ran = await promtool(['check', 'rules', file]);
  const output = ran.stdout + ran.stderr;
  return { code: ran.code, output, rules: Number(/SUCCESS: (\d+) rules found/.exec(output)?.[1] ?? NaN) };
}

describe.skipIf(!found)('the alert rules and the dashboard, as promtool and Grafana read them', () => {
  it('promtool check rules accepts docs/ops/ail-alerts.yml, and refuses a copy with one comma missing', async () => {
    const good = await checkRules(RULES);
    expect(good.code, good.output).toBe(0);
    expect(good.rules).toBeGreaterThan(0);

    const dir = mkdtempSync(path.join(tmpdir(), 'ail-rules-'));
    try {
      const text = readFileSync(RULES, 'utf8');
      expect(text).toContain('histogram_quantile(0.95, ');
      const broken = path.join(dir, 'ail-alerts.yml');
      writeFileSync(broken, text.replace('histogram_quantile(0.95, ', 'histogram_quantile(0.95 '));
      const bad = await checkRules(broken);
      expect(bad.code).not.toBe(0);
      expect(bad.output).toMatch(/parse error/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('each alert fires past its threshold after its for:, and not below it nor on a trickle of requests (promtool test rules)', async () => {
    const ran = await promtool(['test', 'rules', RULE_TESTS]);
    expect(ran.code, ran.stdout + ran.stderr).toBe(0);
    expect(ran.stdout).toContain('SUCCESS');
  });

  it('the dashboard parses, is a Grafana dashboard on a Prometheus data source variable, and every target of every panel has an expr', () => {
    const parsed = dashboard() as Dashboard & { schemaVersion: number; templating: { list: { name: string; type: string; query: unknown }[] } };
    expect(parsed.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(parsed.templating.list).toContainEqual(expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }));
    const panels = dashboardPanels(parsed).filter((panel) => panel.type !== 'row');
    expect(panels.length).toBeGreaterThan(10);
    for (const panel of panels) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets!) expect(target.expr, `${panel.title} ${target.refId}`).toMatch(/\S/);
    }
    // Every variable a query uses is one the dashboard declares (or Grafana's own interval).
    expect(dashboardQueries(parsed).length).toBe(panels.reduce((sum, panel) => sum + panel.targets!.length, 0));
  });
});

describe.skipIf(!found)('the built ail serve --http, scraped by a real Prometheus', () => {
  const TOKEN = 'ghp_prometheusTestTokenNotARealOne0123456789';
  const REPO: Repo = { owner: 'acme', name: 'queue' };
  const ASK = { path: 'src/queue.ts', range: { start: 5, end: 5 }, question: 'Why is the queue bounded?' };
  const OTHER = { path: 'src/worker.ts', range: { start: 2, end: 3 }, question: 'Why does the worker retry?' };
  const BAD = { path: 'src/queue.ts', range: { start: 900, end: 900 }, question: 'Why?' };

  let fake: FakeGitHub | undefined;
  let repo: Fixture | undefined;
  let dataDir: string | undefined;
  let ail: ServiceProcess | undefined;
  let guard: Watchdog | undefined;
  let prometheus: Prometheus | undefined;
  /** What each step answered; partial and warnings are kept so that a failure says why an answer was not cached. */
  const answers: { status: number; source?: string; error?: string; partial?: boolean; warnings?: string[] }[] = [];
  /** The instant every query of the dashboard and the rules is evaluated at: after the last step was scraped and every rule evaluated on it. */
  let at = 0;
  let rules: RuleState[] = [];

  const scraped = (expr: string, expected: number) => until(async () => (await prometheus!.value(expr)) === expected, 30_000, `Prometheus scraping ${expr} == ${expected}`);
  const ask = async (body: unknown) => {
    const response = await ail!.post('/v1/context', body);
    answers.push({ status: response.status, source: response.body?.source, error: response.body?.error?.code, partial: response.body?.partial, warnings: response.body?.warnings });
  };

  beforeAll(async () => {
    fake = await FakeGitHub.start();
    repo = Fixture.create('ail-prometheus-');
    repo.git('remote', 'add', 'origin', `${fake.baseUrl}/${REPO.owner}/${REPO.name}.git`);
    const shas = [
      repo.write('src/queue.ts', ['export const MAX_ITEMS = 1000;', '', 'export class Queue {', '  push(item: Job): void {', '    this.items.push(item);', '  }', '}']).commit('Add a job queue'),
      repo.write('src/worker.ts', ['export function work(queue: Queue): void {', '  for (;;) run(queue.pop());', '}']).commit('A worker that drains the queue', BOB),
      repo.write('src/queue.ts', ['export const MAX_ITEMS = 1000;', '', 'export class Queue {', '  push(item: Job): void {', '    if (this.items.length >= MAX_ITEMS) throw new QueueFull(MAX_ITEMS);', '    this.items.push(item);', '  }', '}']).commit('Bound the queue', BOB),
      repo.write('src/worker.ts', ['export function work(queue: Queue): void {', '  // a failed job goes back once: the store drops connections under load', '  for (;;) retryOnce(() => run(queue.pop()));', '}']).commit('Retry a failed job once', CHLOE),
    ];
    for (const sha of shas) fake.commit(REPO, sha, []);
    const pr = { number: 55, title: 'Bound the job queue at 1000 items', body: 'The worker ran out of memory.', state: 'closed' as const, mergedAt: '2021-01-04T12:00:00Z', author: user('bob'), mergeCommitSha: shas[2] };
    fake.commit(REPO, shas[2]!, [pr]).pullRequest(REPO, pr);

    dataDir = mkdtempSync(path.join(tmpdir(), 'ail-prometheus-data-'));
    // The developer's own AIL, FAISS and GitHub variables stay out: the test says what the server sees.
    const own = Object.fromEntries(Object.keys(process.env).filter((key) => /^(AIL_|FAISS_|GITHUB_)/.test(key)).map((key) => [key, undefined]));
    ail = await ServiceProcess.start(repo.root, {
      ...own,
      AIL_DATA_DIR: dataDir,
      AIL_ALLOW_MODEL_DOWNLOAD: 'false',
      AIL_COMMIT_GRAPH: 'false',
      GITHUB_API_URL: fake.baseUrl,
      GITHUB_TOKEN: TOKEN,
      AIL_MAX_QUERY_TIME_S: '20',
    });
    // Should this process die before afterAll, the server (its command line names the repository) goes
    // with it, and so does its data dir.
    guard = startWatchdog(ail.process.pid!, repo.root, dataDir);
    const target = new URL(ail.url).host;
    prometheus = await Prometheus.start(mkdtempSync(path.join(tmpdir(), 'ail-prometheus-tsdb-')), {
      global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
      rule_files: [RULES],
      scrape_configs: [{ job_name: 'ail', static_configs: [{ targets: [target] }] }],
    });
    await until(
      async () => {
        const data = await prometheus!.api<{ activeTargets: { health: string; scrapeUrl: string }[] }>('/api/v1/targets');
        return data.activeTargets.some((t) => t.scrapeUrl === `${ail!.url}/metrics` && t.health === 'up');
      },
      30_000,
      'the AIL target being up',
    );

    // As a load balancer would: no question before the service says it is ready.
    await until(async () => (await ail!.get('/health/ready')).status === 200, 30_000, 'the service being ready');

    // The known sequence, each step scraped before the next, so every counter has grown between two
    // scrapes (a rate needs two samples, and a series born with the step has no sample before it).
    const answered = 'sum(ail_query_latency_seconds_count{job="ail"})';
    await ask(ASK); // cold
    await scraped(answered, 1);
    await ask(ASK); // l1
    await scraped(answered, 2);
    await ask(OTHER); // cold again
    await ask(ASK); // l1 again
    await ask(BAD); // bad_input
    await scraped(answered, 4);
    await scraped('sum(ail_errors_total{job="ail",type="bad_input"})', 1);
    const lastScraped = Date.now() / 1000;
    const expected = (await checkRules(RULES)).rules;
    await until(
      async () => {
        rules = await prometheus!.rules();
        return rules.length === expected && rules.every((rule) => Date.parse(rule.lastEvaluation) / 1000 > lastScraped);
      },
      30_000,
      'every rule evaluated on the last step',
    );
    at = Date.now() / 1000;
  });

  afterAll(async () => {
    try {
      // SIGTERM (the last test checks it exits 0), SIGKILL if it has not gone 15 s later.
      const killLater = setTimeout(() => void ail?.kill(), 15_000);
      await Promise.allSettled([ail?.stop(), prometheus?.stop()]);
      clearTimeout(killLater);
    } finally {
      await guard?.end();
      await fake?.close();
      repo?.cleanup();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('answers cold, then from L1, and refuses a line past the end with 400 bad_input', () => {
    expect(answers).toMatchObject([
      { status: 200, source: 'cold', error: undefined },
      { status: 200, source: 'l1', error: undefined },
      { status: 200, source: 'cold', error: undefined },
      { status: 200, source: 'l1', error: undefined },
      { status: 400, source: undefined, error: 'line-out-of-range' },
    ]);
  });

  it('counts that sequence in /metrics: two cold answers, two from L1, one bad input, and the GitHub budget', async () => {
    const response = await ail!.get('/metrics');
    expect(response.status).toBe(200);
    const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(response.text)?.[1]);
    expect(value('ail_query_latency_seconds_count{tier="cold"}')).toBe(2);
    expect(value('ail_query_latency_seconds_count{tier="l1"}')).toBe(2);
    expect(value('ail_query_latency_seconds_count{tier="l2"}')).toBe(0);
    expect(value('ail_cache_hits_total{tier="l1"}')).toBe(2);
    expect(value('ail_errors_total{type="bad_input"}')).toBe(1);
    expect(value('ail_errors_total{type="internal"}')).toBe(0);
    expect(value('ail_errors_total{type="timeout"}')).toBe(0);
    expect(value('ail_github_requests_total')).toBeGreaterThan(0);
    expect(value('ail_github_rate_remaining')).toBeLessThan(5000);
    expect(response.text).not.toContain(TOKEN);
  });

  it('serves /metrics that promtool check metrics accepts without a lint problem', async () => {
    const response = await ail!.get('/metrics');
    const checked = await promtool(['check', 'metrics'], response.text);
    expect(checked.stdout + checked.stderr).toBe('');
    expect(checked.code).toBe(0);
  });

  /** Queries that answered nothing, or only NaN. */
  const empties = async (queries: { name: string; expr: string }[]) => {
    const failed: string[] = [];
    for (const { name, expr } of queries) {
      let result: Sample[];
      try {
        result = await prometheus!.query(expr, at);
      } catch (error) {
        failed.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
        continue;
      }
      if (result.length === 0) failed.push(`${name}: no data: ${expr}`);
      else if (!result.some((sample) => Number.isFinite(Number(sample.value[1])))) failed.push(`${name}: only ${result.map((s) => s.value[1]).join(', ')}: ${expr}`);
    }
    return failed;
  };

  it('answers every query of the Grafana dashboard with data', async () => {
    const queries = dashboardQueries(dashboard(), '1m').map((q) => ({ name: `${q.panel} ${q.refId}`, expr: q.expr }));
    expect(await empties(queries)).toEqual([]);
  });

  it('evaluates every rule with health ok, and answers every recording rule and both sides of every alert with data', async () => {
    expect(rules.length).toBe((await checkRules(RULES)).rules);
    expect(rules.filter((rule) => rule.health !== 'ok').map((rule) => `${rule.name}: ${rule.health} ${rule.lastError ?? ''}`)).toEqual([]);
    const queries = rules.flatMap((rule) => (rule.type === 'recording' ? [{ name: rule.name, expr: rule.name }, { name: `${rule.name} (its expr)`, expr: rule.query }] : alertSides(rule.query).map((expr) => ({ name: rule.name, expr }))));
    expect(await empties(queries)).toEqual([]);
  });

  it('stops on SIGTERM, as systemd stops it, with exit status 0', async () => {
    expect(await ail!.stop()).toBe(0);
  });
});
