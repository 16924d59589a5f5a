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

const DECODE_SLICE_BYTES = 256 * 1024;

/**
 * `bytes.toString('utf8')` without holding the event loop on a large file: a 2 MB blob with many
 * non-ASCII bytes took 42-55 ms to decode in one go on the machines measured. Decoded a slice at a
 * time, each cut just before an ASCII byte (never inside a character, and an invalid sequence ends at
 * a cut exactly as it would mid-text), with a turn of the event loop between slices. Up to one slice,
 * the text comes back at once.
 */
export function decodeUtf8(bytes: Buffer): string | Promise<string> {
  return bytes.length <= DECODE_SLICE_BYTES ? bytes.toString('utf8') : decodeInSlices(bytes);
}

async function decodeInSlices(bytes: Buffer): Promise<string> {
  const parts: string[] = [];
  for (let start = 0; start < bytes.length; ) {
    let end = Math.min(bytes.length, start + DECODE_SLICE_BYTES);
    while (end < bytes.length && bytes[end]! >= 0x80) end++;
    parts.push(bytes.toString('utf8', start, end));
    start = end;
    if (start < bytes.length) await yieldToEventLoop();
  }
  return parts.join('');
}

/**
 * A text that is either here or decoded on first use: a file larger than one slice is decoded only
 * when something needs its text (a question about unsaved edits, the copy check after a blame), so a
 * blame that needs just the path starts without waiting for it, and its slices do not delay the
 * steps before the blame.
 */
export type LazyText = string | (() => Promise<string>);

/** The bytes as a LazyText: decoded now when small, once and on demand when large. */
export function lazyUtf8(bytes: Buffer): LazyText {
  if (bytes.length <= DECODE_SLICE_BYTES) return bytes.toString('utf8');
  let held: Buffer | undefined = bytes;
  let decoded: Promise<string> | undefined;
  // The first slice waits a turn too: the caller may be starting a git process in this one. Once
  // decoded, the bytes are let go: a cached file is not kept twice.
  return () => (decoded ??= yieldToEventLoop().then(() => decodeInSlices(held!)).finally(() => (held = undefined)));
}

/** The text of a LazyText: at once when it is here, else its decoding (started by the first call). */
export function textOf(text: LazyText): string | Promise<string> {
  return typeof text === 'string' ? text : text();
}
