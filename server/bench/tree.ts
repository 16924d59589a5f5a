import * as path from 'node:path';
import type { CodeWriter } from './content';
import { WeightedPicker, type Random } from './random';
import type { FileState } from './source-file';
import { AREAS, NOUNS, SUBDIRS, pascal } from './vocabulary';

/**
 * The tracked files and how commits change them: which files a commit touches (Zipf-skewed, so a few
 * hot files collect most of the churn), hunk edits, re-indentations and moves.
 */
export class WorkTree {
  private readonly files: FileState[] = [];
  private readonly paths = new Set<string>();
  private filePicker!: WeightedPicker;

  constructor(
    private readonly random: Random,
    private readonly code: CodeWriter,
  ) {}

  /** Every tracked file; README.md first. */
  get all(): readonly FileState[] {
    return this.files;
  }

  private uniquePath(make: () => string): string {
    for (let attempt = 0; attempt < 50; attempt++) {
      const candidate = make();
      if (!this.paths.has(candidate)) return candidate;
    }
    const base = make().replace(/\.ts$/, '');
    for (let n = 2; ; n++) if (!this.paths.has(`${base}${n}.ts`)) return `${base}${n}.ts`;
  }

  private sourcePath(area: string): string {
    const r = this.random;
    const name = r.chance(0.5) ? r.pick(NOUNS) : `${r.pick(NOUNS)}${pascal(r.pick(NOUNS))}`;
    const roll = r.next();
    if (roll < 0.65) return `src/${area}/${name}.ts`;
    if (roll < 0.8) return `src/${area}/${r.pick(SUBDIRS)}/${name}.ts`;
    if (roll < 0.92) return `lib/${name}.ts`;
    return `lib/${r.pick(SUBDIRS)}/${name}.ts`;
  }

  /** Creates README.md and `fileCount - 1` sources with their initial content. */
  create(fileCount: number): void {
    const r = this.random;
    const readme: FileState = { path: 'README.md', kind: 'md', lines: [], indent: 2, quote: "'", area: 'docs', functions: [], growth: 0.3 };
    this.paths.add(readme.path);
    const sources: FileState[] = [];
    for (let i = 1; i < fileCount; i++) {
      const area = r.pick(AREAS);
      const file: FileState = {
        path: this.uniquePath(() => this.sourcePath(area)),
        kind: 'ts',
        lines: [],
        indent: 2,
        quote: "'",
        area,
        functions: [],
        growth: r.int(22, 30) / 100,
      };
      this.paths.add(file.path);
      sources.push(file);
    }
    for (const file of sources) file.lines = this.code.initialSource(file, r.int(20, 200), sources);
    readme.lines = ['# ail-bench-fixture', '', 'A synthetic project used to benchmark history queries.', '', ...this.code.markdown(r.int(20, 60))];
    this.files.push(readme, ...sources);
    // Zipf-like popularity (1/(rank+4): a flattened head, so a handful of files collect hundreds of
    // commits each), assigned to files in shuffled order; the README stays lukewarm. The two hottest
    // files are where everything gets added and grow to thousands of lines.
    const ranks = r.shuffle(sources.map((_, i) => i + 1));
    sources.forEach((file, i) => {
      if (ranks[i] === 1) file.growth = 0.44;
      else if (ranks[i] === 2) file.growth = 0.38;
    });
    const weights = [0.05, ...ranks.map((rank) => 1 / (rank + 4))];
    this.filePicker = new WeightedPicker(weights);
  }

  /** Up to `count` distinct files by popularity, none from `exclude` (at least one if any is left). */
  pick(count: number, exclude: ReadonlySet<FileState>): FileState[] {
    const chosen: FileState[] = [];
    for (let attempt = 0; chosen.length < count && attempt < count * 20; attempt++) {
      const file = this.files[this.filePicker.pick(this.random)]!;
      if (!exclude.has(file) && !chosen.includes(file)) chosen.push(file);
    }
    if (chosen.length === 0) {
      const fallback = this.files.find((file) => !exclude.has(file));
      if (fallback) chosen.push(fallback);
    }
    return chosen;
  }

  /** A random non-empty subset of `files`. */
  pickFromSet(files: ReadonlySet<FileState>): FileState[] {
    const list = [...files];
    const count = this.random.int(1, list.length);
    return this.random.shuffle(list).slice(0, count);
  }

  /** How many files a change touches: usually one or two. */
  countForCommit(): number {
    const roll = this.random.next();
    if (roll < 0.58) return 1;
    if (roll < 0.84) return 2;
    if (roll < 0.95) return 3;
    return this.random.int(4, 6);
  }

  /** Edits 1–3 contiguous hunks of `file`; returns the lines that were written, for the commit message. */
  edit(file: FileState): string[] {
    const r = this.random;
    const hunks = r.chance(0.55) ? 1 : r.chance(0.65) ? 2 : 3;
    const positions: number[] = [];
    const first = Math.min(file.kind === 'md' ? 4 : 1, file.lines.length); // keep the header line (or title) on top
    for (let i = 0; i < hunks; i++) positions.push(r.int(first, file.lines.length));
    positions.sort((a, b) => b - a); // bottom-up, so earlier positions stay valid
    const written: string[] = [];
    for (const position of positions) {
      const at = Math.min(position, file.lines.length);
      const level = this.levelAt(file, at);
      const roll = r.next();
      if (roll < 0.2 && at < file.lines.length && file.lines[at]!.trim() !== '') {
        const line = file.lines[at]!;
        const changed = this.code.tweak(line);
        file.lines[at] = changed;
        written.push(changed);
      } else if (roll < 0.5 && at < file.lines.length) {
        const removed = Math.min(r.small(15), file.lines.length - at);
        const added = this.code.block(Math.max(1, removed + r.int(-2, 3)), level, file);
        file.lines.splice(at, removed, ...added);
        written.push(...added);
      } else if (roll < 0.5 + file.growth || file.lines.length < 30) {
        const added = this.code.block(r.small(15), level, file);
        file.lines.splice(at, 0, ...added);
        written.push(...added);
      } else {
        const removed = Math.min(r.small(12), file.lines.length - at, file.lines.length - 10);
        if (removed > 0) file.lines.splice(at, removed);
      }
    }
    return written;
  }

  /** "Run prettier" on `file`: flips its indentation between 2 and 4 spaces, and maybe its quote style. */
  reformat(file: FileState, swapQuotes: boolean): void {
    const from = file.indent;
    const to = from === 2 ? 4 : 2;
    const quoteFrom = file.quote;
    const quoteTo = quoteFrom === "'" ? '"' : "'";
    file.lines = file.lines.map((line) => {
      const spaces = line.length - line.trimStart().length;
      let out = spaces === 0 ? line : ' '.repeat(Math.round((spaces / from) * to)) + line.slice(spaces);
      if (swapQuotes && !out.includes(quoteTo)) out = out.split(quoteFrom).join(quoteTo);
      return out;
    });
    file.indent = to;
    if (swapQuotes) file.quote = quoteTo;
  }

  /** Moves `file` to another folder or name (and maybe another area); returns the old and new paths. */
  move(file: FileState): { from: string; to: string } {
    const r = this.random;
    const oldPath = file.path;
    const area = r.chance(0.5) ? r.pick(AREAS) : file.area;
    const newPath = this.uniquePath(() => {
      const base = path.posix.basename(oldPath);
      const dir = r.chance(0.5) ? `src/${area}` : r.chance(0.5) ? `src/${area}/${r.pick(SUBDIRS)}` : path.posix.dirname(oldPath);
      const name = dir === path.posix.dirname(oldPath) ? `${r.pick(NOUNS)}${pascal(r.pick(NOUNS))}.ts` : base;
      return `${dir}/${name}`;
    });
    this.paths.delete(oldPath);
    this.paths.add(newPath);
    file.path = newPath;
    file.area = area;
    return { from: oldPath, to: newPath };
  }

  private levelAt(file: FileState, at: number): number {
    for (let i = Math.min(at, file.lines.length - 1); i >= 0; i--) {
      const line = file.lines[i]!;
      if (line.trim() === '') continue;
      const spaces = line.length - line.trimStart().length;
      const level = Math.floor(spaces / file.indent);
      return line.trimEnd().endsWith('{') ? level + 1 : level;
    }
    return 0;
  }
}
