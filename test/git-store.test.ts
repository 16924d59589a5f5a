import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchaeologyProvider } from '../server/archaeology/provider';
import { startFastImport } from '../server/bench/fast-import';
import { GitStore } from '../server/git/git-store';
import { RepositoryRegistry } from '../server/git/registry';
import type { ArchaeologyContext } from '../shared/types';
import { runCli } from './helpers/cli';
import { gitRecorder } from './helpers/git-recorder';
import { ALICE, BOB, Fixture, lines } from './helpers/fixture';

/** Every file under a folder, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/**
 * Blames and line histories outlive the process that computed them: a second engine (or process) on
 * the same data dir starts from them and runs no git for them, and nothing stored for a HEAD that was
 * rewritten, nor a damaged file, is ever served.
 */
describe('blames and line histories on disk', () => {
  process.env.FILTER_BRANCH_SQUELCH_WARNING = '1';
  const repo = Fixture.create();
  const dataDir = realpathSync(mkdtempSync(path.join(tmpdir(), 'ail-store-')));
  const storeDir = path.join(dataDir, 'git');
  const log = path.join(dataDir, 'git-calls.log');
  const wrapper = path.join(dataDir, 'git.sh');
  const engines: RepositoryRegistry[] = [];

  beforeAll(() => {
    writeFileSync(wrapper, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec git "$@"\n`, { mode: 0o755 });
    repo.write('src/a.ts', lines(6));
    repo.commit('Add a');
    repo.write('notes.md', ['notes']);
    repo.commit('Add notes', BOB);
    repo.write('src/a.ts', ['line 1', 'line 2', 'line 3', 'line 4 bounded at twenty', 'line 5', 'line 6']);
    repo.commit('Bound line four at twenty to apply back-pressure');
  });
  afterAll(async () => {
    for (const registry of engines) await registry.dispose();
    repo.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** A new engine, as a new process has: nothing in memory, the same store on disk. */
  function engine(): { provider: ArchaeologyProvider; registry: RepositoryRegistry; store: GitStore } {
    const store = new GitStore(storeDir);
    const registry = new RepositoryRegistry({ gitPath: wrapper, store });
    engines.push(registry);
    return { provider: new ArchaeologyProvider({ registry }), registry, store };
  }
  const calls = (what: RegExp) => readFileSync(log, 'utf8').split('\n').filter((line) => what.test(line));
  const clearCalls = () => writeFileSync(log, '');
  const ask = (provider: ArchaeologyProvider, line: number, depth: 'quick' | 'full' = 'full') =>
    provider.ask({ path: repo.path('src/a.ts'), lines: { start: line, end: line }, depth, timeLimitMs: 20_000 });
  const summaryOf = (answer: ArchaeologyContext) => answer.evidence.map((item) => `${item.commit.sha} ${item.reasons.join(',')}`);

  /** One engine asks a line and blames the whole file, and waits until both are on disk. */
  async function computeAndStore(): Promise<ArchaeologyContext> {
    const first = engine();
    const answer = await ask(first.provider, 3);
    const { blamer } = await first.registry.forFile(repo.path('src/a.ts'));
    const head = repo.head();
    await blamer.whenWarm({ path: 'src/a.ts', head, blob: repo.git('rev-parse', `${head}:src/a.ts`).trim() });
    await first.store.flush();
    return answer;
  }

  it('a second engine answers from the stored blame and line history, with no blame or log -L run', async () => {
    const stored = await computeAndStore();
    expect(stored.evidence[0]!.commit.subject).toBe('Bound line four at twenty to apply back-pressure');
    clearCalls();
    const second = engine();
    const again = await ask(second.provider, 3);
    expect(summaryOf(again)).toEqual(summaryOf(stored));
    expect(again.partial).toBeUndefined();
    // Another line of the file: the whole file's stored blame answers it.
    expect((await ask(second.provider, 0, 'quick')).evidence[0]!.commit.subject).toBe('Add a');
    expect(calls(/\bblame\b/)).toEqual([]);
    expect(calls(/\blog -L/)).toEqual([]);
  });

  const rewrites: { name: string; rewrite: () => void; expected: string }[] = [
    {
      name: 'git commit --amend (the same tree, a new message)',
      rewrite: () => repo.gitCommitting(ALICE, 'commit', '-q', '--amend', '-m', 'Bound line four at twenty, as the load test showed'),
      expected: 'Bound line four at twenty, as the load test showed',
    },
    {
      name: 'git reset --hard to a commit before the line changed',
      rewrite: () => repo.git('reset', '-q', '--hard', 'HEAD~2'),
      expected: 'Add a',
    },
  ];
  for (const { name, rewrite, expected } of rewrites) {
    it(`never serves the stored blame after ${name}`, async () => {
      await computeAndStore();
      rewrite();
      clearCalls();
      const answer = await ask(engine().provider, 3);
      expect(answer.evidence[0]!.commit.subject).toBe(expected);
      expect(calls(/\bblame\b/).length).toBeGreaterThan(0);
    });
  }

  it('carries a stored blame to a new HEAD when no commit since touched the file', async () => {
    await computeAndStore();
    repo.write('notes.md', ['notes', 'more notes']);
    repo.commit('More notes', BOB);
    clearCalls();
    expect((await ask(engine().provider, 3, 'quick')).evidence[0]!.commit.subject).toBe('Add a');
    expect(calls(/\bblame\b/)).toEqual([]);
    expect(calls(/\brev-list\b/).length).toBeGreaterThan(0); // the proof that nothing touched the file since
  });

  it('takes a damaged or truncated stored file as a miss, removes it and stores it again', async () => {
    const stored = await computeAndStore();
    const damages: [string, (text: string) => string][] = [
      // One digit of the body changed: still valid JSON of the same length, so only the checksum tells.
      ['one digit changed', (text) => text.replace(/(\n[^]*?)([0-8])/, (_, before: string, digit: string) => `${before}${Number(digit) + 1}`)],
      ['truncated', (text) => text.slice(0, Math.floor(text.length / 2))],
    ];
    for (const [, damage] of damages) {
      const files = filesUnder(storeDir).filter((file) => file.endsWith('.json'));
      expect(files.length).toBeGreaterThanOrEqual(4); // the line's blame, the file's, the file's newest HEAD, the line history
      for (const file of files) writeFileSync(file, damage(readFileSync(file, 'utf8')));
      clearCalls();
      const next = engine();
      expect(summaryOf(await ask(next.provider, 3))).toEqual(summaryOf(stored));
      expect(calls(/\bblame\b/).length).toBeGreaterThan(0);
      expect(calls(/\blog -L/).length).toBeGreaterThan(0);
      const { blamer } = await next.registry.forFile(repo.path('src/a.ts'));
      const head = repo.head();
      await blamer.whenWarm({ path: 'src/a.ts', head, blob: repo.git('rev-parse', `${head}:src/a.ts`).trim() });
      await next.store.flush();
    }
    // Written whole again: a last engine runs neither.
    clearCalls();
    expect(summaryOf(await ask(engine().provider, 3))).toEqual(summaryOf(stored));
    expect(calls(/\bblame\b/)).toEqual([]);
    expect(calls(/\blog -L/)).toEqual([]);
  });
});

describe('the disk store under its bound', () => {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'ail-store-bound-')));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const id = (n: number) => ({ repo: 'work tree', head: 'a'.repeat(40), path: 'f.ts', blob: 'b'.repeat(40), start: n, end: n, limit: 30 });
  const history = (n: number, hunk = 'x'.repeat(600)) => ({ items: [{ sha: n.toString(16).padStart(40, '0'), hunk }], complete: true });

  it('removes the least recently used entries first and stores no entry over its share', async () => {
    const store = new GitStore(dir, { maxBytes: 8 * 1024 });
    for (let n = 1; n <= 30; n++) {
      store.writeLineHistory(id(n), history(n));
      await store.flush();
      // A read counts as a use: entry 1 stays while its neighbours go.
      expect(await store.readLineHistory(id(1))).toBeDefined();
    }
    const bytes = filesUnder(dir).reduce((sum, file) => sum + statSync(file).size, 0);
    expect(bytes).toBeLessThanOrEqual(8 * 1024);
    expect(await store.readLineHistory(id(30))).toEqual(history(30));
    expect(await store.readLineHistory(id(1))).toEqual(history(1));
    expect(await store.readLineHistory(id(2))).toBeUndefined();
    expect(await store.readLineHistory(id(10))).toBeUndefined();
    store.writeLineHistory(id(99), history(99, 'y'.repeat(4 * 1024)));
    await store.flush();
    expect(await store.readLineHistory(id(99))).toBeUndefined();
    expect(filesUnder(dir).filter((file) => file.endsWith('.tmp'))).toEqual([]);
  });
});

/**
 * A file whose one line takes git a while to blame: written by the first of 3,000 commits, each of
 * which changed the line above it.
 */
async function slowFile(root: string): Promise<void> {
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: root });
  const importer = startFastImport(root);
  const text = Array.from({ length: 200 }, (_, i) => `line ${i + 1}`);
  const data = (value: string) => `data ${Buffer.byteLength(value)}\n${value}\n`;
  for (let c = 1; c <= 3000; c++) {
    text[0] = `counter ${c}`;
    const message = c === 1 ? 'Write the slow file: line 101 holds the limit' : `Bump the counter to ${c}`;
    await importer.write(`commit refs/heads/main\ncommitter Alice <alice@example.com> ${1_600_000_000 + c * 60} +0000\n${data(message)}M 100644 inline slow.txt\n${data(`${text.join('\n')}\n`)}`);
  }
  await importer.write('done\n');
  await importer.finish();
  execFileSync('git', ['reset', '-q', '--hard', 'main'], { cwd: root });
}

describe('a time limit shorter than blame', () => {
  const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'ail-slow-')));
  const dataDir = realpathSync(mkdtempSync(path.join(tmpdir(), 'ail-slow-data-')));
  const log = path.join(dataDir, 'git-calls.log');
  const wrapper = path.join(dataDir, 'git.sh');
  const registries: RepositoryRegistry[] = [];
  beforeAll(async () => {
    await slowFile(root);
    writeFileSync(wrapper, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec git "$@"\n`, { mode: 0o755 });
  }, 60_000);
  afterAll(async () => {
    for (const registry of registries) await registry.dispose();
    rmSync(root, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });
  const provider = (options: { keepCutWork?: boolean }) => {
    const registry = new RepositoryRegistry({ gitPath: wrapper });
    registries.push(registry);
    return new ArchaeologyProvider({ registry, ...options });
  };
  const ask = (on: ArchaeologyProvider, timeLimitMs: number) =>
    on.ask({ path: path.join(root, 'slow.txt'), lines: { start: 100, end: 100 }, depth: 'quick', timeLimitMs });

  it('in a long-lived process: the blame goes on, the answer says to ask again, and asking again joins it', async () => {
    writeFileSync(log, '');
    const server = provider({ keepCutWork: true });
    const cut = await ask(server, 1);
    expect(cut.partial).toBe(true);
    expect(cut.warnings).toContain('time-limit');
    expect(cut.summary).toMatch(/^Blame of `slow\.txt` did not finish within 0\.0 s; it goes on in the background, so asking again in a few seconds finds it/);
    const again = await ask(server, 60_000);
    expect(again.evidence[0]!.commit.subject).toBe('Write the slow file: line 101 holds the limit');
    // One blame of the line (and at most git's copy search after it), not one per question.
    const blames = readFileSync(log, 'utf8').split('\n').filter((line) => /\bblame\b/.test(line));
    expect(blames.filter((line) => !line.includes(' -C '))).toHaveLength(1);
  });

  it('where the blame is stopped with the answer, it says to raise AIL_MAX_QUERY_TIME_S, not to ask again', async () => {
    const cut = await ask(provider({}), 1);
    expect(cut.summary).toBe('Blame of `slow.txt` did not finish within 0.0 s; raise AIL_MAX_QUERY_TIME_S to give it longer.');
    expect(cut.summary).not.toContain('ask');
  });

  it('a one-shot ail ask waits for the blame past a tiny limit and says how long; a second one starts from the disk', async () => {
    const recorder = gitRecorder(path.join(dataDir, 'recorder'));
    const env = { ...recorder.env, AIL_DATA_DIR: dataDir, AIL_MAX_QUERY_TIME_S: '0.05', AIL_INDEX_ENABLED: 'false' };
    const first = await runCli(['ask', 'slow.txt:101', '--json'], { cwd: root, env });
    expect(first.code).toBe(0);
    const answer = JSON.parse(first.stdout) as ArchaeologyContext;
    expect(answer.evidence[0]!.commit.subject).toBe('Write the slow file: line 101 holds the limit');
    expect(answer.warnings).not.toContain('time-limit');
    expect(first.stderr).toMatch(/^ail: blaming slow\.txt:101 took \d+(\.\d+)? s, past AIL_MAX_QUERY_TIME_S \(0\.05 s\); it is stored, so the next ask of it starts from there\n/);
    const before = recorder.calls().length;
    const second = await runCli(['ask', 'slow.txt:101', '--json'], { cwd: root, env });
    expect(second.stderr).toBe('');
    const again = JSON.parse(second.stdout) as ArchaeologyContext;
    expect(again.evidence.map((item) => item.commit.sha)).toEqual(answer.evidence.map((item) => item.commit.sha));
    expect(again.partial).toBeUndefined();
    const ran = recorder.calls().slice(before);
    expect(ran.filter((call) => /\tblame\b/.test(call) || / blame /.test(call))).toEqual([]);
    expect(ran.filter((call) => /\blog -L/.test(call))).toEqual([]);
  }, 60_000);
});
