import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MergeCommitEnricher } from '../server/archaeology/enrichers';
import { ArchaeologyProvider } from '../server/archaeology/provider';
import { AnswerService } from '../server/cache/answers';
import { Engine } from '../server/engine';
import { RepositoryRegistry } from '../server/git/registry';
import { Metrics } from '../server/observe/metrics';
import { LexicalEmbedder } from '../server/semantic/lexical-embedder';
import { ContextRequest } from '../shared/protocol';
import { settingsFromEnv } from '../shared/settings';
import { bandOf } from '../shared/format';
import { runCli } from './helpers/cli';
import { FakeGitHub, user, type PullRequestShape, type Repo } from './helpers/fake-github';
import { ALICE, BOB, CHLOE, Fixture, lines } from './helpers/fixture';
import { ServiceProcess } from './helpers/http-service';
import { TestClient } from './helpers/lsp';

/**
 * "Why was this removed?" on a path that is not at HEAD but was in its history: the commit that removed
 * it (or moved it away) first, then the one that last changed it, on real repositories built here,
 * through the provider, the caches, the engine, the CLI and the HTTP service.
 */

const registry = new RepositoryRegistry();
const provider = new ArchaeologyProvider({ registry, enrichers: [new MergeCommitEnricher()] });
afterAll(() => registry.dispose());

const short = (sha: string) => sha.slice(0, 7);
const shas = (answer: { evidence: { commit: { sha: string } }[] }) => answer.evidence.map((e) => e.commit.sha);

describe('a file added, changed and removed; one removed twice; one moved away', () => {
  const repo = Fixture.create('ail-removed-');
  const sha: Record<string, string> = {};
  beforeAll(() => {
    repo.write('src/app.ts', ['export const app = 1;']);
    repo.write('src/export/csv.ts', ['export function toCsv(rows: string[][]) {', '  return rows.map((r) => r.join(",")).join("\\n");', '}']);
    sha.created = repo.commit('Export reports as CSV for the finance team', ALICE);
    repo.write('src/export/csv.ts', ['export function toCsv(rows: string[][]) {', '  return rows.map((r) => r.map(quote).join(",")).join("\\n");', '}']);
    sha.changed = repo.commit('Quote CSV fields that contain commas', BOB);
    repo.write('src/flags.ts', ['export const BETA = true;', 'export const LIMIT = 10;']);
    sha.flagsAdded = repo.commit('Add feature flags', ALICE);
    repo.git('rm', '-q', '-r', 'src/export');
    sha.removed = repo.commit('Remove the CSV exporter\n\nNobody has used it since the JSON API shipped, and every format is one more to keep safe.\n\nFixes #12', CHLOE);
    // Removed, brought back, changed, removed again: the latest removal is the answer.
    repo.git('rm', '-q', 'src/flags.ts');
    sha.flagsRemoved1 = repo.commit('Drop feature flags for the launch', BOB);
    repo.write('src/flags.ts', ['export const BETA = false;']);
    sha.flagsBack = repo.commit('Bring back feature flags for the staged rollout', ALICE);
    repo.git('rm', '-q', 'src/flags.ts');
    sha.flagsRemoved2 = repo.commit('Remove feature flags now that the rollout is done (#31)', CHLOE);
    // Moved away.
    repo.write('lib/util.ts', ['export const pad = (s: string) => s.padStart(2);']);
    sha.utilAdded = repo.commit('Add a padding helper', BOB);
    repo.move('lib/util.ts', 'src/util/pad.ts');
    sha.moved = repo.commit('Move the helpers under src/ so one tsconfig builds them', ALICE);
    // A path with a pathspec's wildcard in it: taken literally, it matches nothing.
    repo.write('notes/todo.md', ['- nothing']);
    repo.commit('Add notes', ALICE);
  });
  afterAll(() => repo.cleanup());

  const ask = (file: string, question = 'why was this removed?', extra: { lines?: [number, number]; maxEvidence?: number } = {}) =>
    provider.ask({
      path: repo.path(file),
      question,
      ...(extra.lines ? { lines: { start: extra.lines[0] - 1, end: extra.lines[1] - 1 } } : {}),
      ...(extra.maxEvidence ? { maxEvidence: extra.maxEvidence } : {}),
      timeLimitMs: 20_000,
    });

  it('names the removing commit first, the last change second, the creation third, and says why in the commit\'s words', async () => {
    const answer = await ask('src/export/csv.ts');
    expect(shas(answer)).toEqual([sha.removed, sha.changed, sha.created]);
    expect(answer.removed).toEqual({
      commit: expect.objectContaining({ sha: sha.removed, subject: 'Remove the CSV exporter', author: CHLOE.name }),
      lastVersion: sha.flagsAdded,
      lastChanged: expect.objectContaining({ sha: sha.changed, subject: 'Quote CSV fields that contain commas' }),
    });
    expect(answer.file).toBe('src/export/csv.ts');
    expect(answer.headSha).toBe(repo.head());
    expect(answer.evidence[0]!.issues).toEqual([{ number: 12 }]);
    expect(answer.summary).toMatch(new RegExp(`^\`src/export/csv\\.ts\` was removed in \`${short(sha.removed!)}\` “Remove the CSV exporter” by ${CHLOE.name}, \\d+ \\w+ ago\\.`));
    expect(answer.summary).toContain('The commit says: “Nobody has used it since the JSON API shipped, and every format is one more to keep safe.” It closes #12.');
    expect(answer.summary).toContain(`It was last changed in \`${short(sha.changed!)}\` “Quote CSV fields that contain commas” by ${BOB.name}`);
    expect(answer.timeline).toMatchObject({ created: { sha: sha.created }, lastChanged: { sha: sha.changed }, commitCount: 2 });
    expect(bandOf(answer.confidence)).toBe('high');
    expect(answer.partial).toBeUndefined();
  });

  it('keeps to maxEvidence, the removal first', async () => {
    expect(shas(await ask('src/export/csv.ts', 'why was this removed?', { maxEvidence: 1 }))).toEqual([sha.removed]);
  });

  it('answers about the latest removal of a file removed, brought back and removed again', async () => {
    const answer = await ask('src/flags.ts');
    expect(shas(answer)).toEqual([sha.flagsRemoved2, sha.flagsBack, sha.flagsAdded]);
    expect(answer.removed).toMatchObject({ commit: { sha: sha.flagsRemoved2 }, lastVersion: sha.flagsBack, lastChanged: { sha: sha.flagsBack } });
    // The squash suffix is the pull request, as on any other evidence.
    expect(answer.evidence[0]!.pullRequest).toMatchObject({ number: 31, via: 'message' });
    expect(answer.summary).toContain(`was removed in \`${short(sha.flagsRemoved2!)}\` “Remove feature flags now that the rollout is done” (#31)`);
  });

  it('says where a file moved away went, not that it was removed', async () => {
    const answer = await ask('lib/util.ts');
    expect(answer.removed).toMatchObject({ commit: { sha: sha.moved }, movedTo: 'src/util/pad.ts', lastChanged: { sha: sha.utilAdded } });
    expect(answer.evidence[0]).toMatchObject({ commit: { sha: sha.moved }, pathInCommit: 'src/util/pad.ts', pathInParent: 'lib/util.ts' });
    expect(answer.summary).toMatch(new RegExp(`^\`lib/util\\.ts\` was moved to \`src/util/pad\\.ts\` in \`${short(sha.moved!)}\``));
    expect(answer.summary).toContain('Its history goes on at `src/util/pad.ts`');
    expect(answer.summary).not.toContain('removed');
  });

  it('answers lines of a removed file about its last version: the removal, then the commit the lines came from', async () => {
    const answer = await ask('src/export/csv.ts', 'why was this removed?', { lines: [2, 2] });
    expect(shas(answer).slice(0, 2)).toEqual([sha.removed, sha.changed]);
    expect(answer.evidence[1]!.reasons).toContain('blame');
    expect(answer.range).toEqual({ start: { line: 1, character: 0 }, end: { line: 2, character: 0 } });
    expect(answer.removed).toMatchObject({ commit: { sha: sha.removed }, lastVersion: sha.flagsAdded });
    expect(answer.summary).toMatch(new RegExp(`^Line 2 of \`src/export/csv\\.ts\` was removed with the file in \`${short(sha.removed!)}\``));
    expect(answer.summary).toContain(`In its last version it came from \`${short(sha.changed!)}\` “Quote CSV fields that contain commas”`);
    expect(answer.headSha).toBe(repo.head());
    // The first line was never changed: it came from the commit that created the file.
    expect(shas(await ask('src/export/csv.ts', 'why was this removed?', { lines: [1, 1] })).slice(0, 2)).toEqual([sha.removed, sha.created]);
  });

  it('answers lines of a removed file still open in an editor about its last version as committed, its unsaved text aside', async () => {
    const contents = 'export function toCsv(rows: string[][]) {\n  return "edited";\n}\n';
    const answer = await provider.ask({ path: repo.path('src/export/csv.ts'), lines: { start: 0, end: 1 }, contents, timeLimitMs: 20_000 });
    expect(answer.removed?.commit.sha).toBe(sha.removed);
    expect(answer.uncommittedLines).toBeUndefined();
    expect(shas(answer)[0]).toBe(sha.removed);
    expect(shas(answer).slice(1).sort()).toEqual([sha.changed, sha.created].sort());
  });

  it('refuses a line past the end of the last version, naming its length', async () => {
    await expect(ask('src/export/csv.ts', 'why?', { lines: [9, 9] })).rejects.toMatchObject({ code: 'line-out-of-range', message: 'line 9 is past the end of the file (3 lines)' });
  });

  it.each([
    ['a path no commit ever had', 'src/nope.ts'],
    ['a path with a wildcard, taken literally', 'src/*.ts'],
    ['a path under a folder that never existed', 'gone/deep/file.ts'],
  ])('refuses %s: it does not exist, and never did', async (_name, file) => {
    await expect(ask(file)).rejects.toMatchObject({ code: 'file-missing', message: `${file} does not exist: not at HEAD, and not in any commit before it` });
  });

  it('refuses a removed folder with what happened to it', async () => {
    await expect(ask('src/export')).rejects.toMatchObject({ code: 'bad-argument', message: `src/export was a directory, removed in ${short(sha.removed!)} “Remove the CSV exporter”; ask about a file that was in it` });
  });

  it('keeps today\'s answer for a removed path that is on disk again, untracked', async () => {
    repo.write('src/flags.ts', ['export const BETA = true;']);
    try {
      await expect(ask('src/flags.ts')).rejects.toMatchObject({ code: 'file-untracked' });
    } finally {
      rmSync(repo.path('src/flags.ts'));
    }
  });
});

describe('a file removed on a branch and merged', () => {
  const repo = Fixture.create('ail-removed-merge-');
  const sha: Record<string, string> = {};
  beforeAll(() => {
    repo.write('src/legacy.ts', lines(4, 'legacy'));
    sha.created = repo.commit('Add the legacy adapter', ALICE);
    repo.git('checkout', '-q', '-b', 'bob/cleanup');
    repo.git('rm', '-q', 'src/legacy.ts');
    sha.removed = repo.commit('Delete the legacy adapter: every client speaks v2 now', BOB);
    repo.git('checkout', '-q', 'main');
    repo.write('README.md', ['# demo']);
    repo.commit('Add a README', ALICE);
    sha.merge = repo.gitCommitting(ALICE, 'merge', '--no-ff', '-q', '-m', 'Merge pull request #8 from bob/cleanup\n\nRetire the v1 adapter', 'bob/cleanup');
  });
  afterAll(() => repo.cleanup());

  it('names the branch commit that removed it, with the pull request its merge names', async () => {
    const answer = await provider.ask({ path: repo.path('src/legacy.ts'), question: 'why was this removed?', timeLimitMs: 20_000 });
    expect(shas(answer)).toEqual([sha.removed, sha.created]);
    expect(answer.evidence[0]!.pullRequest).toMatchObject({ number: 8, title: 'Retire the v1 adapter', via: 'merge-commit' });
    expect(answer.summary).toContain(`was removed in \`${short(sha.removed!)}\` “Delete the legacy adapter: every client speaks v2 now” (#8)`);
  });
});

describe('a file a merge removed while both its parents had it', () => {
  const repo = Fixture.create('ail-removed-evil-merge-');
  const sha: Record<string, string> = {};
  beforeAll(() => {
    repo.write('src/shim.ts', ['export const shim = 1;']);
    sha.created = repo.commit('Add a shim for old browsers', ALICE);
    repo.git('checkout', '-q', '-b', 'feature');
    repo.write('src/feature.ts', ['export const feature = 1;']);
    repo.commit('Add the feature', BOB);
    repo.git('checkout', '-q', 'main');
    repo.write('src/shim.ts', ['export const shim = 2;']);
    sha.changed = repo.commit('Widen the shim', ALICE);
    repo.git('merge', '--no-ff', '--no-commit', '-q', 'feature');
    repo.git('rm', '-q', 'src/shim.ts');
    sha.merge = repo.gitCommitting(CHLOE, 'commit', '-q', '-m', 'Merge the feature, which needs no shim: every supported browser has it natively');
  });
  afterAll(() => repo.cleanup());

  it('names the merge, and the last version in the parent that had it', async () => {
    const answer = await provider.ask({ path: repo.path('src/shim.ts'), question: 'why was this removed?', timeLimitMs: 20_000 });
    expect(answer.removed).toMatchObject({ commit: { sha: sha.merge }, lastChanged: { sha: sha.changed } });
    expect(shas(answer)).toEqual([sha.merge, sha.changed, sha.created]);
    expect(answer.summary).toContain('every supported browser has it natively');
  });
});

describe('a shallow clone', () => {
  const repo = Fixture.create('ail-removed-shallow-src-');
  const clone = mkdtempSync(path.join(tmpdir(), 'ail-removed-shallow-'));
  const sha: Record<string, string> = {};
  beforeAll(() => {
    repo.write('old.ts', ['export const old = 1;']);
    repo.write('recent.ts', ['export const recent = 1;']);
    repo.commit('Add two modules', ALICE);
    repo.git('rm', '-q', 'old.ts');
    repo.commit('Remove the old module', BOB);
    repo.write('a.ts', ['export const a = 1;']);
    sha.beforeRemoval = repo.commit('Add a', ALICE);
    repo.git('rm', '-q', 'recent.ts');
    sha.removed = repo.commit('Remove the recent module: a replaces it', CHLOE);
    Fixture.at(clone).git('clone', '-q', '--depth', '2', `file://${repo.root}`, '.');
  });
  afterAll(() => {
    repo.cleanup();
    rmSync(clone, { recursive: true, force: true });
  });

  it('answers a removal within its history, says the history is shallow, refuses one beyond it saying why, and answers it once deepened', async () => {
    const answer = await provider.ask({ path: path.join(clone, 'recent.ts'), question: 'why was this removed?', timeLimitMs: 20_000 });
    expect(answer.removed).toMatchObject({ commit: { sha: sha.removed }, lastVersion: sha.beforeRemoval });
    expect(answer.warnings).toContain('shallow-history');
    await expect(provider.ask({ path: path.join(clone, 'old.ts'), timeLimitMs: 20_000 })).rejects.toMatchObject({
      code: 'file-missing',
      message: 'old.ts does not exist: not at HEAD, and not in any commit before it (a shallow clone: older history is not here)',
    });
    // Deepened under the same HEAD, the clone has the older removal: it is answered.
    Fixture.at(clone).git('fetch', '-q', '--unshallow');
    expect((await provider.ask({ path: path.join(clone, 'old.ts'), timeLimitMs: 20_000 })).removed?.commit.subject).toBe('Remove the old module');
  });
});

describe('the answer cache and a removed file', () => {
  const repo = Fixture.create('ail-removed-cache-');
  const sha: Record<string, string> = {};
  beforeAll(() => {
    repo.write('src/cron.ts', ['export const EVERY = "5m";']);
    sha.created = repo.commit('Run the sync every five minutes', ALICE);
    repo.git('rm', '-q', 'src/cron.ts');
    sha.removed = repo.commit('Remove the cron sync: webhooks replace it', BOB);
  });
  afterAll(() => repo.cleanup());

  it('never serves a removed file\'s answer once the file is back, nor the old removal once it is removed again', async () => {
    const answers = new AnswerService(
      { provider: new ArchaeologyProvider({ registry, enrichers: [new MergeCommitEnricher()] }), embedder: () => new LexicalEmbedder(), metrics: new Metrics() },
      { cacheSize: 100, semanticCacheEnabled: true, semanticCacheRollout: 100, semanticCacheThreshold: 0.85, semanticCacheSize: 100 },
    );
    const ask = (question = 'why was this removed?') => answers.ask({ path: repo.path('src/cron.ts'), question, timeLimitMs: 20_000 });
    const cold = await ask();
    expect(cold).toMatchObject({ source: 'cold', removed: { commit: { sha: sha.removed } } });
    expect(await ask()).toMatchObject({ source: 'l1', removed: { commit: { sha: sha.removed } } });
    // A line of its last version: another question, another answer.
    const line = await answers.ask({ path: repo.path('src/cron.ts'), lines: { start: 0, end: 0 }, question: 'why was this removed?', timeLimitMs: 20_000 });
    expect(line.source).toBe('cold');
    expect(shas(line)).toEqual([sha.removed, sha.created]);

    repo.git('checkout', sha.created!, '--', 'src/cron.ts');
    sha.restored = repo.commit('Restore the cron sync: webhooks drop events', CHLOE);
    const back = await ask();
    expect(back.source).toBe('cold');
    expect(back.removed).toBeUndefined();
    // The file is back: answered from its history (the question names removal, so the commit that removed it may lead; the restore is there).
    expect(shas(back).slice(0, 2)).toContain(sha.restored);

    repo.git('rm', '-q', 'src/cron.ts');
    sha.removedAgain = repo.commit('Remove the cron sync for good', BOB);
    const again = await ask();
    expect(again.source).toBe('cold');
    expect(again.removed).toMatchObject({ commit: { sha: sha.removedAgain }, lastVersion: sha.restored });
    // A paraphrase is not answered from L2 with another state's answer either.
    const paraphrase = await ask('what was the reason this was removed');
    expect(paraphrase.removed?.commit.sha).toBe(sha.removedAgain);
  });
});

describe('every front end: the CLI and the HTTP service', () => {
  const repo = Fixture.create('ail-removed-fronts-');
  const data = mkdtempSync(path.join(tmpdir(), 'ail-removed-data-'));
  const outside = mkdtempSync(path.join(tmpdir(), 'ail-removed-outside-'));
  const sha: Record<string, string> = {};
  const env = { AIL_DATA_DIR: data, AIL_INDEX_ENABLED: 'false', AIL_COMMIT_GRAPH: 'false', AIL_ALLOW_MODEL_DOWNLOAD: 'false' };
  let service: ServiceProcess;
  beforeAll(async () => {
    repo.write('lib/router/index.js', ['module.exports = function router() {', '  return stack;', '};']);
    repo.write('lib/app.js', ['module.exports = {};']);
    sha.created = repo.commit('Add a router', ALICE);
    repo.write('lib/router/index.js', ['module.exports = function router(options) {', '  return stack;', '};']);
    sha.changed = repo.commit('Let the router take options', BOB);
    repo.git('rm', '-q', '-r', 'lib/router');
    sha.removed = repo.commit('Use router module for routing\n\nThe router lives in its own package now, shared with other frameworks.', CHLOE);
    symlinkSync(outside, path.join(repo.root, 'escape'));
    service = await ServiceProcess.start(repo.root, env);
  });
  afterAll(async () => {
    await service?.kill();
    repo.cleanup();
    rmSync(data, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it('ail ask answers a removed path, relative to --repo, to the current directory, and absolute', async () => {
    const relative = await runCli(['ask', 'lib/router/index.js', 'why was this removed?', '--repo', repo.root], { cwd: tmpdir(), env });
    expect(relative.stderr).toBe('');
    expect(relative.code).toBe(0);
    // A terminal shows the short sha without its backticks.
    expect(relative.stdout).toContain(`\`lib/router/index.js\` was removed in ${short(sha.removed!)} “Use router module for routing” by ${CHLOE.name}`);
    expect(relative.stdout).toContain('The commit says: “The router lives in its own package now, shared with other frameworks.”');
    for (const [args, cwd] of [
      [['ask', 'lib/router/index.js', 'why was this removed?', '--json'], repo.root],
      [['ask', repo.path('lib/router/index.js'), 'why was this removed?', '--json'], tmpdir()],
      [['ask', 'router/index.js', 'why was this removed?', '--json'], repo.path('lib')],
    ] as const) {
      const result = await runCli([...args], { cwd, env });
      expect(result.code, result.stderr).toBe(0);
      const answer = JSON.parse(result.stdout);
      expect(answer.file).toBe('lib/router/index.js');
      expect(answer.evidence.map((e: { commit: { sha: string } }) => e.commit.sha)).toEqual([sha.removed, sha.changed, sha.created]);
      expect(answer.removed).toMatchObject({ commit: { sha: sha.removed }, lastVersion: sha.changed, lastChanged: { sha: sha.changed } });
    }
  });

  it('ail ask on lines of a removed file, and on a path that never existed: a clear error, exit 2', async () => {
    const lined = await runCli(['ask', 'lib/router/index.js:1', '--repo', repo.root, '--json'], { cwd: tmpdir(), env });
    expect(lined.code, lined.stderr).toBe(0);
    expect(JSON.parse(lined.stdout).evidence.map((e: { commit: { sha: string } }) => e.commit.sha).slice(0, 2)).toEqual([sha.removed, sha.changed]);
    const never = await runCli(['ask', 'lib/nope.js', 'why was this removed?', '--repo', repo.root], { cwd: tmpdir(), env });
    expect(never.code).toBe(2);
    expect(never.stdout).toBe('');
    expect(never.stderr).toBe('ail: lib/nope.js does not exist: not at HEAD, and not in any commit before it\n');
  });

  it('POST /v1/context answers a removed file 200, a path that never existed 404, and refuses a link out of the repository', async () => {
    const removed = await service.post('/v1/context', { path: 'lib/router/index.js', question: 'why was this removed?' });
    expect(removed.status).toBe(200);
    expect(removed.body).toMatchObject({ file: 'lib/router/index.js', source: 'cold', removed: { commit: { sha: sha.removed }, lastChanged: { sha: sha.changed } } });
    expect(removed.body.evidence[0].commit.sha).toBe(sha.removed);
    expect((await service.post('/v1/context', { path: 'lib/router/index.js', question: 'why was this removed?' })).body.source).toBe('l1');
    const lined = await service.post('/v1/context', { path: 'lib/router/index.js', range: { start: 1 } });
    expect(lined.status).toBe(200);
    expect(lined.body.evidence[1].commit.sha).toBe(sha.changed);

    const never = await service.post('/v1/context', { path: 'lib/nope.js' });
    expect(never.status).toBe(404);
    expect(never.body.error).toEqual({ code: 'file-missing', message: 'lib/nope.js does not exist: not at HEAD, and not in any commit before it' });
    // Not on disk, under a link that leaves the repository: refused on the link's real parent, never looked up.
    const escape = await service.post('/v1/context', { path: 'escape/secret.js' });
    expect(escape.status).toBe(400);
    expect(escape.body.error.code).toBe('outside-repository');
  });
});

describe('the language server: ail/context on a removed file', () => {
  const repo = Fixture.create('ail-removed-lsp-');
  const data = mkdtempSync(path.join(tmpdir(), 'ail-removed-lsp-data-'));
  const sha: Record<string, string> = {};
  let client: TestClient | undefined;
  beforeAll(async () => {
    repo.write('src/legacy.ts', lines(3, 'legacy'));
    repo.write('src/app.ts', ['export {};']);
    sha.created = repo.commit('Add the legacy adapter', ALICE);
    repo.git('rm', '-q', 'src/legacy.ts');
    sha.removed = repo.commit('Remove the legacy adapter: no client speaks v1 any more', BOB);
    client = await TestClient.start(repo.root, { AIL_DATA_DIR: data, AIL_INDEX_ENABLED: 'false', AIL_ALLOW_MODEL_DOWNLOAD: 'false', AIL_COMMIT_GRAPH: 'false' });
  });
  afterAll(async () => {
    await client?.stop();
    repo.cleanup();
    rmSync(data, { recursive: true, force: true });
  });

  it('answers the removal, and refuses a path that never existed with the sentence', async () => {
    const answer = await client!.connection.sendRequest(ContextRequest.type, { textDocument: { uri: pathToFileURL(repo.path('src/legacy.ts')).href }, question: 'why was this removed?' });
    expect(answer.removed).toMatchObject({ commit: { sha: sha.removed }, lastVersion: sha.created });
    expect(answer.evidence.map((e) => e.commit.sha)).toEqual([sha.removed, sha.created]);
    expect(answer.summary).toContain('no client speaks v1 any more');
    await expect(client!.connection.sendRequest(ContextRequest.type, { textDocument: { uri: pathToFileURL(repo.path('src/nope.ts')).href } })).rejects.toMatchObject({
      message: 'src/nope.ts does not exist: not at HEAD, and not in any commit before it',
    });
  });
});

describe('the engine with GitHub: the removal\'s pull request', () => {
  const REPO: Repo = { owner: 'acme', name: 'shop' };
  let fake: FakeGitHub;
  let repo: Fixture;
  let data: string;
  let engine: Engine;
  const sha: Record<string, string> = {};
  beforeAll(async () => {
    fake = await FakeGitHub.start();
    repo = Fixture.create('ail-removed-github-');
    data = mkdtempSync(path.join(tmpdir(), 'ail-removed-github-data-'));
    repo.git('remote', 'add', 'origin', `${fake.baseUrl}/${REPO.owner}/${REPO.name}.git`);
    repo.write('src/coupons.ts', ['export const COUPONS = [];']);
    sha.created = repo.commit('Add coupons', ALICE);
    repo.git('rm', '-q', 'src/coupons.ts');
    sha.removed = repo.commit('Remove coupons', BOB); // says nothing: the pull request says why
    fake.commit(REPO, sha.created, []);
    const pr: PullRequestShape = {
      number: 64,
      title: 'Retire coupons',
      body: 'Coupons are removed because the payment provider now applies discounts itself, so keeping our own copy only risked double discounts.',
      state: 'closed',
      mergedAt: '2021-01-03T12:00:00Z',
      author: user('bob'),
      mergeCommitSha: sha.removed,
    };
    fake.commit(REPO, sha.removed, [pr]);
    fake.pullRequest(REPO, pr, { comments: [], reviews: [{ id: 1, state: 'APPROVED', body: 'Right: double discounts cost us last quarter.', author: user('alan') }] });
    engine = new Engine(settingsFromEnv({ GITHUB_API_URL: fake.baseUrl, GITHUB_TOKEN: 'ghp_removedTestTokenNotReal0123456789', AIL_DATA_DIR: data, AIL_INDEX_ENABLED: 'false', AIL_COMMIT_GRAPH: 'false' }), { gh: false });
  });
  afterAll(async () => {
    await engine?.dispose();
    await fake?.close();
    repo?.cleanup();
    if (data) rmSync(data, { recursive: true, force: true });
  });

  it('attaches the pull request GitHub associates with the removing commit and says why from it', async () => {
    const answer = await engine.ask({ path: repo.path('src/coupons.ts'), question: 'why was this removed?', timeLimitMs: 10_000 });
    expect(answer.removed?.commit.sha).toBe(sha.removed);
    expect(answer.evidence[0]!.pullRequest).toMatchObject({ number: 64, title: 'Retire coupons', via: 'github', reviewers: ['alan'] });
    expect(answer.summary).toContain(`was removed in \`${short(sha.removed!)}\` “Remove coupons” (#64)`);
    expect(answer.summary).toContain('the payment provider now applies discounts itself');
    expect(answer.github).toBe('acme/shop');
  });
});
