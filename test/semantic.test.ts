import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settingsFromEnv } from '../shared/settings';
import { Engine } from '../server/engine';
import { runCli } from './helpers/cli';
import { ALICE, BOB, CHLOE, Fixture } from './helpers/fixture';

/** The semantic layer inside the engine: the commit index as a source of evidence, and the CLI around it. */
describe('semantic evidence from the commit index', () => {
  const repo = Fixture.create();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ail-data-'));
  let engine: Engine;
  const sha: Record<string, string> = {};
  beforeAll(async () => {
    repo.write('src/auth.ts', ['import bcrypt from "bcrypt";', 'export function hash(pw) {', '  return bcrypt.hashSync(pw, 12);', '}']);
    sha.bcrypt = repo.commit('Move password hashing from MD5 to bcrypt\n\nMD5 hashes are cracked in seconds on a GPU; bcrypt is slow on purpose.', ALICE);
    repo.write('src/auth.ts', ['import { hashSync } from "bcrypt";', 'export function hashPassword(password) {', '  return hashSync(password, 12);', '}']);
    sha.rewrite = repo.commit('Rename helpers in the auth module for readability', BOB);
    repo.write('src/session.ts', ['export const ttl = 3600;']);
    sha.session = repo.commit('Expire sessions after an hour', CHLOE);
    const settings = { ...settingsFromEnv({}), dataDir, allowModelDownload: false, writeCommitGraph: false };
    engine = new Engine(settings, { buildIndexes: true });
    expect(await engine.open([repo.root])).toBe(1);
  });
  afterAll(async () => {
    await engine.dispose();
    repo.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('falls back to the lexical embedder when the model cannot be had, and says so', () => {
    expect(engine.internals.semantic.embedder()?.id).toBe('lexical-v1-384');
    expect(engine.internals.semantic.fallbackReason).toMatch(/Xenova\/all-MiniLM-L6-v2/);
    expect(engine.stats().index).toMatchObject({ state: 'ready', commits: 3, embedder: 'lexical-v1-384', fallback: expect.stringMatching(/all-MiniLM-L6-v2/) });
  });

  it('finds the commit a question is about when blame of the range names another', async () => {
    const answer = await engine.ask({ path: repo.path('src/auth.ts'), lines: { start: 2, end: 2 }, question: 'why did we move to bcrypt?', timeLimitMs: 20_000 });
    const bcrypt = answer.evidence.find((e) => e.commit.sha === sha.bcrypt);
    expect(bcrypt?.reasons).toContain('semantic');
    expect(answer.evidence[0]!.commit.sha).toBe(sha.bcrypt);
    expect(answer.evidence.some((e) => e.commit.sha === sha.session)).toBe(false); // only commits that touched the file
    expect(answer.warnings).toContain('embedder-fallback');
  });

  it('indexes, reports, validates and reuses the index from the command line', async () => {
    const env = { AIL_DATA_DIR: dataDir, AIL_ALLOW_MODEL_DOWNLOAD: 'false', AIL_COMMIT_GRAPH: 'false' };
    const index = await runCli(['index', '--json'], { cwd: repo.root, env });
    expect(index.code).toBe(0);
    expect(JSON.parse(index.stdout)).toMatchObject({ repository: repo.root, embedder: 'lexical-v1-384', commits: 3, embedded: 0, run: 'loaded' });

    const stats = await runCli(['stats', '--json'], { cwd: repo.root, env });
    expect(stats.code).toBe(0);
    expect(JSON.parse(stats.stdout)).toMatchObject({ index: { state: 'ready', commits: 3, embedder: 'lexical-v1-384' }, queries: 0, l2: { enabled: true, rollout: 100, threshold: 0.85 } });

    const validate = await runCli(['validate'], { cwd: repo.root, env });
    expect(validate.stdout).toMatch(/^ok {3}git .*, started with posix_spawn$/m);
    expect(validate.stdout).toMatch(/^ok {3}search {5}HEAD's message finds HEAD/m);
    expect(validate.stdout.trim().split('\n').pop()).toBe('6 checks passed, 0 failed');
    expect(validate.code).toBe(0);

    const ask = await runCli(['ask', 'src/auth.ts:3', 'why did we move to bcrypt?', '--json'], { cwd: repo.root, env });
    expect(ask.code).toBe(0);
    expect(JSON.parse(ask.stdout).evidence[0].reasons).toContain('semantic');
  });

  it('fails validate with exit 1 and names the check', async () => {
    const empty = Fixture.create('ail-empty-');
    try {
      const result = await runCli(['validate'], { cwd: empty.root, env: { AIL_DATA_DIR: dataDir, AIL_ALLOW_MODEL_DOWNLOAD: 'false' } });
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/^FAIL repository .*has no commits yet$/m);
      expect(result.stdout.trim().split('\n').pop()).toBe('1 checks passed, 1 failed, 4 not run');
    } finally {
      empty.cleanup();
    }
  });
});
