import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createProtocolConnection, InitializedNotification, InitializeRequest, StreamMessageReader, StreamMessageWriter } from 'vscode-languageserver-protocol/node';
import { ContextRequest } from '../../shared/protocol';
import { settingsFromEnv } from '../../shared/settings';
import { Engine } from '../engine';
import type { Progress } from './progress';

/** One question of the bench: a file and 0-based inclusive lines. */
export interface McpTarget {
  file: string;
  start: number;
  end: number;
}

const QUESTION = 'why was this written this way?';
/** Rounds of the same questions once each front end has answered them: L1 hits, where a protocol's cost shows. */
const WARM_ROUNDS = 5;

type Ask = (target: McpTarget) => Promise<{ partial: boolean }>;

interface FrontEnd {
  ask: Ask;
  /** Resolves once the engine has nothing left in the background (files blamed whole after their first question). */
  idle: () => Promise<void>;
  stop: () => Promise<void>;
}

interface FrontEndFigures {
  coldMs: number[];
  warmMs: number[];
  partial: number;
}

export interface McpBench {
  questions: number;
  inProcess: FrontEndFigures;
  lsp: FrontEndFigures;
  mcp: FrontEndFigures;
}

/**
 * `ail bench --mcp`: the same full questions (`why` over MCP, `ail/context` over LSP, `Engine.ask` in
 * this process), each front end with an engine and a data directory of its own, one after another so
 * they never share the machine: first every question cold (nothing blamed, nothing stored), then, once
 * the engine is idle and a cut answer has been dug again, `WARM_ROUNDS` rounds answered from L1, where what is left is the protocol (the process hop, JSON, the
 * SDK's schema checks). The MCP client here is a plain newline-delimited JSON-RPC one, so the figure is
 * the server's cost and the pipe's, not a client library's.
 */
export async function benchMcp(root: string, targets: readonly McpTarget[], progress: Progress): Promise<McpBench> {
  const env = { ...process.env, AIL_INDEX_ENABLED: 'false', AIL_ALLOW_MODEL_DOWNLOAD: 'false', AIL_MAX_QUERY_TIME_S: '60' };
  const run = async (name: string, start: (dataDir: string) => Promise<FrontEnd>): Promise<FrontEndFigures> => {
    const dataDir = mkdtempSync(path.join(tmpdir(), `ail-bench-${name}-`));
    const { ask, idle, stop } = await start(dataDir);
    try {
      const figures: FrontEndFigures = { coldMs: [], warmMs: [], partial: 0 };
      const timed = async (target: McpTarget, into: number[]) => {
        const started = performance.now();
        const answer = await ask(target);
        into.push(performance.now() - started);
        if (answer.partial) figures.partial++;
      };
      for (const [i, target] of targets.entries()) {
        await timed(target, figures.coldMs);
        progress('bench', { done: i + 1, total: targets.length, message: `${name} cold` });
      }
      // The warm rounds time the answer and its protocol, not the whole-file blames the cold questions left running.
      await idle();
      // One untimed round: an answer the time limit cut (partial, never cached) is dug again once, complete, and kept.
      for (const target of targets) await ask(target);
      for (let round = 0; round < WARM_ROUNDS; round++) for (const target of targets) await timed(target, figures.warmMs);
      return figures;
    } finally {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  };

  const inProcess = await run('in-process', async (dataDir) => {
    const engine = new Engine(settingsFromEnv({ ...env, AIL_DATA_DIR: dataDir }), { warmFiles: true });
    return {
      ask: async (target) => ({ partial: Boolean((await engine.ask({ path: path.join(root, target.file), repository: root, lines: { start: target.start, end: target.end }, question: QUESTION, depth: 'full' })).partial) }),
      idle: () => until(() => engine.stats().warming === 0),
      stop: () => engine.dispose(),
    };
  });

  const lsp = await run('lsp', async (dataDir) => {
    const server = spawn(process.execPath, [path.join(__dirname, 'server.js'), '--stdio'], { cwd: root, env: { ...env, AIL_DATA_DIR: dataDir }, stdio: ['pipe', 'pipe', 'ignore'] });
    const connection = createProtocolConnection(new StreamMessageReader(server.stdout), new StreamMessageWriter(server.stdin));
    connection.listen();
    await connection.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: pathToFileURL(root).href, capabilities: {}, workspaceFolders: null });
    await connection.sendNotification(InitializedNotification.type, {});
    return {
      ask: async (target) => {
        const params = { textDocument: { uri: pathToFileURL(path.join(root, target.file)).href }, range: { start: { line: target.start, character: 0 }, end: { line: target.end + 1, character: 0 } }, question: QUESTION };
        return { partial: Boolean((await connection.sendRequest(ContextRequest.type, params)).partial) };
      },
      idle: () => untilIdle(server.pid!),
      stop: async () => {
        connection.dispose();
        server.kill();
      },
    };
  });

  const mcp = await run('mcp', async (dataDir) => {
    const client = await McpStdioClient.start(path.join(__dirname, 'cli.js'), root, { ...env, AIL_DATA_DIR: dataDir });
    return {
      ask: async (target) => {
        const result = (await client.request('tools/call', { name: 'why', arguments: { path: target.file, startLine: target.start + 1, endLine: target.end + 1, question: QUESTION } })) as { isError?: boolean; content: { text: string }[]; structuredContent?: { partial: boolean } };
        if (result.isError) throw new Error(`why refused ${target.file}: ${result.content[0]?.text}`);
        return { partial: Boolean(result.structuredContent?.partial) };
      },
      idle: () => untilIdle(client.pid),
      stop: () => client.stop(),
    };
  });
  return { questions: targets.length, inProcess, lsp, mcp };
}

/** Checks `done` every 20 ms, for at most a minute. */
async function until(done: () => boolean): Promise<void> {
  for (const started = performance.now(); !done() && performance.now() - started < 60_000; ) await new Promise((resolve) => setTimeout(resolve, 20));
}

/**
 * Resolves once a server process has used no CPU for 300 ms (its background work is done; the two
 * servers' work is the same, and this sees it the same way for both), or after a minute.
 */
async function untilIdle(pid: number): Promise<void> {
  const cpu = () => {
    try {
      // utime and stime, fields 14 and 15, counted after the parenthesised command name.
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return Number(fields[11]) + Number(fields[12]);
    } catch {
      return -1; // not Linux, or gone: nothing to wait for
    }
  };
  let last = cpu();
  let quiet = 0;
  for (const started = performance.now(); last >= 0 && quiet < 3 && performance.now() - started < 60_000; ) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = cpu();
    quiet = now === last ? quiet + 1 : 0;
    last = now;
  }
}

/** A plain MCP client over stdio: newline-delimited JSON-RPC, requests matched to responses by id. */
class McpStdioClient {
  private next = 1;
  private buffer = '';
  private readonly pending = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();

  private constructor(private readonly child: ChildProcessByStdio<Writable, Readable, null>) {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      this.buffer += chunk;
      for (let newline = this.buffer.indexOf('\n'); newline >= 0; newline = this.buffer.indexOf('\n')) {
        const line = this.buffer.slice(0, newline).trim();
        this.buffer = this.buffer.slice(newline + 1);
        if (!line) continue;
        const message = JSON.parse(line) as { id?: number; result?: unknown; error?: { message: string } };
        const waiting = message.id === undefined ? undefined : this.pending.get(message.id);
        if (!waiting) continue;
        this.pending.delete(message.id!);
        if (message.error) waiting.reject(new Error(message.error.message));
        else waiting.resolve(message.result);
      }
    });
    child.once('exit', (code) => {
      for (const waiting of this.pending.values()) waiting.reject(new Error(`ail serve --mcp exited with ${code}`));
      this.pending.clear();
    });
  }

  static async start(cli: string, root: string, env: NodeJS.ProcessEnv): Promise<McpStdioClient> {
    const child = spawn(process.execPath, [cli, 'serve', '--mcp', '--repo', root], { cwd: root, env, stdio: ['pipe', 'pipe', 'ignore'] });
    const client = new McpStdioClient(child);
    await client.request('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'ail-bench', version: '1' } });
    client.child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
    return client;
  }

  get pid(): number {
    return this.child.pid!;
  }

  request(method: string, params: unknown): Promise<unknown> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    });
  }

  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end(); // the server stops when its stdin closes
    await exited;
  }
}

/** Prints the figures: per front end, cold and warm p50/p95, and what MCP and LSP add to the in-process answer. */
export function printMcp(result: McpBench, root: string, json: boolean, out: NodeJS.WritableStream): number {
  const figures = (front: FrontEndFigures) => ({ coldMs: percentiles(front.coldMs), warmMs: percentiles(front.warmMs), partial: front.partial });
  const summary = {
    repository: root,
    questions: result.questions,
    warmRounds: WARM_ROUNDS,
    inProcess: figures(result.inProcess),
    lsp: figures(result.lsp),
    mcp: figures(result.mcp),
  };
  const overhead = (front: FrontEndFigures, kind: 'coldMs' | 'warmMs') => {
    const base = percentiles(result.inProcess[kind]);
    const mine = percentiles(front[kind]);
    return { p50: round(mine.p50 - base.p50), p95: round(mine.p95 - base.p95) };
  };
  const withOverhead = { ...summary, overheadMs: { lsp: { cold: overhead(result.lsp, 'coldMs'), warm: overhead(result.lsp, 'warmMs') }, mcp: { cold: overhead(result.mcp, 'coldMs'), warm: overhead(result.mcp, 'warmMs') } } };
  if (json) {
    out.write(`${JSON.stringify(withOverhead, null, 2)}\n`);
    return 0;
  }
  const row = (name: string, front: ReturnType<typeof figures>) =>
    `  ${name.padEnd(26)} cold p50 ${front.coldMs.p50} ms  p95 ${front.coldMs.p95} ms   warm (L1) p50 ${front.warmMs.p50} ms  p95 ${front.warmMs.p95} ms${front.partial ? `   (${front.partial} partial)` : ''}`;
  out.write(
    [
      `bench --mcp: ${result.questions} full questions on ${root}, each front end with its own engine and data directory, one after another`,
      row('in-process Engine.ask', summary.inProcess),
      row('LSP ail/context (stdio)', summary.lsp),
      row('MCP why (stdio)', summary.mcp),
      `  protocol overhead, warm       LSP p50 ${signed(withOverhead.overheadMs.lsp.warm.p50)} ms  p95 ${signed(withOverhead.overheadMs.lsp.warm.p95)} ms   MCP p50 ${signed(withOverhead.overheadMs.mcp.warm.p50)} ms  p95 ${signed(withOverhead.overheadMs.mcp.warm.p95)} ms`,
      `  (cold figures are git's work and vary by more than either protocol costs; warm ones are ${WARM_ROUNDS} rounds answered from L1, once the engine is idle)`,
    ].join('\n') + '\n',
  );
  return 0;
}

function percentiles(values: number[]): { p50: number; p95: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
  return { p50: at(0.5), p95: at(0.95) };
}

function signed(ms: number): string {
  return ms >= 0 ? `+${ms}` : `${ms}`;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
