import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createClient, RESP_TYPES } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSettings, type Settings } from '../shared/settings';
import { Engine } from '../server/engine';
import { decode } from '../server/cache/team';
import { FakeGitHub, user, type Repo } from './helpers/fake-github';
import { runCli } from './helpers/cli';
import { requireProgram } from './helpers/external';
import { BOB, Fixture, lines } from './helpers/fixture';
import { gitRecorder } from './helpers/git-recorder';
import { ServiceProcess, until } from './helpers/http-service';
import { freePort, RedisServer, SlowProxy } from './helpers/redis';

/**
 * The team tier (issue 18) against Debian's redis-server 7.0 on loopback: engines on two clones of one
 * repository at different paths share answers through it; anything that changes what an answer is about
 * misses; a Redis that is down, slow, full or refusing the password leaves answers coming from git.
 */

const found = requireProgram('redis-server', 'apt-get install redis-server', 'the team cache tests (test/team.test.ts)').found;

const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function engineOn(redisUrl: string, extra: Partial<Settings> = {}): Engine {
  return new Engine({
    ...defaultSettings(),
    dataDir: tempDir('ail-team-data-'),
    teamRedisUrl: redisUrl,
    teamBudgetMs: 2000,
    semanticIndexEnabled: false,
    allowModelDownload: false,
    writeCommitGraph: false,
    maxQueryTimeS: 30,
    logFile: path.join(tempDir('ail-team-log-'), 'ail.log'),
    ...extra,
  });
}

/** The repository both clones hold: a line with a reason, written by Bob. */
function history(): Fixture {
  const repo = Fixture.create('ail-team-a-');
  repo.write('src/queue.ts', ['export const LIMIT = 10;', ...lines(6)]);
  repo.commit('Add the upload queue', BOB);
  repo.write('src/queue.ts', ['export const LIMIT = 64; // bounded: the worker pool is 8 wide', ...lines(6)]);
  repo.commit('Bound the queue at 64 so a burst cannot exhaust memory', BOB);
  return repo;
}

function clone(repo: Fixture, prefix: string): Fixture {
  const dir = tempDir(prefix);
  execFileSync('git', ['clone', '-q', repo.root, path.join(dir, 'clone')]);
  const copy = Fixture.at(path.join(dir, 'clone'));
  copy.git('config', 'user.name', 'Clone');
  copy.git('config', 'user.email', 'clone@example.com');
  return copy;
}

const QUESTION = 'Why is the queue bounded at 64?';
const ask = (engine: Engine, repo: Fixture, extra: { contents?: string; question?: string } = {}) =>
  engine.ask({ path: repo.path('src/queue.ts'), lines: { start: 0, end: 0 }, question: extra.question ?? QUESTION, ...(extra.contents !== undefined ? { contents: extra.contents } : {}) });

describe.skipIf(!found)('two engines on two clones share answers through one Redis', () => {
  let redis: RedisServer;
  let a: Engine;
  let b: Engine;
  let origin: Fixture;
  let one: Fixture;
  let two: Fixture;

  beforeAll(async () => {
    origin = history();
    redis = await RedisServer.start();
    one = clone(origin, 'ail-team-one-');
    two = clone(origin, 'ail-team-two-');
    a = engineOn(redis.url());
    b = engineOn(redis.url());
  });
  afterAll(async () => {
    await a?.dispose();
    await b?.dispose();
    await redis?.dispose();
    origin?.cleanup();
  });

  it('the second engine answers from the team tier what the first dug, with its own file and question', async () => {
    const dug = await ask(a, one);
    expect(dug.source).toBe('cold');
    expect(dug.warnings).not.toContain('team-cache-unavailable');
    expect(dug.summary).toContain('Bound the queue at 64');
    expect(a.stats().team).toMatchObject({ state: 'ready', written: 1, misses: 1 });

    const shared = await ask(b, two, { question: 'why is the queue  bounded at 64' });
    expect(shared.source, JSON.stringify(b.stats().team)).toBe('team');
    expect(shared.question).toBe('why is the queue bounded at 64');
    expect(shared.file).toBe('src/queue.ts');
    expect(shared.summary).toBe(dug.summary);
    expect(shared.evidence.map((item) => item.commit.sha)).toEqual(dug.evidence.map((item) => item.commit.sha));
    // Nothing of the first machine's work tree travelled with it.
    expect(JSON.stringify(shared)).not.toContain(one.root);
    expect(b.stats().team).toMatchObject({ state: 'ready', hits: 1 });
    expect(b.stats().hitRate).toBe(1);
    // Now in B's L1.
    expect((await ask(b, two)).source).toBe('l1');
    const metrics = (await b.metrics()).text;
    expect(metrics).toMatch(/^ail_cache_hits_total\{tier="team"\} 1$/m);
  });

  it('a partial answer (blame held past the time limit) is never shared', async () => {
    const three = clone(origin, 'ail-team-three-');
    const slow = engineOn(redis.url(), { maxQueryTimeS: 0.3 });
    const question = 'why is the queue bounded at 64, asked while git is held';
    // git reads .mailmap before it blames: a FIFO there holds it until the test lets go.
    const mailmap = three.path('.mailmap');
    execFileSync('mkfifo', [mailmap]);
    const holding = open(mailmap, 'w');
    try {
      const cut = await ask(slow, three, { question });
      expect(cut.partial).toBe(true);
      expect(cut.warnings).toContain('time-limit');
    } finally {
      // Whether or not git got to it, let go: a reader of our own ends the wait, then EOF ends git's.
      const reader = openSync(mailmap, constants.O_RDONLY | constants.O_NONBLOCK);
      await (await holding).close();
      closeSync(reader);
      await slow.dispose();
      rmSync(mailmap);
    }
    const elsewhere = await ask(b, two, { question });
    expect(elsewhere.source).toBe('cold');
    expect(elsewhere.partial).toBeUndefined();
  });

  it('an edited buffer, a new commit, an amend and a different repository all miss', async () => {
    const before = b.stats().team!.hits;
    // An edited buffer: the unsaved text's hash is in the key.
    const edited = await ask(b, two, { contents: ['export const LIMIT = 65; // bounded: the worker pool is 8 wide', ...lines(6)].join('\n') + '\n' });
    expect(edited.source).toBe('cold');

    // A new commit in the second clone: a new HEAD.
    two.write('NOTES.md', 'notes\n');
    two.commit('Add notes', BOB);
    expect((await ask(b, two)).source).toBe('cold');

    // An amend of the first clone's last commit (same tree, new message): a new HEAD, though the file is the same.
    const amended = clone(origin, 'ail-team-amend-');
    amended.git('commit', '-q', '--amend', '-m', 'Bound the queue at 64 (amended)');
    expect((await ask(b, amended)).source).toBe('cold');

    // Another repository with the same file and the same question, but its own history.
    const other = Fixture.create('ail-team-other-');
    other.write('src/queue.ts', ['export const LIMIT = 64; // bounded: the worker pool is 8 wide', ...lines(6)]);
    other.commit('Queue limit', BOB);
    try {
      expect((await ask(b, other)).source).toBe('cold');
    } finally {
      other.cleanup();
    }
    expect(b.stats().team!.hits).toBe(before);

    // The control: the first engine, on the amended clone B dug, is answered by the team.
    expect((await ask(a, amended)).source).toBe('team');
  });

  it("an answer with a warning about the machine that dug it (GitHub unreachable) is not shared: one machine's bad network is not the team's answer", async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const offline = clone(origin, 'ail-team-offline-');
    offline.git('remote', 'set-url', 'origin', `${dead}/acme/queue.git`);
    const elsewhere = clone(origin, 'ail-team-offline-b-');
    elsewhere.git('remote', 'set-url', 'origin', `${dead}/acme/queue.git`);
    const first = engineOn(redis.url(), { githubApiUrl: dead });
    const second = engineOn(redis.url(), { githubApiUrl: dead });
    try {
      const answer = await ask(first, offline);
      expect(answer.source).toBe('cold');
      expect(answer.warnings).toContain('github-unavailable');
      expect(first.stats().team).toMatchObject({ state: 'ready', written: 0 });
      expect((await ask(second, elsewhere)).source).toBe('cold');
    } finally {
      await first.dispose();
      await second.dispose();
    }
  });

  it('a value that does not decode is a miss, never an error, and is replaced by the dug answer', async () => {
    const raw = createClient({ url: redis.url() });
    await raw.connect();
    try {
      const keys: string[] = [];
      for await (const batch of raw.scanIterator({ MATCH: 'ail:1:answer:*' })) keys.push(...batch);
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) await raw.set(key, 'AIL\u0001 not deflated at all');
      const fresh = engineOn(redis.url());
      try {
        const answer = await ask(fresh, one);
        expect(answer.source).toBe('cold');
        expect(answer.warnings).not.toContain('team-cache-unavailable');
        expect(fresh.stats().team).toMatchObject({ state: 'ready', hits: 0, errors: 1 });
      } finally {
        await fresh.dispose();
      }
      // Its answer was written back: a third engine finds it.
      const third = engineOn(redis.url());
      try {
        expect((await ask(third, one)).source).toBe('team');
      } finally {
        await third.dispose();
      }
    } finally {
      raw.destroy();
    }
  });
});

describe.skipIf(!found)('a Redis that is down, slow, full or refusing: answers keep coming from git, with a warning', () => {
  let origin: Fixture;
  beforeAll(() => {
    origin = history();
  });
  afterAll(() => origin?.cleanup());

  /** Asks a new question each time (a new line), so that no cache can answer it. */
  let line = 0;
  const dig = (engine: Engine) => engine.ask({ path: origin.path('src/queue.ts'), lines: { start: line % 7, end: line % 7 }, question: `why is line ${++line} here?` });

  it('Redis stopped mid-run: the next answer is dug with team-cache-unavailable; restarted, sharing resumes', async () => {
    const redis = await RedisServer.start();
    const engine = engineOn(redis.url());
    try {
      expect((await dig(engine)).warnings).not.toContain('team-cache-unavailable');
      expect(engine.stats().team!.state).toBe('ready');
      await redis.stop();
      const answer = await dig(engine);
      expect(answer.source).toBe('cold');
      expect(answer.summary).toMatch(/\S/);
      expect(answer.warnings).toContain('team-cache-unavailable');
      expect(engine.stats().team).toMatchObject({ state: 'down' });
      expect(engine.stats().team!.reason).toMatch(/\S/);
      // Again, while it is down: no hang, the same warning.
      expect((await dig(engine)).warnings).toContain('team-cache-unavailable');

      await redis.restart();
      await until(async () => !(await dig(engine)).warnings.includes('team-cache-unavailable'), 20_000, 'the team tier back after Redis restarted');
      expect(engine.stats().team!.state).toBe('ready');
    } finally {
      await engine.dispose();
      await redis.dispose();
    }
  });

  it('a Redis that is not there at all (nothing listens on its port): answers from git, state down', async () => {
    const engine = engineOn(`redis://127.0.0.1:${await freePort()}`);
    try {
      for (let i = 0; i < 3; i++) {
        const answer = await dig(engine);
        expect(answer.source).toBe('cold');
        expect(answer.warnings).toContain('team-cache-unavailable');
      }
      expect(engine.stats().team).toMatchObject({ state: 'down', hits: 0 });
      expect(engine.stats().team!.reason).toMatch(/ECONNREFUSED|connection/);
    } finally {
      await engine.dispose();
    }
  });

  it('a slow Redis (a proxy that holds each reply 1.5 s) is given up on after the budget', async () => {
    const redis = await RedisServer.start();
    const proxy = await SlowProxy.start(redis.port, 1500);
    const engine = engineOn(proxy.url(), { teamBudgetMs: 100 });
    try {
      const answer = await dig(engine);
      expect(answer.source).toBe('cold');
      expect(answer.warnings).toContain('team-cache-unavailable');
      expect(engine.stats().team!.state).toMatch(/^(slow|down)$/);
      // Once connected, a lookup that passes its budget says slow.
      await until(async () => (await dig(engine), engine.stats().team!.state === 'slow'), 20_000, 'a lookup past its budget');
      expect(engine.stats().team!.reason).toContain('did not answer within 100 ms');
    } finally {
      await engine.dispose();
      await proxy.close();
      await redis.dispose();
    }
  });

  it('a full Redis (maxmemory with noeviction) refuses the write: the answer is dug and says so', async () => {
    const redis = await RedisServer.start(['--maxmemory', '1', '--maxmemory-policy', 'noeviction']);
    const engine = engineOn(redis.url());
    try {
      const answer = await dig(engine);
      expect(answer.source).toBe('cold');
      expect(answer.warnings).toContain('team-cache-unavailable');
      expect(engine.stats().team).toMatchObject({ state: 'full', written: 0 });
      expect(engine.stats().team!.reason).toContain('noeviction');
    } finally {
      await engine.dispose();
      await redis.dispose();
    }
  });

  it('a wrong password: refused, answers from git, and the password is in no log line', async () => {
    const redis = await RedisServer.start(['--requirepass', 'the-right-one']);
    const logFile = path.join(tempDir('ail-team-log-'), 'ail.log');
    const engine = engineOn(redis.url('hunter2-wrong'), { logFile });
    try {
      const answer = await dig(engine);
      expect(answer.source).toBe('cold');
      expect(answer.warnings).toContain('team-cache-unavailable');
      expect(engine.stats().team).toMatchObject({ state: 'refused' });
      expect((await dig(engine)).warnings).toContain('team-cache-unavailable');
    } finally {
      await engine.dispose();
      await redis.dispose();
    }
    const log = readFileSync(logFile, 'utf8');
    expect(log).toContain('Redis refused the credentials');
    expect(log).not.toContain('hunter2');
  });

  it('the right password: shared', async () => {
    const redis = await RedisServer.start(['--requirepass', 'the-right-one']);
    const engine = engineOn(redis.url('the-right-one'));
    try {
      expect((await dig(engine)).warnings).not.toContain('team-cache-unavailable');
      expect(engine.stats().team).toMatchObject({ state: 'ready', written: 1 });
    } finally {
      await engine.dispose();
      await redis.dispose();
    }
  });
});

describe.skipIf(!found)('two ail serve --http processes on two clones: the second answers with no git process digging', () => {
  let origin: Fixture;
  let redis: RedisServer;
  let first: ServiceProcess;
  let second: ServiceProcess;
  let recorder: ReturnType<typeof gitRecorder>;

  beforeAll(async () => {
    origin = history();
    recorder = gitRecorder(tempDir('ail-team-git-'));
    redis = await RedisServer.start();
    const env = { AIL_REDIS_URL: redis.url(), AIL_REDIS_BUDGET_MS: '2000', AIL_INDEX_ENABLED: 'false', AIL_MAX_QUERY_TIME_S: '30' };
    first = await ServiceProcess.start(clone(origin, 'ail-team-svc-one-').root, { ...env, AIL_DATA_DIR: tempDir('ail-team-data-') });
    second = await ServiceProcess.start(clone(origin, 'ail-team-svc-two-').root, { ...env, AIL_DATA_DIR: tempDir('ail-team-data-'), ...recorder.env });
  });
  afterAll(async () => {
    await first?.kill();
    await second?.kill();
    await redis?.dispose();
    origin?.cleanup();
  });

  it('the first digs (blame, log), the second answers from the team tier and starts no blame or log for it', async () => {
    const body = { path: 'src/queue.ts', range: { start: 1, end: 1 }, question: QUESTION };
    const dug = await first.post('/v1/context', body);
    expect(dug.status).toBe(200);
    expect(dug.body.source).toBe('cold');
    expect(dug.body.summary).toContain('Bound the queue at 64');

    await until(async () => (await second.get('/v1/stats')).status === 200, 10_000, 'the second service');
    const before = recorder.calls().length;
    const shared = await second.post('/v1/context', body);
    expect(shared.body.source).toBe('team');
    expect(shared.body.summary).toBe(dug.body.summary);
    const during = recorder.calls().slice(before).map((call) => call.split('\t')[1]!);
    expect(during.filter((args) => /(^|\s)(blame|log|rev-list)(\s|$)/.test(args)), during.join('\n')).toEqual([]);

    // The control: a question the team has not seen is dug by the same git.
    const cold = await second.post('/v1/context', { ...body, question: 'who wrote this line?' });
    expect(cold.body.source).toBe('cold');
    expect(recorder.calls().slice(before).some((call) => /\tblame\b|\s(blame|log)\s/.test(call))).toBe(true);

    const stats = (await second.get('/v1/stats')).body;
    expect(stats.team).toMatchObject({ state: 'ready', hits: 1 });
    expect((await second.get('/metrics')).text).toMatch(/^ail_cache_hits_total\{tier="team"\} 1$/m);
  });
});

describe.skipIf(!found)("GitHub's answers shared through the team tier: a team asks GitHub once per pull request", () => {
  const TOKEN = 'ghp_teamTokenThatMustNeverReachRedis01234';
  const REPO: Repo = { owner: 'acme', name: 'queue' };
  let fake: FakeGitHub;
  let redis: RedisServer;
  let origin: Fixture;
  let bounded = '';
  const engines: Engine[] = [];
  const engineFor = (redisUrl: string | undefined) => {
    const built = engineOn(redisUrl ?? '', { githubApiUrl: fake.baseUrl, githubToken: TOKEN, ...(redisUrl ? {} : { teamRedisUrl: undefined }) });
    engines.push(built);
    return built;
  };
  /** A clone whose remote is the repository on the fake GitHub, as a team member's is. */
  const member = (prefix: string) => {
    const copy = clone(origin, prefix);
    copy.git('remote', 'set-url', 'origin', `${fake.baseUrl}/${REPO.owner}/${REPO.name}.git`);
    return copy;
  };
  const whyOn = (engine: Engine, repo: Fixture, question: string) => engine.ask({ path: repo.path('src/queue.ts'), lines: { start: 0, end: 0 }, question });

  beforeAll(async () => {
    fake = await FakeGitHub.start();
    redis = await RedisServer.start();
    origin = Fixture.create('ail-team-gh-');
    origin.write('src/queue.ts', ['export const LIMIT = 64;', ...lines(4)]);
    bounded = origin.commit('Bound the queue', BOB);
    fake.commit(REPO, bounded, [{ number: 55, title: 'Bound the job queue at 64 items', body: '## Why\nThe worker ran out of memory when producers outpaced it.', state: 'closed', mergedAt: '2021-01-03T12:00:00Z', author: user('bob'), mergeCommitSha: bounded }]);
    fake.pullRequest(REPO, { number: 55, title: 'Bound the job queue at 64 items', body: '## Why\nThe worker ran out of memory when producers outpaced it.', state: 'closed', mergedAt: '2021-01-03T12:00:00Z', author: user('bob'), mergeCommitSha: bounded }, {
      comments: [{ id: 1, path: 'src/queue.ts', line: 1, body: 'Bounded because callers must apply back-pressure.', author: user('alan') }],
    });
  });
  afterAll(async () => {
    await Promise.all(engines.map((engine) => engine.dispose()));
    await fake?.close();
    await redis?.dispose();
    origin?.cleanup();
  });

  it('the second engine digs its own question with the pull request the first fetched, and GitHub sees no request from it', async () => {
    const one = member('ail-team-gh-one-');
    const two = member('ail-team-gh-two-');
    const a = engineFor(redis.url());
    const first = await whyOn(a, one, 'Why is the queue bounded?');
    expect(first.evidence[0]!.pullRequest).toMatchObject({ number: 55, via: 'github' });
    expect(first.warnings).toEqual([]);
    const afterFirst = fake.requests.length;
    expect(afterFirst).toBeGreaterThan(0);

    // Another question: the answer is not the team's, so it is dug, and its GitHub look-ups come from Redis.
    const b = engineFor(redis.url());
    const second = await whyOn(b, two, 'Who decided on 64?');
    expect(second.source).toBe('cold');
    expect(second.evidence[0]!.pullRequest).toMatchObject({ number: 55, title: 'Bound the job queue at 64 items', via: 'github' });
    expect(second.warnings).toEqual([]);
    expect(fake.requests.slice(afterFirst).map((request) => request.path)).toEqual([]);

    // The control: an engine with no team tier asks GitHub for the same.
    const alone = engineFor(undefined);
    const third = await whyOn(alone, member('ail-team-gh-alone-'), 'Who decided on 64?');
    expect(third.evidence[0]!.pullRequest).toMatchObject({ number: 55 });
    expect(fake.requests.length).toBeGreaterThan(afterFirst);

    // Nothing in Redis holds the token.
    const raw = createClient({ url: redis.url() });
    await raw.connect();
    try {
      const keys: string[] = [];
      for await (const batch of raw.scanIterator({ MATCH: 'ail:*' })) keys.push(...batch);
      expect(keys.some((key) => key.startsWith('ail:1:github:'))).toBe(true);
      for (const key of keys) {
        const value = await raw.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }).get(key);
        expect(JSON.stringify(decode(value as Buffer))).not.toContain(TOKEN);
        expect(JSON.stringify(decode(value as Buffer))).not.toContain('ghp_');
      }
    } finally {
      raw.destroy();
    }
  });
});

describe.skipIf(!found)('ail bench --team', () => {
  it('runs ten engines alone and then sharing a Redis it starts, and reports fewer git processes and GitHub requests with the team tier', async () => {
    const repo = Fixture.create('ail-team-bench-');
    try {
      for (let i = 0; i < 6; i++) {
        repo.write(`src/file${i % 3}.ts`, lines(30 + i, `// version ${i}`));
        repo.commit(`Change ${i}: a reason worth reading`, BOB);
      }
      const ran = await runCli(['bench', '--team', '--repo', repo.root, '--queries', '40', '--json'], { cwd: repo.root });
      expect(ran.code, ran.stderr).toBe(0);
      const report = JSON.parse(ran.stdout) as { engines: number; runs: { mode: string; asks: number; gitProcesses: number; githubRequests: number; tiers: Record<string, { answers: number; p50Ms: number; p95Ms: number }> }[] };
      expect(report.engines).toBe(10);
      const [local, team] = report.runs;
      expect([local!.mode, team!.mode]).toEqual(['local', 'team']);
      expect(local!.asks).toBe(40);
      expect(local!.tiers.team).toBeUndefined();
      expect(team!.tiers.team!.answers).toBeGreaterThan(0);
      expect(team!.gitProcesses).toBeLessThan(local!.gitProcesses);
      expect(local!.githubRequests).toBeGreaterThan(0);
      expect(team!.githubRequests).toBeLessThan(local!.githubRequests);
    } finally {
      repo.cleanup();
    }
  });
});

const openssl = found && requireProgram('openssl', 'apt-get install openssl', 'the team tier over TLS (test/team.test.ts)').found;

describe.skipIf(!openssl)('the team tier over TLS (rediss://), as a managed Redis serves it', () => {
  let origin: Fixture;
  let redis: RedisServer;
  let certs = '';
  const services: ServiceProcess[] = [];

  beforeAll(async () => {
    origin = history();
    // A CA of the test's own and a certificate for 127.0.0.1 signed by it: what a team's Redis presents.
    certs = tempDir('ail-team-tls-');
    const run = (...args: string[]) => execFileSync('openssl', args, { cwd: certs, stdio: 'pipe' });
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=AIL test CA', '-keyout', 'ca.key', '-out', 'ca.pem');
    run('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'redis.key', '-out', 'redis.csr');
    writeFileSync(path.join(certs, 'san.cnf'), 'subjectAltName=IP:127.0.0.1\n');
    run('x509', '-req', '-in', 'redis.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'san.cnf', '-out', 'redis.pem');
    const tlsPort = await freePort();
    redis = await RedisServer.start([
      '--port', '0', '--tls-port', String(tlsPort),
      '--tls-cert-file', path.join(certs, 'redis.pem'), '--tls-key-file', path.join(certs, 'redis.key'),
      '--tls-ca-cert-file', path.join(certs, 'ca.pem'), '--tls-auth-clients', 'no',
    ]);
    const env = { AIL_REDIS_URL: `rediss://127.0.0.1:${tlsPort}`, AIL_REDIS_BUDGET_MS: '2000', AIL_INDEX_ENABLED: 'false', AIL_MAX_QUERY_TIME_S: '30' };
    const trusting = { ...env, NODE_EXTRA_CA_CERTS: path.join(certs, 'ca.pem') };
    services.push(await ServiceProcess.start(clone(origin, 'ail-team-tls-one-').root, { ...trusting, AIL_DATA_DIR: tempDir('ail-team-data-') }));
    services.push(await ServiceProcess.start(clone(origin, 'ail-team-tls-two-').root, { ...trusting, AIL_DATA_DIR: tempDir('ail-team-data-') }));
    // A machine that does not trust the team's CA.
    services.push(await ServiceProcess.start(clone(origin, 'ail-team-tls-three-').root, { ...env, AIL_DATA_DIR: tempDir('ail-team-data-') }));
  });
  afterAll(async () => {
    for (const service of services) await service.kill();
    await redis?.dispose();
    origin?.cleanup();
  });

  it('shares over TLS with a machine that trusts the certificate; one that does not answers from git, with the warning', async () => {
    const [first, second, untrusting] = services as [ServiceProcess, ServiceProcess, ServiceProcess];
    const body = { path: 'src/queue.ts', range: { start: 1, end: 1 }, question: QUESTION };
    const dug = await first.post('/v1/context', body);
    expect(dug.body).toMatchObject({ source: 'cold' });
    expect(dug.body.warnings).not.toContain('team-cache-unavailable');
    await until(async () => (await first.get('/v1/stats')).body.team?.written >= 1, 10_000, 'the first answer written to the team tier');
    const shared = await second.post('/v1/context', body);
    expect(shared.body.source).toBe('team');
    expect(shared.body.summary).toBe(dug.body.summary);
    const refused = await untrusting.post('/v1/context', body);
    expect(refused.body.source).toBe('cold');
    expect(refused.body.summary).toBe(dug.body.summary);
    expect(refused.body.warnings).toContain('team-cache-unavailable');
  });
});
