import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { classifyChange, type ChangeKind } from './cosmetic';
import { BackgroundWork } from '../util/background';
import { CancelledError, FlightCache, SingleFlight } from '../util/flight';
import { mapToCommittedLines } from '../util/linemap';
import { QueueTicket, Semaphore } from '../util/semaphore';
import { textOf, type LazyText } from '../util/slices';
import { BlameParser, isUncommitted, type Blame, type BlameCommit, type BlamedEntry } from './blame';
import { CopyCheck, rangesCouldScore } from './copies';
import type { BlameId, GitStore } from './git-store';
import { lacksObjects, ObjectsMissingError } from './partial-clone';
import type { Repository } from './repository';

/** A blame whose lines have been traced through cosmetic commits. */
export interface TracedBlame extends Blame {
  /** Per 0-based line: the cosmetic commits (newest first) blame was traced through to reach today's answer. */
  traced: Map<number, string[]>;
  /** Every cosmetic commit found, and what kind of change it made. */
  cosmetic: Map<string, ChangeKind>;
  /** The head this blame was computed against. */
  head: string;
}

interface IgnoreFiles {
  files: string[];
  /** The commit names they list (full or abbreviated), comments and blank lines dropped. */
  names: string[];
  fingerprint: string;
}

export interface BlameRequest {
  path: string;
  head: string;
  /** The file's blob at HEAD. */
  blob: string;
  /** Unsaved editor text, when it differs from the committed file. */
  contents?: string;
  /** The committed text of `blob`, when the caller has it (saves reading it again); a large one is decoded after blame starts. */
  text?: LazyText;
  /** 0-based inclusive lines to blame; omitted: the whole file. */
  lines?: { start: number; end: number };
}

/** What one git blame runs on: the request's own file, or (tracing) a cosmetic commit's version of it. */
interface BlameTarget {
  /** The path in `revision` (or in the work tree, with contents). */
  path: string;
  /** The commit to blame at; unused with `contents`, which git blames on top of HEAD. */
  revision: string;
  contents?: string;
  /** 0-based inclusive line ranges in this version of the file; omitted: the whole file. */
  ranges?: { start: number; end: number }[];
  /** The committed text at `revision`, when the caller has it. */
  text?: LazyText;
  /** Where to read that text otherwise (`blob` or `revision:path`). */
  textObject: string;
  /** Some lines of a file (a hover's), not all of it: each commit blame names is read as it is named. */
  few: boolean;
  /** Called as git starts: `ranges` is read then, and may grow until then. */
  onStart?: () => void;
  /** The first blame's place in git's queue (a batch's). */
  ticket?: QueueTicket;
}

/**
 * Lines of one file asked about while its blame waits for a git slot: they join that blame until git
 * starts, so a burst of hovers over a file costs one blame, not one per line.
 */
interface LineBatch {
  /** The lines each asker asked about: each keeps the batch's blame as its own. */
  asked: { start: number; end: number }[];
  /** What git blames: the same lines, sorted and merged when git starts. */
  ranges: { start: number; end: number }[];
  open: boolean;
  id: number;
  /** Its blame's place in git's queue: each line that joins makes the batch as new as that line. */
  ticket: QueueTicket;
  /** Every asker left and its blame was stopped: nothing may join it any more. */
  stopped?: boolean;
}

const MAX_TRACE_ROUNDS = 3;
/** Commits of a file warmed in the background that are read ahead for its hovers, at most. */
const MAX_WARM_COMMITS = 1000;
const MAX_COSMETIC_CHECKS = 64;
/** Whitespace-insensitive, with moves inside the file: what every blame starts with. */
const MOVE_FLAGS = ['-w', '-M'];
/** And copies from the other files each commit changed: several times the cost, run only when they could matter. */
const COPY_FLAGS = ['-w', '-M', '-C'];

/** How often a blame needed git's copy search (`-C`), and how often checking showed it could not matter. */
export interface CopySearchStats {
  skipped: number;
  run: number;
}

/**
 * Blames whole files, once per (file, blob at HEAD) or per unsaved text, and keeps the result so that
 * every later line of the same file is a lookup. Blame is whitespace-insensitive, follows moves and
 * copies (`-w -M -C`), honours `.git-blame-ignore-revs` and `blame.ignoreRevsFile`, and is traced
 * through formatting-only, whitespace-only and rename commits.
 */
export class Blamer {
  private readonly blames: FlightCache<string, TracedBlame>;
  private readonly kinds = new Map<string, Promise<ChangeKind>>();
  /**
   * Classifying a commit holds the file before and after it, and copies of both: a whole file's
   * blame checks up to MAX_COSMETIC_CHECKS commits, which all at once would be hundreds of megabytes
   * on a large file. A few at a time keep cat-file busy all the same. A range's few commits do not
   * queue here: a hover must not wait behind a background blame's checks.
   */
  private readonly classifying = new Semaphore(4);
  private readonly ignoredRevs = new Map<string, Promise<string[]>>();
  /** One file warmed at a time. */
  private readonly warmSlot = new Semaphore(1);
  /** Files being warmed (blamed, then their commits read), by path, blob, HEAD and unsaved text. */
  private readonly warming = new Map<string, Promise<void>>();
  private readonly copies: CopyCheck;
  readonly copySearches: CopySearchStats = { skipped: 0, run: 0 };
  /** Per blame without its HEAD (file, blob, ignore lists, lines): the HEAD of the newest one kept, to carry over to the next. */
  private readonly newest = new Map<string, string>();
  /** Per file (blob, HEAD, unsaved text): the batch of lines waiting for a git slot, while it still takes lines in. */
  private readonly batches = new Map<string, LineBatch>();
  private readonly batchFlights = new SingleFlight<number, TracedBlame>();
  /** Per file: the batches whose git is running, which a line they cover joins rather than blaming it again (a blame that outlived a time limit). */
  private readonly runningBatches = new Map<string, Set<LineBatch>>();
  private batchCount = 0;
  /** (file, old HEAD, new HEAD) → whether a blame at the old HEAD still holds at the new one. */
  private readonly carries = new FlightCache<string, boolean>(1024);

  /** Blames on disk (the data dir), for another process or a later one; none in tests that build a blamer bare. */
  private readonly store: GitStore | undefined;

  constructor(
    private readonly repo: Repository,
    private readonly backgroundWork = new BackgroundWork(),
    options: { capacity?: number; store?: GitStore } = {},
  ) {
    this.blames = new FlightCache(options.capacity ?? 256);
    this.copies = new CopyCheck(repo);
    this.store = options.store;
  }

  get size(): number {
    return this.blames.size;
  }

  async blame(request: BlameRequest, signal?: AbortSignal): Promise<TracedBlame> {
    return this.blameAs(request, 'foreground', await this.ignoreFiles(), signal);
  }

  /**
   * A blame somebody waits for checks whether git's copy search is needed, which mostly saves it. A
   * background blame leaves that search to git: the check's reading and hashing would run on this
   * thread, beside the hovers it exists to serve. Either way the blame is the same.
   */
  private blameAs(request: BlameRequest, mode: 'foreground' | 'background', ignore: IgnoreFiles, signal?: AbortSignal): Promise<TracedBlame> {
    return this.blames.get(
      this.key(request, ignore),
      async (shared) => {
        const stored = await this.fromDisk(request, ignore);
        if (stored) {
          this.noteNewest(request, ignore);
          return stored;
        }
        const blame = (await this.carriedOver(request, ignore, shared)) ?? (await this.compute(request, ignore, mode, shared));
        this.noteNewest(request, ignore);
        void this.toDisk(request, ignore, blame);
        return blame;
      },
      signal,
    );
  }

  /**
   * The blame kept for an earlier HEAD, when it is still the answer at this one: that HEAD is in this
   * one's history and no commit since touched the file (a new commit elsewhere, a pull). Then
   * nothing below the file's lines changed, and the blame is kept under the new HEAD too. After an
   * amend, a rebase, a reset or a branch switch it is not, and the file is blamed again: a blame
   * must never name a commit that is no longer there.
   */
  private async carriedOver(request: BlameRequest, ignore: IgnoreFiles, signal: AbortSignal): Promise<TracedBlame | undefined> {
    if (request.contents !== undefined) return undefined; // unsaved text is blamed anew as it changes anyway
    const earlier = (await this.keptEarlier(request, ignore)) ?? (await this.storedEarlier(request, ignore));
    if (!earlier) return undefined;
    const { head: before, blame: kept } = earlier;
    const key = `${request.path}\0${before}\0${request.head}`;
    const holds = await this.carries.get(key, (shared) => this.untouchedSince(request.path, before, request.head, shared), signal);
    return holds ? { ...kept, head: request.head } : undefined;
  }

  /** The whole file's blame kept in memory for the newest other HEAD. */
  private async keptEarlier(request: BlameRequest, ignore: IgnoreFiles): Promise<{ head: string; blame: TracedBlame } | undefined> {
    const before = this.newest.get(this.key(request, ignore, false));
    if (!before || before === request.head) return undefined;
    const kept = this.blames.peek(this.key({ ...request, head: before }, ignore));
    return kept && { head: before, blame: kept };
  }

  /** The whole file's blame stored on disk for the newest other HEAD (by this process or another). */
  private async storedEarlier(request: BlameRequest, ignore: IgnoreFiles): Promise<{ head: string; blame: TracedBlame } | undefined> {
    const id = await this.storeId(request, ignore);
    if (!id) return undefined;
    const before = await this.store!.newestHead(id);
    if (!before || before === request.head) return undefined;
    const stored = await this.store!.readBlame({ ...id, head: before });
    return stored && { head: before, blame: stored };
  }

  /** Where this blame is stored on disk; undefined without a store, or for unsaved text (never stored). */
  private async storeId(request: BlameRequest, ignore: IgnoreFiles): Promise<BlameId | undefined> {
    if (!this.store || request.contents !== undefined) return undefined;
    const revs = await this.ignoreRevs(ignore, request.head);
    return {
      repo: this.repo.storeIdentity(),
      head: request.head,
      path: request.path,
      blob: request.blob,
      ignore: `${ignore.fingerprint}\0${revs.join(',')}`,
      ...(request.lines ? { lines: request.lines } : {}),
    };
  }

  /** The blame stored on disk for exactly this request, if any: checked as it is read, a damaged one is a miss. */
  private async fromDisk(request: BlameRequest, ignore: IgnoreFiles): Promise<TracedBlame | undefined> {
    const id = await this.storeId(request, ignore).catch(() => undefined);
    return id && this.store!.readBlame(id);
  }

  /** Stores the blame on disk after the caller has it (the store writes in the background); a failure is the store's to log. */
  private async toDisk(request: BlameRequest, ignore: IgnoreFiles, blame: TracedBlame): Promise<void> {
    const id = await this.storeId(request, ignore).catch(() => undefined);
    if (id) this.store!.writeBlame(id, blame);
  }

  /** Whether `to` descends from `from` and no commit between them changed `file`. */
  private async untouchedSince(file: string, from: string, to: string, signal: AbortSignal): Promise<boolean> {
    const [descends, changes] = await Promise.all([
      this.repo.isAncestor(from, to, signal),
      this.repo.git.run(['rev-list', '-n', '1', `${from}..${to}`, '--', file], { signal }),
    ]);
    if (changes.kind === 'cancelled' || changes.kind === 'timeout') throw new CancelledError();
    return descends && changes.kind === 'ok' && changes.stdout.trim() === '';
  }

  private noteNewest(request: BlameRequest, ignore: IgnoreFiles): void {
    if (request.contents !== undefined) return;
    const key = this.key(request, ignore, false);
    this.newest.delete(key);
    this.newest.set(key, request.head);
    if (this.newest.size > 4096) this.newest.delete(this.newest.keys().next().value!);
  }

  /**
   * The blame of some lines, as fast as git can give it: from the whole file's blame when that is
   * known, otherwise a blame of just those lines (about what raw `git blame -L` costs). The caller
   * warms the whole file afterwards (`warm`), so the lines asked next are lookups.
   */
  async blameLines(request: BlameRequest & { lines: { start: number; end: number } }, signal?: AbortSignal): Promise<TracedBlame> {
    const ignore = await this.ignoreFiles();
    const whole = { ...request, lines: undefined };
    const known = this.blames.peek(this.key(whole, ignore)) ?? this.blames.peek(this.key(request, ignore));
    if (known) return known;
    // The whole file's blame stored by an earlier process, then one at an earlier HEAD that still holds
    // here (a commit elsewhere since): either beats blaming these lines.
    const stored = await this.fromDisk(whole, ignore);
    if (stored) {
      this.blames.set(this.key(whole, ignore), stored);
      this.noteNewest(whole, ignore);
      return stored;
    }
    const carried = await this.carriedOver(whole, ignore, signal ?? new AbortController().signal);
    if (carried) {
      this.blames.set(this.key(whole, ignore), carried);
      this.noteNewest(whole, ignore);
      void this.toDisk(whole, ignore, carried);
      return carried;
    }
    const lines = await this.fromDisk(request, ignore);
    if (lines) {
      this.blames.set(this.key(request, ignore), lines);
      return lines;
    }
    return this.joinBatch(request, ignore, signal);
  }

  /**
   * The blame of these lines, shared with every other line of the file asked about before git starts:
   * the batch waits for a slot (newest first, so under a burst it waits while others run), and each
   * line that joins it meanwhile costs nothing more. Its blame is kept for each of those lines.
   */
  private joinBatch(request: BlameRequest & { lines: { start: number; end: number } }, ignore: IgnoreFiles, signal?: AbortSignal): Promise<TracedBlame> {
    if (signal?.aborted) return Promise.reject(new CancelledError());
    const file = this.key({ ...request, lines: undefined }, ignore);
    const running = [...(this.runningBatches.get(file) ?? [])].find((batch) => !batch.open && !batch.stopped && covers(batch.ranges, request.lines));
    if (running) {
      // Its flight is alive while it is listed (it leaves the list before the flight ends): this joins it.
      const rangeKey = this.key(request, ignore);
      return this.batchFlights.run(running.id, () => Promise.reject(new CancelledError()), signal).then((blame) => {
        this.blames.set(rangeKey, blame);
        return blame;
      });
    }
    let batch = this.batches.get(file);
    if (!batch?.open) {
      const created: LineBatch = { asked: [], ranges: [], open: true, id: ++this.batchCount, ticket: new QueueTicket() };
      this.batches.set(file, created);
      batch = created;
    }
    const lines = { ...request.lines };
    batch.asked.push(lines);
    batch.ranges.push(lines);
    batch.ticket.promote();
    const joined = batch;
    // A line whose asker leaves before git starts (the editor moved on) is not blamed for nobody.
    const leave = () => {
      if (!joined.open) return;
      for (const list of [joined.asked, joined.ranges]) if (list.includes(lines)) list.splice(list.indexOf(lines), 1);
    };
    signal?.addEventListener('abort', leave, { once: true });
    const blame = this.batchFlights.run(
      joined.id,
      async (shared) => {
        const close = () => {
          joined.open = false;
          if (this.batches.get(file) === joined) this.batches.delete(file);
        };
        const stop = () => {
          joined.stopped = true;
          close();
        };
        shared.addEventListener('abort', stop, { once: true }); // every line's asker gone: a later one starts afresh
        const running = this.runningBatches.get(file) ?? new Set<LineBatch>();
        this.runningBatches.set(file, running.add(joined));
        try {
          const blame = await this.compute(request, ignore, 'foreground', shared, joined);
          for (const lines of joined.asked) {
            this.blames.set(this.key({ ...request, lines }, ignore), blame);
            void this.toDisk({ ...request, lines }, ignore, blame);
          }
          return blame;
        } finally {
          shared.removeEventListener('abort', stop);
          close();
          running.delete(joined);
          if (running.size === 0 && this.runningBatches.get(file) === running) this.runningBatches.delete(file);
        }
      },
      signal,
    );
    return blame.finally(() => signal?.removeEventListener('abort', leave));
  }

  /** Starts the whole file's blame in the background (one at a time), so its later lines are lookups. */
  warm(request: BlameRequest): void {
    const whole = { ...request, lines: undefined };
    const key = warmKey(request);
    if (this.warming.has(key)) return;
    const warming = this.backgroundWork.track(
      this.warmSlot.run(async () => {
        const blame = await this.blameAs(whole, 'background', await this.ignoreFiles());
        // Every later hover on this file shows the commit of its line: read them now, one at a time
        // (a hover's own read waits behind one of these at most), so that a hover reads nothing.
        for (const commit of blame.commits.slice(0, MAX_WARM_COMMITS)) {
          if (!isUncommitted(commit.sha)) await this.repo.commit(commit.sha);
        }
      }),
    )
      .catch(() => undefined)
      .finally(() => this.warming.delete(key));
    this.warming.set(key, warming);
  }

  /** The commits every blame here ignores now (`.git-blame-ignore-revs`, `blame.ignoreRevsFile`), for the benchmark's raw git. */
  async ignoredCommits(head: string): Promise<string[]> {
    return this.ignoreRevs(await this.ignoreFiles(), head);
  }

  /** Resolves when the whole file's blame is known and, if it is being warmed, its commits read (for the benchmark and tests). */
  async whenWarm(request: BlameRequest): Promise<TracedBlame> {
    const blame = await this.blame({ ...request, lines: undefined });
    await this.warming.get(warmKey(request));
    return blame;
  }

  clear(): number {
    return this.blames.clear();
  }

  /**
   * A blame depends on the file's text (its blob, or the unsaved text), the ignore lists, the lines,
   * and the history below HEAD: the same blob after an amend or a rebase has other commits below it.
   * `withHead` false gives the key of the same blame at any HEAD (see carriedOver).
   */
  private key(request: BlameRequest, ignore: IgnoreFiles, withHead = true): string {
    const contents = request.contents === undefined ? '' : createHash('sha256').update(request.contents).digest('hex');
    const lines = request.lines ? `${request.lines.start}-${request.lines.end}` : '';
    return [request.path, request.blob, contents, withHead ? request.head : '', ignore.fingerprint, lines].join('\0');
  }

  /**
   * The ignore-revs files as they are now: `.git-blame-ignore-revs` and the file `blame.ignoreRevsFile`
   * names. Their paths and contents are part of every blame's key, so editing either makes a new blame.
   */
  private async ignoreFiles(): Promise<IgnoreFiles> {
    const files = [path.join(this.repo.root, '.git-blame-ignore-revs')];
    const configured = await this.repo.configValue('blame.ignoreRevsFile');
    if (configured) files.push(path.resolve(this.repo.root, configured));
    const hash = createHash('sha1');
    const present: string[] = [];
    const names = new Set<string>();
    for (const file of new Set(files)) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue; // absent: nothing to ignore from it
      }
      hash.update(file).update('\0').update(text).update('\0');
      present.push(file);
      for (const line of text.split('\n')) {
        const name = line.replace(/#.*/, '').trim();
        if (/^[0-9a-f]{4,64}$/i.test(name)) names.add(name);
      }
    }
    return { files: present, names: [...names], fingerprint: present.length ? hash.digest('hex') : '' };
  }

  /** A blame of the request's lines, or of `batch`'s: lines that may still grow until git starts. */
  private async compute(request: BlameRequest, ignore: IgnoreFiles, mode: 'foreground' | 'background', signal: AbortSignal, batch?: LineBatch): Promise<TracedBlame> {
    const [ignored, config] = await Promise.all([this.ignoreRevs(ignore, request.head), this.contentsConfig(request, signal)]);
    const blameIgnoring = (target: BlameTarget, revs: readonly string[]) =>
      mode === 'background' ? this.run(target, revs, config, signal, COPY_FLAGS, true) : this.blameOnce(target, revs, config, signal);
    const ranges = batch?.ranges ?? (request.lines && [request.lines]);
    let blame = await blameIgnoring(
      {
        path: request.path,
        revision: request.head,
        contents: request.contents,
        ranges,
        text: request.text,
        textObject: request.blob,
        few: ranges !== undefined,
        onStart: batch && (() => closeBatch(batch)),
        ticket: batch?.ticket,
      },
      ignored,
    );
    const traced = new Map<number, string[]>();
    const cosmetic = new Map<string, ChangeKind>();
    for (let round = 0; round < MAX_TRACE_ROUNDS; round++) {
      const found = await this.findCosmetic(blame, cosmetic, ranges === undefined, signal);
      if (found.size === 0) break;
      for (const [sha, kind] of found) cosmetic.set(sha, kind);
      const next = await this.resume(blame, found, ranges !== undefined, (target) => blameIgnoring(target, [...ignored, ...cosmetic.keys()]));
      for (let line = 0; line < blame.lineCommit.length; line++) {
        if (blame.lineCommit[line]! < 0) continue;
        const before = blame.commits[blame.lineCommit[line]!];
        const after = next.commits[next.lineCommit[line]!];
        if (before && after && before.sha !== after.sha && cosmetic.has(before.sha)) {
          traced.set(line, [...(traced.get(line) ?? []), before.sha]);
        }
      }
      blame = next;
    }
    return { ...blame, traced, cosmetic, head: request.head };
  }

  /**
   * The blame with the lines blamed on cosmetic commits blamed again, ignoring them. Git would walk
   * from HEAD down to each such commit again to reach the same lines (`--ignore-rev` on the first
   * blame); a blame of those lines as they read in the cosmetic commit, started at that commit with it
   * ignored, picks up where the first one stopped and gives them the same answer.
   */
  private async resume(blame: Blame, cosmetic: Map<string, ChangeKind>, few: boolean, blameAgain: (target: BlameTarget) => Promise<Blame>): Promise<Blame> {
    // Lines to blame again, per blamed commit (a commit can be blamed under two paths).
    const pending = new Map<number, number[]>();
    for (let line = 0; line < blame.lineCommit.length; line++) {
      const index = blame.lineCommit[line]!;
      if (index >= 0 && cosmetic.has(blame.commits[index]!.sha)) pending.set(index, [...(pending.get(index) ?? []), line]);
    }
    const resumed = await Promise.all(
      [...pending].map(async ([index, lines]) => {
        const commit = blame.commits[index]!;
        const ranges = rangesOf(lines.map((line) => blame.originalLine[line]! - 1));
        const again = await blameAgain({ path: commit.filename, revision: commit.sha, ranges, textObject: `${commit.sha}:${commit.filename}`, few });
        return { lines, again };
      }),
    );
    // Every line's commit, old or found again, then the commits numbered afresh: only those still blamed.
    const lineCommits: (BlameCommit | undefined)[] = Array.from(blame.lineCommit, (index) => blame.commits[index]);
    const originalLine = Int32Array.from(blame.originalLine);
    for (const { lines, again } of resumed) {
      for (const line of lines) {
        const at = blame.originalLine[line]! - 1;
        const found = again.lineCommit[at] ?? -1;
        if (found < 0) continue; // not blamed again (cannot happen for lines inside -L): the cosmetic commit keeps them
        lineCommits[line] = again.commits[found];
        originalLine[line] = again.originalLine[at]!;
      }
    }
    const commits: BlameCommit[] = [];
    const byKey = new Map<string, number>();
    const lineCommit = Int32Array.from(lineCommits, (commit) => {
      if (!commit) return -1;
      const key = `${commit.sha}\0${commit.filename}`;
      let index = byKey.get(key);
      if (index === undefined) {
        index = commits.push(commit) - 1;
        byKey.set(key, index);
      }
      return index;
    });
    return { commits, lineCommit, originalLine };
  }

  /**
   * `git blame -w -M -C`, as cheaply as it can be had: blame with `-w -M` first, then run git's copy
   * search only when some blamed lines could have been copied from another file the commit changed
   * (CopyCheck); otherwise its answer would be the same.
   */
  private async blameOnce(target: BlameTarget, ignored: readonly string[], config: readonly string[], signal: AbortSignal): Promise<Blame> {
    // Lines not committed yet always leave the check unsure: when the edit reaches the lines asked
    // about, let git search for copies in one run rather than two.
    if (target.contents !== undefined && (await this.editReaches(target))) {
      this.copySearches.run++;
      return this.run(target, ignored, config, signal, COPY_FLAGS);
    }
    // Blame first: a large file's text is decoded while git works, not before it starts.
    const blaming = this.run(target, ignored, config, signal, MOVE_FLAGS);
    const known = target.contents ?? target.text;
    const text = known !== undefined ? Promise.resolve(textOf(known)) : this.repo.objects.readText(target.textObject);
    text.catch(() => undefined);
    const blame = await blaming;
    const finalText = await text.catch(() => undefined);
    const start = target.ranges?.[0]?.start ?? 0;
    const end = target.ranges?.[target.ranges.length - 1]?.end ?? blame.lineCommit.length - 1;
    if (finalText !== undefined && !(await this.copies.couldMoveLines(blame, finalText, start, end))) {
      this.copySearches.skipped++;
      return blame;
    }
    if (signal.aborted) throw new CancelledError();
    this.copySearches.run++;
    return this.run(target, ignored, config, signal, COPY_FLAGS);
  }

  /** Whether unsaved text differs from the committed file within the lines asked about (or anywhere, for a whole file). */
  private async editReaches(target: BlameTarget): Promise<boolean> {
    const committed = target.text !== undefined ? await textOf(target.text) : await this.repo.objects.readText(target.textObject).catch(() => undefined);
    if (committed === undefined || target.contents === undefined) return true;
    const map = mapToCommittedLines(committed, target.contents);
    for (const { start, end } of target.ranges ?? [{ start: 0, end: map.length - 1 }]) {
      for (let line = start; line <= Math.min(end, map.length - 1); line++) if (map[line]! < 0) return true;
    }
    return false;
  }

  private async run(target: BlameTarget, ignored: readonly string[], config: readonly string[], signal: AbortSignal, flags: readonly string[], background = false): Promise<Blame> {
    // --incremental names each commit as soon as its lines are final: the checks that follow blame
    // (copies, cosmetic commits) read what they need meanwhile, and mostly find it ready.
    // --no-ignore-revs-file drops the files config names (a missing one would make git refuse); the
    // commits they list that exist here are passed one by one below.
    const args = () => {
      target.onStart?.();
      const args = ['blame', '--incremental', ...flags, '--no-textconv', '--no-ignore-revs-file'];
      for (const range of target.ranges ?? []) args.push('-L', `${range.start + 1},${range.end + 1}`);
      for (const sha of ignored) args.push('--ignore-rev', sha);
      if (target.contents !== undefined) args.push('--contents', '-', '--', target.path);
      else args.push(target.revision, '--', target.path);
      return args;
    };
    let named = 0;
    const checkFollows = flags === MOVE_FLAGS;
    // For a range (a few commits, all of them checked next and shown in the answer) each commit and
    // whether it is cosmetic are read ahead; not for a whole file: there the check takes the
    // most-blamed commits, which are known only at the end, and an answer shows a handful.
    const few = target.few;
    // The other files a blamed commit changed are read ahead for the copy check only when these lines could score as a copy.
    // A large file's text, not decoded yet, counts as unknown: the files are read ahead anyway.
    const known = target.contents ?? (typeof target.text === 'string' ? target.text : undefined);
    const readFiles = few && (known === undefined || rangesCouldScore(known, target.ranges ?? []));
    // Parsed as it arrives (a whole file's output parsed at the end held the event loop ~20 ms), and
    // for a range or a check to follow, each commit read ahead as soon as it is named; nothing to
    // read ahead for a whole file blamed with -C.
    const parser = new BlameParser(
      checkFollows || few ? (entry) => this.prefetch(entry, checkFollows, few && named++ < MAX_COSMETIC_CHECKS, readFiles) : undefined,
    );
    const outcome = await this.repo.git.runWhenStarted(args, {
      signal,
      ticket: target.onStart && target.ticket,
      input: target.contents,
      config,
      background,
      onOutput: (chunk) => parser.feed(chunk),
      streamOnly: true,
    });
    if (outcome.kind === 'cancelled' || outcome.kind === 'timeout') throw new CancelledError();
    if (outcome.kind === 'failed' && lacksObjects(outcome.stderr)) throw new ObjectsMissingError(`git blame ${target.path}`);
    if (outcome.kind === 'failed') throw new Error(`git blame ${target.path} at ${target.revision.slice(0, 12)} failed: ${outcome.stderr.split('\n')[0]}`);
    return parser.finish();
  }

  private prefetch(entry: BlamedEntry, copies: boolean, answered: boolean, readFiles: boolean): void {
    if (isUncommitted(entry.sha)) return;
    if (answered) void this.repo.commit(entry.sha).catch(() => undefined);
    if (entry.boundary) return;
    if (copies) this.copies.prefetch(entry.sha, entry.previous, answered && readFiles);
    if (answered && entry.previous) void this.kindOf(entry.sha, entry.filename, entry.previous).catch(() => undefined);
  }

  /**
   * The commits the ignore files name that exist in this repository (a missing one would make git
   * refuse to blame). Looked up once per (ignore files, HEAD): a name missing now may arrive with the
   * next fetch, which moves HEAD.
   */
  private ignoreRevs(ignore: IgnoreFiles, head: string): Promise<string[]> {
    if (ignore.names.length === 0) return Promise.resolve([]);
    const key = `${ignore.fingerprint}\0${head}`;
    let revs = this.ignoredRevs.get(key);
    if (!revs) {
      revs = Promise.all(
        ignore.names.map(async (name) => {
          const object = await this.repo.objects.read(name);
          return object.kind === 'found' && object.type === 'commit' ? object.oid : undefined;
        }),
      ).then((resolved) => resolved.filter((sha): sha is string => sha !== undefined));
      revs.catch(() => this.ignoredRevs.delete(key));
      if (this.ignoredRevs.size >= 16) this.ignoredRevs.delete(this.ignoredRevs.keys().next().value!);
      this.ignoredRevs.set(key, revs);
    }
    return revs;
  }

  /**
   * `blame --contents` reads the text through the file's clean filter, which a repository's config can
   * point at any program. Switch off every filter driver the file's attributes name.
   */
  private async contentsConfig(request: BlameRequest, signal: AbortSignal): Promise<string[]> {
    if (request.contents === undefined) return [];
    const attrs = await this.repo.git.output(['check-attr', '-z', 'filter', '--', request.path], { signal });
    const fields = attrs.split('\0');
    const config: string[] = [];
    for (let i = 0; i + 2 < fields.length; i += 3) {
      const driver = fields[i + 2]!;
      if (driver && driver !== 'unspecified' && driver !== 'unset' && driver !== 'set') {
        for (const key of ['clean', 'smudge', 'process']) config.push(`filter.${driver}.${key}=`);
        config.push(`filter.${driver}.required=false`);
      }
    }
    return config;
  }

  /** Which of the commits blamed now are cosmetic for this file (the most-blamed first, bounded). */
  private async findCosmetic(blame: Blame, known: Map<string, ChangeKind>, wholeFile: boolean, signal: AbortSignal): Promise<Map<string, ChangeKind>> {
    const lines = new Map<number, number>();
    for (const index of blame.lineCommit) if (index >= 0) lines.set(index, (lines.get(index) ?? 0) + 1);
    const candidates = [...lines.entries()]
      .map(([index, count]) => ({ commit: blame.commits[index]!, count }))
      .filter(({ commit }) => !isUncommitted(commit.sha) && !commit.boundary && commit.previous && !known.has(commit.sha))
      .sort((a, b) => b.count - a.count)
      .slice(0, MAX_COSMETIC_CHECKS);
    const found = new Map<string, ChangeKind>();
    await Promise.all(
      candidates.map(async ({ commit }) => {
        if (signal.aborted) return;
        const kind = await this.kindOf(commit.sha, commit.filename, commit.previous!, wholeFile);
        if (kind !== 'substantive') found.set(commit.sha, kind);
      }),
    );
    if (signal.aborted) throw new CancelledError();
    return found;
  }

  /** A whole file's many commits are classified a few at a time; a range's handful (a hover waits) at once. */
  private kindOf(sha: string, filename: string, previous: { sha: string; filename: string }, wholeFile = false): Promise<ChangeKind> {
    const key = `${sha}:${filename}`;
    let kind = this.kinds.get(key);
    if (!kind) {
      const classify = async (): Promise<ChangeKind> => {
        const [before, after] = await Promise.all([
          this.repo.objects.read(`${previous.sha}:${previous.filename}`),
          this.repo.objects.read(`${sha}:${filename}`),
        ]);
        if (after.kind !== 'found') return 'substantive' as const;
        const kind = await classifyChange(before.kind === 'found' ? before.content : undefined, after.content, previous.filename !== filename);
        return kind === 'whitespace' && previous.filename !== filename ? ('rename' as const) : kind;
      };
      kind = wholeFile ? this.classifying.run(classify) : classify();
      kind.catch(() => this.kinds.delete(key));
      if (this.kinds.size > 10_000) this.kinds.clear();
      this.kinds.set(key, kind);
    }
    return kind;
  }
}

/** Which file a warm is for: path, blob, HEAD and unsaved text. */
function warmKey(request: BlameRequest): string {
  return `${request.path}\0${request.blob}\0${request.head}\0${request.contents ?? ''}`;
}

/** No more lines join the batch: its ranges sorted and merged, as the copy check reads them (first to last). */
function closeBatch(batch: LineBatch): void {
  batch.open = false;
  const merged = rangesOf(batch.ranges.flatMap(({ start, end }) => Array.from({ length: end - start + 1 }, (_, i) => start + i)));
  batch.ranges.splice(0, batch.ranges.length, ...merged);
}

/** Whether the ranges hold every line of `lines`. */
function covers(ranges: readonly { start: number; end: number }[], lines: { start: number; end: number }): boolean {
  for (let line = lines.start; line <= lines.end; line++) if (!ranges.some((range) => range.start <= line && line <= range.end)) return false;
  return true;
}

/** Sorted 0-based line numbers as the fewest inclusive ranges. */
function rangesOf(lines: number[]): { start: number; end: number }[] {
  const sorted = [...new Set(lines)].sort((a, b) => a - b);
  const ranges: { start: number; end: number }[] = [];
  for (const line of sorted) {
    const last = ranges[ranges.length - 1];
    if (last && line === last.end + 1) last.end = line;
    else ranges.push({ start: line, end: line });
  }
  return ranges;
}
