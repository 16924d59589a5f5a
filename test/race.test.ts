import { describe, expect, it } from 'vitest';
import { orAfter, orWhenAborted, withDeadline } from '../server/util/race';

describe('racing a promise', () => {
  it('takes the value when it comes first, the fallback when time runs out (fractional milliseconds too)', async () => {
    expect(await orAfter(Promise.resolve('value'), 134.402005, 'late')).toBe('value');
    expect(await orAfter(new Promise(() => undefined), 1.5, 'late')).toBe('late');
  });

  it('gives the fallback at once for an aborted signal, and passes a rejection through', async () => {
    expect(await orWhenAborted(new Promise(() => undefined), AbortSignal.abort(), 'aborted')).toBe('aborted');
    await expect(orWhenAborted(Promise.reject(new Error('boom')), new AbortController().signal, 'aborted')).rejects.toThrow('boom');
  });

  it('leaves no rejection unhandled when the work it no longer waits for fails later', async () => {
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    try {
      // Given an aborted signal (a time limit already past), and after an abort: the enricher that fails afterwards.
      const failsLater = () => new Promise((_, reject) => setImmediate(() => reject(new Error('cancelled late'))));
      expect(await orWhenAborted(failsLater(), AbortSignal.abort(), 'aborted')).toBe('aborted');
      const controller = new AbortController();
      const raced = orWhenAborted(failsLater(), controller.signal, 'aborted');
      controller.abort();
      expect(await raced).toBe('aborted');
      for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', record);
    }
  });
});

describe('a deadline on top of a caller\'s signal', () => {
  it('aborts when the caller does, or when the time runs out, whichever is first', async () => {
    const caller = new AbortController();
    const signal = withDeadline(caller.signal, 60_000);
    expect(signal.aborted).toBe(false);
    caller.abort();
    expect(signal.aborted).toBe(true);
    const timed = withDeadline(undefined, 1.5);
    await new Promise<void>((resolve) => timed.addEventListener('abort', () => resolve(), { once: true }));
    expect(timed.aborted).toBe(true);
    expect(withDeadline(AbortSignal.abort(), 60_000).aborted).toBe(true);
  });
});
