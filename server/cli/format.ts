import type { ArchaeologyContext } from '../../shared/types';
import { visibleStrings } from '../../shared/visible';
import { bandOf } from '../../shared/format';

export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
  green(text: string): string;
  red(text: string): string;
}

const plain: Style = { bold: (t) => t, dim: (t) => t, yellow: (t) => t, cyan: (t) => t, green: (t) => t, red: (t) => t };

export function styleFor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): Style {
  const colour = stream.isTTY && !env.NO_COLOR && env.TERM !== 'dumb';
  if (!colour) return plain;
  const wrap = (open: number, close: number) => (text: string) => `\x1b[${open}m${text}\x1b[${close}m`;
  return { bold: wrap(1, 22), dim: wrap(2, 22), yellow: wrap(33, 39), cyan: wrap(36, 39), green: wrap(32, 39), red: wrap(31, 39) };
}

/**
 * The answer as a person reads it in a terminal. Every string in it came from the repository or the
 * user (the question, the file, subjects, authors, references): their control characters are made
 * visible before anything is laid out, so no commit can send the terminal an escape sequence or forge
 * a line of this output. The only escapes written are the style's own colours.
 */
export function formatContext(answer: ArchaeologyContext, style: Style): string {
  const context = visibleStrings(answer);
  const out: string[] = [];
  const where = context.range
    ? context.range.end.line - 1 === context.range.start.line
      ? `${context.file}:${context.range.start.line + 1}`
      : `${context.file}:${context.range.start.line + 1}-${context.range.end.line}`
    : context.file;
  out.push(`${style.bold(where)}  ${style.dim(context.question)}`);
  out.push('');
  out.push(context.summary.replace(/`([0-9a-f]{7,})`/g, (_, sha: string) => style.yellow(sha)));
  out.push('');
  const band = bandOf(context.confidence);
  const paint = band === 'high' ? style.green : band === 'medium' ? style.yellow : style.red;
  out.push(`Confidence: ${paint(`${context.confidence.toFixed(2)} (${band})`)}${context.partial ? style.dim(`  partial: ${partialBecause(context)}`) : ''}`);
  if (context.evidence.length) {
    out.push('');
    out.push(style.bold('Evidence'));
    context.evidence.forEach((item, i) => {
      const c = item.commit;
      const links = [
        item.pullRequest ? style.cyan(`#${item.pullRequest.number}`) : '',
        ...item.issues.map((issue) => `closes ${issue.repository ?? ''}#${issue.number}`),
      ].filter(Boolean);
      out.push(`${String(i + 1).padStart(2)}. ${style.yellow(c.shortSha)}  ${c.date.slice(0, 10)}  ${c.author}  ${c.subject}${links.length ? `  ${links.join(' ')}` : ''}`);
      const why = [
        ...item.reasons.map((reason) => (reason === 'blame' && item.blamedLines ? `blame (${item.blamedLines} line${item.blamedLines === 1 ? '' : 's'})` : reason)),
        item.tracedThrough?.length ? `through ${item.tracedThrough.map((t) => `${t.shortSha} (${t.change})`).join(', ')}` : '',
        item.reshaped ? `only reshaped these lines (${item.reshaped})` : '',
        item.cherryPickOf ? `cherry-pick of ${item.cherryPickOf.shortSha}` : '',
        item.pathInCommit ? `as ${item.pathInCommit}` : '',
      ].filter(Boolean);
      out.push(`    ${style.dim(`${why.join(', ')} · score ${item.score.toFixed(2)}`)}`);
    });
  }
  if (context.authors.length) {
    out.push('');
    out.push(`Authors: ${context.authors.slice(0, 5).map((a) => `${a.name} (${a.lines} line${a.lines === 1 ? '' : 's'})`).join(', ')}`);
  }
  const t = context.timeline;
  const timeline = [
    t.created ? `created ${t.created.shortSha} ${t.created.date.slice(0, 10)}` : '',
    t.lastChanged ? `last changed ${t.lastChanged.shortSha} ${t.lastChanged.date.slice(0, 10)}` : '',
    `${t.commitCount} commit${t.commitCount === 1 ? '' : 's'}`,
  ].filter(Boolean);
  out.push(`Timeline: ${timeline.join(', ')}`);
  if (context.warnings.length) out.push(style.yellow(`Warnings: ${context.warnings.join(', ')}`));
  out.push(style.dim(`${context.source} answer in ${context.queryTimeMs.toFixed(0)} ms at ${context.headSha.slice(0, 7)}`));
  return out.join('\n');
}

/** Why an answer is partial, as its warnings tell. */
function partialBecause(context: ArchaeologyContext): string {
  return context.warnings.includes('partial-clone') ? 'this partial clone lacks the older versions blame needs' : 'the time limit cut the digging short';
}
