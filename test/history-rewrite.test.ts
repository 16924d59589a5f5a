import { rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DidOpenTextDocumentNotification, HoverRequest, type MarkupContent } from 'vscode-languageserver-protocol/node';
import { ContextRequest } from '../shared/protocol';
import { ArchaeologyProvider } from '../server/archaeology/provider';
import { RepositoryRegistry } from '../server/git/registry';
import { ALICE, BOB, Fixture, lines } from './helpers/fixture';
import { TestClient } from './helpers/lsp';

/**
 * A blame is kept per file and HEAD, and carried to a new HEAD only when nothing below the file
 * changed. History rewritten under a long-lived engine (amend, filter-branch, reset, rebase, another
 * branch) must never be answered with a commit that is no longer there.
 */
describe('history rewritten under a long-lived engine', () => {
  process.env.FILTER_BRANCH_SQUELCH_WARNING = '1'; // filter-branch otherwise waits 10 s to warn about itself
  const registry = new RepositoryRegistry();
  const provider = new ArchaeologyProvider({ registry, warmFiles: true, answerBeforeHistory: true });
  afterAll(() => registry.dispose());

  /** A repository whose last commit wrote line 4 of src/a.ts, and another file beside it. */
  function history(): Fixture {
    const repo = Fixture.create();
    repo.write('src/a.ts', lines(6));
    repo.commit('Add a');
    repo.write('notes.md', ['notes']);
    repo.commit('Add notes', BOB);
    repo.write('src/a.ts', ['line 1', 'line 2', 'line 3', 'line 4 bounded at twenty', 'line 5', 'line 6']);
    repo.commit('Bound line four at twenty to apply back-pressure');
    return repo;
  }

  const subjectOf = async (repo: Fixture, line = 3) =>
    (await provider.ask({ path: repo.path('src/a.ts'), lines: { start: line, end: line }, depth: 'quick', timeLimitMs: 10_000 })).evidence[0]!.commit.subject;

  /** Asks, waits until the whole file is blamed and kept (what makes hovers lookups), and checks the answer. */
  async function warmed(repo: Fixture, expected: string): Promise<void> {
    expect(await subjectOf(repo)).toBe(expected);
    const { blamer } = await registry.forFile(repo.path('src/a.ts'));
    const head = repo.head();
    const blob = repo.git('rev-parse', `${head}:src/a.ts`).trim();
    await blamer.whenWarm({ path: 'src/a.ts', head, blob });
  }

  const rewrites: { name: string; rewrite: (repo: Fixture) => void; expected: string }[] = [
    {
      name: 'git commit --amend with a new message (the same tree)',
      rewrite: (repo) => repo.gitCommitting(ALICE, 'commit', '-q', '--amend', '-m', 'Bound line four at twenty, as the load test showed'),
      expected: 'Bound line four at twenty, as the load test showed',
    },
    {
      name: 'git filter-branch --msg-filter, then gc --prune=now',
      rewrite: (repo) => {
        repo.gitCommitting(ALICE, 'filter-branch', '-f', '--msg-filter', 'sed "s/^/[rewritten] /"', 'HEAD');
        repo.git('update-ref', '-d', 'refs/original/refs/heads/main');
        repo.git('reflog', 'expire', '--expire=now', '--all');
        repo.git('gc', '-q', '--prune=now');
      },
      expected: '[rewritten] Bound line four at twenty to apply back-pressure',
    },
    {
      name: 'git reset --hard to an older commit',
      rewrite: (repo) => repo.git('reset', '-q', '--hard', 'HEAD~1'),
      expected: 'Add a',
    },
    {
      name: 'a rebase that rewords the commit below HEAD and replays the file change on top',
      rewrite: (repo) => {
        // Reword "Add a" and replay the two commits after it: every sha below HEAD changes, the tree does not.
        repo.gitCommitting(ALICE, '-c', 'sequence.editor=sed -i 1s/^pick/reword/', '-c', 'core.editor=sed -i 1s/.*/Add\\ a,\\ reworded/', 'rebase', '-q', '-i', '--root');
      },
      expected: 'Bound line four at twenty to apply back-pressure',
    },
    {
      name: 'a switch to a branch with the same file from another commit',
      rewrite: (repo) => {
        repo.git('checkout', '-q', '-b', 'other', 'HEAD~2');
        repo.write('src/a.ts', ['line 1', 'line 2', 'line 3', 'line 4 bounded at twenty', 'line 5', 'line 6']);
        repo.commit('Same bound, written on another branch', BOB);
      },
      expected: 'Same bound, written on another branch',
    },
  ];

  for (const { name, rewrite, expected } of rewrites) {
    it(`answers with today's commits after ${name}`, async () => {
      const repo = history();
      try {
        await warmed(repo, 'Bound line four at twenty to apply back-pressure');
        const before = repo.head();
        rewrite(repo);
        expect(repo.head()).not.toBe(before);
        expect(await subjectOf(repo)).toBe(expected);
        const answer = await provider.ask({ path: repo.path('src/a.ts'), lines: { start: 3, end: 3 }, timeLimitMs: 10_000 });
        const reachable = new Set(repo.git('rev-list', 'HEAD').split('\n').filter(Boolean));
        for (const item of answer.evidence) expect(reachable.has(item.commit.sha)).toBe(true);
      } finally {
        repo.cleanup();
      }
    });
  }

  it('keeps the blame across a new commit that does not touch the file, and blames again after one that does', async () => {
    const repo = history();
    try {
      await warmed(repo, 'Bound line four at twenty to apply back-pressure');
      const { blamer } = await registry.forFile(repo.path('src/a.ts'));
      const blob = repo.git('rev-parse', 'HEAD:src/a.ts').trim();
      const kept = await blamer.blameLines({ path: 'src/a.ts', head: repo.head(), blob, lines: { start: 3, end: 3 } });
      repo.write('notes.md', ['notes', 'more notes']);
      repo.commit('More notes', BOB);
      const carried = await blamer.blameLines({ path: 'src/a.ts', head: repo.head(), blob, lines: { start: 3, end: 3 } });
      expect(carried.commits).toBe(kept.commits); // the same blame, not a new one
      expect(await subjectOf(repo)).toBe('Bound line four at twenty to apply back-pressure');

      // Changed and changed back: the same blob, but a later commit now wrote line 4.
      repo.write('src/a.ts', lines(6));
      repo.commit('Drop the bound');
      repo.write('src/a.ts', ['line 1', 'line 2', 'line 3', 'line 4 bounded at twenty', 'line 5', 'line 6']);
      repo.commit('Restore the bound at twenty after the incident');
      expect(repo.git('rev-parse', 'HEAD:src/a.ts').trim()).toBe(blob);
      expect(await subjectOf(repo)).toBe('Restore the bound at twenty after the incident');
    } finally {
      repo.cleanup();
    }
  });
});

/** The issue's own steps, through the built server: hover, amend, gc, hover again. */
describe('the language server after git commit --amend and gc', () => {
  const repo = Fixture.create();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ail-rewrite-data-'));
  let client: TestClient;
  beforeAll(async () => {
    repo.write('src/a.ts', lines(6));
    repo.commit('Add a');
    repo.write('src/a.ts', ['line 1', 'line 2', 'line 3', 'line 4 bounded at twenty', 'line 5', 'line 6']);
    repo.commit('Bound line four at twenty to apply back-pressure');
    client = await TestClient.start(repo.root, { AIL_DATA_DIR: dataDir, AIL_ALLOW_MODEL_DOWNLOAD: 'false', AIL_COMMIT_GRAPH: 'false', AIL_INDEX_ENABLED: 'false' });
  });
  afterAll(async () => {
    await client.stop();
    repo.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('hovers and answers ail/context with the amended commit, never the old one', async () => {
    const uri = pathToFileURL(repo.path('src/a.ts')).href;
    await client.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: 'typescript', version: 1, text: ['line 1', 'line 2', 'line 3', 'line 4 bounded at twenty', 'line 5', 'line 6'].join('\n') + '\n' },
    });
    const hover = async () => ((await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 3, character: 0 } }))!.contents as MarkupContent).value;
    const context = () => client.connection.sendRequest(ContextRequest.type, { textDocument: { uri }, range: { start: { line: 3, character: 0 }, end: { line: 4, character: 0 } } });
    expect(await hover()).toContain('Bound line four at twenty to apply back-pressure');
    await client.status((stats) => stats.warming === 0);
    const old = repo.head();
    repo.gitCommitting(ALICE, 'commit', '-q', '--amend', '-m', 'Bound line four at twenty, as the load test showed');
    repo.git('reflog', 'expire', '--expire=now', '--all');
    repo.git('gc', '-q', '--prune=now');
    const amended = repo.head();
    const text = await hover();
    expect(text).toContain('Bound line four at twenty, as the load test showed');
    expect(text).toContain(amended.slice(0, 7));
    expect(text).not.toContain(old.slice(0, 7));
    const answer = await context();
    expect(answer.headSha).toBe(amended);
    expect(answer.evidence[0]!.commit.sha).toBe(amended);
    expect(answer.evidence.some((item) => item.commit.sha === old)).toBe(false);
  });
});
