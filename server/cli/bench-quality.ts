import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { safeJson, visible } from '../../shared/visible';
import { rawGit, runGit } from '../bench/git';
import {
  CASE_KINDS,
  loadQualitySet,
  scoreCase,
  tally,
  type AilOutcome,
  type QualityCase,
  type QualityRepository,
  type Scored,
  type Tally,
} from '../bench/quality';
import { AilError } from '../util/errors';
import { progressPrinter } from './progress';

/**
 * `ail bench --quality`: asks the built `ail` about every case of the quality set (bench/quality/cases.json)
 * on clones of the real repositories at their pinned heads, runs `git blame -w -M -C` on the same lines,
 * and scores both against the labels. The repositories come from a local copy when one is given
 * (`--repos DIR`, or AIL_QUALITY_REPOS), else from their URL (unless `--offline`); a repository that
 * cannot be had is skipped with one line. Clones are kept in `--cache DIR` (AIL_QUALITY_CACHE, default
 * ~/.cache/ail-quality), so a second run starts at once.
 */

interface QualityArgs {
  cases: string;
  repos?: string;
  cache: string;
  offline: boolean;
  only?: string;
  timeLimitS: number;
  json: boolean;
}

export interface QualityOptions {
  /** The built command line to ask (`dist/cli.js`); tests pass the built one explicitly. */
  cliPath?: string;
  env?: NodeJS.ProcessEnv;
}

const USAGE = 'ail bench --quality takes --cases FILE, --repos DIR, --cache DIR, --offline, --only TEXT, --time-limit SECONDS, --json';

export async function runQualityBench(argv: readonly string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream, options: QualityOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const args = parseQualityArgs(argv, env);
  const cliPath = options.cliPath ?? path.join(__dirname, 'cli.js');
  if (!existsSync(cliPath)) throw new AilError('bad-argument', `${cliPath} is missing: run npm run build first`);
  const set = loadQualitySet(args.cases);
  const cases = set.cases.filter((c) => !args.only || c.id.includes(args.only) || c.repo.includes(args.only));
  const progress = progressPrinter(err);
  const repositories: RepositoryStatus[] = [];
  const scored: (Scored & { blame?: string; subjects: Map<string, string> })[] = [];
  const drifted: { id: string; reason: string }[] = [];
  let done = 0;
  for (const [name, repository] of Object.entries(set.repositories)) {
    const mine = cases.filter((c) => c.repo === name);
    if (mine.length === 0) continue;
    progress('quality', { done, total: cases.length, message: `getting ${name}` });
    const clone = await obtain(name, repository, args);
    repositories.push({ repo: name, head: repository.head, ...clone });
    if (clone.status === 'skipped') {
      err.write(`quality: skipped ${visible(name)} (${mine.length} cases): ${visible(clone.reason)}; give a local clone or mirror with --repos DIR or AIL_QUALITY_REPOS (DIR/owner+name or DIR/owner/name)\n`);
      done += mine.length;
      continue;
    }
    const files = new Map<string, string[] | undefined>();
    for (const c of mine) {
      progress('quality', { done: done++, total: cases.length, message: c.id });
      const drift = await driftOf(clone.dir, repository.head, c, files);
      if (drift) {
        drifted.push({ id: c.id, reason: drift });
        continue;
      }
      const subjects = await subjectsOf(clone.dir, [...c.explains, ...c.acceptable]);
      const ail = await askAil(cliPath, clone.dir, c, args.timeLimitS, env);
      const blame = c.line !== undefined && c.kind !== 'deleted-file' ? await blameLine(clone.dir, repository.head, c.path, c.line) : undefined;
      for (const sha of [ail.evidence[0], blame]) if (sha && !subjects.has(sha)) subjects.set(sha, (await subjectsOf(clone.dir, [sha])).get(sha) ?? '');
      scored.push({ case: c, ail, score: scoreCase(c, ail, blame, subjects), ...(blame ? { blame } : {}), subjects });
    }
  }
  progress('quality', { done: cases.length, total: cases.length, message: 'done' });
  const report = {
    cases: args.cases,
    timeLimitS: args.timeLimitS,
    repositories,
    drifted,
    all: tally(scored),
    kinds: Object.fromEntries(CASE_KINDS.map((kind) => [kind, tally(scored.filter((s) => s.case.kind === kind))])),
    repos: Object.fromEntries(repositories.filter((r) => r.status === 'ok').map((r) => [r.repo, tally(scored.filter((s) => s.case.repo === r.repo))])),
    askMs: percentiles(scored.map((s) => s.ail.ms)),
    results: scored.map((s) => ({
      id: s.case.id,
      kind: s.case.kind,
      expected: s.case.explains,
      acceptable: s.case.acceptable,
      ail: {
        top3: s.ail.evidence.slice(0, 3),
        ...(s.ail.confidence !== undefined ? { confidence: s.ail.confidence } : {}),
        ...(s.ail.error !== undefined ? { error: s.ail.error } : {}),
        ...(s.ail.partial ? { partial: true } : {}),
        summary: s.ail.summary,
        ms: s.ail.ms,
      },
      ...(s.blame ? { blame: s.blame } : {}),
      score: s.score,
      subjects: Object.fromEntries(s.subjects),
    })),
  };
  if (args.json) out.write(`${safeJson(report)}\n`);
  else out.write(formatReport(report, scored));
  return 0;
}

function parseQualityArgs(argv: readonly string[], env: NodeJS.ProcessEnv): QualityArgs {
  const args: QualityArgs = {
    cases: path.join(__dirname, '..', 'bench', 'quality', 'cases.json'),
    ...(env.AIL_QUALITY_REPOS ? { repos: env.AIL_QUALITY_REPOS } : {}),
    cache: env.AIL_QUALITY_CACHE || path.join(homedir(), '.cache', 'ail-quality'),
    offline: false,
    timeLimitS: 120,
    json: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new AilError('bad-argument', `${arg} needs a value`);
      return next;
    };
    if (arg === '--cases') args.cases = path.resolve(value());
    else if (arg === '--repos') args.repos = path.resolve(value());
    else if (arg === '--cache') args.cache = path.resolve(value());
    else if (arg === '--offline') args.offline = true;
    else if (arg === '--only') args.only = value();
    else if (arg === '--json') args.json = true;
    else if (arg === '--time-limit') {
      const text = value();
      const seconds = Number(text);
      if (!Number.isFinite(seconds) || seconds < 0.05 || seconds > 600) throw new AilError('bad-argument', `--time-limit must be seconds from 0.05 to 600 (got '${text}')`);
      args.timeLimitS = seconds;
    } else throw new AilError('bad-argument', `unknown option ${arg} (${USAGE})`);
  }
  return args;
}

type RepositoryStatus = { repo: string; head: string } & ({ status: 'ok'; dir: string; source: string } | { status: 'skipped'; reason: string });
type Obtained = { status: 'ok'; dir: string; source: string } | { status: 'skipped'; reason: string };

/**
 * A clone of the repository at its pinned head, in the cache: the cached one when it holds the head,
 * else a new clone from the first local copy that holds it, else (unless offline) from the URL. The
 * clone's remote is removed, so AIL answers from local evidence only, the same on every machine.
 */
async function obtain(name: string, repository: QualityRepository, args: QualityArgs): Promise<Obtained> {
  const dir = path.join(args.cache, name.replace('/', '+'));
  const hasHead = async (gitDir: string) =>
    runGit(gitDir, ['cat-file', '-e', `${repository.head}^{commit}`]).then(
      () => true,
      () => false,
    );
  let source = 'cache';
  if (!existsSync(dir) || !(await hasHead(dir))) {
    rmSync(dir, { recursive: true, force: true });
    const locals = args.repos ? [`${name.replace('/', '+')}/repo`, name.replace('/', '+'), name, name.split('/')[1]!].map((p) => path.join(args.repos!, p)) : [];
    const candidates = [...locals.filter((p) => existsSync(p)), ...(args.offline ? [] : [repository.url])];
    if (candidates.length === 0) return { status: 'skipped', reason: args.repos ? `no copy under ${args.repos} and --offline` : 'no local copy given and --offline' };
    let lastError = '';
    for (const candidate of candidates) {
      try {
        mkdirSync(args.cache, { recursive: true });
        await runGit(args.cache, ['clone', '--quiet', '--no-checkout', '--', candidate, dir]);
        if (await hasHead(dir)) {
          source = candidate;
          break;
        }
        lastError = `${candidate} does not hold ${repository.head.slice(0, 12)}`;
      } catch (error) {
        lastError = firstLine(error instanceof Error ? error.message : String(error));
      }
      rmSync(dir, { recursive: true, force: true });
    }
    if (source === 'cache') return { status: 'skipped', reason: lastError };
    await runGit(dir, ['remote', 'remove', 'origin']).catch(() => undefined);
  }
  try {
    await runGit(dir, ['checkout', '--quiet', '--force', '--detach', repository.head]);
    await runGit(dir, ['clean', '--quiet', '-fdx']);
  } catch (error) {
    return { status: 'skipped', reason: `cannot check out ${repository.head.slice(0, 12)}: ${firstLine(error instanceof Error ? error.message : String(error))}` };
  }
  return { status: 'ok', dir, source };
}

/** Why a case no longer fits its repository (the line's text changed, the file is gone or back), or undefined. */
async function driftOf(dir: string, head: string, c: QualityCase, files: Map<string, string[] | undefined>): Promise<string | undefined> {
  if (!files.has(c.path)) {
    const text = await runGit(dir, ['cat-file', 'blob', `${head}:${c.path}`]).catch(() => undefined);
    files.set(c.path, text?.split('\n'));
  }
  const lines = files.get(c.path);
  if (c.kind === 'deleted-file') return lines ? `${c.path} exists at the head` : undefined;
  if (!lines) return `${c.path} does not exist at the head`;
  if (c.line === undefined) return undefined;
  const text = lines[c.line - 1];
  if (text === undefined || c.line > lines.length - (lines.at(-1) === '' ? 1 : 0)) return `line ${c.line} is past the end of ${c.path}`;
  const hash = createHash('sha256').update(text.replace(/\r$/, '')).digest('hex').slice(0, 16);
  return hash === c.lineSha256 ? undefined : `line ${c.line} of ${c.path} is not the labelled text (sha256 ${hash}, labelled ${c.lineSha256})`;
}

/** Subjects of commits by the label or sha they were asked by; a label missing from the history is left out. */
async function subjectsOf(dir: string, shas: readonly string[]): Promise<Map<string, string>> {
  const subjects = new Map<string, string>();
  for (const sha of shas) {
    const subject = await runGit(dir, ['log', '-1', '--format=%s', `${sha}^{commit}`, '--']).catch(() => undefined);
    if (subject !== undefined) subjects.set(sha, subject.trim());
  }
  return subjects;
}

/** `ail ask` through the built command line, as a user runs it; an error exit is an answer too (a miss). */
function askAil(cliPath: string, dir: string, c: QualityCase, timeLimitS: number, env: NodeJS.ProcessEnv): Promise<AilOutcome> {
  const target = c.line !== undefined ? `${c.path}:${c.line}` : c.path;
  const childEnv: NodeJS.ProcessEnv = {};
  // The developer's GitHub token and AIL settings stay out: the figures are the engine's on local evidence.
  for (const [key, value] of Object.entries(env)) if (!key.startsWith('AIL_') && !key.startsWith('GITHUB_') && !key.startsWith('FAISS_')) childEnv[key] = value;
  childEnv.AIL_MAX_QUERY_TIME_S = String(timeLimitS);
  childEnv.NO_COLOR = '1';
  if (env.AIL_DATA_DIR) childEnv.AIL_DATA_DIR = env.AIL_DATA_DIR;
  if (env.AIL_MODEL_PATH) childEnv.AIL_MODEL_PATH = env.AIL_MODEL_PATH;
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, 'ask', target, c.question, '--repo', dir, '--json'], { cwd: dir, env: childEnv });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const fail = (error: string): AilOutcome => ({ evidence: [], summary: '', error, ms: Math.round(performance.now() - started) });
    child.on('error', (error) => resolve(fail(error.message)));
    child.on('close', (code) => {
      const ms = Math.round(performance.now() - started);
      const errText = Buffer.concat(stderr).toString('utf8').trim();
      if (code !== 0) return resolve(fail(firstLine(errText) || `exit ${code}`));
      try {
        const answer = JSON.parse(Buffer.concat(stdout).toString('utf8')) as { evidence?: { commit?: { sha?: string } }[]; summary?: string; confidence?: number; partial?: boolean };
        resolve({
          evidence: (answer.evidence ?? []).map((e) => e.commit?.sha).filter((sha): sha is string => typeof sha === 'string'),
          summary: typeof answer.summary === 'string' ? answer.summary : '',
          ...(typeof answer.confidence === 'number' ? { confidence: answer.confidence } : {}),
          ...(answer.partial ? { partial: true } : {}),
          ms,
        });
      } catch {
        resolve(fail('the answer was not JSON'));
      }
    });
  });
}

/** The commit `git blame -w -M -C` names for the line at the head, or undefined when blame fails. */
async function blameLine(dir: string, head: string, file: string, line: number): Promise<string | undefined> {
  const porcelain = await rawGit(dir, ['blame', '-w', '-M', '-C', '-L', `${line},${line}`, '--porcelain', head, '--', file]).catch(() => undefined);
  const sha = porcelain?.split(' ', 1)[0];
  return sha && /^[0-9a-f]{40}$/.test(sha) ? sha : undefined;
}

function formatReport(report: { cases: string; timeLimitS: number; repositories: RepositoryStatus[]; drifted: { id: string; reason: string }[]; all: Tally; kinds: Record<string, Tally>; repos: Record<string, Tally>; askMs: { p50: number; p95: number; max: number } }, scored: readonly (Scored & { blame?: string; subjects: Map<string, string> })[]): string {
  const lines: string[] = [];
  const skipped = report.repositories.filter((r) => r.status === 'skipped');
  lines.push(`AIL quality: ${report.all.cases} cases scored from ${report.repositories.length - skipped.length} repositories (${visible(report.cases)}), AIL_MAX_QUERY_TIME_S=${report.timeLimitS}`);
  if (skipped.length) lines.push(`skipped: ${skipped.map((r) => visible(r.repo)).join(', ')}`);
  if (report.drifted.length) {
    lines.push(`drifted, not scored (${report.drifted.length}):`);
    for (const d of report.drifted) lines.push(`  ${visible(d.id)}: ${visible(d.reason)}`);
  }
  lines.push('');
  const header = ['', 'cases', 'top-1', 'strict', 'top-3', 'blame top-1', 'AIL = blame', 'summary names', 'confidence right / wrong', 'errors'];
  const rows = [header];
  const row = (label: string, t: Tally) => [
    label,
    String(t.cases),
    share(t.top1, t.cases),
    share(t.top1Strict, t.cases),
    share(t.top3, t.cases),
    t.blameCases ? share(t.blameTop1, t.blameCases) : 'n/a',
    t.blameCases ? share(t.agreesWithBlame, t.blameCases) : 'n/a',
    share(t.summaryNames, t.cases),
    `${t.meanConfidenceRight?.toFixed(2) ?? '-'} / ${t.meanConfidenceWrong?.toFixed(2) ?? '-'}`,
    String(t.errors),
  ];
  rows.push(row('all', report.all));
  for (const [kind, t] of Object.entries(report.kinds)) if (t.cases) rows.push(row(`  ${kind}`, t));
  for (const [repo, t] of Object.entries(report.repos)) rows.push(row(`  ${visible(repo)}`, t));
  lines.push(...table(rows));
  lines.push('');
  lines.push(`ail ask wall time: p50 ${(report.askMs.p50 / 1000).toFixed(1)} s, p95 ${(report.askMs.p95 / 1000).toFixed(1)} s, max ${(report.askMs.max / 1000).toFixed(1)} s`);
  lines.push('top-1/top-3: AIL\'s first (first three) evidence commits include a labelled commit (explaining or acceptable); strict: the explaining one alone;');
  lines.push('blame top-1 and AIL = blame are over the cases with a line to blame.');
  const misses = scored.filter((s) => !s.score.top1);
  lines.push('');
  lines.push(`misses (${misses.length}): AIL's top-1 is not a labelled commit`);
  const commit = (sha: string | undefined, subjects: Map<string, string>) => (sha ? `${sha.slice(0, 12)} ${clip(subjects.get(sha) ?? '', 38)}` : '-');
  const missRows = [['case', 'kind', 'expected', 'AIL top', 'blame']];
  for (const s of misses) {
    const expected = s.case.explains[0]!;
    missRows.push([
      s.case.id,
      s.case.kind,
      commit(expected, s.subjects),
      s.ail.error !== undefined ? `error: ${clip(s.ail.error, 48)}` : s.ail.evidence[0] ? commit(s.ail.evidence[0], s.subjects) : '(no evidence)',
      commit(s.blame, s.subjects),
    ].map(visible));
  }
  lines.push(...table(missRows));
  return `${lines.join('\n')}\n`;
}

function table(rows: readonly string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
}

function share(n: number, of: number): string {
  return of ? `${n}/${of} ${Math.round((n / of) * 100)}%` : '-';
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim())?.trim() ?? '';
}

function percentiles(values: readonly number[]): { p50: number; p95: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! : 0);
  return { p50: at(0.5), p95: at(0.95), max: sorted.at(-1) ?? 0 };
}
