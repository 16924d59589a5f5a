import type { ArchaeologyContext, Evidence } from '../../shared/types';
import { bandOf } from '../archaeology/rank';
import { relativeTime } from '../archaeology/summary';
import { commitUrl, issueUrl, pullRequestUrl, type GitHubRepository } from '../git/remote';

/** The hover card: the commit that explains the line, its PR and issues, the why, the confidence. */
export function hoverMarkdown(context: ArchaeologyContext, github: GitHubRepository | undefined, nowMs = Date.now()): string {
  const top = context.evidence[0];
  if (!top) {
    if (context.uncommittedLines) return '**AIL** · not committed yet: this line has no history.';
    return `**AIL** · ${escape(context.summary)}`;
  }
  const c = top.commit;
  const sha = github ? `[\`${c.shortSha}\`](${commitUrl(github, c.sha)})` : `\`${c.shortSha}\``;
  const lines = [`**AIL** · ${sha} · ${escape(c.author)} · ${relativeTime(c.date, nowMs)}`, '', `**${escape(c.subject)}**${links(top, github)}`, '', context.summary];
  const notes = [`confidence ${context.confidence.toFixed(2)} (${bandOf(context.confidence)})`];
  if (context.cosmeticCommitsTraced) notes.push(`traced through ${context.cosmeticCommitsTraced} cosmetic commit${context.cosmeticCommitsTraced === 1 ? '' : 's'}`);
  if (context.source !== 'cold') notes.push(`from ${context.source.toUpperCase()}`);
  if (context.partial) notes.push('partial');
  lines.push('', `_${notes.join(' · ')}_`);
  return lines.join('\n');
}

function links(evidence: Evidence, github: GitHubRepository | undefined): string {
  const parts: string[] = [];
  const pr = evidence.pullRequest;
  if (pr) parts.push(github ? `[#${pr.number}](${pr.url ?? pullRequestUrl(github, pr.number)})` : `#${pr.number}`);
  for (const issue of evidence.issues) {
    const label = `${issue.repository ?? ''}#${issue.number}`;
    parts.push(`closes ${github || issue.repository ? `[${label}](${issue.url ?? issueUrl(github ?? { owner: '', name: '' }, issue.number, issue.repository)})` : label}`);
  }
  return parts.length ? ` · ${parts.join(' · ')}` : '';
}

/** A symbol's lens: "last changed 3 weeks ago by Alice in #123 · 7 commits". */
export function symbolLensTitle(context: ArchaeologyContext, nowMs = Date.now()): string {
  const last = context.timeline.lastChanged;
  if (!last) return context.uncommittedLines ? 'AIL: not committed yet' : 'AIL: no history';
  const pr = context.evidence.find((e) => e.commit.sha === last.sha)?.pullRequest;
  const count = context.timeline.commitCount;
  return `last changed ${relativeTime(last.date, nowMs)} by ${last.author}${pr ? ` in #${pr.number}` : ''} · ${count} commit${count === 1 ? '' : 's'}`;
}

/** The file's lens: "12 commits · 3 authors · last change 2 days ago by Bob". */
export function fileLensTitle(context: ArchaeologyContext, nowMs = Date.now()): string {
  const last = context.timeline.lastChanged;
  const count = context.timeline.commitCount;
  const authors = context.authors.length;
  return `${count} commit${count === 1 ? '' : 's'} · ${authors} author${authors === 1 ? '' : 's'}${last ? ` · last change ${relativeTime(last.date, nowMs)} by ${last.author}` : ''}`;
}

function escape(text: string): string {
  return text.replace(/([\\`*_{}[\]<>#|])/g, '\\$1');
}
