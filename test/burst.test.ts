import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchaeologyProvider } from '../server/archaeology/provider';
import { RepositoryRegistry } from '../server/git/registry';
import { CancelledError } from '../server/util/flight';
import { QueueTicket, Semaphore } from '../server/util/semaphore';
import { BOB, Fixture, lines } from './helpers/fixture';

describe('a semaphore under a burst', () => {
  /** Runs `count` tasks on a semaphore whose one slot is held, then lets them go; returns the order they ran in. */
  async function order(semaphore: Semaphore, names: string[], before?: (tickets: Map<string, QueueTicket>, controllers: Map<string, AbortController>) => void) {
    let release!: () => void;
    const held = semaphore.run(() => new Promise<void>((resolve) => (release = resolve)));
    const ran: string[] = [];
    const tickets = new Map(names.map((name) => [name, new QueueTicket()]));
    const controllers = new Map(names.map((name) => [name, new AbortController()]));
    const runs = names.map((name) =>
      semaphore.run(async () => void ran.push(name), controllers.get(name)!.signal, tickets.get(name)).catch((error: unknown) => {
        if (!(error instanceof CancelledError)) throw error;
        ran.push(`${name} left`);
      }),
    );
    before?.(tickets, controllers);
    release();
    await Promise.all([held, ...runs]);
    return ran;
  }

  it('serves the newest waiter first, or the oldest, as it was built', async () => {
    expect(await order(new Semaphore(1, 'newest-first'), ['a', 'b', 'c'])).toEqual(['c', 'b', 'a']);
    expect(await order(new Semaphore(1), ['a', 'b', 'c'])).toEqual(['a', 'b', 'c']);
  });

  it('lets a waiter whose signal aborts leave at once, and never runs it', async () => {
    const ran = await order(new Semaphore(1, 'newest-first'), ['a', 'b', 'c'], (_, controllers) => controllers.get('b')!.abort());
    expect(ran).toEqual(['b left', 'c', 'a']);
  });

  it('moves a promoted waiter to the front of the line', async () => {
    expect(await order(new Semaphore(1, 'newest-first'), ['a', 'b', 'c'], (tickets) => tickets.get('a')!.promote())).toEqual(['a', 'c', 'b']);
    expect(await order(new Semaphore(1), ['a', 'b', 'c'], (tickets) => tickets.get('c')!.promote())).toEqual(['c', 'a', 'b']);
  });
});

/**
 * Hovers that arrive while every git slot is busy: the lines of one file share one blame, the newest
 * file is blamed first, and a hover cancelled while it waits starts no git process at all.
 */
describe('hovers while git is busy', () => {
  const repo = Fixture.create();
  const log = `${repo.root}-git.log`;
  const wrapper = `${repo.root}-git.sh`;
  let registry: RepositoryRegistry;
  let provider: ArchaeologyProvider;
  const subjects = ['Add the parser', 'Teach the parser comments', 'Teach the parser strings', 'Teach the parser numbers'];
  beforeAll(() => {
    // git itself, run through a script that writes down each command it is started with.
    writeFileSync(wrapper, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec git "$@"\n`, { mode: 0o755 });
    for (const file of ['parser.ts', 'lexer.ts']) {
      repo.write(file, lines(8, file));
      repo.commit(`${subjects[0]} (${file})`);
      for (let i = 1; i < subjects.length; i++) {
        const text = readFileSync(repo.path(file), 'utf8').split('\n');
        text[2 * i] = `${file} ${subjects[i]}`;
        repo.write(file, text.join('\n'));
        repo.commit(`${subjects[i]} (${file})`, BOB);
      }
    }
    registry = new RepositoryRegistry({ gitPath: wrapper, maxConcurrent: 1 });
    provider = new ArchaeologyProvider({ registry });
  });
  afterAll(async () => {
    await registry.dispose();
    repo.cleanup();
    rmSync(log, { force: true });
    rmSync(wrapper, { force: true });
  });

  /** Holds the only git slot until released: hash-object reading a named pipe nobody has written yet. */
  async function holdGit(): Promise<() => Promise<void>> {
    const { repo: opened } = await registry.forDirectory(repo.root);
    const fifo = path.join(repo.root, '.git', `held-${Math.random().toString(36).slice(2)}`);
    execFileSync('mkfifo', [fifo]);
    const held = opened.git.run(['hash-object', fifo]);
    return async () => {
      const fd = openSync(fifo, 'w');
      writeSync(fd, 'held\n');
      closeSync(fd);
      await held;
    };
  }

  const blames = () => readFileSync(log, 'utf8').split('\n').filter((line) => /\bblame\b/.test(line));
  const hover = (file: string, line: number, signal?: AbortSignal) =>
    provider.ask({ path: repo.path(file), lines: { start: line, end: line }, depth: 'quick', timeLimitMs: 20_000, signal });

  it('blames the lines of one file asked meanwhile in one git process, newest file first, and none for a hover cancelled', async () => {
    // The repository is opened and its config read before the burst, so that only blames wait.
    await hover('parser.ts', 0);
    await hover('lexer.ts', 0);
    writeFileSync(log, '');
    const release = await holdGit();
    const cancelled = new AbortController();
    const gone = hover('lexer.ts', 7, cancelled.signal);
    const parser = [2, 3, 4, 6].map((line) => hover('parser.ts', line));
    const lexer = [4, 6].map((line) => hover('lexer.ts', line));
    cancelled.abort();
    await expect(gone).rejects.toBeInstanceOf(CancelledError);
    await release();
    const answers = await Promise.all([...parser, ...lexer]);
    expect(answers.map((answer) => answer.evidence[0]!.commit.subject)).toEqual([
      'Teach the parser comments (parser.ts)',
      'Add the parser (parser.ts)',
      'Teach the parser strings (parser.ts)',
      'Teach the parser numbers (parser.ts)',
      'Teach the parser strings (lexer.ts)',
      'Teach the parser numbers (lexer.ts)',
    ]);
    const started = blames();
    // lexer.ts was asked last: its blame runs first. Line 8 of lexer.ts was cancelled while waiting: not blamed.
    expect(started).toHaveLength(2);
    expect(started[0]).toMatch(/-L 5,5 -L 7,7 .*-- lexer\.ts$/);
    expect(started[1]).toMatch(/-L 3,5 -L 7,7 .*-- parser\.ts$/); // lines next to each other are one range

    // Each line keeps the shared blame as its own: asked again, no git process.
    writeFileSync(log, '');
    expect((await hover('parser.ts', 3)).evidence[0]!.commit.subject).toBe('Add the parser (parser.ts)');
    expect(blames()).toEqual([]);
  });
});
