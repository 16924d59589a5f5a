import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relativeTime } from '../shared/format';
import { startFastImport } from '../server/bench/fast-import';
import type { ArchaeologyContext } from '../shared/types';
import { runCli } from './helpers/cli';
import { BOB, Fixture, lines } from './helpers/fixture';
import { HOSTILE_MESSAGE, HOSTILE_SUBJECT, MALLORY, NEWLINE_FILE, RAW_CONTROLS, SHOWN_NAME, SHOWN_SUBJECT } from './helpers/hostile';

describe('ail ask', () => {
  const repo = Fixture.create();
  const elsewhere = realpathSync(mkdtempSync(path.join(tmpdir(), 'ail-cwd-')));
  let sha = '';
  beforeAll(() => {
    repo.write('README.md', ['# Demo', '', 'Explains the demo.']);
    repo.commit('Add a README');
    repo.write('src/retry.ts', lines(120));
    sha = repo.commit('Retry idempotent requests up to three times (#12)\n\nUpstream drops one request in a thousand.\n\nFixes #7', BOB);
  });
  afterAll(() => {
    repo.cleanup();
    rmSync(elsewhere, { recursive: true, force: true });
  });

  it('answers a person in readable text', async () => {
    const result = await runCli(['ask', 'src/retry.ts:10-12', 'why', 'retry?'], { cwd: repo.root });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('src/retry.ts:10-12');
    expect(result.stdout).toContain(`Lines 10–12 come from ${sha.slice(0, 7)} “Retry idempotent requests up to three times” (#12) by Bob Builder`);
    expect(result.stdout).toContain('#12');
    expect(result.stdout).toContain('closes #7');
    expect(result.stdout).toMatch(/Confidence: 0\.\d+ \(high\)/);
    expect(result.stdout).not.toContain('\x1b['); // no colour when not on a terminal
  });

  it('prints one ArchaeologyContext with --json', async () => {
    const result = await runCli(['ask', 'src/retry.ts:5', '--json'], { cwd: repo.root });
    expect(result.code).toBe(0);
    const context = JSON.parse(result.stdout) as ArchaeologyContext;
    expect(context.file).toBe('src/retry.ts');
    expect(context.range).toEqual({ start: { line: 4, character: 0 }, end: { line: 5, character: 0 } });
    expect(context.question).toBe('Why does this code exist?');
    expect(context.headSha).toBe(sha);
    expect(context.evidence[0]!.commit.sha).toBe(sha);
    expect(context.evidence[0]!.pullRequest?.number).toBe(12);
    expect(context.evidence[0]!.issues).toEqual([{ number: 7 }]);
    expect(context.source).toBe('cold');
    expect(context.warnings).toEqual([]);
  });

  it('takes a position pasted from a compiler or a stack trace, path:line:column, as that line', async () => {
    const result = await runCli(['ask', 'src/retry.ts:5:17', '--json'], { cwd: repo.root });
    expect(result.stderr).toBe('');
    const context = JSON.parse(result.stdout) as ArchaeologyContext;
    expect(context.file).toBe('src/retry.ts');
    expect(context.range).toEqual({ start: { line: 4, character: 0 }, end: { line: 5, character: 0 } });
  });

  it('takes --repo from another directory', async () => {
    const result = await runCli(['ask', 'README.md:1', '--repo', repo.root, '--json'], { cwd: elsewhere });
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as ArchaeologyContext).evidence[0]!.commit.subject).toBe('Add a README');
  });

  const bad: { args: string[]; cwd?: () => string; message: string }[] = [
    { args: ['ask', 'src/retry.ts:900'], message: 'ail: line 900 is past the end of the file (120 lines)\n' },
    { args: ['ask', 'src/retry.ts:abc'], message: "ail: malformed range 'abc': expected <line> or <start>-<end>, e.g. 12 or 12-20\n" },
    { args: ['ask', 'src/retry.ts:0'], message: "ail: malformed range '0': lines are numbered from 1\n" },
    { args: ['ask', 'src/retry.ts:9-3'], message: "ail: malformed range '9-3': it starts after it ends\n" },
    { args: ['ask', '../../etc/passwd'], message: `ail: /etc/passwd is outside the repository (${'ROOT'})\n` },
    { args: ['ask', 'src/missing.ts:1'], message: 'ail: src/missing.ts does not exist: not at HEAD, and not in any commit before it\n' },
    { args: ['ask', '.'], message: "ail: . is the repository's root (ROOT), a directory, not a file\n" },
    { args: ['ask', 'src'], message: 'ail: src is a directory, not a file\n' },
    { args: ['ask', 'src/no\nsuch.ts'], message: 'ail: src/no\\nsuch.ts does not exist: not at HEAD, and not in any commit before it\n' },
    { args: ['ask', 'README.md', '--frobnicate'], message: 'ail: unknown option --frobnicate (ail ask takes --repo DIR and --json)\n' },
    { args: ['ask'], message: 'ail: ail ask needs a file: ail ask <path>[:<line>[-<line>]] [question...]\n' },
    { args: ['ask', 'loose.txt'], cwd: () => elsewhere, message: 'ail: loose.txt is not in a git repository\n' },
  ];

  it.each(bad)('refuses $args with exit 2 and one line', async ({ args, cwd, message }) => {
    const result = await runCli(args, { cwd: cwd?.() ?? repo.root });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(message.replace('ROOT', repo.root).replace('ELSEWHERE', elsewhere));
  });

  it('shows an unknown command with its control characters visible', async () => {
    const result = await runCli(['x\x1b[2J'], { cwd: repo.root });
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')[0]).toBe("ail: unknown command 'x\\x1b[2J'");
  });

  it('says git was not found when it is not on PATH', async () => {
    const result = await runCli(['ask', 'README.md:1'], { cwd: repo.root, env: { PATH: path.join(repo.root, 'no-git-here') } });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe("ail: git was not found (tried 'git'); install git or put it on PATH\n");
  });

  it('refuses a bad setting by its name', async () => {
    const result = await runCli(['ask', 'README.md:1'], { cwd: repo.root, env: { AIL_MAX_QUERY_TIME_S: 'soon' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('ail: AIL_MAX_QUERY_TIME_S must be a number from 0.05 to 600 (got "soon")\n');
  });
});

describe('ail ask on a line with a long history', () => {
  let root = '';
  // A limit on line 101 raised every 250 commits, a counter on line 1 bumped by every commit: blame of
  // line 101 stops at the last raise, while its line history (30 raises) walks 7,500 commits back.
  beforeAll(async () => {
    root = realpathSync(mkdtempSync(path.join(tmpdir(), 'ail-deep-')));
    execFileSync('git', ['init', '-q', '-b', 'main', root]);
    const importer = startFastImport(root);
    const lines = Array.from({ length: 120 }, (_, i) => `line ${i + 1}`);
    const data = (text: string) => `data ${Buffer.byteLength(text)}\n${text}\n`;
    for (let c = 1; c <= 8000; c++) {
      lines[0] = `counter ${c}`;
      if (c % 250 === 0) lines[100] = `limit ${c / 250}`;
      const message = c % 250 === 0 ? `Raise the limit to ${c / 250}: load test ${c / 250} passed` : `Bump the counter to ${c}`;
      await importer.write(`commit refs/heads/main\ncommitter Alice <alice@example.com> ${1_600_000_000 + c * 60} +0000\n${data(message)}M 100644 inline limits.txt\n${data(`${lines.join('\n')}\n`)}`);
    }
    await importer.write('done\n');
    await importer.finish();
    execFileSync('git', ['reset', '-q', '--hard', 'main'], { cwd: root });
  }, 60_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('waits for the whole line history: a one-shot process has no later question to finish it for', async () => {
    const result = await runCli(['ask', 'limits.txt:101', 'why this limit?', '--json'], { cwd: root });
    expect(result.stderr).toBe('');
    const context = JSON.parse(result.stdout) as ArchaeologyContext;
    expect(context.partial).toBeUndefined();
    expect(context.warnings).not.toContain('line-history-incomplete');
    expect(context.evidence[0]!.commit.subject).toBe('Raise the limit to 32: load test 32 passed');
    expect(context.evidence.filter((item) => item.reasons.includes('line-history'))).toHaveLength(5);
  });
});

/** A repository is untrusted input: its text reaches the terminal only with control characters made visible. */
describe('ail ask on a hostile history', () => {
  const repo = Fixture.create('ail-hostile-');
  let sha = '';
  beforeAll(() => {
    repo.write('app.ts', lines(3));
    repo.write(NEWLINE_FILE, lines(3));
    sha = repo.commit(HOSTILE_MESSAGE, MALLORY);
  });
  afterAll(() => repo.cleanup());
  const age = () => relativeTime('2021-01-02T12:00:00Z', Date.now());

  it('writes no escape sequence to the terminal: every control character of the history and the question shows as its escape', async () => {
    const result = await runCli(['ask', 'app.ts:1', 'why\x1b]0;Q\x07?'], { cwd: repo.root });
    expect(result.stderr).toBe('');
    expect(result.stdout).not.toMatch(RAW_CONTROLS);
    const out = result.stdout.split('\n');
    expect(out[0]).toBe('app.ts:1  why\\x1b]0;Q\\x07?');
    expect(out[2]).toBe(
      `Line 1 comes from ${sha.slice(0, 7)} “${SHOWN_SUBJECT}” by ${SHOWN_NAME}, ${age()}. The commit says: “Because \\u202eexe.txt is *fine*.\\x1b[31m”`,
    );
    expect(out).toContain(` 1. ${sha.slice(0, 7)}  2021-01-02  ${SHOWN_NAME}  ${SHOWN_SUBJECT}`);
    expect(out).toContain(`Authors: ${SHOWN_NAME} (1 line)`);
  });

  it('prints the raw data with --json, every control character escaped by JSON', async () => {
    const result = await runCli(['ask', 'app.ts:1', 'why\x1b]0;Q\x07?', '--json'], { cwd: repo.root });
    expect(result.stdout).not.toMatch(RAW_CONTROLS);
    expect(result.stdout).toContain('"author": "Mallory\\u001b]0;PWNED\\u0007 \\u001b[2J\\u001b[6n\\u202eliveD"');
    const context = JSON.parse(result.stdout) as ArchaeologyContext;
    expect(context.question).toBe('why\x1b]0;Q\x07?');
    expect(context.evidence[0]!.commit).toMatchObject({ sha, author: MALLORY.name, subject: HOSTILE_SUBJECT });
  });

  it('answers about a file with a newline in its name, and names it on one line', async () => {
    const result = await runCli(['ask', `${NEWLINE_FILE}:2`], { cwd: repo.root });
    expect(result.stderr).toBe('');
    expect(result.stdout.split('\n')[0]).toBe('we\\nird.txt:2  Why does this code exist?');
    expect(result.stdout).toContain(`Line 2 comes from ${sha.slice(0, 7)}`);
    const refused = await runCli(['ask', `${NEWLINE_FILE}.bak`], { cwd: repo.root });
    expect(refused.stderr).toBe('ail: we\\nird.txt.bak does not exist: not at HEAD, and not in any commit before it\n');
  });
});

describe('ail ask in a repository owned by another user', () => {
  // Only root can give a directory away; git refuses it to root as to anyone else.
  it.skipIf(process.getuid?.() !== 0)("says what git says, and how to allow it, without allowing it itself", async () => {
    const repo = Fixture.create('ail-foreign-');
    const home = realpathSync(mkdtempSync(path.join(tmpdir(), 'ail-home-')));
    try {
      repo.write('a.txt', ['a']);
      repo.commit('Add a');
      execFileSync('chown', ['-R', '65534:65534', repo.root]);
      const env = { HOME: home, XDG_CONFIG_HOME: path.join(home, '.config') };
      const result = await runCli(['ask', 'a.txt'], { cwd: repo.root, env });
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(
        `ail: git refuses the repository at ${repo.root}: detected dubious ownership (it belongs to another user); if you trust it, run git config --global --add safe.directory ${repo.root}\n`,
      );
      expect(existsSync(path.join(home, '.gitconfig'))).toBe(false); // trusting it is the user's decision
    } finally {
      repo.cleanup();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
