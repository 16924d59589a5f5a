import { describe, expect, it } from 'vitest';
import { countLineBytes, countLines } from '../server/git/repository';
import { decodeUtf8, lazyUtf8, textOf, TimeSlicer } from '../server/util/slices';

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

  it('decodes a large text in slices exactly as one decode does, characters and bad bytes across the cuts included', async () => {
    const slice = 256 * 1024;
    for (const shift of [0, 1, 2, 3]) {
      // Four-byte characters, a lone continuation byte and a truncated sequence, over and over, so
      // that every kind of byte lands on each possible cut.
      const unit = Buffer.concat([Buffer.from('a😀é—\n', 'utf8'), Buffer.from([0x80, 0x41, 0xe2, 0x82, 0x0a])]);
      const bytes = Buffer.concat([Buffer.alloc(shift, 0x62), ...Array.from({ length: Math.ceil((3 * slice) / unit.length) }, () => unit)]);
      const text = await decodeUtf8(bytes);
      expect(text === bytes.toString('utf8')).toBe(true);
    }
    // All high bytes past the first cut: the slice runs on to the next ASCII byte, here the end.
    const high = Buffer.concat([Buffer.alloc(slice, 0x61), Buffer.from('é'.repeat(1000), 'utf8')]);
    expect((await decodeUtf8(high)) === high.toString('utf8')).toBe(true);
  });

  it('counts the lines of undecoded bytes as of the text they decode to: empty, trailing newline, CRLF, bad bytes', () => {
    const cases = [
      Buffer.alloc(0),
      Buffer.from('\n'),
      Buffer.from('one'),
      Buffer.from('one\n'),
      Buffer.from('one\ntwo'),
      Buffer.from('one\r\ntwo\r\n'),
      Buffer.from('\n\n\n'),
      Buffer.concat([Buffer.from('é\n'), Buffer.from([0xe2, 0x82, 0x0a, 0x80]), Buffer.from('😀')]),
      Buffer.from([0xf0, 0x9f, 0x0a]),
    ];
    for (const bytes of cases) expect([bytes, countLineBytes(bytes)]).toEqual([bytes, countLines(bytes.toString('utf8'))]);
  });

  it('gives a small text back at once, and decodes a large one only when asked, once', async () => {
    expect(typeof decodeUtf8(Buffer.from('small'))).toBe('string');
    expect(textOf(lazyUtf8(Buffer.from('small')))).toBe('small');
    const large = lazyUtf8(Buffer.alloc(300 * 1024, 0x61));
    expect(typeof large).toBe('function');
    const first = textOf(large);
    expect(textOf(large)).toBe(first);
    expect((await first).length).toBe(300 * 1024);
  });
});
