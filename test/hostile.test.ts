import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchaeologyProvider } from '../server/archaeology/provider';
import { bandOf } from '../server/archaeology/rank';
import { CatFileBatch } from '../server/git/catfile';
import { RepositoryRegistry } from '../server/git/registry';
import { GitRunner } from '../server/git/runner';
import { Fixture, lines } from './helpers/fixture';
import { runCli } from './helpers/cli';

const registry = new RepositoryRegistry();
const provider = new ArchaeologyProvider({ registry });
afterAll(() => registry.dispose());

/** A repository is untrusted input: its config and attributes must not run anything through AIL. */
describe('a repository whose config tries to run commands', () => {
  const repo = Fixture.create();
  const marker = (name: string) => repo.path(`.git/PWNED-${name}`);
  beforeAll(() => {
    repo.write('.gitattributes', ['*.ts filter=evil diff=evil']);
    repo.write('src/a.ts', lines(5));
    repo.commit('Add a');
    repo.write('src/a.ts', [...lines(5), 'six']);
    repo.commit('Extend a with a sixth line for the parser');
    const touch = (name: string) => `touch '${marker(name)}'; cat`;
    repo.git('config', 'core.fsmonitor', touch('fsmonitor'));
    repo.git('config', 'core.pager', touch('pager'));
    repo.git('config', 'pager.blame', touch('pager-blame'));
    repo.git('config', 'pager.log', touch('pager-log'));
    repo.git('config', 'filter.evil.clean', touch('clean'));
    repo.git('config', 'filter.evil.smudge', touch('smudge'));
    repo.git('config', 'diff.evil.textconv', touch('textconv'));
    repo.git('config', 'diff.evil.command', touch('extdiff'));
    repo.git('config', 'diff.external', touch('diff-external'));
    repo.git('config', 'log.showSignature', 'true');
    repo.git('config', 'gpg.program', touch('gpg'));
  });
  afterAll(() => repo.cleanup());

  const markers = () => readdirSync(repo.path('.git')).filter((name) => name.startsWith('PWNED-'));

  it('runs none of them for a committed file, unsaved text, or the CLI', async () => {
    const committed = await provider.ask({ path: repo.path('src/a.ts'), lines: { start: 5, end: 5 }, timeLimitMs: 10_000 });
    expect(committed.evidence[0]!.commit.subject).toBe('Extend a with a sixth line for the parser');
    const unsaved = await provider.ask({ path: repo.path('src/a.ts'), contents: [...lines(5), 'six', 'seven'].join('\n') + '\n', timeLimitMs: 10_000 });
    expect(unsaved.uncommittedLines).toBe(1);
    const whole = await provider.ask({ path: repo.path('src/a.ts'), timeLimitMs: 10_000 });
    expect(whole.timeline.commitCount).toBe(2);
    const cli = await runCli(['ask', 'src/a.ts:6', 'why?'], { cwd: repo.root, tty: false });
    expect(cli.code).toBe(0);
    expect(markers()).toEqual([]);
    // The marker path itself works: git run by hand does create it, so the assertion above can fail.
    repo.git('status');
    expect(existsSync(marker('fsmonitor'))).toBe(true);
  });
});

describe('a shallow clone', () => {
  const origin = Fixture.create();
  let clone: Fixture;
  beforeAll(() => {
    origin.write('a.ts', lines(3));
    origin.commit('Add a with three lines of setup for the importer');
    origin.write('b.ts', lines(2));
    origin.commit('Add b');
    const target = `${origin.root}-shallow`;
    origin.git('clone', '-q', '--depth', '1', `file://${origin.root}`, target);
    clone = Fixture.at(target);
  });
  afterAll(() => {
    origin.cleanup();
    clone.cleanup();
  });

  it('says the history is cut and does not claim confidence it cannot have', async () => {
    const answer = await provider.ask({ path: clone.path('a.ts'), lines: { start: 0, end: 0 }, timeLimitMs: 10_000 });
    expect(answer.warnings).toContain('shallow-history');
    expect(answer.evidence[0]!.commit.subject).toBe('Add b');
    expect(bandOf(answer.confidence)).toBe('low');
  });
});

/**
 * A partial clone fetches a missing object from its promisor remote the moment git reads it, and that
 * fetch runs the programs the repository's config names, with the caller's environment.
 */
describe('a partial (blobless) clone whose config names programs for its remote', () => {
  const origin = Fixture.create();
  const clones: Fixture[] = [];
  const marker = () => `${origin.root}-RAN`;
  /** A stand-in for ssh or upload-pack that leaves a marker with the token it saw, then does the real work. */
  const spy = () => `${origin.root}-spy.sh`;
  beforeAll(() => {
    origin.write('src/a.ts', lines(5));
    origin.commit('Add a');
    origin.write('src/a.ts', [...lines(5), 'six']);
    origin.commit('Extend a with a sixth line for the parser');
    origin.write('src/a.ts', ['zero', ...lines(5), 'six']);
    origin.commit('Put a zeroth line before the others');
    origin.git('config', 'uploadpack.allowFilter', 'true');
    writeFileSync(spy(), `#!/bin/sh\necho "token=$GITHUB_TOKEN" >> '${marker()}'\nexec git-upload-pack '${origin.root}'\n`, { mode: 0o755 });
  });
  afterAll(() => {
    origin.cleanup();
    for (const clone of clones) clone.cleanup();
    rmSync(marker(), { force: true });
    rmSync(spy(), { force: true });
  });

  /** A fresh blobless clone whose remote runs the spy: through `remote.origin.uploadpack`, or as ssh through `core.sshCommand`. */
  function blobless(how: 'uploadpack' | 'sshCommand'): Fixture {
    const target = `${origin.root}-${how}-${clones.length}`;
    origin.git('clone', '-q', '--filter=blob:none', `file://${origin.root}`, target);
    const clone = Fixture.at(target);
    clones.push(clone);
    if (how === 'uploadpack') clone.git('config', 'remote.origin.uploadpack', spy());
    else {
      clone.git('config', 'remote.origin.url', 'ssh://git.example.invalid/repo');
      clone.git('config', 'core.sshCommand', spy());
      clone.git('config', 'protocol.ssh.allow', 'always'); // a repository's own config cannot allow AIL a transport
    }
    return clone;
  }

  const sentence = (where: string) =>
    `${where} cannot be blamed here: this partial clone does not have the older versions of \`src/a.ts\`, and AIL does not download them. ` +
    'The commits that changed the file are listed instead. Run `git fetch --refetch --no-filter origin` to fill in the clone, then ask again.';

  for (const how of ['uploadpack', 'sshCommand'] as const) {
    it(`runs nothing through ${how}, and answers from the commits present, naming the command that fills the clone in`, async () => {
      const clone = blobless(how);
      rmSync(marker(), { force: true });
      const env = { GITHUB_TOKEN: 'ghp_must_not_leak' };
      const cli = await runCli(['ask', 'src/a.ts:7', 'why?'], { cwd: clone.root, env, tty: false });
      expect(cli.stderr).toBe('');
      expect(cli.code).toBe(0);
      expect(cli.stdout).toContain(sentence('Line 7'));
      expect(cli.stdout).toMatch(/Warnings: partial-clone/);
      const answer = await provider.ask({ path: clone.path('src/a.ts'), timeLimitMs: 10_000 });
      expect(answer.summary).toBe(sentence('`src/a.ts`'));
      expect(answer.warnings).toContain('partial-clone');
      expect(answer.partial).toBe(true);
      expect(bandOf(answer.confidence)).toBe('low');
      expect(answer.evidence.map((item) => item.commit.subject)).toEqual([
        'Put a zeroth line before the others',
        'Extend a with a sixth line for the parser',
        'Add a',
      ]);
      expect(existsSync(marker())).toBe(false);
      // The spy does fire when git runs as a user runs it, and sees the token: the assertion above can fail.
      execFileSync('git', ['blame', '-L', '7,7', 'src/a.ts'], { cwd: clone.root, env: { ...process.env, ...env }, stdio: 'ignore' });
      expect(readFileSync(marker(), 'utf8')).toContain('token=ghp_must_not_leak');
    });
  }

  it('reads every object present through one cat-file, the missing ones answered as missing', async () => {
    const clone = blobless('uploadpack');
    rmSync(marker(), { force: true });
    const objects = new CatFileBatch(new GitRunner(clone.root));
    try {
      // Versions of src/a.ts before HEAD are on the remote only; git's cat-file dies on the first one.
      const names = ['HEAD', 'HEAD~2:src/a.ts', 'HEAD:src/a.ts', 'HEAD~1:src/a.ts', 'HEAD~1'];
      const read = await Promise.all(names.map((name) => objects.read(name)));
      expect(read.map((object) => (object.kind === 'found' ? object.type : 'missing'))).toEqual(['commit', 'missing', 'blob', 'missing', 'commit']);
    } finally {
      objects.dispose();
    }
    expect(existsSync(marker())).toBe(false);
  });

  it('answers in full once the clone has the objects', async () => {
    const clone = blobless('uploadpack');
    clone.git('config', '--unset', 'remote.origin.uploadpack');
    clone.git('fetch', '-q', '--refetch', '--no-filter', 'origin');
    const answer = await provider.ask({ path: clone.path('src/a.ts'), lines: { start: 6, end: 6 }, timeLimitMs: 10_000 });
    expect(answer.warnings).not.toContain('partial-clone');
    expect(answer.evidence[0]!.commit.subject).toBe('Extend a with a sixth line for the parser');
  });
});
