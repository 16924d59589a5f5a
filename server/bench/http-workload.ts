import { Random, Zipf } from './random';

/**
 * What `ail bench --http` asks: a seeded, reproducible mix of questions about a repository's files, shaped
 * like the questions people ask. A few files take most questions, a few spots in each file take most of
 * that file's, and a few questions most of the words; each drawn with Zipf's law (s ≈ 1.1). The same
 * files, options and seed always yield the same sequence of requests.
 */

/** A text file of the repository at the served HEAD, and how many lines it has. */
export interface WorkloadFile {
  path: string;
  lines: number;
}

/** The body of `POST /v1/context`: lines 1-based, both inclusive; no range asks about the whole file. */
export interface ContextBody {
  path: string;
  range?: { start: number; end: number };
  question: string;
}

/**
 * Question templates, the most asked first, each with its usual wording first and then paraphrases of it.
 * A paraphrase may be served by the semantic (L2) cache from an answer to another wording of the same
 * question about nearly the same lines; not every paraphrase is close enough for every embedder, as with
 * the questions people type. The templates are far enough apart that no two share an answer.
 */
export const QUESTIONS: readonly (readonly string[])[] = [
  ['why is this code like this?', 'why is the code like this?', 'why does this code look like this?', 'what is the reason this code is like this?', 'why is this code written like this?', 'why is this code this way?'],
  ['why was this changed?', 'why was this code changed?', 'what was the reason this was changed?', 'why did this get changed?', 'why did someone change this?'],
  ['who wrote this and why?', 'who wrote this code and why?', 'who wrote this, and why?', 'who is the author of this and why did they write it?'],
  ['what bug does this fix?', 'what bug does this code fix?', 'which bug does this fix?', 'what bug was fixed here?', 'what bug is this fixing?'],
  ['why does this code exist?', 'why does this exist?', 'what is this code for?', 'why does this code exist at all?'],
  ['what problem does this solve?', 'what problem does this code solve?', 'which problem does this solve?', 'what problem is this solving?'],
  ['why is this check here?', 'why is this check needed?', 'why do we need this check?', 'why is this check here at all?'],
  ['when was this added and why?', 'when was this code added and why?', 'when and why was this added?'],
  ['what changed here recently?', 'what changed in this code recently?', 'what has changed here recently?', 'what changed here lately?'],
  ['is this still needed?', 'is this code still needed?', 'do we still need this?', 'is this still necessary?'],
];

export interface WorkloadOptions {
  seed: number;
  /** Zipf exponent of files, spots and questions (default 1.1). */
  s?: number;
  /** Spots asked about in each file (default 8). */
  spots?: number;
  /** Share of questions about a whole file (default 0.03). */
  wholeFile?: number;
  /** Share of questions whose spot is selected a line longer or shorter (default 0.1): nearly the same lines. */
  nudge?: number;
}

/** A spot of at least this many lines can be nudged by one line and keep the overlap L2 asks (4/5). */
const NUDGEABLE_LINES = 5;

/** The requests of a load test, one after another: `next()` is deterministic for the files, options and seed. */
export class HttpWorkload {
  private readonly random: Random;
  private readonly files: readonly WorkloadFile[];
  private readonly fileRank: Zipf;
  private readonly spotRank: Zipf;
  private readonly questionRank: Zipf;
  private readonly wordings: Zipf[];
  private readonly spots = new Map<number, { start: number; end: number }[]>();
  private readonly options: Required<WorkloadOptions>;

  constructor(files: readonly WorkloadFile[], options: WorkloadOptions) {
    const usable = files.filter((file) => file.lines > 0);
    if (usable.length === 0) throw new Error('a workload needs at least one text file with lines');
    this.options = { s: 1.1, spots: 8, wholeFile: 0.03, nudge: 0.1, ...options };
    this.random = new Random(this.options.seed);
    // Which files are hot is the seed's choice, not the order git listed them in.
    const sorted = [...usable].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    this.files = new Random(this.options.seed ^ 0x5eed).shuffle(sorted);
    const s = this.options.s;
    this.fileRank = new Zipf(this.files.length, s);
    this.spotRank = new Zipf(this.options.spots, s);
    this.questionRank = new Zipf(QUESTIONS.length, s);
    this.wordings = QUESTIONS.map((wordings) => new Zipf(wordings.length, s));
  }

  /** The files in the order of how often they are asked about, the hottest first. */
  get ranking(): readonly WorkloadFile[] {
    return this.files;
  }

  next(): ContextBody {
    const rank = this.fileRank.sample(this.random);
    const file = this.files[rank]!;
    const template = this.questionRank.sample(this.random);
    const question = QUESTIONS[template]![this.wordings[template]!.sample(this.random)]!;
    if (this.random.chance(this.options.wholeFile)) return { path: file.path, question };
    const spot = this.spotsOf(rank)[this.spotRank.sample(this.random)]!;
    let { start, end } = spot;
    if (end - start + 1 >= NUDGEABLE_LINES && this.random.chance(this.options.nudge)) {
      end = this.random.chance(0.5) ? end - 1 : Math.min(file.lines, end + 1);
    }
    return { path: file.path, range: { start, end }, question };
  }

  /**
   * The spots of a file: where its lines are asked about, most of them a few lines long. Drawn from a
   * generator of their own, so that a file's spots do not depend on what was asked before.
   */
  private spotsOf(rank: number): { start: number; end: number }[] {
    let spots = this.spots.get(rank);
    if (spots) return spots;
    const { lines } = this.files[rank]!;
    const random = new Random((this.options.seed * 7919 + rank * 104_729) >>> 0);
    spots = Array.from({ length: this.options.spots }, () => {
      const length = random.chance(0.3) ? 1 : random.small(15);
      const start = random.int(1, lines);
      return { start, end: Math.min(lines, start + length - 1) };
    });
    this.spots.set(rank, spots);
    return spots;
  }
}
