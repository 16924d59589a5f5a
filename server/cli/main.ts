import * as path from 'node:path';
import { settingsFromEnv, SettingError } from '../../shared/settings';
import { safeJson, visible } from '../../shared/visible';
import { AilError, isAilError } from '../util/errors';
import { Engine } from '../engine';
import { parseAskArgs } from './args';
import { quiet, runIndex, runStats } from './index-commands';
import { runValidate } from './validate';
import { parseServeArgs, serveHttp } from './serve';
import { formatContext, styleFor } from './format';

const USAGE = `AIL, the Archaeological Intelligence Layer: why is this code like this?

Usage:
  ail ask <path>[:<line>[-<line>]] [question...] [--repo DIR] [--json]
  ail index [--repo DIR] [--json]      build or update the semantic index of commit messages
  ail stats [--repo DIR] [--json]      cache and index figures
  ail validate [--repo DIR] [--json]   check git, the embedder, the index and a search end to end
  ail serve --stdio                    the language server over stdio (as dist/server.js --stdio)
  ail serve --mcp [--repo DIR]         the MCP server over stdio, for coding agents (see docs/agents.md)
  ail serve --http [HOST:]PORT [--repo DIR] [--config FILE]
                                       the HTTP service (JSON API, /health, /metrics; see docs/operations.md)
  ail bench [--repo DIR] [--commits N] [--queries N] [--lsp] [--json]
  ail bench --mcp [--repo DIR] [--commits N] [--queries N] [--json]
                                       why over MCP against the same question in-process and over LSP
  ail bench --team [--redis URL] [--repo DIR] [--commits N] [--queries N] [--json]
                                       ten engines asking a Zipf mix, alone and sharing a Redis
  ail bench --http [URL] [--repo DIR] [--commits N] [--concurrency N] [--duration S | --requests N]
            [--warmup S] [--seed N] [--report FILE] [--json]
                                       load the HTTP service (without URL: one it starts itself)
  ail bench --quality [--repos DIR] [--cache DIR] [--offline] [--only TEXT] [--json]
                                       score answers against the labelled set (bench/quality/README.md)
  ail help

Lines are 1-based; a pasted <path>:<line>:<column> is taken as that line. Settings come from the environment (AIL_MAX_QUERY_TIME_S, AIL_MAX_WORKERS, ...; see README.md).`;

/** Exit codes: 0 answered, 1 failed unexpectedly, 2 bad input (message on stderr, nothing on stdout). */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'ask':
        return await ask(rest);
      case 'bench':
        // Loaded when asked for: its LSP client library, run at load, cost every command ~12 ms.
        return await (await import('./bench.js')).runBench(rest, process.stdout, process.stderr);
      case 'index':
        return await runIndex(rest, process.stdout, process.stderr);
      case 'stats':
        return await runStats(rest, process.stdout);
      case 'validate':
        return await runValidate(rest, process.stdout, process.stderr);
      case 'serve':
        return await serve(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default:
        process.stderr.write(`ail: unknown command '${visible(command)}'\n\n${USAGE}\n`);
        return 2;
    }
  } catch (error) {
    // One line whatever the message holds: paths, arguments and git's own words are shown with control characters visible.
    if (isAilError(error) || error instanceof SettingError) {
      process.stderr.write(`ail: ${visible(error.message)}\n`);
      return 2;
    }
    process.stderr.write(`ail: ${visible(error instanceof Error ? error.message : String(error))}\n`);
    return 1;
  }
}

async function ask(argv: readonly string[]): Promise<number> {
  const settings = settingsFromEnv(process.env);
  const args = parseAskArgs(argv, process.cwd());
  const base = args.repo ? path.resolve(args.repo) : process.cwd();
  const file = (relative: string, lines?: { start: number; end: number }) =>
    visible(`${relative}${lines ? `:${lines.start + 1}${lines.end > lines.start ? `-${lines.end + 1}` : ''}` : ''}`);
  const engine = new Engine(settings, {
    logSink: quiet,
    oneShot: true,
    // An answer that waited past the time limit for its blame says so, and what it was: a person wonders why it was slow.
    onSlowBlame: ({ file: relative, lines, ms, limitMs }) =>
      process.stderr.write(`ail: blaming ${file(relative, lines)} took ${seconds(ms)} s, past AIL_MAX_QUERY_TIME_S (${seconds(limitMs)} s); it is stored, so the next ask of it starts from there\n`),
  });
  try {
    // Paths are taken relative to --repo, or to the current directory; either way the file must be inside that work tree.
    const repository = args.repo ? base : (await engine.isInsideWorkTree(base)) ? base : undefined;
    if (repository && settings.semanticIndexEnabled) await engine.openStoredIndex(repository);
    const context = await engine.ask({
      path: path.resolve(base, args.file),
      repository,
      lines: args.lines,
      question: args.question,
      timeLimitMs: settings.maxQueryTimeS * 1000,
    });
    process.stdout.write(args.json ? `${safeJson(context)}\n` : `${formatContext(context, styleFor(process.stdout, process.env))}\n`);
    // What the time limit cut (a long line history) is finished and stored, so that the next ask starts from it.
    await engine.settle((unfinished) => process.stderr.write(`ail: finishing ${unfinished.map(visible).join(', ')} for the next ask (Ctrl-C skips it)\n`));
    return 0;
  } finally {
    await engine.dispose();
  }
}

/** 3.4, 0.05, 12: two significant digits, as a person reads a duration. */
function seconds(ms: number): string {
  const s = ms / 1000;
  return s >= 10 ? s.toFixed(0) : String(Number(s.toPrecision(2)));
}

/**
 * `ail serve --stdio`: the same language server as `dist/server.js --stdio`; it ends the process itself
 * on `exit`. `ail serve --http [HOST:]PORT`: the HTTP service, until SIGTERM.
 */
async function serve(argv: readonly string[]): Promise<number> {
  if (argv.length === 1 && argv[0] === '--stdio') {
    // dist/server.js is that server, and starts as it loads. It is a bundle of its own, not part of this
    // one: parsing the language server's libraries (420 KB) cost every other command ~25 ms to start.
    require(path.join(__dirname, 'server.js'));
    return new Promise<number>(() => undefined); // the connection exits the process on `exit`, or when stdin closes
  }
  if (argv.includes('--stdio')) throw new AilError('bad-argument', 'ail serve takes --stdio alone, or --http [HOST:]PORT, or --mcp');
  if (argv.includes('--mcp')) {
    if (argv.includes('--http')) throw new AilError('bad-argument', 'ail serve takes --mcp or --http, not both');
    // dist/mcp.js is a bundle of its own, as dist/server.js is: the MCP SDK, zod and ajv (1.5 MB) are parsed by this command only.
    const { runMcp } = require(path.join(__dirname, 'mcp.js')) as typeof import('../mcp/stdio');
    process.exit(await runMcp(argv, process.env, process.cwd()));
  }
  const code = await serveHttp(parseServeArgs(argv, process.env, process.cwd()));
  // Stopped cleanly: what the engine left (a detached commit-graph write) must not keep the process.
  process.exit(code);
}

if (require.main === module) {
  let finished = false;
  // A promise nothing keeps alive would otherwise end the process quietly with status 0.
  process.on('beforeExit', () => {
    if (finished) return;
    finished = true;
    process.stderr.write('ail: internal error: the command stopped before it finished\n');
    process.exitCode = 1;
  });
  main(process.argv.slice(2)).then(
    (code) => {
      finished = true;
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`ail: ${visible(String(error))}\n`);
      process.exitCode = 1;
    },
  );
}
