import { z } from 'zod';
import type { TracedChange } from '../../shared/types';

/** What a traced-through commit did to the lines (shared/types.ts TracedChange). */
const TRACED_CHANGES = ['whitespace', 'formatting', 'file-rename', 'identifier-rename', 'annotation', 'move', 'modernisation', 'refactor', 'merge', 'uninformative'] as const satisfies readonly TracedChange[];

/**
 * The MCP tools' inputs and outputs, once, as zod shapes: the SDK turns them into the JSON Schemas
 * `tools/list` shows a model, checks every call's arguments against them (a bad one is a tool error
 * the model reads) and every answer's `structuredContent`. Lines are 1-based and inclusive, as a model
 * reads them in a file. The outputs are this front end's own wire format, converted from the engine's
 * answer in `answers.ts`, so the engine's types can change without changing what agents were told.
 */

const MAX_LINE = 10_000_000;

const path = z
  .string({ error: (issue) => `path ${issue.input === undefined ? 'is required' : 'must be a string'}: a file path relative to the repository root, such as "src/auth/session.ts"` })
  .min(1, { error: 'path must not be empty: give a file path relative to the repository root' })
  .max(4096, { error: 'path is longer than 4096 characters' })
  .describe('File path relative to the repository root, such as "src/auth/session.ts" (an absolute path inside the repository works too).');

const line = (name: string) =>
  z
    .number({ error: `${name} must be a line number from 1` })
    .int({ error: `${name} must be a whole line number` })
    .min(1, { error: `${name} must be a line number from 1` })
    .max(MAX_LINE, { error: `${name} is past any file` });

const limit = (what: string, fallback: number) =>
  z
    .number({ error: 'limit must be a whole number from 1 to 30' })
    .int({ error: 'limit must be a whole number from 1 to 30' })
    .min(1, { error: 'limit must be a whole number from 1 to 30' })
    .max(30, { error: 'limit must be a whole number from 1 to 30' })
    .optional()
    .describe(`Most ${what} to return (1-30, default ${fallback}).`);

export const whyInput = {
  path,
  startLine: line('startLine').optional().describe('First line to explain (1-based). Omit startLine and endLine to ask about the whole file.'),
  endLine: line('endLine').optional().describe('Last line to explain (1-based, inclusive; default startLine).'),
  question: z
    .string({ error: 'question must be a string' })
    .max(2000, { error: 'question is longer than 2000 characters' })
    .optional()
    .describe('What you want to know, in words, such as "why is the timeout 30 seconds?" (default: why does this code exist?). It ranks the evidence.'),
};

export const lineHistoryInput = {
  path,
  startLine: line('startLine').describe('First line (1-based).'),
  endLine: line('endLine').describe('Last line (1-based, inclusive).'),
  limit: limit('commits', 10),
};

export const searchHistoryInput = {
  query: z
    .string({ error: (issue) => `query ${issue.input === undefined ? 'is required' : 'must be a string'}: words to look for in commit messages` })
    .min(1, { error: 'query must not be empty' })
    .max(2000, { error: 'query is longer than 2000 characters' })
    .describe('What to look for in commit messages, in words, such as "switch session storage to redis".'),
  path: path.optional().describe('Only commits that touched this file (relative to the repository root).'),
  limit: limit('commits', 10),
};

export const blameInput = {
  path,
  startLine: line('startLine').optional().describe('First line (1-based); omit for the whole file.'),
  endLine: line('endLine').optional().describe('Last line (1-based, inclusive; default startLine, or the end of the file).'),
};

const commitRef = {
  sha: z.string(),
  shortSha: z.string(),
  author: z.string(),
  date: z.string().describe('ISO 8601 author date.'),
  subject: z.string(),
};

const commit = {
  ...commitRef,
  pullRequest: z.number().int().optional().describe('The pull request its message names.'),
  issues: z.array(z.number().int()).describe('Issues its message closes.'),
};

const lines = z.object({ start: z.number().int(), end: z.number().int() }).describe('1-based, inclusive.');

export const whyOutput = {
  file: z.string().describe('Path relative to the repository root, as it is at HEAD.'),
  lines: lines.optional().describe('The lines explained (1-based, inclusive); absent for the whole file.'),
  question: z.string(),
  headSha: z.string(),
  summary: z.string().describe('1-3 sentences of markdown, extractive: every fact comes from a commit, its message, its PR or issues.'),
  confidence: z.number().min(0).max(1),
  partial: z.boolean().describe('True when the time limit cut the digging short: the evidence may be incomplete.'),
  warnings: z.array(z.string()).describe('Codes such as shallow-history, time-limit, github-unavailable (docs/protocol.md).'),
  evidence: z
    .array(
      z.object({
        ...commitRef,
        body: z.string(),
        score: z.number(),
        reasons: z.array(z.string()).describe('Why it was found: blame, line-history, file-history, rename, moved-code, semantic, keyword.'),
        blamedLines: z.number().int().optional(),
        pullRequest: z
          .object({ number: z.number().int(), title: z.string().optional(), url: z.string().optional(), state: z.string().optional(), via: z.string().optional(), quote: z.string().optional() })
          .optional(),
        issues: z.array(z.object({ number: z.number().int(), title: z.string().optional(), url: z.string().optional(), repository: z.string().optional() })),
        tracedThrough: z
          .array(z.object({ sha: z.string().describe('Short SHA.'), change: z.enum(TRACED_CHANGES) }))
          .optional()
          .describe('The commits that only reshaped these lines since this one wrote them, newest first, each with what it did: traced through to reach this one.'),
        reshaped: z.enum(TRACED_CHANGES).optional().describe('Set when this commit only reshaped the asked lines (it was traced through): what it did.'),
        pathInCommit: z.string().optional(),
      }),
    )
    .describe('Best first.'),
  authors: z.array(z.object({ name: z.string(), lines: z.number().int(), commits: z.number().int() })),
  timeline: z.object({
    created: z.object(commitRef).optional(),
    lastChanged: z.object(commitRef).optional(),
    commitCount: z.number().int(),
  }),
  github: z.string().optional().describe('owner/name on GitHub, when the remote says so.'),
};

const historyCommit = {
  ...commit,
  path: z.string().optional().describe("The file's path in this commit, when it differs from today's (renamed, or code moved from another file)."),
  cosmetic: z.enum(['whitespace', 'formatting', 'rename']).optional().describe('A cosmetic change that blame traced through to reach an older commit.'),
  blamedLines: z.number().int().optional().describe('Lines of the range that come from this commit today (after tracing through cosmetic commits).'),
};

export const lineHistoryOutput = {
  file: z.string(),
  lines,
  headSha: z.string(),
  commits: z.array(z.object(historyCommit)).describe('Newest first.'),
  partial: z.boolean().describe('True when the time limit cut the walk: older commits may be missing.'),
};

export const searchHistoryOutput = {
  query: z.string(),
  file: z.string().optional(),
  index: z.object({
    state: z.enum(['ready', 'building', 'off', 'failed', 'loading']),
    commits: z.number().int().describe('Commits in the index.'),
    reason: z.string().optional().describe('Why there are no results yet, when the index is not ready.'),
  }),
  commits: z.array(z.object({ ...commit, similarity: z.number() })).describe('Best first; empty when the index is not ready.'),
};

export const blameOutput = {
  file: z.string(),
  lines,
  headSha: z.string(),
  runs: z
    .array(
      z.object({
        start: z.number().int(),
        end: z.number().int(),
        sha: z.string().describe('Short SHA; the commit is in commits.'),
        originalLine: z.number().int().describe('Where the first line of the run was in that commit.'),
        path: z.string().optional(),
        tracedThrough: z.array(z.string()).optional().describe('Short SHAs of the cosmetic commits traced through.'),
      }),
    )
    .describe('Consecutive lines (1-based, inclusive) with the commit they come from.'),
  truncated: z
    .object({ runs: z.number().int(), shownThroughLine: z.number().int() })
    .optional()
    .describe('Present when the file has more runs than one answer holds: how many, and the last line shown. Ask for startLine/endLine past it.'),
  commits: z.array(z.object(commit)),
  partial: z.boolean(),
};
