import { bandOf, relativeTime } from '../../shared/format';
import type { ArchaeologyContext } from '../../shared/types';
import { visibleStrings } from '../../shared/visible';
import { commitUrl, httpsUrl, tierLine } from './model';
import { warningSentence } from './warnings';

/**
 * "Copy as Markdown": the answer as a person pastes it into a review or an issue. Text from the
 * repository is escaped, so a commit message cannot add a link, an image or HTML to where it is pasted.
 */
export function answerMarkdown(raw: ArchaeologyContext, nowMs = Date.now()): string {
  const answer = visibleStrings(raw);
  const lines = [`### ${escape(answer.question)}`, '', `\`${answer.file}\`${answer.range ? ` lines ${answer.range.start.line + 1}–${answer.range.end.line + (answer.range.end.character === 0 && answer.range.end.line > answer.range.start.line ? 0 : 1)}` : ''}`, '', withCode(answer.summary), '', `Confidence: ${bandOf(answer.confidence)} (${answer.confidence.toFixed(2)}) · ${tierLine(answer)}`];
  for (const code of answer.warnings) lines.push('', `> ${warningSentence(code)}`);
  if (answer.evidence.length > 0) {
    lines.push('', '#### Evidence', '');
    for (const item of answer.evidence) {
      const c = item.commit;
      const url = commitUrl(answer.github, c.sha);
      const sha = url ? `[\`${c.shortSha}\`](${url})` : `\`${c.shortSha}\``;
      const refs: string[] = [];
      if (item.pullRequest) {
        const prUrl = httpsUrl(item.pullRequest.url) ?? (answer.github ? `https://github.com/${answer.github}/pull/${item.pullRequest.number}` : undefined);
        refs.push(prUrl ? `[#${item.pullRequest.number}](${prUrl})` : `#${item.pullRequest.number}`);
      }
      for (const issue of item.issues) refs.push(`closes ${escape(`${issue.repository ?? ''}#${issue.number}${issue.title ? ` ${issue.title}` : ''}`)}`);
      lines.push(`- ${sha} ${escape(c.subject)} — ${escape(c.author)}, ${c.date.slice(0, 10)} (${relativeTime(c.date, nowMs)}) · ${item.reasons.join(', ')} · score ${item.score.toFixed(2)}${refs.length ? ` · ${refs.join(' · ')}` : ''}`);
      const pr = item.pullRequest;
      if (pr?.body) lines.push(`  > ${escape(pr.body).replace(/\n/g, '\n  > ')}`, `  > — #${pr.number}${pr.author ? ` by @${escape(pr.author)}` : ''}`);
      for (const comment of pr?.reviewComments ?? []) lines.push(`  - review on these lines, @${escape(comment.author)}: ${escape(comment.body).replace(/\n/g, ' ')}`);
    }
  }
  if (answer.authors.length > 0) lines.push('', `Authors: ${answer.authors.map((a) => `${escape(a.name)} (${a.lines} lines)`).join(', ')}`);
  lines.push('', `${answer.timeline.commitCount} commit${answer.timeline.commitCount === 1 ? '' : 's'}${answer.timeline.created ? ` · created in \`${answer.timeline.created.shortSha}\`` : ''}${answer.timeline.lastChanged ? ` · last changed in \`${answer.timeline.lastChanged.shortSha}\`` : ''}`);
  return `${lines.join('\n')}\n`;
}

function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]<>#|~&!()]/g, '\\$&');
}

function withCode(text: string): string {
  return text
    .split(/(`[^`]+`)/)
    .map((part, i) => (i % 2 === 1 ? part : escape(part)))
    .join('');
}
