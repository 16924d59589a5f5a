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
  if (await sameStreams(before, after, lineWords)) return 'whitespace';
  if (await sameStreams(before, after, formattingKey)) return 'formatting';
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
 * Whether two texts give the same stream of per-line keys: a line of each is read at a time (decoded on
 * its own: a newline never falls inside a character), and the keys are compared as far as both sides
 * have got, so a difference ends the comparison where it is. While the lines pair up one to one, as
 * they do after re-indentation, keys are compared whole and nothing is kept.
 */
async function sameStreams(was: Buffer, is: Buffer, keyOf: (line: string, state: { trailingComma: boolean }) => string): Promise<boolean> {
  const slicer = new TimeSlicer(4, 64);
  const sides = [was, is].map((bytes) => ({ bytes, at: 0, pending: '', state: { trailingComma: false } }));
  type Side = (typeof sides)[number];
  /** The next line's key, or undefined once the text is used up. */
  const next = (side: Side): string | undefined => {
    if (side.at > side.bytes.length) return undefined;
    let end = side.bytes.indexOf(10, side.at);
    if (end < 0) end = side.bytes.length;
    let key = keyOf(side.bytes.toString('utf8', side.at, end), side.state);
    side.at = end + 1;
    if (side.at > side.bytes.length && side.state.trailingComma) key += ','; // nothing follows the last comma
    return key;
  };
  const [a, b] = sides as [Side, Side];
  for (;;) {
    if (slicer.due()) await slicer.rest();
    if (a.pending === '' && b.pending === '') {
      const [left, right] = [next(a), next(b)];
      if (left === undefined && right === undefined) return true;
      if (left === right) continue;
      a.pending = left ?? '';
      b.pending = right ?? '';
    } else {
      // After the common part is dropped, one side has nothing pending: read on there.
      const empty = a.pending === '' ? a : b;
      const key = next(empty);
      if (key !== undefined) empty.pending = key;
      else return false; // used up, while the other still has keys to match
    }
    const common = Math.min(a.pending.length, b.pending.length);
    if (a.pending.slice(0, common) !== b.pending.slice(0, common)) return false;
    a.pending = a.pending.slice(common);
    b.pending = b.pending.slice(common);
  }
}
