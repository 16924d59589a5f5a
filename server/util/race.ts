/**
 * The promise's value, or `fallback` if the signal aborts first (the promise itself goes on; a
 * rejection before the abort passes through, one after it is dropped: nobody waits for it any more).
 */
export function orWhenAborted<T, F>(promise: Promise<T>, signal: AbortSignal | undefined, fallback: F): Promise<T | F> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined); // nobody will observe it: its rejection must not end the process
    return Promise.resolve(fallback);
  }
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

/**
 * A signal that aborts with `parent` or after `ms`, whichever comes first. Node 20's AbortSignal.any
 * tracks its sources with weak references and a finalization registry, which costs every answer a
 * little garbage-collection work; this is a plain controller, a listener and an unreferenced timer.
 * The timer stays armed after the caller is done, so work still running in the background (a line
 * history walk) is bounded by the same deadline.
 */
export function withDeadline(parent: AbortSignal | undefined, ms: number): AbortSignal {
  const controller = new AbortController();
  if (parent?.aborted) {
    controller.abort();
    return controller.signal;
  }
  const abort = () => {
    clearTimeout(timer);
    parent?.removeEventListener('abort', abort);
    controller.abort();
  };
  const timer = setTimeout(abort, Math.max(1, Math.ceil(ms)));
  timer.unref();
  parent?.addEventListener('abort', abort, { once: true });
  return controller.signal;
}

/**
 * `withDeadline` whose deadline can be moved while it has not passed: a one-shot command gives blame
 * longer than the time limit, then the rest of the answer the time limit from there.
 */
export function movableDeadline(parent: AbortSignal | undefined, ms: number): { signal: AbortSignal; move(ms: number): void } {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const abort = () => {
    clearTimeout(timer);
    parent?.removeEventListener('abort', abort);
    controller.abort();
  };
  const move = (after: number) => {
    if (controller.signal.aborted) return;
    clearTimeout(timer);
    timer = setTimeout(abort, Math.max(1, Math.ceil(after)));
    timer.unref();
  };
  if (parent?.aborted) controller.abort();
  else {
    parent?.addEventListener('abort', abort, { once: true });
    move(ms);
  }
  return { signal: controller.signal, move };
}
