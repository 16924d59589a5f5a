import type { Evidence, EvidenceReason } from '../../shared/types';
import type { HistoryResult, LineHistoryEntry } from '../git/history';
import { commitsMentioning, pathsOfFile } from '../git/message-search';
import type { Repository } from '../git/repository';
import { changedFiles } from '../git/trees';
import { CancelledError, FlightCache, isCancelled } from '../util/flight';
import { newCandidate } from './candidates';
import { keepComplete } from './line-histories';
import type { Candidate, ScoredCandidate } from './rank';
import { contentTerms, intentOf, words } from './text';

/**
 * Topic questions: a question that names its subject ("why was path-to-regexp upgraded?") must reach
 * the commits whose messages name it, wherever in the file's history they are, and an answer none of
 * whose evidence names it must say so instead of sounding sure.
 */

/** What a question names: its subject words, as written and as roots. */
export interface Topic {
  /** Runs of subject words as the question wrote them (“async error handling”, “path-to-regexp”), at most three. */
  phrases: string[];
  /**
   * What to look for: a word's root (see rootOf), or an identifier's roots in order, to be found
   * together (`removeAt` is "remove at": a message about `_.remove` and `_.pull` does not name it).
   */
  terms: string[][];
}

/**
 * Words that ask or act rather than name a subject: "why was X upgraded?" is about X. Compared as
 * roots. A word inside an identifier (`removeAt`, `path-to-regexp`) is always a subject.
 */
const NOT_SUBJECTS = new Set(
  `why how what when who which where whether does did do doing done is are was were be been being have has had can could should would
  will may might must there here this that these those it its the a an and or of to in on at by for with from into instead rather than
  such so still really actually just even also only ever now then again always never we us our you they someone anyone people
  add added adding addition remove removed removing removal delete deleted change changed changing update updated updating upgrade
  upgraded bump bumped replace replaced replacing rename renamed move moved switch switched introduce introduced use used using uses
  make made making need needed needs want wanted write written wrote like look looks way ways work works worked happen happened exist
  exists existing implement implemented fix fixed fixing keep kept set get got go went come came put thing things stuff code line lines
  file files function method class part reason reasons purpose point`
    .split(/\s+/)
    .filter(Boolean)
    .map(rootOf),
);

/**
 * The share of a topic's terms a text must name to name the topic: "kubernetes sidecar support" is
 * not named by every commit that adds support for something.
 */
const NAMED = 0.5;
/** Below this similarity a semantic hit does not stand for a mention of the topic. */
const STRONG_SEMANTIC = 0.5;
/** Commits a topic search reads at most (newest first), and adds to the candidates at most (the best named). */
const SEARCH_LIMIT = 1000;
const REACHED_MAX = 20;
/** Other files the commit that brought the lines may have taken them from, at most (a larger commit is a sweep, not a move). */
const MOVED_FROM_FILES = 5;
/** Renames followed to find the file's older paths. */
const RENAMES_LIMIT = 50;
/** What naming the topic adds to a candidate's score, all of its terms in the message (its diff counts in the lexical share already). */
const TOPIC_WEIGHT = 0.2;
/**
 * What a commit that names the topic adds when lines it wrote are still among the asked ones: of the
 * many commits that bumped a dependency, the one whose version is in the file is the answer.
 */
const LIVE_WEIGHT = 0.05;
/**
 * Confidence at most when nothing found names the topic (low, and the summary says so), when the
 * leading commit names none of it though another names it (medium at best), and when the leading
 * commit names less than NAMED of it.
 */
const UNMENTIONED_CAP = 0.25;
const ELSEWHERE_CAP = 0.45;
const PARTLY_CAP = 0.6;

/**
 * A word's root, so that a question's "upgraded" meets a message's "upgrade", "bundles" "bundle",
 * "extracted" "extraction", "retries" "retry". Cruder than a real stemmer on purpose: both sides go
 * through it, so it only has to send the forms of one word to the same place.
 */
export function rootOf(word: string): string {
  const w = word.toLowerCase();
  if (w.length > 4 && /(ies|ied)$/.test(w)) return `${w.slice(0, -3)}y`;
  for (const suffix of ['ations', 'ation', 'ions', 'ion', 'ings', 'ing', 'ers', 'er', 'ed', 'es', 's', 'e']) {
    if (w.length - suffix.length < 3 || !w.endsWith(suffix)) continue;
    if (suffix === 's' && w.endsWith('ss')) break;
    const root = w.slice(0, -suffix.length);
    // A doubled last consonant is a suffix's doing: "zipped" → "zip".
    return suffix.length > 1 && /([b-df-hj-np-tv-z])\1$/.test(root) && !/(ss|ll)$/.test(root) ? root.slice(0, -1) : root;
  }
  return w;
}

/** The subject a question names, or undefined when it names none ("why does this code exist?", "why was this changed?"). */
export function topicOf(question: string): Topic | undefined {
  const terms = new Map<string, string[]>();
  const phrases: string[] = [];
  let run: string[] = [];
  const endRun = () => {
    if (run.length) phrases.push(run.join(' '));
    run = [];
  };
  for (const token of question.split(/\s+/)) {
    const trimmed = token.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
    const identifier = /[\p{L}\p{N}][-_.@/:][\p{L}\p{N}]|\p{Ll}\p{Lu}/u.test(trimmed);
    const roots = words(trimmed).map(rootOf);
    const subjects = identifier ? [roots] : roots.filter((root, i) => contentTerms(words(trimmed)[i]!).size > 0 && !NOT_SUBJECTS.has(root)).map((root) => [root]);
    if (subjects.length === 0 || subjects[0]!.length === 0) {
      endRun();
      continue;
    }
    for (const term of subjects) terms.set(term.join(' '), term);
    run.push(trimmed);
    // A sentence's punctuation ends a phrase too.
    if (/[,;:?!.]$/.test(token)) endRun();
  }
  endRun();
  return terms.size ? { phrases: phrases.slice(0, 3).map((phrase) => (phrase.length > 60 ? `${phrase.slice(0, 59)}…` : phrase)), terms: [...terms.values()] } : undefined;
}

/** The share of the topic's terms (0..1) that the texts name. */
export function coverage(topic: Topic, ...texts: (string | undefined)[]): number {
  const roots = texts.filter((text): text is string => Boolean(text)).map((text) => words(text).map(rootOf));
  const present = new Set(roots.flat());
  const named = (term: string[]) =>
    term.length === 1 ? present.has(term[0]!) : roots.some((text) => text.some((_, i) => term.every((root, j) => text[i + j] === root)));
  return topic.terms.filter(named).length / topic.terms.length;
}

/** The commits of a file's history whose messages name the topic, best named first. */
export interface Reached {
  shas: string[];
  /** The file's whole history was searched. */
  complete: boolean;
  /** False when no search ran (a quick answer, or no topic). */
  searched: boolean;
  /** The time limit or the caller stopped the search: the answer is partial (`topic-search-incomplete`). */
  cut?: boolean;
}

const NOT_SEARCHED: Reached = { shas: [], complete: false, searched: false };
/** A search the answer could not wait for. */
export const CUT_SHORT: Reached = { shas: [], complete: false, searched: true, cut: true };

/** Searches files' histories for commits that name a topic: one search per (work tree, HEAD, file, topic), kept. */
export class TopicSearch {
  private readonly kept = new FlightCache<string, Reached>(128);
  /** Every path a file had, per (work tree, HEAD, file): the rename walk costs as much as the search, and a file is asked about again. */
  private readonly paths = new FlightCache<string, HistoryResult<string>>(128);

  /**
   * For a full question that names a topic: the commits to the file (under every path it had) whose
   * messages name it, whatever lines were asked. Two git processes (the renames, then `log --grep`),
   * started beside blame. A quick question (a hover) searches nothing.
   */
  reach(repo: Repository, head: string, file: string, question: string, depth: 'quick' | 'full', signal: AbortSignal): Promise<Reached> {
    const topic = topicOf(question);
    if (!topic || depth !== 'full') return Promise.resolve(NOT_SEARCHED);
    const key = `history\0${repo.root}\0${head}\0${file}\0${topic.terms.map((term) => term.join(' ')).join('\0')}`;
    return this.kept.get(key, (shared) => this.search(repo, head, file, topic, shared), signal).catch((error: unknown) => {
      if (isCancelled(error)) return CUT_SHORT;
      throw error;
    });
  }

  /**
   * For a line question whose line history is complete: the commits that named the topic in the other
   * files the lines' first commit changed, before it (the lines were moved here from one of them: a
   * dependency list moved from setup.py to pyproject.toml keeps its reasons in setup.py's history).
   * The files come from tree objects; one `log --grep` process, after line history.
   */
  movedFrom(repo: Repository, file: string, question: string, lineResult: HistoryResult<LineHistoryEntry> | undefined, signal: AbortSignal): Promise<Reached> {
    const topic = topicOf(question);
    const first = lineResult?.complete ? lineResult.items[lineResult.items.length - 1] : undefined;
    if (!topic || !first) return Promise.resolve(NOT_SEARCHED);
    const key = `moved\0${repo.root}\0${first.sha}\0${file}\0${topic.terms.map((term) => term.join(' ')).join('\0')}`;
    return this.kept.get(key, (shared) => this.searchMovedFrom(repo, first.sha, first.path ?? file, topic, shared), signal).catch((error: unknown) => {
      if (isCancelled(error)) return CUT_SHORT;
      throw error;
    });
  }

  private async searchMovedFrom(repo: Repository, sha: string, file: string, topic: Topic, signal: AbortSignal): Promise<Reached> {
    const commit = await repo.commit(sha);
    const parent = commit?.parents[0] && (await repo.commit(commit.parents[0]));
    if (!commit || !parent) return NOT_SEARCHED;
    const changed = await changedFiles(repo.objects, parent.tree, commit.tree, MOVED_FROM_FILES + 1);
    if (changed === 'too-many') return NOT_SEARCHED;
    const paths = changed.map((entry) => entry.path).filter((path) => path !== file);
    if (paths.length === 0 || paths.length > MOVED_FROM_FILES) return NOT_SEARCHED;
    return this.searchPaths(repo, parent.sha, { items: paths, complete: true }, topic, signal);
  }

  /** The file's path searched at once, beside the walk for its older paths; those, if any, searched after. */
  private async search(repo: Repository, head: string, file: string, topic: Topic, signal: AbortSignal): Promise<Reached> {
    const paths = this.paths.get(`${repo.root}\0${head}\0${file}`, (shared) => pathsOfFile(repo, head, file, { limit: RENAMES_LIMIT, signal: shared }).then(keepComplete), signal);
    const [today, known] = await Promise.all([this.searchPaths(repo, head, { items: [file], complete: true }, topic, signal), paths]);
    const older = known.items.filter((path) => path !== file);
    if (older.length === 0) return today;
    const before = await this.searchPaths(repo, head, { items: older, complete: true }, topic, signal);
    const shas = [...new Set([...today.shas, ...before.shas])].slice(0, REACHED_MAX);
    return { shas, complete: today.complete && before.complete, searched: true };
  }

  private async searchPaths(repo: Repository, head: string, paths: HistoryResult<string>, topic: Topic, signal: AbortSignal): Promise<Reached> {
    // git matches a root of each term (an identifier's longest) as a fixed string anywhere in a message
    // ("bundl" finds "bundles"); the words are checked here. A root ending in y stands for its -ies forms too.
    const needles = topic.terms
      .map((term) => term.reduce((longest, root) => (root.length > longest.length ? root : longest), ''))
      .filter((root) => root.length >= 3)
      .map((root) => (root.length >= 5 ? root.replace(/y$/, '') : root));
    // Words too short to search for ("why 30?"): nothing was searched, so nothing is said of the history.
    if (needles.length === 0) return NOT_SEARCHED;
    const found = await commitsMentioning(repo, head, paths.items, needles, { limit: SEARCH_LIMIT, signal });
    // A search cut short is not kept (the next question searches again).
    if (signal.aborted || (!found.complete && found.stopped !== 'limit')) throw new CancelledError();
    const named = found.items
      .map((hit, order) => ({ sha: hit.sha, order, share: coverage(topic, hit.message) }))
      .filter((hit) => hit.share >= NAMED)
      .sort((a, b) => b.share - a.share || a.order - b.order)
      .slice(0, REACHED_MAX);
    // A term too short to search for may be what a commit names: then the history was not all searched.
    return { shas: named.map((hit) => hit.sha), complete: paths.complete && found.complete && needles.length === topic.terms.length, searched: true };
  }
}

/** Adds the reached commits to the candidates: they changed the file (or the one its lines came from), and their messages name the topic. */
export function addReached(candidates: Map<string, Candidate>, reached: Reached, reason: EvidenceReason): void {
  for (const sha of reached.shas) {
    const candidate = candidates.get(sha) ?? newCandidate(sha);
    candidate.reasons.add(reason);
    candidates.set(sha, candidate);
  }
}

/**
 * The candidates the cut left out that a question with content must still score: the reached commits
 * and the semantic hits (neither is blamed or in the line history, so they sort last before the cut).
 * The default question, which has no content, keeps the cut as it was.
 */
export function beyondTheCut(question: string, candidates: Map<string, Candidate>, pool: readonly Candidate[], ...reached: Reached[]): Candidate[] {
  const kept = new Set(pool.map((candidate) => candidate.sha));
  const wanted = new Set(reached.flatMap((found) => found.shas));
  const semantic = contentTerms(question).size > 0;
  return [...candidates.values()].filter((candidate) => !kept.has(candidate.sha) && (wanted.has(candidate.sha) || (semantic && candidate.semantic !== undefined)));
}

/**
 * Candidates scored for a question that names a topic: a commit whose message names what the question
 * names is the likelier answer than one that only touched the lines ("Upgrading merge-descriptors" for
 * "why was path-to-regexp upgraded?"), which the question's other words ("upgraded") cannot tell.
 */
export function scoredForTopic(question: string, scored: ScoredCandidate[]): ScoredCandidate[] {
  const topic = topicOf(question);
  if (!topic) return scored;
  return scored.map((candidate) => {
    const named = coverage(topic, candidate.commit?.subject, candidate.commit?.body);
    const weight = TOPIC_WEIGHT + (candidate.blamedLines > 0 ? LIVE_WEIGHT : 0);
    return named >= NAMED ? { ...candidate, score: Math.min(1, candidate.score + weight * named) } : candidate;
  });
}

/** What the answer says about the topic: whether its evidence names it, and how far that caps the confidence. */
export interface TopicVerdict {
  topic: Topic;
  /**
   * The share of the topic's terms the leading evidence's words name (its message, its PR's and issues'
   * titles), or half the share they and its diff name together: a diff that names the topic without a
   * word about it does not say why.
   */
  leading: number;
  /** Some evidence or candidate names the topic (at least NAMED of it), or is a strong semantic hit. */
  anywhere: boolean;
  /** The file's whole history was searched for it. */
  searched: boolean;
}

/**
 * Undefined when the question names no topic, or asks who or when: blame answers those whatever the
 * messages say.
 */
export function topicVerdict(question: string, ranked: readonly ScoredCandidate[], evidence: readonly Evidence[], reached: Reached): TopicVerdict | undefined {
  const topic = topicOf(question);
  if (!topic || intentOf(question) !== 'why') return undefined;
  const named = (item: Evidence) => {
    const candidate = ranked.find((c) => c.sha === item.commit.sha);
    const words = [item.commit.subject, item.commit.body, item.pullRequest?.title, ...item.issues.map((issue) => issue.title)];
    return (candidate?.semantic ?? 0) >= STRONG_SEMANTIC ? 1 : namedIn(topic, words, candidate?.hunk);
  };
  const leading = evidence[0] ? named(evidence[0]) : 0;
  const anywhere =
    leading >= NAMED ||
    evidence.some((item) => named(item) >= NAMED) ||
    ranked.some((c) => (c.semantic ?? 0) >= STRONG_SEMANTIC || namedIn(topic, [c.commit?.subject, c.commit?.body], c.hunk) >= NAMED);
  return { topic, leading, anywhere, searched: reached.searched && reached.complete };
}

/** The share of the topic the words name, or half what they and the diff name together (see TopicVerdict.leading). */
function namedIn(topic: Topic, words: (string | undefined)[], hunk: string | undefined): number {
  return Math.max(coverage(topic, ...words), 0.5 * coverage(topic, ...words, hunk));
}

/** The confidence, at most what the topic's verdict allows: low when nothing names the topic. */
export function cappedByTopic(verdict: TopicVerdict | undefined, confidence: number): number {
  if (!verdict) return confidence;
  const cap = !verdict.anywhere ? UNMENTIONED_CAP : verdict.leading === 0 ? ELSEWHERE_CAP : verdict.leading < NAMED ? PARTLY_CAP : 1;
  return Math.min(confidence, cap);
}

/** The summary, opened with a plain sentence when nothing found names the topic. */
export function withTopicNote(verdict: TopicVerdict | undefined, summary: string): string {
  if (!verdict || verdict.anywhere) return summary;
  const quoted = verdict.topic.phrases.map((phrase) => `“${phrase}”`);
  const named = quoted.length > 1 ? `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}` : quoted[0];
  const where = verdict.searched ? "No commit in this file's history mentions" : 'None of the commits found mentions';
  return `${where} ${named}. ${summary}`;
}
