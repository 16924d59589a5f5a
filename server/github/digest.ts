import { contentTerms, stem, words } from '../archaeology/text';

/**
 * A pull request's discussion digested for one question: its body trimmed to what matters, the human
 * review comments on the asked lines, the review summaries, and the one sentence that best says why.
 * Plain functions over plain data: nothing here asks GitHub.
 */

export interface GitHubUser {
  login: string;
  /** GitHub's account type: `User`, `Bot`, `Organization`. */
  type?: string;
  /** Already known to be a bot (a `[bot]` account, or typed `Bot`). */
  bot?: boolean;
}

export interface ReviewCommentData {
  user?: GitHubUser | null;
  body: string;
  path: string;
  /** The comment's last line in the pull request's latest version, null when outdated. */
  line?: number | null;
  startLine?: number | null;
  /** The line in the version it was written on. */
  originalLine?: number | null;
  originalStartLine?: number | null;
  diffHunk?: string;
  htmlUrl?: string;
  createdAt?: string;
}

export interface ReviewData {
  user?: GitHubUser | null;
  /** `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`, `DISMISSED`. */
  state: string;
  body: string | null;
  htmlUrl?: string;
  submittedAt?: string;
}

/** Review bots that comment as ordinary users, beside every `[bot]` account. */
const REVIEW_BOTS = new Set(
  ['coderabbitai', 'copilot', 'copilot-pull-request-reviewer', 'sonarcloud', 'sonarqubecloud', 'codecov', 'codecov-commenter', 'deepsource-autofix', 'deepsource-io', 'sourcery-ai', 'gemini-code-assist', 'github-actions', 'dependabot', 'renovate', 'mergify', 'netlify', 'vercel', 'changeset-bot', 'allcontributors', 'stale', 'lgtm-com', 'codeclimate', 'snyk-bot', 'sweep-ai', 'ellipsis-dev', 'greptile-apps', 'qodo-merge-pro', 'korbit-ai', 'bors'].map((login) => login.toLowerCase()),
);

export function isBot(user: GitHubUser | null | undefined): boolean {
  if (!user) return true; // a deleted account ("ghost") says nothing we can attribute
  const login = user.login.toLowerCase();
  return user.bot === true || user.type === 'Bot' || login.endsWith('[bot]') || login.endsWith('-bot') || REVIEW_BOTS.has(login);
}

/**
 * A pull request body trimmed to what matters: no HTML comments (templates' instructions), images,
 * badges, empty checklist items or template headings left empty, at most `limit` characters cut at a
 * sentence. Undefined when nothing is left.
 */
export function trimBody(body: string | null | undefined, limit = 600): string | undefined {
  if (!body) return undefined;
  let text = body.replace(/\r\n?/g, '\n').replace(/<!--[\s\S]*?(-->|$)/g, '');
  text = text.replace(/!\[[^\]]*\]\([^)]*\)/g, '').replace(/<img\b[^>]*>/gi, '');
  // Checklist items first, so that a heading over nothing but unticked boxes is seen empty.
  const lines = text
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => !/^\s*[-*]\s*\[[ xX]?\]\s*$/.test(line) && !/^\s*[-*]\s*\[ \]/.test(line));
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\s*#{1,6}\s/.test(line)) {
      // A heading followed by nothing before the next heading is an empty template section.
      let next = i + 1;
      while (next < lines.length && !lines[next]!.trim()) next++;
      if (next >= lines.length || /^\s*#{1,6}\s/.test(lines[next]!)) continue;
    }
    kept.push(line);
  }
  const prose = kept.join('\n').replace(/\n{3,}/g, '\n\n').trim();
  if (!prose) return undefined;
  if (prose.length <= limit) return prose;
  const cut = prose.slice(0, limit);
  const end = Math.max(cut.lastIndexOf('. '), cut.lastIndexOf('.\n'), cut.lastIndexOf('\n\n'));
  return `${(end > limit / 3 ? cut.slice(0, end + 1) : cut).trimEnd()}…`;
}

/** Where the asked lines were in the commit the review was on: its path and its 1-based line numbers. */
export interface LinesInCommit {
  paths: string[];
  /** 1-based line numbers of the asked lines in that commit's version of the file. */
  lines: number[];
  /** The asked lines' text, to recognise a comment's line when the numbering moved. */
  text: string[];
}

/** How far a review comment's line may be from an asked line and still be about it (the PR moved on after the comment). */
const LINE_SLACK = 2;

/**
 * True when a review comment is on the asked lines: the same path (today's, or the path in the commit)
 * and its line range within reach of an asked line, or the last line of its hunk is one of the asked
 * lines' text.
 */
export function touchesLines(comment: ReviewCommentData, at: LinesInCommit): boolean {
  if (!at.paths.includes(comment.path)) return false;
  const ranges: [number, number][] = [];
  if (comment.line) ranges.push([comment.startLine ?? comment.line, comment.line]);
  if (comment.originalLine) ranges.push([comment.originalStartLine ?? comment.originalLine, comment.originalLine]);
  for (const [start, end] of ranges) if (at.lines.some((line) => line >= start - LINE_SLACK && line <= end + LINE_SLACK)) return true;
  const commented = lastHunkLine(comment.diffHunk);
  if (commented) {
    const asked = new Set(at.text.map((line) => line.trim()).filter((line) => line.length >= 4));
    if (asked.has(commented)) return true;
  }
  return false;
}

/** The line a review comment points at: the last line of its diff hunk, without the +/-/space marker. */
function lastHunkLine(hunk: string | undefined): string | undefined {
  if (!hunk) return undefined;
  const lines = hunk.split('\n').filter((line) => line && !line.startsWith('@@'));
  const last = lines[lines.length - 1];
  return last ? last.slice(1).trim() : undefined;
}

/** Words that mark a sentence as a reason rather than a description. */
const CAUSAL = /\b(because|since|so that|in order to|otherwise|to avoid|avoids?|prevents?|instead of|rather than|which (caused|causes|broke|breaks)|caus(es|ed|ing)|breaks?|broke|bug|regression|crash(es|ed)?|leaks?|race|deadlock|security|vulnerab\w*|compat\w*|required|needed|needs?|must|can't|cannot|won't|fails?|failed|failing|slow(er)?|faster|performance|so we|we need|the reason|why)\b/i;

export interface Quote {
  text: string;
  author: string;
  /** Where it was said: the pull request's description, a review comment on these lines, or a review. */
  where: 'description' | 'review-comment' | 'review';
  url?: string;
}

/**
 * The sentence that best says why, from the review comments on the lines (first), the description and
 * the review summaries: a sentence that gives a reason and shares words with the question or the lines.
 * Undefined when no sentence gives a reason: nothing is quoted for the sake of quoting.
 */
export function decisiveSentence(sources: { description?: { body: string; author: string; url?: string }; comments: ReviewCommentData[]; reviews: ReviewData[] }, question: string, lineText: string[]): Quote | undefined {
  const questionTerms = contentTerms(question);
  const lineTerms = new Set(lineText.flatMap((line) => words(line)).map(stem));
  let best: { quote: Quote; score: number } | undefined;
  const consider = (text: string, author: string, where: Quote['where'], url: string | undefined, bonus: number) => {
    for (const sentence of sentencesOf(text)) {
      if (!CAUSAL.test(sentence)) continue;
      const terms = words(sentence).map(stem);
      const shared = terms.filter((term) => questionTerms.has(term) || lineTerms.has(term)).length;
      const score = bonus + Math.min(3, shared) * 0.5 + (sentence.endsWith('?') ? -1 : 0);
      if (!best || score > best.score) best = { quote: { text: sentence, author, where, ...(url ? { url } : {}) }, score };
    }
  };
  for (const comment of sources.comments) consider(comment.body, comment.user?.login ?? 'ghost', 'review-comment', comment.htmlUrl, 1.5);
  if (sources.description) consider(sources.description.body, sources.description.author, 'description', sources.description.url, 1);
  for (const review of sources.reviews) if (review.body) consider(review.body, review.user?.login ?? 'ghost', 'review', review.htmlUrl, 0.5);
  return best && best.score > 0 ? best.quote : undefined;
}

/** Sentences of markdown prose, without code blocks, quotes of others (`>` lines), links' targets or markup. */
export function sentencesOf(markdown: string): string[] {
  const prose = markdown
    .replace(/```[\s\S]*?(```|$)/g, ' ')
    .split('\n')
    .filter((line) => !/^\s*>/.test(line) && !/^\s*\|/.test(line))
    .map((line) => line.replace(/^\s*(#{1,6}\s+|[-*+]\s+|\d+\.\s+)/, ''))
    .join('\n')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[*_]{1,2}([^*_]+)[*_]{1,2}/g, '$1');
  const sentences: string[] = [];
  for (const paragraph of prose.split(/\n\s*\n/)) {
    const flat = paragraph.replace(/\s+/g, ' ').trim();
    for (const match of flat.matchAll(/[^.!?]+(?:[.!?]+(?=\s|$)|$)/g)) {
      const sentence = match[0].trim();
      const wordCount = sentence.split(/\s+/).length;
      if (wordCount >= 5 && wordCount <= 60) sentences.push(sentence);
    }
  }
  return sentences;
}

/**
 * A review worth the name: a human other than the author who wrote something on these lines, or a
 * review summary of a few words, or asked for changes. An approval with no words is not.
 */
export function isSubstantiveReview(comments: ReviewCommentData[], reviews: ReviewData[], author: string | undefined): boolean {
  const byOthers = (user: GitHubUser | null | undefined) => !isBot(user) && user!.login !== author;
  if (comments.some((comment) => byOthers(comment.user) && comment.body.trim().split(/\s+/).length >= 4)) return true;
  return reviews.some((review) => byOthers(review.user) && (review.state === 'CHANGES_REQUESTED' || (review.body ?? '').trim().split(/\s+/).length >= 6));
}

const CLOSING_URL = /\b(?:fix(?:e[sd])?|close[sd]?|resolve[sd]?)(?::)?\s+https:\/\/[\w.-]+\/([\w.-]+\/[\w.-]+)\/issues\/(\d+)\b/gi;

/** Issues a body closes by URL (`Fixes https://github.com/o/r/issues/12`), as `owner/name` and number. */
export function closingUrls(text: string): { repository: string; number: number }[] {
  return [...text.matchAll(CLOSING_URL)].map((match) => ({ repository: match[1]!, number: Number(match[2]) }));
}
