import { fileURLToPath } from 'node:url';
import { ErrorCodes, ResponseError, type CancellationToken } from 'vscode-languageserver/node';
import type { RepositoryParams } from '../../shared/protocol';
import type { ContextParams } from '../../shared/types';
import { visible } from '../../shared/visible';

/**
 * What a client sends is checked here before anything uses it, against docs/protocol.md: the first thing
 * wrong, as a sentence that names the field, or undefined. The handlers answer it as `InvalidParams`.
 */

/** The first thing wrong with `ail/context` params. */
export function contextProblem(params: unknown): string | undefined {
  if (!isObject(params)) return `ail/context takes an object with textDocument.uri (got ${shown(params)})`;
  const p = params as Partial<Record<keyof ContextParams, unknown>>;
  const uri = fileUriProblem('textDocument.uri', isObject(p.textDocument) ? p.textDocument.uri : undefined);
  if (uri) return uri;
  if (p.range !== undefined) {
    const range = rangeProblem(p.range);
    if (range) return range;
  }
  if (p.question !== undefined && typeof p.question !== 'string') return `question must be a string (got ${shown(p.question)})`;
  const max = p.maxEvidence;
  if (max !== undefined && !(typeof max === 'number' && Number.isInteger(max) && max >= 1 && max <= 50)) return `maxEvidence must be a whole number from 1 to 50 (got ${shown(max)})`;
  if (p.fresh !== undefined && typeof p.fresh !== 'boolean') return `fresh must be true or false (got ${shown(p.fresh)})`;
  return undefined;
}

/** The first thing wrong with `ail/lineSummary` params. */
export function lineSummaryProblem(params: unknown): string | undefined {
  if (!isObject(params)) return `ail/lineSummary takes an object with textDocument.uri and line (got ${shown(params)})`;
  const uri = fileUriProblem('textDocument.uri', isObject(params.textDocument) ? params.textDocument.uri : undefined);
  if (uri) return uri;
  const line = params.line;
  if (!(typeof line === 'number' && Number.isInteger(line) && line >= 0)) return `line must be a whole, non-negative number (got ${shown(line)})`;
  return undefined;
}

/** The first thing wrong with `ail/setGitHubToken` params. The token itself is never shown. */
export function tokenProblem(params: unknown): string | undefined {
  if (!isObject(params) || !('token' in params)) return 'ail/setGitHubToken takes an object with token (a string, or null to forget it)';
  const token = params.token;
  if (token === null) return undefined;
  if (typeof token !== 'string') return 'token must be a string or null';
  if (token.trim() === '' || token.length > 1024 || /\s/.test(token.trim()) || /[\u0000-\u001f\u007f]/.test(token)) return 'token must be one word of printable characters, at most 1,024';
  return undefined;
}

/** The first thing wrong with the arguments of `ail.askWhy`: `[uri, range?]`. */
export function askWhyProblem(args: unknown): string | undefined {
  const [uri, range] = Array.isArray(args) ? (args as unknown[]) : [];
  if (typeof uri !== 'string' || !uri.startsWith('file:')) return 'ail.askWhy takes a file: URI and an optional range';
  return fileUriProblem('the URI', uri) ?? (range === undefined || range === null ? undefined : rangeProblem(range));
}

/**
 * A request that takes no params. Clients say "nothing" in several ways (omitted, `null`, `{}`, `[]`):
 * all are accepted; anything else is refused by name. vscode-jsonrpc hands a handler what came before
 * the token: `(token)`, `(params, token)` or `(...array, token)`.
 */
export function noParams<R>(method: string, handler: (token: CancellationToken) => R | Promise<R>): (...args: unknown[]) => Promise<R> {
  return async (...args: unknown[]): Promise<R> => {
    const token = args[args.length - 1] as CancellationToken;
    const given = args.slice(0, -1);
    const params = given.length === 1 ? given[0] : given;
    const empty = params === null || (Array.isArray(params) && params.length === 0) || (isObject(params) && Object.keys(params).length === 0);
    if (!empty) {
      const fields = isObject(params) ? Object.keys(params).map((key) => `'${key}'`).join(', ') : shown(params);
      throw new ResponseError(ErrorCodes.InvalidParams, `${method} takes no params (got ${fields})`);
    }
    return handler(token);
  };
}

/**
 * A request that takes no params or `{ uri }` (`ail/health`, `ail/reindex`): the no-params forms of
 * `noParams`, or an object whose one field is `uri`, a `file:` URI of a path on this machine.
 */
export function repositoryParams<R>(method: string, handler: (params: RepositoryParams, token: CancellationToken) => R | Promise<R>): (...args: unknown[]) => Promise<R> {
  return async (...args: unknown[]): Promise<R> => {
    const token = args[args.length - 1] as CancellationToken;
    const given = args.slice(0, -1);
    const params = given.length === 1 ? given[0] : given;
    if (params === null || (Array.isArray(params) && params.length === 0)) return handler({}, token);
    if (!isObject(params)) throw new ResponseError(ErrorCodes.InvalidParams, `${method} takes no params or { uri } (got ${shown(params)})`);
    const others = Object.keys(params).filter((key) => key !== 'uri');
    if (others.length > 0) throw new ResponseError(ErrorCodes.InvalidParams, `${method} takes no params or { uri } (got ${others.map((key) => `'${key}'`).join(', ')})`);
    if (params.uri === undefined || params.uri === null) return handler({}, token);
    const problem = fileUriProblem('uri', params.uri);
    if (problem) throw new ResponseError(ErrorCodes.InvalidParams, problem);
    return handler({ uri: params.uri as string }, token);
  };
}

function fileUriProblem(field: string, uri: unknown): string | undefined {
  if (typeof uri !== 'string' || !uri.startsWith('file:')) return `${field} must be a file: URI`;
  let local: string | undefined;
  try {
    local = fileURLToPath(uri);
  } catch {
    // file://host/x, an encoded slash: a URI, but of no file here.
  }
  if (local === undefined || local.includes('\0')) return `${field} must be a file: URI of a path on this machine (got ${shown(uri)})`;
  return undefined;
}

function rangeProblem(range: unknown): string | undefined {
  const line = (value: unknown) => typeof value === 'number' && Number.isInteger(value) && value >= 0;
  const { start, end } = isObject(range) ? range : ({} as Record<string, unknown>);
  if (!isObject(start) || !isObject(end) || !line(start.line) || !line(end.line)) return 'range must have start and end positions with whole, non-negative line numbers';
  for (const [name, position] of [['start', start], ['end', end]] as const) {
    if (position.character !== undefined && !line(position.character)) return `range.${name}.character must be a whole, non-negative number (got ${shown(position.character)})`;
  }
  if ((end.line as number) < (start.line as number)) return `range ends (line ${(end.line as number) + 1}) before it starts (line ${(start.line as number) + 1})`;
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value a client sent, as it appears in a sentence: JSON, cut short, control characters visible. */
function shown(value: unknown): string {
  const json = value === undefined ? 'nothing' : (JSON.stringify(value) ?? String(value));
  return visible(json.length > 60 ? `${json.slice(0, 59)}…` : json);
}
