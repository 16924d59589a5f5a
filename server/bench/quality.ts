import { readFileSync } from 'node:fs';
import { AilError } from '../util/errors';

/**
 * The quality set (`bench/quality/cases.json`) and its scoring: plain data in, plain figures out. Running
 * AIL and git on the repositories is `server/cli/bench-quality.ts`'s business.
 */

/** `line`: why is this line like this; `topic`: a question naming its subject, on a line or a whole file; `deleted-file`: a path gone from HEAD. */
export type CaseKind = 'line' | 'topic' | 'deleted-file';
export const CASE_KINDS: readonly CaseKind[] = ['line', 'topic', 'deleted-file'];

export interface QualityRepository {
  /** Where to clone it from when no local copy is given. */
  url: string;
  /** The commit every case of this repository was labelled at (40 hex). */
  head: string;
  language?: string;
}

export interface QualityCase {
  id: string;
  /** `owner/name`, a key of `repositories`. */
  repo: string;
  kind: CaseKind;
  path: string;
  /** 1-based; absent for a whole-file or deleted-file question. */
  line?: number;
  /** The first 16 hex digits of the SHA-256 of the line's text at the head (no newline): drift shows, and no code is kept. */
  lineSha256?: string;
  question: string;
  /** The commit(s) that explain the line: the labels (a prefix of 7 to 40 hex digits each). */
  explains: string[];
  /** Other commits a careful reader would also accept as the answer. */
  acceptable: string[];
  note?: string;
}

export interface QualitySet {
  repositories: Record<string, QualityRepository>;
  cases: QualityCase[];
}

/** What AIL answered for a case, reduced to what is scored. */
export interface AilOutcome {
  /** Full shas of the evidence, best first; empty when AIL answered nothing. */
  evidence: string[];
  summary: string;
  confidence?: number;
  /** The error AIL exited with instead of an answer (e.g. "does not exist"). */
  error?: string;
  partial?: boolean;
  /** Wall time of the `ail ask` process. */
  ms: number;
}

export interface CaseScore {
  top1: boolean;
  /** Top-1 against `explains` alone, without the acceptable alternatives. */
  top1Strict: boolean;
  top3: boolean;
  /** `git blame -w -M -C` names a labelled commit; undefined when blame has no line to blame (whole file, deleted file). */
  blameTop1?: boolean;
  /** AIL's top commit is the one blame names. */
  agreesWithBlame?: boolean;
  /** The summary names a labelled commit, by short sha or subject. */
  summaryNames: boolean;
}

const HEX = /^[0-9a-f]{7,40}$/;

/** Reads and checks a cases file; a mistake in it is bad input, said in one sentence. */
export function loadQualitySet(file: string): QualitySet {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new AilError('bad-argument', `cannot read the cases file ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return checkQualitySet(raw, file);
}

export function checkQualitySet(raw: unknown, file = 'the cases file'): QualitySet {
  const bad = (what: string): never => {
    throw new AilError('bad-argument', `${file}: ${what}`);
  };
  if (!isObject(raw) || !isObject(raw.repositories) || !Array.isArray(raw.cases)) return bad('needs "repositories" (an object) and "cases" (an array)');
  const repositories: Record<string, QualityRepository> = {};
  for (const [name, value] of Object.entries(raw.repositories)) {
    if (!/^[\w.-]+\/[\w.-]+$/.test(name)) bad(`repository "${name}" is not owner/name`);
    if (!isObject(value) || typeof value.url !== 'string' || typeof value.head !== 'string' || !/^[0-9a-f]{40}$/.test(value.head)) {
      bad(`repository ${name} needs a "url" and a 40-hex "head"`);
    }
    const repo = value as unknown as QualityRepository;
    repositories[name] = { url: repo.url, head: repo.head, ...(typeof repo.language === 'string' ? { language: repo.language } : {}) };
  }
  const ids = new Set<string>();
  const cases = raw.cases.map((value: unknown, index: number): QualityCase => {
    const where = `case ${index + 1}`;
    if (!isObject(value)) return bad(`${where} is not an object`);
    const c = value as Partial<QualityCase>;
    if (typeof c.id !== 'string' || !c.id) bad(`${where} needs an "id"`);
    if (ids.has(c.id!)) bad(`${where}: the id ${c.id} is used twice`);
    ids.add(c.id!);
    if (typeof c.repo !== 'string' || !repositories[c.repo]) bad(`${c.id}: "repo" must name one of "repositories"`);
    if (!CASE_KINDS.includes(c.kind as CaseKind)) bad(`${c.id}: "kind" must be one of ${CASE_KINDS.join(', ')}`);
    if (typeof c.path !== 'string' || !c.path || c.path.startsWith('/') || c.path.split('/').includes('..')) bad(`${c.id}: "path" must be relative, inside the repository`);
    if (c.line !== undefined && (!Number.isInteger(c.line) || c.line < 1)) bad(`${c.id}: "line" must be a whole number from 1 up`);
    if (c.line !== undefined && (typeof c.lineSha256 !== 'string' || !/^[0-9a-f]{16}$/.test(c.lineSha256))) bad(`${c.id}: a case with a line needs "lineSha256" (16 hex digits)`);
    if (c.kind === 'line' && c.line === undefined) bad(`${c.id}: a line case needs a "line"`);
    if (typeof c.question !== 'string' || !c.question.trim()) bad(`${c.id}: needs a "question"`);
    const shas = (list: unknown, name: string, required: boolean): string[] => {
      if (list === undefined && !required) return [];
      if (!Array.isArray(list) || (required && list.length === 0) || !list.every((s) => typeof s === 'string' && HEX.test(s))) {
        return bad(`${c.id}: "${name}" must be ${required ? 'a non-empty ' : 'an '}array of commit shas (7-40 lower-case hex digits)`);
      }
      return list as string[];
    };
    return {
      id: c.id!,
      repo: c.repo!,
      kind: c.kind!,
      path: c.path!,
      ...(c.line !== undefined ? { line: c.line, lineSha256: c.lineSha256! } : {}),
      question: c.question!,
      explains: shas(c.explains, 'explains', true),
      acceptable: shas(c.acceptable, 'acceptable', false),
      ...(typeof c.note === 'string' ? { note: c.note } : {}),
    };
  });
  return { repositories, cases };
}

/** Whether a full sha is one of the labels (each a prefix). */
export function isLabelled(sha: string | undefined, labels: readonly string[]): boolean {
  return sha !== undefined && labels.some((label) => sha.startsWith(label));
}

/**
 * Scores one answer: top-1 and top-3 against the labels (explaining and acceptable), top-1 strict (the
 * explaining commit only), blame's commit the same way, and whether the summary names a labelled commit
 * (a hex word of 7 or more digits that starts its sha, or its subject). `subjects` maps a labelled
 * commit's label to its subject line.
 */
export function scoreCase(c: QualityCase, ail: AilOutcome, blameSha: string | undefined, subjects: ReadonlyMap<string, string>): CaseScore {
  const labels = [...c.explains, ...c.acceptable];
  const top = ail.evidence[0];
  const summary = ail.summary.toLowerCase();
  const hexWords = summary.match(/\b[0-9a-f]{7,40}\b/g) ?? [];
  const names = (label: string): boolean => {
    const subject = subjects.get(label)?.trim().toLowerCase();
    return hexWords.some((word) => label.startsWith(word) || word.startsWith(label)) || (subject !== undefined && subject.length >= 8 && summary.includes(subject));
  };
  const hasBlame = c.kind !== 'deleted-file' && c.line !== undefined;
  return {
    top1: isLabelled(top, labels),
    top1Strict: isLabelled(top, c.explains),
    top3: ail.evidence.slice(0, 3).some((sha) => isLabelled(sha, labels)),
    ...(hasBlame ? { blameTop1: isLabelled(blameSha, labels), agreesWithBlame: top !== undefined && top === blameSha } : {}),
    summaryNames: ail.error === undefined && labels.some(names),
  };
}

export interface Tally {
  cases: number;
  top1: number;
  top1Strict: number;
  top3: number;
  /** Cases blame could be asked about (a line that exists), and how many of those it got right. */
  blameCases: number;
  blameTop1: number;
  /** Of the blame cases: AIL's top commit is blame's. */
  agreesWithBlame: number;
  summaryNames: number;
  /** Mean confidence of right and of wrong top-1 answers (answers with no confidence, such as errors, left out). */
  meanConfidenceRight?: number;
  meanConfidenceWrong?: number;
  errors: number;
}

export interface Scored {
  case: QualityCase;
  ail: AilOutcome;
  score: CaseScore;
}

export function tally(scored: readonly Scored[]): Tally {
  const count = (test: (s: Scored) => boolean | undefined) => scored.filter((s) => test(s) === true).length;
  const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : undefined);
  const confidences = (right: boolean) => scored.filter((s) => s.score.top1 === right && s.ail.confidence !== undefined).map((s) => s.ail.confidence!);
  const right = mean(confidences(true));
  const wrong = mean(confidences(false));
  return {
    cases: scored.length,
    top1: count((s) => s.score.top1),
    top1Strict: count((s) => s.score.top1Strict),
    top3: count((s) => s.score.top3),
    blameCases: count((s) => s.score.blameTop1 !== undefined),
    blameTop1: count((s) => s.score.blameTop1),
    agreesWithBlame: count((s) => s.score.agreesWithBlame),
    summaryNames: count((s) => s.score.summaryNames),
    ...(right !== undefined ? { meanConfidenceRight: round(right) } : {}),
    ...(wrong !== undefined ? { meanConfidenceWrong: round(wrong) } : {}),
    errors: count((s) => s.ail.error !== undefined),
  };
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
