import { alphanumerics } from '../util/chars';

/**
 * Recognises commits that changed how a file looks but not what it says: re-indentation, reformatting
 * (a formatter splitting or joining lines, swapping quotes, adding trailing commas or semicolons) and
 * pure renames. Blame is traced through them so that the answer names the commit that wrote the code.
 */
export type ChangeKind = 'whitespace' | 'formatting' | 'rename' | 'substantive';

/** Files larger than this are not compared; their commits count as substantive. */
const MAX_COMPARE_BYTES = 2 * 1024 * 1024;

export function classifyChange(before: string | undefined, after: string, renamed: boolean): ChangeKind {
  if (before === undefined) return 'substantive';
  if (before.length > MAX_COMPARE_BYTES || after.length > MAX_COMPARE_BYTES) return 'substantive';
  if (before === after) return renamed ? 'rename' : 'whitespace';
  // Neither kind of cosmetic change touches a letter or a digit: most commits are told apart here, cheaply.
  if (alphanumerics(before) !== alphanumerics(after)) return 'substantive';
  if (lineWords(before) === lineWords(after)) return 'whitespace';
  if (formattingKey(before) === formattingKey(after)) return 'formatting';
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
