import type { Readable } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI } from './cli';

/**
 * `ail serve --mcp` as an agent runs it: the built CLI started by the MCP SDK's own stdio client, which
 * speaks the protocol to it. Every line the server writes to stdout goes through the client's parser:
 * anything that is not a JSON-RPC message lands in `protocolErrors`.
 */
export class McpProcess {
  stderr = '';
  readonly protocolErrors: Error[] = [];

  private constructor(readonly client: Client, readonly transport: StdioClientTransport) {
    (transport.stderr as Readable | null)?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
    client.onerror = (error) => this.protocolErrors.push(error);
  }

  /** `cli`: the built `dist/cli.js` by default; the packaged extension's for the .vsix test. */
  static async start(repo: string, env: Record<string, string> = {}, args: string[] = ['--repo', repo], cli = CLI): Promise<McpProcess> {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [cli, 'serve', '--mcp', ...args],
      cwd: repo,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', AIL_ALLOW_MODEL_DOWNLOAD: 'false', AIL_COMMIT_GRAPH: 'false', ...env },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'ail-test', version: '1.0.0' });
    const server = new McpProcess(client, transport);
    await client.connect(transport);
    return server;
  }

  get pid(): number {
    return this.transport.pid!;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
