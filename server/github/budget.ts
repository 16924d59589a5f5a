import { CancelledError } from '../util/flight';
import { clock, type GitHubFailure } from './failure';

/** A question somebody waits for (a hover, the panel) or work done ahead of one (warming, prefetch). */
export type Priority = 'interactive' | 'background';

/** The rate budget as the status bar and `ail/stats` show it. Times are epoch ms. */
export interface RateState {
  /** From GitHub's last answer for the current token (unknown before the first). */
  limit?: number;
  remaining?: number;
  resetAt?: number;
  /** No request is sent before this time: the limit is used up, or GitHub asked AIL to slow down. */
  limitedUntil?: number;
  /** Requests kept for interactive questions: background work stops when only these are left. */
  reserve: number;
  inFlight: number;
  queued: number;
  /** Requests sent since start, those GitHub counted against the budget, and the 304s it did not. */
  sent: number;
  spent: number;
  notModified: number;
}

interface Bucket {
  limit?: number;
  remaining?: number;
  resetAt?: number;
  limitedUntil?: number;
  /** Secondary limits in a row without a success between them: the back-off doubles. */
  strikes: number;
  inFlight: number;
}

interface Waiter {
  start: () => void;
}

export interface BudgetOptions {
  /** Requests in flight at once (GitHub's advice is one at a time per token; a few keep a hover from waiting on warming). */
  maxInFlight?: number;
  /** Share of the limit kept for interactive questions (at least `minReserve` requests). */
  reserveShare?: number;
  minReserve?: number;
  now?: () => number;
  onChange?: (state: RateState) => void;
}

/**
 * GitHub's rate limits, per token (each token, and no token, is a budget of its own): what GitHub said
 * is left (`x-ratelimit-*`), the waits it asked for (`retry-after`, secondary limits), the reserve
 * background work may not touch, and the few requests allowed in flight, interactive ones first.
 */
export class RateBudget {
  private readonly buckets = new Map<string, Bucket>();
  private current = 'anonymous';
  private active = 0;
  private readonly waiting: Record<Priority, Waiter[]> = { interactive: [], background: [] };
  private readonly maxInFlight: number;
  private readonly reserveShare: number;
  private readonly minReserve: number;
  private readonly now: () => number;
  private readonly onChange: (state: RateState) => void;
  private sent = 0;
  private spent = 0;
  private notModified = 0;

  constructor(options: BudgetOptions = {}) {
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 4);
    this.reserveShare = options.reserveShare ?? 0.1;
    this.minReserve = options.minReserve ?? 3;
    this.now = options.now ?? Date.now;
    this.onChange = options.onChange ?? (() => undefined);
  }

  /**
   * Why a request may not be sent now, or undefined: the wait GitHub asked for has not passed, or what
   * is left (less what is in flight) is gone, or is the reserve and the request is background work.
   */
  refusal(identity: string, priority: Priority): GitHubFailure | undefined {
    const bucket = this.bucket(identity);
    const now = this.now();
    if (bucket.limitedUntil !== undefined && now < bucket.limitedUntil) {
      return { kind: 'github-rate-limited', until: bucket.limitedUntil, message: `GitHub is rate limited until ${clock(bucket.limitedUntil)}` };
    }
    if (bucket.remaining === undefined || bucket.resetAt === undefined || now >= bucket.resetAt) return undefined;
    const left = bucket.remaining - bucket.inFlight;
    if (left <= 0) return { kind: 'github-rate-limited', until: bucket.resetAt, message: `GitHub's rate limit is used up until ${clock(bucket.resetAt)}` };
    const reserve = this.reserveOf(bucket);
    if (priority === 'background' && left <= reserve) {
      return { kind: 'github-rate-limited', until: bucket.resetAt, message: `GitHub's last ${left} requests until ${clock(bucket.resetAt)} are kept for questions` };
    }
    return undefined;
  }

  /** Waits for a turn (interactive first, then background, each oldest first); the returned function ends it. */
  acquire(priority: Priority, signal: AbortSignal): Promise<() => void> {
    if (signal.aborted) return Promise.reject(new CancelledError());
    if (this.active < this.maxInFlight) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const queue = this.waiting[priority];
      const waiter: Waiter = {
        start: () => {
          signal.removeEventListener('abort', cancel);
          resolve(this.releaser());
        },
      };
      const cancel = () => {
        const at = queue.indexOf(waiter);
        if (at >= 0) queue.splice(at, 1);
        reject(new CancelledError());
        this.changed();
      };
      signal.addEventListener('abort', cancel, { once: true });
      queue.push(waiter);
      this.changed();
    });
  }

  /** A request is about to be sent with this identity's token. */
  sending(identity: string): void {
    this.current = identity;
    this.bucket(identity).inFlight++;
    this.sent++;
  }

  /**
   * GitHub answered (any status): what its headers say is left. A 304 costs nothing; a limit or a
   * requested wait (`failure`) holds every request back until it passes.
   */
  answered(identity: string, status: number | undefined, headers: Record<string, string | undefined>, failure?: GitHubFailure): void {
    const bucket = this.bucket(identity);
    bucket.inFlight = Math.max(0, bucket.inFlight - 1);
    if (status !== undefined) {
      if (status === 304) this.notModified++;
      else this.spent++;
      const limit = Number(headers['x-ratelimit-limit']);
      const remaining = Number(headers['x-ratelimit-remaining']);
      const reset = Number(headers['x-ratelimit-reset']);
      if (headers['x-ratelimit-remaining'] !== undefined && Number.isFinite(remaining)) {
        if (Number.isFinite(limit)) bucket.limit = limit;
        bucket.remaining = remaining;
        if (Number.isFinite(reset)) bucket.resetAt = reset * 1000;
      }
    }
    if (failure?.kind === 'github-rate-limited' && failure.until !== undefined) {
      bucket.limitedUntil = Math.max(bucket.limitedUntil ?? 0, failure.until);
      if (!(headers['x-ratelimit-remaining'] === '0')) bucket.strikes++;
    } else if (status !== undefined && status < 400) {
      bucket.strikes = 0;
    }
    this.changed();
  }

  /** Secondary limits in a row for this identity (the back-off grows with them). */
  strikes(identity: string): number {
    return this.bucket(identity).strikes;
  }

  state(): RateState {
    const bucket = this.bucket(this.current);
    const now = this.now();
    const fresh = bucket.resetAt !== undefined && now < bucket.resetAt;
    return {
      limit: bucket.limit,
      remaining: fresh ? bucket.remaining : undefined,
      resetAt: fresh ? bucket.resetAt : undefined,
      limitedUntil: this.limitedUntil(bucket, now),
      reserve: this.reserveOf(bucket),
      inFlight: this.active,
      queued: this.waiting.interactive.length + this.waiting.background.length,
      sent: this.sent,
      spent: this.spent,
      notModified: this.notModified,
    };
  }

  /** The later of a wait GitHub asked for and the reset of a budget used up, while either lies ahead. */
  private limitedUntil(bucket: Bucket, now: number): number | undefined {
    const waited = bucket.limitedUntil !== undefined && now < bucket.limitedUntil ? bucket.limitedUntil : 0;
    const usedUp = bucket.remaining !== undefined && bucket.resetAt !== undefined && now < bucket.resetAt && bucket.remaining <= 0 ? bucket.resetAt : 0;
    return Math.max(waited, usedUp) || undefined;
  }

  /** The identity whose budget `state()` shows: the token of the last request. */
  use(identity: string): void {
    this.current = identity;
  }

  private reserveOf(bucket: Bucket): number {
    return Math.max(this.minReserve, Math.ceil((bucket.limit ?? 60) * this.reserveShare));
  }

  private releaser(): () => void {
    let done = false;
    this.changed();
    return () => {
      if (done) return;
      done = true;
      const next = this.waiting.interactive.shift() ?? this.waiting.background.shift();
      if (next) next.start();
      else this.active--;
      this.changed();
    };
  }

  private bucket(identity: string): Bucket {
    let bucket = this.buckets.get(identity);
    if (!bucket) {
      bucket = { strikes: 0, inFlight: 0 };
      this.buckets.set(identity, bucket);
    }
    return bucket;
  }

  private changed(): void {
    this.onChange(this.state());
  }
}

/** "GitHub: rate limited until 14:05", or undefined while requests may be sent. */
export function describeRate(state: RateState): string | undefined {
  return state.limitedUntil !== undefined ? `GitHub: rate limited until ${clock(state.limitedUntil)}` : undefined;
}
