/** Thrown to a caller whose own signal was aborted while it waited. */
export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

export function isCancelled(error: unknown): error is CancelledError {
  return error instanceof CancelledError;
}

interface Entry<V> {
  promise: Promise<V>;
  settled: boolean;
  waiters: number;
  controller: AbortController;
}

/**
 * A bounded map of computations by key, with one flight per key: concurrent callers share one
 * promise, a resolved value is kept (least recently used is dropped first), a rejection is never
 * kept. Each caller brings its own signal; the shared work is aborted only when every caller
 * waiting for it has gone.
 */
export class FlightCache<K, V> {
  private readonly entries = new Map<K, Entry<V>>();
  private readonly values = new Map<K, V>();

  constructor(private readonly limit: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** A value already computed, without waiting. */
  peek(key: K): V | undefined {
    return this.values.get(key);
  }

  get(key: K, compute: (signal: AbortSignal) => Promise<V>, signal?: AbortSignal): Promise<V> {
    if (signal?.aborted) return Promise.reject(new CancelledError());
    let entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry); // most recently used last
    } else {
      const controller = new AbortController();
      const created: Entry<V> = { promise: undefined as unknown as Promise<V>, settled: false, waiters: 0, controller };
      created.promise = compute(controller.signal).then(
        (value) => {
          created.settled = true;
          if (this.entries.get(key) === created) this.values.set(key, value);
          return value;
        },
        (error: unknown) => {
          created.settled = true;
          if (this.entries.get(key) === created) {
            this.entries.delete(key);
            this.values.delete(key);
          }
          throw error;
        },
      );
      created.promise.catch(() => undefined);
      this.entries.set(key, created);
      this.evict();
      entry = created;
    }
    if (entry.settled || !signal) return entry.promise;
    return this.wait(key, entry, signal);
  }

  delete(key: K): void {
    this.entries.delete(key);
    this.values.delete(key);
  }

  clear(): number {
    const count = this.entries.size;
    this.entries.clear();
    this.values.clear();
    return count;
  }

  private wait(key: K, entry: Entry<V>, signal: AbortSignal): Promise<V> {
    entry.waiters++;
    return new Promise<V>((resolve, reject) => {
      const onAbort = () => {
        entry.waiters--;
        if (entry.waiters === 0 && !entry.settled) {
          entry.controller.abort();
          if (this.entries.get(key) === entry) this.entries.delete(key);
        }
        reject(new CancelledError());
      };
      signal.addEventListener('abort', onAbort, { once: true });
      entry.promise.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          entry.waiters--;
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          entry.waiters--;
          reject(error);
        },
      );
    });
  }

  private evict(): void {
    while (this.entries.size > this.limit) {
      const oldest = this.entries.keys().next().value as K;
      this.entries.delete(oldest);
      this.values.delete(oldest);
    }
  }
}
