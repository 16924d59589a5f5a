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
