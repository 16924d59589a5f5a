import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkQualitySet, scoreCase, tally, type AilOutcome, type QualityCase } from '../server/bench/quality';
import { runQualityBench } from '../server/cli/bench-quality';
import { CLI } from './helpers/cli';
import { BOB, Fixture } from './helpers/fixture';

const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

function sink(): Writable & { text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  }) as Writable & { text: () => string };
  stream.text = () => chunks.join('');
  return stream;
}

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);
const lineCase: QualityCase = { id: 'x', repo: 'o/r', kind: 'line', path: 'f.js', line: 1, lineSha256: '0'.repeat(16), question: 'why?', explains: ['aaaaaaaaaaaa'], acceptable: ['bbbbbbb'] };
const answer = (evidence: string[], summary = '', confidence?: number): AilOutcome => ({ evidence, summary, ms: 1, ...(confidence !== undefined ? { confidence } : {}) });

describe('the quality set is scored', () => {
  // (answer's evidence, blame's commit) → what each figure must say
  const table: [string, AilOutcome, string | undefined, { top1: boolean; top1Strict: boolean; top3: boolean; blameTop1?: boolean; agreesWithBlame?: boolean; summaryNames: boolean }][] = [
    ['the explaining commit first', answer([A, C], `comes from ${A.slice(0, 7)}`), C, { top1: true, top1Strict: true, top3: true, blameTop1: false, agreesWithBlame: false, summaryNames: true }],
    ['an acceptable commit first', answer([B, A]), B, { top1: true, top1Strict: false, top3: true, blameTop1: true, agreesWithBlame: true, summaryNames: false }],
    ['the label third', answer([C, C.replace(/c/g, 'd'), A], 'the subject: Fix the thing'), A, { top1: false, top1Strict: false, top3: true, blameTop1: true, agreesWithBlame: false, summaryNames: true }],
    ['the label fourth', answer([C, C, C, A]), undefined, { top1: false, top1Strict: false, top3: false, blameTop1: false, agreesWithBlame: false, summaryNames: false }],
    ['an error', { evidence: [], summary: '', error: 'does not exist', ms: 1 }, A, { top1: false, top1Strict: false, top3: false, blameTop1: true, agreesWithBlame: false, summaryNames: false }],
  ];
  it.each(table)('%s', (_name, ail, blame, expected) => {
    expect(scoreCase(lineCase, ail, blame, new Map([['aaaaaaaaaaaa', 'Fix the thing']]))).toEqual(expected);
  });

  it('a whole-file or deleted-file case is not counted against blame', () => {
    const deleted: QualityCase = { ...lineCase, kind: 'deleted-file', line: undefined, lineSha256: undefined };
    const score = scoreCase(deleted, answer([A]), undefined, new Map());
    expect(score.blameTop1).toBeUndefined();
    const t = tally([{ case: deleted, ail: answer([A], '', 0.9), score }, { case: lineCase, ail: answer([C], '', 0.5), score: scoreCase(lineCase, answer([C]), A, new Map()) }]);
    expect(t).toMatchObject({ cases: 2, top1: 1, blameCases: 1, blameTop1: 1, meanConfidenceRight: 0.9, meanConfidenceWrong: 0.5 });
  });

  it('a cases file with a mistake is refused in one sentence', () => {
    const repositories = { 'o/r': { url: 'x', head: A } };
    expect(() => checkQualitySet({ repositories, cases: [{ ...lineCase, explains: [] }] })).toThrow(/"explains" must be a non-empty array/);
    expect(() => checkQualitySet({ repositories, cases: [{ ...lineCase, path: '../etc/passwd' }] })).toThrow(/inside the repository/);
    expect(() => checkQualitySet({ repositories, cases: [{ ...lineCase, repo: 'p/q' }] })).toThrow(/must name one of/);
  });
});

describe('ail bench --quality on a repository built here', () => {
  let fx: Fixture;
  let work: string;
  let explaining: string;
  let added: string;
  let removing: string;

  beforeAll(() => {
    fx = Fixture.create();
    fx.write('limits.js', ['function limit() {', '  return 10;', '}']);
    fx.write('old.js', ['module.exports = 1;']);
    added = fx.commit('Add limit()');
    fx.write('limits.js', ['function limit() {', '  return 25; // the API allows 25 since v2', '}']);
    explaining = fx.commit('Raise the limit to 25: the API allows it since v2 (#12)', BOB);
    fx.write('limits.js', ['function limit () {', '  return 25; // the API allows 25 since v2', '}']);
    fx.commit('Reformat');
    fx.git('rm', '-q', 'old.js');
    removing = fx.commit('Remove old.js: nothing requires it');
    work = mkdtempSync(path.join(tmpdir(), 'ail-quality-test-'));
  });

  afterAll(() => {
    fx.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it('scores lines and a deleted file, reports a drifted line, counts a case AIL refuses as a miss, and skips a repository it cannot get', async () => {
    const head = fx.head();
    const cases = {
      repositories: { 'test/fixture': { url: fx.root, head }, 'test/missing': { url: path.join(work, 'nowhere'), head } },
      cases: [
        { id: 'limit-return', repo: 'test/fixture', kind: 'line', path: 'limits.js', line: 2, lineSha256: hash('  return 25; // the API allows 25 since v2'), question: 'why 25?', explains: [explaining.slice(0, 12)], acceptable: [] },
        { id: 'limit-signature', repo: 'test/fixture', kind: 'line', path: 'limits.js', line: 1, lineSha256: hash('function limit () {'), question: 'why is this code like this?', explains: [added.slice(0, 12)], acceptable: [] },
        { id: 'drifted', repo: 'test/fixture', kind: 'line', path: 'limits.js', line: 3, lineSha256: hash('} // not this'), question: 'why?', explains: [explaining], acceptable: [] },
        { id: 'gone', repo: 'test/fixture', kind: 'deleted-file', path: 'old.js', question: 'why was this removed?', explains: [removing.slice(0, 12)], acceptable: [] },
        { id: 'never', repo: 'test/fixture', kind: 'deleted-file', path: 'never.js', question: 'why was this removed?', explains: [removing.slice(0, 12)], acceptable: [] },
        { id: 'elsewhere', repo: 'test/missing', kind: 'line', path: 'x.js', line: 1, lineSha256: hash('x'), question: 'why?', explains: [explaining], acceptable: [] },
      ],
    };
    const file = path.join(work, 'cases.json');
    writeFileSync(file, JSON.stringify(cases));
    const out = sink();
    const err = sink();
    const code = await runQualityBench(['--cases', file, '--cache', path.join(work, 'cache'), '--time-limit', '30', '--json'], out, err, { cliPath: CLI });
    expect(code).toBe(0);
    const report = JSON.parse(out.text());
    expect(err.text()).toMatch(/quality: skipped test\/missing \(1 cases\): .*--repos DIR/);
    expect(report.repositories.map((r: { repo: string; status: string }) => `${r.repo} ${r.status}`)).toEqual(['test/fixture ok', 'test/missing skipped']);
    expect(report.drifted).toEqual([{ id: 'drifted', reason: expect.stringMatching(/line 3 of limits.js is not the labelled text/) }]);
    const byId = Object.fromEntries(report.results.map((r: { id: string }) => [r.id, r]));
    expect(Object.keys(byId).sort()).toEqual(['gone', 'limit-return', 'limit-signature', 'never']);
    // blame -w sees through the whitespace-only reformat to the commit that wrote each line.
    expect(byId['limit-return'].blame).toBe(explaining);
    expect(byId['limit-return'].score).toMatchObject({ top1: true, top3: true, blameTop1: true, agreesWithBlame: true });
    expect(byId['limit-signature'].blame).toBe(added);
    expect(byId['limit-signature'].score.blameTop1).toBe(true);
    // A deleted file is answered with the commit that removed it; blame is not asked.
    expect(byId.gone.ail.error).toBeUndefined();
    expect(byId.gone.ail.top3[0]).toBe(removing);
    expect(byId.gone.score).toMatchObject({ top1: true, top3: true, summaryNames: true });
    expect(byId.gone.score.blameTop1).toBeUndefined();
    // A path that never existed: AIL exits with an error; that is a miss, not a crash.
    expect(byId.never.ail.error).toMatch(/never\.js does not exist/);
    expect(byId.never.score).toMatchObject({ top1: false, top3: false, summaryNames: false });
    expect(report.kinds['deleted-file']).toMatchObject({ cases: 2, top1: 1, errors: 1, blameCases: 0 });
    expect(report.all).toMatchObject({ cases: 4, blameCases: 2, blameTop1: 2 });
    expect(report.all.top1).toBe([byId['limit-return'], byId['limit-signature'], byId.gone].filter((r) => r.score.top1).length);

    // A second run starts from the cached clone.
    const again = sink();
    await runQualityBench(['--cases', file, '--cache', path.join(work, 'cache'), '--only', 'limit-return', '--json'], again, sink(), { cliPath: CLI });
    expect(JSON.parse(again.text()).repositories[0]).toMatchObject({ status: 'ok', source: 'cache' });
  });

  it('prints the table of misses for people', async () => {
    const file = path.join(work, 'one.json');
    writeFileSync(
      file,
      JSON.stringify({
        repositories: { 'test/fixture': { url: fx.root, head: fx.head() } },
        cases: [{ id: 'never', repo: 'test/fixture', kind: 'deleted-file', path: 'never.js', question: 'why was this removed?', explains: [removing.slice(0, 12)] }],
      }),
    );
    const out = sink();
    await runQualityBench(['--cases', file, '--cache', path.join(work, 'cache')], out, sink(), { cliPath: CLI });
    expect(out.text()).toMatch(/misses \(1\)/);
    expect(out.text()).toMatch(new RegExp(`never +deleted-file +${removing.slice(0, 12)} Remove old.js: nothing requires it +error: `));
  });

  it('an unknown option is bad input', async () => {
    await expect(runQualityBench(['--frobnicate'], sink(), sink(), { cliPath: CLI })).rejects.toThrow(/unknown option --frobnicate/);
  });
});
