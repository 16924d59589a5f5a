import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CodeLensRefreshRequest,
  ConfigurationRequest,
  createProtocolConnection,
  InitializeRequest,
  InitializedNotification,
  LogMessageNotification,
  RegistrationRequest,
  ShowMessageNotification,
  StreamMessageReader,
  StreamMessageWriter,
  WorkDoneProgressCreateRequest,
  type ClientCapabilities,
  type ProtocolConnection,
  type ResponseMessage,
} from 'vscode-languageserver-protocol/node';
import { StatusNotification } from '../../shared/protocol';
import type { CacheStats } from '../../shared/types';

export const SERVER = path.resolve(__dirname, '../../dist/server.js');

/**
 * A language client for tests: spawns the built `dist/server.js --stdio`, answers
 * `workspace/configuration` from a map the test can change, and records what the server sends.
 */
export class TestClient {
  readonly connection: ProtocolConnection;
  readonly messages: string[] = [];
  /** What the server logged (window/logMessage), in order. */
  readonly logs: string[] = [];
  readonly progress: unknown[] = [];
  readonly statuses: CacheStats[] = [];
  /** The `ail` section the server pulls; change it, then send didChangeConfiguration. */
  config: Record<string, unknown> = {};
  stderr = '';
  private readonly statusWaiters: { test: (stats: CacheStats) => boolean; resolve: (stats: CacheStats) => void }[] = [];

  private constructor(readonly server: ChildProcessWithoutNullStreams) {
    this.connection = createProtocolConnection(new StreamMessageReader(server.stdout), new StreamMessageWriter(server.stdin));
    server.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
    this.connection.onRequest(ConfigurationRequest.type, (params) => params.items.map((item) => (item.section === 'ail' ? this.config : null)));
    this.connection.onRequest(RegistrationRequest.type, () => undefined);
    this.connection.onRequest(WorkDoneProgressCreateRequest.type, () => undefined);
    this.connection.onRequest(CodeLensRefreshRequest.type, () => {
      this.codeLensRefreshes++;
    });
    this.connection.onNotification(ShowMessageNotification.type, (params) => {
      this.messages.push(params.message);
      for (const waiter of this.messageWaiters.splice(0)) waiter();
    });
    this.connection.onNotification(LogMessageNotification.type, (params) => {
      this.logs.push(params.message);
    });
    this.connection.onNotification('$/progress', (params: unknown) => {
      this.progress.push(params);
      for (const waiter of this.progressWaiters.splice(0)) waiter();
    });
    this.connection.onNotification(StatusNotification.type, (stats) => {
      this.statuses.push(stats);
      for (const waiter of [...this.statusWaiters]) {
        if (waiter.test(stats)) {
          this.statusWaiters.splice(this.statusWaiters.indexOf(waiter), 1);
          waiter.resolve(stats);
        }
      }
    });
    this.connection.listen();
  }

  /**
   * Starts `node dist/server.js --stdio` (or another command line, e.g. the CLI's `serve --stdio`) in
   * `root`, with `root` as the workspace folder, or `folders` (a multi-root workspace).
   */
  static async start(
    root: string,
    env: NodeJS.ProcessEnv,
    capabilities: ClientCapabilities = defaultCapabilities(),
    args: string[] = [SERVER, '--stdio'],
    initializationOptions?: unknown,
    folders: string[] = [root],
  ): Promise<TestClient> {
    const server = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env } });
    const client = new TestClient(server);
    const result = await client.connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: pathToFileURL(root).href,
      capabilities,
      workspaceFolders: folders.map(workspaceFolder),
      initializationOptions,
    });
    client.capabilities = result.capabilities;
    await client.connection.sendNotification(InitializedNotification.type, {});
    return client;
  }

  capabilities: unknown;
  codeLensRefreshes = 0;

  /** Resolves with the first window/showMessage text (already received or to come) that matches. */
  async message(pattern: RegExp): Promise<string> {
    for (;;) {
      const found = this.messages.find((message) => pattern.test(message));
      if (found) return found;
      await new Promise<void>((resolve) => this.messageWaiters.push(resolve));
    }
  }

  private readonly messageWaiters: (() => void)[] = [];
  private readonly progressWaiters: (() => void)[] = [];

  /** Resolves when a `window/workDoneProgress` with this title has begun and ended (already or to come); with its messages. */
  async progressEnded(title: string): Promise<string[]> {
    for (;;) {
      const events = this.progress as { token: string | number; value: { kind: string; title?: string; message?: string } }[];
      const begun = events.find((event) => event.value.kind === 'begin' && event.value.title === title);
      const mine = begun ? events.filter((event) => event.token === begun.token) : [];
      if (mine.some((event) => event.value.kind === 'end')) return mine.map((event) => event.value.message ?? '');
      await new Promise<void>((resolve) => this.progressWaiters.push(resolve));
    }
  }

  /** Resolves with the first status (already received or to come) that passes the test. */
  status(test: (stats: CacheStats) => boolean): Promise<CacheStats> {
    const seen = this.statuses.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.statusWaiters.push({ test, resolve }));
  }

  async stop(): Promise<void> {
    try {
      await this.connection.sendRequest('shutdown');
      await this.connection.sendNotification('exit');
    } catch {
      // already gone
    }
    this.connection.dispose();
    if (this.server.exitCode === null && this.server.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.server.once('exit', () => resolve()));
      this.server.kill();
      await exited;
    }
  }
}

/** A folder as `initialize` and `workspace/didChangeWorkspaceFolders` name it. */
export function workspaceFolder(folder: string): { uri: string; name: string } {
  return { uri: pathToFileURL(folder).href, name: path.basename(folder) };
}

export function defaultCapabilities(): ClientCapabilities {
  return {
    workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true }, codeLens: { refreshSupport: true } },
    window: { workDoneProgress: true },
    textDocument: { hover: { contentFormat: ['markdown', 'plaintext'] }, codeLens: {} },
  };
}

/**
 * JSON-RPC as any client may write it, including what vscode-jsonrpc never sends (`params: null`): each
 * request is written as it is given, and answered with the raw response. It declares no capabilities,
 * so the server sends it no requests of its own.
 */
export class RawClient {
  private nextId = 1;
  private readonly waiting = new Map<number, (response: ResponseMessage) => void>();

  private constructor(readonly server: ChildProcessWithoutNullStreams) {
    new StreamMessageReader(server.stdout).listen((message) => {
      const response = message as ResponseMessage;
      if (typeof response.id === 'number' && !('method' in message)) this.waiting.get(response.id)?.(response);
    });
  }

  static async start(root: string, env: NodeJS.ProcessEnv): Promise<RawClient> {
    const client = new RawClient(spawn(process.execPath, [SERVER, '--stdio'], { cwd: root, env: { ...process.env, ...env } }));
    await client.request('initialize', { processId: process.pid, rootUri: pathToFileURL(root).href, capabilities: {}, workspaceFolders: [{ uri: pathToFileURL(root).href, name: path.basename(root) }] });
    client.write({ jsonrpc: '2.0', method: 'initialized', params: {} });
    return client;
  }

  /** Sends `params` as given (`undefined`: no params member at all) and resolves with the response. */
  request(method: string, params?: unknown): Promise<ResponseMessage> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.write({ jsonrpc: '2.0', id, method, params });
    });
  }

  async stop(): Promise<void> {
    await this.request('shutdown');
    this.write({ jsonrpc: '2.0', method: 'exit' });
    this.server.kill();
  }

  private write(message: object): void {
    const body = Buffer.from(JSON.stringify(message), 'utf8');
    this.server.stdin.write(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'ascii'), body]));
  }
}
