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

interface Flight<V> {
  promise: Promise<V>;
  waiters: number;
  controller: AbortController;
  settled: boolean;
}

/**
 * One flight per key and nothing kept: concurrent callers of the same key share one computation, which
 * is forgotten when it settles (a failure is never remembered). Each caller brings its own signal; the
 * shared work is aborted only when every caller waiting for it has gone.
 */
export class SingleFlight<K, V> {
  private readonly flights = new Map<K, Flight<V>>();

  get size(): number {
    return this.flights.size;
  }

  run(key: K, compute: (signal: AbortSignal) => Promise<V>, signal?: AbortSignal): Promise<V> {
    if (signal?.aborted) return Promise.reject(new CancelledError());
    let flight = this.flights.get(key);
    if (!flight) {
      const created: Flight<V> = { promise: undefined as unknown as Promise<V>, waiters: 0, controller: new AbortController(), settled: false };
      created.promise = compute(created.controller.signal).finally(() => {
        created.settled = true;
        if (this.flights.get(key) === created) this.flights.delete(key);
      });
      created.promise.catch(() => undefined);
      this.flights.set(key, created);
      flight = created;
    }
    return signal ? this.wait(key, flight, signal) : flight.promise;
  }

  private wait(key: K, flight: Flight<V>, signal: AbortSignal): Promise<V> {
    flight.waiters++;
    return new Promise<V>((resolve, reject) => {
      const onAbort = () => {
        flight.waiters--;
        if (flight.waiters === 0 && !flight.settled) {
          flight.controller.abort();
          if (this.flights.get(key) === flight) this.flights.delete(key);
        }
        reject(new CancelledError());
      };
      signal.addEventListener('abort', onAbort, { once: true });
      flight.promise.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          flight.waiters--;
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          flight.waiters--;
          reject(error);
        },
      );
    });
  }
}

/**
 * A bounded map of computed values with one flight per key: concurrent callers share one computation,
 * a resolved value is kept (least recently used dropped first), a rejection is never kept.
 */
export class FlightCache<K, V> {
  private readonly values = new Map<K, V>();
  private readonly flights = new SingleFlight<K, V>();
  private generation = 0;

  constructor(private readonly limit: number) {}

  get size(): number {
    return this.values.size;
  }

  /** A value already computed, without waiting. */
  peek(key: K): V | undefined {
    return this.values.get(key);
  }

  get(key: K, compute: (signal: AbortSignal) => Promise<V>, signal?: AbortSignal): Promise<V> {
    if (signal?.aborted) return Promise.reject(new CancelledError());
    if (this.values.has(key)) {
      const value = this.values.get(key)!;
      this.values.delete(key);
      this.values.set(key, value); // most recently used last
      return Promise.resolve(value);
    }
    const generation = this.generation;
    return this.flights.run(
      key,
      async (shared) => {
        const value = await compute(shared);
        if (generation === this.generation) this.store(key, value);
        return value;
      },
      signal,
    );
  }

  /** Keeps a value computed elsewhere (a blame carried over from another key). */
  set(key: K, value: V): void {
    this.store(key, value);
  }

  delete(key: K): void {
    this.values.delete(key);
  }

  /** Drops every kept value; computations under way finish for their callers but are not kept. */
  clear(): number {
    const count = this.values.size;
    this.values.clear();
    this.generation++;
    return count;
  }

  private store(key: K, value: V): void {
    this.values.set(key, value);
    while (this.values.size > this.limit) this.values.delete(this.values.keys().next().value as K);
  }
}
