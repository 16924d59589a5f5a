import { fileURLToPath } from 'node:url';
import { ResponseError, ErrorCodes, LSPErrorCodes, TextDocumentSyncKind, type Connection, type InitializeResult } from 'vscode-languageserver/node';
import { ContextRequest } from '../../shared/protocol';
import type { Settings } from '../../shared/settings';
import type { ContextParams } from '../../shared/types';
import { isAilError } from '../archaeology/errors';
import type { Engine } from '../compose';
import { isCancelled } from '../util/flight';
import { toAbortSignal } from './cancellation';

/** Thin wiring: each LSP message maps to one handler. The logic lives in the engine. */
export function startServer(connection: Connection, engine: Engine, settings: Settings): void {
  connection.onInitialize((): InitializeResult => ({
    capabilities: { textDocumentSync: TextDocumentSyncKind.Incremental },
    serverInfo: { name: 'ail', version: '0.1.0' },
  }));
  connection.onRequest(ContextRequest.type, (params, token) => context(engine, settings, params, toAbortSignal(token)));
  connection.onShutdown(() => engine.dispose());
}

async function context(engine: Engine, settings: Settings, params: ContextParams, signal: AbortSignal) {
  const uri = params?.textDocument?.uri;
  if (typeof uri !== 'string' || !uri.startsWith('file:')) {
    throw new ResponseError(ErrorCodes.InvalidParams, 'textDocument.uri must be a file: URI');
  }
  const range = params.range;
  const lines = range ? { start: range.start.line, end: range.end.character === 0 && range.end.line > range.start.line ? range.end.line - 1 : range.end.line } : undefined;
  try {
    return await engine.provider.ask({
      path: fileURLToPath(uri),
      lines,
      question: params.question,
      maxEvidence: params.maxEvidence,
      timeLimitMs: settings.maxQueryTimeS * 1000,
      signal,
    });
  } catch (error) {
    if (isCancelled(error)) throw new ResponseError(LSPErrorCodes.RequestCancelled, 'request cancelled');
    if (isAilError(error)) throw new ResponseError(ErrorCodes.InvalidParams, error.message);
    throw new ResponseError(ErrorCodes.InternalError, `ail/context failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
