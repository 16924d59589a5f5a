import * as path from 'node:path';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { SettingError, settingsFromEnv } from '../../shared/settings';
import { visible } from '../../shared/visible';
import { Engine } from '../engine';
import { AilError, isAilError } from '../util/errors';
import { createMcpServer } from './server';

declare const AIL_VERSION: string | undefined;

/** `ail serve --mcp [--repo DIR]`: the entry of dist/mcp.js, which `ail` loads for this command only. */
export async function runMcp(argv: readonly string[], env: Record<string, string | undefined>, cwd: string): Promise<number> {
  try {
    return await serveMcp(parseMcpArgs(argv, env, cwd));
  } catch (error) {
    // This bundle's AilError is not dist/cli.js's class: bad input is reported here, as main() would (exit 2, one line).
    if (!isAilError(error) && !(error instanceof SettingError)) throw error;
    process.stderr.write(`ail: ${visible(error.message)}\n`);
    return 2;
  }
}

/** `ail serve --mcp [--repo DIR]`: the repository is DIR, else AIL_REPO_PATH, else the current directory. */
export function parseMcpArgs(argv: readonly string[], env: Record<string, string | undefined>, cwd: string): { repo: string } {
  let repo: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--mcp') continue;
    if (arg === '--repo' || arg.startsWith('--repo=')) {
      const value = arg === '--repo' ? argv[++i] : arg.slice('--repo='.length);
      if (value === undefined || value === '') throw new AilError('bad-argument', '--repo needs a value');
      repo = value;
      continue;
    }
    throw new AilError('bad-argument', `ail serve --mcp does not take ${arg}: it takes --repo DIR`);
  }
  return { repo: path.resolve(cwd, repo ?? env.AIL_REPO_PATH ?? '.') };
}

/**
 * Serves MCP over stdin and stdout until stdin closes (the client went) or SIGTERM/SIGINT, then answers
 * 0. Nothing but the protocol is written to stdout: the log goes to stderr, which MCP clients show as
 * the server's log. A directory outside any work tree is refused before the protocol starts (exit 2).
 */
export async function serveMcp(options: { repo: string }): Promise<number> {
  const stderr = (line: string) => process.stderr.write(`${line}\n`);
  const settings = settingsFromEnv(process.env);
  const engine = new Engine(settings, {
    warmFiles: true,
    buildIndexes: true,
    logSink: (level, line) => stderr(`${new Date().toISOString()} ${level} ${line}`),
  });
  const health = await engine.health([{ path: options.repo, isFolder: true }]);
  const root = health.repositories?.[0]?.root;
  if (!root) {
    await engine.dispose();
    throw new AilError('not-a-repository', `ail serve --mcp: ${health.repositories?.[0]?.reasons[0] ?? `${options.repo} is not inside a git work tree`} (give --repo DIR)`);
  }
  const server = createMcpServer({ engine, root, version: typeof AIL_VERSION === 'string' ? AIL_VERSION : '0.0.0' });
  const transport = new StdioServerTransport();
  await server.connect(transport);
  stderr(`ail: MCP server on stdio (repository ${visible(root)})`);
  // The commit index opens (or is built) in the background; search_history says when it is not ready.
  void engine.open([root]);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      void server
        .close()
        .catch(() => undefined)
        .then(() => engine.dispose())
        .then(() => resolve(0));
    };
    process.stdin.once('end', stop);
    process.stdin.once('close', stop);
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
