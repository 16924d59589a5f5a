import { describe, expect, it } from 'vitest';
import { safeJson, visible, visibleLines, visibleStrings } from '../shared/visible';

/** The form every surface shows repository and user text in: each invisible or controlling character as the escape a programmer types. */
describe('visible', () => {
  const cases: { name: string; text: string; shown: string }[] = [
    { name: 'plain text, accents and emoji', text: 'Chloé fixed the 🐛 (#12)', shown: 'Chloé fixed the 🐛 (#12)' },
    { name: 'a title set by OSC 0 … BEL', text: 'a\x1b]0;PWNED\x07b', shown: 'a\\x1b]0;PWNED\\x07b' },
    { name: 'a screen clear and a cursor report', text: '\x1b[2J\x1b[6n', shown: '\\x1b[2J\\x1b[6n' },
    { name: 'newline, carriage return, tab', text: 'one\ntwo\rthree\tfour', shown: 'one\\ntwo\\rthree\\tfour' },
    { name: 'NUL, DEL and the one-byte CSI (C1)', text: '\0\x7f\x9b2J', shown: '\\x00\\x7f\\x9b2J' },
    { name: 'a right-to-left override', text: 'invoice\u202efdp.exe', shown: 'invoice\\u202efdp.exe' },
    { name: 'bidi isolates and marks', text: '\u2066x\u2069\u200e\u200f\u061c', shown: '\\u2066x\\u2069\\u200e\\u200f\\u061c' },
    { name: 'zero-width characters', text: 'pay\u200bpal\u200c\u200d\ufeff', shown: 'pay\\u200bpal\\u200c\\u200d\\ufeff' },
    { name: 'line and paragraph separators', text: 'a\u2028b\u2029c', shown: 'a\\u2028b\\u2029c' },
    { name: 'a backslash already there, left alone', text: 'C:\\x1b', shown: 'C:\\x1b' },
  ];

  it.each(cases)('$name', ({ text, shown }) => {
    expect(visible(text)).toBe(shown);
    expect(visible(shown)).toBe(shown); // shown once is shown for good
  });

  it('keeps the lines of a multi-line text, and nothing else', () => {
    expect(visibleLines('Error: no\r\n  at \x1b[31mred\u202e\tx\ry')).toBe('Error: no\n  at \\x1b[31mred\\u202e\tx\\ry');
  });

  it('makes every string of an answer visible and leaves the rest as it was', () => {
    expect(visibleStrings({ a: 'x\x1b', n: 3, ok: true, none: null, list: ['\n', { b: '\u202e' }] })).toEqual({ a: 'x\\x1b', n: 3, ok: true, none: null, list: ['\\n', { b: '\\u202e' }] });
  });

  it('writes JSON a terminal cannot be steered by, which parses back to the same data', () => {
    const data = { author: 'M\x1b]0;T\x07\x9b\u202e\u2028', n: 1 };
    const json = safeJson(data);
    expect(json).toBe('{\n  "author": "M\\u001b]0;T\\u0007\\u009b\\u202e\\u2028",\n  "n": 1\n}');
    expect(JSON.parse(json)).toEqual(data);
  });
});
