import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchaeologyProvider } from '../server/archaeology/provider';
import { RepositoryRegistry } from '../server/git/registry';
import { Fixture, lines } from './helpers/fixture';
import { NEWLINE_FILE } from './helpers/hostile';

const registry = new RepositoryRegistry();
const provider = new ArchaeologyProvider({ registry });
afterAll(() => registry.dispose());

/** Every bad input gets one sentence that names the problem, as a typed error. */
describe('bad input', () => {
  const repo = Fixture.create();
  const outside = realpathSync(mkdtempSync(path.join(tmpdir(), 'ail-outside-')));
  const empty = Fixture.create('ail-empty-');
  beforeAll(() => {
    repo.write('src/app.ts', lines(120));
    repo.write(NEWLINE_FILE, ['a', 'b', 'c']);
    repo.write('logo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]).toString('latin1'));
    repo.commit('Add the app and its logo');
    // A submodule as a clone has it before `git submodule update`: a gitlink and an empty directory.
    repo.git('update-index', '--add', '--cacheinfo', '160000,0123456789abcdef0123456789abcdef01234567,vendor/lib');
    repo.git('commit', '-q', '-m', 'Add vendor/lib as a submodule');
    mkdirSync(repo.path('vendor/lib'), { recursive: true });
    repo.write('notes.txt', 'scratch\n');
    repo.write('staged.txt', 'staged\n');
    repo.git('add', 'staged.txt');
    writeFileSync(path.join(outside, 'loose.ts'), 'x\n');
    symlinkSync(outside, repo.path('escape'));
    empty.write('a.txt', 'a\n');
  });
  afterAll(() => {
    repo.cleanup();
    empty.cleanup();
    rmSync(outside, { recursive: true, force: true });
  });

  /** The message, exactly. */
  const exactly = (text: string) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  const cases: { name: string; target: () => { path: string; repository?: string; lines?: { start: number; end: number } }; code: string; message: RegExp }[] = [
    { name: 'a directory that is not in a repository', target: () => ({ path: path.join(outside, 'loose.ts') }), code: 'not-a-repository', message: /is not in a git repository$/ },
    { name: 'a repository without commits', target: () => ({ path: empty.path('a.txt') }), code: 'empty-repository', message: /has no commits yet$/ },
    { name: 'a missing file', target: () => ({ path: repo.path('src/nope.ts') }), code: 'file-missing', message: /^src\/nope\.ts does not exist: not at HEAD, and not in any commit before it$/ },
    { name: 'an untracked file', target: () => ({ path: repo.path('notes.txt') }), code: 'file-untracked', message: /^notes\.txt is not tracked by git/ },
    { name: 'a staged but uncommitted file', target: () => ({ path: repo.path('staged.txt') }), code: 'file-untracked', message: /^staged\.txt is added but not committed yet/ },
    { name: 'a binary file', target: () => ({ path: repo.path('logo.png') }), code: 'file-binary', message: /^logo\.png is a binary file/ },
    { name: 'a directory', target: () => ({ path: repo.path('src') }), code: 'bad-argument', message: /^src is a directory, not a file$/ },
    {
      name: "the repository's root",
      target: () => ({ path: repo.root }),
      code: 'bad-argument',
      message: exactly(`${repo.root} is the repository's root, a directory, not a file`), // outside the current directory: shown as itself
    },
    {
      name: "the repository's root, asked about inside it",
      target: () => ({ path: repo.root, repository: repo.root }),
      code: 'bad-argument',
      message: exactly(`${repo.root} is the repository's root, a directory, not a file`), // outside the current directory: shown as itself
    },
    { name: 'a missing file with a newline in its name: one line', target: () => ({ path: repo.path('no\nsuch.ts') }), code: 'file-missing', message: exactly('no\\nsuch.ts does not exist: not at HEAD, and not in any commit before it') },
    {
      name: 'a line past the end of a file with a newline in its name, which is read like any other',
      target: () => ({ path: repo.path(NEWLINE_FILE), lines: { start: 8, end: 8 } }),
      code: 'line-out-of-range',
      message: exactly('line 9 is past the end of the file (3 lines)'),
    },
    {
      name: 'a submodule',
      target: () => ({ path: repo.path('vendor/lib') }),
      code: 'bad-argument',
      message: /^vendor\/lib is a submodule: its history is in its own repository; ask about a file inside it$/,
    },
    { name: 'the directory above a submodule', target: () => ({ path: repo.path('vendor') }), code: 'bad-argument', message: /^vendor is a directory, not a file$/ },
    {
      name: 'a line past the end',
      target: () => ({ path: repo.path('src/app.ts'), lines: { start: 899, end: 899 } }),
      code: 'line-out-of-range',
      message: /^line 900 is past the end of the file \(120 lines\)$/,
    },
    {
      name: 'a range running past the end',
      target: () => ({ path: repo.path('src/app.ts'), lines: { start: 100, end: 130 } }),
      code: 'line-out-of-range',
      message: /^line 131 is past the end of the file \(120 lines\)$/,
    },
    { name: 'a range that starts after it ends', target: () => ({ path: repo.path('src/app.ts'), lines: { start: 9, end: 4 } }), code: 'malformed-range', message: /starts after it ends/ },
    {
      name: 'a path outside the repository',
      target: () => ({ path: path.resolve(repo.root, '../../etc/passwd'), repository: repo.root }),
      code: 'outside-repository',
      message: /^\.\.\/\.\.\/etc\/passwd is outside the repository|is outside the repository/,
    },
    {
      name: 'a path that leaves the repository through a symbolic link',
      target: () => ({ path: repo.path('escape/loose.ts'), repository: repo.root }),
      code: 'outside-repository',
      message: /^.*escape\/loose\.ts is outside the repository/,
    },
  ];

  it.each(cases)('$name', async ({ target, code, message }) => {
    const error = await provider.ask({ ...target(), timeLimitMs: 10_000 }).then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string },
    );
    expect(error?.code).toBe(code);
    expect(error?.message).toMatch(message);
  });
});

describe('a repository deleted while it is open', () => {
  it('is named as gone, not as empty or as git missing, and one made anew at the same path is answered', async () => {
    const repo = Fixture.create('ail-deleted-');
    repo.write('a.txt', ['first']);
    const first = repo.commit('Add a');
    const ownRegistry = new RepositoryRegistry();
    const ownProvider = new ArchaeologyProvider({ registry: ownRegistry });
    try {
      const ask = () => ownProvider.ask({ path: repo.path('a.txt'), timeLimitMs: 10_000 });
      expect((await ask()).evidence[0]!.commit.sha).toBe(first);
      rmSync(repo.root, { recursive: true, force: true });
      const gone = `the repository at ${repo.root} no longer exists (deleted or moved)`;
      await expect(ask()).rejects.toMatchObject({ code: 'repository-gone', message: gone });
      await expect(ask()).rejects.toMatchObject({ code: 'repository-gone', message: gone }); // and again, once forgotten
      await expect(ownRegistry.forDirectory(repo.root)).rejects.toMatchObject({ code: 'repository-gone', message: gone });

      mkdirSync(repo.root);
      const again = Fixture.at(repo.root);
      again.git('init', '-q', '-b', 'main');
      again.write('a.txt', ['second']);
      const second = again.commit('Add a again');
      expect((await ask()).evidence[0]!.commit).toMatchObject({ sha: second, subject: 'Add a again' });
    } finally {
      await ownRegistry.dispose();
      repo.cleanup();
    }
  });

  it('is named as gone when it goes between opening and reading HEAD', async () => {
    const repo = Fixture.create('ail-deleted-');
    repo.write('a.txt', ['first']);
    repo.commit('Add a');
    const ownRegistry = new RepositoryRegistry();
    try {
      const { repo: opened } = await ownRegistry.forDirectory(repo.root);
      rmSync(repo.root, { recursive: true, force: true });
      await expect(opened.requireHead()).rejects.toMatchObject({
        code: 'repository-gone',
        message: `the repository at ${repo.root} no longer exists (deleted or moved)`,
      });
      expect(execFileSync('git', ['--version'], { encoding: 'utf8' })).toMatch(/^git version/); // git is still there
    } finally {
      await ownRegistry.dispose();
      repo.cleanup();
    }
  });
});
