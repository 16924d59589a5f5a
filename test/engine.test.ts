import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { MergeCommitEnricher } from '../server/archaeology/enrichers';
import { ArchaeologyProvider } from '../server/archaeology/provider';
import { bandOf } from '../shared/format';
import { mergeIndex, mergeThatIntroduced } from '../server/git/history';
import { RepositoryRegistry } from '../server/git/registry';
import { ALICE, BOB, CHLOE, Fixture, lines } from './helpers/fixture';

const registry = new RepositoryRegistry();
const provider = new ArchaeologyProvider({ registry, enrichers: [new MergeCommitEnricher()] });
afterAll(() => registry.dispose());

function ask(fixture: Fixture, file: string, range?: [number, number], question?: string, contents?: string) {
  return provider.ask({
    path: fixture.path(file),
    lines: range && { start: range[0] - 1, end: range[1] - 1 },
    question,
    contents,
    timeLimitMs: 20_000,
  });
}

describe('a history with an informative commit, a vague one, a squash PR and a merged PR', () => {
  const repo = Fixture.create();
  const sha: Record<string, string> = {};
  beforeAll(() => {
    repo.write('src/auth.ts', ['import bcrypt from "bcrypt";', ...lines(8, '// setting'), 'export const ROUNDS = 12;']);
    sha.bcrypt = repo.commit('Hash passwords with bcrypt instead of MD5\n\nMD5 is broken for password storage; bcrypt is slow on purpose.\n\nFixes #45', ALICE);
    repo.write('src/auth.ts', ['import bcrypt from "bcrypt";', ...lines(8, '// setting'), 'export const ROUNDS = 14;']);
    sha.vague = repo.commit('fix stuff', BOB);
    repo.write('src/session.ts', ['export const store = "redis";', 'export const ttl = 3600;']);
    sha.squash = repo.commit('Move the session store to Redis (#123)\n\nSessions must survive a restart of the web process.', CHLOE);
    repo.git('checkout', '-q', '-b', 'bob/retry');
    repo.write('src/http.ts', ['export const RETRIES = 3;', 'export const BACKOFF_MS = 250;']);
    sha.retry = repo.commit('Retry failed requests with exponential backoff', BOB);
    repo.git('checkout', '-q', 'main');
    repo.write('README.md', ['# demo']);
    repo.commit('Add a README', ALICE);
    sha.merge = repo.gitCommitting(ALICE, 'merge', '--no-ff', '-q', '-m', 'Merge pull request #77 from bob/retry\n\nRetry flaky upstream calls', 'bob/retry');
  });
  afterAll(() => repo.cleanup());

  it('names the commit that wrote the line, its issue, and is confident', async () => {
    const answer = await ask(repo, 'src/auth.ts', [1, 1], 'why bcrypt?');
    expect(answer.evidence[0]!.commit.sha).toBe(sha.bcrypt);
    expect(answer.evidence[0]!.issues).toEqual([{ number: 45 }]);
    expect(answer.evidence[0]!.reasons).toContain('blame');
    expect(bandOf(answer.confidence)).toBe('high');
    expect(answer.summary).toContain(sha.bcrypt!.slice(0, 7));
    expect(answer.summary).toContain('MD5 is broken for password storage');
    expect(answer.file).toBe('src/auth.ts');
    expect(answer.source).toBe('cold');
    expect(answer.authors).toEqual([{ name: ALICE.name, email: ALICE.email, lines: 1, commits: 1 }]);
  });

  it('answers from blame alone at quick depth (hovers), with the same commit', async () => {
    const answer = await provider.ask({ path: repo.path('src/auth.ts'), lines: { start: 0, end: 0 }, depth: 'quick', timeLimitMs: 20_000 });
    expect(answer.evidence[0]!.commit.sha).toBe(sha.bcrypt);
    expect(answer.evidence[0]!.reasons).not.toContain('line-history');
    expect(answer.evidence[0]!.issues).toEqual([{ number: 45 }]);
  });

  it('is honest about a "fix stuff" commit: the commit with a reason leads, the change without one is said, confidence not high', async () => {
    const answer = await ask(repo, 'src/auth.ts', [10, 10]);
    expect(answer.evidence[0]!.commit.sha).toBe(sha.bcrypt);
    expect(answer.evidence[0]!.tracedThrough?.map((c) => [c.sha, c.change])).toEqual([[sha.vague, 'uninformative']]);
    expect(answer.summary).toContain(`changed in \`${sha.vague!.slice(0, 7)}\``);
    expect(bandOf(answer.confidence)).toBe('medium');
    expect(answer.evidence.some((e) => e.pullRequest)).toBe(false);
  });

  it('is honest about a "fix stuff" commit that wrote its line: low confidence', async () => {
    repo.write('src/auth.ts', ['import bcrypt from "bcrypt";', ...lines(8, '// setting'), 'export const ROUNDS = 14;', 'export const PEPPERED = true;']);
    const stuff = repo.commit('fix stuff', BOB);
    try {
      const answer = await ask(repo, 'src/auth.ts', [11, 11]);
      expect(answer.evidence[0]!.commit.sha).toBe(stuff);
      expect(bandOf(answer.confidence)).toBe('low');
      expect(answer.summary).toContain('no reason');
    } finally {
      repo.git('reset', '-q', '--hard', 'HEAD~1');
    }
  });

  it('reads the PR number from a squash suffix', async () => {
    const answer = await ask(repo, 'src/session.ts', [1, 2]);
    expect(answer.evidence[0]!.commit.sha).toBe(sha.squash);
    expect(answer.evidence[0]!.pullRequest).toMatchObject({ number: 123, title: 'Move the session store to Redis' });
    expect(answer.summary).toContain('#123');
    expect(bandOf(answer.confidence)).toBe('high');
  });

  it('finds the merge commit that brought a branch commit in, and its PR', async () => {
    const answer = await ask(repo, 'src/http.ts', [2, 2]);
    expect(answer.evidence[0]!.commit.sha).toBe(sha.retry);
    expect(answer.evidence[0]!.pullRequest).toMatchObject({ number: 77, title: 'Retry flaky upstream calls' });
  });

  it('says a body that only closes an issue once, as what it closes', async () => {
    repo.write('src/limits.ts', ['export const MAX_UPLOAD_MB = 25;']);
    const closing = repo.commit('Raise the upload limit to 25 MB for scanned contracts\n\ncloses #2411', ALICE);
    try {
      const answer = await ask(repo, 'src/limits.ts', [1, 1]);
      expect(answer.evidence[0]!.commit.sha).toBe(closing);
      expect(answer.summary).toContain('It closes #2411.');
      expect(answer.summary).not.toContain('The commit says');
    } finally {
      repo.git('reset', '-q', '--hard', 'HEAD~1');
    }
  });

  it('never invents a PR for a direct push', async () => {
    const answer = await ask(repo, 'README.md', [1, 1]);
    expect(answer.evidence[0]!.pullRequest).toBeUndefined();
  });

  it('answers about the whole file with its timeline', async () => {
    const answer = await ask(repo, 'src/auth.ts');
    expect(answer.range).toBeUndefined();
    expect(answer.evidence[0]!.commit.sha).toBe(sha.bcrypt);
    expect(answer.timeline.created?.sha).toBe(sha.bcrypt);
    expect(answer.timeline.lastChanged?.sha).toBe(sha.vague);
    expect(answer.timeline.commitCount).toBe(2);
  });

  it('marks lines of unsaved text as not committed', async () => {
    const edited = ['import bcrypt from "bcrypt";', 'const pepper = process.env.PEPPER;', ...lines(8, '// setting'), 'export const ROUNDS = 14;'].join('\n') + '\n';
    const answer = await ask(repo, 'src/auth.ts', [2, 2], undefined, edited);
    expect(answer.uncommittedLines).toBe(1);
    expect(answer.warnings).toContain('uncommitted-lines');
    expect(answer.evidence).toEqual([]);
    expect(answer.summary).toContain('not committed yet');
    const below = await ask(repo, 'src/auth.ts', [11, 11], undefined, edited);
    expect(below.evidence[0]!.commit.sha).toBe(sha.bcrypt);
    expect(below.evidence[0]!.tracedThrough?.[0]?.sha).toBe(sha.vague);
  });
});

describe('tracing through renames, moves, cosmetic commits and cherry-picks', () => {
  const repo = Fixture.create();
  const sha: Record<string, string> = {};
  const limiter = [
    'export function allow(bucket, now) {',
    "  const elapsed = now - bucket.last;",
    '  bucket.tokens = Math.min(bucket.capacity, bucket.tokens + elapsed * bucket.rate);',
    '  bucket.last = now;',
    '  return bucket.tokens >= 1 ? (bucket.tokens--, true) : false;',
    '}',
  ];
  // What a formatter makes of it: re-indented, a long call split over lines with a trailing comma.
  const formatted = [
    'export function allow(bucket, now) {',
    '    const elapsed = now - bucket.last;',
    '    bucket.tokens = Math.min(',
    '        bucket.capacity,',
    '        bucket.tokens + elapsed * bucket.rate,',
    '    );',
    '    bucket.last = now;',
    '    return bucket.tokens >= 1 ? (bucket.tokens--, true) : false;',
    '}',
  ];
  const moved = [
    'export function checksumOfPayload(payload) {',
    '  let accumulator = 0x811c9dc5;',
    '  for (const byte of payload) accumulator = Math.imul(accumulator ^ byte, 16777619);',
    '  return accumulator >>> 0;',
    '}',
  ];
  beforeAll(() => {
    repo.write('src/tokenizer.ts', ['export function tokenize(text) {', '  return text.split(/\\s+/).filter(Boolean);', '}']);
    sha.tokenizer = repo.commit('Split input into whitespace tokens for the search box', ALICE);
    repo.move('src/tokenizer.ts', 'lib/tokens.ts');
    sha.rename = repo.commit('Move the tokenizer into lib', BOB);

    repo.write('src/util.ts', ['export const VERSION = 1;', ...moved]);
    sha.checksum = repo.commit('Add an FNV-1a checksum for cache keys', CHLOE);
    repo.write('src/util.ts', ['export const VERSION = 1;']);
    repo.write('src/hash.ts', ['// hashing helpers', ...moved]);
    sha.move = repo.commit('Split hashing helpers out of util', BOB);

    repo.write('src/limiter.ts', limiter);
    sha.limiter = repo.commit('Add a token bucket rate limiter for the public API', ALICE);
    repo.write('src/limiter.ts', formatted);
    sha.prettier = repo.commit('Run prettier', BOB);

    repo.write('src/caf\u00e9/na\u00efve.ts', ['export const greeting = "bonjour";']);
    sha.unicode = repo.commit('Greet French users in French', CHLOE);

    repo.git('checkout', '-q', '-b', 'release');
    repo.git('checkout', '-q', 'main');
    repo.write('src/size.ts', ['export function size(n) {', '  if (n < 0) throw new RangeError("negative size");', '  return n;', '}']);
    sha.original = repo.commit('Reject negative sizes (#40)\n\nFixes #39', ALICE);
    repo.git('checkout', '-q', 'release');
    sha.pick = repo.gitCommitting(BOB, 'cherry-pick', '-x', sha.original!);
  });
  afterAll(() => repo.cleanup());

  it('follows a file through a pure rename', async () => {
    const answer = await ask(repo, 'lib/tokens.ts', [2, 2]);
    expect(answer.evidence[0]!.commit.sha).toBe(sha.tokenizer);
    expect(answer.evidence[0]!.reasons).toContain('rename');
    expect(answer.evidence[0]!.pathInCommit).toBe('src/tokenizer.ts');
  });

  it('answers a hover on another line of a renamed file with nothing read: the old path is looked up once', async () => {
    const own = new RepositoryRegistry();
    const asking = new ArchaeologyProvider({ registry: own, enrichers: [], warmFiles: true });
    try {
      const first = await asking.ask({ path: repo.path('lib/tokens.ts'), lines: { start: 0, end: 0 }, depth: 'quick', timeLimitMs: 20_000 });
      expect(first.evidence[0]!.reasons).toContain('rename');
      const { repo: opened, blamer } = await own.forDirectory(repo.root);
      const head = await opened.requireHead();
      await blamer.whenWarm({ path: 'lib/tokens.ts', head, blob: (await opened.headFile('lib/tokens.ts', head)).blob });
      const reads = vi.spyOn(opened.objects, 'read');
      const answer = await asking.ask({ path: repo.path('lib/tokens.ts'), lines: { start: 1, end: 1 }, depth: 'quick', timeLimitMs: 20_000 });
      expect(answer.evidence[0]!.commit.sha).toBe(sha.tokenizer);
      expect(answer.evidence[0]!.reasons).toContain('rename');
      expect(reads).not.toHaveBeenCalled();
    } finally {
      await own.dispose();
    }
  });

  it('finds code moved from another file', async () => {
    const answer = await ask(repo, 'src/hash.ts', [2, 6]);
    expect(answer.evidence[0]!.commit.sha).toBe(sha.checksum);
    expect(answer.evidence[0]!.reasons).toContain('moved-code');
    expect(answer.evidence[0]!.pathInCommit).toBe('src/util.ts');
  });

  it('traces through a formatting-only commit and says so', async () => {
    const answer = await ask(repo, 'src/limiter.ts', [3, 6], 'why is there a rate limiter?');
    expect(answer.evidence[0]!.commit.sha).toBe(sha.limiter);
    expect(answer.evidence[0]!.tracedThrough?.map((c) => c.sha)).toEqual([sha.prettier]);
    expect(answer.cosmeticCommitsTraced).toBe(1);
    expect(answer.evidence[0]!.tracedThrough?.map((c) => c.change)).toEqual(['formatting']);
    expect(answer.summary).toContain(`reformatted in \`${sha.prettier!.slice(0, 7)}\``);
  });

  it('handles unicode paths', async () => {
    const answer = await ask(repo, 'src/caf\u00e9/na\u00efve.ts', [1, 1]);
    expect(answer.file).toBe('src/caf\u00e9/na\u00efve.ts');
    expect(answer.evidence[0]!.commit.sha).toBe(sha.unicode);
    expect(answer.authors[0]!.name).toBe(CHLOE.name);
  });

  it('links a cherry-pick to its original commit, PR and issue', async () => {
    const answer = await ask(repo, 'src/size.ts', [2, 2]);
    const top = answer.evidence[0]!;
    expect(top.commit.sha).toBe(sha.pick);
    expect(top.cherryPickOf?.sha).toBe(sha.original);
    expect(top.pullRequest?.number).toBe(40);
    expect(top.issues).toEqual([{ number: 39 }]);
  });
});

describe('ignore-revs and the time limit', () => {
  const repo = Fixture.create();
  const sha: Record<string, string> = {};
  beforeAll(() => {
    repo.write('src/pool.ts', ['export const maxConnections = 10;', 'export const idleTimeoutMs = 30000;']);
    sha.pool = repo.commit('Cap the connection pool at ten to stay under the database limit', ALICE);
    repo.write('src/pool.ts', ['export const MAX_CONNECTIONS = 10;', 'export const IDLE_TIMEOUT_MS = 30000;']);
    sha.rename = repo.commit('Rename constants to upper case across the code base', BOB);
    repo.write('.git-blame-ignore-revs', [`# mechanical renames`, sha.rename!, '0123456789abcdef0123456789abcdef01234567']);
    repo.commit('Ignore the constant rename in blame', BOB);
  });
  afterAll(() => repo.cleanup());

  it('honours .git-blame-ignore-revs, even with a commit that is not here', async () => {
    const answer = await ask(repo, 'src/pool.ts', [1, 1]);
    expect(answer.evidence[0]!.commit.sha).toBe(sha.pool);
  });

  it('honours blame.ignoreRevsFile from the config, and survives one that names a missing file', async () => {
    repo.git('mv', '.git-blame-ignore-revs', '.ignore-these');
    repo.commit('Move the ignore list', BOB);
    repo.git('config', 'blame.ignoreRevsFile', '.ignore-these');
    const ignored = await ask(repo, 'src/pool.ts', [2, 2]);
    expect(ignored.evidence[0]!.commit.sha).toBe(sha.pool);
    expect(ignored.evidence[0]!.tracedThrough).toBeUndefined(); // blame itself skipped the rename
    repo.git('config', 'blame.ignoreRevsFile', 'no-such-file');
    // Blame no longer skips it; the line's own trace goes through it, and says so.
    const traced = await ask(repo, 'src/pool.ts', [2, 2]);
    expect(traced.evidence[0]!.commit.sha).toBe(sha.pool);
    expect(traced.evidence[0]!.tracedThrough?.map((c) => [c.sha, c.change])).toEqual([[sha.rename, 'identifier-rename']]);
    // A hover now takes the trace that answer made, with no git process of its own.
    const quick = await provider.ask({ path: repo.path('src/pool.ts'), lines: { start: 1, end: 1 }, depth: 'quick', timeLimitMs: 20_000 });
    expect(quick.evidence[0]!.commit.sha).toBe(sha.pool);
    expect(quick.evidence[0]!.tracedThrough?.[0]?.sha).toBe(sha.rename);
  });

  it('honours an ignored commit that was not here at the first blame once a pull brings it', async () => {
    // A teammate lists the rename to ignore before this clone has fetched it.
    const upstream = Fixture.create();
    const clone = Fixture.at(mkdtempSync(path.join(tmpdir(), 'ail-clone-')));
    try {
      upstream.write('src/limits.ts', ['export const maxRetries = 5;']);
      const original = upstream.commit('Retry five times: the payment provider drops one call in a hundred', ALICE);
      clone.git('clone', '-q', upstream.root, '.');
      upstream.write('src/limits.ts', ['export const MAX_RETRIES = 5;']);
      const rename = upstream.commit('Rename constants to upper case', BOB);
      clone.write('.git-blame-ignore-revs', ['# mechanical renames', rename]);
      expect((await ask(clone, 'src/limits.ts', [1, 1])).evidence[0]!.commit.sha).toBe(original);
      clone.git('pull', '-q', '--ff-only');
      expect(clone.head()).toBe(rename);
      const answer = await ask(clone, 'src/limits.ts', [1, 1]);
      expect(answer.evidence[0]!.commit.sha).toBe(original);
      expect(answer.summary).toContain(original.slice(0, 7));
    } finally {
      upstream.cleanup();
      clone.cleanup();
    }
  });

  it('reads HEAD from packed refs, and sees the next commit whether its ref is loose or packed again', async () => {
    const repo = Fixture.create();
    try {
      repo.write('src/retry.ts', ['export const attempts = 3;']);
      const first = repo.commit('Retry three times before giving up on the upstream', ALICE);
      repo.git('pack-refs', '--all');
      expect((await ask(repo, 'src/retry.ts', [1, 1])).headSha).toBe(first);
      repo.write('src/retry.ts', ['export const attempts = 5;']);
      const second = repo.commit('Retry five times: the upstream restarts take longer now', BOB);
      const answer = await ask(repo, 'src/retry.ts', [1, 1]);
      expect(answer.headSha).toBe(second);
      expect(answer.evidence[0]!.commit.sha).toBe(second);
      // `git gc` packs the branch again: packed-refs is rewritten, and read again.
      repo.write('src/retry.ts', ['export const attempts = 4;']);
      const third = repo.commit('Retry four times: five overran the request deadline', ALICE);
      repo.git('pack-refs', '--all');
      expect((await ask(repo, 'src/retry.ts', [1, 1])).headSha).toBe(third);
    } finally {
      repo.cleanup();
    }
  });

  it('answers what it has when the time limit runs out, marked partial', async () => {
    const answer = await provider.ask({ path: repo.path('src/pool.ts'), lines: { start: 0, end: 1 }, question: 'why ten?', timeLimitMs: 1 });
    expect(answer.partial).toBe(true);
    expect(answer.warnings).toContain('time-limit');
    expect(answer.summary).toContain('did not finish within');
  });

  it('takes a time limit that is not a whole number of milliseconds', async () => {
    const answer = await provider.ask({ path: repo.path('src/pool.ts'), lines: { start: 0, end: 0 }, timeLimitMs: 15_000.5 });
    expect(answer.evidence.length).toBeGreaterThan(0);
    expect(answer.partial).toBeUndefined();
  });

  it('stops at once when the caller cancels', async () => {
    const controller = new AbortController();
    const pending = provider.ask({ path: repo.path('src/pool.ts'), question: 'cancelled question', signal: controller.signal, timeLimitMs: 20_000 });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'CancelledError' });
  });
});

describe('the merge index', () => {
  const repo = Fixture.create();
  const sha: Record<string, string> = {};
  beforeAll(() => {
    repo.write('a.ts', ['a']);
    sha.root = repo.commit('Start', ALICE);
    repo.git('checkout', '-q', '-b', 'feature');
    repo.write('b.ts', ['b']);
    sha.feature = repo.commit('Feature work', BOB);
    repo.git('checkout', '-q', '-b', 'sub');
    repo.write('c.ts', ['c']);
    sha.sub = repo.commit('Sub-branch work', CHLOE);
    repo.git('checkout', '-q', 'feature');
    sha.subMerge = repo.gitCommitting(BOB, 'merge', '--no-ff', '-q', '-m', 'Merge branch sub into feature', 'sub');
    repo.git('checkout', '-q', 'main');
    repo.write('d.ts', ['d']);
    sha.main = repo.commit('Mainline work', ALICE);
    sha.merge = repo.gitCommitting(ALICE, 'merge', '--no-ff', '-q', '-m', 'Merge pull request #9 from bob/feature', 'feature');
    repo.write('e.ts', ['e']);
    sha.after = repo.commit('After the merge', ALICE);
  });
  afterAll(() => repo.cleanup());

  it('knows which mainline merge brought every branch commit in, nested branches too', async () => {
    const { repo: opened } = await registry.forDirectory(repo.root);
    const index = await mergeIndex(opened, sha.after!, 1000);
    const mainline = Object.keys(sha).filter((name) => index.onMainline(sha[name]!));
    expect(mainline.sort()).toEqual(['after', 'main', 'merge', 'root']);
    const brought = Object.fromEntries(Object.entries(sha).map(([name, commit]) => [name, index.introducedBy(commit)]));
    expect(brought).toEqual({ root: undefined, feature: sha.merge, sub: sha.merge, subMerge: sha.merge, main: undefined, merge: undefined, after: undefined });
    expect(index.complete).toBe(true);
    const answer = await ask(repo, 'c.ts', [1, 1]);
    expect(answer.evidence[0]!.pullRequest?.number).toBe(9);
  });

  it('finds the same merges one commit at a time, for history older than the index reaches', async () => {
    const { repo: opened } = await registry.forDirectory(repo.root);
    const found: Record<string, string | undefined> = {};
    for (const [name, commit] of Object.entries(sha)) found[name] = await mergeThatIntroduced(opened, sha.after!, commit);
    expect(found).toEqual({ root: undefined, feature: sha.merge, sub: sha.merge, subMerge: sha.merge, main: undefined, merge: undefined, after: undefined });
  });

  // Kept per repository, for its newest HEAD (the last test moves HEAD).
  /** A provider of its own, and the history walks its repository starts. */
  async function watched(onWalk?: () => void) {
    const own = new RepositoryRegistry();
    const asking = new ArchaeologyProvider({ registry: own, enrichers: [new MergeCommitEnricher()] });
    const { repo: opened } = await own.forDirectory(repo.root);
    const walks: string[] = [];
    const run = opened.git.run.bind(opened.git);
    vi.spyOn(opened.git, 'run').mockImplementation((args, options) => {
      if (args[0] === 'rev-list' && args.includes('--parents')) {
        walks.push(args[args.length - 1]!);
        onWalk?.();
      }
      return run(args, options);
    });
    return { asking, walks, dispose: () => own.dispose() };
  }

  it('is built when a file is opened, and a hover cancelled meanwhile does not stop it', async () => {
    const { asking, walks, dispose } = await watched();
    try {
      await asking.warm(repo.path('b.ts'));
      expect(walks).toEqual([sha.after]);
      const controller = new AbortController();
      const cancelled = asking.ask({ path: repo.path('b.ts'), lines: { start: 0, end: 0 }, depth: 'quick', signal: controller.signal, timeLimitMs: 20_000 });
      controller.abort();
      await expect(cancelled).rejects.toMatchObject({ name: 'CancelledError' });
      const answer = await asking.ask({ path: repo.path('b.ts'), lines: { start: 0, end: 0 }, timeLimitMs: 20_000 });
      expect(answer.evidence[0]!.commit.sha).toBe(sha.feature);
      expect(answer.evidence[0]!.pullRequest?.number).toBe(9);
      expect(walks).toEqual([sha.after]);
    } finally {
      await dispose();
    }
  });

  it('goes on when the question that started it is cancelled', async () => {
    // The question is cancelled the moment the walk starts, while it is still being answered.
    const controller = new AbortController();
    const { asking, walks, dispose } = await watched(() => controller.abort());
    try {
      const cancelled = asking.ask({ path: repo.path('b.ts'), lines: { start: 0, end: 0 }, signal: controller.signal, timeLimitMs: 20_000 });
      await expect(cancelled).rejects.toMatchObject({ name: 'CancelledError' });
      const answer = await asking.ask({ path: repo.path('b.ts'), lines: { start: 0, end: 0 }, timeLimitMs: 20_000 });
      expect(answer.evidence[0]!.pullRequest?.number).toBe(9);
      expect(walks).toEqual([sha.after]);
    } finally {
      await dispose();
    }
  });

  it('is walked again for a new HEAD, which finds the merges it brought', async () => {
    const { asking, walks, dispose } = await watched();
    try {
      expect((await asking.ask({ path: repo.path('b.ts'), lines: { start: 0, end: 0 }, timeLimitMs: 20_000 })).evidence[0]!.pullRequest?.number).toBe(9);
      repo.git('checkout', '-q', '-b', 'carol/limits');
      repo.write('limits.ts', ['export const maxUploadMb = 50;']);
      const limits = repo.commit('Limit uploads', CHLOE);
      repo.git('checkout', '-q', 'main');
      const merged = repo.gitCommitting(ALICE, 'merge', '--no-ff', '-q', '-m', 'Merge pull request #12 from carol/limits', 'carol/limits');
      const answer = await asking.ask({ path: repo.path('limits.ts'), lines: { start: 0, end: 0 }, timeLimitMs: 20_000 });
      expect(answer.evidence[0]!.commit.sha).toBe(limits);
      expect(answer.evidence[0]!.pullRequest?.number).toBe(12);
      expect(walks).toEqual([sha.after, merged]);
    } finally {
      await dispose();
    }
  });
});

describe('a file warmed in the background', () => {
  const repo = Fixture.create();
  const sha: Record<string, string> = {};
  beforeAll(() => {
    repo.write('src/retry.ts', ['export const attempts = 3;', 'export const backoffMs = 200;', 'export const jitter = true;']);
    sha.written = repo.commit('Retry failed uploads three times', ALICE);
    repo.write('src/retry.ts', ['export const attempts = 3;', 'export const backoffMs = 200;', 'export const jitter = false; // the CDN rate-limits bursts']);
    sha.jitter = repo.commit('Turn jitter off: the CDN rate-limits bursts', BOB);
    repo.write('README.md', ['# uploads']);
    sha.head = repo.commit('Add a README', CHLOE);
  });
  afterAll(() => repo.cleanup());

  it('answers a hover on another of its lines with no git process and nothing read', async () => {
    const own = new RepositoryRegistry();
    const asking = new ArchaeologyProvider({ registry: own, enrichers: [], warmFiles: true });
    try {
      // The first hover blames its line and warms the file: the whole blame, then its commits.
      expect((await asking.ask({ path: repo.path('src/retry.ts'), lines: { start: 0, end: 0 }, depth: 'quick', timeLimitMs: 20_000 })).evidence[0]!.commit.sha).toBe(sha.written);
      const { repo: opened, blamer } = await own.forDirectory(repo.root);
      const headFile = await opened.headFile('src/retry.ts', sha.head!);
      await blamer.whenWarm({ path: 'src/retry.ts', head: sha.head!, blob: headFile.blob });
      const reads = vi.spyOn(opened.objects, 'read');
      const runs = vi.spyOn(opened.git, 'run');
      const answer = await asking.ask({ path: repo.path('src/retry.ts'), lines: { start: 2, end: 2 }, depth: 'quick', timeLimitMs: 20_000 });
      expect(answer.evidence[0]!.commit.sha).toBe(sha.jitter);
      expect(answer.evidence[0]!.commit.subject).toBe('Turn jitter off: the CDN rate-limits bursts');
      expect(runs).not.toHaveBeenCalled();
      expect(reads).not.toHaveBeenCalled();
    } finally {
      await own.dispose();
    }
  });
});

describe('a file larger than one decoding slice, with characters beyond ASCII', () => {
  const repo = Fixture.create();
  const sha: Record<string, string> = {};
  // ~420 KB: its text is still being decoded when blame starts.
  const translations = Array.from({ length: 6000 }, (_, i) => `msgid "entry ${i}"\nmsgstr "entrée n° ${i}, déjà traduite — ✓"`);
  beforeAll(() => {
    repo.write('po/fr.po', translations);
    sha.first = repo.commit('Add the French catalogue', ALICE);
    translations[5999] = 'msgid "entry 5999"\nmsgstr "dernière entrée, corrigée — ✓"';
    repo.write('po/fr.po', translations);
    sha.fix = repo.commit('Fix the last French entry: the translator misread the source (#88)', BOB);
  });
  afterAll(() => repo.cleanup());

  it('answers for its last line, counted without decoding it first', async () => {
    const answer = await ask(repo, 'po/fr.po', [12000, 12000], 'why was this changed?');
    expect(answer.evidence[0]!.commit.sha).toBe(sha.fix);
    expect(answer.evidence[0]!.pullRequest?.number).toBe(88);
    expect((await ask(repo, 'po/fr.po', [1, 2])).evidence[0]!.commit.sha).toBe(sha.first);
    await expect(ask(repo, 'po/fr.po', [12001, 12001])).rejects.toThrow('line 12001 is past the end of the file (12000 lines)');
  });

  it('takes unsaved text that is the committed text as committed, and an edit in it as not committed yet', async () => {
    const committed = `${translations.join('\n')}\n`;
    expect((await ask(repo, 'po/fr.po', [12000, 12000], undefined, committed)).uncommittedLines).toBeUndefined();
    const edited = committed.replace('dernière entrée, corrigée', 'dernière entrée, revue');
    const answer = await ask(repo, 'po/fr.po', [12000, 12000], undefined, edited);
    expect(answer.uncommittedLines).toBe(1);
  });
});

describe('the authors and the whole-file summary (issue 16)', () => {
  const repo = Fixture.create();
  let settings = '';
  let timeout = '';
  beforeAll(() => {
    repo.write('src/settings.ts', ['export const settings = {', ...lines(8, '  key'), '};']);
    settings = repo.commit('Add the settings module', ALICE);
    repo.write('src/settings.ts', ['export const settings = {', ...lines(7, '  key'), '  timeout: 30_000,', '};']);
    timeout = repo.commit('Raise the timeout to 30 s: the slow mirror in Sydney needs it', { name: ALICE.name, email: 'alice@home.example' });
  });
  afterAll(() => repo.cleanup());

  it('counts one person under two addresses once, as git shortlog does', async () => {
    const answer = await ask(repo, 'src/settings.ts');
    expect(answer.authors).toEqual([{ name: ALICE.name, email: ALICE.email, lines: 10, commits: 2 }]);
  });

  it('says a file "comes mostly from" a commit only when that commit holds most of its lines', async () => {
    const answer = await ask(repo, 'src/settings.ts', undefined, 'why is the timeout 30 seconds?');
    expect(answer.evidence[0]!.commit.sha).toBe(timeout);
    expect(answer.summary).toMatch(/^`src\/settings\.ts` is best explained by `[0-9a-f]{7}` “Raise the timeout/);
    expect(answer.summary).not.toContain('comes mostly from');
    expect(answer.summary).toContain(`Most of its lines (9 of 10) come from \`${settings.slice(0, 7)}\` “Add the settings module”.`);
    const plain = await ask(repo, 'src/settings.ts');
    expect(plain.evidence[0]!.commit.sha).toBe(settings);
    expect(plain.summary).toMatch(/^`src\/settings\.ts` comes mostly from `[0-9a-f]{7}` “Add the settings module”/);
  });
});
