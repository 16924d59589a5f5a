import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, Trace, TraceFormat } from 'vscode-jsonrpc/node';
import { askTarget, selectionRange } from '../client/ask-target';
import { CrashPolicy, MAX_RESTARTS, RESTART_WINDOW_MS } from '../client/crash-policy';
import { lineAnnotation } from '../client/line-annotation';
import { panelHtml } from '../client/panel/html';
import { answerMarkdown } from '../client/panel/markdown';
import { answerView, errorView } from '../client/panel/model';
import { TAGS, type ViewNode } from '../client/panel/view';
import { WARNING_CODES, warningSentence } from '../client/panel/warnings';
import { reindexMessage, statsFor } from '../client/repositories';
import { stateOf, statusView } from '../client/status-view';
import { redactTrace } from '../client/trace-redaction';
import { SetGitHubTokenRequest } from '../shared/protocol';
import type { ArchaeologyContext, CacheStats, Evidence } from '../shared/types';

const NOW = Date.parse('2024-03-22T12:00:00Z');
const HOSTILE = '<img src=x onerror=alert(1)>';
const SHA = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

function evidence(subject: string, extra: Partial<Evidence> = {}): Evidence {
  return {
    commit: { sha: SHA, shortSha: SHA.slice(0, 7), author: 'Grace Hopper', authorEmail: 'grace@example.com', date: '2024-03-01T12:00:00Z', subject, body: '' },
    score: 0.87,
    reasons: ['blame', 'line-history'],
    issues: [{ number: 54 }],
    pullRequest: { number: 55, title: subject },
    ...extra,
  };
}

function answer(subject: string, extra: Partial<ArchaeologyContext> = {}): ArchaeologyContext {
  const top = evidence(subject);
  return {
    question: 'Why bcrypt?',
    file: 'src/session.ts',
    range: { start: { line: 9, character: 0 }, end: { line: 12, character: 0 } },
    headSha: SHA,
    summary: `Lines 10–12 were last changed in \`${SHA.slice(0, 7)}\` by Grace Hopper.`,
    confidence: 0.82,
    evidence: [top],
    authors: [{ name: 'Grace Hopper', email: 'grace@example.com', lines: 3, commits: 1 }],
    timeline: { created: top.commit, lastChanged: top.commit, commitCount: 1 },
    source: 'cold',
    queryTimeMs: 1234,
    warnings: [],
    github: 'acme/auth',
    ...extra,
  };
}

function walk(nodes: ViewNode[]): ViewNode[] {
  return nodes.flatMap((node) => [node, ...walk(node.children ?? [])]);
}

function texts(nodes: ViewNode[]): string[] {
  return walk(nodes).flatMap((node) => (node.text === undefined ? [] : [node.text]));
}

describe('the Ask Why panel as data', () => {
  it('shows a hostile commit subject as text, never as markup', () => {
    const nodes = answerView(answer(HOSTILE), NOW);
    const all = walk(nodes);
    expect(all.filter((node) => node.text === HOSTILE).map((node) => node.tag)).toEqual(['strong']);
    expect(all.filter((node) => node.text?.includes(HOSTILE)).length).toBe(3); // the subject, and the timeline's two entries
    for (const node of all) {
      expect(TAGS).toContain(node.tag);
      expect(node.className ?? '').not.toContain('<');
      if (node.action?.kind === 'openUrl') expect(node.action.url).toMatch(/^https:\/\/github\.com\//);
    }
  });

  it("shows the pull request's description, the review on the lines and the closed issues, hostile text as text", () => {
    const top = evidence('Switch session token hashing from md5 to bcrypt (#55)', {
      issues: [{ number: 42, title: 'Session tokens are stored with md5' }],
      pullRequest: {
        number: 55,
        title: 'Switch session token hashing from md5 to bcrypt',
        author: 'grace',
        mergedAt: '2024-03-02T09:00:00Z',
        body: `md5 is fast enough to brute-force offline. ${HOSTILE}\nSee the benchmark \u001b[31mhere\u001b[0m.`,
        reviewComments: [{ author: 'alan', body: 'Use a cost of 12 because 10 is too cheap now.', url: 'https://github.com/acme/auth/pull/55#discussion_r1' }],
        reviews: [{ author: 'alan', state: 'CHANGES_REQUESTED', body: 'The cost factor needs a constant.', url: 'javascript:alert(1)' }],
      },
    });
    const nodes = answerView(answer('x', { evidence: [top] }), NOW);
    const shown = texts(nodes);
    // Its lines stay lines; a control character in one is still shown as its escape.
    expect(shown).toContain(`md5 is fast enough to brute-force offline. ${HOSTILE}\nSee the benchmark \\x1b[31mhere\\x1b[0m.`);
    expect(walk(nodes).find((node) => node.text?.includes(HOSTILE) && node.text.startsWith('md5'))?.tag).toBe('p');
    expect(shown).toContain('— description of #55 by @grace, merged 2024-03-02');
    expect(shown).toContain('Review on these lines (1 comment)');
    expect(shown).toContain(': Use a cost of 12 because 10 is too cheap now.');
    expect(walk(nodes).find((node) => node.text === '@alan' && node.action)?.action).toEqual({ kind: 'openUrl', url: 'https://github.com/acme/auth/pull/55#discussion_r1' });
    expect(shown).toContain(' asked for changes: The cost factor needs a constant.');
    expect(walk(nodes).filter((node) => node.action?.kind === 'openUrl').every((node) => node.action!.kind === 'openUrl' && node.action!.url.startsWith('https://'))).toBe(true);
    expect(shown).toContain('closes #42 Session tokens are stored with md5');
  });

  it('has the question, the summary, the confidence band, the evidence, authors, timeline, the tier and the buttons', () => {
    expect(JSON.stringify(answerView({ ...answer('x'), source: 'team', queryTimeMs: 1.5 }, NOW))).toContain("Answered from the team's shared cache (dug by another AIL server) in 1.5 ms");
    const nodes = answerView(answer('Switch session token hashing from md5 to bcrypt (#55)', { warnings: ['shallow-history', 'github-unavailable'] }), NOW);
    const shown = texts(nodes);
    expect(shown).toContain('Why bcrypt?');
    expect(shown).toContain('Dug from the history in 1.2 s');
    expect(walk(nodes).find((node) => node.className === 'band band-high')?.text).toBe('high');
    expect(shown).toEqual(expect.arrayContaining(['a1b2c3d', '2024-03-01 (3 weeks ago)', 'Grace Hopper', 'score 0.87', 'blame · line history', 'Ask again fresh', 'Copy as Markdown']));
    expect(shown).toContain(warningSentence('shallow-history'));
    expect(shown).toContain('Grace Hopper · 3 lines · 1 commit');
    expect(walk(nodes).find((node) => node.text === '#55')?.action).toEqual({ kind: 'openUrl', url: 'https://github.com/acme/auth/pull/55' });
    expect(walk(nodes).find((node) => node.text === 'closes #54')?.action).toEqual({ kind: 'openUrl', url: 'https://github.com/acme/auth/issues/54' });
    expect(walk(nodes).find((node) => node.className === 'sha')?.action).toEqual({ kind: 'openCommit', sha: SHA });
    expect(walk(nodes).find((node) => node.tag === 'code')?.text).toBe('a1b2c3d');
  });

  it('says which tier answered: L1, or L2 with the question it was computed for', () => {
    expect(texts(answerView(answer('x', { source: 'l1', queryTimeMs: 0.4 }), NOW))).toContain('Answered from the exact cache (L1) in 0.4 ms');
    expect(texts(answerView(answer('x', { source: 'l2', queryTimeMs: 3, similarity: 0.91, cachedQuestion: 'why use bcrypt' }), NOW))).toContain(
      'Answered from a similar question in the semantic cache (L2, similarity 0.91: “why use bcrypt”) in 3.0 ms',
    );
  });

  it('links nothing without a GitHub repository, and never a URL that is not https', () => {
    const local = answerView(answer('x', { github: undefined, evidence: [evidence('x', { pullRequest: { number: 55, title: 'x', url: 'javascript:alert(1)' } })] }), NOW);
    expect(walk(local).filter((node) => node.action?.kind === 'openUrl')).toEqual([]);
    expect(walk(local).find((node) => node.text === '#55')?.tag).toBe('span');
  });

  it('shows control characters of a subject as escapes', () => {
    expect(texts(answerView(answer('evil\u001b[2J\u202eorder'), NOW))).toContain('evil\\x1b[2J\\u202eorder');
  });

  it('says an error in its own words', () => {
    expect(texts(errorView('Why?', 'line 900 is past the end of the file (120 lines)'))).toContain('line 900 is past the end of the file (120 lines)');
  });

  it('copies as Markdown with the commit text escaped', () => {
    const markdown = answerMarkdown(answer(HOSTILE), NOW);
    expect(markdown).toContain('\\<img src=x onerror=alert\\(1\\)\\>');
    expect(markdown).not.toContain(HOSTILE);
    expect(markdown).toContain(`[\`a1b2c3d\`](https://github.com/acme/auth/commit/${SHA})`);
  });
});

describe('the panel page', () => {
  const html = panelHtml({ cspSource: 'https://file+.vscode-resource.vscode-cdn.net', nonce: 'abc123', scriptUri: 'https://x/dist/webview.js', styleUri: 'https://x/dist/webview.css' });

  it('has a strict Content-Security-Policy: no inline script or style, only the script with its nonce', () => {
    expect(html).toContain(`content="default-src 'none'; style-src https://file+.vscode-resource.vscode-cdn.net; script-src 'nonce-abc123';`);
    expect(html).not.toContain('unsafe');
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).toContain('<script nonce="abc123" src="https://x/dist/webview.js"></script>');
    expect(html).toContain('<title>AIL: Ask Why</title>');
  });

  it('builds DOM from data only: the webview script never parses HTML', () => {
    const script = readFileSync(path.resolve(__dirname, '../client/webview/main.ts'), 'utf8');
    expect(script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|DOMParser|createContextualFragment/);
    expect(script).toContain('textContent');
  });
});

describe('warnings in words', () => {
  it('has the sentence docs/protocol.md gives for every warning code', () => {
    const doc = readFileSync(path.resolve(__dirname, '../docs/protocol.md'), 'utf8');
    const table = doc.slice(doc.indexOf('Warnings in words'), doc.indexOf('\n## ', doc.indexOf('Warnings in words')));
    const rows = [...table.matchAll(/^\| `([a-z<>-]+)` \| (.+) \|$/gm)].filter(([, code]) => code !== 'code');
    expect(rows.map(([, code]) => code).sort()).toEqual([...WARNING_CODES].sort());
    for (const [, code, sentence] of rows) expect(warningSentence(code!)).toBe(sentence);
    expect(warningSentence('semantic-unavailable')).toMatch(/search of commit messages/);
  });
});

/** Stats of `queries` questions of which the caches answered `hits`, beside `hovers` quick answers of which one in ten was cached. */
function stats(overrides: { hits?: number; queries?: number; hovers?: number; l2?: Partial<CacheStats['l2']>; index?: Partial<CacheStats['index']> } = {}): CacheStats {
  const queries = overrides.queries ?? 100;
  const hits = overrides.hits ?? 57;
  const hovers = overrides.hovers ?? 400;
  const all = queries + hovers;
  const allHits = hits + hovers / 10;
  return {
    l1: { hits: allHits - 6, misses: all - allHits + 6, size: 40, capacity: 1000 },
    l2: { hits: 6, misses: 0, size: 6, capacity: 100, enabled: true, rollout: 100, threshold: 0.85, ...overrides.l2 },
    hitRate: all ? allHits / all : 0,
    queries: all,
    questions: { queries, hitRate: queries ? hits / queries : 0 },
    avgQueryTimeMs: 12.5,
    p95QueryTimeMs: 80,
    index: { state: 'ready', commits: 1234, embedder: 'transformers:Xenova/all-MiniLM-L6-v2', ...overrides.index },
    warming: 0,
    memoryRssBytes: 150 * 1_048_576,
  };
}

describe('the status bar item', () => {
  it('reads `$(history) AIL 57% · L2 100%` when ready, with the full stats as its tooltip', () => {
    const view = statusView(stateOf(stats()));
    expect(view.text).toBe('$(history) AIL 57% · L2 100%');
    expect(view.background).toBeUndefined();
    expect(view.tooltip).toContain('Questions: 100 · hit rate 57%');
    expect(view.tooltip).toContain('All answers, hovers and lenses included: 500 · hit rate 19%');
    expect(view.tooltip).toContain('L2 (semantic): on · 6 hits');
    expect(view.tooltip).toContain('Commit index: ready · 1234 commits');
  });

  it('says when the team cache (Redis) is in trouble, and counts its hits in the tooltip', () => {
    const team = { state: 'full' as const, hits: 12, misses: 3, errors: 2, written: 40, reason: 'Redis is full and refuses writes (maxmemory with noeviction)' };
    const state = stateOf({ ...stats(), team });
    expect(state).toMatchObject({ kind: 'degraded', reasons: ['the team cache (Redis) is full (Redis is full and refuses writes (maxmemory with noeviction)): answers are dug locally and not shared'] });
    const view = statusView(state);
    expect(view.text).toMatch(/^\$\(warning\) AIL/);
    expect(view.tooltip).toContain('Team cache (Redis): full: Redis is full and refuses writes (maxmemory with noeviction) · 12 hits · 3 misses · 40 shared');
    expect(stateOf({ ...stats(), team: { ...team, state: 'ready', reason: undefined } }).kind).toBe('ready');
  });

  it("says when GitHub's rate limit is spent and until when, and its budget in the tooltip", () => {
    const now = new Date(2026, 11, 4, 13, 40).getTime();
    const limited = { ...stats(), github: { requests: 61, spent: 60, notModified: 1, cacheHits: 12, limit: 60, remaining: 0, resetAt: new Date(2026, 11, 4, 14, 5).toISOString(), limitedUntil: new Date(2026, 11, 4, 14, 5).toISOString() } };
    const state = stateOf(limited, {}, now);
    expect(state).toMatchObject({ kind: 'degraded', reasons: ['GitHub: rate limited until 14:05'] });
    const view = statusView(state);
    expect(view.text).toMatch(/^\$\(warning\) AIL/);
    expect(view.tooltip).toContain('GitHub: rate limited until 14:05');
    expect(view.tooltip).toContain('GitHub: 61 requests (60 counted, 1 not modified) · 12 from the disk cache · 0/60 left, resets 14:05');
    expect(stateOf(limited, {}, new Date(2026, 11, 4, 14, 6).getTime()).kind).toBe('ready');
    expect(stateOf(stats(), { githubAuth: true })).toMatchObject({ kind: 'degraded', reasons: ['GitHub refused the token: Set GitHub Token gives it a new one'] });
  });

  it('turns warning below a 40% hit rate and error below 30%, once there are 20 queries to judge', () => {
    expect(statusView(stateOf(stats({ hits: 39 }))).background).toBe('warning');
    expect(statusView(stateOf(stats({ hits: 29 }))).background).toBe('error');
    expect(statusView(stateOf(stats({ hits: 1, queries: 19 }))).background).toBeUndefined();
    expect(statusView(stateOf(stats({ hits: 5, queries: 20 }))).background).toBe('error');
  });

  it('judges questions, not hovers: a session of hovers on new lines (mostly misses by nature) is no cache in trouble', () => {
    const hoversOnly = statusView(stateOf(stats({ hits: 0, queries: 0, hovers: 1000, l2: { hits: 0 } })));
    expect(hoversOnly.text).toBe('$(history) AIL · L2 on');
    expect(hoversOnly.background).toBeUndefined();
    expect(statusView(stateOf(stats({ hits: 57, queries: 100, hovers: 5000 }))).background).toBeUndefined();
  });

  it('shows the semantic cache switched off, and no rate before any query', () => {
    expect(statusView(stateOf(stats({ l2: { enabled: false } }))).text).toBe('$(history) AIL 57% · L2 off');
    expect(statusView(stateOf(stats({ hits: 0, queries: 0, l2: { hits: 0 } }))).text).toBe('$(history) AIL · L2 on');
  });

  it('is degraded on the lexical fallback embedder or without GitHub, saying why', () => {
    const fallback = statusView(stateOf(stats({ index: { embedder: 'lexical-v1-384', fallback: 'no local copy of Xenova/all-MiniLM-L6-v2' } })));
    expect(fallback.text).toBe('$(warning) AIL 57% · L2 100%');
    expect(fallback.background).toBe('warning');
    expect(fallback.tooltip).toContain('the embedding model could not be loaded (no local copy of Xenova/all-MiniLM-L6-v2)');
    expect(stateOf(stats(), { githubUnavailable: true })).toMatchObject({ kind: 'degraded', reasons: [expect.stringContaining('GitHub could not be reached')] });
  });

  it('shows indexing with its progress, and starting, error and disabled', () => {
    expect(statusView(stateOf(stats({ index: { state: 'building', progress: { done: 250, total: 1000 } } }))).text).toBe('$(sync~spin) AIL indexing 25%');
    expect(statusView({ kind: 'starting' }).text).toBe('$(sync~spin) AIL');
    expect(statusView({ kind: 'error', message: 'it crashed' })).toMatchObject({ text: '$(error) AIL', background: 'error' });
    expect(statusView({ kind: 'disabled', reason: 'this workspace is not trusted' })).toMatchObject({ text: '$(circle-slash) AIL', tooltip: 'AIL is off: this workspace is not trusted' });
  });
});

describe("the status bar in a multi-root workspace: the active editor's repository", () => {
  const first = { root: '/work/api', state: 'ready', commits: 1234 } as const;
  const building = { root: '/work/web', state: 'building', commits: 0, progress: { done: 30, total: 120 } } as const;
  const nested = { root: '/work/web/vendor/lib', state: 'ready', commits: 7 } as const;
  const multi = (): CacheStats => ({ ...stats({ index: { root: first.root } }), indexes: [first, building, nested] });

  it("shows the index of the repository holding the active editor's file, the innermost of nested ones", () => {
    expect(statusView(stateOf(statsFor(multi(), '/work/web/src/app.ts'))).text).toBe('$(sync~spin) AIL indexing 25%');
    const api = statusView(stateOf(statsFor(multi(), '/work/api/src/server.ts')));
    expect(api.text).toBe('$(history) AIL 57% · L2 100%');
    expect(api.tooltip).toContain('Commit index of api: ready · 1234 commits · transformers:Xenova/all-MiniLM-L6-v2');
    expect(statusView(stateOf(statsFor(multi(), '/work/web/vendor/lib/x.ts'))).tooltip).toContain('Commit index of lib: ready · 7 commits');
  });

  it("keeps the first repository's index for a file in none of them, a sibling with a longer name, or no file", () => {
    for (const file of ['/elsewhere/a.ts', '/work/api-client/a.ts', undefined]) expect(statsFor(multi(), file).index).toEqual(multi().index);
    expect(statsFor(stats(), '/work/web/src/app.ts')).toEqual(stats());
  });

  it('keeps the embedder and its fallback: they are the server\'s, not a repository\'s', () => {
    const withFallback = { ...stats({ index: { embedder: 'lexical-v1-384', fallback: 'no local copy' } }), indexes: [first, building] };
    expect(statsFor(withFallback, '/work/web/a.ts').index).toEqual({ root: '/work/web', state: 'building', commits: 0, progress: { done: 30, total: 120 }, embedder: 'lexical-v1-384', fallback: 'no local copy' });
  });

  it('compares Windows paths whatever their slashes and drive letter case', () => {
    const windows = { ...stats(), indexes: [{ root: 'C:\\work\\web', state: 'building', commits: 0 } as const] };
    expect(statsFor(windows, 'c:\\work\\web\\src\\app.ts').index.state).toBe('building');
  });

  it('says which repositories Rebuild Index rebuilt', () => {
    expect(reindexMessage({ commits: 12, embedder: 'lexical-v1-384', seconds: 0.4, repositories: [{ root: '/work/api', commits: 12 }] })).toBe('AIL: indexed 12 commits of api with lexical-v1-384 in 0.4 s.');
    expect(reindexMessage({ commits: 13, embedder: 'lexical-v1-384', seconds: 1, repositories: [{ root: '/work/api', commits: 12 }, { root: '/work/web', commits: 1 }] })).toBe('AIL: indexed 13 commits (api 12, web 1) with lexical-v1-384 in 1 s.');
    expect(reindexMessage({ commits: 1, embedder: 'lexical-v1-384', seconds: 1 })).toBe('AIL: indexed 1 commit with lexical-v1-384 in 1 s.');
  });
});

/**
 * vscode-jsonrpc's own trace of the messages a client sends, in both formats `ail.trace.server` can ask
 * for, written the way vscode-languageclient writes it to its trace channel (`message\ndata`, or the
 * JSON of an LSP message), through the redaction the extension's trace channel applies.
 */
describe('the trace of ail/setGitHubToken', () => {
  const TOKEN = 'ghp_traceTokenThatMustNotLeak0123456789';
  async function traced(format: TraceFormat): Promise<string[]> {
    const [toServer, toClient] = [new PassThrough(), new PassThrough()];
    const client = createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
    const server = createMessageConnection(new StreamMessageReader(toServer), new StreamMessageWriter(toClient));
    server.onRequest(SetGitHubTokenRequest.type, () => ({ githubToken: true }));
    server.onRequest('ail/stats', () => ({ queries: 0 }));
    server.listen();
    client.listen();
    const lines: string[] = [];
    await client.trace(Trace.Verbose, { log: (message: string | object, data?: string) => lines.push(redactTrace(typeof message === 'string' ? (data ? `${message}\n${data}` : message) : JSON.stringify(message))) }, { sendNotification: false, traceFormat: format });
    await client.sendRequest(SetGitHubTokenRequest.type, { token: TOKEN });
    await client.sendRequest('ail/stats');
    client.dispose();
    server.dispose();
    return lines;
  }

  it('keeps the request in a verbose text trace, and its params out', async () => {
    const lines = await traced(TraceFormat.Text);
    expect(lines.join('\n')).not.toContain(TOKEN);
    expect(lines).toContainEqual(expect.stringMatching(/^Sending request 'ail\/setGitHubToken - \(\d+\)'\.\nParams: \(not logged: the GitHub token\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^Received response 'ail\/setGitHubToken - \(\d+\)' in \d+ms\.\nResult: \{/));
    expect(lines).toContainEqual(expect.stringMatching(/^Sending request 'ail\/stats - \(\d+\)'\.$/));
  });

  it('keeps the message in a JSON trace, and its params out', async () => {
    const lines = await traced(TraceFormat.JSON);
    expect(lines.join('\n')).not.toContain(TOKEN);
    const sent = lines.map((line) => JSON.parse(line) as { type: string; message: { method?: string; params?: unknown } }).find((line) => line.type === 'send-request' && line.message.method === 'ail/setGitHubToken');
    expect(sent?.message.params).toBe('(not logged: the GitHub token)');
  });

  it('leaves every other line as it is', () => {
    for (const line of ["Sending request 'ail/context - (3)'.\nParams: {\n    \"question\": \"token\"\n}", 'AIL: a GitHub token is set', '{"a":1}']) expect(redactTrace(line)).toBe(line);
  });
});

describe('the current-line annotation', () => {
  it('reads "author, age · subject (#PR)", or not committed yet', () => {
    const committed = { kind: 'committed', sha: SHA, shortSha: 'a1b2c3d', author: 'Grace Hopper', date: '2024-03-01T12:00:00Z', subject: 'Switch session token hashing from md5 to bcrypt', pullRequest: 55 } as const;
    expect(lineAnnotation(committed, NOW)).toBe('Grace Hopper, 3 weeks ago · Switch session token hashing from md5 to bcrypt (#55)');
    expect(lineAnnotation({ ...committed, subject: 'Switch hashing (#55)' }, NOW)).toBe('Grace Hopper, 3 weeks ago · Switch hashing (#55)');
    expect(lineAnnotation({ ...committed, subject: 'a\nb\u202e' }, NOW)).toBe('Grace Hopper, 3 weeks ago · a\\nb\\u202e (#55)');
    expect(lineAnnotation({ kind: 'uncommitted' }, NOW)).toBe('Not committed yet');
  });
});

describe('ail.askWhy arguments', () => {
  it('asks at once for a lens or hover ([uri, range]); the palette, key and menu ask about the selection', () => {
    const range = { start: { line: 2, character: 0 }, end: { line: 7, character: 0 } };
    expect(askTarget('file:///r/a.ts', range)).toEqual({ kind: 'given', uri: 'file:///r/a.ts', range });
    expect(askTarget('file:///r/a.ts', undefined)).toEqual({ kind: 'given', uri: 'file:///r/a.ts' });
    expect(askTarget(undefined, undefined)).toEqual({ kind: 'editor' });
    expect(askTarget({ scheme: 'file', path: '/r/a.ts' }, { groupId: 0 })).toEqual({ kind: 'editor' });
  });

  it('asks about whole lines of a selection; one ending at column 0 ends on the line before', () => {
    expect(selectionRange({ line: 4, character: 3 }, { line: 4, character: 3 })).toEqual({ start: { line: 4, character: 0 }, end: { line: 5, character: 0 } });
    expect(selectionRange({ line: 4, character: 0 }, { line: 8, character: 0 })).toEqual({ start: { line: 4, character: 0 }, end: { line: 8, character: 0 } });
    expect(selectionRange({ line: 4, character: 2 }, { line: 8, character: 5 })).toEqual({ start: { line: 4, character: 0 }, end: { line: 9, character: 0 } });
  });
});

describe('restarts after a crash', () => {
  it(`restarts ${MAX_RESTARTS} times within the window, then gives up and says so`, () => {
    let now = 0;
    const policy = new CrashPolicy(() => now);
    for (let i = 0; i < MAX_RESTARTS; i++) expect(policy.crashed()).toBe(true);
    expect(policy.crashed()).toBe(false);
    expect(CrashPolicy.GAVE_UP).toContain('AIL: Restart Server');
    now += RESTART_WINDOW_MS + 1;
    expect(policy.crashed()).toBe(true);
  });
});
