import { createHash } from 'node:crypto';
import type { Octokit } from '@octokit/rest';
import { SingleFlight, isCancelled } from '../util/flight';
import type { Priority, RateBudget } from './budget';
import { MalformedError } from './data';
import type { CacheEntry, CacheKey } from './disk-cache';
import type { EntryStore } from './team-cache';
import { failureOfNetwork, failureOfResponse, scrub, type GitHubFailure, type GitHubResult } from './failure';

/** Asked before every request that goes out: the token may change while the server runs. Undefined: no token (public repositories, the unauthenticated budget). */
export type TokenProvider = () => Promise<string | undefined>;

/** One GitHub resource (one page of a list): where it is, how it is stored, and whether it can still change. */
export interface Endpoint<T> {
  /** For messages: "pull request #7 of octo/repo". */
  what: string;
  route: string;
  params: Record<string, string | number>;
  key: CacheKey;
  /** The fields kept of GitHub's body, under GitHub's names: what the disk cache stores. */
  pick: (raw: unknown) => unknown;
  /** The kept fields as AIL's type; throws MalformedError for what is not one (a bad response, a damaged file). */
  parse: (stored: unknown) => T;
  /** Answers that never change once so: served from the disk for good. */
  immutable: (value: T) => boolean;
}

export interface Page<T> {
  value: T;
  /** GitHub linked a next page. */
  next: boolean;
}

/** One call of the client (several pages share it): its signal, priority and deadline. */
export interface Call {
  signal: AbortSignal;
  priority: Priority;
  timeoutMs: number;
  /** The deadline, not the caller, ended it. */
  timedOut: () => boolean;
  /** Clears the deadline's timer and the listener on the caller's signal. */
  done: () => void;
}

/** The caller's signal and the call's deadline as one signal, remembering which of them ended it. */
export function startCall(options: { signal?: AbortSignal; timeoutMs: number; priority: Priority }): Call {
  const controller = new AbortController();
  const { timeoutMs } = options;
  let timedOut = false;
  const caller = options.signal;
  const onAbort = () => controller.abort();
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, Math.max(1, Math.ceil(timeoutMs)));
  timer.unref();
  if (caller?.aborted) controller.abort();
  else caller?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    priority: options.priority,
    timeoutMs,
    timedOut: () => timedOut && !caller?.aborted,
    done: () => {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onAbort);
    },
  };
}

/** An answer on disk and its value. */
interface Stored<T> {
  entry: CacheEntry;
  value: T;
}

export interface FetcherParts {
  octokit: Octokit;
  token: TokenProvider;
  cache: EntryStore | undefined;
  budget: RateBudget;
  freshMs: number;
  now: () => number;
  log: (line: string) => void;
}

/**
 * How one GitHub resource is had: from the disk while it is fresh (or for good, once it cannot change);
 * else through the rate budget, with GitHub's validators (a 304 costs no budget), the token asked for
 * then; and what GitHub answered, classified. Concurrent look-ups of one resource share one request.
 * Never throws: every outcome is a `GitHubResult`, and no sentence holds the token.
 */
export class Fetcher {
  private readonly flights = new SingleFlight<string, GitHubResult<Page<unknown>>>();
  /** The token of the latest request, scrubbed from anything said afterwards as well. */
  private lastToken: string | undefined;
  private hits = 0;

  constructor(private readonly parts: FetcherParts) {}

  /** Look-ups answered from the disk without a request. */
  get cacheHits(): number {
    return this.hits;
  }

  /** Text made safe to log: without the token of the latest request, nor anything shaped like one. */
  scrub(text: string): string {
    return scrub(text, this.lastToken);
  }

  /** One endpoint (one page): one flight per key, shared by concurrent callers; each caller leaves at its own signal or deadline. */
  async lookUp<T>(endpoint: Endpoint<T>, call: Call): Promise<GitHubResult<Page<T>>> {
    const flightKey = `${endpoint.key.scope} ${endpoint.key.name}`;
    try {
      const result = await this.flights.run(flightKey, (shared) => this.fetchPage(endpoint, call.priority, shared), call.signal);
      return result as GitHubResult<Page<T>>;
    } catch (error) {
      if (call.timedOut()) return { ok: false, failure: { kind: 'github-unavailable', message: `GitHub did not answer within ${call.timeoutMs} ms for ${endpoint.what}` } };
      if (isCancelled(error) || call.signal.aborted) return { ok: false, failure: { kind: 'cancelled', message: 'cancelled' } };
      // A bug of AIL's, not GitHub's: still a value, and still free of the token.
      return { ok: false, failure: { kind: 'github-unavailable', message: scrub(`GitHub look-up failed for ${endpoint.what}: ${String(error)}`, this.lastToken) } };
    }
  }

  private async fetchPage<T>(endpoint: Endpoint<T>, priority: Priority, signal: AbortSignal): Promise<GitHubResult<Page<T>>> {
    const stored = await this.stored(endpoint);
    if (stored && (stored.entry.immutable || this.parts.now() - stored.entry.storedAt < this.parts.freshMs)) {
      this.hits++;
      return { ok: true, value: { value: stored.value, next: stored.entry.next === true }, source: 'cache' };
    }
    const token = await this.currentToken();
    const identity = token ? `token:${createHash('sha256').update(token).digest('hex').slice(0, 16)}` : 'anonymous';
    this.parts.budget.use(identity);
    const refused = this.parts.budget.refusal(identity, priority);
    if (refused) return this.unlessStale(stored, refused);
    const release = await this.parts.budget.acquire(priority, signal);
    try {
      // The budget may have run out, or a wait begun, while this one queued.
      const late = this.parts.budget.refusal(identity, priority);
      if (late) return this.unlessStale(stored, late);
      return await this.send(endpoint, stored, token, identity, signal);
    } finally {
      release();
    }
  }

  private async send<T>(endpoint: Endpoint<T>, stored: Stored<T> | undefined, token: string | undefined, identity: string, signal: AbortSignal): Promise<GitHubResult<Page<T>>> {
    const headers: Record<string, string> = { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (stored?.entry.etag) headers['if-none-match'] = stored.entry.etag;
    else if (stored?.entry.lastModified) headers['if-modified-since'] = stored.entry.lastModified;
    this.parts.budget.sending(identity);
    let response: { status: number; headers: Record<string, string | undefined>; data: unknown };
    try {
      const answer = await this.parts.octokit.request(endpoint.route, { ...endpoint.params, headers, request: { signal } });
      // Octokit copies fetch's headers, which are strings.
      response = { status: answer.status, headers: answer.headers as Record<string, string | undefined>, data: answer.data };
    } catch (error) {
      return this.refused(endpoint, error, stored, token, identity, signal);
    }
    this.parts.budget.answered(identity, response.status, response.headers);
    let kept: unknown;
    let value: T;
    try {
      // A body cut short (Octokit answers an aborted read with an empty body) fails here like any malformed one.
      kept = endpoint.pick(response.data);
      value = endpoint.parse(kept);
    } catch (error) {
      const what = error instanceof MalformedError ? error.message : 'not readable';
      return this.unlessStale(stored, { kind: 'github-unavailable', status: response.status, message: `GitHub's answer for ${endpoint.what} is ${what}` });
    }
    const entry = {
      etag: response.headers.etag,
      lastModified: response.headers['last-modified'],
      storedAt: this.parts.now(),
      immutable: endpoint.immutable(value),
      next: /\brel="next"/.test(response.headers.link ?? ''),
      data: kept,
    };
    await this.parts.cache?.write(endpoint.key, entry);
    return { ok: true, value: { value, next: entry.next }, source: 'network' };
  }

  /** Octokit threw: a 304 (the stored answer holds), a status GitHub refused with, or no response at all. */
  private async refused<T>(endpoint: Endpoint<T>, error: unknown, stored: Stored<T> | undefined, token: string | undefined, identity: string, signal: AbortSignal): Promise<GitHubResult<Page<T>>> {
    const response = (error as { response?: { status: number; headers: Record<string, string | undefined>; data: unknown } }).response;
    if (!response) {
      this.parts.budget.answered(identity, undefined, {});
      if (signal.aborted) return { ok: false, failure: { kind: 'cancelled', message: 'cancelled' } };
      return this.unlessStale(stored, this.clean(failureOfNetwork(error, endpoint.what), token));
    }
    if (response.status === 304 && stored) {
      this.parts.budget.answered(identity, 304, response.headers);
      const refreshed = { ...stored.entry, storedAt: this.parts.now(), etag: response.headers.etag ?? stored.entry.etag };
      await this.parts.cache?.write(endpoint.key, refreshed);
      return { ok: true, value: { value: stored.value, next: refreshed.next === true }, source: 'revalidated' };
    }
    const said = (response.data as { message?: unknown } | undefined)?.message;
    const failure = failureOfResponse({ status: response.status, headers: response.headers, message: typeof said === 'string' ? said : '' }, endpoint.what, this.parts.now(), this.parts.budget.strikes(identity));
    this.parts.budget.answered(identity, response.status, response.headers, failure);
    return this.unlessStale(stored, this.clean(failure, token));
  }

  /** The stored entry and its value, or undefined when there is none or it does not parse (a damaged file is a miss). */
  private async stored<T>(endpoint: Endpoint<T>): Promise<Stored<T> | undefined> {
    const entry = await this.parts.cache?.read(endpoint.key);
    if (!entry) return undefined;
    try {
      return { entry, value: endpoint.parse(entry.data) };
    } catch {
      return undefined;
    }
  }

  /** A stored answer GitHub could not confirm is still worth showing, with the reason beside it; not a pull request GitHub says is gone. */
  private unlessStale<T>(stored: Stored<T> | undefined, failure: GitHubFailure): GitHubResult<Page<T>> {
    if (stored && failure.kind !== 'not-found' && failure.kind !== 'cancelled') {
      return { ok: true, value: { value: stored.value, next: stored.entry.next === true }, source: 'stale', failure };
    }
    return { ok: false, failure };
  }

  private clean(failure: GitHubFailure, token: string | undefined): GitHubFailure {
    return { ...failure, message: scrub(scrub(failure.message, token), this.lastToken) };
  }

  private async currentToken(): Promise<string | undefined> {
    let token: string | undefined;
    try {
      token = (await this.parts.token())?.trim() || undefined;
    } catch {
      // A token that cannot be had (gh failing, say) is no token: public repositories still answer.
      this.parts.log('GitHub: the token could not be read; asking without one');
      token = undefined;
    }
    if (token) this.lastToken = token;
    return token;
  }
}
