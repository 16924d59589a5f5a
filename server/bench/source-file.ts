/** A tracked file as the generator keeps it in memory between commits. */

export type FileKind = 'ts' | 'md';

export interface FileState {
  path: string;
  kind: FileKind;
  lines: string[];
  /** Spaces per indentation level; "Run prettier" commits flip it between 2 and 4. */
  indent: number;
  quote: "'" | '"';
  area: string;
  /** Functions this file defines, reused in messages and in call sites elsewhere. */
  functions: string[];
  /** Probability that a hunk inserts lines (against deleting them): hot "kitchen sink" files grow fastest. */
  growth: number;
}

/** The blob fast-import stores for `file`: its lines, newline-terminated. */
export function fileText(file: FileState): string {
  return file.lines.join('\n') + '\n';
}
