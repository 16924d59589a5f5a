import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { processStarter, startProcess, type ChildLike, type ProcessStarter } from '../server/git/process';

interface Finished {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

function finish(child: ChildLike, input?: string): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code, signal }),
    );
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

const env = { ...process.env, LC_ALL: 'C' };

describe('starting processes', () => {
  it('uses the posix_spawn addon that npm ci builds', () => {
    // Linux with a compiler is what CI and the README promise; elsewhere Node's spawn is the fallback.
    expect(processStarter()).toBe('posix_spawn');
  });

  describe.each<ProcessStarter>(['posix_spawn', 'node'])('with %s', (starter) => {
    const run = (file: string, args: string[], input?: string, cwd = process.cwd()) => finish(startProcess(file, args, { cwd, env }, starter), input);

    it('gives git its arguments, stdin, stdout, stderr and exit code', async () => {
      const hashed = await run('git', ['hash-object', '--stdin'], 'some text\n');
      expect(hashed).toMatchObject({ code: 0, signal: null, stderr: '' });
      expect(hashed.stdout).toBe(execFileSync('git', ['hash-object', '--stdin'], { input: 'some text\n', encoding: 'utf8' }));

      const failed = await run('git', ['-C', tmpdir(), 'rev-parse', '--verify', 'no-such-revision']);
      expect(failed.code).toBe(128);
      expect(failed.stderr).toMatch(/not a git repository|Needed a single revision/);
    });

    it('starts in the working directory and with the environment given, not this process\'s', async () => {
      const child = startProcess(
        process.execPath,
        ['-e', 'process.stdout.write(process.cwd() + "|" + (process.env.AIL_MARK ?? "none") + "|" + (process.env.AIL_UNSET ?? "none"))'],
        { cwd: tmpdir(), env: { ...env, AIL_MARK: 'set for the child' } },
        starter,
      );
      process.env.AIL_UNSET = 'only in the parent';
      try {
        expect((await finish(child)).stdout).toBe(`${tmpdir()}|set for the child|none`);
      } finally {
        delete process.env.AIL_UNSET;
      }
    });

    it('starts the child with default signal handling (Node itself ignores SIGPIPE)', async () => {
      // A shell cannot undo a signal that was ignored when it started: it would print "alive".
      const result = await run('sh', ['-c', 'kill -PIPE $$; echo alive']);
      expect(result).toMatchObject({ stdout: '', code: null, signal: 'SIGPIPE' });
    });

    it('kills, reaps, and leaves no pipe open behind', async () => {
      const fdsBefore = readdirSync('/proc/self/fd').length;
      const sleeper = startProcess('sleep', ['30'], { cwd: tmpdir(), env }, starter);
      const closed = finish(sleeper);
      expect(sleeper.kill('SIGKILL')).toBe(true);
      expect(await closed).toMatchObject({ code: null, signal: 'SIGKILL' });
      // Reaped: no zombie keeps the pid.
      expect(existsSync(`/proc/${sleeper.pid}`)).toBe(false);
      expect(sleeper.kill('SIGKILL')).toBe(false);

      for (let i = 0; i < 50; i++) await run('git', ['--version']);
      // Node may open a descriptor or two of its own meanwhile; fifty leaked processes would leave 150.
      expect(readdirSync('/proc/self/fd').length).toBeLessThan(fdsBefore + 5);
    });

    it('finds a program along PATH as a shell would, and looks again once it has moved', async () => {
      const dirs = ['first', 'second'].map((name) => {
        const dir = mkdtempSync(path.join(tmpdir(), `ail-path-${name}-`));
        writeFileSync(path.join(dir, 'ail-probe'), `#!/bin/sh\necho ${name}\n`);
        chmodSync(path.join(dir, 'ail-probe'), 0o755);
        return dir;
      });
      const pathEnv = { ...env, PATH: `${dirs.join(path.delimiter)}${path.delimiter}${process.env.PATH}` };
      const probe = async () => (await finish(startProcess('ail-probe', [], { cwd: tmpdir(), env: pathEnv }, starter))).stdout;
      try {
        expect(await probe()).toBe('first\n');
        expect(await probe()).toBe('first\n');
        rmSync(path.join(dirs[0]!, 'ail-probe'));
        expect(await probe()).toBe('second\n');
      } finally {
        for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
      }
    });

    it('reports a program that does not exist as an error event, as Node does', async () => {
      const child = startProcess('ail-no-such-program', [], { cwd: tmpdir(), env }, starter);
      const error = await new Promise<NodeJS.ErrnoException>((resolve) => child.on('error', resolve));
      expect(error).toMatchObject({ code: 'ENOENT', message: 'spawn ail-no-such-program ENOENT', syscall: 'spawn ail-no-such-program', path: 'ail-no-such-program' });
    });
  });
});
