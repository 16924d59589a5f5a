import type { Author } from './fixture';

/**
 * Text a hostile repository can hold: escape sequences that set a terminal's title (OSC 0 … BEL), clear
 * its screen (CSI 2J) and make it type its cursor position back (CSI 6n), a right-to-left override
 * that makes text read backwards, and markdown that would be a link, an image and HTML in a hover.
 */
export const MALLORY: Author = { name: 'Mallory\x1b]0;PWNED\x07 \x1b[2J\x1b[6n\u202eliveD', email: 'mallory@example.com' };
export const HOSTILE_SUBJECT = 'Fix \x1b]0;PWNED\x07 the [queue](https://evil.example) ![x](https://evil.example/t.png) <img src=x> \x1b[2J\x1b[6n';
export const HOSTILE_MESSAGE = `${HOSTILE_SUBJECT}\n\nBecause \u202eexe.txt is *fine*.\x1b[31m`;
/** A file name with a newline in it: a message naming it must stay on one line. */
export const NEWLINE_FILE = 'we\nird.txt';

/** Those strings as AIL shows them: every control and formatting character written as its escape. */
export const SHOWN_NAME = 'Mallory\\x1b]0;PWNED\\x07 \\x1b[2J\\x1b[6n\\u202eliveD';
export const SHOWN_SUBJECT = 'Fix \\x1b]0;PWNED\\x07 the [queue](https://evil.example) ![x](https://evil.example/t.png) <img src=x> \\x1b[2J\\x1b[6n';

/** What no output shown to a person may contain: ESC, BEL, CSI (C1) and the bidi overrides and isolates. */
export const RAW_CONTROLS = /[\x07\x1b\x9b\u202a-\u202e\u2066-\u2069]/;
