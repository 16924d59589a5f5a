import { bandOf } from '../../shared/format';
import type { ArchaeologyContext, CommitRef } from '../../shared/types';
import { visible } from '../../shared/visible';
import type { BlameAnswer, LineHistoryAnswer, SearchAnswer } from '../history-queries';

/**
 * The engine's answers as the MCP tools give them: `structuredContent` (the tools' output schemas in
 * `schemas.ts`: 1-based lines, short SHAs in runs, no emails) and a short text for the model to read.
 * The structured data stays raw (JSON escapes it); every string from the repository in the text passes
 * through `visible()`, so a commit message cannot smuggle control or bidi characters into a transcript.
 */

export type WhyOutput = ReturnType<typeof whyOutput>;

export function whyOutput(context: ArchaeologyContext) {
  const range = context.range && { start: context.range.start.line + 1, end: Math.max(context.range.start.line + 1, context.range.end.line) };
  return {
    file: context.file,
    ...(range ? { lines: range } : {}),
    question: context.question,
    headSha: context.headSha,
    summary: context.summary,
    confidence: context.confidence,
    partial: context.partial ?? false,
    warnings: [...context.warnings],
    evidence: context.evidence.map((evidence) => ({
      ...commitOf(evidence.commit),
      body: evidence.commit.body,
      score: evidence.score,
      reasons: [...evidence.reasons],
      ...(evidence.blamedLines !== undefined ? { blamedLines: evidence.blamedLines } : {}),
      ...(evidence.pullRequest
        ? {
            pullRequest: {
              number: evidence.pullRequest.number,
              ...optional('title', evidence.pullRequest.title),
              ...optional('url', evidence.pullRequest.url),
              ...optional('state', evidence.pullRequest.state),
              ...optional('via', evidence.pullRequest.via),
              ...optional('quote', evidence.pullRequest.quote && `${evidence.pullRequest.quote.text} (${evidence.pullRequest.quote.author})`),
            },
          }
        : {}),
      issues: evidence.issues.map((issue) => ({ number: issue.number, ...optional('title', issue.title), ...optional('url', issue.url), ...optional('repository', issue.repository) })),
      ...(evidence.tracedThrough?.length ? { tracedThrough: evidence.tracedThrough.map((commit) => ({ sha: commit.shortSha, change: commit.change })) } : {}),
      ...optional('reshaped', evidence.reshaped),
      ...optional('pathInCommit', evidence.pathInCommit),
    })),
    authors: context.authors.map((author) => ({ name: author.name, lines: author.lines, commits: author.commits })),
    timeline: {
      ...(context.timeline.created ? { created: commitOf(context.timeline.created) } : {}),
      ...(context.timeline.lastChanged ? { lastChanged: commitOf(context.timeline.lastChanged) } : {}),
      commitCount: context.timeline.commitCount,
    },
    ...optional('github', context.github),
  };
}

export function whyText(answer: WhyOutput): string {
  const lines = [`${where(answer.file, answer.lines)} — confidence ${Math.round(answer.confidence * 100)}% (${bandOf(answer.confidence)})${answer.partial ? ' (partial: the time limit cut the digging short)' : ''}`, '', visible(answer.summary)];
  if (answer.evidence.length > 0) lines.push('', 'Evidence, best first:');
  for (const evidence of answer.evidence) {
    const pr = evidence.pullRequest ? ` PR #${evidence.pullRequest.number}${evidence.pullRequest.title ? ` "${visible(evidence.pullRequest.title)}"` : ''}` : '';
    const issues = evidence.issues.length ? ` issues ${evidence.issues.map((issue) => `#${issue.number}`).join(', ')}` : '';
    const traced = evidence.tracedThrough ? ` (traced through ${evidence.tracedThrough.map((step) => `${step.sha} ${step.change}`).join(', ')})` : '';
    const reshaped = evidence.reshaped ? ` (only reshaped these lines: ${evidence.reshaped})` : '';
    lines.push(`- ${evidence.shortSha} ${evidence.date.slice(0, 10)} ${visible(evidence.author)}: ${visible(evidence.subject)}${pr}${issues}${traced}${reshaped} [${evidence.reasons.join(', ')}]`);
  }
  if (answer.warnings.length > 0) lines.push('', `Warnings: ${answer.warnings.join(', ')}`);
  return lines.join('\n');
}

export function lineHistoryOutput(answer: LineHistoryAnswer) {
  return { file: answer.file, lines: oneBased(answer.lines), headSha: answer.headSha, commits: answer.commits.map((commit) => ({ ...commit })), partial: answer.partial };
}

export function lineHistoryText(answer: ReturnType<typeof lineHistoryOutput>): string {
  const lines = [`${where(answer.file, answer.lines)}: ${answer.commits.length} commit${answer.commits.length === 1 ? '' : 's'}, newest first${answer.partial ? ' (partial: the time limit cut the walk)' : ''}`];
  for (const commit of answer.commits) {
    const notes = [commit.cosmetic ? `cosmetic: ${commit.cosmetic}` : '', commit.blamedLines ? `${commit.blamedLines} line${commit.blamedLines === 1 ? '' : 's'} today` : '', commit.path ? `as ${visible(commit.path)}` : ''].filter(Boolean);
    lines.push(`- ${describe(commit)}${notes.length ? ` (${notes.join('; ')})` : ''}`);
  }
  return lines.join('\n');
}

export function searchHistoryOutput(answer: SearchAnswer) {
  return { query: answer.query, ...optional('file', answer.file), index: { ...answer.index }, commits: answer.commits.map((commit) => ({ ...commit })) };
}

export function searchHistoryText(answer: ReturnType<typeof searchHistoryOutput>): string {
  if (answer.index.state !== 'ready') return `No results: ${visible(answer.index.reason ?? `the commit index is ${answer.index.state}`)}.`;
  if (answer.commits.length === 0) return `No commit message in the index (${answer.index.commits} commits) matches${answer.file ? ` among the commits that touched ${visible(answer.file)}` : ''}.`;
  return [`Commits whose messages match, best first (index of ${answer.index.commits} commits):`, ...answer.commits.map((commit) => `- ${describe(commit)} (similarity ${commit.similarity.toFixed(2)})`)].join('\n');
}

/** Runs past this are left out (a long file of many small changes): a model asks for the lines it needs. */
const MAX_RUNS = 400;

export function blameOutput(answer: BlameAnswer) {
  const kept = answer.runs.slice(0, MAX_RUNS);
  const named = new Set(kept.map((run) => run.sha));
  return {
    file: answer.file,
    lines: oneBased(answer.lines),
    headSha: answer.headSha,
    ...(kept.length < answer.runs.length ? { truncated: { runs: answer.runs.length, shownThroughLine: kept[kept.length - 1]!.end + 1 } } : {}),
    runs: kept.map((run) => ({
      start: run.start + 1,
      end: run.end + 1,
      sha: run.sha.slice(0, 7),
      originalLine: run.originalLine,
      ...optional('path', run.path),
      ...(run.tracedThrough ? { tracedThrough: run.tracedThrough.map((sha) => sha.slice(0, 7)) } : {}),
    })),
    commits: answer.commits.filter((commit) => named.has(commit.sha)).map((commit) => ({ ...commit })),
    partial: answer.partial,
  };
}

export function blameText(answer: ReturnType<typeof blameOutput>): string {
  if (answer.partial) return `${where(answer.file, answer.lines)}: blame did not finish within the time limit; ask again for fewer lines, or again shortly (it goes on).`;
  const commits = new Map(answer.commits.map((commit) => [commit.shortSha, commit]));
  const lines = [`${where(answer.file, answer.lines)}, line by line (after tracing through cosmetic commits):`];
  for (const run of answer.runs) {
    const commit = commits.get(run.sha);
    const span = run.end > run.start ? `${run.start}-${run.end}` : `${run.start}`;
    const traced = run.tracedThrough ? ` (traced through ${run.tracedThrough.join(', ')})` : '';
    lines.push(`${span}: ${commit ? describe(commit) : `${run.sha} (not committed)`}${traced}`);
  }
  if (answer.truncated) lines.push(`(the first ${answer.runs.length} of ${answer.truncated.runs} runs, through line ${answer.truncated.shownThroughLine}: ask for startLine/endLine to see the rest)`);
  return lines.join('\n');
}

/** The fields of a commit an agent gets (not the author's email). */
function commitOf(commit: CommitRef) {
  return { sha: commit.sha, shortSha: commit.shortSha, author: commit.author, date: commit.date, subject: commit.subject };
}

function describe(commit: { shortSha: string; date: string; author: string; subject: string; pullRequest?: number; issues: number[] }): string {
  const pr = commit.pullRequest !== undefined ? ` (PR #${commit.pullRequest})` : '';
  const issues = commit.issues.length ? ` (issues ${commit.issues.map((n) => `#${n}`).join(', ')})` : '';
  return `${commit.shortSha} ${commit.date.slice(0, 10)} ${visible(commit.author)}: ${visible(commit.subject)}${pr}${issues}`;
}

function where(file: string, lines: { start: number; end: number } | undefined): string {
  return visible(`${file}${lines ? `:${lines.start}${lines.end > lines.start ? `-${lines.end}` : ''}` : ''}`);
}

function oneBased(lines: { start: number; end: number }): { start: number; end: number } {
  return { start: lines.start + 1, end: lines.end + 1 };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
