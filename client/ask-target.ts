import type { Range } from '../shared/types';

/**
 * What `ail.askWhy` was run on. A code lens and a hover link pass `[uri, range?]` (strings and LSP
 * ranges, as JSON): they ask at once. The palette, the keybinding and the editor menu pass nothing
 * usable (the menu passes the editor's Uri): the active editor's selection is asked about, after the
 * question is confirmed. No `vscode` here, so it is tested plainly.
 */
export type AskTarget = { kind: 'given'; uri: string; range?: Range } | { kind: 'editor' };

export function askTarget(first: unknown, second: unknown): AskTarget {
  if (typeof first === 'string' && first.startsWith('file:')) return { kind: 'given', uri: first, ...(isRange(second) ? { range: second } : {}) };
  return { kind: 'editor' };
}

/** A selection's lines as the range AIL asks about: whole lines, `end` exclusive; a selection ending at column 0 ends on the line before. */
export function selectionRange(start: { line: number; character: number }, end: { line: number; character: number }): Range {
  const last = end.line > start.line && end.character === 0 ? end.line - 1 : end.line;
  return { start: { line: start.line, character: 0 }, end: { line: last + 1, character: 0 } };
}

function isRange(value: unknown): value is Range {
  const position = (p: unknown) => typeof p === 'object' && p !== null && Number.isInteger((p as { line: unknown }).line) && (p as { line: number }).line >= 0;
  return typeof value === 'object' && value !== null && position((value as Range).start) && position((value as Range).end);
}
