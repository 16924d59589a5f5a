import { describe, expect, it } from 'vitest';
import { orAfter, orWhenAborted } from '../server/util/race';

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
