import { alphanumericBytes } from '../util/chars';

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
 * letter or digit, which counting the bytes shows without decoding either version.
 */
export function classifyChange(before: Buffer | undefined, after: Buffer, renamed: boolean): ChangeKind {
  if (before === undefined) return 'substantive';
  if (before.length > MAX_COMPARE_BYTES || after.length > MAX_COMPARE_BYTES) return 'substantive';
  if (before.equals(after)) return renamed ? 'rename' : 'whitespace';
  // Neither kind of cosmetic change touches a letter or a digit: most commits are told apart here, cheaply.
  if (alphanumericBytes(before) !== alphanumericBytes(after)) return 'substantive';
  const [was, is] = [before.toString('utf8'), after.toString('utf8')];
  if (lineWords(was) === lineWords(is)) return 'whitespace';
  if (formattingKey(was) === formattingKey(is)) return 'formatting';
  return 'substantive';
}

/** Same lines, same words, any spacing and blank lines. */
function lineWords(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trim().replace(/\s+/g, ' '))
    .filter((line) => line.length > 0)
    .join('\n');
}

/** The same tokens in the same order, whatever a formatter did with line breaks, quotes and optional punctuation. */
function formattingKey(text: string): string {
  return text
    .replace(/\s+/g, '')
    .replace(/[`']/g, '"')
    .replace(/;/g, '')
    .replace(/,(?=[)\]}])/g, '')
}
