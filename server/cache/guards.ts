import { stem, words, intentOf, type Intent } from '../archaeology/text';

/**
 * What a paraphrase must keep for the semantic cache to serve it: word vectors cannot see these.
 * Measured by the team: every lexical and word-vector embedder scored "why did we switch from axios
 * to fetch" against "...from fetch to axios" at 0.93-1.0.
 */
export interface QuestionSignature {
  intent: Intent;
  /** Polarity of direction words, e.g. `add:+`, `size:-`. */
  directions: string[];
  /** Ordered transitions, e.g. `axios>fetch` for "from axios to fetch". */
  transitions: string[];
  /** Code-like tokens: camelCase, snake_case, dotted.names, `quoted`, ALLCAPS, words with digits. */
  identifiers: string[];
  numbers: string[];
}

const POLARITY: Record<string, string> = {};
const pairs: [string, string[], string[]][] = [
  ['add', ['add', 'added', 'adding', 'adds', 'introduce', 'introduced', 'create', 'created', 'insert', 'inserted', 'include', 'included'], ['remove', 'removed', 'removing', 'removes', 'delete', 'deleted', 'drop', 'dropped', 'exclude', 'excluded', 'strip', 'stripped']],
  ['size', ['increase', 'increased', 'raise', 'raised', 'more', 'bigger', 'larger', 'higher', 'grow', 'grew', 'longer', 'max', 'maximum', 'up'], ['decrease', 'decreased', 'reduce', 'reduced', 'lower', 'lowered', 'less', 'fewer', 'smaller', 'shrink', 'shrank', 'shorter', 'min', 'minimum', 'down']],
  ['on', ['enable', 'enabled', 'allow', 'allowed', 'start', 'started', 'open', 'opened', 'show', 'shown', 'lock', 'locked'], ['disable', 'disabled', 'deny', 'denied', 'block', 'blocked', 'stop', 'stopped', 'close', 'closed', 'hide', 'hidden', 'unlock', 'unlocked']],
  ['time', ['before', 'earlier', 'first'], ['after', 'later', 'last']],
  ['sync', ['sync', 'synchronous', 'synchronously', 'blocking'], ['async', 'asynchronous', 'asynchronously', 'nonblocking']],
];
for (const [axis, plus, minus] of pairs) {
  for (const word of plus) POLARITY[word] = `${axis}:+`;
  for (const word of minus) POLARITY[word] = `${axis}:-`;
}

const IDENTIFIER = /`[^`]+`|"[^"]+"|'[^']+'|\b[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+\b|\b[a-z]+[A-Z][\w$]*\b|\b[A-Z][a-z0-9]+[A-Z][\w$]*\b|\b\w*_\w+\b|\b[A-Z]{2,}\b|\b[A-Za-z]+\d+[A-Za-z\d]*\b/g;
const NUMBER = /(?<![\w.])\d+(?:\.\d+)?(?![\w.])/g;

export function signatureOf(question: string): QuestionSignature {
  const lower = question.toLowerCase();
  const directions = new Set<string>();
  for (const word of words(question)) {
    const polarity = POLARITY[word];
    if (polarity) directions.add(polarity);
  }
  return {
    intent: intentOf(question),
    directions: [...directions].sort(),
    transitions: transitionsOf(lower),
    identifiers: [...new Set((question.match(IDENTIFIER) ?? []).map((token) => token.replace(/^[`"']|[`"']$/g, '').toLowerCase()))].sort(),
    numbers: [...new Set(question.match(NUMBER) ?? [])].sort(),
  };
}

/** "from X to Y", "X to Y" after switch/move/migrate, "replace X with Y", "Y instead of X": ordered as X>Y. */
function transitionsOf(lower: string): string[] {
  const found = new Set<string>();
  const term = (text: string) => stem(text.replace(/[^\p{L}\p{N}_.$-]/gu, ''));
  for (const match of lower.matchAll(/\bfrom\s+([\w.$-]+)\s+(?:to|into|with|for)\s+([\w.$-]+)/g)) found.add(`${term(match[1]!)}>${term(match[2]!)}`);
  for (const match of lower.matchAll(/\bto\s+([\w.$-]+)\s+from\s+([\w.$-]+)/g)) found.add(`${term(match[2]!)}>${term(match[1]!)}`);
  for (const match of lower.matchAll(/\breplac\w*\s+([\w.$-]+)\s+(?:with|by)\s+([\w.$-]+)/g)) found.add(`${term(match[1]!)}>${term(match[2]!)}`);
  for (const match of lower.matchAll(/\b([\w.$-]+)\s+instead\s+of\s+([\w.$-]+)/g)) found.add(`${term(match[2]!)}>${term(match[1]!)}`);
  for (const match of lower.matchAll(/\b(?:switch\w*|mov\w*|migrat\w*|chang\w*|go\w*)\s+to\s+([\w.$-]+)/g)) found.add(`>${term(match[1]!)}`);
  return [...found].sort();
}

/** Why two questions may not share an answer, or undefined when the guards let them. */
export function guardConflict(a: QuestionSignature, b: QuestionSignature): string | undefined {
  if (a.intent !== b.intent) return 'intent';
  if (!same(a.directions, b.directions)) return 'direction';
  if (!same(a.transitions, b.transitions)) return 'transition';
  if (!same(a.identifiers, b.identifiers)) return 'identifiers';
  if (!same(a.numbers, b.numbers)) return 'numbers';
  return undefined;
}

function same(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}
