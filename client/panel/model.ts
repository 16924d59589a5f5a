import { bandOf, relativeTime } from '../../shared/format';
import type { ArchaeologyContext, CommitRef, Evidence, EvidenceReason, PullRequestRef } from '../../shared/types';
import { visible, visibleStrings } from '../../shared/visible';
import type { ViewNode } from './view';
import { warningSentence } from './warnings';

/**
 * The Ask Why panel's content for an answer, as data (see view.ts). Every string of the answer passes
 * through `visible()` (control and invisible characters shown as escapes) and is only ever a node's text.
 */
export function answerView(raw: ArchaeologyContext, nowMs = Date.now()): ViewNode[] {
  const answer = visibleStrings(raw);
  const nodes: ViewNode[] = [
    { tag: 'header', children: [{ tag: 'h2', className: 'question', text: answer.question }, { tag: 'p', className: 'meta', text: tierLine(answer) }] },
    { tag: 'p', className: 'summary', children: withCode(answer.summary) },
    confidence(answer.confidence),
  ];
  if (answer.warnings.length > 0) nodes.push({ tag: 'ul', className: 'warnings', children: answer.warnings.map((code) => ({ tag: 'li', text: warningSentence(code) })) });
  nodes.push({ tag: 'div', className: 'actions', children: [button('Ask again fresh', { kind: 'askFresh' }), button('Copy as Markdown', { kind: 'copyMarkdown' })] });
  if (answer.evidence.length > 0) {
    nodes.push({ tag: 'section', className: 'evidence', children: [{ tag: 'h3', text: 'Evidence' }, { tag: 'ul', children: answer.evidence.map((item, i) => evidenceItem(item, answer.github, nowMs, raw.evidence[i]?.pullRequest)) }] });
  }
  if (answer.authors.length > 0) {
    nodes.push({
      tag: 'section',
      className: 'authors',
      children: [
        { tag: 'h3', text: 'Authors' },
        { tag: 'ul', children: answer.authors.map((a) => ({ tag: 'li', text: `${a.name} · ${plural(a.lines, 'line')} · ${plural(a.commits, 'commit')}` })) },
      ],
    });
  }
  nodes.push({ tag: 'section', className: 'timeline', children: [{ tag: 'h3', text: 'Timeline' }, { tag: 'ul', children: timeline(answer, nowMs) }] });
  return nodes;
}

/** While the answer is being dug. */
export function loadingView(question: string): ViewNode[] {
  return [{ tag: 'header', children: [{ tag: 'h2', className: 'question', text: visible(question) }, { tag: 'p', className: 'meta', text: 'Digging through the history…' }] }];
}

/** When the server refused or failed: its sentence. */
export function errorView(question: string, message: string): ViewNode[] {
  return [
    { tag: 'header', children: [{ tag: 'h2', className: 'question', text: visible(question) }] },
    { tag: 'p', className: 'error', text: visible(message) },
  ];
}

/** Which tier answered and how long it took, in words. */
export function tierLine(answer: ArchaeologyContext): string {
  const time = answer.queryTimeMs >= 1000 ? `${(answer.queryTimeMs / 1000).toFixed(1)} s` : `${Math.max(answer.queryTimeMs, 0).toFixed(answer.queryTimeMs < 10 ? 1 : 0)} ms`;
  const partial = answer.partial ? ' (partial: the time limit cut the digging short)' : '';
  switch (answer.source) {
    case 'l1':
      return `Answered from the exact cache (L1) in ${time}${partial}`;
    case 'l2':
      return `Answered from a similar question in the semantic cache (L2, similarity ${(answer.similarity ?? 0).toFixed(2)}: “${answer.cachedQuestion ?? ''}”) in ${time}${partial}`;
    case 'team':
      return `Answered from the team's shared cache (dug by another AIL server) in ${time}${partial}`;
    default:
      return `Dug from the history in ${time}${partial}`;
  }
}

export function commitUrl(github: string | undefined, sha: string): string | undefined {
  return github && /^[0-9a-f]{7,64}$/.test(sha) ? `https://github.com/${github}/commit/${sha}` : undefined;
}

function confidence(value: number): ViewNode {
  const band = bandOf(value);
  return { tag: 'p', className: 'confidence', children: [{ tag: 'span', text: 'Confidence ' }, { tag: 'span', className: `band band-${band}`, text: band }, { tag: 'span', text: ` ${value.toFixed(2)}` }] };
}

function evidenceItem(item: Evidence, github: string | undefined, nowMs: number, rawPr?: PullRequestRef): ViewNode {
  const c = item.commit;
  const refs: ViewNode[] = [];
  if (item.pullRequest) {
    const pr = item.pullRequest;
    const url = httpsUrl(pr.url) ?? (github ? `https://github.com/${github}/pull/${pr.number}` : undefined);
    refs.push(linkOrText(`#${pr.number}${pr.title && pr.title !== c.subject ? ` ${pr.title}` : ''}`, url, 'pr'));
  }
  for (const issue of item.issues) {
    const label = `${issue.repository ?? ''}#${issue.number}${issue.title ? ` ${issue.title}` : ''}`;
    const repo = issue.repository ?? github;
    refs.push(linkOrText(`closes ${label}`, httpsUrl(issue.url) ?? (repo ? `https://github.com/${repo}/issues/${issue.number}` : undefined), 'issue'));
  }
  const children: ViewNode[] = [
    {
      tag: 'div',
      className: 'commit-line',
      children: [
        { tag: 'a', className: 'sha', text: c.shortSha, title: github ? 'Open the commit on GitHub' : "Open the commit's changes", action: { kind: 'openCommit', sha: c.sha } },
        { tag: 'span', className: 'date', text: `${c.date.slice(0, 10)} (${relativeTime(c.date, nowMs)})` },
        { tag: 'span', className: 'author', text: c.author },
        { tag: 'span', className: 'score', text: `score ${item.score.toFixed(2)}` },
      ],
    },
    { tag: 'strong', className: 'subject', text: c.subject },
    { tag: 'small', className: 'reasons', text: item.reasons.map(reasonWords).join(' · ') },
  ];
  if (refs.length > 0) children.push({ tag: 'div', className: 'refs', children: refs });
  if (item.pullRequest) children.push(...discussion(item.pullRequest, rawPr));
  const notes: string[] = [];
  if (item.blamedLines) notes.push(`${plural(item.blamedLines, 'line')} of the range`);
  if (item.pathInCommit) notes.push(`as ${item.pathInCommit}`);
  if (item.tracedThrough?.length) notes.push(`traced through ${item.tracedThrough.map((t) => `${t.shortSha} (${t.change})`).join(', ')}`);
  if (item.reshaped) notes.push(`only reshaped these lines (${item.reshaped})`);
  if (item.cherryPickOf) notes.push(`cherry-picked from ${item.cherryPickOf.shortSha}`);
  if (notes.length > 0) children.push({ tag: 'small', className: 'notes', text: notes.join(' · ') });
  return { tag: 'li', className: 'evidence-item', children };
}

/**
 * What the pull request says: its description (trimmed), the review comments on these lines, the reviews.
 * Their text keeps its line breaks (shown by the stylesheet): each line is made visible on its own.
 */
function discussion(pr: PullRequestRef, raw: PullRequestRef | undefined): ViewNode[] {
  const nodes: ViewNode[] = [];
  const lines = (text: string | undefined, shown: string) => (text === undefined ? shown : text.split(/\r?\n/).map(visible).join('\n'));
  if (pr.body) {
    nodes.push({
      tag: 'blockquote',
      className: 'pr-body',
      children: [{ tag: 'p', text: lines(raw?.body, pr.body) }, { tag: 'small', text: `— description of #${pr.number}${pr.author ? ` by @${pr.author}` : ''}${pr.mergedAt ? `, merged ${pr.mergedAt.slice(0, 10)}` : ''}` }],
    });
  }
  if (pr.reviewComments?.length) {
    nodes.push({
      tag: 'div',
      className: 'review-comments',
      children: [
        { tag: 'small', text: `Review on these lines (${plural(pr.reviewComments.length, 'comment')})` },
        { tag: 'ul', children: pr.reviewComments.map((comment, i) => ({ tag: 'li', children: [linkOrText(`@${comment.author}`, httpsUrl(comment.url), 'reviewer'), { tag: 'span', text: `: ${lines(raw?.reviewComments?.[i]?.body, comment.body)}` }] })) },
      ],
    });
  }
  if (pr.reviews?.length) {
    const verb: Record<string, string> = { APPROVED: 'approved', CHANGES_REQUESTED: 'asked for changes', COMMENTED: 'commented' };
    nodes.push({
      tag: 'div',
      className: 'reviews',
      children: [
        { tag: 'small', text: 'Reviews' },
        { tag: 'ul', children: pr.reviews.map((review, i) => ({ tag: 'li', children: [linkOrText(`@${review.author}`, httpsUrl(review.url), 'reviewer'), { tag: 'span', text: ` ${verb[review.state] ?? review.state.toLowerCase()}${review.body ? `: ${lines(raw?.reviews?.[i]?.body, review.body)}` : ''}` }] })) },
      ],
    });
  }
  return nodes;
}

function timeline(answer: ArchaeologyContext, nowMs: number): ViewNode[] {
  const entry = (label: string, ref: CommitRef | undefined): ViewNode[] =>
    ref ? [{ tag: 'li', children: [{ tag: 'span', text: `${label} ` }, { tag: 'a', className: 'sha', text: ref.shortSha, action: { kind: 'openCommit', sha: ref.sha } }, { tag: 'span', text: ` ${ref.subject} · ${ref.author}, ${relativeTime(ref.date, nowMs)}` }] }] : [];
  return [
    ...entry('Created in', answer.timeline.created),
    ...entry('Last changed in', answer.timeline.lastChanged),
    { tag: 'li', text: plural(answer.timeline.commitCount, 'commit') },
  ];
}

function reasonWords(reason: EvidenceReason): string {
  const words: Record<EvidenceReason, string> = {
    blame: 'blame',
    'line-history': 'line history',
    'file-history': 'file history',
    rename: 'rename',
    'moved-code': 'moved code',
    semantic: 'similar message',
    keyword: 'keyword match',
  };
  return words[reason] ?? reason;
}

/** A summary's text with its code spans (`abc1234`) as code nodes. */
function withCode(text: string): ViewNode[] {
  return text
    .split(/(`[^`]+`)/)
    .filter((part) => part !== '')
    .map((part) => (part.startsWith('`') && part.endsWith('`') && part.length > 2 ? { tag: 'code', text: part.slice(1, -1) } : { tag: 'span', text: part }));
}

function linkOrText(text: string, url: string | undefined, className: string): ViewNode {
  return url ? { tag: 'a', className, text, title: url, action: { kind: 'openUrl', url } } : { tag: 'span', className, text };
}

function button(text: string, action: ViewNode['action']): ViewNode {
  return { tag: 'button', text, action };
}

/** An https URL as given, or undefined: no other scheme ever becomes a link. */
export function httpsUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}
