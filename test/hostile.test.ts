import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CodeLensRequest, DidChangeTextDocumentNotification, DidOpenTextDocumentNotification, HoverRequest } from 'vscode-languageserver-protocol/node';
import { ContextRequest } from '../shared/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchaeologyProvider } from '../server/archaeology/provider';
import { bandOf } from '../shared/format';
import { CatFileBatch } from '../server/git/catfile';
import { RepositoryRegistry } from '../server/git/registry';
import { GitRunner } from '../server/git/runner';
import { Fixture, lines } from './helpers/fixture';
import { runCli } from './helpers/cli';
import { TestClient } from './helpers/lsp';
import { processesIn } from './helpers/processes';

const registry = new RepositoryRegistry();
const provider = new ArchaeologyProvider({ registry });
afterAll(() => registry.dispose());

const HOOKS = ['pre-commit', 'prepare-commit-msg', 'commit-msg', 'post-commit', 'reference-transaction', 'post-checkout', 'post-index-change', 'post-rewrite'];

/**
 * A repository is untrusted input: its config and attributes must not run anything through AIL. Each
 * entry names a program the repository's config sets, and the plain git command that does run it, so
 * that a marker found missing after AIL's work means AIL ran nothing, not that the marker cannot fire.
 */
describe('a repository whose config tries to run commands', () => {
  const repo = Fixture.create();
  const marker = (name: string) => repo.path(`.git/PWNED-${name}`);
  // git appends its own arguments (a file, a version): cat may complain of them, quietly.
  const touch = (name: string) => `touch '${marker(name)}'; exec cat 2>/dev/null`;
  /** A program file (for settings that name a program, not a shell command). */
  const program = (name: string) => {
    const file = repo.path(`.git/evil-${name}`);
    writeFileSync(file, `#!/bin/sh\ntouch '${marker(name)}'\necho x\n`, { mode: 0o755 });
    return file;
  };
  const credentialInput = 'protocol=https\nhost=example.invalid\n\n';
  const inTerminal = (command: string) => ['script', '-qc', command, '/dev/null'];
  const entries: { name: string; set: () => void; fire: string[]; input?: string }[] = [
    { name: 'fsmonitor', set: () => repo.git('config', 'core.fsmonitor', touch('fsmonitor')), fire: ['git', 'status'] },
    { name: 'pager', set: () => repo.git('config', 'core.pager', touch('pager')), fire: inTerminal('git -p rev-list -1 HEAD') },
    { name: 'pager-blame', set: () => repo.git('config', 'pager.blame', touch('pager-blame')), fire: inTerminal('git blame src/a.ts') },
    { name: 'pager-log', set: () => repo.git('config', 'pager.log', touch('pager-log')), fire: inTerminal('git log -1') },
    { name: 'clean', set: () => repo.git('config', 'filter.evil.clean', touch('clean')), fire: ['git', 'hash-object', '--path=src/a.ts', 'src/a.ts'] },
    { name: 'smudge', set: () => repo.git('config', 'filter.evil.smudge', touch('smudge')), fire: ['git', 'cat-file', '--filters', 'HEAD:src/a.ts'] },
    { name: 'textconv', set: () => repo.git('config', 'diff.evil.textconv', touch('textconv')), fire: ['git', 'show', '--textconv', 'HEAD', '--', 'src/a.ts'] },
    { name: 'extdiff', set: () => repo.git('config', 'diff.evil.command', touch('extdiff')), fire: ['git', 'show', '--ext-diff', 'HEAD', '--', 'src/a.ts'] },
    { name: 'diff-external', set: () => repo.git('config', 'diff.external', touch('diff-external')), fire: ['git', 'show', '--ext-diff', 'HEAD', '--', 'notes.md'] },
    {
      name: 'gpg',
      set: () => {
        repo.git('config', 'log.showSignature', 'true');
        repo.git('config', 'gpg.program', program('gpg'));
      },
      fire: ['git', 'commit', '-q', '-S', '--allow-empty', '-m', 'signed'],
    },
    { name: 'askpass', set: () => repo.git('config', 'core.askPass', program('askpass')), fire: ['git', 'credential', 'fill'], input: credentialInput },
    { name: 'credential', set: () => repo.git('config', 'credential.helper', `!${touch('credential')}`), fire: ['git', 'credential', 'fill'], input: credentialInput },
    { name: 'editor', set: () => repo.git('config', 'core.editor', program('editor')), fire: ['git', 'commit', '-q', '--allow-empty'] },
    { name: 'sequence-editor', set: () => repo.git('config', 'sequence.editor', program('sequence-editor')), fire: ['git', 'rebase', '-q', '-i', 'HEAD~1'] },
    ...HOOKS.map((hook) => ({ name: `hook-${hook}`, set: () => undefined, fire: [] as string[] })),
  ];

  beforeAll(() => {
    repo.write('.gitattributes', ['*.ts filter=evil diff=evil']);
    repo.write('src/a.ts', lines(5));
    repo.write('notes.md', ['notes']);
    repo.commit('Add a');
    repo.write('src/a.ts', [...lines(5), 'six']);
    repo.write('notes.md', ['notes', 'more']);
    repo.commit('Extend a with a sixth line for the parser');
    for (const entry of entries) entry.set();
    const hooks = repo.path('.git/evil-hooks');
    mkdirSync(hooks);
    for (const hook of HOOKS) writeFileSync(path.join(hooks, hook), `#!/bin/sh\ntouch '${marker(`hook-${hook}`)}'\n`, { mode: 0o755 });
    repo.git('config', 'core.hooksPath', hooks);
  });
  afterAll(() => repo.cleanup());

  const markers = () => readdirSync(repo.path('.git')).filter((name) => name.startsWith('PWNED-'));

  it('runs none of them: answers, unsaved text, the CLI, the index, validate and the language server', async () => {
    const committed = await provider.ask({ path: repo.path('src/a.ts'), lines: { start: 5, end: 5 }, timeLimitMs: 10_000 });
    expect(committed.evidence[0]!.commit.subject).toBe('Extend a with a sixth line for the parser');
    const unsaved = await provider.ask({ path: repo.path('src/a.ts'), contents: [...lines(5), 'six', 'seven'].join('\n') + '\n', timeLimitMs: 10_000 });
    expect(unsaved.uncommittedLines).toBe(1);
    const whole = await provider.ask({ path: repo.path('src/a.ts'), timeLimitMs: 10_000 });
    expect(whole.timeline.commitCount).toBe(2);
    const dataDir = mkdtempSync(path.join(tmpdir(), 'ail-hostile-data-'));
    try {
      // No commit-graph write: it is detached on purpose and may outlive the CLI, which the process check would count.
      const env = { AIL_DATA_DIR: dataDir, AIL_ALLOW_MODEL_DOWNLOAD: 'false', AIL_COMMIT_GRAPH: 'false' };
      for (const args of [['ask', 'src/a.ts:6', 'why?'], ['ask', 'notes.md'], ['index'], ['validate']]) {
        const cli = await runCli(args, { cwd: repo.root, env, tty: false });
        expect({ args, code: cli.code }).toEqual({ args, code: 0 });
      }
      const client = await TestClient.start(repo.root, { ...env, AIL_INDEX_ENABLED: 'false' });
      try {
        const uri = pathToFileURL(repo.path('src/a.ts')).href;
        const text = [...lines(5), 'six'].join('\n') + '\n';
        await client.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'typescript', version: 1, text } });
        const hover = await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 5, character: 0 } });
        expect(JSON.stringify(hover)).toContain('Extend a with a sixth line for the parser');
        await client.connection.sendNotification(DidChangeTextDocumentNotification.type, {
          textDocument: { uri, version: 2 },
          contentChanges: [{ range: { start: { line: 6, character: 0 }, end: { line: 6, character: 0 } }, text: 'seven\n' }],
        });
        const edited = await client.connection.sendRequest(ContextRequest.type, { textDocument: { uri }, range: { start: { line: 5, character: 0 }, end: { line: 7, character: 0 } } });
        expect(edited.uncommittedLines).toBe(1);
        await client.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } });
        await client.status((stats) => stats.warming === 0);
      } finally {
        await client.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
    expect(markers()).toEqual([]);
    expect(processesIn(repo.root)).toEqual([]);
  });

  it('would have run each of them through plain git: the markers can fire', () => {
    // As a user's shell has it: no editor or pager chosen by the environment over the repository's config.
    const userEnvironment = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GIT_') && key !== 'PAGER' && key !== 'EDITOR' && key !== 'VISUAL'));
    for (const { fire, input } of entries) {
      if (fire.length === 0) continue;
      try {
        execFileSync(fire[0]!, fire.slice(1), { cwd: repo.root, input: input ?? '', stdio: ['pipe', 'ignore', 'ignore'], env: userEnvironment });
      } catch {
        // a signature, an editor or a rebase that fails still ran the program first
      }
    }
    // The hooks: a commit, an amend, a checkout.
    repo.commit('Proof');
    execFileSync('git', ['commit', '-q', '--allow-empty', '--amend', '-m', 'Proof, amended'], { cwd: repo.root, stdio: 'ignore' });
    repo.git('checkout', '-q', '-b', 'proof');
    expect(markers().sort()).toEqual(entries.map((entry) => `PWNED-${entry.name}`).sort());
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
      const env = { GITHUB_TOKEN: 'ghp_must_not_leak', AIL_COMMIT_GRAPH: 'false' };
      const cli = await runCli(['ask', 'src/a.ts:7', 'why?'], { cwd: clone.root, env, tty: false });
      expect(cli.stderr).toBe('');
      expect(cli.code).toBe(0);
      expect(cli.stdout).toContain(sentence('Line 7'));
      expect(cli.stdout).toMatch(/Warnings: partial-clone/);
      expect(cli.stdout).toContain('partial: this partial clone lacks the older versions blame needs');
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
      expect(processesIn(clone.root)).toEqual([]);
      // The spy does fire when git runs as a user runs it, and sees the token: the assertion above can fail.
      execFileSync('git', ['-c', 'gc.auto=0', '-c', 'maintenance.auto=false', 'blame', '-L', '7,7', 'src/a.ts'], { cwd: clone.root, env: { ...process.env, ...env }, stdio: 'ignore' });
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
    // No background gc or maintenance after the fetch: it would still be writing objects when the clone is removed.
    clone.git('-c', 'gc.auto=0', '-c', 'maintenance.auto=false', 'fetch', '-q', '--refetch', '--no-filter', 'origin');
    const answer = await provider.ask({ path: clone.path('src/a.ts'), lines: { start: 6, end: 6 }, timeLimitMs: 10_000 });
    expect(answer.warnings).not.toContain('partial-clone');
    expect(answer.evidence[0]!.commit.subject).toBe('Extend a with a sixth line for the parser');
  });
});
