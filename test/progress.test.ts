import { describe, expect, it } from 'vitest';
import { progressPrinter } from '../server/cli/progress';

/** A stderr to write to: a terminal or a pipe, and what was written. */
function stream(isTTY: boolean): NodeJS.WritableStream & { isTTY: boolean; text: string } {
  const sink = {
    isTTY,
    text: '',
    write(chunk: string) {
      sink.text += chunk;
      return true;
    },
  };
  return sink as unknown as NodeJS.WritableStream & { isTTY: boolean; text: string };
}

describe('progress on stderr', () => {
  it('updates one line in place on a terminal, and ends it when the job is done', () => {
    const tty = stream(true);
    const print = progressPrinter(tty);
    for (let done = 1; done <= 3; done++) print('bench', { done, total: 3, message: 'caches' });
    expect(tty.text).toBe('\r\x1b[2Kbench: caches 1/3 (33%)\r\x1b[2Kbench: caches 2/3 (66%)\r\x1b[2Kbench: caches 3/3 (100%)\n');
  });

  it('writes whole lines to a pipe: the first, the last, and a tenth at most every few seconds between', () => {
    const pipe = stream(false);
    let clock = 0;
    const print = progressPrinter(pipe, () => clock);
    // 1,000 updates over 100 s: one line per tenth, since every tenth takes 10 s.
    for (let done = 1; done <= 1000; done++) {
      clock += 100;
      print('bench', { done, total: 1000, message: 'indexing' });
    }
    const lines = pipe.text.split('\n').filter(Boolean);
    expect(pipe.text).not.toContain('\r');
    expect(pipe.text.endsWith('\n')).toBe(true);
    expect(lines[0]).toBe('bench: indexing 1/1000 (0%)');
    expect(lines.at(-1)).toBe('bench: indexing 1000/1000 (100%)');
    expect(lines).toHaveLength(11);

    // The same number of updates in a second: the first and the last only.
    const fast = stream(false);
    const quick = progressPrinter(fast, () => clock);
    for (let done = 1; done <= 1000; done++) quick('bench', { done, total: 1000, message: 'indexing' });
    expect(fast.text).toBe('bench: indexing 1/1000 (0%)\nbench: indexing 1000/1000 (100%)\n');
  });

  it('starts a new job with its own first line, and escapes what it is told', () => {
    const pipe = stream(false);
    const print = progressPrinter(pipe, () => 0);
    print('bench', { done: 1, total: 2, message: 'files' });
    print('bench', { done: 2, total: 2, message: 'files' });
    print('bench', { done: 1, total: 4, message: 'caches' });
    print('index', { done: 0, total: 0, message: 'loading \x1b[31m' });
    expect(pipe.text).toBe('bench: files 1/2 (50%)\nbench: files 2/2 (100%)\nbench: caches 1/4 (25%)\nindex: loading \\x1b[31m\n');
  });

  it('ends a job that stops before it is done with a last word, on a terminal and on a pipe, and only then', () => {
    const tty = stream(true);
    const onTerminal = progressPrinter(tty);
    onTerminal.end('bench', 'stopped'); // nothing shown yet: nothing to end
    onTerminal('bench', { done: 1, total: 3, message: 'requests' });
    onTerminal.end('bench', 'interrupted after 1 request');
    onTerminal.end('bench', 'stopped'); // ended already
    expect(tty.text).toBe('\r\x1b[2Kbench: requests 1/3 (33%)\r\x1b[2Kbench: interrupted after 1 request\n');

    const pipe = stream(false);
    const onPipe = progressPrinter(pipe, () => 0);
    onPipe('bench', { done: 1, total: 2, message: 'files' });
    onPipe('bench', { done: 2, total: 2, message: 'files' });
    onPipe.end('bench', 'stopped'); // finished already
    onPipe('bench', { done: 0, total: 0, message: 'connecting' });
    onPipe.end('bench', 'stopped: \x1b[2J');
    expect(pipe.text).toBe('bench: files 1/2 (50%)\nbench: files 2/2 (100%)\nbench: connecting\nbench: stopped: \\x1b[2J\n');
  });
});
