import { ASK_WHY_COMMAND, COPY_SHA_COMMAND, OPEN_COMMIT_COMMAND } from '../../shared/protocol';
import type { ArchaeologyContext, Evidence, Range } from '../../shared/types';
import { commitFiles, type CommitFiles } from '../../shared/commit-files';
import { visibleStrings } from '../../shared/visible';
import { bandOf } from '../../shared/format';
import { relativeTime } from '../../shared/format';
import { commitUrl, GITHUB_API_URL, issueUrl, pullRequestUrl, type GitHubRepository } from '../github/repository';

/**
 * The hover card: the commit that explains the line, its PR and issues, the why, the confidence. Every
 * string of the answer came from the repository: its control characters are made visible (so each
 * field stays on its line) and its markdown is escaped, so a commit message cannot make links, images
 * or HTML in the card; the summary keeps its code spans, which markdown shows literally.
 */
/** Where a hover is, for its action links, and which of AIL's commands the client runs itself. */
export interface HoverActions {
  uri: string;
  range: Range;
  commands: readonly string[];
}

export function hoverMarkdown(answer: ArchaeologyContext, github: GitHubRepository | undefined, nowMs = Date.now(), actions?: HoverActions): string {
  const context = visibleStrings(answer);
  const top = context.evidence[0];
  if (!top) {
    if (context.uncommittedLines) return '**AIL** · not committed yet: this line has no history.';
    return `**AIL** · ${markdownWithCode(context.summary)}`;
  }
  const c = top.commit;
  const sha = github ? `[\`${c.shortSha}\`](${commitUrl(github, c.sha)})` : `\`${c.shortSha}\``;
  const lines = [`**AIL** · ${sha} · ${escape(c.author)} · ${relativeTime(c.date, nowMs)}`, '', `**${escape(c.subject)}**${links(top, github)}`];
  const pr = top.pullRequest;
  // The pull request's own title, when it says more than the commit's subject (a merge, or a PR of many commits).
  if (pr?.title && pr.title !== c.subject.replace(/\s*\(#\d+\)$/, '')) {
    const label = `Pull request #${pr.number}`;
    const url = pr.url ?? (github ? pullRequestUrl(github, pr.number) : undefined);
    lines.push('', `${url ? link(label, url) : label}: ${escape(pr.title)}${pr.author ? ` (@${escape(pr.author)})` : ''}`);
  }
  lines.push('', markdownWithCode(context.summary));
  const notes = [`confidence ${context.confidence.toFixed(2)} (${bandOf(context.confidence)})`];
  if (context.cosmeticCommitsTraced) notes.push(`traced through ${context.cosmeticCommitsTraced} cosmetic commit${context.cosmeticCommitsTraced === 1 ? '' : 's'}`);
  if (context.partial) notes.push('partial');
  lines.push('', `_${notes.join(' · ')}_`);
  const actionLine = actions ? actionLinks(actions, answer.evidence[0]!.commit.sha, github, commitFiles(actions.uri, answer.file, answer.evidence[0])) : '';
  if (actionLine) lines.push('', actionLine);
  return lines.join('\n');
}

/**
 * "Ask Why · Open commit · Copy SHA", as command links, for the commands the client said it runs
 * (`initializationOptions.clientCommands`). Their arguments are the document's URI, the line, the raw
 * sha (40 hex digits), the GitHub repository and, for a file renamed since, its paths in the commit and
 * its parent: JSON in the link's query, percent-encoded (brackets too, so a path cannot end the link):
 * nothing from a commit message.
 */
function actionLinks(actions: HoverActions, sha: string, github: GitHubRepository | undefined, files: CommitFiles | undefined): string {
  const link = (title: string, command: string, args: unknown[]) => (actions.commands.includes(command) ? `[${title}](command:${command}?${linkQuery(args)})` : undefined);
  return [
    link('Ask Why', ASK_WHY_COMMAND, [actions.uri, actions.range]),
    /^[0-9a-f]{40,64}$/.test(sha) ? link('Open commit', OPEN_COMMIT_COMMAND, openCommitArguments(actions.uri, sha, github, files)) : undefined,
    /^[0-9a-f]{40,64}$/.test(sha) ? link('Copy SHA', COPY_SHA_COMMAND, [sha]) : undefined,
  ]
    .filter((part) => part !== undefined)
    .join(' · ');
}

function linkQuery(args: unknown[]): string {
  return encodeURIComponent(JSON.stringify(args)).replace(/[()!'*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `[uri, sha, github?]`, and the file's paths then when it was renamed since: `[uri, sha, github | null, files]`. */
function openCommitArguments(uri: string, sha: string, github: GitHubRepository | undefined, files: CommitFiles | undefined): unknown[] {
  const repository = github ? `${github.owner}/${github.name}` : undefined;
  if (files) return [uri, sha, repository ?? null, files];
  return repository ? [uri, sha, repository] : [uri, sha];
}

/** Where a cross-repository reference (`owner/name#12`) points when the repository itself is not on GitHub. */
const GITHUB_COM: GitHubRepository = { owner: '', name: '', webUrl: 'https://github.com', apiUrl: GITHUB_API_URL };

function links(evidence: Evidence, github: GitHubRepository | undefined): string {
  const parts: string[] = [];
  const pr = evidence.pullRequest;
  if (pr) parts.push(github ? link(`#${pr.number}`, pr.url ?? pullRequestUrl(github, pr.number)) : `#${pr.number}`);
  for (const issue of evidence.issues) {
    const label = `${issue.repository ?? ''}#${issue.number}`;
    parts.push(`closes ${github || issue.repository ? link(label, issue.url ?? issueUrl(github ?? GITHUB_COM, issue.number, issue.repository)) : escape(label)}`);
  }
  return parts.length ? ` · ${parts.join(' · ')}` : '';
}

/** A symbol's lens: "last changed 3 weeks ago by Alice in #123 · 7 commits". Plain text, control characters visible. */
export function symbolLensTitle(answer: ArchaeologyContext, nowMs = Date.now()): string {
  const context = visibleStrings(answer);
  const last = context.timeline.lastChanged;
  if (!last) return context.uncommittedLines ? 'AIL: not committed yet' : 'AIL: no history';
  const pr = context.evidence.find((e) => e.commit.sha === last.sha)?.pullRequest;
  const count = context.timeline.commitCount;
  return `last changed ${relativeTime(last.date, nowMs)} by ${last.author}${pr ? ` in #${pr.number}` : ''} · ${count} commit${count === 1 ? '' : 's'}`;
}

/** The file's lens: "12 commits · 3 authors · last change 2 days ago by Bob". Plain text, control characters visible. */
export function fileLensTitle(answer: ArchaeologyContext, nowMs = Date.now()): string {
  const context = visibleStrings(answer);
  const last = context.timeline.lastChanged;
  const count = context.timeline.commitCount;
  const authors = context.authors.length;
  return `${count} commit${count === 1 ? '' : 's'} · ${authors} author${authors === 1 ? '' : 's'}${last ? ` · last change ${relativeTime(last.date, nowMs)} by ${last.author}` : ''}`;
}

/**
 * Text shown as itself in markdown: every character that could start markup (emphasis, code, links and
 * images, autolinks and HTML, entities such as `&#x202e;`, strikethrough, tables, headings) backslash-escaped.
 * The text is one line already (visible()), so nothing can start a block.
 */
function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]<>#|~&]/g, '\\$&');
}

/** A summary's text escaped, its code spans (`abc1234`, `src/x.ts`) kept: markdown shows a code span's content literally. */
function markdownWithCode(text: string): string {
  return text
    .split(/(`[^`]+`)/)
    .map((part, i) => (i % 2 === 1 ? part : escape(part)))
    .join('');
}

/**
 * A link to an http(s) URL. Its text is shown as is when it is a reference of the form AIL writes
 * (`#31`, `owner/repo#45`), escaped otherwise; its destination cannot end early (whitespace,
 * parentheses, quotes and angle brackets percent-encoded).
 */
function link(label: string, url: string): string {
  const text = /^([\w.-]+\/[\w.-]+)?#\d+$/.test(label) ? label : escape(label);
  if (!/^https?:\/\//.test(url)) return text;
  const destination = url.replace(/[\s()<>\\"'`]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  return `[${text}](${destination})`;
}
