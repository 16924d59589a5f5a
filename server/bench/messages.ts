import * as path from 'node:path';
import type { CodeWriter, TemplateContext } from './content';
import { WeightedPicker, type Random } from './random';
import type { FileState } from './source-file';
import {
  AUTHORS,
  BODY_SENTENCES,
  FEATURE_SUBJECTS,
  FIX_SUBJECTS,
  SIDE_SUBJECTS,
  UNINFORMATIVE,
  type Signature,
} from './vocabulary';

/**
 * Who writes each commit and what its message says: subjects and bodies that name the functions and
 * files the change touched, pull-request numbers that only ever increase, and a few prolific authors.
 */
export class MessageWriter {
  private readonly authorPicker: WeightedPicker;
  /** The latest pull-request number handed out; `Fixes #n` bodies refer to earlier ones. */
  private pr: number;

  constructor(
    private readonly random: Random,
    private readonly code: CodeWriter,
  ) {
    this.authorPicker = new WeightedPicker(AUTHORS.map((_, i) => 1 / Math.pow(i + 1, 0.8)));
    this.pr = this.random.int(1, 20);
  }

  /** An author, Zipf-skewed: the first few write most commits. */
  author(): Signature {
    return AUTHORS[this.authorPicker.pick(this.random)]!;
  }

  nextPr(): number {
    this.pr += this.random.int(1, 3);
    return this.pr;
  }

  /** What a message about a change to `files` can mention: preferably a function name from the `written` lines. */
  context(files: readonly FileState[], written: readonly string[]): TemplateContext {
    const r = this.random;
    const file = files.length > 0 ? r.pick(files) : undefined;
    const identifiers: string[] = [];
    for (const line of written) {
      const found = line.match(/\b[a-z]+(?:[A-Z][a-z]+)+\b/g);
      if (found) identifiers.push(...found);
    }
    let fn: string | undefined;
    if (identifiers.length > 0) fn = r.pick(identifiers);
    else if (file && file.functions.length > 0) fn = r.pick(file.functions);
    return {
      fn,
      file: file ? path.posix.basename(file.path).replace(/\.(ts|md)$/, '') : undefined,
      area: file?.area,
    };
  }

  /** A feature or fix subject, sometimes in conventional-commit form. */
  title(ctx: TemplateContext): string {
    const r = this.random;
    const fix = r.chance(0.45);
    let subject = this.code.fill(r.pick(fix ? FIX_SUBJECTS : FEATURE_SUBJECTS), ctx);
    if (r.chance(0.15) && ctx.area) subject = `${fix ? 'fix' : 'feat'}(${ctx.area}): ${subject.charAt(0).toLowerCase()}${subject.slice(1)}`;
    return subject;
  }

  /** One to three sentences of explanation, often with `Fixes #n` and now and then a co-author. */
  body(ctx: TemplateContext): string {
    const r = this.random;
    const sentences: string[] = [];
    const count = r.int(1, 3);
    for (let i = 0; i < count; i++) sentences.push(this.code.fill(r.pick(BODY_SENTENCES), ctx));
    let text = sentences.join(' ');
    if (r.chance(0.6)) text += `\n\n${r.pick(['Fixes', 'Fixes', 'Closes', 'Refs'])} #${r.int(1, Math.max(1, this.pr - 1))}`;
    if (r.chance(0.1)) {
      const co = this.author();
      text += `\n\nCo-authored-by: ${co.name} <${co.email}>`;
    }
    return text;
  }

  /** "wip", "fix stuff" and the like. */
  uninformative(): string {
    return this.random.pick(UNINFORMATIVE);
  }

  /** The subject of a follow-up commit on a pull-request branch. */
  sideSubject(ctx: TemplateContext): string {
    return this.code.fill(this.random.pick(SIDE_SUBJECTS), ctx);
  }

  /** The message of a "Run prettier" commit over `files` (at least one). */
  prettier(files: readonly FileState[]): string {
    return this.random.pick([
      'Run prettier',
      'Run prettier',
      `Run prettier on ${files[0]!.path}`,
      `Reformat with prettier (#${this.nextPr()})`,
      'chore: format code',
    ]);
  }

  /** The subject of a commit moving `from` to `to`: "Move x to dir" or "Rename x to y". */
  move(from: string, to: string): string {
    const fromName = path.posix.basename(from, '.ts');
    const toName = path.posix.basename(to, '.ts');
    return fromName === toName ? `Move ${fromName} to ${path.posix.dirname(to)}` : `Rename ${fromName} to ${toName}`;
  }

  /** GitHub's message for merging pull request `number`, whose branch is named after its author and title. */
  merge(number: number, author: Signature, title: string): string {
    const user = author.email.split('@')[0]!.replace(/[^A-Za-z0-9-]/g, '-');
    const slug = title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, ' ')
      .trim()
      .split(' ')
      .slice(0, 4)
      .join('-');
    return `Merge pull request #${number} from ${user}/${slug}\n\n${title}`;
  }
}
