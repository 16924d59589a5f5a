import { execFileSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Evidence } from '../shared/types';
import { PullRefEnricher } from '../server/archaeology/pull-ref-enricher';
import { ArchaeologyProvider } from '../server/archaeology/provider';
import type { QueryFacts } from '../server/archaeology/enrichers';
import { pullRequestIndex } from '../server/git/pull-refs';
import { RepositoryRegistry } from '../server/git/registry';
import type { Repository } from '../server/git/repository';
import { ALICE, BOB, Fixture } from './helpers/fixture';

/**
 * A project on a "GitHub" that is a bare repository in a temp dir, with its pull requests as GitHub
 * keeps them (`refs/pull/<n>/head`, and `refs/pull/<n>/merge` for an open one), and clones that fetched
 * them with a real `git fetch` and the refspec the README gives: under refs/pull, and under
 * refs/remotes/origin/pr. Each commit writes a file of its own, so a question about it blames it.
 */
const PULL_REFSPEC = '+refs/pull/*/head:refs/pull/*/head';
const REMOTE_PR_REFSPEC = '+refs/pull/*/head:refs/remotes/origin/pr/*';

const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'ail-pull-refs-')));
const upstream = Fixture.create('ail-pull-upstream-');
const originDir = path.join(dir, 'origin.git');
const sha: Record<string, string> = {};
/** The PR refs GitHub holds: number → head. */
const pulls = new Map<number, string>();

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], env: { ...cleanEnv(), GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' } });
}

function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('GIT_')) env[key] = value;
  return env;
}

/** A commit on the current branch writing a file named after it. */
function work(name: string, author = BOB): string {
  upstream.write(`${name}.ts`, [`export const ${name} = '${name}';`]);
  sha[name] = upstream.commit(`Work: ${name}`, author);
  return sha[name]!;
}

function branch(name: string, from = 'main'): void {
  upstream.git('checkout', '-q', '-b', name, from);
}

function merge(name: string, message: string, branchName: string): string {
  upstream.git('checkout', '-q', 'main');
  sha[name] = upstream.gitCommitting(ALICE, 'merge', '--no-ff', '-q', '-m', message, branchName);
  return sha[name]!;
}

/** What GitHub does on a push to a PR's branch: its ref follows the branch's tip. */
function publish(): void {
  git(upstream.root, 'push', '-q', '--force', originDir, '--all');
  for (const [number, head] of pulls) git(originDir, 'update-ref', `refs/pull/${number}/head`, head);
}

/** A clone of origin that fetched the PR refs with `refspec` (none: a plain clone). */
function cloneWith(name: string, refspec?: string): Fixture {
  const root = path.join(dir, name);
  git(dir, 'clone', '-q', `file://${originDir}`, root);
  if (refspec) {
    git(root, 'config', '--add', 'remote.origin.fetch', refspec);
    git(root, 'fetch', '-q', 'origin');
  }
  return Fixture.at(root);
}

beforeAll(() => {
  work('m0', ALICE);
  work('m1', ALICE); // committed on main directly

  // #1: a branch that merges main into itself midway, then merged.
  branch('feat-a');
  work('a1');
  upstream.git('checkout', '-q', 'main');
  work('m2', ALICE);
  upstream.git('checkout', '-q', 'feat-a');
  sha.aSync = upstream.gitCommitting(BOB, 'merge', '--no-ff', '-q', '-m', "Merge branch 'main' into feat-a", 'main');
  pulls.set(1, work('a2'));
  merge('M1', 'Merge pull request #1 from bob/feat-a\n\nAdd feature A', 'feat-a');

  // #2 and #3 stacked: #3 branched from #2's branch, and merged with #2's commits in it; #2 closes as merged.
  branch('stack-base');
  work('s1');
  pulls.set(2, work('s2'));
  branch('stack-top', 'stack-base');
  pulls.set(3, work('t1'));
  merge('M3', 'Merge pull request #3 from bob/stack-top\n\nStack top', 'stack-top');

  // #5 merged into #4's branch, then #4 merged.
  branch('outer');
  work('o1');
  branch('inner', 'outer');
  pulls.set(5, work('i1'));
  upstream.git('checkout', '-q', 'outer');
  sha.mo = upstream.gitCommitting(BOB, 'merge', '--no-ff', '-q', '-m', 'Merge pull request #5 from bob/inner\n\nInner part', 'inner');
  pulls.set(4, work('o2'));
  merge('M4', 'Merge pull request #4 from bob/outer\n\nOuter feature', 'outer');

  // #6 fast-forwarded onto main.
  branch('ff');
  work('f1');
  pulls.set(6, work('f2'));
  upstream.git('checkout', '-q', 'main');
  upstream.git('merge', '-q', '--ff-only', 'ff');

  // #7 branched after it (its head holds f1 and f2), merged locally with a message that names no PR.
  branch('late');
  pulls.set(7, work('l1'));
  merge('M7', "Merge branch 'late'", 'late');

  // #8 squash-merged: main gets a new commit, the PR's head stays out of its history.
  branch('sq');
  work('q1');
  pulls.set(8, work('q2'));
  upstream.git('checkout', '-q', 'main');
  upstream.git('merge', '-q', '--squash', 'sq');
  sha.squash = upstream.commit('Add Q (#8)', BOB);

  // #9 open: never merged.
  branch('open');
  pulls.set(9, work('u1'));

  // A branch merged with no PR at all.
  branch('topic');
  work('x1');
  merge('Mx', "Merge branch 'topic'", 'topic');

  // #10 and #11: one head, opened twice; the merge names #11.
  branch('twice');
  const z1 = work('z1');
  pulls.set(10, z1);
  pulls.set(11, z1);
  merge('M11', 'Merge pull request #11 from bob/twice\n\nZ, opened again', 'twice');

  // A long-lived branch merged whole, as a 4.x or a develop is: #14 fast-forwarded onto it among
  // commits pushed there directly, #15 merged into it with a merge commit.
  branch('release');
  work('r1', ALICE);
  branch('rel-fix', 'release');
  pulls.set(14, work('rf1'));
  upstream.git('checkout', '-q', 'release');
  upstream.git('merge', '-q', '--ff-only', 'rel-fix');
  work('r2', ALICE);
  branch('rel-feat', 'release');
  pulls.set(15, work('rq1'));
  upstream.git('checkout', '-q', 'release');
  sha.Mr15 = upstream.gitCommitting(ALICE, 'merge', '--no-ff', '-q', '-m', 'Merge pull request #15 from bob/rel-feat\n\nRelease feature', 'rel-feat');
  work('r3', ALICE);
  merge('Mrel', "Merge branch 'release'", 'release');

  upstream.git('checkout', '-q', 'main');
  work('m9', ALICE);

  git(dir, 'init', '-q', '--bare', '-b', 'main', originDir);
  publish();
  // GitHub's test merge of the open PR: not a head, never read.
  git(originDir, 'update-ref', 'refs/pull/9/merge', sha.m9!);
  // A PR ref to an annotated tag, not a commit: read, and found nowhere in the history.
  git(originDir, '-c', 'user.name=GitHub', '-c', 'user.email=noreply@github.com', 'tag', '-a', '-m', 'Not a commit', 'tag-98', sha.z1!);
  git(originDir, 'update-ref', 'refs/pull/98/head', git(originDir, 'rev-parse', 'refs/tags/tag-98').trim());
});

afterAll(() => {
  upstream.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** Who brought each commit in: the PR numbers, none for commits no merged PR head explains. */
const EXPECTED: Record<string, number[] | undefined> = {
  m0: undefined,
  m1: undefined,
  m2: undefined, // merged into #1's branch from main: main had it first
  a1: [1],
  aSync: [1],
  a2: [1],
  M1: [1],
  s1: [2],
  s2: [2],
  t1: [3],
  M3: [3],
  o1: [4],
  i1: [5],
  mo: [4],
  o2: [4],
  M4: [4],
  f1: undefined, // fast-forwarded: on the mainline, where nothing tells it from a push
  f2: undefined,
  l1: [7],
  M7: [7],
  q1: undefined, // squashed: not in HEAD's history
  q2: undefined,
  squash: undefined, // named by its subject, elsewhere
  u1: undefined,
  x1: undefined,
  Mx: undefined,
  z1: [10, 11],
  M11: [10, 11],
  r1: undefined, // pushed to the release branch, below #14's head there
  rf1: undefined, // fast-forwarded onto the release branch
  r2: undefined,
  rq1: [15],
  Mr15: [15],
  r3: undefined,
  Mrel: undefined,
  m9: undefined,
};

describe('the pull request index of a clone that fetched PR refs', () => {
  const registry = new RepositoryRegistry();
  afterAll(() => registry.dispose());

  for (const [layout, refspec] of [
    ['refs/pull/<n>/head', PULL_REFSPEC],
    ['refs/remotes/origin/pr/<n>', REMOTE_PR_REFSPEC],
  ] as const) {
    for (const source of ['rev-list', 'commit-graph'] as const) {
      it(`names the PR that brought each commit: ${layout}, history from ${source}`, async () => {
        const clone = cloneWith(`clone-${layout.split('/')[1]}-${source}`, refspec);
        if (source === 'commit-graph') git(clone.root, 'commit-graph', 'write', '--reachable');
        const { repo } = await registry.forDirectory(clone.root);
        expect(Boolean(await repo.commitGraph())).toBe(source === 'commit-graph');
        const index = await pullRequestIndex(repo, await repo.requireHead(), { limit: 100_000 });
        const found: Record<string, number[] | undefined> = {};
        for (const name of Object.keys(EXPECTED)) found[name] = index.pullRequestOf(sha[name]!)?.numbers;
        expect(found).toEqual(EXPECTED);
        expect(index.refs).toBe(14);
        expect(index.merged).toBe(11); // all but the squashed #8, the open #9 and the tag
        expect(index.pullRequestOf(sha.i1!)).toEqual({ numbers: [5], head: sha.i1, merge: sha.mo });
        expect(index.pullRequestOf(sha.s1!)).toEqual({ numbers: [2], head: sha.s2, merge: sha.M3 });
      });
    }
  }
});

describe('the pull-refs enricher', () => {
  const clone = (() => {
    let fixture: Fixture | undefined;
    return () => (fixture ??= cloneWith('clone-enricher', PULL_REFSPEC));
  })();
  const registry = new RepositoryRegistry();
  afterAll(() => registry.dispose());

  function ask(provider: ArchaeologyProvider, fixture: Fixture, name: string) {
    return provider.ask({ path: fixture.path(`${name}.ts`), lines: { start: 0, end: 0 }, timeLimitMs: 20_000 });
  }

  it('names the PR in the answer, with the title the merge that brought it gives, and none it cannot prove', async () => {
    const provider = new ArchaeologyProvider({ registry, enrichers: [new PullRefEnricher()] });
    try {
      const inner = await ask(provider, clone(), 'i1');
      expect(inner.evidence[0]!.commit.sha).toBe(sha.i1);
      expect(inner.evidence[0]!.pullRequest).toEqual({ number: 5, title: 'Inner part', via: 'pull-ref' });
      expect(inner.summary).toContain('(#5)');
      // #2 merged inside #3's merge: its number, and no title (the merge names #3).
      expect((await ask(provider, clone(), 's1')).evidence[0]!.pullRequest).toEqual({ number: 2, via: 'pull-ref' });
      // Two PRs with one head: the one the merge names.
      expect((await ask(provider, clone(), 'z1')).evidence[0]!.pullRequest).toEqual({ number: 11, title: 'Z, opened again', via: 'pull-ref' });
      // Merged locally: the number only.
      expect((await ask(provider, clone(), 'l1')).evidence[0]!.pullRequest).toEqual({ number: 7, via: 'pull-ref' });
      for (const name of ['f1', 'm1', 'x1']) {
        const answer = await ask(provider, clone(), name);
        expect(answer.evidence[0]!.commit.sha, name).toBe(sha[name]);
        expect(answer.evidence[0]!.pullRequest, name).toBeUndefined();
      }
      // The squash commit keeps the number its subject gives.
      expect((await ask(provider, clone(), 'q1')).evidence[0]!.pullRequest).toMatchObject({ number: 8, title: 'Add Q' });
    } finally {
      provider.dispose();
    }
  });

  it('leaves a PR another source named as it is', async () => {
    const enricher = new PullRefEnricher();
    const { repo } = await registry.forDirectory(clone().root);
    const named: Evidence = evidenceOf(sha.i1!, { number: 4, title: 'Outer feature' });
    const bare: Evidence = evidenceOf(sha.o1!);
    await enricher.enrich(facts(repo, await repo.requireHead()), [named, bare], new AbortController().signal);
    expect(named.pullRequest).toEqual({ number: 4, title: 'Outer feature' });
    expect(bare.pullRequest).toEqual({ number: 4, title: 'Outer feature', via: 'pull-ref' });
    enricher.dispose();
  });

  it('reads the refs and walks the history once for every question until HEAD moves or PR refs are fetched', async () => {
    const fixture = cloneWith('clone-moving', PULL_REFSPEC);
    const { repo } = await registry.forDirectory(fixture.root);
    const calls = recordGit(repo);
    const enricher = new PullRefEnricher();
    const numberOf = async (name: string) => {
      const item = evidenceOf(sha[name]!);
      await enricher.enrich(facts(repo, await repo.requireHead()), [item], new AbortController().signal);
      return item.pullRequest?.number;
    };
    try {
      for (const name of ['a1', 'i1', 's1', 'l1', 'z1', 'f1']) await numberOf(name);
      expect(await numberOf('t1')).toBe(3);
      expect(calls()).toEqual(['for-each-ref', 'rev-list']);

      // Upstream merges #12; the clone pulls: HEAD moves, and the new PR ref came with it.
      branch('pull-12');
      pulls.set(12, work('p12'));
      merge('M12', 'Merge pull request #12 from bob/pull-12\n\nTwelve', 'pull-12');
      publish();
      git(fixture.root, 'pull', '-q', '--ff-only');
      expect(await numberOf('p12')).toBe(12);
      expect(await numberOf('i1')).toBe(5);
      expect(calls()).toEqual(['for-each-ref', 'rev-list', 'for-each-ref', 'rev-list']);

      // A PR ref fetched for a branch merged long ago, HEAD where it was: the topic branch was #13.
      pulls.set(13, sha.x1!);
      publish();
      expect(await numberOf('x1')).toBeUndefined();
      git(fixture.root, 'fetch', '-q', 'origin');
      expect(await numberOf('x1')).toBe(13);
      expect(calls()).toHaveLength(6);
    } finally {
      enricher.dispose();
      pulls.delete(13);
      git(originDir, 'update-ref', '-d', 'refs/pull/13/head');
    }
  });

  it('costs no git process in a clone without PR refs', async () => {
    const fixture = cloneWith('clone-plain');
    const { repo } = await registry.forDirectory(fixture.root);
    const calls = recordGit(repo);
    const enricher = new PullRefEnricher();
    const items = ['a1', 'i1', 't1'].map((name) => evidenceOf(sha[name]!));
    await enricher.enrich(facts(repo, await repo.requireHead()), items, new AbortController().signal);
    expect(items.map((item) => item.pullRequest)).toEqual([undefined, undefined, undefined]);
    expect(calls()).toEqual([]);
    enricher.dispose();
  });
});

/** The git commands the repository runs from now on (the command name only), through the real runner. */
function recordGit(repo: Repository): () => string[] {
  const seen: string[] = [];
  const run = repo.git.run.bind(repo.git);
  vi.spyOn(repo.git, 'run').mockImplementation((args, options) => {
    seen.push(args[0]!);
    return run(args, options);
  });
  return () => [...seen];
}

function evidenceOf(commit: string, pullRequest?: Evidence['pullRequest']): Evidence {
  return {
    commit: { sha: commit, shortSha: commit.slice(0, 7), author: BOB.name, date: '2021-01-01T12:00:00Z', subject: 'Work', body: '', authorEmail: BOB.email },
    score: 1,
    reasons: ['blame'],
    issues: [],
    ...(pullRequest ? { pullRequest } : {}),
  };
}

function facts(repo: Repository, head: string): QueryFacts {
  return {
    repo,
    head,
    file: 'a1.ts',
    question: 'why?',
    intent: 'why',
    depth: 'full',
    origins: () => undefined,
    lineText: async () => [],
  };
}
