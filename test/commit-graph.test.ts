import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeIndex, mergeThatIntroduced } from '../server/git/history';
import { RepositoryRegistry } from '../server/git/registry';
import { ALICE, BOB, CHLOE, Fixture } from './helpers/fixture';

/**
 * The merge index read from git's commit-graph file must say what git itself says: which merge
 * brought each commit into the first-parent line (git rev-list --ancestry-path, one commit at a
 * time, is the referee) and what each commit's parents are (git rev-list --parents).
 */
describe('the commit-graph', () => {
  const repo = Fixture.create();
  const registry = new RepositoryRegistry();

  function branch(name: string, from: string, files: string[], author = BOB): void {
    repo.git('checkout', '-q', '-b', name, from);
    for (const file of files) {
      repo.write(file, [`${name} ${file}`]);
      repo.commit(`Work on ${file} in ${name}`, author);
    }
  }

  beforeAll(() => {
    repo.write('a.ts', ['a']);
    repo.commit('Start', ALICE);
    // A feature branch with a sub-branch merged into it, merged into main.
    branch('feature', 'main', ['f1.ts', 'f2.ts']);
    branch('sub', 'feature', ['s1.ts']);
    repo.git('checkout', '-q', 'feature');
    repo.gitCommitting(BOB, 'merge', '--no-ff', '-q', '-m', 'Merge branch sub into feature', 'sub');
    repo.git('checkout', '-q', 'main');
    repo.write('m1.ts', ['m1']);
    repo.commit('Mainline work', ALICE);
    repo.gitCommitting(ALICE, 'merge', '--no-ff', '-q', '-m', 'Merge pull request #9 from bob/feature', 'feature');
    // An octopus merge of three branches: its parents past the second live in the extra edge list.
    for (const name of ['o1', 'o2', 'o3']) branch(name, 'main', [`${name}.ts`], CHLOE);
    repo.git('checkout', '-q', 'main');
    repo.gitCommitting(ALICE, 'merge', '--no-ff', '-q', '-m', 'Merge pull request #12: three small fixes', 'o1', 'o2', 'o3');
    // main merged into a branch, which is then merged back.
    branch('late', 'main', ['l1.ts']);
    repo.git('checkout', '-q', 'main');
    repo.write('m2.ts', ['m2']);
    repo.commit('More mainline work', ALICE);
    repo.git('checkout', '-q', 'late');
    repo.gitCommitting(BOB, 'merge', '--no-ff', '-q', '-m', 'Merge main into late', 'main');
    repo.git('checkout', '-q', 'main');
    repo.gitCommitting(ALICE, 'merge', '--no-ff', '-q', '-m', 'Merge pull request #15 from bob/late', 'late');
    repo.git('commit-graph', 'write', '--reachable');
    // Work after the graph was written: the walk reads these commits from their objects.
    branch('after', 'main', ['x1.ts']);
    repo.git('checkout', '-q', 'main');
    repo.gitCommitting(ALICE, 'merge', '--no-ff', '-q', '-m', 'Merge pull request #20 from bob/after', 'after');
    repo.write('m3.ts', ['m3']);
    repo.commit('Mainline after the graph', ALICE);
  });
  afterAll(async () => {
    await registry.dispose();
    repo.cleanup();
  });

  async function expectGitsAnswers(): Promise<void> {
    const { repo: opened } = await registry.forDirectory(repo.root);
    const head = await opened.requireHead();
    const index = await mergeIndex(opened, head, 100_000);
    const commits = repo.git('rev-list', head).trim().split('\n');
    const mainline = new Set(repo.git('rev-list', '--first-parent', head).trim().split('\n'));
    for (const commit of commits) {
      expect(index.onMainline(commit), commit).toBe(mainline.has(commit));
      expect(index.introducedBy(commit), commit).toBe(await mergeThatIntroduced(opened, head, commit));
    }
    expect(commits.filter((commit) => index.introducedBy(commit)).length).toBeGreaterThanOrEqual(8);
  }

  it('gives every commit its parents as git rev-list --parents does, an octopus merge included', async () => {
    const { repo: opened } = await registry.forDirectory(repo.root);
    const graph = (await opened.commitGraph())!;
    expect(graph).toBeDefined();
    const rows = repo.git('rev-list', '--parents', 'main~2').trim().split('\n');
    expect(graph.size).toBe(rows.length);
    for (const row of rows) {
      const [commit, ...parents] = row.split(' ');
      const position = graph.positionOf(commit!);
      expect(graph.oidAt(position)).toBe(commit);
      expect(graph.parentsOf(position).map((parent) => graph.oidAt(parent))).toEqual(parents);
    }
    expect(rows.some((row) => row.split(' ').length > 3)).toBe(true); // an octopus merge: three parents or more
    expect(graph.positionOf(repo.git('rev-parse', 'HEAD').trim())).toBe(-1);
  });

  it('knows which merge brought each commit in, commits newer than the graph included', async () => {
    await expectGitsAnswers();
  });

  it('reads a split chain of graph files', async () => {
    repo.git('commit-graph', 'write', '--reachable', '--split=no-merge');
    branch('chained', 'main', ['c1.ts']);
    repo.git('checkout', '-q', 'main');
    repo.gitCommitting(ALICE, 'merge', '--no-ff', '-q', '-m', 'Merge pull request #30 from bob/chained', 'chained');
    repo.git('commit-graph', 'write', '--reachable', '--split=no-merge');
    const info = repo.path('.git/objects/info');
    expect(existsSync(`${info}/commit-graph`)).toBe(false);
    const { repo: opened } = await registry.forDirectory(repo.root);
    const graph = (await opened.commitGraph())!;
    expect(graph.size).toBe(Number(repo.git('rev-list', '--count', 'HEAD').trim()));
    expect(graph.positionOf(repo.git('rev-parse', 'HEAD').trim())).toBeGreaterThanOrEqual(0);
    await expectGitsAnswers();
  });

  it('is not used where git would not use it: a replaced commit changes its parents', async () => {
    const { repo: opened } = await registry.forDirectory(repo.root);
    // Graft the merge of #15 onto its first parent only: git now sees the late branch as never merged.
    const merge = repo.git('log', '--format=%H', '--grep', 'pull request #15').trim();
    execFileSync('git', ['replace', '--graft', merge, `${merge}^1`], { cwd: repo.root });
    try {
      expect(await opened.commitGraph()).toBeUndefined();
      await expectGitsAnswers();
    } finally {
      execFileSync('git', ['replace', '-d', merge], { cwd: repo.root });
    }
    expect(await opened.commitGraph()).toBeDefined();
  });
});
