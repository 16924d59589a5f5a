import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export interface Author {
  name: string;
  email: string;
}

export const ALICE: Author = { name: 'Alice Archer', email: 'alice@example.com' };
export const BOB: Author = { name: 'Bob Builder', email: 'bob@example.com' };
export const CHLOE: Author = { name: 'Chloé Dupré', email: 'chloe@example.com' };

/**
 * A real git repository in a temp directory with a known history. Each commit gets the next day
 * (from 2021-01-01), so dates and SHAs are the same on every run.
 */
export class Fixture {
  private day = 0;

  private constructor(readonly root: string) {}

  static create(prefix = 'ail-fixture-'): Fixture {
    const root = realpathSync(mkdtempSync(path.join(tmpdir(), prefix)));
    const fixture = new Fixture(root);
    fixture.git('init', '-q', '-b', 'main');
    fixture.git('config', 'user.name', ALICE.name);
    fixture.git('config', 'user.email', ALICE.email);
    fixture.git('config', 'commit.gpgsign', 'false');
    return fixture;
  }

  /** Wraps an existing directory (a clone made by a test). */
  static at(root: string): Fixture {
    return new Fixture(realpathSync(root));
  }

  git(...args: string[]): string {
    return execFileSync('git', args, { cwd: this.root, encoding: 'utf8', env: this.env(ALICE), stdio: ['pipe', 'pipe', 'pipe'] });
  }

  write(file: string, content: string | string[]): this {
    const target = path.join(this.root, file);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, Array.isArray(content) ? `${content.join('\n')}\n` : content);
    return this;
  }

  /** Stages everything and commits; returns the new commit's sha. */
  commit(message: string, author: Author = ALICE): string {
    this.git('add', '-A');
    execFileSync('git', ['commit', '-q', '--allow-empty', '-m', message], { cwd: this.root, env: this.env(author, true) });
    return this.head();
  }

  /** `git mv`, creating the target's folder first. */
  move(from: string, to: string): this {
    mkdirSync(path.dirname(this.path(to)), { recursive: true });
    this.git('mv', from, to);
    return this;
  }

  head(): string {
    return this.git('rev-parse', 'HEAD').trim();
  }

  /** Runs a git command that creates commits (merge, cherry-pick) with the next fixed date. */
  gitCommitting(author: Author, ...args: string[]): string {
    execFileSync('git', args, { cwd: this.root, env: this.env(author, true), stdio: ['pipe', 'pipe', 'pipe'] });
    return this.head();
  }

  path(file: string): string {
    return path.join(this.root, file);
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }

  private env(author: Author, advance = false): NodeJS.ProcessEnv {
    if (advance) this.day++;
    const date = new Date(Date.UTC(2021, 0, 1 + this.day, 12, 0, 0)).toISOString();
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('GIT_')) env[key] = value;
    return {
      ...env,
      GIT_AUTHOR_NAME: author.name,
      GIT_AUTHOR_EMAIL: author.email,
      GIT_COMMITTER_NAME: author.name,
      GIT_COMMITTER_EMAIL: author.email,
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_DATE: date,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
    };
  }
}

/** Lines of a small source file, numbered so tests can tell them apart. */
export function lines(count: number, prefix = 'line'): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix} ${i + 1}`);
}
