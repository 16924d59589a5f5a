import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Logger } from '../server/observe/logger';
import { runCli } from './helpers/cli';
import { ALICE, BOB, Fixture, lines } from './helpers/fixture';
import { ServiceProcess, until } from './helpers/http-service';
import { TestClient } from './helpers/lsp';

const QUESTION = 'why was the retry limit added';
const PARAPHRASE = 'what is the reason the retry limit was added';
const SECRET_QUESTION = 'why does zebracornflakes matter here';
const TOKEN = ['ghp', 'httpservicetesttokennotreal0123456789'].join('_');

/** The value of one sample of the Prometheus text, e.g. `ail_cache_hits_total{tier="l1"}`. */
function sample(metrics: string, series: string): number | undefined {
  const line = metrics.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('ail serve --http: the service a team runs', () => {
  const repo = Fixture.create('ail-http-');
  const data = mkdtempSync(path.join(tmpdir(), 'ail-http-data-'));
  const logs = mkdtempSync(path.join(tmpdir(), 'ail-http-logs-'));
  const shas: string[] = [];
  let service: ServiceProcess;
  const ask = (body: unknown) => service.post('/v1/context', body);
  /**
   * A first answer that is complete. On a loaded machine a server answers before a slow line history
   * (partial, not cached) and lets the walk finish: the next ask finds it done. Asked again, fresh, up
   * to three times.
   */
  const askComplete = async (body: Record<string, unknown>) => {
    let answer = await ask(body);
    for (let tries = 0; answer.body.partial && tries < 3; tries++) answer = await ask({ ...body, fresh: true });
    return answer;
  };

  beforeAll(async () => {
    repo.write('src/retry.ts', ['export const MAX_RETRIES = 3;', ...lines(10)]);
    shas.push(repo.commit('Retry failed uploads three times; the CDN drops about one in a thousand', ALICE));
    repo.write('src/retry.ts', ['export const MAX_RETRIES = 3;', 'export const BACKOFF_MS = 250; // zebracornflakes', ...lines(9)]);
    shas.push(repo.commit('Back off between retries so a struggling CDN can recover', BOB));
    symlinkSync('/etc', path.join(repo.root, 'escape'));
    service = await ServiceProcess.start(repo.root, { AIL_DATA_DIR: data, AIL_LOG_FILE: path.join(logs, 'ail.log'), GITHUB_TOKEN: TOKEN });
    // The commit index (and with it the embedder L2 compares questions with) builds in the background.
    await until(async () => (await service.get('/v1/stats')).body.index.state === 'ready', 20_000, 'the commit index');
  });
  afterAll(async () => {
    await service?.kill();
    repo.cleanup();
    rmSync(data, { recursive: true, force: true });
    rmSync(logs, { recursive: true, force: true });
  });

  it('answers POST /v1/context with the engine\'s answer, 1-based lines, then from L1', async () => {
    const cold = await askComplete({ path: 'src/retry.ts', range: { start: 2, end: 2 }, question: 'why back off?' });
    expect(cold.status).toBe(200);
    expect(cold.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(cold.body).toMatchObject({ file: 'src/retry.ts', source: 'cold', range: { start: { line: 1 } } });
    expect(cold.body.partial, `warnings: ${cold.body.warnings.join(', ')}`).toBeFalsy();
    expect(cold.body.evidence[0].commit.sha).toBe(shas[1]);
    expect(cold.body.summary).toContain('Back off between retries');
    const again = await ask({ path: 'src/retry.ts', range: { start: 2, end: 2 }, question: 'why back off?' });
    expect(again.body.source).toBe('l1');
    expect((await ask({ path: 'src/retry.ts', range: { start: 2, end: 2 }, question: 'why back off?', fresh: true })).body.source).toBe('cold');
    // A whole file, and a hover's quick answer.
    expect((await ask({ path: 'src/retry.ts' })).body.evidence.map((e: { commit: { sha: string } }) => e.commit.sha)).toEqual(expect.arrayContaining(shas));
    expect((await ask({ path: 'src/retry.ts', range: { start: 1 }, depth: 'quick' })).body.evidence[0].commit.sha).toBe(shas[0]);
  });

  it.each([
    ['not JSON', '{"path": ', 400, 'bad-request', /not valid JSON/, undefined],
    ['an array', [], 400, 'bad-request', /must be a JSON object/, undefined],
    ['no path', {}, 400, 'bad-request', /path must be a file path/, 'path'],
    ['a path that is a number', { path: 5 }, 400, 'bad-request', /path must be/, 'path'],
    ['a path that climbs out', { path: '../../etc/passwd' }, 400, 'bad-request', /outside the served repository/, 'path'],
    ['an absolute path elsewhere', { path: '/etc/passwd' }, 400, 'bad-request', /outside the served repository/, 'path'],
    ['a symbolic link out of the repository', { path: 'escape/passwd' }, 400, 'outside-repository', /outside/, undefined],
    ['line 0', { path: 'src/retry.ts', range: { start: 0 } }, 400, 'bad-request', /range\.start must be a line number from 1/, 'range.start'],
    ['an end before the start', { path: 'src/retry.ts', range: { start: 3, end: 2 } }, 400, 'bad-request', /range\.end \(2\) is before range\.start \(3\)/, 'range.end'],
    ['a line past the end', { path: 'src/retry.ts', range: { start: 99 } }, 400, 'line-out-of-range', /line 99 is past the end of the file \(11 lines\)/, undefined],
    ['a file that is not there', { path: 'src/nope.ts' }, 404, 'file-missing', /src\/nope\.ts does not exist/, undefined],
    ['maxEvidence 0', { path: 'src/retry.ts', maxEvidence: 0 }, 400, 'bad-request', /maxEvidence must be a whole number from 1 to 50/, 'maxEvidence'],
    ['an unknown field', { path: 'src/retry.ts', lines: [1, 2] }, 400, 'bad-request', /unknown field "lines"/, 'lines'],
    ['a body over 64 KB', { path: 'src/retry.ts', question: 'x'.repeat(70_000) }, 413, 'too-large', /limit is 65536/, undefined],
  ])('refuses %s: status, code and a sentence naming the field', async (_name, body, status, code, message, field) => {
    const response = await ask(body);
    expect(response.status).toBe(status);
    expect(response.body.error.code).toBe(code);
    expect(response.body.error.message).toMatch(message);
    expect(response.body.error.field).toBe(field);
  });

  it('answers a bad route 404 and a wrong method 405, in JSON', async () => {
    const missing = await service.get('/v1/nothing');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toEqual({ code: 'not-found', message: 'no such endpoint: GET /v1/nothing; see docs/operations.md' });
    const wrong = await service.get('/v1/context');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect(wrong.body.error.message).toBe('/v1/context takes POST, not GET');
  });

  it('serves stats, clears the caches and rebuilds the commit index', async () => {
    await ask({ path: 'src/retry.ts', range: { start: 1, end: 1 }, question: 'why three?' });
    const stats = (await service.get('/v1/stats')).body;
    expect(stats.l1.size).toBeGreaterThan(0);
    expect(stats.index).toMatchObject({ state: 'ready', commits: 2, root: repo.root });
    const cleared = await service.post('/v1/cache/clear');
    expect(cleared.body).toEqual({ l1: stats.l1.size, l2: stats.l2.size });
    expect((await service.get('/v1/stats')).body.l1.size).toBe(0);
    const reindexed = await service.post('/v1/reindex');
    expect(reindexed.status).toBe(200);
    expect(reindexed.body).toMatchObject({ commits: 2, repositories: [{ root: repo.root, commits: 2 }] });
  });

  it('changes the rollout and rolls the semantic cache back while it runs: POST /v1/config and SIGHUP', async () => {
    const pid = service.process.pid;
    const range = { start: 1, end: 1 };
    const metric = async (name: string) => sample((await service.get('/metrics')).text, name);
    await service.post('/v1/cache/clear');

    expect((await service.post('/v1/config', { FAISS_ROLLOUT: 0 })).body).toEqual({ FAISS_ROLLOUT: 0, AIL_FAISS_ENABLED: true });
    expect(await metric('ail_semantic_rollout_percent')).toBe(0);
    await askComplete({ path: 'src/retry.ts', range, question: QUESTION });
    expect((await ask({ path: 'src/retry.ts', range, question: PARAPHRASE })).body.source).toBe('cold');

    await service.post('/v1/config', { FAISS_ROLLOUT: 100 });
    await askComplete({ path: 'src/retry.ts', range: { start: 1, end: 2 }, question: QUESTION });
    const served = await ask({ path: 'src/retry.ts', range: { start: 1, end: 2 }, question: PARAPHRASE });
    expect(served.body).toMatchObject({ source: 'l2', cachedQuestion: QUESTION });

    // The instant rollback: the switch, and the index's memory freed at once.
    expect((await service.post('/v1/config', { AIL_FAISS_ENABLED: false })).body).toEqual({ FAISS_ROLLOUT: 100, AIL_FAISS_ENABLED: false });
    expect(await metric('ail_semantic_enabled')).toBe(0);
    expect(await metric('ail_cache_size_entries{tier="l2"}')).toBe(0);
    expect((await ask({ path: 'src/retry.ts', range: { start: 1, end: 3 }, question: 'why the retry limit, added here' })).body.source).toBe('cold');

    const refused = await service.post('/v1/config', { FAISS_ROLLOUT: 101 });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ field: 'FAISS_ROLLOUT', message: 'FAISS_ROLLOUT must be a whole number from 0 to 100' });
    expect((await service.post('/v1/config', { AIL_CACHE_SIZE: 5 })).body.error.message).toMatch(/AIL_CACHE_SIZE cannot change while AIL runs/);
    expect(service.process.pid).toBe(pid);
  });

  it('is ready only once the repository is usable, however long the index takes', async () => {
    const empty = Fixture.create('ail-http-empty-');
    const fresh = await ServiceProcess.start(empty.root, { AIL_DATA_DIR: data });
    try {
      expect((await fresh.get('/health/live')).body).toEqual({ live: true });
      const before = await fresh.get('/health/ready');
      expect(before.status).toBe(503);
      expect(before.body.ready).toBe(false);
      expect(before.body.reasons.join(' ')).toMatch(/no commits/);
      empty.write('a.txt', 'a\n').commit('First');
      const after = await fresh.get('/health/ready');
      expect(after.status).toBe(200);
      expect(after.body).toMatchObject({ live: true, ready: true, reasons: [] });
    } finally {
      await fresh.kill();
      empty.cleanup();
    }
  });

  it('logs timings, tiers and outcomes at INFO, never the question, the file, the answer or the token', async () => {
    await ask({ path: 'src/retry.ts', range: { start: 2, end: 2 }, question: SECRET_QUESTION });
    await ask({ path: 'src/retry.ts', range: { start: 2, end: 2 }, question: SECRET_QUESTION });
    const log = readFileSync(path.join(logs, 'ail.log'), 'utf8');
    expect(log).toMatch(/^\S+Z INFO answer tier=cold depth=full ms=[\d.]+ evidence=\d+ confidence=[\d.]+$/m);
    expect(log).toMatch(/^\S+Z INFO answer tier=l1 depth=full /m);
    expect(log).toMatch(/^\S+Z INFO refused code=line-out-of-range ms=/m);
    for (const secret of ['zebracornflakes', 'src/retry.ts', 'BACKOFF_MS', 'Back off between', TOKEN, TOKEN.slice(4)]) expect(log).not.toContain(secret);
    expect(service.stderr).not.toContain('zebracornflakes');
  });

  it('logs questions and paths only at DEBUG, which says so when it starts', async () => {
    const file = path.join(logs, 'debug.log');
    const debug = await ServiceProcess.start(repo.root, { AIL_DATA_DIR: data, AIL_LOG_FILE: file, AIL_LOG_LEVEL: 'DEBUG', AIL_INDEX_ENABLED: 'false' });
    try {
      await debug.post('/v1/context', { path: 'src/retry.ts', range: { start: 2, end: 2 }, question: SECRET_QUESTION });
      const log = readFileSync(file, 'utf8');
      expect(log.split('\n')[0]).toMatch(/DEBUG debug logging is on: lines now include file paths, line numbers and question text/);
      expect(log).toContain(`question path=${path.join(repo.root, 'src/retry.ts')} lines=2-2 question="${SECRET_QUESTION}"`);
    } finally {
      await debug.kill();
    }
  });

  it('finishes a request in flight on SIGTERM, refuses new ones, and exits 0', async () => {
    const own = await ServiceProcess.start(repo.root, { AIL_DATA_DIR: data, AIL_INDEX_ENABLED: 'false' });
    const url = new URL(`${own.url}/v1/context`);
    // A request whose body is still arriving is in flight: the service has it and has not answered.
    let sent!: () => void;
    const headersSent = new Promise<void>((resolve) => (sent = resolve));
    const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.write('{"path": "src/retry.ts", ', () => sent());
      void until(() => own.stderr.includes('shutting down signal=SIGTERM inFlight=1')).then(() => req.end('"range": {"start": 2}}'), reject);
    });
    await headersSent;
    await new Promise((resolve) => setTimeout(resolve, 200)); // for the service to read the headers the socket carried
    own.process.kill('SIGTERM');
    const result = await answered;
    expect(result.status).toBe(200);
    expect(JSON.parse(result.body).evidence[0].commit.sha).toBe(shas[1]);
    expect(await own.exited()).toBe(0);
    expect(own.stderr).toMatch(/INFO stopped/);
    await expect(fetch(`${own.url}/health/live`)).rejects.toThrow();
  });

  it('refuses a bad --http and a port in use with one line, exit 2', async () => {
    const bad = await runCli(['serve', '--http', 'localhost:http', '--repo', repo.root], { cwd: repo.root });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('ail: --http takes [HOST:]PORT, such as 127.0.0.1:8080 or 8080 (got "localhost:http")\n');
    const port = new URL(service.url).port;
    const busy = await runCli(['serve', '--http', `127.0.0.1:${port}`, '--repo', repo.root], { cwd: repo.root, env: { AIL_DATA_DIR: data } });
    expect(busy.code).toBe(2);
    expect(busy.stderr).toBe(`ail: cannot listen on 127.0.0.1:${port}: the port is in use\n`);
    const config = await runCli(['serve', '--http', '0', '--repo', repo.root, '--config', path.join(logs, 'none.env')], { cwd: repo.root });
    expect(config.code).toBe(2);
    expect(config.stderr).toBe(`ail: cannot read the config file ${path.join(logs, 'none.env')}: ENOENT\n`);
  });
});

describe('GET /metrics after a known sequence of questions', () => {
  const repo = Fixture.create('ail-http-metrics-');
  const data = mkdtempSync(path.join(tmpdir(), 'ail-http-metrics-data-'));
  let service: ServiceProcess;
  beforeAll(async () => {
    repo.write('src/retry.ts', ['export const MAX_RETRIES = 3;', ...lines(10)]).commit('Retry failed uploads three times');
    repo.write('README.md', 'retry\n').commit('Say what retries');
    service = await ServiceProcess.start(repo.root, { AIL_DATA_DIR: data });
    await until(async () => (await service.get('/v1/stats')).body.index.state === 'ready', 20_000, 'the commit index');
  });
  afterAll(async () => {
    await service?.kill();
    repo.cleanup();
    rmSync(data, { recursive: true, force: true });
  });

  it('counts each tier, hit, miss and error with the seed\'s names and labels', async () => {
    const range = { start: 1, end: 1 };
    expect((await service.post('/v1/context', { path: 'src/retry.ts', range, question: QUESTION })).body.source).toBe('cold');
    expect((await service.post('/v1/context', { path: 'src/retry.ts', range, question: QUESTION })).body.source).toBe('l1');
    expect((await service.post('/v1/context', { path: 'src/retry.ts', range, question: PARAPHRASE })).body.source).toBe('l2');
    expect((await service.post('/v1/context', { path: 'src/retry.ts', range: { start: 40 } })).status).toBe(400);
    expect((await service.post('/v1/context', { path: 7 })).status).toBe(400);

    const response = await service.get('/metrics');
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = response.text;
    const expected: Record<string, number> = {
      'ail_query_latency_seconds_count{tier="cold"}': 1,
      'ail_query_latency_seconds_count{tier="l1"}': 1,
      'ail_query_latency_seconds_count{tier="l2"}': 1,
      'ail_cache_hits_total{tier="l1"}': 1,
      'ail_cache_hits_total{tier="l2"}': 1,
      'ail_cache_misses_total{tier="l1"}': 2,
      'ail_cache_misses_total{tier="l2"}': 1,
      'ail_cache_size_entries{tier="l1"}': 1,
      'ail_cache_size_entries{tier="l2"}': 1,
      'ail_errors_total{type="bad_input"}': 2,
      'ail_errors_total{type="internal"}': 0,
      'ail_errors_total{type="timeout"}': 0,
      ail_semantic_rollout_percent: 100,
      ail_semantic_enabled: 1,
      'ail_index_state{state="ready"}': 1,
      'ail_index_state{state="building"}': 0,
      ail_index_commits: 2,
    };
    for (const [series, value] of Object.entries(expected)) expect(sample(text, series), series).toBe(value);
    // The histogram's buckets, the seed's, cumulative and ending in +Inf.
    const buckets = text.split('\n').filter((line) => line.startsWith('ail_query_latency_seconds_bucket{') && line.includes('tier="cold"'));
    expect(buckets.map((line) => /le="([^"]+)"/.exec(line)![1])).toEqual(['0.01', '0.05', '0.1', '0.5', '1', '2', '5', '+Inf']);
    expect(Number(buckets.at(-1)!.split(' ')[1])).toBe(1);
    expect(sample(text, 'ail_memory_usage_bytes')).toBeGreaterThan(10_000_000);
    expect(text).toMatch(/^# TYPE ail_query_latency_seconds histogram$/m);
    expect(text).toMatch(/^# TYPE ail_cache_hits_total counter$/m);
    expect(text).toMatch(/^ail_process_resident_memory_bytes \d+/m);
    // The same counts as /v1/stats: one source.
    const stats = (await service.get('/v1/stats')).body;
    expect(stats).toMatchObject({ queries: 3, l1: { hits: 1, misses: 2 }, l2: { hits: 1, misses: 1 } });
  });
});

describe('a repository gone from under the service', () => {
  it('answers 503 and counts an internal error, not a bad request: an operator must look', async () => {
    const repo = Fixture.create('ail-http-gone-');
    repo.write('a.txt', 'a\n').commit('First');
    const data = mkdtempSync(path.join(tmpdir(), 'ail-http-gone-data-'));
    const service = await ServiceProcess.start(repo.root, { AIL_DATA_DIR: data, AIL_INDEX_ENABLED: 'false' });
    try {
      expect((await service.post('/v1/context', { path: 'a.txt' })).status).toBe(200);
      repo.cleanup();
      const gone = await service.post('/v1/context', { path: 'a.txt' });
      expect(gone.status).toBe(503);
      expect(gone.body.error.code).toBe('repository-gone');
      const metrics = (await service.get('/metrics')).text;
      expect(sample(metrics, 'ail_errors_total{type="internal"}')).toBe(1);
      expect(sample(metrics, 'ail_errors_total{type="bad_input"}')).toBe(0);
      expect((await service.get('/health/ready')).status).toBe(503);
    } finally {
      await service.kill();
      rmSync(data, { recursive: true, force: true });
    }
  });
});

describe('the config file: --config and SIGHUP', () => {
  const repo = Fixture.create('ail-http-config-');
  const data = mkdtempSync(path.join(tmpdir(), 'ail-http-config-data-'));
  const config = path.join(data, 'config.env');
  let service: ServiceProcess;
  beforeAll(async () => {
    repo.write('a.txt', 'a\n').commit('First');
    writeFileSync(config, '# /etc/ail/config.env\nexport FAISS_ROLLOUT=10\nAIL_FAISS_ENABLED="true"\nAIL_CACHE_SIZE=500 # answers\n');
    service = await ServiceProcess.start(repo.root, { AIL_DATA_DIR: data, FAISS_ROLLOUT: '90', AIL_INDEX_ENABLED: 'false' }, ['--config', config]);
  });
  afterAll(async () => {
    await service?.kill();
    repo.cleanup();
    rmSync(data, { recursive: true, force: true });
  });

  it('reads the environment file over the environment, and re-reads it on SIGHUP without a restart', async () => {
    const stats = async () => (await service.get('/v1/stats')).body;
    expect((await stats()).l2).toMatchObject({ rollout: 10, enabled: true });
    expect((await stats()).l1.capacity).toBe(500);
    writeFileSync(config, 'FAISS_ROLLOUT=50\nAIL_FAISS_ENABLED=false\nAIL_CACHE_SIZE=500\nAIL_MAX_WORKERS=1\n');
    service.process.kill('SIGHUP');
    await until(async () => (await stats()).l2.rollout === 50, 10_000, 'the reload');
    expect((await stats()).l2.enabled).toBe(false);
    await until(() => service.stderr.includes('WARNING AIL_MAX_WORKERS changed; it applies at the next restart'));
    // A broken file is reported and changes nothing.
    writeFileSync(config, 'FAISS_ROLLOUT=fifty\n');
    service.process.kill('SIGHUP');
    await until(() => service.stderr.includes('ERROR SIGHUP: the config file was not applied error="FAISS_ROLLOUT must be a whole number from 0 to 100 (got \\"fifty\\")"'));
    expect((await stats()).l2.rollout).toBe(50);
    expect((await service.get('/health/live')).status).toBe(200);
  });
});

describe('the log file', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ail-log-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('rotates at its size limit and keeps as many files as it is told', () => {
    const file = path.join(dir, 'small.log');
    const log = new Logger({ level: 'INFO', file, maxBytes: 1000, files: 3 });
    for (let i = 0; i < 100; i++) log.info('answer', { n: i, tier: 'l1' });
    log.close();
    expect(readdirSync(dir).filter((name) => name.startsWith('small.log')).sort()).toEqual(['small.log', 'small.log.1', 'small.log.2']);
    for (const name of ['small.log', 'small.log.1', 'small.log.2']) expect(statSync(path.join(dir, name)).size).toBeLessThanOrEqual(1000);
    expect(readFileSync(file, 'utf8').trim().split('\n').pop()).toMatch(/answer n=99 tier=l1$/);
    expect(readFileSync(`${file}.2`, 'utf8')).not.toContain('n=0 ');
  });

  it('rotates at 10 MB by default, as the seed does', () => {
    const file = path.join(dir, 'ail.log');
    const log = new Logger({ level: 'INFO', file });
    const fields = { padding: 'x'.repeat(1000) };
    for (let i = 0; i < 10_500; i++) log.info('line', fields);
    log.close();
    expect(statSync(`${file}.1`).size).toBeLessThanOrEqual(10 * 1024 * 1024);
    expect(statSync(`${file}.1`).size).toBeGreaterThan(10 * 1024 * 1024 - 1100);
    expect(statSync(file).size).toBeLessThan(1024 * 1024);
  });
});

describe('the language server\'s metrics endpoint (ail.metrics.port)', () => {
  const repo = Fixture.create('ail-lsp-metrics-');
  const data = mkdtempSync(path.join(tmpdir(), 'ail-lsp-metrics-data-'));
  let client: TestClient | undefined;
  afterAll(async () => {
    await client?.stop();
    repo.cleanup();
    rmSync(data, { recursive: true, force: true });
  });

  it('is off by default, and serves /metrics on loopback when the port is set', async () => {
    repo.write('a.ts', ['const a = 1;']).commit('Add a');
    const port = await freePort();
    client = await TestClient.start(repo.root, { AIL_DATA_DIR: data, AIL_ALLOW_MODEL_DOWNLOAD: 'false', AIL_METRICS_PORT: String(port) });
    const uri = `file://${repo.path('a.ts')}`;
    await client.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 0 } });
    let text = '';
    await until(async () => {
      text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => '');
      return sample(text, 'ail_query_latency_seconds_count{tier="cold"}') === 1;
    }, 20_000, 'the hover in the metrics');
    expect(sample(text, 'ail_cache_misses_total{tier="l1"}')).toBe(1);
    // Only what is read-only: no question can be asked there.
    expect((await fetch(`http://127.0.0.1:${port}/v1/context`, { method: 'POST', body: '{}' })).status).toBe(404);
    // A change of the setting applies at once: off.
    client.config = { metrics: { port: 0 } };
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: null });
    await until(async () => fetch(`http://127.0.0.1:${port}/metrics`).then(() => false, () => true), 10_000, 'the endpoint to close');
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
