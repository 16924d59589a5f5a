/**
 * Text from a repository or a user (commit messages, author names, file names, questions), made safe to
 * show. A terminal obeys escape sequences (`\x1b]0;…\x07` sets its title, `\x1b[2J` clears the screen,
 * `\x1b[6n` makes it type an answer), a newline in a one-line field forges a line of output, and the
 * bidirectional overrides and zero-width characters make text read differently from what it is. So
 * every such character is written as the escape a programmer would type for it:
 *
 * - `\n`, `\r`, `\t` for those three;
 * - `\xHH` for the other C0 controls, DEL and the C1 controls (`\x1b`, `\x07`, `\x7f`, `\x9b`);
 * - `\uHHHH` for the invisible formatting characters: the bidi embeddings, overrides, isolates and
 *   marks (U+202A-202E, U+2066-2069, U+200E/200F, U+061C), the zero-width ones (U+200B-200D, U+FEFF)
 *   and the line and paragraph separators (U+2028/2029).
 *
 * The form is ASCII, so it shows in any terminal and font (the Control Pictures glyphs such as `␛` do
 * not, and look like letters in some). It is for reading, not reversible: a backslash already in the
 * text is left alone, so `\x1b` typed into a commit message reads the same as the character.
 * Imports nothing: the CLI, the server and the client can all use it.
 */

const SHOWN = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;
const SHOWN_IN_LINES = /\r\n|[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;
/** What JSON.stringify leaves raw: it escapes C0 only. */
const RAW_IN_JSON = /[\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeOf(char: string): string {
  const named = NAMED[char];
  if (named) return named;
  const code = char.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** One line of text as it may be shown: every control and invisible formatting character written as its escape, newlines too. */
export function visible(text: string): string {
  return text.replace(SHOWN, escapeOf);
}

/** Text of several lines (a log entry, a stack trace): the same, but newlines and tabs are kept, and CRLF read as a newline. */
export function visibleLines(text: string): string {
  return text.replace(SHOWN_IN_LINES, (match) => (match === '\r\n' ? '\n' : escapeOf(match)));
}

/** Every string in a JSON-like value passed through `visible`: an answer made safe to lay out, field by field. */
export function visibleStrings<T>(value: T): T {
  if (typeof value === 'string') return visible(value) as T;
  if (Array.isArray(value)) return value.map(visibleStrings) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, visibleStrings(item)])) as T;
  }
  return value;
}

/**
 * JSON for a terminal or a pipe: the data unchanged, with DEL, the C1 controls and the invisible
 * formatting characters written as `\u` escapes as well. JSON.stringify escapes only C0, and a terminal
 * may obey `\u009b` (the one-byte CSI) or reorder text around `\u202e`; any JSON parser reads the same
 * string back. Outside strings JSON is plain ASCII, so only string contents are touched.
 */
export function safeJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, null, indent).replace(RAW_IN_JSON, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
