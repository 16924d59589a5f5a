import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRepository } from '../server/bench/generate';
import { parsePorcelain } from '../server/git/blame';
import type { Blamer, TracedBlame } from '../server/git/blamer';
import { RepositoryRegistry } from '../server/git/registry';
import type { Repository } from '../server/git/repository';
import { changedFiles } from '../server/git/trees';
import { textOf } from '../server/util/slices';
import { ALICE, BOB, Fixture } from './helpers/fixture';

/**
 * AIL blames with `-w -M` and runs git's copy search (`-C`) only when a check shows it could change
 * something. These tests hold that shortcut to its promise: line for line, the same answer as
 * `git blame -w -M -C` itself, on histories built to need the copy search and on ones built not to.
 */

interface RawLine {
  sha: string;
  origLine: number;
  filename: string;
}

/** `git blame --line-porcelain`, read by the simplest parser there is (every line carries everything). */
function rawBlame(root: string, file: string, ignored: string[], range?: [number, number]): RawLine[] {
  const args = ['blame', '--line-porcelain', '-w', '-M', '-C', '--no-ignore-revs-file', ...ignored.flatMap((sha) => ['--ignore-rev', sha])];
  if (range) args.push('-L', `${range[0] + 1},${range[1] + 1}`);
  const output = execFileSync('git', [...args, 'HEAD', '--', file], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 28 });
  const result: RawLine[] = [];
  let current: RawLine = { sha: '', origLine: 0, filename: '' };
  for (const line of output.split('\n')) {
    const header = /^([0-9a-f]{40}) (\d+) (\d+)/.exec(line);
    if (header) current = { sha: header[1]!, origLine: Number(header[2]), filename: '' };
    else if (line.startsWith('filename ')) current.filename = line.slice('filename '.length);
    else if (line.startsWith('\t')) result.push(current);
  }
  return result;
}

function oursPerLine(blame: TracedBlame, start: number, end: number): RawLine[] {
  const result: RawLine[] = [];
  for (let line = start; line <= end; line++) {
    const commit = blame.commits[blame.lineCommit[line]!]!;
    result.push({ sha: commit.sha, origLine: blame.originalLine[line]!, filename: commit.filename });
  }
  return result;
}

async function compareFile(repo: Repository, blamer: Blamer, file: string, range?: [number, number]): Promise<void> {
  const head = await repo.requireHead();
  const headFile = await repo.headFile(file, head);
  const request = { path: file, head, blob: headFile.blob, ...(range ? { lines: { start: range[0], end: range[1] } } : {}) };
  const ours = await blamer.blame(request);
  const raw = rawBlame(repo.root, file, [...ours.cosmetic.keys()], range);
  const [start, end] = range ?? [0, headFile.lineCount - 1];
  expect(oursPerLine(ours, start, end), `${file}${range ? `:${range[0] + 1}-${range[1] + 1}` : ''}`).toEqual(raw);
}

const CHECKSUM = [
  'export function checksum(data: Uint8Array): number {',
  '  let sum = 0x811c9dc5;',
  '  for (const byte of data) sum = Math.imul(sum ^ byte, 16777619) >>> 0;',
  '  return sum;',
  '}',
];
const PARSE = [
  'export function parseHeader(line: string): [string, string] {',
  '  const colon = line.indexOf(":");',
  '  return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];',
  '}',
];

describe('blame without the copy search, when it cannot matter', () => {
  let repo: Fixture;
  let registry: RepositoryRegistry;
  const sha: Record<string, string> = {};

  beforeAll(() => {
    repo = Fixture.create();
    repo.write('src/util.ts', ['// helpers', ...CHECKSUM, '', ...PARSE, 'export const VERSION = "1";']);
    repo.write('src/base.ts', ['export const base = 1;', ...PARSE.map((line) => line.replace('parseHeader', 'parseBase'))]);
    repo.write('src/consts.ts', ['export const a = 1;', 'x = 1;', 'export const b = 2;']);
    repo.write('src/indent.ts', ['export function limit(n: number): number {', 'if (n > 10) {', 'return 10;', '}', 'return n;', '}']);
    repo.write('src/move.ts', ['function first(): string {', '  return "the first function of this file";', '}', '', 'function second(): string {', '  return "the second function of this file";', '}']);
    repo.write('src/old.ts', ['export const renamedValue = "kept through the rename";', 'export const other = 2;']);
    repo.write('src/source.ts', ['export const keep = true;', ...PARSE.map((line) => line.replace('parseHeader', 'parseLine'))]);
    repo.write('src/target.ts', ['export const target = true;']);
    sha.initial = repo.commit('Add the helpers');

    // Code moved to a new file: the copy search must find it in util.ts.
    repo.write('src/util.ts', ['// helpers', ...PARSE, 'export const VERSION = "1";']);
    repo.write('src/hash.ts', ['// hashing, moved out of util', ...CHECKSUM]);
    sha.split = repo.commit('Split hashing out of util', BOB);

    // A short line copied from a file changed in the same commit: too small for git to move.
    repo.write('src/consts.ts', ['export const a = 1;', 'export const b = 2;']);
    repo.write('src/short.ts', ['x = 1;', 'export const shortFile = "a new file with one copied short line";']);
    sha.short = repo.commit('Move x into its own file');

    // A block that also exists in a file this commit does not touch: plain -C does not look there.
    repo.write('src/dup.ts', ['// a copy of base, which this commit leaves alone', ...PARSE.map((line) => line.replace('parseHeader', 'parseBase'))]);
    sha.dup = repo.commit('Duplicate the base parser');

    // Re-indented only: -w sees through it.
    repo.write('src/indent.ts', ['export function limit(n: number): number {', '  if (n > 10) {', '    return 10;', '  }', '  return n;', '}']);
    sha.indent = repo.commit('Indent limit');

    // Functions swapped inside a file: -M.
    repo.write('src/move.ts', ['function second(): string {', '  return "the second function of this file";', '}', '', 'function first(): string {', '  return "the first function of this file";', '}']);
    sha.swap = repo.commit('Swap the functions');

    // A rename with an edit.
    repo.move('src/old.ts', 'lib/new.ts');
    repo.write('lib/new.ts', ['export const renamedValue = "kept through the rename";', 'export const other = 3;']);
    sha.rename = repo.commit('Move old to lib/new and bump other');

    // A block moved into an existing file, re-indented on the way: -w and -C together.
    repo.write('src/source.ts', ['export const keep = true;']);
    repo.write('src/target.ts', ['export const target = true;', 'export namespace Lines {', ...PARSE.map((line) => `  ${line.replace('parseHeader', 'parseLine')}`), '}']);
    sha.moveInto = repo.commit('Move parseLine into target');

    // A merge that resolves a conflict with a line of its own.
    repo.git('checkout', '-q', '-b', 'side');
    repo.write('src/consts.ts', ['export const a = 10;', 'export const b = 2;']);
    repo.commit('Raise a on the side', BOB);
    repo.git('checkout', '-q', 'main');
    repo.write('src/consts.ts', ['export const a = 100;', 'export const b = 2;']);
    repo.commit('Raise a on main');
    try {
      repo.gitCommitting(ALICE, 'merge', '-q', 'side', '-m', 'Merge side');
    } catch {
      repo.write('src/consts.ts', ['export const a = 1000; // both sides agreed on more', 'export const b = 2;']);
      repo.git('add', '-A');
      sha.merge = repo.gitCommitting(ALICE, 'commit', '-q', '--no-edit');
    }
    registry = new RepositoryRegistry();
  });
  afterAll(async () => {
    await registry.dispose();
    repo.cleanup();
  });

  it('blames every file exactly as git blame -w -M -C does', async () => {
    const { repo: repository, blamer } = await registry.forDirectory(repo.root);
    const files = repo.git('ls-files').trim().split('\n');
    for (const file of files) await compareFile(repository, blamer, file);
    // Both roads were taken: the copy search where code was moved between files, the shortcut elsewhere.
    expect(blamer.copySearches.run).toBeGreaterThanOrEqual(2);
    expect(blamer.copySearches.skipped).toBeGreaterThanOrEqual(6);
  });

  it('blames ranges exactly as git blame -w -M -C -L does', async () => {
    const { repo: repository, blamer } = await registry.forDirectory(repo.root);
    blamer.clear();
    const ranges: [string, [number, number]][] = [
      ['src/hash.ts', [1, 5]],
      ['src/hash.ts', [0, 0]],
      ['src/target.ts', [2, 4]],
      ['src/short.ts', [0, 1]],
      ['src/dup.ts', [1, 4]],
      ['src/indent.ts', [1, 3]],
      ['src/move.ts', [0, 6]],
      ['lib/new.ts', [0, 1]],
      ['src/consts.ts', [0, 0]],
    ];
    for (const [file, range] of ranges) await compareFile(repository, blamer, file, range);
  });

  it('blames unsaved text exactly as git blame -w -M -C --contents does', async () => {
    const { repo: repository, blamer } = await registry.forDirectory(repo.root);
    const head = await repository.requireHead();
    const headFile = await repository.headFile('src/target.ts', head);
    // A block pasted from another file, and an edit, not committed yet.
    const contents = `${(await textOf(headFile.text)).replace('export const target = true;', 'export const target = false;')}${CHECKSUM.join('\n')}\n`;
    const ours = await blamer.blame({ path: 'src/target.ts', head, blob: headFile.blob, contents });
    const raw = execFileSync('git', ['blame', '--line-porcelain', '-w', '-M', '-C', '--no-ignore-revs-file', '--contents', '-', '--', 'src/target.ts'], {
      cwd: repo.root,
      encoding: 'utf8',
      input: contents,
    });
    const expected = raw
      .split('\n')
      .filter((line) => /^[0-9a-f]{40} \d+ \d+/.test(line))
      .map((line) => line.split(' ').slice(0, 2).join(' '));
    const lineCount = contents.split('\n').length - 1;
    const actual = Array.from({ length: lineCount }, (_, line) => `${ours.commits[ours.lineCommit[line]!]!.sha} ${ours.originalLine[line]}`);
    expect(actual).toEqual(expected);
    expect(actual[0]!.startsWith('0000000')).toBe(true);
  });

  it('names the file moved code came from', async () => {
    const { repo: repository, blamer } = await registry.forDirectory(repo.root);
    const head = await repository.requireHead();
    const headFile = await repository.headFile('src/hash.ts', head);
    const blame = await blamer.blame({ path: 'src/hash.ts', head, blob: headFile.blob, lines: { start: 1, end: 5 } });
    const commit = blame.commits[blame.lineCommit[2]!]!;
    expect(commit.sha).toBe(sha.initial);
    expect(commit.filename).toBe('src/util.ts');
  });
});

describe('tracing through cosmetic commits', () => {
  it('blames the lines a cosmetic commit took again from that commit, as git --ignore-rev from HEAD does', async () => {
    const repo = Fixture.create();
    const registry = new RepositoryRegistry();
    try {
      const clamp = (quote: string, end: string, indent: string, low = 'low') => [
        'export function clamp(n: number, low: number, high: number): number {',
        `${indent}if (low > high) throw new RangeError(${quote}low above high${quote})${end}`,
        `${indent}if (n < low) return ${low}${end}`,
        `${indent}if (n > high) return high${end}`,
        `${indent}return n${end}`,
        '}',
      ];
      repo.write('src/limits.ts', ['// limits', ...clamp("'", '', '')]);
      const written = repo.commit('Clamp values to a range', ALICE);
      // Two formatting passes; the quotes only on one line, which is traced through both in turn.
      repo.write('src/limits.ts', ['// limits', ...clamp("'", ';', '  ')]);
      const semicolons = repo.commit('Format with semicolons', BOB);
      repo.write('src/limits.ts', ['// limits', ...clamp('"', ';', '  ')]);
      const quotes = repo.commit('Use double quotes', BOB);
      // Then the lines move down and the file moves: they stand elsewhere in the cosmetic commits than at HEAD.
      repo.write('src/limits.ts', ['// limits', '// Bounds for user-supplied numbers.', '// Used by the parser and the API.', '', ...clamp('"', ';', '  ')]);
      repo.commit('Document limits');
      repo.move('src/limits.ts', 'lib/limits.ts');
      repo.write('lib/limits.ts', ['// limits', '// Bounds for user-supplied numbers.', '// Used by the parser and the API.', '', ...clamp('"', ';', '  ', 'Math.floor(low)')]);
      const floored = repo.commit('Move limits to lib and floor the low bound');

      const { repo: repository, blamer } = await registry.forDirectory(repo.root);
      const head = await repository.requireHead();
      const headFile = await repository.headFile('lib/limits.ts', head);
      for (const lines of [{ start: 4, end: 9 }, { start: 5, end: 5 }, undefined]) {
        blamer.clear();
        const ours = await blamer.blame({ path: 'lib/limits.ts', head, blob: headFile.blob, ...(lines ? { lines } : {}) });
        expect(new Set(ours.cosmetic.keys()), JSON.stringify(lines)).toEqual(new Set([semicolons, quotes]));
        const raw = rawBlame(repo.root, 'lib/limits.ts', [...ours.cosmetic.keys()], lines && [lines.start, lines.end]);
        const [start, end] = lines ? [lines.start, lines.end] : [0, headFile.lineCount - 1];
        expect(oursPerLine(ours, start, end), JSON.stringify(lines)).toEqual(raw);
      }
      // What the reader gets: the function is Alice's, at the lines she wrote it on, but for the line changed since.
      blamer.clear();
      const range = await blamer.blame({ path: 'lib/limits.ts', head, blob: headFile.blob, lines: { start: 4, end: 9 } });
      const perLine = oursPerLine(range, 4, 9).map((line) => `${line.sha === written ? 'written' : line.sha === floored ? 'floored' : line.sha} ${line.filename}:${line.origLine}`);
      expect(perLine).toEqual(['written src/limits.ts:2', 'written src/limits.ts:3', 'floored lib/limits.ts:7', 'written src/limits.ts:5', 'written src/limits.ts:6', 'written src/limits.ts:7']);
      blamer.clear();
      const quoted = await blamer.blame({ path: 'lib/limits.ts', head, blob: headFile.blob, lines: { start: 5, end: 5 } });
      expect(quoted.traced.get(5)).toEqual([quotes, semicolons]);
    } finally {
      await registry.dispose();
      repo.cleanup();
    }
  });
});

describe('blame without the copy search, on a generated history', () => {
  let root: string;
  let registry: RepositoryRegistry;

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'ail-generated-'));
    await generateRepository(root, { commits: 400, files: 24, seed: 5 });
    registry = new RepositoryRegistry();
  }, 60_000);
  afterAll(async () => {
    await registry.dispose();
    rmSync(root, { recursive: true, force: true });
  });

  it('agrees with git blame -w -M -C on every line of every file', async () => {
    const { repo, blamer } = await registry.forDirectory(root);
    const files = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).trim().split('\n');
    for (const file of files) await compareFile(repo, blamer, file);
    expect(blamer.copySearches.skipped).toBeGreaterThan(0);
  }, 60_000);

  it('lists the files each commit changed as git diff-tree does', async () => {
    const { repo } = await registry.forDirectory(root);
    const shas = execFileSync('git', ['rev-list', '--no-merges', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim().split('\n').slice(0, -1);
    for (const sha of shas.slice(0, 120)) {
      const commit = (await repo.commit(sha))!;
      const parent = (await repo.commit(commit.parents[0]!))!;
      const ours = await changedFiles(repo.objects, parent.tree, commit.tree, 10_000);
      const expected = execFileSync('git', ['diff-tree', '-r', '--no-renames', '--no-commit-id', parent.sha, sha], { cwd: root, encoding: 'utf8' })
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [meta, file] = line.split('\t');
          const [, , oldOid, , status] = meta!.split(' ');
          return { path: file!, oid: oldOid!, status: status! };
        })
        .filter((entry) => entry.status !== 'A')
        .map(({ path: file, oid }) => ({ path: file, oid }));
      expect(ours === 'too-many' ? ours : [...ours].sort((a, b) => a.path.localeCompare(b.path)), sha).toEqual(expected.sort((a, b) => a.path.localeCompare(b.path)));
    }
  });
});

describe('blame output', () => {
  it('reads porcelain and incremental output alike, a commit under two paths included', () => {
    const repo = Fixture.create();
    try {
      repo.write('a.ts', ['// a', ...CHECKSUM]);
      repo.write('b.ts', ['// b', '// b ends']);
      const added = repo.commit('Add a and b');
      repo.write('a.ts', ['// a, hashing moved']);
      repo.write('b.ts', ['// b', ...CHECKSUM, '// b ends']);
      repo.commit('Move hashing to b');
      const run = (format: string) => execFileSync('git', ['blame', format, '-w', '-M', '-C', 'HEAD', '--', 'b.ts'], { cwd: repo.root, encoding: 'utf8' });
      const expected = rawBlame(repo.root, 'b.ts', []);
      // One commit, two paths: b.ts's own lines, and the lines it wrote in a.ts that moved here.
      expect(new Set(expected.map((line) => `${line.sha === added ? 'added' : 'other'} ${line.filename}`))).toEqual(new Set(['added a.ts', 'added b.ts']));
      for (const format of ['--porcelain', '--incremental']) {
        const blame = parsePorcelain(run(format));
        const lines = expected.map((_, line) => {
          const commit = blame.commits[blame.lineCommit[line]!]!;
          return { sha: commit.sha, origLine: blame.originalLine[line]!, filename: commit.filename };
        });
        expect(lines, format).toEqual(expected);
      }
    } finally {
      repo.cleanup();
    }
  });
});
