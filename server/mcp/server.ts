import * as path from 'node:path';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { visible } from '../../shared/visible';
import type { Engine } from '../engine';
import { isAilError } from '../util/errors';
import { isCancelled } from '../util/flight';
import { blameOutput, blameText, lineHistoryOutput, lineHistoryText, searchHistoryOutput, searchHistoryText, whyOutput, whyText } from './answers';
import * as schemas from './schemas';

export interface McpServerOptions {
  engine: Engine;
  /** The served repository's work tree (absolute, real): tool paths are relative to it and must stay inside. */
  root: string;
  version: string;
}

/** What the server tells a model about when to use it (the `instructions` of `initialize`). */
export const INSTRUCTIONS = `AIL answers "why is this code like this?" from this repository's own git history: blame traced through formatting commits, renames and moved code, the lines' history, commit messages, and the pull requests and issues they name, ranked for your question.

Call \`why\` before you change, delete or "simplify" code whose purpose is not obvious from the code itself: an odd constant or timeout, a workaround, a check that looks redundant, a special case, a pinned version, a comment that says "do not change". Give the file and the lines, and your question in words. Read its summary and evidence (commits, PRs, issues) before deciding. Confidence 0.7 and up (high) means one commit clearly explains the code; under 0.4 (low) the history says little, so say so rather than guess.

Use \`line_history\` to see every change to some lines in order, \`blame\` for line-by-line origins, and \`search_history\` to find commits by topic ("when did we switch to redis?"). Paths are relative to the repository root; lines are 1-based and inclusive. Answers are extractive: every fact comes from a commit, its message, or its PR or issue.`;

const READ_ONLY = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;

/** A bad argument the tool's schema cannot express (lines out of order, a path outside the repository): a tool error with one sentence. */
class BadArgument extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

/**
 * AIL as an MCP server: four read-only tools and a resource template over the engine façade. A front
 * end and nothing more: it checks what a call sent, asks the engine with the request's abort signal,
 * and converts the answer to the tool's output (`answers.ts`). A refused question is a tool error the
 * model reads (`isError`), never a protocol failure; a cancelled call stops its git processes.
 */
export function createMcpServer({ engine, root, version }: McpServerOptions): McpServer {
  const server = new McpServer({ name: 'ail', title: 'AIL: why is this code like this?', version }, { instructions: INSTRUCTIONS });

  const inside = (file: string, field = 'path'): string => {
    if (file.includes('\0')) throw new BadArgument(field, `${field} must not contain a NUL character`);
    const absolute = path.resolve(root, file);
    const relative = path.relative(root, absolute);
    if (relative === '') throw new BadArgument(field, `${field} ${JSON.stringify(file)} is the repository's root, a directory: give a file inside it`);
    if ( relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
      throw new BadArgument(field, `${field} ${JSON.stringify(file)} is outside the repository (${root}): give a file path relative to its root`);
    }
    // The engine checks again on the real path, so a symbolic link out of the repository is refused too.
    return absolute;
  };

  const run = async <T extends Record<string, unknown>>(work: () => Promise<T>, text: (output: T) => string): Promise<CallToolResult> => {
    try {
      const output = await work();
      return { content: [{ type: 'text', text: text(output) }], structuredContent: output };
    } catch (error) {
      if (isCancelled(error)) throw error; // the SDK sends nothing for a cancelled request
      if (error instanceof BadArgument) {
        engine.rejected(error.field);
        return failure(error.message);
      }
      if (isAilError(error)) return failure(error.message);
      // The engine logged it with its cause (stderr); the model learns no more than that it failed.
      return failure('AIL failed to answer; its log (stderr of ail serve --mcp) says why');
    }
  };

  server.registerTool(
    'why',
    {
      title: 'Why is this code like this?',
      description:
        "Explains why code is the way it is, from the repository's git history: a short extractive summary with a confidence, and the ranked evidence (commits, the pull requests and issues they name, who wrote the lines and when), traced through formatting commits, renames and moved code. Call it before changing code whose purpose is unclear. Give path and, ideally, startLine/endLine and a question in words.",
      inputSchema: schemas.whyInput,
      outputSchema: schemas.whyOutput,
      annotations: { title: 'Why is this code like this?', ...READ_ONLY },
    },
    (args, extra) =>
      run(async () => {
        const lines = linesOf(args.startLine, args.endLine, false);
        const answer = await engine.ask({ path: inside(args.path), repository: root, ...(lines ? { lines } : {}), question: args.question, depth: 'full', signal: extra.signal });
        return whyOutput(answer);
      }, whyText),
  );

  server.registerTool(
    'line_history',
    {
      title: 'History of some lines',
      description:
        'The commits that shaped these lines, newest first: git log -L following renames, with the commits blame reaches after tracing through formatting commits and moved code. Cosmetic commits (formatting, whitespace, pure renames) are marked, and each commit shows the PR and issues its message names.',
      inputSchema: schemas.lineHistoryInput,
      outputSchema: schemas.lineHistoryOutput,
      annotations: { title: 'History of some lines', ...READ_ONLY },
    },
    (args, extra) =>
      run(async () => {
        const lines = linesOf(args.startLine, args.endLine, true)!;
        return lineHistoryOutput(await engine.lineHistory({ path: inside(args.path), repository: root, lines, limit: args.limit, signal: extra.signal }));
      }, lineHistoryText),
  );

  server.registerTool(
    'search_history',
    {
      title: 'Search commit messages',
      description:
        "Finds commits whose messages are about a topic, from AIL's semantic index of this repository's commit messages (optionally only commits that touched one file). While the index is being built the answer says so and holds no commits; ask again shortly.",
      inputSchema: schemas.searchHistoryInput,
      outputSchema: schemas.searchHistoryOutput,
      annotations: { title: 'Search commit messages', ...READ_ONLY },
    },
    (args, extra) =>
      run(async () => {
        const file = args.path === undefined ? undefined : inside(args.path);
        return searchHistoryOutput(await engine.searchHistory({ repository: root, query: args.query, ...(file ? { path: file } : {}), limit: args.limit, signal: extra.signal }));
      }, searchHistoryText),
  );

  server.registerTool(
    'blame',
    {
      title: 'Blame, traced through cosmetic commits',
      description:
        'Line by line, the commit each line comes from, after tracing through formatting and whitespace commits and following renames and moved code: compact runs of consecutive lines, each commit listed once.',
      inputSchema: schemas.blameInput,
      outputSchema: schemas.blameOutput,
      annotations: { title: 'Blame, traced through cosmetic commits', ...READ_ONLY },
    },
    (args, extra) =>
      run(async () => {
        const lines = linesOf(args.startLine, args.endLine, false);
        return blameOutput(await engine.blame({ path: inside(args.path), repository: root, ...(lines ? { lines } : {}), signal: extra.signal }));
      }, blameText),
  );

  server.registerResource(
    'why',
    new ResourceTemplate('ail://why/{+path}', { list: undefined }),
    {
      title: 'Why a file is like this',
      description: "AIL's answer for a whole file (path relative to the repository root): summary, confidence and evidence, as markdown.",
      mimeType: 'text/markdown',
    },
    async (uri, variables, extra) => {
      const file = decodeURIComponent(String(variables.path ?? ''));
      try {
        const answer = whyOutput(await engine.ask({ path: inside(file), repository: root, depth: 'full', signal: extra.signal }));
        return { contents: [{ uri: uri.href, mimeType: 'text/markdown', text: whyText(answer) }] };
      } catch (error) {
        if (error instanceof BadArgument || isAilError(error)) throw new Error(visible(error.message));
        throw error;
      }
    },
  );
  return server;
}

/** 1-based inclusive lines from a call, as the engine's 0-based ones; `required` for line_history. */
function linesOf(startLine: number | undefined, endLine: number | undefined, required: boolean): { start: number; end: number } | undefined {
  if (startLine === undefined) {
    if (endLine !== undefined) throw new BadArgument('startLine', 'endLine was given without startLine: give startLine too (or neither, for the whole file)');
    if (required) throw new BadArgument('startLine', 'startLine is required');
    return undefined;
  }
  const end = endLine ?? startLine;
  if (end < startLine) throw new BadArgument('endLine', `endLine (${end}) is before startLine (${startLine})`);
  return { start: startLine - 1, end: end - 1 };
}

function failure(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}
