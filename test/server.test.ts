import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProtocolConnection, InitializeRequest, StreamMessageReader, StreamMessageWriter, type ProtocolConnection } from 'vscode-languageserver-protocol/node';
import { ContextRequest } from '../shared/protocol';
import { ALICE, Fixture, lines } from './helpers/fixture';

const SERVER = path.resolve(__dirname, '../dist/server.js');

/** The built server over stdio, as an editor starts it: `node dist/server.js --stdio`. */
describe('dist/server.js --stdio answers ail/context', () => {
  const repo = Fixture.create();
  let server: ChildProcessWithoutNullStreams;
  let connection: ProtocolConnection;
  let sha = '';
  beforeAll(async () => {
    repo.write('src/queue.ts', lines(20));
    sha = repo.commit('Bound the job queue at twenty entries to apply back-pressure (#31)', ALICE);
    server = spawn(process.execPath, [SERVER, '--stdio'], { cwd: repo.root });
    connection = createProtocolConnection(new StreamMessageReader(server.stdout), new StreamMessageWriter(server.stdin));
    connection.listen();
    await connection.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: pathToFileURL(repo.root).href, capabilities: {}, workspaceFolders: null });
  });
  afterAll(() => {
    connection.dispose();
    server.kill();
    repo.cleanup();
  });

  it('answers a range with evidence', async () => {
    const uri = pathToFileURL(repo.path('src/queue.ts')).href;
    const context = await connection.sendRequest(ContextRequest.type, {
      textDocument: { uri },
      range: { start: { line: 2, character: 0 }, end: { line: 4, character: 0 } },
      question: 'why twenty?',
    });
    expect(context.file).toBe('src/queue.ts');
    expect(context.range).toEqual({ start: { line: 2, character: 0 }, end: { line: 4, character: 0 } });
    expect(context.evidence[0]!.commit.sha).toBe(sha);
    expect(context.evidence[0]!.blamedLines).toBe(2);
    expect(context.evidence[0]!.pullRequest?.number).toBe(31);
  });

  it('refuses bad params with a message that names the problem', async () => {
    await expect(connection.sendRequest(ContextRequest.type, { textDocument: { uri: 'untitled:Untitled-1' } })).rejects.toMatchObject({
      message: 'textDocument.uri must be a file: URI',
    });
    const uri = pathToFileURL(repo.path('src/queue.ts')).href;
    await expect(
      connection.sendRequest(ContextRequest.type, { textDocument: { uri }, range: { start: { line: 899, character: 0 }, end: { line: 899, character: 3 } } }),
    ).rejects.toMatchObject({ message: 'line 900 is past the end of the file (20 lines)' });
    await expect(connection.sendRequest(ContextRequest.type, { textDocument: { uri }, maxEvidence: 0 })).rejects.toMatchObject({
      message: 'maxEvidence must be a whole number from 1 to 50 (got 0)',
    });
    await expect(
      connection.sendRequest(ContextRequest.type, { textDocument: { uri }, range: { start: { line: 5, character: 0 }, end: { line: 2, character: 0 } } }),
    ).rejects.toMatchObject({ message: 'range ends (line 3) before it starts (line 6)' });
  });
});
