import { existsSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchaeologyProvider } from '../server/archaeology/provider';
import { bandOf } from '../server/archaeology/rank';
import { RepositoryRegistry } from '../server/git/registry';
import { Fixture, lines } from './helpers/fixture';
import { runCli } from './helpers/cli';

const registry = new RepositoryRegistry();
const provider = new ArchaeologyProvider({ registry });
afterAll(() => registry.dispose());

/** A repository is untrusted input: its config and attributes must not run anything through AIL. */
describe('a repository whose config tries to run commands', () => {
  const repo = Fixture.create();
  const marker = (name: string) => repo.path(`.git/PWNED-${name}`);
  beforeAll(() => {
    repo.write('.gitattributes', ['*.ts filter=evil diff=evil']);
    repo.write('src/a.ts', lines(5));
    repo.commit('Add a');
    repo.write('src/a.ts', [...lines(5), 'six']);
    repo.commit('Extend a with a sixth line for the parser');
    const touch = (name: string) => `touch '${marker(name)}'; cat`;
    repo.git('config', 'core.fsmonitor', touch('fsmonitor'));
    repo.git('config', 'core.pager', touch('pager'));
    repo.git('config', 'pager.blame', touch('pager-blame'));
    repo.git('config', 'pager.log', touch('pager-log'));
    repo.git('config', 'filter.evil.clean', touch('clean'));
    repo.git('config', 'filter.evil.smudge', touch('smudge'));
    repo.git('config', 'diff.evil.textconv', touch('textconv'));
    repo.git('config', 'diff.evil.command', touch('extdiff'));
    repo.git('config', 'diff.external', touch('diff-external'));
    repo.git('config', 'log.showSignature', 'true');
    repo.git('config', 'gpg.program', touch('gpg'));
  });
  afterAll(() => repo.cleanup());

  const markers = () => readdirSync(repo.path('.git')).filter((name) => name.startsWith('PWNED-'));

  it('runs none of them for a committed file, unsaved text, or the CLI', async () => {
    const committed = await provider.ask({ path: repo.path('src/a.ts'), lines: { start: 5, end: 5 }, timeLimitMs: 10_000 });
    expect(committed.evidence[0]!.commit.subject).toBe('Extend a with a sixth line for the parser');
    const unsaved = await provider.ask({ path: repo.path('src/a.ts'), contents: [...lines(5), 'six', 'seven'].join('\n') + '\n', timeLimitMs: 10_000 });
    expect(unsaved.uncommittedLines).toBe(1);
    const whole = await provider.ask({ path: repo.path('src/a.ts'), timeLimitMs: 10_000 });
    expect(whole.timeline.commitCount).toBe(2);
    const cli = await runCli(['ask', 'src/a.ts:6', 'why?'], { cwd: repo.root, tty: false });
    expect(cli.code).toBe(0);
    expect(markers()).toEqual([]);
    // The marker path itself works: git run by hand does create it, so the assertion above can fail.
    repo.git('status');
    expect(existsSync(marker('fsmonitor'))).toBe(true);
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
