import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli';
import { Fixture, lines } from './helpers/fixture';
import { processesIn } from './helpers/processes';

/**
 * The bad-input matrix, as a person meets it: `ail ask` in a terminal. Each row is what was typed and
 * where, and the one sentence on stderr (exit 2, nothing on stdout) or the first line of the answer
 * (exit 0). After each, no process is left running in any of the directories involved.
 */
describe('ail ask, given every kind of bad or unusual input', () => {
  const repo = Fixture.create('ail-matrix-');
  const outside = realpathSync(mkdtempSync(path.join(tmpdir(), 'ail-matrix-outside-')));
  const empty = Fixture.create('ail-matrix-empty-');
  const origin = Fixture.create('ail-matrix-origin-');
  const shallow = `${origin.root}-shallow`;
  const bare = `${origin.root}-bare.git`;
  const roots = [repo.root, outside, empty.root, origin.root, shallow, bare];
  const big = 1_000_000; // lines of 52 bytes: a 50 MB file
  beforeAll(() => {
    repo.write('src/app.ts', lines(120));
    writeFileSync(repo.path('logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]));
    repo.write('docs/ünïcödé naïve.md', ['# Überblick', 'Zeile zwei']);
    writeFileSync(repo.path('big.csv'), Array.from({ length: big }, (_, i) => `${String(i + 1).padStart(10, '0')},${'x'.repeat(40)}\n`).join(''));
    repo.commit('Add the app, its logo, the docs and the data');
    repo.write('src/app.ts', [...lines(119), 'export const LIMIT = 20;']);
    repo.commit('Bound the app at twenty');
    repo.git('update-index', '--add', '--cacheinfo', '160000,0123456789abcdef0123456789abcdef01234567,vendor/lib');
    repo.git('commit', '-q', '-m', 'Add vendor/lib as a submodule');
    mkdirSync(repo.path('vendor/lib'), { recursive: true });
    repo.write('notes.txt', 'scratch\n');
    writeFileSync(path.join(outside, 'loose.ts'), 'x\n');
    symlinkSync(outside, repo.path('escape'));
    symlinkSync('/etc/hostname', repo.path('hostname'));
    empty.write('a.txt', 'a\n');
    origin.write('a.ts', lines(3));
    origin.commit('Add a with three lines of setup for the importer');
    origin.write('b.ts', lines(2));
    origin.commit('Add b');
    origin.git('clone', '-q', '--depth', '1', `file://${origin.root}`, shallow);
    origin.git('clone', '-q', '--bare', origin.root, bare);
  });
  afterAll(() => {
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });

  const question100k = 'why '.repeat(25_000);
  type Row = { name: string; args: () => string[]; cwd?: () => string; error?: () => string; first?: () => string };
  const rows: Row[] = [
    { name: 'not in a repository', args: () => ['ask', 'loose.ts'], cwd: () => outside, error: () => 'loose.ts is not in a git repository' },
    { name: 'a repository with no commits', args: () => ['ask', 'a.txt'], cwd: () => empty.root, error: () => `the repository at ${empty.root} has no commits yet` },
    { name: 'an untracked file', args: () => ['ask', 'notes.txt'], error: () => 'notes.txt is not tracked by git, so it has no history' },
    { name: 'a binary file', args: () => ['ask', 'logo.png'], error: () => 'logo.png is a binary file; AIL explains text' },
    { name: 'a missing file', args: () => ['ask', 'src/nope.ts:3'], error: () => 'src/nope.ts does not exist: not at HEAD, and not in any commit before it' },
    { name: 'a line past the end', args: () => ['ask', 'src/app.ts:900'], error: () => 'line 900 is past the end of the file (120 lines)' },
    { name: 'line 0', args: () => ['ask', 'src/app.ts:0'], error: () => "malformed range '0': lines are numbered from 1" },
    { name: 'a reversed range', args: () => ['ask', 'src/app.ts:9-3'], error: () => "malformed range '9-3': it starts after it ends" },
    { name: 'a range that is not numbers', args: () => ['ask', 'src/app.ts:ten'], error: () => "malformed range 'ten': expected <line> or <start>-<end>, e.g. 12 or 12-20" },
    { name: 'traversal out of the work tree', args: () => ['ask', `src/../../${path.basename(outside)}/loose.ts`], error: () => `${path.join(outside, 'loose.ts')} is outside the repository (${repo.root})` },
    { name: 'an absolute path outside', args: () => ['ask', '/etc/hostname'], error: () => `/etc/hostname is outside the repository (${repo.root})` },
    { name: 'a symlinked directory leading outside', args: () => ['ask', 'escape/loose.ts'], error: () => `escape/loose.ts is outside the repository (${repo.root})` },
    { name: 'a symlink to a file outside', args: () => ['ask', 'hostname'], error: () => `hostname is outside the repository (${repo.root})` },
    { name: 'the repository root', args: () => ['ask', '.'], error: () => `. is the repository's root (${repo.root}), a directory, not a file` },
    { name: 'a directory', args: () => ['ask', 'src'], error: () => 'src is a directory, not a file' },
    { name: 'a submodule', args: () => ['ask', 'vendor/lib'], error: () => 'vendor/lib is a submodule: its history is in its own repository; ask about a file inside it' },
    { name: 'a bare repository', args: () => ['ask', 'a.ts'], cwd: () => bare, error: () => 'a.ts is in a git directory, not a work tree (a bare repository has no files to ask about)' },
    { name: 'inside .git', args: () => ['ask', 'HEAD'], cwd: () => repo.path('.git'), error: () => 'HEAD is in a git directory, not a work tree (a bare repository has no files to ask about)' },
    { name: 'a 100 KB question', args: () => ['ask', 'src/app.ts:3', question100k], error: () => 'the question is 99,999 characters long; AIL takes questions of up to 4,000' },
    { name: 'a unicode file name', args: () => ['ask', 'docs/ünïcödé naïve.md:1'], first: () => 'docs/ünïcödé naïve.md:1  Why does this code exist?' },
    { name: 'control characters in the question', args: () => ['ask', 'src/app.ts:120', 'why \x1b]0;TITLE\x07 \x1b[2J\x1b[6n?'], first: () => 'src/app.ts:120  why \\x1b]0;TITLE\\x07 \\x1b[2J\\x1b[6n?' },
    { name: 'the last line of a 50 MB file', args: () => ['ask', `big.csv:${big}`], first: () => `big.csv:${big}  Why does this code exist?` },
    { name: 'a shallow clone', args: () => ['ask', 'a.ts:1'], cwd: () => shallow, first: () => 'a.ts:1  Why does this code exist?' },
  ];

  for (const row of rows) {
    it(`${row.name}: ${row.error ? 'one sentence, exit 2' : 'an answer'}, and no process left behind`, async () => {
      const result = await runCli(row.args(), { cwd: row.cwd?.() ?? repo.root, env: { AIL_COMMIT_GRAPH: 'false' } });
      if (row.error) {
        expect({ stdout: result.stdout, stderr: result.stderr, code: result.code }).toEqual({ stdout: '', stderr: `ail: ${row.error()}\n`, code: 2 });
      } else {
        // Slow under load, a one-shot may say how long its blame took or that it finishes a line history for the next ask: nothing else.
        const notes = /^ail: (blaming .* took .*|finishing the line history of .* for the next ask \(Ctrl-C skips it\))\n/gm;
        expect({ first: result.stdout.split('\n')[0], stderr: result.stderr.replace(notes, ''), code: result.code }).toEqual({ first: row.first!(), stderr: '', code: 0 });
        expect(result.stdout).not.toMatch(/[\x07\x1b]/);
      }
      for (const root of roots) expect(processesIn(root)).toEqual([]);
    });
  }

  it('answers on a detached HEAD, at that commit', async () => {
    repo.git('checkout', '-q', '--detach', 'HEAD~1');
    try {
      const result = await runCli(['ask', 'src/app.ts:120'], { cwd: repo.root, env: { AIL_COMMIT_GRAPH: 'false' } });
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('Bound the app at twenty');
      expect(result.stdout).toContain(`at ${repo.head().slice(0, 7)}`);
    } finally {
      repo.git('checkout', '-q', 'main');
    }
    expect(processesIn(repo.root)).toEqual([]);
  });
});
