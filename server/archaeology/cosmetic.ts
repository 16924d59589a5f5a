import { alphanumericBytes } from '../util/chars';
import { TimeSlicer } from '../util/slices';

/**
 * Recognises commits that changed how a file looks but not what it says: re-indentation, reformatting
 * (a formatter splitting or joining lines, swapping quotes, adding trailing commas or semicolons) and
 * pure renames. Blame is traced through them so that the answer names the commit that wrote the code.
 */
export type ChangeKind = 'whitespace' | 'formatting' | 'rename' | 'substantive';

/** Files larger than this are not compared; their commits count as substantive. */
const MAX_COMPARE_BYTES = 2 * 1024 * 1024;

/**
 * How a commit changed a file, from the file's bytes before and after it. Most commits change some
 * letter or digit, which counting the bytes shows without decoding either version. The rest are
 * compared line by line, stopping at the first difference, in slices (a large file compared in one
 * go held the event loop 15-25 ms).
 */
export async function classifyChange(before: Buffer | undefined, after: Buffer, renamed: boolean): Promise<ChangeKind> {
  if (before === undefined) return 'substantive';
  if (before.length > MAX_COMPARE_BYTES || after.length > MAX_COMPARE_BYTES) return 'substantive';
  if (before.equals(after)) return renamed ? 'rename' : 'whitespace';
  // Neither kind of cosmetic change touches a letter or a digit: most commits are told apart here, cheaply.
  if (alphanumericBytes(before) !== alphanumericBytes(after)) return 'substantive';
  const [was, is] = [before.toString('utf8'), after.toString('utf8')];
  if (await sameStreams(was, is, lineWords)) return 'whitespace';
  if (await sameStreams(was, is, formattingKey)) return 'formatting';
  return 'substantive';
}

/**
 * Same lines, same words, any spacing and blank lines: each line trimmed, its runs of whitespace made
 * one space, blank lines left out. A line's key ends with a newline, which no key holds inside.
 */
function lineWords(line: string): string {
  const words = line.trim().replace(/\s+/g, ' ');
  return words ? `${words}\n` : '';
}

/**
 * The same tokens in the same order, whatever a formatter did with line breaks, quotes and optional
 * punctuation: no whitespace, one kind of quote, no semicolons, and no comma right before a closing
 * bracket (`trailingComma` carries that rule across line ends).
 */
function formattingKey(line: string, state: { trailingComma: boolean }): string {
  let key = line.replace(/\s+/g, '').replace(/[`']/g, '"').replace(/;/g, '');
  if (state.trailingComma && key) {
    if (!/^[)\]}]/.test(key)) key = `,${key}`;
    state.trailingComma = false;
  }
  key = key.replace(/,(?=[)\]}])/g, '');
  // A comma that ends the line is kept or dropped by what comes next.
  if (key.endsWith(',')) {
    key = key.slice(0, -1);
    state.trailingComma = true;
  }
  return key;
}

/**
 * Whether two texts give the same stream of per-line keys: read a line of each at a time, compared as
 * far as both have got, so a difference ends the comparison where it is.
 */
async function sameStreams(was: string, is: string, keyOf: (line: string, state: { trailingComma: boolean }) => string): Promise<boolean> {
  const slicer = new TimeSlicer(4, 64);
  const sides = [was, is].map((text) => ({ text, at: 0, pending: '', state: { trailingComma: false } }));
  const pull = (side: (typeof sides)[number]): boolean => {
    if (side.at > side.text.length) return false;
    let end = side.text.indexOf('\n', side.at);
    if (end < 0) end = side.text.length;
    side.pending += keyOf(side.text.slice(side.at, end), side.state);
    side.at = end + 1;
    if (side.at > side.text.length && side.state.trailingComma) side.pending += ','; // nothing follows the last comma
    return true;
  };
  const [a, b] = sides as [(typeof sides)[number], (typeof sides)[number]];
  for (;;) {
    const more = a.pending.length <= b.pending.length ? pull(a) || pull(b) : pull(b) || pull(a);
    const common = Math.min(a.pending.length, b.pending.length);
    if (a.pending.slice(0, common) !== b.pending.slice(0, common)) return false;
    a.pending = a.pending.slice(common);
    b.pending = b.pending.slice(common);
    if (!more) return a.pending === b.pending;
    if (slicer.due()) await slicer.rest();
  }
}
