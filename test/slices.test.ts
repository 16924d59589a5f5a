import { describe, expect, it } from 'vitest';
import { TimeSlicer } from '../server/util/slices';

describe('time slices', () => {
  it('lets the event loop run between slices of a long loop, and not within one', async () => {
    const turns: number[] = [];
    const loop = async (slicer: TimeSlicer, iterations: number) => {
      let seen = 0;
      const watch = () => {
        seen++;
        if (seen < 1000) setImmediate(watch);
      };
      setImmediate(watch);
      for (let i = 0; i < iterations; i++) if (slicer.due()) await slicer.rest();
      turns.push(seen);
    };
    // Every call ends a slice: the loop yields each time, so the watcher runs as often.
    await loop(new TimeSlicer(0, 1), 5);
    // 500 calls never reach the default check interval: one slice, no turn of the event loop.
    await loop(new TimeSlicer(), 500);
    expect(turns).toEqual([5, 0]);
  });
});
