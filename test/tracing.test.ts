import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyLineChange, preImageOf } from '../server/archaeology/mechanical';
import { ArchaeologyProvider } from '../server/archaeology/provider';
import { RepositoryRegistry } from '../server/git/registry';
import type { ArchaeologyContext } from '../shared/types';
import { runCli } from './helpers/cli';
import { ALICE, BOB, CHLOE, Fixture, lines } from './helpers/fixture';
import { gitRecorder } from './helpers/git-recorder';

/**
 * Issue 16's tracing rules: a line whose last commit only reshaped it (formatter, rename, types, a move,
 * a modernisation, a refactor, a message that says nothing) is answered with the commit that wrote what
 * it does, and the answer says what it traced through. Each rule on a small repository where the
 * reshaping commit also changes something else in the file, so that blame's whole-file cosmetic
 * check cannot see through it: only the line's own trace can.
 */

const registry = new RepositoryRegistry();
const provider = new ArchaeologyProvider({ registry });
afterAll(() => registry.dispose());

/** A full answer about one line (1-based), as `ail ask` and the Ask Why panel get it. */
function ask(fixture: Fixture, file: string, line: number, question?: string): Promise<ArchaeologyContext> {
  return provider.ask({ path: fixture.path(file), lines: { start: line - 1, end: line - 1 }, question, timeLimitMs: 30_000 });
}

function short(sha: string | undefined): string {
  return sha!.slice(0, 7);
}

describe('what a commit did to one line', () => {
  const plain = { moved: false, generic: false };
  it('a formatter: quotes, semicolons, trailing commas, parentheses around one parameter', () => {
    expect(classifyLineChange(`items.map((item) => item.name);`, `items.map(item => item.name)`, 'Run prettier', plain)).toBe('formatting');
    expect(classifyLineChange(`call('a', 'b',)`, `call("a", "b")`, 'anything', plain)).toBe('formatting');
  });
  it('a line wrapped: the piece is in the long line, in order', () => {
    expect(classifyLineChange(`if (!(cache ? cacheHas(cache, computed) : includes(arrays[i], computed))) {`, `? cacheHas(cache, computed)`, 'Reduce the length of some lines.', plain)).toBe('formatting');
  });
  it('a consistent rename when the message says so, and not a swapped variable that fixes a bug', () => {
    expect(classifyLineChange(`if (iterator(value, index)) {`, `if (iteratee(value, index)) {`, 'Rename `iterator` to `iteratee`.', plain)).toBe('identifier-rename');
    expect(classifyLineChange(`return total / count;`, `return total / length;`, 'Divide by the length, not the count of pages (#12)', plain)).toBe('substantive');
  });
  it('type annotations added or changed, and a ternary is not one', () => {
    expect(classifyLineChange(`def prepare(self, method, url, cookies=None):`, `def prepare(self, method: str, url: str, cookies: CookieJar | None = None) -> None:`, 'Add inline types', plain)).toBe('annotation');
    expect(classifyLineChange(`const limit = retries ? retries : 3;`, `const limit = retries ? retries : 5;`, 'Retry five times, the proxy drops bursts', plain)).toBe('substantive');
  });
  it('a modernisation or refactor keeps most tokens; one that rewrote the line is substantive', () => {
    expect(classifyLineChange(`val = val.trimRight()`, `val = val.trimEnd()`, 'fix: replace deprecated trimRight() with trimEnd() (#7265)', plain)).toBe('modernisation');
    expect(classifyLineChange(`var proto = this.connection.encrypted`, `const proto = this.socket.encrypted`, 'lib: use req.socket over deprecated req.connection', plain)).toBe('modernisation');
    expect(classifyLineChange(`return cache.get(key) || compute(key);`, `throw new Error("no cache");`, 'refactor the cache', plain)).toBe('substantive');
  });
  it('a message that says nothing passes a small change, not a rewrite', () => {
    expect(classifyLineChange(`raise TooManyRedirects('Exceeded %s redirects.' % self.max, response=resp)`, `raise TooManyRedirects('Exceeded {} redirects.'.format(self.max), response=resp)`, 'Update sessions.py', { moved: false, generic: true })).toBe('uninformative');
    expect(classifyLineChange(`return a + b;`, `throw new Error("gone");`, 'update', { moved: false, generic: true })).toBe('substantive');
  });
  it('finds the removed line a line came from, and the one of joined lines it is most like', () => {
    const removed = [
      { path: 'a.js', line: 10, text: 'res.type = function(type){' },
      { path: 'a.js', line: 11, text: "  return this.set('Content-Type', ~type.indexOf('/')" },
      { path: 'a.js', line: 12, text: '    ? type' },
    ];
    expect(preImageOf("  var ct = type.indexOf('/') === -1", removed, 0)?.removed.line).toBe(11);
    expect(preImageOf('}', removed, 0)).toBeUndefined();
  });
});

describe('a line reshaped by a formatter run that also changed other code', () => {
  const repo = Fixture.create();
  const sha: Record<string, string> = {};
  beforeAll(() => {
    repo.write('src/list.js', ['export function names(items) {', "  return items.filter((item) => item.visible).map((item) => item.name);", '}', ...lines(4, '// note')]);
    sha.wrote = repo.commit('Hide invisible items from the name list\n\nHidden items leaked into the picker (#31).', ALICE);
    repo.write('src/list.js', ['export function names(items) {', '  return items', '    .filter(item => item.visible)', '    .map(item => item.name)', '}', ...lines(4, '// note'), 'export const VERSION = 2']);
    sha.format = repo.commit('Format with prettier and bump the version', BOB);
  });
  afterAll(() => repo.cleanup());

  it('names the commit that wrote the line and says it was reformatted since', async () => {
    const answer = await ask(repo, 'src/list.js', 3);
    expect(answer.evidence[0]!.commit.sha).toBe(sha.wrote);
    expect(answer.evidence[0]!.tracedThrough).toEqual([expect.objectContaining({ sha: sha.format, change: 'formatting' })]);
    expect(answer.summary).toContain(`comes from \`${short(sha.wrote)}\``);
    expect(answer.summary).toContain(`reformatted in \`${short(sha.format)}\``);
    const format = answer.evidence.find((e) => e.commit.sha === sha.format);
    expect(format?.reshaped).toBe('formatting');
  });

  it('a hover after that answer takes the trace it made, and a hover on an untraced line does not trace', async () => {
    const hover = await provider.ask({ path: repo.path('src/list.js'), lines: { start: 2, end: 2 }, depth: 'quick', timeLimitMs: 30_000 });
    expect(hover.evidence[0]!.commit.sha).toBe(sha.wrote);
    expect(hover.summary).toContain(`reformatted in \`${short(sha.format)}\``);
    const untraced = await provider.ask({ path: repo.path('src/list.js'), lines: { start: 3, end: 3 }, depth: 'quick', timeLimitMs: 30_000 });
    expect(untraced.evidence[0]!.commit.sha).toBe(sha.format);
  });
});

describe('identifier renames on top of the commit that wrote the line', () => {
  const repo = Fixture.create();
  const sha: Record<string, string> = {};
  beforeAll(() => {
    repo.write('src/each.js', ['function each(list, callback) {', '  for (const x of list) {', '    if (callback) {', '      callback(x);', '    }', '  }', '}']);
    sha.wrote = repo.commit('Skip the callback when none is given\n\nCallers pass undefined to only walk the list (#8).', ALICE);
    repo.write('src/each.js', ['function each(list, iterator) {', '  for (const x of list) {', '    if (iterator) {', '      iterator(x);', '    }', '  }', '}', 'export { each };']);
    sha.first = repo.commit('Rename `callback` params to `iterator` and export each', BOB);
    repo.write('src/each.js', ['function each(list, iteratee) {', '  for (const x of list) {', '    if (iteratee) {', '      iteratee(x);', '    }', '  }', '}', 'export { each as forEach };']);
    sha.second = repo.commit('Rename `iterator` to `iteratee`.', CHLOE);
  });
  afterAll(() => repo.cleanup());

  it('traces through both renames and says so, newest first', async () => {
    const answer = await ask(repo, 'src/each.js', 3);
    expect(answer.evidence[0]!.commit.sha).toBe(sha.wrote);
    expect(answer.evidence[0]!.tracedThrough?.map((c) => [c.sha, c.change])).toEqual([
      [sha.second, 'identifier-rename'],
      [sha.first, 'identifier-rename'],
    ]);
    expect(answer.summary).toContain(`renamed in \`${short(sha.second)}\` and \`${short(sha.first)}\``);
    expect(answer.confidence).toBeGreaterThanOrEqual(0.7);
  });
});

describe('type annotations added to Python', () => {
  const repo = Fixture.create();
  const sha: Record<string, string> = {};
  beforeAll(() => {
    repo.write('sessions.py', ['class Session:', '    def send(self, request, stream=False, timeout=None):', '        return self.adapter.send(request, stream=stream, timeout=timeout)']);
    sha.wrote = repo.commit('Let callers stream responses and set a timeout per request (#1400)', ALICE);
    repo.write('sessions.py', ['from typing import Optional', '', 'class Session:', '    def send(self, request: Request, stream: bool = False, timeout: Optional[float] = None) -> Response:', '        return self.adapter.send(request, stream=stream, timeout=timeout)']);
    sha.types = repo.commit('Add inline types (#7272)', BOB);
  });
  afterAll(() => repo.cleanup());

  it('names the commit that wrote the signature, typed since', async () => {
    const answer = await ask(repo, 'sessions.py', 4);
    expect(answer.evidence[0]!.commit.sha).toBe(sha.wrote);
    expect(answer.evidence[0]!.tracedThrough?.map((c) => c.change)).toEqual(['annotation']);
    expect(answer.summary).toContain(`given type annotations in \`${short(sha.types)}\``);
  });
});

describe('a short line moved to another file, which git blame -C cannot see', () => {
  const repo = Fixture.create();
  const sha: Record<string, string> = {};
  beforeAll(() => {
    repo.write('cobra.go', ['package cobra', '', 'type Command struct {', '\tUse string', '\tRun func(cmd *Command, args []string)', '}', '', 'func Execute() {}']);
    sha.wrote = repo.commit('Let a command run a function with its arguments (#4)', ALICE);
    repo.write('command.go', ['package cobra', '', '// Command is one verb of the CLI.', 'type Command struct {', '\tUse   string', '\tShort string', '\tRun func(cmd *Command, args []string)', '}']);
    repo.write('cobra.go', ['package cobra', '', 'func Execute() {}', 'func init() {}']);
    sha.moved = repo.commit('Organize the files a bit better', BOB);
  });
  afterAll(() => repo.cleanup());

  it('names the commit that wrote it in the old file and says where it came from', async () => {
    const answer = await ask(repo, 'command.go', 7);
    expect(answer.evidence[0]!.commit.sha).toBe(sha.wrote);
    expect(answer.evidence[0]!.pathInCommit).toBe('cobra.go');
    expect(answer.evidence[0]!.reasons).toContain('moved-code');
    expect(answer.summary).toContain(`moved from \`cobra.go\` in \`${short(sha.moved)}\``);
  });
});

describe('modernisations, a refactor that reshaped a block, and a message that says nothing', () => {
  const repo = Fixture.create();
  const sha: Record<string, string> = {};
  beforeAll(() => {
    repo.write('lib/request.js', ['function host(val) {', "  val = val.substring(0, val.indexOf(',')).trimRight()", '  return val', '}']);
    sha.hosts = repo.commit('Support multiple hosts in X-Forwarded-Host\n\nProxies append their own host; take the first.', ALICE);
    repo.write('lib/links.js', ['res.links = function(links){', "  var linkField = typeof this.get('Link') === 'undefined' ?", "    '' :  this.get('Link') + ', ';", "  return this.set('Link', linkField + Object.keys(links).join(', '));", '};']);
    sha.concat = repo.commit('Allow multiple call concatenation for res.links. Fixes #1683', BOB);
    repo.write('lib/redirects.py', ["raise TooManyRedirects('Exceeded %s redirects.' % self.max_redirects, response=resp)"]);
    sha.redirects = repo.commit('Return the response with TooManyRedirects\n\nCallers need the last response to see where the loop was.', CHLOE);
    repo.write('lib/request.js', ['function host(val) {', "  val = val.substring(0, val.indexOf(',')).trimEnd()", '  return val', '}', 'module.exports = host']);
    sha.modern = repo.commit('fix: replace deprecated trimRight() with trimEnd() (#7265)', BOB);
    repo.write('lib/links.js', ['res.links = function(links){', "  var link = this.get('Link') || '';", "  if (link) link += ', ';", "  return this.set('Link', link + Object.keys(links).join(', '));", '};', '// links']);
    sha.refactor = repo.commit('refactor res.links()', ALICE);
    repo.write('lib/redirects.py', ["raise TooManyRedirects('Exceeded {} redirects.'.format(self.max_redirects), response=resp)", '']);
    sha.update = repo.commit('Update redirects.py', BOB);
  });
  afterAll(() => repo.cleanup());

  it('a deprecated API swapped: the commit that wrote the line leads, modernised since', async () => {
    const answer = await ask(repo, 'lib/request.js', 2);
    expect(answer.evidence[0]!.commit.sha).toBe(sha.hosts);
    expect(answer.summary).toContain(`modernised in \`${short(sha.modern)}\``);
  });

  it('a refactor that rewrote the block: the commit with the reason leads and the summary cites both', async () => {
    const answer = await ask(repo, 'lib/links.js', 3);
    expect(answer.evidence[0]!.commit.sha).toBe(sha.concat);
    expect(answer.evidence[0]!.issues).toEqual([{ number: 1683 }]);
    expect(answer.summary).toContain(`refactored in \`${short(sha.refactor)}\``);
    expect(answer.evidence.find((e) => e.commit.sha === sha.refactor)?.reshaped).toBe('refactor');
  });

  it('a small change whose message says nothing: the commit that says why leads', async () => {
    const answer = await ask(repo, 'lib/redirects.py', 1);
    expect(answer.evidence[0]!.commit.sha).toBe(sha.redirects);
    expect(answer.summary).toContain(`changed in \`${short(sha.update)}\``);
    expect(answer.summary).toContain('Callers need the last response');
  });
});

describe('controls: a commit that changed what the line does stays first', () => {
  const repo = Fixture.create();
  const sha: Record<string, string> = {};
  beforeAll(() => {
    repo.write('src/retry.ts', ['export const RETRIES = 3;', 'export function backoff(n: number) {', '  return 100 * n;', '}']);
    sha.first = repo.commit('Retry failed requests three times', ALICE);
    repo.write('src/retry.ts', ['export const RETRIES = 3;', 'export function backoff(n: number) {', '  return Math.min(30_000, 100 * 2 ** n);', '}']);
    sha.exponential = repo.commit('Back off exponentially, capped at 30 s\n\nLinear backoff hammered the API during outages (#52).', BOB);
    repo.write('src/retry.ts', ['export const RETRIES = 3;', 'export function backoff(n: number) {', '  return Math.min(30_000, 100 * 2 ** n);', '}', 'export const JITTER = 0;']);
    repo.commit('refactor: add a jitter setting', CHLOE);
  });
  afterAll(() => repo.cleanup());

  it('does not trace past a substantive change, and names nothing it traced', async () => {
    const answer = await ask(repo, 'src/retry.ts', 3);
    expect(answer.evidence[0]!.commit.sha).toBe(sha.exponential);
    expect(answer.evidence[0]!.tracedThrough).toBeUndefined();
    expect(answer.summary).not.toMatch(/refactored|reformatted|renamed|modernised/);
  });

  it('a hover (quick depth) answers from blame alone, without tracing', async () => {
    const answer = await provider.ask({ path: repo.path('src/retry.ts'), lines: { start: 2, end: 2 }, depth: 'quick', timeLimitMs: 30_000 });
    expect(answer.evidence[0]!.commit.sha).toBe(sha.exponential);
  });
});

describe('a merge that resolved a conflict, and a squashed fix whose body mentions a lint pass', () => {
  const repo = Fixture.create();
  const sha: Record<string, string> = {};
  beforeAll(() => {
    repo.write('lib/host.js', ['function host(val) {', "  var host = val.substring(0, val.indexOf(',')).trimRight()", '  return host', '}']);
    sha.wrote = repo.commit('Support multiple hosts in X-Forwarded-Host\n\nProxies append their own host; take the first.', ALICE);
    repo.git('checkout', '-q', '-b', 'v5');
    repo.write('lib/host.js', ['function host(val) {', "  var host = val.substring(0, val.indexOf(',')).trimRight()", '  return host', '}', 'module.exports = host']);
    repo.commit('Export host for the v5 router', BOB);
    repo.git('checkout', '-q', 'main');
    repo.write('README.md', ['# hosts']);
    repo.commit('Add a README', ALICE);
    // The merge resolves the two sides by hand: the line is neither side's, but nearly the first's.
    repo.gitCommitting(CHLOE, 'merge', '-q', '--no-ff', '--no-commit', 'v5');
    repo.write('lib/host.js', ['function host(val) {', "  let host = val.substring(0, val.indexOf(',')).trimRight()", '  return host', '}', 'module.exports = host']);
    repo.git('add', '-A');
    sha.merge = repo.gitCommitting(CHLOE, 'commit', '-q', '-m', "Merge branch 'v5' into main");

    repo.write('lib/status.js', ['function settle(response, validate) {', '  if (validate(response.status)) return response', '}']);
    repo.commit('Settle on the status the caller validates', ALICE);
    repo.write('lib/status.js', ['function settle(response, validate) {', '  if (!response.status || validate(response.status)) return response', '}']);
    sha.files = repo.commit('Fix reading local files (file://), which have no status (#2470)\n\n* fix issue #2416\n\n* fix Eslint warn\n\n* add unit test', BOB);
  });
  afterAll(() => repo.cleanup());

  it('traces through the merge to the side that wrote the line', async () => {
    const answer = await ask(repo, 'lib/host.js', 2);
    expect(answer.evidence[0]!.commit.sha).toBe(sha.wrote);
    expect(answer.evidence[0]!.tracedThrough?.map((c) => [c.sha, c.change])).toEqual([[sha.merge, 'merge']]);
    expect(answer.summary).toContain(`merged in \`${short(sha.merge)}\``);
  });

  it('a fix is not a lint pass because its squashed body lists one', async () => {
    const answer = await ask(repo, 'lib/status.js', 2);
    expect(answer.evidence[0]!.commit.sha).toBe(sha.files);
    expect(answer.evidence[0]!.tracedThrough).toBeUndefined();
  });
});

describe('a trace is kept on disk: the next process starts from it', () => {
  const repo = Fixture.create();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ail-trace-store-'));
  const sha: Record<string, string> = {};
  beforeAll(() => {
    repo.write('src/each.js', ['function each(list, callback) {', '  for (const x of list) if (callback) callback(x);', '}']);
    sha.wrote = repo.commit('Skip the callback when none is given (#8)', ALICE);
    repo.write('src/each.js', ['function each(list, iteratee) {', '  for (const x of list) if (iteratee) iteratee(x);', '}', 'export { each };']);
    sha.rename = repo.commit('Rename `callback` to `iteratee`', BOB);
  });
  afterAll(() => {
    repo.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a second ail ask answers the same trace without asking git for it again', async () => {
    const recorder = gitRecorder(path.join(dataDir, 'recorder'));
    const env = { ...recorder.env, AIL_DATA_DIR: dataDir, AIL_INDEX_ENABLED: 'false', AIL_MAX_QUERY_TIME_S: '30' };
    const traceCalls = () => recorder.calls().filter((call) => / diff -U0 /.test(call) || / blame --porcelain /.test(call));
    const first = await runCli(['ask', 'src/each.js:2', '--json'], { cwd: repo.root, env });
    expect(first.code).toBe(0);
    const answer = JSON.parse(first.stdout) as ArchaeologyContext;
    expect(answer.evidence[0]!.commit.sha).toBe(sha.wrote);
    expect(answer.evidence[0]!.tracedThrough?.map((c) => c.change)).toEqual(['identifier-rename']);
    const traced = traceCalls().length;
    expect(traced).toBeGreaterThan(0);
    const second = await runCli(['ask', 'src/each.js:2', '--json'], { cwd: repo.root, env });
    const again = JSON.parse(second.stdout) as ArchaeologyContext;
    expect(again.evidence[0]!.commit.sha).toBe(sha.wrote);
    expect(again.summary).toBe(answer.summary);
    expect(traceCalls().length).toBe(traced);
  }, 60_000);
});
