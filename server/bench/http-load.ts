import * as http from 'node:http';
import * as https from 'node:https';
import type { AnswerSource } from '../../shared/types';
import type { ContextBody } from './http-workload';

/** One request of a load test, as the client saw it. */
export interface Sample {
  /** When it was sent, in ms from the start of the measured run. */
  at: number;
  /** Round trip: from sending the request to the last byte of the answer. */
  ms: number;
  /** The HTTP status; 0 when no response came (refused, reset, timed out). */
  status: number;
  /** The tier that answered (`source`), for a 200. */
  tier?: AnswerSource;
  /** What the service says the question took (`queryTimeMs`), for a 200. */
  serverMs?: number;
  /** Cut short by the service's time limit. */
  partial?: boolean;
  /** For a failure: the error code of the answer's body, or the network error's. */
  error?: string;
  path: string;
}

export interface LoadOptions {
  /** The service's base URL. */
  base: URL;
  next: () => ContextBody;
  concurrency: number;
  /** Stops after this many requests, or when no request may start after `durationMs`, whichever comes first. */
  requests?: number;
  durationMs?: number;
  /** Stops sending; requests in flight are abandoned. */
  signal: AbortSignal;
  /** A request the service has not answered by then counts as failed ('timeout'). */
  timeoutMs: number;
  onSample?: (sample: Sample, elapsedMs: number) => void;
}

export interface LoadRun {
  samples: Sample[];
  /** From the first request sent to the last answer. */
  elapsedMs: number;
  /** The signal stopped the run before its end. */
  interrupted: boolean;
  /** The service stopped answering: this many connections in a row were refused or reset, and the run ended there. */
  lost?: string;
  /** CPU time the load generator itself used (user and system), ms: on the service's machine, it is taken from the service. */
  clientCpuMs: number;
}

/**
 * A closed loop: `concurrency` clients, each sending the workload's next question as soon as its last one
 * is answered, over kept-alive connections. The requests are drawn in one sequence, so the same seed asks
 * the same questions in the same order whatever the answers' timing (only which client sends one varies).
 */
export async function runLoad(options: LoadOptions): Promise<LoadRun> {
  const client = clientFor(options.base, options.concurrency);
  const endpoint = new URL('v1/context', withSlash(options.base));
  const samples: Sample[] = [];
  const started = performance.now();
  const cpu = process.cpuUsage();
  let sent = 0;
  let refusedInARow = 0;
  let lost: string | undefined;
  const mayStart = () =>
    !options.signal.aborted &&
    lost === undefined &&
    (options.requests === undefined || sent < options.requests) &&
    (options.durationMs === undefined || performance.now() - started < options.durationMs);
  const worker = async () => {
    while (mayStart()) {
      sent++;
      const body = options.next();
      const at = performance.now() - started;
      const reply = await postJson(client, endpoint, body, options.timeoutMs, options.signal);
      if (options.signal.aborted && reply.status === 0) break; // abandoned, not failed
      const sample: Sample = { at, ms: performance.now() - started - at, status: reply.status, path: body.path };
      if (reply.status === 200 && isAnswer(reply.json)) {
        sample.tier = reply.json.source;
        sample.serverMs = reply.json.queryTimeMs;
        if (reply.json.partial) sample.partial = true;
      } else {
        sample.error = reply.error ?? errorCode(reply.json) ?? (reply.status === 200 ? 'not-an-answer' : `http-${reply.status}`);
      }
      samples.push(sample);
      options.onSample?.(sample, performance.now() - started);
      // A service that has gone refuses at once: without this, a run would count refusals until its end.
      refusedInARow = reply.error === 'ECONNREFUSED' || reply.error === 'ECONNRESET' ? refusedInARow + 1 : 0;
      if (refusedInARow >= GONE_AFTER) lost = `${GONE_AFTER} connections in a row failed (${reply.error})`;
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, worker));
  } finally {
    client.agent.destroy();
  }
  const used = process.cpuUsage(cpu);
  return { samples, elapsedMs: performance.now() - started, interrupted: options.signal.aborted, clientCpuMs: (used.user + used.system) / 1000, ...(lost ? { lost } : {}) };
}

/** Refused or reset connections in a row that say the service has gone. */
const GONE_AFTER = 20;

export interface JsonReply {
  status: number;
  json?: unknown;
  /** A network failure: `ECONNREFUSED`, `ECONNRESET`, `timeout`, `aborted`... */
  error?: string;
}

interface Client {
  agent: http.Agent;
  request: typeof http.request;
}

function clientFor(base: URL, sockets: number): Client {
  if (base.protocol === 'https:') return { agent: new https.Agent({ keepAlive: true, maxSockets: sockets }), request: https.request };
  return { agent: new http.Agent({ keepAlive: true, maxSockets: sockets }), request: http.request };
}

/** GET a JSON document (health, stats) with a connection of its own. */
export async function getJson(base: URL, route: string, timeoutMs: number, signal?: AbortSignal): Promise<JsonReply> {
  const client = clientFor(base, 1);
  try {
    return await send(client, new URL(route, withSlash(base)), 'GET', undefined, timeoutMs, signal);
  } finally {
    client.agent.destroy();
  }
}

function postJson(client: Client, url: URL, body: unknown, timeoutMs: number, signal: AbortSignal): Promise<JsonReply> {
  return send(client, url, 'POST', Buffer.from(JSON.stringify(body)), timeoutMs, signal);
}

function send(client: Client, url: URL, method: string, body: Buffer | undefined, timeoutMs: number, signal?: AbortSignal): Promise<JsonReply> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (reply: JsonReply) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(reply);
    };
    const headers: http.OutgoingHttpHeaders = { accept: 'application/json' };
    if (body) Object.assign(headers, { 'content-type': 'application/json', 'content-length': body.length });
    const request = client.request(url, { method, agent: client.agent, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', (error: NodeJS.ErrnoException) => settle({ status: 0, error: error.code ?? error.message }));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        settle({ status: response.statusCode ?? 0, json });
      });
    });
    const fail = (error: string) => {
      settle({ status: 0, error });
      request.destroy();
    };
    const timer = setTimeout(() => fail('timeout'), timeoutMs);
    const onAbort = () => fail('aborted');
    if (signal?.aborted) return fail('aborted');
    signal?.addEventListener('abort', onAbort, { once: true });
    request.on('error', (error: NodeJS.ErrnoException) => settle({ status: 0, error: error.code ?? error.message }));
    request.end(body);
  });
}

function withSlash(base: URL): URL {
  return base.pathname.endsWith('/') ? base : new URL(`${base.href}/`);
}

function isAnswer(json: unknown): json is { source: AnswerSource; queryTimeMs?: number; partial?: boolean } {
  const source = (json as { source?: unknown } | undefined)?.source;
  return source === 'l1' || source === 'l2' || source === 'team' || source === 'cold';
}

/** The `code` of an error answer, `{ "error": { "code": "...", "message": "..." } }`. */
export function errorCode(json: unknown): string | undefined {
  const code = (json as { error?: { code?: unknown } } | undefined)?.error?.code;
  return typeof code === 'string' ? code : undefined;
}

export function errorMessage(json: unknown): string | undefined {
  const message = (json as { error?: { message?: unknown } } | undefined)?.error?.message;
  return typeof message === 'string' ? message : undefined;
}
