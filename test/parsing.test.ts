import { describe, expect, it } from 'vitest';
import { classifyChange } from '../server/git/cosmetic';
import { alphanumericBytes } from '../server/util/chars';
import { cherryPickSource, issuesFromMessage, pullRequestFromMessage } from '../server/archaeology/references';
import { intentOf, isGenericMessage } from '../server/archaeology/text';
import { parseLineSpec } from '../server/cli/args';
import { BlameParser, parsePorcelain, type BlamedEntry } from '../server/git/blame';
import { parseCommitObject } from '../server/git/commit';
import { unquotePath } from '../server/git/quote';
import { countLines } from '../server/git/repository';
import { parseSetting, SETTINGS, settingsFromEnv } from '../shared/settings';

describe('pull requests and issues in commit messages', () => {
  const cases: { subject: string; body?: string; pr?: number; title?: string; issues?: { number: number; repository?: string }[] }[] = [
    { subject: 'Add retries (#123)', pr: 123, title: 'Add retries' },
    { subject: 'Merge pull request #77 from bob/retry', body: 'Retry flaky upstream calls', pr: 77, title: 'Retry flaky upstream calls' },
    { subject: 'Merge pull request #78 from bob/empty', pr: 78, title: 'bob/empty' },
    { subject: 'Bump #3 in the middle (#12) of the subject' },
    { subject: 'Fix login', body: 'Fixes #45', issues: [{ number: 45 }] },
    { subject: 'Fix login', body: 'closes acme/web#9, #10 and #11', issues: [{ number: 9, repository: 'acme/web' }, { number: 10 }, { number: 11 }] },
    { subject: 'Resolves: #5', issues: [{ number: 5 }] },
    { subject: 'See #45 for context' },
    { subject: 'Prefix #1 (#2)', body: 'Resolved #3', pr: 2, title: 'Prefix #1', issues: [{ number: 3 }] },
  ];
  it.each(cases)('$subject / $body', ({ subject, body = '', pr, title, issues = [] }) => {
    const mention = pullRequestFromMessage(subject, body);
    expect(mention?.number).toBe(pr);
    if (title) expect(mention?.title).toBe(title);
    expect(issuesFromMessage(`${subject}\n${body}`)).toEqual(issues);
  });

  it('reads the cherry-pick trailer', () => {
    expect(cherryPickSource('Body.\n\n(cherry picked from commit 0123456789abcdef0123456789abcdef01234567)')).toBe('0123456789abcdef0123456789abcdef01234567');
    expect(cherryPickSource('no trailer')).toBeUndefined();
  });
});

describe('cosmetic changes', () => {
  const cases: { name: string; before: string | undefined; after: string; renamed?: boolean; kind: string }[] = [
    { name: 're-indentation', before: 'if (a) {\n  b();\n}\n', after: 'if (a) {\n    b();\n}\n', kind: 'whitespace' },
    { name: 'blank lines', before: 'a();\nb();\n', after: 'a();\n\n\nb();\n', kind: 'whitespace' },
    { name: 'a formatter splitting a call', before: "f(a, 'b');\n", after: 'f(\n  a,\n  "b",\n);\n', kind: 'formatting' },
    { name: 'semicolons dropped', before: 'a();\nb();\n', after: 'a()\nb()\n', kind: 'formatting' },
    { name: 'a pure rename', before: 'x\n', after: 'x\n', renamed: true, kind: 'rename' },
    { name: 'blank lines at the end', before: 'a();\n', after: 'a();\n\n\n', kind: 'whitespace' },
    { name: 'a comma moved to the next line', before: 'f(a,\n  b)\n', after: 'f(a\n  ,b)\n', kind: 'formatting' },
    { name: 'a trailing comma before a bracket on the next line', before: 'f(\n  a\n)\n', after: 'f(\n  a,\n)\n', kind: 'formatting' },
    { name: 'a changed constant', before: 'const a = 1;\n', after: 'const a = 2;\n', kind: 'substantive' },
    { name: 'a swapped order', before: 'a();\nb();\n', after: 'b();\na();\n', kind: 'substantive' },
    { name: 'a new file', before: undefined, after: 'x\n', kind: 'substantive' },
    { name: 're-indented non-ASCII text', before: 'const greeting = "héllo";\n', after: '    const greeting = "héllo";\n', kind: 'whitespace' },
    { name: 'an accented letter changed', before: 'const greeting = "héllo";\n', after: 'const greeting = "hèllo";\n', kind: 'substantive' },
  ];
  it.each(cases)('$name is $kind', async ({ before, after, renamed = false, kind }) => {
    expect(await classifyChange(before === undefined ? undefined : Buffer.from(before), Buffer.from(after), renamed)).toBe(kind);
  });

  it('compares line by line exactly as the rule over whole texts says', async () => {
    // The rule, over whole texts: what classifyChange must agree with however it reads the lines.
    const lineWords = (text: string) => text.split('\n').map((line) => line.trim().replace(/\s+/g, ' ')).filter(Boolean).join('\n');
    const formattingKey = (text: string) => text.replace(/\s+/g, '').replace(/[`']/g, '"').replace(/;/g, '').replace(/,(?=[)\]}])/g, '');
    const rule = (before: string, after: string) =>
      before === after ? 'whitespace' : lineWords(before) === lineWords(after) ? 'whitespace' : formattingKey(before) === formattingKey(after) ? 'formatting' : 'substantive';
    // Pieces whose joins put commas, semicolons, brackets, quotes and blank lines on either side of line ends.
    const pieces = ['f(a', ',', ';', ')', ']', '}', ' ', '\t', '\n', '\n\n', "'", '"', 'b', ',,', '\u00a0', 'é'];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const text = () => Array.from({ length: 1 + Math.floor(next() * 14) }, () => pieces[Math.floor(next() * pieces.length)]).join('');
    const seen = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const before = text();
      // Half the time, the same text reshaped the way a formatter would, so the cosmetic kinds come up often.
      const after = next() < 0.5 ? text() : before.replace(/\n/g, next() < 0.5 ? ' ' : '\n\n').replace(/'/g, '"').replace(/;/g, '');
      const [was, is] = [Buffer.from(before), Buffer.from(after)];
      if (was.equals(is)) continue;
      if (alphanumericBytes(was) !== alphanumericBytes(is)) continue; // told apart before any comparison of lines
      const kind = rule(before, after);
      expect(await classifyChange(was, is, false), JSON.stringify([before, after])).toBe(kind);
      seen.set(kind, (seen.get(kind) ?? 0) + 1);
    }
    // Every outcome came up many times.
    for (const kind of ['whitespace', 'formatting', 'substantive']) expect(seen.get(kind), kind).toBeGreaterThan(100);
  });
});

describe('questions and messages', () => {
  it.each([
    ['Why does this code exist?', 'why'],
    ['who wrote this retry loop', 'who'],
    ['When was the cache added?', 'when'],
    ['what changed here recently', 'what-changed'],
    ['why did we switch from axios to fetch', 'why'],
  ])('%s → %s', (question, intent) => expect(intentOf(question)).toBe(intent));

  it.each([
    ['fix stuff', '', true],
    ['wip', '', true],
    ['Update', 'misc changes', true],
    ['Fix login timeout for SSO users', '', false],
    ['fix', 'The session cookie expired before the SSO redirect returned.', false],
  ])('"%s" / "%s" generic: %s', (subject, body, generic) => expect(isGenericMessage(subject, body)).toBe(generic));
});

describe('git output', () => {
  it('parses blame --porcelain, repeated commits and previous/boundary lines', () => {
    const a = 'a'.repeat(40);
    const b = 'b'.repeat(40);
    const output = [
      `${a} 1 1 2`,
      'author Alice',
      'author-mail <alice@example.com>',
      'author-time 1600000000',
      'author-tz +0000',
      'summary First',
      'boundary',
      'filename "caf\\303\\251.txt"',
      '\tone',
      `${a} 2 2`,
      'filename "caf\\303\\251.txt"',
      '\ttwo',
      `${b} 5 3 1`,
      'author Bob',
      'author-mail <bob@example.com>',
      'author-time 1700000000',
      'summary Second',
      `previous ${a} old name.txt`,
      'filename café.txt',
      '\tthree',
      '',
    ].join('\n');
    const blame = parsePorcelain(output);
    expect([...blame.lineCommit]).toEqual([0, 0, 1]);
    expect([...blame.originalLine]).toEqual([1, 2, 5]);
    expect(blame.commits[0]).toMatchObject({ sha: a, author: 'Alice', authorMail: 'alice@example.com', boundary: true, filename: 'café.txt' });
    expect(blame.commits[1]).toMatchObject({ sha: b, summary: 'Second', previous: { sha: a, filename: 'old name.txt' }, boundary: false });

    // As git's output arrives: cut anywhere, inside a line or a character of a path, it parses the
    // same, and each commit is announced once, with its path, previous and boundary.
    const bytes = Buffer.from(output.replace('\tthree\n', '\tthree'), 'utf8'); // café.txt unquoted: two bytes for é
    for (const size of [1, 2, 3, 5, 8, 13]) {
      const announced: BlamedEntry[] = [];
      const parser = new BlameParser((entry) => announced.push(entry));
      for (let at = 0; at < bytes.length; at += size) parser.feed(bytes.subarray(at, at + size));
      expect(parser.finish(4), `chunks of ${size}`).toEqual({ ...blame, lineCommit: Int32Array.from([0, 0, 1, -1]), originalLine: Int32Array.from([1, 2, 5, 0]) });
      expect(announced).toEqual([
        { sha: a, filename: 'café.txt', previous: undefined, boundary: true },
        { sha: b, filename: 'café.txt', previous: { sha: a, filename: 'old name.txt' }, boundary: false },
      ]);
    }
  });

  it('parses a raw commit object with a multi-line header', () => {
    const raw = [
      'tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904',
      `parent ${'1'.repeat(40)}`,
      'author Chloé Dupré <chloe@example.com> 1609502400 +0100',
      'committer Bob <bob@example.com> 1609506000 -0500',
      'gpgsig -----BEGIN PGP SIGNATURE-----',
      ' abc',
      ' -----END PGP SIGNATURE-----',
      '',
      'Subject line',
      'continues here',
      '',
      'Body paragraph.',
      '',
    ].join('\n');
    const commit = parseCommitObject('f'.repeat(40), raw);
    expect(commit).toMatchObject({ author: 'Chloé Dupré', authorEmail: 'chloe@example.com', parents: ['1'.repeat(40)], subject: 'Subject line continues here', body: 'Body paragraph.' });
    expect(commit.date).toBe('2021-01-01T13:00:00+01:00');
  });

  it.each([
    ['"a\\tb"', 'a\tb'],
    ['"\\"q\\""', '"q"'],
    ['plain.txt', 'plain.txt'],
    ['"na\\303\\257ve"', 'naïve'],
  ])('unquotes %s', (quoted, path) => expect(unquotePath(quoted)).toBe(path));

  it.each([
    ['', 0],
    ['a', 1],
    ['a\n', 1],
    ['a\nb', 2],
    ['a\n\n', 2],
  ])('counts lines of %j as %i', (text, count) => expect(countLines(text)).toBe(count));
});

describe('line ranges as people type them', () => {
  it.each([
    ['12', { start: 11, end: 11 }],
    ['3-7', { start: 2, end: 6 }],
  ])('%s', (spec, lines) => expect(parseLineSpec(spec)).toEqual(lines));
  it.each(['0', 'x', '3-', '-3', '7-3', '1,2'])('refuses %s', (spec) => expect(() => parseLineSpec(spec)).toThrow(/malformed range/));
});

describe('settings', () => {
  it('has one environment variable per setting, and the defaults of the settings table', () => {
    const envs = SETTINGS.map((s) => s.env);
    expect(new Set(envs).size).toBe(envs.length);
    const settings = settingsFromEnv({});
    expect(settings).toMatchObject({ cacheSize: 1000, maxQueryTimeS: 2, semanticCacheEnabled: true, semanticCacheRollout: 100, semanticCacheThreshold: 0.85, semanticCacheSize: 100, logLevel: 'INFO', batchSize: 32 });
    expect(settings.maxWorkers).toBeGreaterThanOrEqual(1);
  });

  it('reads the environment', () => {
    expect(settingsFromEnv({ AIL_FAISS_ENABLED: 'false', FAISS_ROLLOUT: '50', AIL_LOG_LEVEL: 'warn', AIL_REPO_PATH: '/r' })).toMatchObject({
      semanticCacheEnabled: false,
      semanticCacheRollout: 50,
      logLevel: 'WARNING',
      repoPath: '/r',
    });
  });

  it.each([
    ['FAISS_ROLLOUT', '150', 'FAISS_ROLLOUT must be from 0 to 100 (got "150")'],
    ['AIL_CACHE_SIZE', '1.5', 'AIL_CACHE_SIZE must be a whole number from 0 to 1000000 (got "1.5")'],
    ['AIL_FAISS_ENABLED', 'maybe', 'AIL_FAISS_ENABLED must be true or false (got "maybe")'],
    ['AIL_LOG_LEVEL', 'LOUD', 'AIL_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR (got "LOUD")'],
  ])('refuses %s=%s', (name, value, message) => expect(() => settingsFromEnv({ [name]: value })).toThrow(message));

  it.each([
    ['http://:s3cret@cache:6379', 'AIL_REDIS_URL must be a redis:// or rediss:// URL with a host'],
    ['redis://:s3cret@', 'AIL_REDIS_URL must be a redis:// or rediss:// URL with a host'],
    ['redis://:s3cret@cache:6379/queue', 'AIL_REDIS_URL may name only a database number after the host (redis://host:6379/0)'],
  ])('refuses AIL_REDIS_URL=%s, saying why without repeating the password', (value, message) => {
    expect(() => settingsFromEnv({ AIL_REDIS_URL: value })).toThrow(message);
    expect(() => settingsFromEnv({ AIL_REDIS_URL: value })).not.toThrow(/s3cret/);
  });

  it('takes redis:// and rediss:// URLs with credentials and a database, and a budget', () => {
    expect(settingsFromEnv({ AIL_REDIS_URL: 'rediss://ail:s3cret@cache.internal:6380/2', AIL_REDIS_BUDGET_MS: '40' })).toMatchObject({ teamRedisUrl: 'rediss://ail:s3cret@cache.internal:6380/2', teamBudgetMs: 40 });
    expect(settingsFromEnv({})).toMatchObject({ teamRedisUrl: undefined, teamBudgetMs: 25 });
  });

  it('parses VS Code values as well as strings', () => {
    const spec = SETTINGS.find((s) => s.key === 'semanticCacheThreshold')!;
    expect(parseSetting(spec, 0.9, 'ail.semanticCache.similarityThreshold')).toBe(0.9);
  });
});
