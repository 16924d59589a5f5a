/** Lets timers, I/O and other requests run before going on. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Cuts long synchronous work (walking a history of 100,000 commits) into slices, so that a hover that
 * arrives meanwhile waits one slice at most, not the whole walk:
 * `if (slicer.due()) await slicer.rest();` in the loop yields once the slice has run `sliceMs`. The
 * clock is read every `checkEvery` calls only, and no promise is made until a slice ends.
 */
export class TimeSlicer {
  private sliceStart = performance.now();
  private calls = 0;

  constructor(private readonly sliceMs = 4, private readonly checkEvery = 512) {}

  /** Whether the slice is used up; cheap enough for an inner loop. */
  due(): boolean {
    if (++this.calls < this.checkEvery) return false;
    this.calls = 0;
    return performance.now() - this.sliceStart >= this.sliceMs;
  }

  /** Yields to the event loop and starts the next slice. */
  async rest(): Promise<void> {
    await yieldToEventLoop();
    this.sliceStart = performance.now();
  }
}
