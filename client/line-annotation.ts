import { relativeTime } from '../shared/format';
import type { LineSummary } from '../shared/types';
import { visible } from '../shared/visible';

const MAX_SUBJECT = 80;

/** The current-line annotation's text: `Grace Hopper, 3 weeks ago · Switch session token hashing from md5 to bcrypt (#55)`. */
export function lineAnnotation(summary: LineSummary, nowMs = Date.now()): string {
  if (summary.kind === 'uncommitted') return 'Not committed yet';
  const subject = visible(summary.subject);
  const shown = subject.length > MAX_SUBJECT ? `${subject.slice(0, MAX_SUBJECT - 1)}…` : subject;
  const pr = summary.pullRequest !== undefined && !shown.includes(`#${summary.pullRequest}`) ? ` (#${summary.pullRequest})` : '';
  return `${visible(summary.author)}, ${relativeTime(summary.date, nowMs)} · ${shown}${pr}`;
}
