import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createProtocolConnection,
  DidOpenTextDocumentNotification,
  HoverRequest,
  InitializedNotification,
  InitializeRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type ProtocolConnection,
} from 'vscode-languageserver-protocol/node';
import { ContextRequest, StatsRequest } from '../../shared/protocol';
import { rawGit as git } from '../bench/git';
import { soakLsp, type SoakResult } from './bench-soak';
import type { Progress } from './progress';

export interface LspFile {
  file: string;
  lines: number;
}

export interface LspBench {
  coldHoverMs: number[];
  rawFileBlameMs: number[];
  warmHoverMs: number[];
  cachedContextPerSecond: number;
  rssMbAfter: { queries: number; rssMb: number }[];
  soak: SoakResult;
}

/**
 * The language server over stdio, as an editor uses it: the first hover on a cold file against raw
 * `git blame --porcelain` of that file, hovers on warm files, cached `ail/context` requests sent
 * concurrently, the server's RSS over 10,000 mixed queries, then bursts of hovers (`soakLsp`).
 */
export async function benchLsp(root: string, files: LspFile[], cold: LspFile[], random: () => number, progress: Progress): Promise<LspBench> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ail-bench-lsp-'));
  const server = spawn(process.execPath, [path.join(__dirname, 'server.js'), '--stdio'], {
    cwd: root,
    env: { ...process.env, AIL_DATA_DIR: dataDir, AIL_INDEX_ENABLED: 'false', AIL_ALLOW_MODEL_DOWNLOAD: 'false' },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  const connection = createProtocolConnection(new StreamMessageReader(server.stdout), new StreamMessageWriter(server.stdin));
  connection.listen();
  try {
    await connection.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: pathToFileURL(root).href, capabilities: {}, workspaceFolders: null });
    await connection.sendNotification(InitializedNotification.type, {});
    const uri = (file: string) => pathToFileURL(path.join(root, file)).href;
    const hover = async (file: LspFile) => {
      const started = performance.now();
      await connection.sendRequest(HoverRequest.type, { textDocument: { uri: uri(file.file) }, position: { line: Math.floor(random() * file.lines), character: 0 } });
      return performance.now() - started;
    };

    const coldHoverMs: number[] = [];
    const rawFileBlameMs: number[] = [];
    for (const [i, file] of files.entries()) {
      const rawFirst = i % 2 === 0;
      if (rawFirst) rawFileBlameMs.push(await rawBlame(root, file.file));
      coldHoverMs.push(await hover(file));
      if (!rawFirst) rawFileBlameMs.push(await rawBlame(root, file.file));
      progress('bench', { done: i + 1, total: files.length, message: 'lsp cold hovers' });
    }

    // Warm: each file opened as an editor opens it (blamed whole in the background, its commits read),
    // then hovers on random lines once the server says nothing is warming any more.
    for (const file of files) {
      const text = readFileSync(path.join(root, file.file), 'utf8');
      await connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: uri(file.file), languageId: 'plaintext', version: 1, text } });
    }
    await untilWarm(connection);
    const warmHoverMs: number[] = [];
    for (let i = 0; i < 400; i++) warmHoverMs.push(await hover(files[i % files.length]!));

    // Throughput of cached answers: the same few questions, 5,000 requests in flight in waves of 500.
    const cached = files.slice(0, 5).map((file) => ({ textDocument: { uri: uri(file.file) }, range: { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } } }));
    for (const params of cached) await connection.sendRequest(ContextRequest.type, params);
    const started = performance.now();
    let sent = 0;
    for (let wave = 0; wave < 10; wave++) {
      await Promise.all(Array.from({ length: 500 }, (_, i) => connection.sendRequest(ContextRequest.type, cached[(wave * 500 + i) % cached.length]!)));
      sent += 500;
    }
    const cachedContextPerSecond = Math.round(sent / ((performance.now() - started) / 1000));

    // Memory over 10,000 mixed queries: hovers, context for small ranges, stats.
    // The first sample is taken before them: the 5,000 requests in flight above grow the heap first.
    const rssMbAfter: LspBench['rssMbAfter'] = [{ queries: 0, rssMb: Math.round((await connection.sendRequest(StatsRequest.type)).memoryRssBytes / 1024 / 1024) }];
    for (let done = 0; done < 10_000; ) {
      const file = files[Math.floor(random() * files.length)]!;
      const kind = done % 10;
      if (kind < 7) await hover(file);
      else if (kind < 9) {
        const start = Math.floor(random() * Math.max(1, file.lines - 5));
        await connection.sendRequest(ContextRequest.type, { textDocument: { uri: uri(file.file) }, range: { start: { line: start, character: 0 }, end: { line: start + 3, character: 0 } } });
      } else await connection.sendRequest(StatsRequest.type);
      done++;
      if (done % 2000 === 0) {
        rssMbAfter.push({ queries: done, rssMb: Math.round((await connection.sendRequest(StatsRequest.type)).memoryRssBytes / 1024 / 1024) });
        progress('bench', { done, total: 10_000, message: 'lsp mixed queries' });
      }
    }
    const soak = await soakLsp(connection, root, files, cold, random, progress);
    return { coldHoverMs, rawFileBlameMs, warmHoverMs, cachedContextPerSecond, rssMbAfter, soak };
  } finally {
    await stop(connection);
    server.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Waits until the server blames nothing ahead of hovers (ail/stats `warming`), checking every 20 ms. */
async function untilWarm(connection: ProtocolConnection, limitMs = 600_000): Promise<void> {
  const started = performance.now();
  while ((await connection.sendRequest(StatsRequest.type)).warming > 0) {
    if (performance.now() - started > limitMs) throw new Error(`the server was still blaming opened files after ${limitMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function stop(connection: ProtocolConnection): Promise<void> {
  try {
    await connection.sendRequest('shutdown');
    await connection.sendNotification('exit');
  } catch {
    // gone already
  }
  connection.dispose();
}

async function rawBlame(root: string, file: string): Promise<number> {
  const started = performance.now();
  await git(root, ['blame', '--porcelain', 'HEAD', '--', file]);
  return performance.now() - started;
}
