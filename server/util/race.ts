/** The promise's value, or `fallback` if the signal aborts first (the promise itself goes on; a rejection passes through). */
export function orWhenAborted<T, F>(promise: Promise<T>, signal: AbortSignal | undefined, fallback: F): Promise<T | F> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.resolve(fallback);
  return new Promise<T | F>((resolve, reject) => {
    const onAbort = () => resolve(fallback);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** The promise's value if it settles within `ms`, otherwise `fallback` (the promise itself goes on). */
export function orAfter<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  return orWhenAborted(promise, AbortSignal.timeout(Math.max(0, Math.ceil(ms))), fallback);
}
