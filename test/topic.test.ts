import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../server/engine';
import { settingsFromEnv } from '../shared/settings';
import { ArchaeologyProvider } from '../server/archaeology/provider';
import { MAX_CANDIDATES } from '../server/archaeology/candidates';
import { topicOf } from '../server/archaeology/topic';
import { RepositoryRegistry } from '../server/git/registry';
import { bandOf } from '../shared/format';
import { DEFAULT_QUESTION } from '../shared/types';
import { ALICE, BOB, Fixture } from './helpers/fixture';

/**
 * Topic questions (issue 16): a question that names its subject reaches the commits whose messages
 * name it, whatever lines were asked, and an answer none of whose evidence names it says so.
 */

const registry = new RepositoryRegistry();
const provider = new ArchaeologyProvider({ registry });
afterAll(() => registry.dispose());

function ask(fixture: Fixture, file: string, line: number | undefined, question?: string, depth?: 'quick' | 'full') {
  return provider.ask({
    path: fixture.path(file),
    lines: line === undefined ? undefined : { start: line - 1, end: line - 1 },
    question,
    depth,
    timeLimitMs: 20_000,
  });
}

describe('what a question names', () => {
  it.each([
    ['why was path-to-regexp upgraded?', ['path-to-regexp']],
    ['why can certificate bundles be extracted from a zip archive?', ['certificate bundles', 'extracted', 'zip archive']],
    ['why was removeAt renamed to pullAt?', ['removeAt', 'pullAt']],
    ['why is there async error handling?', ['async error handling']],
    [DEFAULT_QUESTION, undefined],
    ['why is this code like this?', undefined],
    ['why was this changed?', undefined],
    ['who wrote this?', undefined],
    ['why?', undefined],
  ])('%s', (question, phrases) => {
    expect(topicOf(question)?.phrases).toEqual(phrases);
  });
});

describe('a whole file with more commits than are scored, one old commit naming the topic', () => {
  const repo = Fixture.create();
  let budget = '';
  beforeAll(() => {
    repo.write('settings.conf', ['retries = 5']);
    repo.commit('Create the settings file', ALICE);
    repo.write('settings.conf', ['retries = 3']);
    budget = repo.commit('Lower the payment gateway retry budget\n\nThe gateway charges twice when a fourth attempt races the first.', BOB);
    repo.write('settings.conf', ['retries = 3 # per request']);
    repo.commit('Annotate the settings', ALICE);
    // More commits than the candidates cut keeps, each still holding a line: all of them blamed.
    const options: string[] = [];
    for (let i = 1; i <= MAX_CANDIDATES + 20; i++) {
      options.push(`option_${i} = ${i}`);
      repo.write('settings.conf', ['retries = 3 # per request', ...options]);
      repo.commit(`Add option ${i}`, i % 2 ? ALICE : BOB);
    }
  });
  afterAll(() => repo.cleanup());

  it('finds the commit whose message names the topic and leads with it', async () => {
    const answer = await ask(repo, 'settings.conf', undefined, 'why was the payment gateway retry budget lowered?');
    expect(answer.evidence[0]!.commit.sha).toBe(budget);
    expect(answer.summary).toContain(budget.slice(0, 7));
    expect(answer.summary).toContain('The gateway charges twice');
  });

  it('answers the default question from blame, as before', async () => {
    const answer = await ask(repo, 'settings.conf', undefined);
    expect(answer.evidence.map((e) => e.commit.sha)).not.toContain(budget);
    expect(answer.summary).not.toContain('mentions');
  });
});

describe('a semantic hit among more commits than are scored', () => {
  const repo = Fixture.create();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ail-data-'));
  let engine: Engine;
  let counted = '';
  beforeAll(async () => {
    repo.write('limits.conf', ['attempts = 5']);
    repo.commit('Create the limits file', ALICE);
    repo.write('limits.conf', ['attempts = 3']);
    counted = repo.commit('Changed attempts', BOB);
    repo.write('limits.conf', ['attempts = 3 # the first try included']);
    repo.commit('Annotate the limits', ALICE);
    const options: string[] = [];
    for (let i = 1; i <= MAX_CANDIDATES + 20; i++) {
      options.push(`limit_${i} = ${i}`);
      repo.write('limits.conf', ['attempts = 3 # the first try included', ...options]);
      repo.commit(`Add limit ${i}`, i % 2 ? ALICE : BOB);
    }
    engine = new Engine({ ...settingsFromEnv({}), dataDir, allowModelDownload: false, writeCommitGraph: false }, { buildIndexes: true });
    expect(await engine.open([repo.root])).toBe(1);
  });
  afterAll(async () => {
    await engine.dispose();
    repo.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('scores the commit the commit index found, though blame fills the candidates first', async () => {
    // "changed" names no topic (nothing is searched for it): only the commit index finds this commit.
    expect(topicOf('why was this changed?')).toBeUndefined();
    const answer = await engine.ask({ path: repo.path('limits.conf'), question: 'why was this changed?', timeLimitMs: 20_000 });
    expect(answer.evidence[0]!.commit.sha).toBe(counted);
    expect(answer.evidence[0]!.reasons).toContain('semantic');
  });
});

describe('a line whose own history does not hold the commit that names the topic', () => {
  const repo = Fixture.create();
  let redis = '';
  let movedIn = '';
  beforeAll(() => {
    repo.write('config.py', ['TIMEOUT = 10', 'CACHE = "memcached"']);
    repo.commit('Add the service configuration', ALICE);
    repo.write('config.py', ['TIMEOUT = 10', 'CACHE = "redis"']);
    redis = repo.commit('Switch the cache to Redis\n\nMemcached dropped keys under load and sessions were lost.', BOB);
    repo.write('config.py', ['TIMEOUT = 30', 'CACHE = "redis"']);
    repo.commit('Give slow upstreams thirty seconds before timing out', ALICE);
    // A dependency list whose reason is in another file's history: it moved here later.
    repo.write('setup.py', ['requires = [', '    "chardet",', ']']);
    repo.commit('Package the service', ALICE);
    repo.write('setup.py', ['requires = [', '    "charset_normalizer",', ']']);
    movedIn = repo.commit('Switch chardet for charset_normalizer\n\nchardet is LGPL; charset_normalizer is MIT licensed.', BOB);
    repo.write('setup.py', ['from setuptools import setup', 'setup()']);
    repo.write('pyproject.toml', ['[project]', 'dependencies = [', '    "charset_normalizer>=2",', ']']);
    repo.commit('Build with pyproject.toml', ALICE);
  });
  afterAll(() => repo.cleanup());

  it('reaches the commit to the file that names the topic', async () => {
    const answer = await ask(repo, 'config.py', 1, 'why was the cache switched to Redis?');
    expect(answer.evidence[0]!.commit.sha).toBe(redis);
    expect(answer.evidence[0]!.reasons).toContain('file-history');
  });

  it('searches nothing more for a hover (quick depth)', async () => {
    const answer = await ask(repo, 'config.py', 1, 'why was the cache switched to Redis?', 'quick');
    expect(answer.evidence.map((e) => e.commit.sha)).not.toContain(redis);
  });

  it('reaches the topic in the file the line was moved from', async () => {
    const answer = await ask(repo, 'pyproject.toml', 3, 'why was chardet replaced with charset_normalizer?');
    expect(answer.evidence[0]!.commit.sha).toBe(movedIn);
    expect(answer.evidence[0]!.reasons).toContain('moved-code');
  });
});

describe('a question about a topic no commit mentions', () => {
  const repo = Fixture.create();
  let router = '';
  beforeAll(() => {
    repo.write('src/server.js', ['app.use(router);', 'app.listen(8080);']);
    router = repo.commit('Serve requests through one router\n\nEvery route shares the logging and the request limits this way.\n\nFixes #12', ALICE);
  });
  afterAll(() => repo.cleanup());

  it('says so and is not confident', async () => {
    const answer = await ask(repo, 'src/server.js', 1, 'why is there async error handling?');
    expect(answer.evidence[0]!.commit.sha).toBe(router);
    expect(bandOf(answer.confidence)).toBe('low');
    // Then what the history does say of the line: the note comes first, the answer as it was after it.
    expect(answer.summary).toMatch(/^No commit in this file's history mentions “async error handling”\. Line 1 /);
    expect(answer.summary).toContain(router.slice(0, 7));
  });

  it('claims nothing of the history it could not search (a subject too short to look for)', async () => {
    const answer = await ask(repo, 'src/server.js', 2, 'why 99?');
    expect(bandOf(answer.confidence)).toBe('low');
    expect(answer.summary).toMatch(/^None of the commits found mentions “99”\. Line 2 /);
    // Searched for "retries" but not for "99": what a commit might name was not all looked for.
    const partly = await ask(repo, 'src/server.js', 2, 'why 99 retries?');
    expect(partly.summary).toMatch(/^None of the commits found mentions “99 retries”\. Line 2 /);
  });

  it('does not take one common word of the topic for the topic', async () => {
    const answer = await ask(repo, 'src/server.js', 1, 'why is there async request handling?');
    expect(bandOf(answer.confidence)).toBe('low');
    expect(answer.summary).toMatch(/^No commit in this file's history mentions “async request handling”\./);
  });

  it('is confident about the same line when the question names what the commit says', async () => {
    const answer = await ask(repo, 'src/server.js', 1, 'why do the routes share one router?');
    expect(bandOf(answer.confidence)).toBe('high');
    expect(answer.summary).not.toContain('mentions');
  });

  it('answers who wrote it from blame, whatever the messages say', async () => {
    const answer = await ask(repo, 'src/server.js', 1, 'who wrote the async error handling?');
    expect(answer.evidence[0]!.commit.sha).toBe(router);
    expect(bandOf(answer.confidence)).not.toBe('low');
    expect(answer.summary).not.toContain('mentions');
  });

  it('leaves the default question as it was', async () => {
    const answer = await ask(repo, 'src/server.js', 1);
    expect(bandOf(answer.confidence)).toBe('high');
    expect(answer.summary).toMatch(/^Line 1 /);
    expect(answer.summary).not.toContain('mentions');
  });
});
