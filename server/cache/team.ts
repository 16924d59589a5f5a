import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { RedisClientType } from '@redis/client';
import type { ArchaeologyContext, TeamState } from '../../shared/types';

/** How the team tier is reached: `redis://` or `rediss://` (TLS), with a user and password when the server asks. */
export interface TeamSettings {
  teamRedisUrl: string | undefined;
  /** How long a lookup may take before the question is dug locally. */
  teamBudgetMs: number;
}

/** What a lookup found. `unavailable`: Redis is down, slow, full or refusing: the caller digs locally and says so. */
export type TeamLookup<T> = { kind: 'hit'; value: T } | { kind: 'miss' } | { kind: 'unavailable' };

/** The prefix of every key AIL writes: `ail:<format>:<kind>:<sha256>`, so that one `--scan --pattern 'ail:*'` finds them all. */
export const TEAM_KEY_PREFIX = 'ail:1:';
/** Answers are keyed by content (HEAD, blob, question), so they never go stale; the TTL only bounds what a team keeps. */
export const ANSWER_TTL_S = 7 * 24 * 3600;
/** A value larger than this (compressed) is not shared: a team's Redis holds many small answers, not a few huge ones. */
export const MAX_VALUE_BYTES = 512 * 1024;

const RETRY_AFTER_REFUSAL_MS = 5000;
/** RESP's bulk string: read as bytes, for the compressed values. */
const BLOB_STRING = 36;
const MAGIC = Buffer.from('AIL\u0001', 'latin1');

/**
 * The shared tier: one Redis for every AIL server of a team. Optional and never in the way: a lookup
 * races `teamBudgetMs`, commands fail at once while the connection is down (no offline queue), the
 * client reconnects with capped backoff, and each failure leaves the state `down`, `slow`, `full` or
 * `refused` with a reason (never the URL: it may hold a password). Values are versioned and compressed;
 * one that does not decode is a miss.
 */
export class TeamCache {
  private client: RedisClientType | undefined;
  private connecting: Promise<void> | undefined;
  private status: TeamState['state'] = 'connecting';
  /** After a first connection that failed, the next is tried no sooner than this (lookups fail at once meanwhile). */
  private retryAt = 0;
  private reason: string | undefined;
  private disposed = false;
  hits = 0;
  misses = 0;
  /** Lookups and writes that failed (down, slow, full, refused) or values that did not decode. */
  errors = 0;
  written = 0;

  constructor(private settings: TeamSettings & { teamRedisUrl: string }, private readonly log: (message: string) => void = () => undefined) {}

  state(): TeamState {
    return { state: this.status, hits: this.hits, misses: this.misses, errors: this.errors, written: this.written, ...(this.reason ? { reason: this.reason } : {}) };
  }

  /** The value under `key`, decoded and checked by `accept`, within the budget. */
  async get<T>(key: string, accept: (value: unknown) => value is T): Promise<TeamLookup<T>> {
    const reply = await this.command((client, signal) => (client.withCommandOptions({ abortSignal: signal, typeMapping: { [BLOB_STRING]: Buffer } }) as unknown as RedisClientType).get(key) as unknown as Promise<Buffer | null>);
    if (reply.kind === 'failed') {
      this.errors++;
      return { kind: 'unavailable' };
    }
    if (reply.value === null) {
      this.misses++;
      return { kind: 'miss' };
    }
    const value = decode(reply.value);
    if (value === undefined || !accept(value)) {
      // Another version's value, a truncated write, garbage: a miss, and counted, never an error.
      this.misses++;
      this.errors++;
      this.log(`team cache: a value under ${key.slice(0, TEAM_KEY_PREFIX.length + 12)}… did not decode; it is treated as a miss`);
      return { kind: 'miss' };
    }
    this.hits++;
    return { kind: 'hit', value: value as T };
  }

  /** Stores `value` under `key` for `ttlS` seconds; false when Redis did not take it (down, slow, full) or it is too large to share. */
  async set(key: string, value: unknown, ttlS: number): Promise<boolean> {
    const encoded = encode(value);
    if (encoded.length > MAX_VALUE_BYTES) return true; // not shared, and not a failure of Redis
    const reply = await this.command((client, signal) => client.withAbortSignal(signal).set(key, encoded, { expiration: { type: 'EX', value: ttlS } }));
    if (reply.kind === 'failed') {
      this.errors++;
      return false;
    }
    this.written++;
    return true;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const client = this.client;
    this.client = undefined;
    if (client) destroy(client);
  }

  /** Runs one command within the budget; a failure sets the state and its reason, a success sets `ready`. */
  private async command<R>(run: (client: RedisClientType, signal: AbortSignal) => Promise<R>): Promise<{ kind: 'ok'; value: R } | { kind: 'failed' }> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<'slow'>((resolve) => {
      // One turn of the event loop past the budget: a reply that arrived while the loop was busy (a blame
      // being parsed) is read in that turn's poll phase and wins, rather than losing to a late timer.
      timer = setTimeout(() => setImmediate(() => resolve('slow')), this.settings.teamBudgetMs);
    });
    try {
      const client = await Promise.race([this.connected(), budget]);
      if (client === 'slow' || client === undefined) {
        if (client === 'slow' && this.status === 'connecting') this.fail('down', `no connection within ${this.settings.teamBudgetMs} ms`);
        return { kind: 'failed' };
      }
      const result = await Promise.race([run(client, controller.signal).then((value) => ({ value })), budget]);
      if (result === 'slow') {
        controller.abort();
        this.fail('slow', `Redis did not answer within ${this.settings.teamBudgetMs} ms`);
        return { kind: 'failed' };
      }
      this.ready();
      return { kind: 'ok', value: result.value };
    } catch (error) {
      if (/^OOM\b/.test(error instanceof Error ? error.message : String(error))) this.fail('full', 'Redis is full and refuses writes (maxmemory with noeviction)');
      else this.failWith(error);
      return { kind: 'failed' };
    } finally {
      clearTimeout(timer);
    }
  }

  /** The client once connected; undefined while it cannot be (it keeps trying in the background). */
  private async connected(): Promise<RedisClientType | undefined> {
    if (this.client?.isReady) return this.client;
    if (this.client) return undefined; // reconnecting with backoff: commands fail at once meanwhile
    if (Date.now() < this.retryAt) return undefined;
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    await this.connecting;
    const client = this.client as RedisClientType | undefined; // set by connect()
    return client?.isReady ? client : undefined;
  }

  private async connect(): Promise<void> {
    const { createClient } = await import('@redis/client');
    const client = createClient({
      url: this.settings.teamRedisUrl,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: 2000,
        // 100 ms, 200 ms, ... up to 5 s between attempts, for as long as the process runs.
        reconnectStrategy: (retries: number) => Math.min(100 * 2 ** Math.min(retries, 6), 5000),
      },
    }) as unknown as RedisClientType;
    // The first error (nothing listening, a wrong password) ends the wait at once: the client keeps
    // trying in the background, and lookups fail at once meanwhile rather than each waiting the budget.
    const firstError = new Promise<void>((resolve) => client.once('error', () => resolve()));
    client.on('error', (error: unknown) => this.failWith(error));
    client.on('ready', () => this.ready());
    if (this.disposed) return;
    this.client = client;
    const connected = client.connect().then(
      () => undefined,
      (error: unknown) => {
        if (this.client !== client) return; // disposed: nothing to say
        // Given up at the first attempt (a wrong password, TLS to a plain port): tried again at a lookup after a pause.
        this.client = undefined;
        destroy(client);
        this.failWith(error);
        this.retryAt = Date.now() + RETRY_AFTER_REFUSAL_MS;
      },
    );
    await Promise.race([connected, firstError]);
  }

  private failWith(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (/WRONGPASS|NOAUTH|NOPERM|invalid password|invalid username/i.test(message)) this.fail('refused', 'Redis refused the credentials of AIL_REDIS_URL');
    else this.fail('down', redact(message));
  }

  private ready(): void {
    if (this.status !== 'ready') this.log('team cache: connected to Redis');
    this.status = 'ready';
    this.reason = undefined;
  }

  private fail(state: Exclude<TeamState['state'], 'ready' | 'connecting'>, reason: string): void {
    if (this.status !== state || this.reason !== reason) this.log(`team cache: ${reason}; answers come from local git meanwhile`);
    this.status = state;
    this.reason = reason;
  }
}

function destroy(client: RedisClientType): void {
  try {
    client.destroy();
  } catch {
    // already closed
  }
}

/** `AIL1` then the JSON, deflated. */
export function encode(value: unknown): Buffer {
  return Buffer.concat([MAGIC, deflateRawSync(Buffer.from(JSON.stringify(value), 'utf8'))]);
}

/** The value, or undefined for anything that is not one of ours of this format. */
export function decode(raw: Buffer | string): unknown {
  const buffer = typeof raw === 'string' ? Buffer.from(raw, 'latin1') : raw;
  if (buffer.length < MAGIC.length || !buffer.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  try {
    return JSON.parse(inflateRawSync(buffer.subarray(MAGIC.length), { maxOutputLength: 16 * MAX_VALUE_BYTES }).toString('utf8'));
  } catch {
    return undefined;
  }
}

/** An error message without what a URL may carry: `redis://user:secret@host` never reaches a log. */
function redact(message: string): string {
  return message.replace(/rediss?:\/\/[^\s@/]*@/g, 'redis://…@');
}

/** Whether a decoded value has the shape of a shared answer (what the answer tier reads back). */
export function isSharedAnswer(value: unknown): value is Omit<ArchaeologyContext, 'question' | 'source' | 'queryTimeMs'> {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.file === 'string' &&
    typeof v.headSha === 'string' &&
    typeof v.summary === 'string' &&
    typeof v.confidence === 'number' &&
    Array.isArray(v.evidence) &&
    Array.isArray(v.authors) &&
    Array.isArray(v.warnings) &&
    !!v.timeline &&
    typeof v.timeline === 'object'
  );
}
