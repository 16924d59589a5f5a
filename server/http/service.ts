import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { safeJson } from '../../shared/visible';
import type { Engine } from '../engine';
import { isAilError, type AilErrorCode } from '../util/errors';
import { isCancelled } from '../util/flight';
import { BadRequest, configBody, contextBody, resolveInside, type ConfigBody } from './requests';

export interface HttpServiceOptions {
  engine: Engine;
  /** The served repository's work tree (absolute): request paths are relative to it and must stay inside. */
  root: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Request bodies past this are refused with 413. Default 64 KB. */
  maxBodyBytes?: number;
  /** Applies a live change of the semantic cache's rollout or switch; answers the values now in force. */
  configure: (change: ConfigBody) => Required<ConfigBody>;
}

/** The language server's metrics endpoint: `/metrics` and `/health/live` on loopback, nothing that asks or changes anything. */
export type MetricsEndpointOptions = Pick<HttpServiceOptions, 'engine' | 'host' | 'port'>;

type Handler = (request: IncomingMessage, response: ServerResponse, signal: AbortSignal) => Promise<void>;
interface Route {
  method: 'GET' | 'POST';
  handler: Handler;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * AIL as an HTTP service for a team: one repository, the same engine and caches as the language server,
 * JSON in and out, and the operational endpoints (health, Prometheus metrics, a live rollout switch). A
 * front end and nothing more: it checks what a request sent, calls the engine, and writes the answer.
 */
export class HttpService {
  private readonly server: Server;
  private readonly routes = new Map<string, Route>();
  private inFlight = 0;
  private drained: (() => void) | undefined;
  private closing = false;

  private constructor(private readonly options: HttpServiceOptions, routes?: readonly string[]) {
    const { engine, root } = options;
    const all: Record<string, Route> = {
      '/v1/context': { method: 'POST', handler: (request, response, signal) => this.context(request, response, signal) },
      '/v1/stats': { method: 'GET', handler: async (_request, response) => send(response, 200, engine.stats()) },
      '/v1/cache/clear': { method: 'POST', handler: async (_request, response) => send(response, 200, engine.clear()) },
      '/v1/reindex': { method: 'POST', handler: (_request, response, signal) => this.reindex(response, signal) },
      '/v1/config': { method: 'POST', handler: async (request, response) => send(response, 200, this.options.configure(configBody(await readJson(request, this.maxBody)))) },
      '/health/live': { method: 'GET', handler: async (_request, response) => send(response, 200, { live: true }) },
      '/health/ready': {
        method: 'GET',
        handler: async (_request, response) => {
          const health = await engine.health([{ path: root, isFolder: true }]);
          send(response, health.ready ? 200 : 503, health);
        },
      },
      '/metrics': {
        method: 'GET',
        handler: async (_request, response) => {
          const { contentType, text } = await engine.metrics();
          response.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(text);
        },
      },
    };
    for (const [route, entry] of Object.entries(all)) if (!routes || routes.includes(route)) this.routes.set(route, entry);
    this.server = createServer((request, response) => void this.handle(request, response));
    // A client that sends its headers slowly or never does not hold a connection for ever.
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 0; // a question is bounded by AIL_MAX_QUERY_TIME_S, a reindex by nothing but its work
  }

  static start(options: HttpServiceOptions): Promise<HttpService> {
    return HttpService.listen(new HttpService(options));
  }

  static metricsOnly(options: MetricsEndpointOptions): Promise<HttpService> {
    const refuse = () => {
      throw new Error('not served');
    };
    return HttpService.listen(new HttpService({ ...options, root: '/', configure: refuse }, ['/metrics', '/health/live']));
  }

  private static async listen(service: HttpService): Promise<HttpService> {
    const options = service.options;
    await new Promise<void>((resolve, reject) => {
      service.server.once('error', reject);
      service.server.listen(options.port, options.host, () => {
        service.server.off('error', reject);
        resolve();
      });
    });
    return service;
  }

  /** Where it listens: `http://127.0.0.1:8080` (IPv6 hosts in brackets). */
  get url(): string {
    const address = this.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }

  /**
   * Stops accepting connections and resolves once every request in flight has been answered (idle
   * keep-alive connections are closed at once); past `graceMs` the rest are cut.
   */
  async close(graceMs = 30_000): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    if (this.inFlight > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([new Promise<void>((resolve) => (this.drained = resolve)), new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
    }
    this.server.closeAllConnections();
    await closed;
  }

  get requestsInFlight(): number {
    return this.inFlight;
  }

  private get maxBody(): number {
    return this.options.maxBodyBytes ?? 64 * 1024;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    this.inFlight++;
    // The client went away before its answer: the work for it stops (its git processes are killed).
    const controller = new AbortController();
    response.on('close', () => {
      if (!response.writableFinished) controller.abort();
    });
    if (this.closing) response.setHeader('connection', 'close');
    try {
      const url = new URL(request.url ?? '/', 'http://ail');
      const route = this.routes.get(url.pathname.replace(/\/+$/, '') || '/');
      if (!route) return fail(response, 404, 'not-found', `no such endpoint: ${request.method} ${url.pathname}; see docs/operations.md`);
      if (request.method !== route.method && !(route.method === 'GET' && request.method === 'HEAD')) {
        response.setHeader('allow', route.method);
        return fail(response, 405, 'method-not-allowed', `${url.pathname} takes ${route.method}, not ${request.method}`);
      }
      await route.handler(request, response, controller.signal);
    } catch (error) {
      this.failure(response, error);
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) this.drained?.();
    }
  }

  private async context(request: IncomingMessage, response: ServerResponse, signal: AbortSignal): Promise<void> {
    const body = contextBody(await readJson(request, this.maxBody));
    const answer = await this.options.engine.ask({
      path: resolveInside(this.options.root, body.path),
      repository: this.options.root,
      ...(body.range ? { lines: { start: body.range.start - 1, end: body.range.end - 1 } } : {}),
      question: body.question,
      maxEvidence: body.maxEvidence,
      fresh: body.fresh,
      depth: body.depth ?? 'full',
      signal,
    });
    send(response, 200, answer);
  }

  private async reindex(response: ServerResponse, signal: AbortSignal): Promise<void> {
    send(response, 200, await this.options.engine.reindex([{ path: this.options.root, isFolder: true }], signal));
  }

  private failure(response: ServerResponse, error: unknown): void {
    if (response.headersSent) {
      response.destroy();
      return;
    }
    if (error instanceof BadRequest) {
      this.options.engine.rejected(error.field ?? 'body');
      return fail(response, error instanceof TooLarge ? 413 : 400, error instanceof TooLarge ? 'too-large' : 'bad-request', error.message, error.field);
    }
    if (isCancelled(error)) return fail(response, 499, 'cancelled', 'the client closed the request');
    if (isAilError(error)) return fail(response, statusOf(error.code), error.code, error.message);
    // The engine logged and counted it; the client learns no more than that it failed.
    fail(response, 500, 'internal', 'AIL failed to answer; the service log says why');
  }
}

/** A refused question: a file that is not there is 404, a repository not (yet) usable 503, anything else the request's fault. */
function statusOf(code: AilErrorCode): number {
  switch (code) {
    case 'file-missing':
      return 404;
    case 'not-a-repository':
    case 'not-a-work-tree':
    case 'repository-gone':
    case 'empty-repository':
    case 'git-not-found':
    case 'unsafe-repository':
      return 503;
    default:
      return 400;
  }
}

class TooLarge extends BadRequest {}

/**
 * The request's JSON body, at most `limit` bytes; an empty body is `{}`. The Content-Type is not
 * insisted on: `curl -d '{...}'` sends a form's type, and the body is JSON or a clear 400 either way.
 */
async function readJson(request: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new TooLarge(undefined, `the body is ${declared} bytes; the limit is ${limit}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new TooLarge(undefined, `the body is over the limit of ${limit} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new BadRequest(undefined, `the body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  // safeJson: a commit message's control and bidi characters arrive escaped, whatever renders them.
  response.writeHead(status, { 'content-type': JSON_TYPE, 'cache-control': 'no-store' }).end(`${safeJson(body)}\n`);
}

function fail(response: ServerResponse, status: number, code: string, message: string, field?: string): void {
  send(response, status, { error: { code, message, ...(field ? { field } : {}) } });
}
