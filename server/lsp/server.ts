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
  const problem = checkParams(params);
  if (problem) throw new ResponseError(ErrorCodes.InvalidParams, problem);
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

/** The first thing wrong with ail/context params, as a sentence, or undefined. */
function checkParams(params: ContextParams): string | undefined {
  const line = (value: unknown) => typeof value === 'number' && Number.isInteger(value) && value >= 0;
  if (params.range !== undefined) {
    const { start, end } = params.range ?? {};
    if (!start || !end || !line(start.line) || !line(end.line)) return 'range must have start and end positions with whole, non-negative line numbers';
    if (end.line < start.line) return `range ends (line ${end.line + 1}) before it starts (line ${start.line + 1})`;
  }
  if (params.question !== undefined && typeof params.question !== 'string') return 'question must be a string';
  if (params.maxEvidence !== undefined && !(Number.isInteger(params.maxEvidence) && params.maxEvidence >= 1 && params.maxEvidence <= 50)) {
    return `maxEvidence must be a whole number from 1 to 50 (got ${JSON.stringify(params.maxEvidence)})`;
  }
  return undefined;
}
