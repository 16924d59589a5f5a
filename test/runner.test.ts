import { execFileSync } from 'node:child_process';
import { openSync, closeSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
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
});
