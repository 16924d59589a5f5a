import * as path from 'node:path';

/**
 * The bodies the HTTP service accepts, checked field by field before anything uses them: each problem
 * is one sentence naming the field, as `ail/context`'s params are checked in the language server.
 */

/** `POST /v1/context`: a path relative to the served repository, lines 1-based and inclusive. */
export interface ContextBody {
  path: string;
  range?: { start: number; end: number };
  question?: string;
  maxEvidence?: number;
  fresh?: boolean;
  depth?: 'quick' | 'full';
}

/** `POST /v1/config`: what may change while the service runs, by the names of the environment file. */
export interface ConfigBody {
  FAISS_ROLLOUT?: number;
  AIL_FAISS_ENABLED?: boolean;
}

export class BadRequest extends Error {
  constructor(readonly field: string | undefined, message: string) {
    super(message);
    this.name = 'BadRequest';
  }
}

const MAX_QUESTION = 2000;
const MAX_LINE = 10_000_000;

export function contextBody(body: unknown): ContextBody {
  const object = objectOf(body, ['path', 'range', 'question', 'maxEvidence', 'fresh', 'depth']);
  const file = object.path;
  if (typeof file !== 'string' || file.trim() === '') throw new BadRequest('path', 'path must be a file path relative to the repository, such as "src/index.ts"');
  if (file.includes('\0')) throw new BadRequest('path', 'path must not contain a NUL character');
  const result: ContextBody = { path: file };
  if (object.range !== undefined && object.range !== null) {
    const range = object.range as Record<string, unknown>;
    if (typeof range !== 'object' || Array.isArray(range)) throw new BadRequest('range', 'range must be an object { "start": line, "end": line } (1-based, inclusive)');
    const extra = Object.keys(range).find((key) => key !== 'start' && key !== 'end');
    if (extra) throw new BadRequest(`range.${extra}`, `range has no field "${extra}": it is { "start": line, "end": line }`);
    const line = (name: 'start' | 'end', value: unknown) => {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_LINE) throw new BadRequest(`range.${name}`, `range.${name} must be a line number from 1 (got ${JSON.stringify(value) ?? 'nothing'})`);
      return value;
    };
    const start = line('start', range.start);
    const end = range.end === undefined ? start : line('end', range.end);
    if (end < start) throw new BadRequest('range.end', `range.end (${end}) is before range.start (${start})`);
    result.range = { start, end };
  }
  if (object.question !== undefined && object.question !== null) {
    if (typeof object.question !== 'string') throw new BadRequest('question', 'question must be a string');
    if (object.question.length > MAX_QUESTION) throw new BadRequest('question', `question is longer than ${MAX_QUESTION} characters`);
    if (object.question.trim() !== '') result.question = object.question;
  }
  if (object.maxEvidence !== undefined && object.maxEvidence !== null) {
    const n = object.maxEvidence;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 50) throw new BadRequest('maxEvidence', 'maxEvidence must be a whole number from 1 to 50');
    result.maxEvidence = n;
  }
  if (object.fresh !== undefined && object.fresh !== null) {
    if (typeof object.fresh !== 'boolean') throw new BadRequest('fresh', 'fresh must be true or false');
    result.fresh = object.fresh;
  }
  if (object.depth !== undefined && object.depth !== null) {
    if (object.depth !== 'quick' && object.depth !== 'full') throw new BadRequest('depth', 'depth must be "quick" (blame only, as a hover) or "full"');
    result.depth = object.depth;
  }
  return result;
}

/**
 * The absolute path of a request's file, which must lie inside the served repository. Checked on the
 * words here (`..`, an absolute path elsewhere), and again by the engine on the real path (symbolic links).
 */
export function resolveInside(root: string, file: string): string {
  const absolute = path.resolve(root, file);
  const relative = path.relative(root, absolute);
  if (relative === '' || relative.startsWith(`..${path.sep}`) || relative === '..' || path.isAbsolute(relative)) {
    throw new BadRequest('path', `path ${JSON.stringify(file)} is outside the served repository`);
  }
  return absolute;
}

export function configBody(body: unknown): ConfigBody {
  const object = objectOf(body, ['FAISS_ROLLOUT', 'AIL_FAISS_ENABLED'], (key) => `${key} cannot change while AIL runs: only FAISS_ROLLOUT and AIL_FAISS_ENABLED can (others need a restart)`);
  const result: ConfigBody = {};
  if (object.FAISS_ROLLOUT !== undefined) {
    const n = object.FAISS_ROLLOUT;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 100) throw new BadRequest('FAISS_ROLLOUT', 'FAISS_ROLLOUT must be a whole number from 0 to 100');
    result.FAISS_ROLLOUT = n;
  }
  if (object.AIL_FAISS_ENABLED !== undefined) {
    if (typeof object.AIL_FAISS_ENABLED !== 'boolean') throw new BadRequest('AIL_FAISS_ENABLED', 'AIL_FAISS_ENABLED must be true or false');
    result.AIL_FAISS_ENABLED = object.AIL_FAISS_ENABLED;
  }
  if (result.FAISS_ROLLOUT === undefined && result.AIL_FAISS_ENABLED === undefined) throw new BadRequest(undefined, 'the body names nothing to change: send { "FAISS_ROLLOUT": 0-100 } and/or { "AIL_FAISS_ENABLED": true|false }');
  return result;
}

function objectOf(body: unknown, fields: readonly string[], unknownField = (key: string) => `unknown field "${key}": the body takes ${fields.join(', ')}`): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new BadRequest(undefined, 'the body must be a JSON object');
  const extra = Object.keys(body).find((key) => !fields.includes(key));
  if (extra) throw new BadRequest(extra, unknownField(extra));
  return body as Record<string, unknown>;
}
