import { CodeWriter } from './content';
import { MessageWriter } from './messages';
import { Random } from './random';
import type { FileState } from './source-file';
import { blobCommand, commitCommand, type Change, type CommitCommand } from './stream';
import { WorkTree } from './tree';
import { AUTHORS, GITHUB } from './vocabulary';

const START_TIME = Date.UTC(2015, 0, 1, 9, 0, 0) / 1000;
const PROGRESS_EVERY = 500;

/**
 * Decides the shape of the history, commit by commit, and writes it as a fast-import stream: mostly
 * squash commits on `main`, some pull requests merged with two parents, "wip" commits, the odd
 * "Run prettier" and rename. Every random choice comes from one seeded `Random`, in a fixed order.
 */
export class History {
  private readonly random: Random;
  private readonly code: CodeWriter;
  private readonly tree: WorkTree;
  private readonly messages: MessageWriter;
  private mark = 0;
  private mainTip = 0;
  private time = START_TIME;
  private emitted = 0;
  private nextProgress = PROGRESS_EVERY;
  private reported = 0;

  constructor(
    seed: number,
    private readonly total: number,
    private readonly fileCount: number,
    private readonly write: (chunk: string) => Promise<void>,
    private readonly onProgress?: (done: number, total: number) => void,
  ) {
    this.random = new Random(seed);
    this.code = new CodeWriter(this.random);
    this.tree = new WorkTree(this.random, this.code);
    this.messages = new MessageWriter(this.random, this.code);
  }

  get fileStates(): readonly FileState[] {
    return this.tree.all;
  }

  async run(): Promise<void> {
    await this.initialCommit();
    while (this.emitted < this.total) {
      const remaining = this.total - this.emitted;
      const roll = this.random.next();
      if (roll < 0.006) await this.renameCommit();
      else if (roll < 0.01) await this.prettierCommit();
      else if (roll < 0.09 && remaining >= 3) await this.pullRequest(remaining);
      else if (roll < 0.19) await this.plainCommit('uninformative', new Set());
      else await this.plainCommit('squash', new Set());
    }
    await this.write('done\n');
    if (this.reported !== this.emitted) this.onProgress?.(this.emitted, this.total);
  }

  private tick(): number {
    this.time += this.random.int(3600, 6 * 3600);
    return this.time;
  }

  private async emitCommit(options: Omit<CommitCommand, 'mark' | 'time'>): Promise<number> {
    const mark = ++this.mark;
    const time = this.tick();
    await this.write(commitCommand({ ...options, mark, time }));
    if (options.ref === 'refs/heads/main') this.mainTip = mark;
    this.emitted++;
    if (this.emitted >= this.nextProgress) {
      this.nextProgress += PROGRESS_EVERY;
      this.reported = this.emitted;
      this.onProgress?.(this.emitted, this.total);
    }
    return mark;
  }

  private async initialCommit(): Promise<void> {
    this.tree.create(this.fileCount);
    await this.emitCommit({
      ref: 'refs/heads/main',
      author: AUTHORS[0]!,
      message: 'Initial commit',
      changes: this.tree.all.map((file) => ({ op: 'modify', file })),
    });
  }

  /** A squash-merged change `Subject (#123)` or a direct "wip"-style commit, on main. */
  private async plainCommit(kind: 'squash' | 'uninformative', exclude: ReadonlySet<FileState>): Promise<void> {
    const r = this.random;
    const files = this.tree.pick(kind === 'uninformative' ? r.int(1, 2) : this.tree.countForCommit(), exclude);
    const written: string[] = [];
    for (const file of files) written.push(...this.tree.edit(file));
    let message: string;
    if (kind === 'uninformative') {
      message = this.messages.uninformative();
    } else {
      const ctx = this.messages.context(files, written);
      message = `${this.messages.title(ctx)} (#${this.messages.nextPr()})`;
      if (r.chance(0.3)) message += `\n\n${this.messages.body(ctx)}`;
    }
    await this.emitCommit({
      ref: 'refs/heads/main',
      author: this.messages.author(),
      message,
      changes: files.map((file) => ({ op: 'modify', file })),
    });
  }

  /** A short side branch (1–3 commits), perhaps some unrelated commits on main meanwhile, then a two-parent merge. */
  private async pullRequest(remaining: number): Promise<void> {
    const r = this.random;
    const sideCount = Math.min(r.int(1, 3), remaining - 1);
    const mainCount = Math.min(r.chance(0.4) ? r.int(1, 2) : 0, remaining - 1 - sideCount);
    const author = this.messages.author();
    const base = this.mainTip;
    const sideFiles = new Set(this.tree.pick(this.tree.countForCommit(), new Set()));
    const changed = new Map<FileState, number>();
    const number = this.messages.nextPr();
    let title = '';
    let sideTip = 0;
    // Interleave: main commits land on random positions between the side commits.
    const order: ('side' | 'main')[] = [...Array<'side'>(sideCount).fill('side'), ...Array<'main'>(mainCount).fill('main')];
    r.shuffle(order);
    if (order[0] === 'main') {
      // the side branch must start first so that it forks from `base`
      const firstSide = order.indexOf('side');
      order[firstSide] = 'main';
      order[0] = 'side';
    }
    let sideDone = 0;
    for (const step of order) {
      if (step === 'main') {
        await this.plainCommit(r.chance(0.85) ? 'squash' : 'uninformative', sideFiles);
        continue;
      }
      const touched = sideDone === 0 ? [...sideFiles] : this.tree.pickFromSet(sideFiles);
      const written: string[] = [];
      let preamble = '';
      const changes: Change[] = [];
      for (const file of touched) {
        written.push(...this.tree.edit(file));
        const mark = ++this.mark;
        preamble += blobCommand(mark, file);
        changed.set(file, mark);
        changes.push({ op: 'blob', file, mark });
      }
      const ctx = this.messages.context(touched, written);
      let message: string;
      if (sideDone === 0) {
        title = this.messages.title(ctx);
        message = r.chance(0.4) ? `${title}\n\n${this.messages.body(ctx)}` : title;
      } else {
        message = this.messages.sideSubject(ctx);
      }
      sideTip = await this.emitCommit({
        ref: 'refs/heads/_side',
        author,
        message,
        from: sideDone === 0 ? base : undefined,
        changes,
        preamble,
      });
      sideDone++;
    }
    await this.emitCommit({
      ref: 'refs/heads/main',
      author: this.messages.author(),
      committer: GITHUB,
      message: this.messages.merge(number, author, title),
      merge: sideTip,
      changes: [...changed].map(([file, mark]) => ({ op: 'blob', file, mark })),
    });
  }

  /** "Run prettier": re-indents 1–4 files between 2 and 4 spaces (and sometimes swaps quote style). */
  private async prettierCommit(): Promise<void> {
    const r = this.random;
    const files = this.tree.pick(r.int(1, 4), new Set()).filter((file) => file.kind === 'ts');
    if (files.length === 0) return this.plainCommit('squash', new Set());
    const swapQuotes = r.chance(0.3);
    for (const file of files) this.tree.reformat(file, swapQuotes);
    const message = this.messages.prettier(files);
    await this.emitCommit({
      ref: 'refs/heads/main',
      author: this.messages.author(),
      message,
      changes: files.map((file) => ({ op: 'modify', file })),
    });
  }

  /** Moves a file to another folder or name; usually a pure rename, sometimes with a small edit. */
  private async renameCommit(): Promise<void> {
    const r = this.random;
    const files = this.tree.all;
    const file = files[r.int(1, files.length - 1)];
    if (!file || file.kind !== 'ts') return this.plainCommit('squash', new Set());
    const { from, to } = this.tree.move(file);
    const changes: Change[] = [{ op: 'rename', from, to }];
    const withEdit = r.chance(0.3);
    if (withEdit) {
      this.tree.edit(file);
      changes.push({ op: 'modify', file });
    }
    const subject = this.messages.move(from, to);
    await this.emitCommit({
      ref: 'refs/heads/main',
      // the author is drawn before the pull-request number, as the seeded history expects
      author: this.messages.author(),
      message: `${subject} (#${this.messages.nextPr()})`,
      changes,
    });
  }
}
