import type { ArchaeologyContext, Evidence, Range, WarningCode } from '../../shared/types';
import { DEFAULT_MAX_EVIDENCE, DEFAULT_QUESTION } from '../../shared/types';
import { commitsInRange, isUncommitted } from '../git/blame';
import type { CommitInfo } from '../git/commit';
import { fileHistory, type FileHistoryEntry, type HistoryResult, type LineHistoryEntry } from '../git/history';
import type { RepositoryRegistry } from '../git/registry';
import type { BlameRequest, Blamer, TracedBlame } from '../git/blamer';
import { fillInCommand, ObjectsMissingError } from '../git/partial-clone';
import { countLines, type HeadFile, type Repository } from '../git/repository';
import { CancelledError, FlightCache, isCancelled } from '../util/flight';
import { cancelledHistory, keepComplete, LineHistories } from './line-histories';
import { mapToCommittedLines } from '../util/linemap';
import { movableDeadline, orWhenAborted, withDeadline } from '../util/race';
import { textOf } from '../util/slices';
import type { EvidenceEnricher, EvidenceSource, QueryFacts } from './enrichers';
import { authorsOf, buildTimeline, commitPaths, countTraced, gatherCandidates, MAX_CANDIDATES, newCandidate } from './candidates';
import { AilError, isAilError } from '../util/errors';
import { confidenceOf, confidenceWithReview, scoreCandidate, type Candidate, type ScoredCandidate } from './rank';
import { issuesFromMessage, pullRequestFromMessage } from './references';
import { toEvidence } from './evidence';
import { answerRemoved, RemovedFiles, type Removal } from './removed';
import { LineTracer } from './trace';
import type { LineOrigin } from '../git/line-origin';
import { summarize } from './summary';
import { contentTerms, intentOf, isGenericMessage } from './text';
import { addReached, beyondTheCut, cappedByTopic, CUT_SHORT, scoredForTopic, topicVerdict, TopicSearch, withTopicNote, type Reached } from './topic';

export interface AskInput {
  /** Absolute path of the file. */
  path: string;
  /** A directory of the work tree to answer from; the file must lie inside it. Default: the work tree that contains the file. */
  repository?: string;
  /** 0-based inclusive lines; omitted: the whole file. */
  lines?: { start: number; end: number };
  question?: string;
  maxEvidence?: number;
  /** Unsaved editor text for the file; blamed instead of the committed file when it differs. */
  contents?: string;
  /** `AIL_MAX_QUERY_TIME_S` in milliseconds: what is found by then is answered, marked partial. */
  timeLimitMs?: number;
  /**
   * 'full' (the default) also walks the range's line history and asks the evidence sources; 'quick'
   * answers from blame and gives enrichers 250 ms: for hovers and code lenses, no git process once the
   * file is blamed and its commits looked up.
   */
  depth?: 'quick' | 'full';
  signal?: AbortSignal;
}

/** A question whose file, HEAD and lines are known and valid. */
export interface ResolvedQuestion {
  repo: Repository;
  blamer: Blamer;
  /** Path relative to the repository root. */
  file: string;
  head: string;
  headFile: HeadFile;
  /** Unsaved text that differs from the committed file. */
  contents: string | undefined;
  lineCount: number;
  lines: { start: number; end: number } | undefined;
  /** Normalized: whitespace collapsed, the default question when none was asked. */
  question: string;
  depth: 'quick' | 'full';
  /** The file is not at HEAD but was in its history: how it went. `headFile` is then its last version. */
  removed?: Removal;
}

export interface ProviderParts {
  registry: RepositoryRegistry;
  /** Extra candidate commits (the semantic index). */
  sources?: EvidenceSource[];
  /** Facts added to the chosen evidence (merge commits, GitHub). */
  enrichers?: EvidenceEnricher[];
  now?: () => number;
  /** Blame the whole file in the background after answering about some of its lines (the server: yes; a one-shot CLI: no). */
  warmFiles?: boolean;
  /**
   * Answer a full question once line history has had LINE_HISTORY_GRACE_MS past blame, and let the walk
   * finish for the next question about those lines (the server: yes). A one-shot CLI has no next
   * question, so it waits for the walk, up to the time limit.
   */
  answerBeforeHistory?: boolean;
  /**
   * A long-lived process: blame and line history cut by the time limit go on in the background, up to
   * WORK_LIMIT_MS, so that the next question finds them (kept in memory, and on disk with a store).
   */
  keepCutWork?: boolean;
  /**
   * A one-shot command (`ail ask`): nothing asks after it in this process, so it waits for the blame an
   * answer cannot do without up to WORK_LIMIT_MS, the rest of the answer getting the time limit from
   * there; and `settle` lets the work the time limit cut finish, so that it is stored for the next one.
   */
  oneShot?: boolean;
  /** The one-shot's blame took longer than the time limit (the command says so). */
  onSlowBlame?: (report: SlowBlame) => void;
}

/** A blame that took longer than the time limit and was waited for. */
export interface SlowBlame {
  /** Path relative to the repository root. */
  file: string;
  /** 0-based inclusive; omitted: the whole file. */
  lines?: { start: number; end: number };
  ms: number;
  limitMs: number;
}

const FILE_HISTORY_LIMIT = 200;
/** Ranges up to this many lines are traced through the commits that only reshaped them (a full answer). */
const MAX_TRACED_RANGE = 20;
/**
 * How long git work cut by the time limit may go on (a long-lived process), and how long a one-shot
 * command waits for blame: git's own blame of a 17,000-line file with ten years of history takes
 * seconds to a dozen on a laptop; a blame still running after half a minute is not worth a slot.
 */
const WORK_LIMIT_MS = 30_000;
const DEFAULT_TIME_LIMIT_MS = 2000;
const LINE_HISTORY_GRACE_MS = 100;
/** What enrichers may add to a quick answer (a hover) after local git: GitLens gives its PR look-ups 250 ms. */
const ENRICHMENT_BUDGET_MS = 250;

/** What an answer says before anything is dug: the question, the file, the range, HEAD. */
type AnswerBase = Omit<ArchaeologyContext, 'summary' | 'confidence' | 'evidence' | 'authors' | 'timeline' | 'queryTimeMs'>;

/** What every step of one answer shares. */
interface Digging {
  target: ResolvedQuestion;
  input: AskInput;
  /** `performance.now()` when the answer began. */
  started: number;
  timeLimitMs: number;
  /** The caller's signal, ended by the time limit too. */
  signal: AbortSignal;
  /** Moves the time limit (a one-shot command's, once its blame is done). */
  moveDeadline: (ms: number) => void;
  /** The caller's signal, ended by WORK_LIMIT_MS: what blame and line history run under, so they can outlive the time limit. */
  workSignal: AbortSignal;
  /** How long the answer waits for blame (the time limit, or a one-shot's WORK_LIMIT_MS). */
  blameWaitMs: number;
  /** Whether blame and line history go on when the answer stops waiting for them (a long-lived process, a time limit under WORK_LIMIT_MS). */
  cutWorkGoesOn: boolean;
  warnings: Set<WarningCode>;
  base: AnswerBase;
  headCommit: Promise<CommitInfo | undefined>;
  /** Where the asked lines blamed on a commit came from: known once blame is (QueryFacts.origins reads it). */
  origins: QueryFacts['origins'];
  facts: QueryFacts;
}

/** The work an answer starts before it waits on any of it. */
interface Running {
  lineHistory: Promise<HistoryResult<LineHistoryEntry> | undefined>;
  blameRequest: BlameRequest;
  /** `performance.now()` when blame was asked for. */
  blameStarted: number;
  blame: Promise<TracedBlame>;
  sourced: Promise<{ sha: string; similarity: number }[]>;
  /** The file's commits whose messages name the question's topic (full questions that name one). */
  reached: Promise<Reached>;
}

/** The asked lines as blame answered them. */
interface BlamedScope {
  blame: TracedBlame;
  /** A partial clone lacked the objects blame needs: `blame` is empty, the file's history stands in. */
  missingObjects: boolean;
  start: number;
  end: number;
  rangeLines: number;
  /** Index in `blame.commits` → lines of the range blamed on it. */
  blamed: Map<number, number>;
  uncommittedLines: number;
}

interface Histories {
  lineResult: HistoryResult<LineHistoryEntry> | undefined;
  fileResult: HistoryResult<FileHistoryEntry> | undefined;
  /** Paths the blamed lines had that are gone at HEAD. */
  renamedFrom: Set<string>;
}

/**
 * Turns a file, a range and a question into ranked evidence from the repository's history.
 * Local git first (blame, line history, file history), then sources and enrichers, each racing the
 * query's time limit; what arrived in time is answered, and the rest is marked.
 */
export class ArchaeologyProvider {
  private readonly sources: EvidenceSource[];
  private readonly enrichers: EvidenceEnricher[];
  private readonly now: () => number;
  private readonly histories: LineHistories;
  private readonly fileHistories = new FlightCache<string, HistoryResult<FileHistoryEntry>>(128);
  private readonly tracer: LineTracer;
  private readonly removedFiles = new RemovedFiles();
  private readonly topics = new TopicSearch();

  constructor(private readonly parts: ProviderParts) {
    this.sources = parts.sources ?? [];
    this.enrichers = parts.enrichers ?? [];
    this.now = parts.now ?? Date.now;
    this.histories = new LineHistories(parts.registry.store);
    this.tracer = new LineTracer(parts.registry.store);
  }

  /** Work an answer left running (a one-shot's cut line history or blame), by what it is: `settle` waits for it. */
  private readonly leftover = new Map<Promise<unknown>, string>();

  /** What answers left running, for a one-shot command to say what it waits for. */
  get unfinished(): string[] {
    return [...this.leftover.values()];
  }

  /** Resolves when the work answers left running is done or has reached its bound (WORK_LIMIT_MS), so that it was stored. */
  async settle(): Promise<void> {
    while (this.leftover.size > 0) await Promise.all([...this.leftover.keys()]);
  }

  /** Keeps `work` for `settle` until it settles (one-shot commands only: a long-lived process has no end to wait for). */
  private leave(work: Promise<unknown>, what: string): void {
    if (!this.parts.oneShot) return;
    const done = work.then(
      () => undefined,
      () => undefined,
    );
    this.leftover.set(done, what);
    void done.then(() => this.leftover.delete(done));
  }

  async ask(input: AskInput): Promise<ArchaeologyContext> {
    return this.answer(await this.resolve(input), input);
  }

  /**
   * Everything an answer depends on, found cheaply (no blame, no history): the work tree, HEAD, the
   * file's blob, the unsaved text that differs from it, the validated lines and the normalized question.
   * Bad input fails here, with an AilError. The answer caches key on this.
   */
  async resolve(input: AskInput): Promise<ResolvedQuestion> {
    const question = normalizeQuestion(input.question);
    const { repo, blamer } = input.repository
      ? await this.parts.registry.forDirectory(input.repository)
      : await this.parts.registry.forFile(input.path);
    const file = repo.relativePath(input.path, process.cwd());
    const head = await repo.requireHead();
    let headFile: HeadFile;
    let removed: Removal | undefined;
    try {
      headFile = await repo.headFile(file, head);
    } catch (error) {
      // Neither at HEAD nor on disk: a file HEAD's history had is answered about its removal (removed.ts).
      if (!isAilError(error) || error.code !== 'file-missing') throw error;
      ({ headFile, removed } = await this.removedFiles.lastVersion(repo, file, head, error, input.lines !== undefined, input.signal));
    }
    // A removed file's unsaved text is not blamed (git blames unsaved text on top of HEAD, which lacks the file): its last version is.
    const contents = !removed && input.contents !== undefined && input.contents !== (await textOf(headFile.text)) ? input.contents : undefined;
    const lineCount = contents === undefined ? headFile.lineCount : countLines(contents);
    const lines = validateLines(input.lines, lineCount);
    return { repo, blamer, file, head, headFile, contents, lineCount, lines, question, depth: input.depth ?? 'full', ...(removed ? { removed } : {}) };
  }

  /**
   * Blames a committed file in the background (an editor opened it), so its first hover is a lookup;
   * lets the enrichers prepare for its repository. Counted as background work from the start, while
   * the file is still being found, so the count never reads 0 before the blame is under way.
   */
  warm(path: string): Promise<void> {
    return this.parts.registry.background.track(this.startWarming(path));
  }

  private async startWarming(path: string): Promise<void> {
    const target = await this.resolve({ path });
    for (const enricher of this.enrichers) enricher.warm?.(target.repo, target.head);
    if (target.contents === undefined && !target.removed) target.blamer.warm({ path: target.file, head: target.head, blob: target.headFile.blob });
  }

  /** Stops what the enrichers still run in the background. */
  dispose(): void {
    for (const enricher of this.enrichers) enricher.dispose?.();
  }

  /**
   * The answer to a resolved question, dug from the history now: local git first (line history and
   * blame side by side, sources and enrichers started beside them), then the blamed lines' histories,
   * the candidates ranked, the chosen ones made evidence and enriched, and the answer written.
   */
  async answer(target: ResolvedQuestion, input: AskInput): Promise<ArchaeologyContext> {
    if (target.removed) {
      return answerRemoved({ ...target, removed: target.removed }, input, {
        now: this.now,
        enrich: (facts, evidence, signal, warnings, budget) => this.enrich(facts, evidence, signal, warnings, budget),
        answerAt: (lastVersion, asked) => this.answer(lastVersion, asked),
      });
    }
    const dig = this.beginDigging(target, input);
    const running = await this.startDigging(dig);
    const blamed = await this.awaitBlame(dig, running);
    if (!blamed) {
      // The whole file goes on in the background too (a long-lived process), so that its other lines are lookups.
      if (this.parts.warmFiles && target.lines && target.contents === undefined) target.blamer.warm(running.blameRequest);
      return blameTimedOut(dig, running.blame);
    }
    const scope = this.scopeOf(dig, blamed);
    const histories = await this.awaitHistories(dig, running, scope);
    // The topic search started beside blame and is mostly done by now; like the sources, it has until the time limit (then the answer is partial).
    const reached = await orWhenAborted(running.reached, dig.signal, CUT_SHORT);
    const ranked = await this.rankCandidates(dig, scope, histories, await running.sourced, reached);
    const { evidence, enrichmentCut } = await this.chooseEvidence(dig, scope, histories, ranked);
    const context = await this.compose(dig, scope, histories, ranked, evidence, enrichmentCut, reached);
    if (target.lines) this.leave(running.lineHistory, `the line history of ${target.file}:${target.lines.start + 1}${target.lines.end > target.lines.start ? `-${target.lines.end + 1}` : ''}`);
    // Unsaved text changes with every keystroke: only committed files are blamed whole in the background.
    if (this.parts.warmFiles && target.lines && target.contents === undefined) target.blamer.warm(running.blameRequest);
    return context;
  }

  /** What every step of one answer shares: the question, its clock and signal, the warnings so far, the facts enrichers see. */
  private beginDigging(target: ResolvedQuestion, input: AskInput): Digging {
    const started = performance.now();
    const { repo, file, head, headFile, contents, lines, question, depth } = target;
    const timeLimitMs = input.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS;
    const workMs = Math.max(timeLimitMs, WORK_LIMIT_MS);
    const continues = Boolean(this.parts.keepCutWork || this.parts.oneShot) && workMs > timeLimitMs;
    // A one-shot waits for blame up to workMs: until it is done, nothing else is cut sooner (see awaitBlame).
    const deadline = movableDeadline(input.signal, this.parts.oneShot ? workMs : timeLimitMs);
    const range = lines && toRange(lines);
    const warnings = new Set<WarningCode>();
    if (repo.shallow) warnings.add('shallow-history');
    const base: AnswerBase = {
      question,
      file,
      ...(range ? { range } : {}),
      headSha: head,
      source: 'cold',
      warnings: [],
    };
    const dig: Digging = {
      target,
      input,
      started,
      timeLimitMs,
      signal: deadline.signal,
      moveDeadline: deadline.move,
      workSignal: continues ? withDeadline(input.signal, workMs) : deadline.signal,
      blameWaitMs: this.parts.oneShot ? workMs : timeLimitMs,
      cutWorkGoesOn: continues && !this.parts.oneShot,
      warnings,
      base,
      headCommit: repo.commit(head), // every answer dates its evidence against HEAD
      origins: () => undefined,
      facts: {
        repo,
        head,
        file,
        lines,
        question,
        intent: intentOf(question),
        depth,
        origins: (sha) => dig.origins(sha),
        lineText: async () => askedText(contents ?? (await textOf(headFile.text)), lines),
      },
    };
    dig.headCommit.catch(() => undefined);
    return dig;
  }

  /**
   * Starts what the answer will wait on. Blame and the range's line history do not depend on each
   * other: they run side by side. Line history (`log -L`) is started first: it walks further than blame
   * and is what a full answer waits for last, and starting a process holds this thread for
   * milliseconds. Then what the enrichers and sources start.
   */
  private async startDigging(dig: Digging): Promise<Running> {
    const { repo, blamer, file, head, headFile, contents, lineCount, lines, depth } = dig.target;
    const { signal, facts, warnings } = dig;
    const committedRange = lines && (contents === undefined ? lines : committedLinesOf(lines, await textOf(headFile.text), contents));
    const lineHistory =
      depth === 'full' && committedRange && lineCount > 0
        ? this.histories.get(repo, head, file, headFile.blob, committedRange, dig.workSignal)
        : Promise.resolve(undefined);
    lineHistory.catch(() => undefined);
    const blameRequest = { path: file, head, blob: headFile.blob, text: headFile.text, contents };
    const blameStarted = performance.now();
    const blame = lines ? blamer.blameLines({ ...blameRequest, lines }, dig.workSignal) : blamer.blame(blameRequest, dig.workSignal);
    blame.catch(() => undefined);
    await new Promise<void>((resolve) => setImmediate(resolve)); // let blame reach its spawn before anything else spawns
    for (const enricher of this.enrichers) enricher.begin?.(facts, signal);
    // Sources (the commit index) need nothing from blame: start them now, take what they found later.
    const sourced = depth === 'full' ? this.fromSources(facts, signal, warnings) : Promise.resolve([]);
    const reached = this.topics.reach(repo, head, file, dig.target.question, depth, dig.workSignal);
    reached.catch(() => undefined);
    return { lineHistory, blameRequest, blameStarted, blame, sourced, reached };
  }

  /**
   * The blame, or in a partial clone without the file's older versions none: the file's commits stand
   * in for it (they need trees only). Undefined when blame ran out of time; a CancelledError when the
   * caller cancelled.
   */
  private async awaitBlame(dig: Digging, running: Running): Promise<{ blame: TracedBlame; missingObjects: boolean } | undefined> {
    try {
      // A one-shot command waits for blame up to WORK_LIMIT_MS; an answer in a long-lived process, the time
      // limit, while the blame itself goes on in the background up to WORK_LIMIT_MS (see blameTimedOut).
      const blame = await orWhenAborted(running.blame, dig.signal, undefined);
      if (!blame) {
        cancelledByCaller(dig);
        dig.warnings.add('time-limit');
        return undefined;
      }
      const ms = performance.now() - running.blameStarted;
      if (this.parts.oneShot) {
        // The rest of the answer gets what is left of the time limit, or the time limit again after a blame that ran over it.
        const left = dig.timeLimitMs - (performance.now() - dig.started);
        dig.moveDeadline(left > 0 ? left : dig.timeLimitMs);
        if (ms > dig.timeLimitMs) this.parts.onSlowBlame?.({ file: dig.target.file, ...(dig.target.lines ? { lines: dig.target.lines } : {}), ms, limitMs: dig.timeLimitMs });
      }
      return { blame, missingObjects: false };
    } catch (error) {
      cancelledByCaller(dig);
      if (error instanceof ObjectsMissingError) {
        dig.warnings.add('partial-clone');
        return { blame: unblamed(dig.target.lineCount, dig.target.head), missingObjects: true };
      }
      if (!isCancelled(error)) throw error;
      dig.warnings.add('time-limit');
      return undefined;
    }
  }

  /** The asked lines as blame answered them: the commits and how many lines each, the uncommitted ones; enrichers prefetch for the likeliest. */
  private scopeOf(dig: Digging, { blame, missingObjects }: { blame: TracedBlame; missingObjects: boolean }): BlamedScope {
    const { lines, lineCount } = dig.target;
    const start = lines?.start ?? 0;
    const end = lines?.end ?? Math.max(0, lineCount - 1);
    const rangeLines = lineCount === 0 ? 0 : end - start + 1;
    dig.origins = (sha) => originsOf(blame, start, end, sha);
    const blamed = commitsInRange(blame, start, end);
    let uncommittedLines = 0;
    for (const [index, count] of blamed) if (isUncommitted(blame.commits[index]!.sha)) uncommittedLines += count;
    if (uncommittedLines > 0) dig.warnings.add('uncommitted-lines');
    const likely = [...blamed.entries()].sort((a, b) => b[1] - a[1]).map(([index]) => blame.commits[index]!.sha).filter((sha) => !isUncommitted(sha));
    for (const enricher of this.enrichers) enricher.prefetch?.(dig.facts, likely, dig.signal);
    return { blame, missingObjects, start, end, rangeLines, blamed, uncommittedLines };
  }

  /**
   * The range's line history, the file's history when the whole file was asked (or blame could not
   * run), and the paths the blamed lines were renamed from.
   */
  private async awaitHistories(dig: Digging, running: Running, scope: BlamedScope): Promise<Histories> {
    const { repo, file, head, lines } = dig.target;
    const { blame, blamed, missingObjects } = scope;
    // Line history may take longer than blame on a long-lived file: a server waits for it a little past
    // blame (half again, at least LINE_HISTORY_GRACE_MS), then answers without it. The walk goes on,
    // bounded by the query's time limit, and the next question about these lines finds it done. A
    // question with a topic waits for its topic search anyway: line history has until then too.
    const graceMs = this.parts.answerBeforeHistory ? Math.max(LINE_HISTORY_GRACE_MS, (performance.now() - running.blameStarted) * 0.5) : undefined;
    // Lines blamed under another path: a rename when that path is gone at HEAD, code moved or copied
    // from a file that is still there otherwise. A cat-file look-up each (once per HEAD), no history walk.
    const otherPaths = new Set<string>();
    for (const [index] of blamed) {
      const commit = blame.commits[index]!;
      if (commit.filename && commit.filename !== file && !isUncommitted(commit.sha)) otherPaths.add(commit.filename);
    }
    const renamedFrom = new Set<string>();
    await Promise.all(
      [...otherPaths].map(async (other) => {
        if (!(await repo.hasPath(head, other))) renamedFrom.add(other);
      }),
    );
    // The walk runs under the work signal (it may outlive the answer): the answer waits for it until its own time limit at most.
    const lineHistory = orWhenAborted(running.lineHistory, dig.signal, cancelledHistory<LineHistoryEntry>());
    const [lineResult, fileResult] = await Promise.all([
      graceMs === undefined ? lineHistory : orWhenAborted(lineHistory, graceOver(graceMs, running.reached), cancelledHistory<LineHistoryEntry>()),
      lines && !missingObjects ? Promise.resolve(undefined) : this.fileHistory(repo, head, file, dig.signal),
    ]);
    cancelledByCaller(dig);
    // Line history reads the same missing versions: its failure is the partial clone's, said once.
    if (!missingObjects) noteIncomplete(lineResult, 'line-history-incomplete', dig.warnings);
    noteIncomplete(fileResult, 'file-history-incomplete', dig.warnings);
    return { lineResult, fileResult, renamedFrom };
  }

  /** Every candidate (blame, the histories, the sources), the likeliest read and scored for the question, best first. */
  private async rankCandidates(
    dig: Digging,
    scope: BlamedScope,
    { lineResult, fileResult, renamedFrom }: Histories,
    sourced: readonly { sha: string; similarity: number }[],
    reached: Reached,
  ): Promise<ScoredCandidate[]> {
    const { repo, file, question } = dig.target;
    const candidates = gatherCandidates(scope.blame, scope.blamed, lineResult, fileResult, file, renamedFrom);
    if (dig.target.lines && scope.rangeLines <= MAX_TRACED_RANGE && !scope.missingObjects) await this.traceLines(dig, scope, candidates, lineResult);
    for (const { sha, similarity } of sourced) {
      const candidate = candidates.get(sha) ?? newCandidate(sha);
      candidate.reasons.add('semantic');
      candidate.semantic = Math.max(candidate.semantic ?? 0, similarity);
      candidates.set(sha, candidate);
    }
    addReached(candidates, reached, 'file-history');
    const movedFrom = await this.topics.movedFrom(repo, file, question, lineResult, dig.signal);
    addReached(candidates, movedFrom, 'moved-code');
    if (reached.cut || movedFrom.cut) dig.warnings.add('topic-search-incomplete');

    const pool = [...candidates.values()]
      .sort((a, b) => b.blamedLines - a.blamedLines || (a.lineHistoryRank ?? 1e9) - (b.lineHistoryRank ?? 1e9))
      .slice(0, MAX_CANDIDATES);
    // What names the question's topic, or is near it in meaning, is scored whatever the cut left out.
    pool.push(...beyondTheCut(question, candidates, pool, reached, movedFrom));
    await Promise.all(
      pool.map(async (candidate) => {
        candidate.commit = await repo.commit(candidate.sha);
        if (candidate.commit) {
          const message = `${candidate.commit.subject}\n${candidate.commit.body}`;
          candidate.linked = pullRequestFromMessage(candidate.commit.subject, candidate.commit.body) !== undefined || issuesFromMessage(message).length > 0;
        }
      }),
    );
    const headCommit = await dig.headCommit;
    const rankContext = {
      intent: dig.facts.intent,
      questionTerms: contentTerms(question),
      rangeLines: scope.rangeLines,
      lineHistoryLength: lineResult?.items.length ?? 0,
      headTime: headCommit?.authorTime ?? Math.floor(this.now() / 1000),
    };
    const scored = pool.filter((candidate) => candidate.commit).map((candidate) => scoreCandidate(candidate, rankContext));
    const ranked = scoredForTopic(question, scored).sort((a, b) => b.score - a.score);
    for (const item of ranked) if (item.lexical >= 0.3) item.reasons.add('keyword');
    return ranked;
  }

  /**
   * The asked lines followed back through the commits that only reshaped them (LineTracer): the blame
   * of the lines a commit reshaped goes to the commit that wrote what they do, which carries the trace;
   * the commits passed are marked with what they did. One line per blamed commit, for the two commits
   * blamed for most of the range. What the time limit leaves untraced is answered as blame has it. A
   * quick answer (a hover) uses only traces already made.
   */
  private async traceLines(dig: Digging, scope: BlamedScope, candidates: Map<string, Candidate>, lineResult: HistoryResult<LineHistoryEntry> | undefined): Promise<void> {
    const { repo, file } = dig.target;
    const { blame, blamed, start, end } = scope;
    const byLines = [...blamed].filter(([index]) => !isUncommitted(blame.commits[index]!.sha)).sort((a, b) => b[1] - a[1]).slice(0, 2);
    const origins = new Map<string, { path: string; lines: number[] }>();
    const newest = lineResult?.items[0];
    // A one-shot command waits for the trace as for blame (an answer without it may name a formatter's
    // commit); the rest of the answer then gets what is left of the time limit, or the limit again.
    const oneShotWaits = this.parts.oneShot && dig.target.depth === 'full';
    if (oneShotWaits) dig.moveDeadline(WORK_LIMIT_MS);
    const traces = await Promise.all(
      byLines.map(async ([index, count]) => {
        const commit = blame.commits[index]!;
        let line = start;
        while (line < end && blame.lineCommit[line] !== index) line++;
        let from: LineOrigin = { sha: commit.sha, path: commit.filename, line: blame.originalLine[line]! };
        // Blame's move detection can credit a line to a commit that wrote the same text elsewhere in the
        // file ("merge", or `_.size`'s identical check for `_.isEmpty`'s line). When the line's own history
        // never met that commit, and that commit says nothing or the history saw a later change to the
        // line in this file, the line is followed from the newest commit that changed it here instead.
        if (scope.rangeLines === 1 && newest?.newStart && !lineResult!.items.some((entry) => entry.sha === commit.sha)) {
          const [info, latest] = await Promise.all([repo.commit(commit.sha), repo.commit(newest.sha)]);
          const sameFile = commit.filename === (newest.path ?? file);
          const later = info !== undefined && latest !== undefined && latest.committerTime > info.committerTime;
          if (info && (isGenericMessage(info.subject, info.body) || (sameFile && later))) from = { sha: newest.sha, path: newest.path ?? file, line: newest.newStart };
        }
        // A quick answer (a hover) starts no git process: it takes a trace a full answer made, here or in an earlier process.
        if (dig.target.depth === 'quick') return { sha: commit.sha, count, trace: (await this.tracer.known(repo, from)) ?? { origin: from, steps: [], complete: true } };
        return { sha: commit.sha, count, trace: await this.tracer.trace(repo, from, dig.workSignal, dig.signal) };
      }),
    );
    if (oneShotWaits) {
      const left = dig.timeLimitMs - (performance.now() - dig.started);
      dig.moveDeadline(left > 0 ? left : dig.timeLimitMs);
    }
    // A trace the time limit cut leaves the answer partial (not cached): the next question finds it finished.
    if (traces.some(({ trace }) => !trace.complete)) dig.warnings.add('time-limit');
    for (const { sha, count, trace } of traces) {
      if (trace.origin.sha === sha) continue;
      const from = candidates.get(sha);
      if (from) from.blamedLines = Math.max(0, from.blamedLines - count);
      const to = candidates.get(trace.origin.sha) ?? newCandidate(trace.origin.sha);
      to.reasons.add('blame');
      if (trace.steps.some((step) => step.change === 'move')) to.reasons.add('moved-code');
      to.blamedLines += count;
      to.traced = [...(to.traced ?? []), ...trace.steps.filter((step) => !to.traced?.some((known) => known.sha === step.sha))];
      if (trace.origin.path !== dig.target.file) to.tracedPath = trace.origin.path;
      candidates.set(trace.origin.sha, to);
      for (const step of trace.steps) {
        const passed = candidates.get(step.sha) ?? newCandidate(step.sha);
        passed.reasons.add('line-history');
        passed.reshaped ??= step.change;
        candidates.set(step.sha, passed);
      }
      origins.set(trace.origin.sha, { path: trace.origin.path, lines: [trace.origin.line] });
    }
    if (origins.size > 0) {
      const blamedOrigins = dig.origins;
      dig.origins = (sha) => origins.get(sha) ?? blamedOrigins(sha);
    }
  }

  /**
   * The best `maxEvidence` candidates as evidence, enriched. Enrichment (merge commits, PR refs,
   * GitHub) runs in every answer, but a quick one (a hover) gives it only ENRICHMENT_BUDGET_MS: what
   * did not arrive by then is left out and the answer marked partial, so it is not cached and the next
   * hover, the look-up done by then, has it.
   */
  private async chooseEvidence(
    dig: Digging,
    scope: BlamedScope,
    { lineResult, fileResult }: Histories,
    ranked: ScoredCandidate[],
  ): Promise<{ evidence: Evidence[]; enrichmentCut: boolean }> {
    const { repo, file, depth } = dig.target;
    const { signal } = dig;
    const maxEvidence = Math.max(1, Math.min(50, dig.input.maxEvidence ?? DEFAULT_MAX_EVIDENCE));
    const chosen = ranked.slice(0, maxEvidence);
    const paths = (item: ScoredCandidate) => {
      const known = commitPaths(item.sha, scope.blame, lineResult, fileResult, file);
      return item.tracedPath && !known.pathInCommit ? { ...known, pathInCommit: item.tracedPath } : known;
    };
    const evidence = await Promise.all(chosen.map((item) => toEvidence(item, scope.blame, scope.start, scope.end, repo, paths(item))));
    const enrichSignal = depth === 'quick' ? withDeadline(signal, ENRICHMENT_BUDGET_MS) : signal;
    const enrichmentCut = !(await this.enrich(dig.facts, evidence, enrichSignal, dig.warnings, depth === 'quick' && !signal.aborted ? enrichSignal : undefined));
    return { evidence, enrichmentCut };
  }

  /** The answer: its confidence, summary, authors and timeline, and whether it is partial. */
  private async compose(
    dig: Digging,
    scope: BlamedScope,
    { lineResult, fileResult }: Histories,
    ranked: ScoredCandidate[],
    evidence: Evidence[],
    enrichmentCut: boolean,
    reached: Reached,
  ): Promise<ArchaeologyContext> {
    const { repo, file, lines, question } = dig.target;
    const { signal, warnings } = dig;
    const { blame, blamed, missingObjects, start, end, rangeLines, uncommittedLines } = scope;
    const partial =
      signal.aborted || enrichmentCut || missingObjects || [...warnings].some((w) => w === 'line-history-incomplete' || w === 'file-history-incomplete' || w === 'topic-search-incomplete' || w === 'time-limit');
    const boundary = ranked[0] !== undefined && blame.commits.some((c) => c.sha === ranked[0]!.sha && c.boundary) && repo.shallow;
    const topic = topicVerdict(question, ranked, evidence, reached);
    const confidence = cappedByTopic(topic, confidenceWithReview(
      confidenceOf(ranked, {
        partial: signal.aborted || missingObjects,
        boundary: boundary || missingObjects,
        uncommittedShare: rangeLines ? uncommittedLines / rangeLines : 0,
        mechanical: leadsMechanically(ranked[0]),
      }),
      evidence[0],
      warnings,
    ));
    const cosmeticTraced = countTraced(blame, start, end);
    const timeline = buildTimeline(blame, blamed, lineResult, fileResult, ranked, !lines);
    const context: ArchaeologyContext = {
      ...dig.base,
      summary: withTopicNote(topic, summarize({
        evidence,
        confidence,
        lines,
        file,
        cosmeticTraced,
        uncommittedLines,
        rangeLines,
        lastChanged: timeline.lastChanged,
        nowMs: this.now(),
        ...(missingObjects ? { missingObjects: { fillIn: fillInCommand(await repo.configValue('extensions.partialClone')) } } : {}),
      })),
      confidence,
      evidence,
      authors: authorsOf(blame, blamed),
      timeline,
      warnings: [...warnings],
      queryTimeMs: elapsed(dig.started),
      ...(cosmeticTraced ? { cosmeticCommitsTraced: cosmeticTraced } : {}),
      ...(uncommittedLines ? { uncommittedLines } : {}),
    };
    if (partial) context.partial = true;
    return context;
  }

  private fileHistory(repo: QueryFacts['repo'], head: string, file: string, signal: AbortSignal) {
    const key = `${repo.root}\0${file}\0${head}`;
    return this.fileHistories
      .get(key, (shared) => fileHistory(repo, head, file, { limit: FILE_HISTORY_LIMIT, signal: shared }).then(keepComplete), signal)
      .catch((error: unknown) => (isCancelled(error) ? cancelledHistory<FileHistoryEntry>() : Promise.reject(error)));
  }

  private async fromSources(facts: QueryFacts, signal: AbortSignal, warnings: Set<WarningCode>): Promise<{ sha: string; similarity: number }[]> {
    if (this.sources.length === 0) return [];
    const settled = await Promise.allSettled(this.sources.map((source) => orWhenAborted(source.candidates(facts, signal), signal, 'aborted' as const)));
    return settled.flatMap((result, i) => {
      if (result.status === 'fulfilled' && result.value !== 'aborted') return result.value;
      warnings.add(`${this.sources[i]!.name}-unavailable`);
      return [];
    });
  }

  /** Runs every enricher until the signal; false when one of them did not finish in time. */
  /**
   * `budget`: a hover's signal, whose end is its enrichment budget rather than a failure: an online
   * enricher it cuts short is not said to be unavailable (the answer is partial, and the next hover has it).
   */
  private async enrich(facts: QueryFacts, evidence: Evidence[], signal: AbortSignal, warnings: Set<WarningCode>, budget?: AbortSignal): Promise<boolean> {
    if (this.enrichers.length === 0 || evidence.length === 0) return true;
    // The local ones first, side by side; then those that only fill gaps; then the online ones, which
    // build on what they found. Each stage finds the evidence as the one before left it.
    let complete = true;
    const stages = [this.enrichers.filter((e) => !e.online && !e.fillsGaps), this.enrichers.filter((e) => !e.online && e.fillsGaps), this.enrichers.filter((e) => e.online)];
    for (const stage of stages.filter((enrichers) => enrichers.length > 0)) {
      const settled = await Promise.allSettled(stage.map((enricher) => orWhenAborted(enricher.enrich(facts, evidence, signal), signal, 'aborted' as const)));
      settled.forEach((result, i) => {
        if (result.status === 'fulfilled' && result.value !== 'aborted') for (const warning of result.value.warnings ?? []) warnings.add(warning);
        else {
          complete = false;
          if (!(budget?.aborted && stage[i]!.online && result.status === 'fulfilled')) warnings.add(`${stage[i]!.name}-unavailable`);
        }
      });
    }
    return complete;
  }
}

/**
 * Whether the answer's lead is less sure than its message makes it look: the trace went past it yet it
 * leads, or the lines' last change, which the trace went past, said nothing of why.
 */
function leadsMechanically(top: ScoredCandidate | undefined): 'reshaped' | 'unexplained-change' | undefined {
  if (top?.reshaped) return 'reshaped';
  if (top?.traced?.some((step) => step.change === 'uninformative')) return 'unexplained-change';
  return undefined;
}

/** A question is a sentence or a paragraph; a longer one is a mistake (a file pasted as the question). */
export const MAX_QUESTION_LENGTH = 4000;

export function normalizeQuestion(question: string | undefined): string {
  const trimmed = (question ?? '').replace(/\s+/g, ' ').trim();
  if (trimmed.length > MAX_QUESTION_LENGTH) {
    throw new AilError('bad-argument', `the question is ${trimmed.length.toLocaleString('en-US')} characters long; AIL takes questions of up to ${MAX_QUESTION_LENGTH.toLocaleString('en-US')}`);
  }
  return trimmed || DEFAULT_QUESTION;
}

function validateLines(lines: AskInput['lines'], lineCount: number): { start: number; end: number } | undefined {
  if (!lines) return undefined;
  const { start, end } = lines;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < 0) {
    throw new AilError('malformed-range', `the range must be whole line numbers from 1 up (got ${start + 1}-${end + 1})`);
  }
  if (start > end) throw new AilError('malformed-range', `the range starts after it ends (line ${start + 1} > line ${end + 1})`);
  if (end >= lineCount) {
    const past = start >= lineCount ? start + 1 : end + 1;
    throw new AilError('line-out-of-range', `line ${past} is past the end of the file (${lineCount} line${lineCount === 1 ? '' : 's'})`);
  }
  return { start, end };
}

/** Where the lines `start..end` blamed on `sha` were in that commit: its path and 1-based line numbers. */
function originsOf(blame: TracedBlame, start: number, end: number, sha: string): { path: string; lines: number[] } | undefined {
  const index = blame.commits.findIndex((commit) => commit.sha === sha);
  if (index < 0) return undefined;
  const lines: number[] = [];
  for (let line = start; line <= end && line < blame.lineCommit.length; line++) if (blame.lineCommit[line] === index) lines.push(blame.originalLine[line]!);
  const path = blame.commits[index]!.filename;
  return lines.length && path ? { path, lines } : undefined;
}

/** The asked lines of a text (every line for a whole file), at most 200. */
function askedText(text: string, lines: { start: number; end: number } | undefined): string[] {
  const all = text.split('\n');
  return lines ? all.slice(lines.start, Math.min(lines.end + 1, lines.start + 200)) : all.slice(0, 200);
}

/** A signal that ends once `ms` have passed and `also` has settled: the grace line history gets in a server. */
function graceOver(ms: number, also: Promise<unknown>): AbortSignal {
  const controller = new AbortController();
  const timer = new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, Math.ceil(ms))).unref());
  void Promise.all([timer, also.catch(() => undefined)]).then(() => controller.abort());
  return controller.signal;
}

/** A CancelledError when the caller cancelled (not when the time limit ran out: that answers, partial). */
function cancelledByCaller(dig: Digging): void {
  if (dig.input.signal?.aborted) throw new CancelledError();
}

/**
 * The answer when blame did not finish within the time limit: nothing found, and what to do about it.
 * Asking again is advised only when it will help: the blame goes on in the background (a long-lived
 * process), to be kept in memory and stored. A blame that was stopped (a one-shot command waits for
 * it as long as it lets it run) would only time out again: then raising the limit is what helps.
 */
function blameTimedOut(dig: Digging, blame: Promise<TracedBlame>): ArchaeologyContext {
  const waited = `\`${dig.target.file}\` did not finish within ${(dig.blameWaitMs / 1000).toFixed(1)} s`;
  const goesOn = dig.cutWorkGoesOn && !dig.workSignal.aborted;
  blame.catch(() => undefined);
  return {
    ...dig.base,
    summary: goesOn
      ? `Blame of ${waited}; it goes on in the background, so asking again in a few seconds finds it (or raise AIL_MAX_QUERY_TIME_S).`
      : `Blame of ${waited}; raise AIL_MAX_QUERY_TIME_S to give it longer.`,
    confidence: 0,
    evidence: [],
    authors: [],
    timeline: { commitCount: 0 },
    partial: true,
    warnings: [...dig.warnings],
    queryTimeMs: elapsed(dig.started),
  };
}

/** The blame of a file nobody could blame: every line unknown. */
function unblamed(lineCount: number, head: string): TracedBlame {
  return { commits: [], lineCommit: new Int32Array(lineCount).fill(-1), originalLine: new Int32Array(lineCount), traced: new Map(), cosmetic: new Map(), head };
}

function toRange(lines: { start: number; end: number }): Range {
  return { start: { line: lines.start, character: 0 }, end: { line: lines.end + 1, character: 0 } };
}

/** The HEAD lines under an edited range: the committed lines it still contains, or the nearest ones. */
function committedLinesOf(lines: { start: number; end: number }, committed: string, contents: string): { start: number; end: number } | undefined {
  const map = mapToCommittedLines(committed, contents);
  const mapped: number[] = [];
  for (let line = lines.start; line <= lines.end; line++) if ((map[line] ?? -1) >= 0) mapped.push(map[line]!);
  if (mapped.length === 0) return undefined;
  return { start: Math.min(...mapped), end: Math.max(...mapped) };
}

function noteIncomplete(result: HistoryResult<unknown> | undefined, code: WarningCode, warnings: Set<WarningCode>): void {
  if (result && !result.complete && result.stopped !== 'limit') warnings.add(code);
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}

