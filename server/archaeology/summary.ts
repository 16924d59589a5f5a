import type { Evidence, TracedChange, TracedCommit } from '../../shared/types';
import { bandOf, relativeTime } from '../../shared/format';
import { firstSentence, isGenericMessage } from './text';

export interface SummaryInput {
  evidence: Evidence[];
  confidence: number;
  /** 0-based inclusive lines asked about, undefined for the whole file. */
  lines?: { start: number; end: number };
  file: string;
  cosmeticTraced: number;
  uncommittedLines: number;
  rangeLines: number;
  lastChanged?: { shortSha: string; subject: string; date: string };
  nowMs: number;
  /** Blame could not run: a partial clone lacks the file's older versions. The command that fills it in. */
  missingObjects?: { fillIn: string };
}

/** An extractive answer: 1-3 sentences made of what the history says, citing short SHAs and #PRs. Nothing is invented. */
export function summarize(input: SummaryInput): string {
  const where = input.lines
    ? input.lines.start === input.lines.end
      ? `Line ${input.lines.start + 1}`
      : `Lines ${input.lines.start + 1}–${input.lines.end + 1}`
    : `\`${input.file}\``;
  const top = input.evidence[0];
  if (input.missingObjects) {
    const listed = top ? ' The commits that changed the file are listed instead.' : '';
    return (
      `${where} cannot be blamed here: this partial clone does not have the older versions of \`${input.file}\`, and AIL does not download them.` +
      `${listed} Run \`${input.missingObjects.fillIn}\` to fill in the clone, then ask again.`
    );
  }
  if (!top) {
    if (input.uncommittedLines > 0 && input.uncommittedLines >= input.rangeLines) {
      return `${where} ${input.rangeLines === 1 ? 'is' : 'are'} not committed yet, so git has no history for ${input.rangeLines === 1 ? 'it' : 'them'}.`;
    }
    return `No commit could be found that explains ${where.toLowerCase().startsWith('line') ? where.toLowerCase() : where}.`;
  }
  const c = top.commit;
  const pr = top.pullRequest ? ` (#${top.pullRequest.number})` : '';
  const subject = top.pullRequest && c.subject.endsWith(`(#${top.pullRequest.number})`) ? c.subject.replace(/\s*\(#\d+\)$/, '') : c.subject;
  const plural = input.lines !== undefined && input.lines.start !== input.lines.end;
  const blamed = top.reasons.includes('blame');
  // A whole file "comes mostly from" its top commit only when that commit holds the most of its lines;
  // otherwise the commit that does is named after the one that explains it.
  const most = !input.lines ? input.evidence.reduce<Evidence | undefined>((best, e) => ((e.blamedLines ?? 0) > (best?.blamedLines ?? 0) ? e : best), undefined) : undefined;
  const mostlyTop = !most || most === top || (most.blamedLines ?? 0) <= (top.blamedLines ?? 0);
  const verb = !input.lines ? (blamed && mostlyTop ? 'comes mostly from' : 'is best explained by') : blamed ? (plural ? 'come from' : 'comes from') : plural ? 'are best explained by' : 'is best explained by';
  const sentences: string[] = [];
  let first = `${where} ${verb} \`${c.shortSha}\` “${subject}”${pr} by ${c.author}, ${relativeTime(c.date, input.nowMs)}`;
  const traced = top.tracedThrough ?? [];
  if (traced.length > 0) first += `; ${tracedPhrase(traced, top.pathInCommit)}`;
  else if (input.cosmeticTraced > 0) first += `, traced through ${input.cosmeticTraced} cosmetic commit${input.cosmeticTraced === 1 ? '' : 's'}`;
  sentences.push(`${first}.`);

  // A body that only closes issues ("closes #2411") is said once, as "It closes #2411".
  const bodySentence = firstSentence(c.body);
  const fromCommit = bodySentence && !ONLY_REFERENCES.test(bodySentence) ? bodySentence : undefined;
  // Without a body, the pull request's title may say more than the subject: it is quoted as the PR's.
  const prTitle = !fromCommit && top.pullRequest?.title && top.pullRequest.title !== subject ? top.pullRequest.title : undefined;
  const why = fromCommit ?? prTitle;
  const says = fromCommit ? 'The commit says' : `#${top.pullRequest?.number} is titled`;
  const issues = top.issues.map((issue) => `${issue.repository ?? ''}#${issue.number}`);
  const quote = top.pullRequest?.quote;
  if (quote && top.pullRequest) {
    // The decisive sentence of the pull request's discussion, with who said it: the best "why" there is.
    sentences.push(`${quoteIntro(quote.where, top.pullRequest.number, quote.author)}: “${quote.text}”${issues.length ? ` It closes ${issues.join(', ')}.` : ''}`);
    if (fromCommit && fromCommit !== quote.text) sentences.push(`The commit says: “${fromCommit}”`);
  } else if (bandOf(input.confidence) === 'low' && isGenericMessage(c.subject, c.body) && !top.pullRequest && issues.length === 0) {
    sentences.push(`Its message gives no reason and no pull request or issue is linked, so the history says little about why.`);
  } else if (why) {
    sentences.push(`${says}: “${why}”${issues.length ? ` It closes ${issues.join(', ')}.` : ''}`);
  } else if (issues.length) {
    sentences.push(`It closes ${issues.join(', ')}.`);
  }
  if (!mostlyTop && most) sentences.push(`Most of its lines (${most.blamedLines} of ${input.rangeLines}) come from \`${most.commit.shortSha}\` “${most.commit.subject}”.`);
  // Said when it is news: a later commit, not one the trace already names (nor an older one blame credited by a move).
  const laterChange =
    input.lastChanged && input.lastChanged.shortSha !== c.shortSha && !traced.some((t) => t.shortSha === input.lastChanged!.shortSha) && Date.parse(input.lastChanged.date) >= Date.parse(c.date);
  if (laterChange && input.lastChanged) {
    sentences.push(`Last changed in \`${input.lastChanged.shortSha}\` “${input.lastChanged.subject}”, ${relativeTime(input.lastChanged.date, input.nowMs)}.`);
  } else if (input.uncommittedLines > 0) {
    sentences.push(`${input.uncommittedLines} line${input.uncommittedLines === 1 ? ' is' : 's are'} not committed yet.`);
  }
  return sentences.slice(0, 3).join(' ');
}

function quoteIntro(where: 'description' | 'review-comment' | 'review', pr: number, author: string): string {
  if (where === 'review-comment') return `Reviewing #${pr}, @${author} wrote on these lines`;
  if (where === 'review') return `Reviewing #${pr}, @${author} wrote`;
  return `#${pr} by @${author} says`;
}

const ONLY_REFERENCES = /^(?:(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?|refs?|see)\s+[\w./-]*#\d+[\s,.;]*(?:and\s+)?)+$/i;

const DID: Record<TracedChange, string> = {
  whitespace: 're-indented',
  formatting: 'reformatted',
  'file-rename': 'moved with its file',
  'identifier-rename': 'renamed',
  annotation: 'given type annotations',
  move: 'moved',
  modernisation: 'modernised',
  refactor: 'refactored',
  merge: 'merged',
  uninformative: 'changed',
};

/**
 * What happened to the lines since: "renamed in `2aa9430` and `d2de622`, moved from `cobra.go` in
 * `62fb674`", newest first. `from`: where the lines were when the commit that wrote them did (said of a
 * single move).
 */
function tracedPhrase(traced: readonly TracedCommit[], from: string | undefined): string {
  const groups: { change: TracedChange; shas: string[] }[] = [];
  for (const commit of traced) {
    const last = groups[groups.length - 1];
    if (last?.change === commit.change) last.shas.push(commit.shortSha);
    else groups.push({ change: commit.change, shas: [commit.shortSha] });
  }
  const oneMove = from !== undefined && traced.filter((commit) => commit.change === 'move').length === 1;
  return groups
    .map(({ change, shas }) => `${change === 'move' && oneMove ? `moved from \`${from}\`` : DID[change]} in ${listed(shas.map((sha) => `\`${sha}\``))}`)
    .join(', ');
}

function listed(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
