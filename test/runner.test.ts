import { execFileSync } from 'node:child_process';
import { openSync, closeSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CatFileBatch } from '../server/git/catfile';
import { GitRunner } from '../server/git/runner';
import { Fixture } from './helpers/fixture';

describe('the git runner', () => {
  const repo = Fixture.create();
  repo.write('a.txt', ['a']);
  repo.commit('Start');
  afterAll(() => repo.cleanup());

  /** A git process that runs until the test lets it finish: hash-object reading a named pipe nobody has written yet. */
  function heldOpen() {
    const fifo = path.join(repo.root, '.git', `held-${Math.random().toString(36).slice(2)}`);
    execFileSync('mkfifo', [fifo]);
    return {
      args: ['hash-object', fifo],
      release: () => {
        const fd = openSync(fifo, 'w');
        writeSync(fd, 'held\n');
        closeSync(fd);
      },
    };
  }

  it('gives git heap slack (MALLOC_TOP_PAD_), and keeps a value the user set', async () => {
    // A shell alias prints the environment git's own children get.
    const envOf = async (runner: GitRunner) => {
      const outcome = await runner.run(['-c', 'alias.showenv=!env', 'showenv']);
      expect(outcome.kind).toBe('ok');
      return outcome.kind === 'ok' ? outcome.stdout : '';
    };
    expect((await envOf(new GitRunner(repo.root))).split('\n')).toContain('MALLOC_TOP_PAD_=1048576');
    const before = process.env.MALLOC_TOP_PAD_;
    process.env.MALLOC_TOP_PAD_ = '131072';
    try {
      expect((await envOf(new GitRunner(repo.root))).split('\n')).toContain('MALLOC_TOP_PAD_=131072');
    } finally {
      if (before === undefined) delete process.env.MALLOC_TOP_PAD_;
      else process.env.MALLOC_TOP_PAD_ = before;
    }
  });

  it('gives git no secret from its environment, nor any way to reach the network', async () => {
    const secrets = { GITHUB_TOKEN: 'ghp_secret', GH_TOKEN: 'gh_secret', NPM_TOKEN: 'npm_secret', AWS_SECRET_ACCESS_KEY: 'aws_secret', DB_PASSWORD: 'hunter2', SSH_AUTH_SOCK: '/tmp/agent' };
    const before = { ...process.env };
    Object.assign(process.env, secrets);
    try {
      const outcome = await new GitRunner(repo.root).run(['-c', 'alias.showenv=!env', 'showenv']);
      expect(outcome.kind).toBe('ok');
      const env = outcome.kind === 'ok' ? outcome.stdout.split('\n') : [];
      for (const name of Object.keys(secrets)) expect(env.filter((line) => line.startsWith(`${name}=`))).toEqual([]);
      expect(env.join('\n')).not.toMatch(/secret|hunter2/);
      // What git itself needs still reaches it; every transport is refused, lazy fetches too.
      expect(env.find((line) => line.startsWith('PATH='))).toMatch(new RegExp(`${process.env.PATH!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)); // git puts its own directory first
      expect(env).toContain(`HOME=${process.env.HOME}`);
      expect(env).toContain('GIT_ALLOW_PROTOCOL=');
      expect(env).toContain('GIT_NO_LAZY_FETCH=1');
    } finally {
      for (const name of Object.keys(secrets)) if (!(name in before)) delete process.env[name];
      Object.assign(process.env, before);
    }
  });

  it('runs background work beside questions, never in the slots they need', async () => {
    const runner = new GitRunner(repo.root, { maxConcurrent: 1 });
    // A background walk that takes long holds the background pool only.
    const walk = heldOpen();
    const background = runner.run(walk.args, { background: true });
    const question = await runner.run(['rev-parse', 'HEAD']);
    expect(question.kind).toBe('ok');

    // A question holding the only foreground slot makes the next question wait, not background work.
    const slow = heldOpen();
    const holding = runner.run(slow.args);
    let waited = false;
    const next = runner.run(['rev-parse', 'HEAD']).then((outcome) => {
      waited = true;
      return outcome;
    });
    walk.release();
    expect((await background).kind).toBe('ok');
    const more = await runner.run(['rev-parse', 'HEAD'], { background: true });
    expect(more.kind).toBe('ok');
    expect(waited).toBe(false);
    slow.release();
    expect((await holding).kind).toBe('ok');
    expect((await next).kind).toBe('ok');
  });

  it('fails the call, and goes on serving, when the code reading the output throws', async () => {
    const runner = new GitRunner(repo.root);
    const outcome = await runner.run(['log', '--format=%H'], {
      onOutput: () => {
        throw new Error('cannot read this');
      },
    });
    expect(outcome).toMatchObject({ kind: 'failed', stderr: 'reading the output failed: cannot read this' });
    expect((await runner.run(['rev-parse', 'HEAD'])).kind).toBe('ok');
  });

  it('reads objects of every size through one cat-file, in the order asked, large ones arriving in many pieces', async () => {
    // Blobs of 0 bytes to 3 MB, some cut anywhere by the pipe, asked for in one go and one at a time.
    const sizes = [0, 1, 100, 65_535, 65_536, 65_537, 700_001, 3_000_000];
    const oids = sizes.map((size, i) => {
      const text = Array.from({ length: size }, (_, k) => String.fromCharCode(97 + ((k * 7 + i) % 26))).join('');
      return { text, oid: execFileSync('git', ['hash-object', '-w', '--stdin'], { cwd: repo.root, input: text, encoding: 'utf8' }).trim() };
    });
    const objects = new CatFileBatch(new GitRunner(repo.root));
    try {
      const asked = [...oids, ...oids.slice().reverse()];
      const together = await Promise.all(asked.map(({ oid }) => objects.read(oid)));
      together.forEach((object, i) => expect(object.kind === 'found' && object.content.toString('latin1') === asked[i]!.text, `object ${i}`).toBe(true));
      for (const { oid, text } of oids) expect((await objects.readText(oid)) === text).toBe(true);
      expect(await objects.read('0'.repeat(40))).toEqual({ kind: 'missing', name: '0'.repeat(40) });
    } finally {
      objects.dispose();
    }
  });
});
