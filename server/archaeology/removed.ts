import type { ArchaeologyContext, CommitRef, Evidence, Range, RemovedFile, WarningCode } from '../../shared/types';
import { DEFAULT_MAX_EVIDENCE } from '../../shared/types';
import { bandOf, relativeTime } from '../../shared/format';
import type { TracedBlame } from '../git/blamer';
import { commitRef, type CommitInfo } from '../git/commit';
import { fileHistory, type FileHistoryEntry } from '../git/history';
import type { HeadFile, Repository } from '../git/repository';
import { AilError, isAilError } from '../util/errors';
import { CancelledError, FlightCache } from '../util/flight';
import { withDeadline } from '../util/race';
import { lazyUtf8, textOf } from '../util/slices';
import type { QueryFacts } from './enrichers';
import { toEvidence } from './evidence';
import type { AskInput, ResolvedQuestion } from './provider';
import { confidenceOf, confidenceWithReview, type ScoredCandidate } from './rank';
import { issuesFromMessage, pullRequestFromMessage } from './references';
import { firstSentence, informativeness, intentOf, isGenericMessage } from './text';

/**
 * Questions about a path that is not at HEAD (nor on disk) but was in HEAD's history: "why was this
 * removed?". The answer names the commit that removed it (or moved it away) first, then the commit
 * that last changed it and the one that created it; lines asked are answered about the file's last
 * version, blamed where it last existed, after the removal.
 */

/** Where a path missing at HEAD went, as HEAD's history tells it. */
export interface Removal {
  /** The commit that removed the path: the last commit of HEAD's history that touched it. */
  commit: string;
  /** The parent of `commit` that had the file: its last version is there. */
  lastVersion: string;
  /** Where `commit` moved the file, when it renamed it rather than removing it. */
  movedTo?: string;
}

/** What the answer about a removed file borrows from the provider. */
export interface RemovedAnswerParts {
  now: () => number;
  /** The provider's enrichment, stage by stage: false when one enricher did not finish in time. */
  enrich(facts: QueryFacts, evidence: Evidence[], signal: AbortSignal, warnings: Set<WarningCode>, budget?: AbortSignal): Promise<boolean>;
  /** The provider's answer to a question about a file that is there: the asked lines of the last version, at `lastVersion`. */
  answerAt(target: ResolvedQuestion, input: AskInput): Promise<ArchaeologyContext>;
}

const FILE_HISTORY_LIMIT = 200;
/**
 * How long the walk for a missing path's removal may take. A path that never existed walks all of
 * HEAD's history (milliseconds with the commit-graph's Bloom filters, seconds without on a long one);
 * past this, the path is refused as missing, as before this walk existed.
 */
const REMOVAL_WALK_TIMEOUT_MS = 10_000;
const DEFAULT_TIME_LIMIT_MS = 2000;
/** As the provider: what enrichers may add to a quick answer after local git. */
const ENRICHMENT_BUDGET_MS = 250;
/** Evidence scores by role: what the answer is about (the removal) first, then the file's last change and its creation. */
const SCORES = { removal: 1, lastChange: 0.5, created: 0.25 } as const;

/**
 * Finds the removals of paths that questions name and HEAD does not have, once per (work tree and its
 * shallow boundary, HEAD, path): an answer from the cache asks again, and so may a path that never existed.
 */
export class RemovedFiles {
  private readonly found = new FlightCache<string, Removal | undefined>(256);

  /**
   * The last version of `file`, which is missing at HEAD and on disk (`missing` is that error), and
   * how it went; a clear AilError when it never was in HEAD's history, was a directory, or (when lines
   * are asked) was binary.
   */
  async lastVersion(repo: Repository, file: string, head: string, missing: AilError, wantsLines: boolean, signal?: AbortSignal): Promise<{ headFile: HeadFile; removed: Removal }> {
    // Keyed by the work tree's identity too: deepening a shallow clone adds history under the same HEAD.
    const removed = await this.found.get(`${repo.storeIdentity()}\0${head}\0${file}`, (shared) => findRemoval(repo, file, head, missing, shared), signal);
    if (!removed) {
      const shallow = repo.shallow ? ' (a shallow clone: older history is not here)' : '';
      throw new AilError('file-missing', `${file} does not exist: not at HEAD, and not in any commit before it${shallow}`);
    }
    try {
      return { headFile: await repo.headFile(file, removed.lastVersion), removed };
    } catch (error) {
      if (!isAilError(error)) throw error;
      const commit = await repo.commit(removed.commit);
      const gone = `${removed.movedTo ? `moved to ${removed.movedTo}` : 'removed'} in ${removed.commit.slice(0, 7)}${commit ? ` “${commit.subject}”` : ''}`;
      if (error.code === 'bad-argument') throw new AilError('bad-argument', `${file} was a directory, ${gone}; ask about a file that was in it`);
      // A binary file's removal is answered; its lines are not: AIL explains text.
      if (error.code === 'file-binary' && !wantsLines) return { headFile: await unreadFile(repo, file, removed.lastVersion), removed };
      throw error;
    }
  }
}

/**
 * The last commit of HEAD's history that touched `file` (git's default history simplification follows
 * the parent a merge took the path from): since HEAD does not have the path, that commit removed it,
 * the latest removal when it was added again and removed again. Undefined when no commit had it.
 */
async function findRemoval(repo: Repository, file: string, head: string, missing: AilError, signal: AbortSignal): Promise<Removal | undefined> {
  const outcome = await repo.git.run(['--literal-pathspecs', 'log', '-1', '--format=%H', head, '--', file], { signal, timeoutMs: REMOVAL_WALK_TIMEOUT_MS });
  if (outcome.kind === 'cancelled') throw new CancelledError();
  if (outcome.kind !== 'ok') throw missing; // history could not be read (a timeout): what is known is that HEAD does not have it; not kept
  const sha = outcome.stdout.trim();
  if (!sha) return undefined;
  const commit = await repo.commit(sha);
  if (!commit) throw missing;
  // A merge may have dropped the file that one of its parents had: its last version is in that parent.
  let lastVersion: string | undefined;
  for (const parent of commit.parents) {
    if (await repo.hasPath(parent, file)) {
      lastVersion = parent;
      break;
    }
  }
  if (!lastVersion) throw missing;
  const movedTo = await renamedTo(repo, lastVersion, sha, file, signal);
  return { commit: sha, lastVersion, ...(movedTo ? { movedTo } : {}) };
}

/** Where `commit` renamed `file` to, when it did (git's rename detection over the whole commit, as `git show -M` sees it). */
async function renamedTo(repo: Repository, parent: string, commit: string, file: string, signal: AbortSignal): Promise<string | undefined> {
  const outcome = await repo.git.run(['diff-tree', '-r', '-M', '--diff-filter=R', '--name-status', '-z', '--no-commit-id', parent, commit], { signal });
  if (outcome.kind === 'cancelled') throw new CancelledError();
  if (outcome.kind !== 'ok') return undefined;
  const fields = outcome.stdout.split('\0');
  for (let i = 0; i + 2 < fields.length; i += 3) {
    if (fields[i]!.startsWith('R') && fields[i + 1] === file) return fields[i + 2];
  }
  return undefined;
}

/** A binary last version: its blob, no text (its removal is answered, never its lines). */
async function unreadFile(repo: Repository, file: string, commit: string): Promise<HeadFile> {
  const blob = (await repo.git.output(['rev-parse', '--verify', '-q', `${commit}:${file}`])).trim();
  return { path: file, blob, text: lazyUtf8(Buffer.alloc(0)), lineCount: 0 };
}

/**
 * The answer about a removed file: the removing commit, then the file's last change and its creation
 * (a whole file), or the evidence of the asked lines in its last version (lines), each made evidence
 * as the provider makes it and enriched by the same enrichers.
 */
export async function answerRemoved(target: ResolvedQuestion & { removed: Removal }, input: AskInput, parts: RemovedAnswerParts): Promise<ArchaeologyContext> {
  const started = performance.now();
  const { repo, file, head, removed, lines, question, depth, headFile } = target;
  const signal = withDeadline(input.signal, input.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS);
  const warnings = new Set<WarningCode>();
  if (repo.shallow) warnings.add('shallow-history');
  const maxEvidence = Math.max(1, Math.min(50, input.maxEvidence ?? DEFAULT_MAX_EVIDENCE));

  const [removal, history, linesAnswer, movedOnAtHead] = await Promise.all([
    repo.commit(removed.commit),
    fileHistory(repo, removed.lastVersion, file, { limit: FILE_HISTORY_LIMIT, signal }),
    // Lines: the provider answers about them in the last version, as it would have before the removal.
    lines ? parts.answerAt({ ...target, head: removed.lastVersion, removed: undefined }, input) : undefined,
    removed.movedTo ? repo.hasPath(head, removed.movedTo) : false,
  ]);
  if (input.signal?.aborted) throw new CancelledError();
  if (!removal) throw new AilError('file-missing', `${file} was removed in ${removed.commit.slice(0, 7)}, a commit that is not in this clone`);
  if (!history.complete && history.stopped !== 'limit') warnings.add('file-history-incomplete');
  const items = history.items;
  const [lastChange, created] = await Promise.all([
    items[0] ? repo.commit(items[0].sha) : undefined,
    history.complete && items.length > 1 ? repo.commit(items[items.length - 1]!.sha) : undefined,
  ]);

  // The removal first; then a whole file's last change and creation, or the lines' own evidence.
  const ranked: ScoredCandidate[] = [scored(removal, SCORES.removal)];
  const paths = new Map<string, { pathInCommit?: string; pathInParent?: string }>();
  if (removed.movedTo) paths.set(removal.sha, { pathInCommit: removed.movedTo, pathInParent: file });
  if (!lines) {
    if (lastChange) ranked.push(scored(lastChange, SCORES.lastChange));
    if (created && created.sha !== lastChange?.sha) {
      ranked.push(scored(created, SCORES.created));
      const entry = items[items.length - 1]!;
      if (entry.path !== file) paths.set(created.sha, { pathInCommit: entry.path });
    }
  }
  const noBlame = emptyBlame(head);
  const evidence = await Promise.all(ranked.slice(0, maxEvidence).map((item) => toEvidence(item, noBlame, 0, -1, repo, paths.get(item.sha) ?? {})));

  const facts: QueryFacts = {
    repo,
    head,
    file,
    question,
    intent: intentOf(question),
    depth,
    origins: () => undefined,
    lineText: async () => (await textOf(headFile.text)).split('\n').slice(0, 200),
  };
  const enrichSignal = depth === 'quick' ? withDeadline(signal, ENRICHMENT_BUDGET_MS) : signal;
  const enriched = await parts.enrich(facts, evidence, enrichSignal, warnings, depth === 'quick' && !signal.aborted ? enrichSignal : undefined);
  if (input.signal?.aborted) throw new CancelledError();

  if (linesAnswer) {
    for (const item of linesAnswer.evidence) if (item.commit.sha !== removal.sha && evidence.length < maxEvidence) evidence.push(item);
    for (const warning of linesAnswer.warnings) warnings.add(warning);
  }
  const confidence = confidenceWithReview(confidenceOf(ranked, { partial: signal.aborted, boundary: false, uncommittedShare: 0 }), evidence[0], warnings);
  const removedRef: RemovedFile = {
    commit: commitRef(removal),
    lastVersion: removed.lastVersion,
    ...(lastChange ? { lastChanged: commitRef(lastChange) } : {}),
    ...(removed.movedTo ? { movedTo: removed.movedTo } : {}),
  };
  const context: ArchaeologyContext = {
    question,
    file,
    ...(lines ? { range: toRange(lines) } : {}),
    headSha: head,
    summary: summarizeRemoval({ file, lines, top: evidence[0]!, removed: removedRef, confidence, movedOnAtHead, linesTop: linesAnswer?.evidence.find((e) => e.commit.sha !== removal.sha), nowMs: parts.now() }),
    confidence,
    evidence,
    authors: linesAnswer?.authors ?? [],
    timeline: linesAnswer?.timeline ?? timelineOf(items, history.complete, lastChange, created),
    source: 'cold',
    warnings: [...warnings],
    queryTimeMs: Math.round((performance.now() - started) * 100) / 100,
    removed: removedRef,
  };
  if (linesAnswer?.cosmeticCommitsTraced) context.cosmeticCommitsTraced = linesAnswer.cosmeticCommitsTraced;
  if (linesAnswer?.uncommittedLines) context.uncommittedLines = linesAnswer.uncommittedLines;
  if (!enriched || signal.aborted || warnings.has('file-history-incomplete') || linesAnswer?.partial) context.partial = true;
  return context;
}

interface RemovalSummaryInput {
  file: string;
  lines: { start: number; end: number } | undefined;
  /** The removing commit as evidence (enriched). */
  top: Evidence;
  removed: RemovedFile;
  confidence: number;
  /** Whether the path the file was moved to is at HEAD. */
  movedOnAtHead: boolean;
  /** The best evidence about the asked lines in the last version. */
  linesTop: Evidence | undefined;
  nowMs: number;
}

/** Extractive, as `summarize`: what was removed (or moved) where, by whom, when; why, as its message or pull request says; and what came before. At most three sentences. */
export function summarizeRemoval(input: RemovalSummaryInput): string {
  const { file, lines, top, removed, nowMs } = input;
  const c = top.commit;
  const pr = top.pullRequest ? ` (#${top.pullRequest.number})` : '';
  const subject = top.pullRequest && c.subject.endsWith(`(#${top.pullRequest.number})`) ? c.subject.replace(/\s*\(#\d+\)$/, '') : c.subject;
  const cited = `\`${c.shortSha}\` “${subject}”${pr} by ${c.author}, ${relativeTime(c.date, nowMs)}`;
  const plural = lines !== undefined && lines.start !== lines.end;
  const where = lines ? `${plural ? `Lines ${lines.start + 1}–${lines.end + 1}` : `Line ${lines.start + 1}`} of \`${file}\`` : `\`${file}\``;
  const was = plural ? 'were' : 'was';
  const sentences = [
    removed.movedTo
      ? `${where} ${lines ? `${plural ? 'were' : 'was'} moved with the file` : 'was moved'} to \`${removed.movedTo}\` in ${cited}.`
      : `${where} ${was} removed${lines ? ' with the file' : ''} in ${cited}.`,
  ];

  const said = firstSentence(c.body);
  // A body that only closes an issue ("closes #2411") is said once, as the issue it closes.
  const fromCommit = said && said.replace(CLOSING_ONLY, '').replace(/[\s,.;:!]+/g, '') !== '' ? said : undefined;
  const issues = top.issues.map((issue) => `${issue.repository ?? ''}#${issue.number}`);
  const closes = issues.length ? ` It closes ${issues.join(', ')}.` : '';
  const quote = top.pullRequest?.quote;
  const prTitle = !fromCommit && top.pullRequest?.title && top.pullRequest.title !== subject ? top.pullRequest.title : undefined;
  if (quote && top.pullRequest) sentences.push(`#${top.pullRequest.number} by @${quote.author} says: “${quote.text}”${closes}`);
  else if (fromCommit) sentences.push(`The commit says: “${fromCommit}”${closes}`);
  else if (prTitle) sentences.push(`#${top.pullRequest!.number} is titled: “${prTitle}”${closes}`);
  else if (issues.length) sentences.push(closes.trim());
  else if (bandOf(input.confidence) === 'low' && isGenericMessage(c.subject, c.body)) sentences.push('Its message gives no reason and no pull request or issue is linked, so the history says little about why.');

  if (lines && input.linesTop) {
    const l = input.linesTop.commit;
    const verb = input.linesTop.reasons.includes('blame') ? 'came from' : plural ? 'were best explained by' : 'was best explained by';
    sentences.push(`In its last version ${plural ? 'they' : 'it'} ${verb} \`${l.shortSha}\` “${l.subject}” by ${l.author}, ${relativeTime(l.date, nowMs)}.`);
  } else if (removed.movedTo && input.movedOnAtHead) {
    sentences.push(`Its history goes on at \`${removed.movedTo}\`: ask about that file.`);
  } else if (removed.lastChanged && removed.lastChanged.sha !== c.sha) {
    const last = removed.lastChanged;
    sentences.push(`It was last changed in \`${last.shortSha}\` “${last.subject}” by ${last.author}, ${relativeTime(last.date, nowMs)}.`);
  }
  return sentences.slice(0, 3).join(' ');
}

const CLOSING_ONLY = /\b(?:fix(?:e[sd])?|close[sd]?|resolve[sd]?):?\s+(?:[\w.-]+\/[\w.-]+)?#\d+/gi;

/** A commit as a ranked candidate, scored by its role; its message's informativeness is what the confidence weighs. */
function scored(commit: CommitInfo, score: number): ScoredCandidate {
  const linked = pullRequestFromMessage(commit.subject, commit.body) !== undefined || issuesFromMessage(`${commit.subject}\n${commit.body}`).length > 0;
  return { sha: commit.sha, reasons: new Set(['file-history']), blamedLines: 0, hunk: '', linked, commit, score, lexical: 0, info: informativeness(commit.subject, commit.body, linked) };
}

/** The file's life up to its last version: created, last changed, and how many commits changed it (the removal not counted). */
function timelineOf(items: readonly FileHistoryEntry[], complete: boolean, lastChange: CommitInfo | undefined, created: CommitInfo | undefined): ArchaeologyContext['timeline'] {
  const timeline: { created?: CommitRef; lastChanged?: CommitRef; commitCount: number } = { commitCount: items.length };
  if (created) timeline.created = commitRef(created);
  else if (complete && items.length === 1 && lastChange) timeline.created = commitRef(lastChange);
  if (lastChange) timeline.lastChanged = commitRef(lastChange);
  return timeline;
}

/** No lines blamed: the removed file's evidence is its commits. */
function emptyBlame(head: string): TracedBlame {
  return { commits: [], lineCommit: new Int32Array(0), originalLine: new Int32Array(0), traced: new Map(), cosmetic: new Map(), head };
}

function toRange(lines: { start: number; end: number }): Range {
  return { start: { line: lines.start, character: 0 }, end: { line: lines.end + 1, character: 0 } };
}
