import type { TracedChange } from '../../shared/types';
import { isGenericMessage } from './text';

/**
 * Whether a commit's change to one line kept what the line does: the line as it read before the commit
 * and after it, compared token by token, and the commit's message. A mechanical change (reformatting,
 * a consistent rename, type annotations, a move, a modernisation or a refactor that kept the tokens)
 * is traced through, so that the answer names the commit that wrote what the line does.
 *
 * Pure functions on text: the git side (which line a commit's line came from) is in trace.ts.
 */

/** How a commit changed a line, when it did not change what the line does (never a whitespace or file rename: blame sees through those). */
export type LineChangeKind = Exclude<TracedChange, 'whitespace' | 'file-rename' | 'merge'>;

/** A line removed by a commit, one of those the line after it may have come from. */
export interface RemovedLine {
  path: string;
  /** 1-based, in the commit's parent. */
  line: number;
  text: string;
}

/** The removed line a line came from, and how alike they are (0..1). */
export interface PreImage {
  removed: RemovedLine;
  /** The removed text compared: the line, or it with the lines around it when a formatter joined them. */
  text: string;
  similarity: number;
}

const TOKEN = /[A-Za-z_$][\w$]*|\d[\w.]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\\n]|\\.)*`|=>|->|===|!==|==|!=|<=|>=|&&|\|\||\?\?|\+=|-=|\*\*|::|:=|\.\.\.|\S/g;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** A line's tokens, strings with one kind of quote. */
export function tokens(line: string): string[] {
  return (line.match(TOKEN) ?? []).map((token) => (/^['`]/.test(token) ? `"${token.slice(1, -1)}"` : token));
}

/**
 * The tokens a formatter does not decide: no semicolons, no comma before a closing bracket or at the
 * end, no parentheses around a lone token (`(x) => x`, `return (x)`).
 */
function formatKey(line: string): string[] {
  const raw = tokens(line).filter((token) => token !== ';');
  const out: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    const token = raw[i]!;
    if (token === ',' && (i === raw.length - 1 || /^[)\]}]$/.test(raw[i + 1]!))) continue;
    if (token === '(' && raw[i + 2] === ')' && raw[i + 1] !== undefined && !/^[()]$/.test(raw[i + 1]!) && !IDENTIFIER.test(raw[i - 1] ?? '')) {
      out.push(raw[i + 1]!);
      i += 2;
      continue;
    }
    out.push(token);
  }
  return out;
}

function sameTokens(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((token, i) => token === b[i]);
}

/** Whether `part` occurs in `whole` as consecutive tokens. */
function containsRun(whole: readonly string[], part: readonly string[]): boolean {
  if (part.length === 0 || part.length > whole.length) return false;
  outer: for (let i = 0; i + part.length <= whole.length; i++) {
    for (let j = 0; j < part.length; j++) if (whole[i + j] !== part[j]) continue outer;
    return true;
  }
  return false;
}

/** Shared tokens over the tokens of the shorter side that carry something (not lone punctuation): 0..1. */
export function similarity(before: string, after: string): number {
  const a = formatKey(before).filter(meaningful);
  const b = formatKey(after).filter(meaningful);
  if (a.length === 0 || b.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const token of a) counts.set(token, (counts.get(token) ?? 0) + 1);
  let shared = 0;
  for (const token of b) {
    const left = counts.get(token) ?? 0;
    if (left > 0) {
      shared++;
      counts.set(token, left - 1);
    }
  }
  // Dice over both sides, but a line a formatter cut out of a longer one is measured against itself.
  return Math.max((2 * shared) / (a.length + b.length), b.length >= 3 ? shared / b.length - (a.length > 3 * b.length ? 0.2 : 0) : 0);
}

function meaningful(token: string): boolean {
  return !/^[()[\]{},.:;]$/.test(token);
}

/**
 * The removed line the line came from: the most alike of the lines the commit removed, each alone and
 * with the one or two after it in the same file (a formatter joining a wrapped call). Undefined when
 * none is alike enough to be the same line rewritten.
 */
export function preImageOf(after: string, removed: readonly RemovedLine[], minimum = 0.5): PreImage | undefined {
  let best: PreImage | undefined;
  const afterKey = formatKey(after);
  if (afterKey.filter(meaningful).length === 0) return undefined; // a brace or a blank line is everywhere
  for (let i = 0; i < removed.length; i++) {
    let text = '';
    for (let width = 0; width < 3 && i + width < removed.length; width++) {
      const line = removed[i + width]!;
      if (width > 0 && (line.path !== removed[i]!.path || line.line !== removed[i]!.line + width)) break;
      text = width === 0 ? line.text : `${text} ${line.text.trim()}`;
      const score = similarity(text, after) - width * 0.01; // the fewest lines that match as well
      if (!best || score > best.similarity) {
        // Of joined lines, the one most like the line is where it came from (and what is blamed next).
        const lines = removed.slice(i, i + width + 1);
        const closest = lines.reduce((a, b) => (similarity(b.text, after) > similarity(a.text, after) ? b : a));
        best = { removed: closest, text, similarity: score };
      }
    }
  }
  return best && best.similarity >= minimum ? best : undefined;
}

/**
 * What a commit's subject says about a change that keeps behaviour. Not "move", "split" or "extract":
 * "Move the session store to Redis" changes what the code does; a moved line is found where it was.
 */
const REFACTOR_MESSAGE = /\b(refactor\w*|perf|performance|lint\w*|style|format\w*|prettier|eslint|black|gofmt|rustfmt|clean\s*up|cleanup|tidy\w*|simplif\w*|reorgani[sz]\w*|organi[sz]e\w*|restructur\w*|renam\w*|typos?|spelling|whitespace|indent\w*|wrap\w*|line length|length of (some )?lines|reduce the length)\b/i;
const MODERNISE_MESSAGE = /\b(es20\d\d|es[5-9]|moderni[sz]\w*|deprecat\w*|polyfill\w*|prefix\w*|inline types|type (hints|annotations)|typing|types? to|var to (const|let)|const\/let|arrow functions?|f-strings?|pyupgrade|use \S+ (over|instead of))\b/i;
const RENAME_MESSAGE = /\b(renam\w*|typos?|spelling|naming|misspell\w*|identifier)\b/i;

/**
 * How the commit changed the line (`before` in its parent, `after` in it; `message` the commit's, of
 * which the subject says what kind of change it was), or 'substantive' when it
 * changed what the line does. `moved`: the line came from another file. `generic`: the message says
 * nothing of why (isGenericMessage). `block`: how alike the block the line was rewritten in is to the
 * block it replaced (a refactor reshapes lines, not the block).
 */
export function classifyLineChange(
  before: string,
  after: string,
  message: string,
  options: { moved: boolean; generic: boolean; block?: number },
): LineChangeKind | 'substantive' {
  // What the change says it is, from the subject: a squashed branch's body lists every step ("fix eslint warn").
  // A subject that says nothing ("Update sessions.py") lets the body's first lines speak instead.
  const [first = '', ...rest] = message.split('\n');
  const subject = isGenericMessage(first, '') ? `${first} ${rest.filter((line) => line.trim()).slice(0, 2).join(' ')}` : first;
  const was = formatKey(before);
  const is = formatKey(after);
  const sim = similarity(before, after);
  if (options.moved && (sameTokens(was, is) || sim >= 0.8)) return 'move';
  if (sameTokens(was, is)) return 'formatting';
  // A line cut out of a longer one (wrapping), or one joined from several: the same tokens in the same order.
  if (is.length >= 3 && containsRun(was, is)) return 'formatting';
  const [plainWas, plainIs] = [withoutAnnotations(was), withoutAnnotations(is)];
  // Types added or changed, and nothing else: what is left is most of the line, so no code was taken for a type.
  if (!sameTokens(plainIs, is) || !sameTokens(plainWas, was)) {
    if (sameTokens(plainWas, plainIs) && plainIs.length >= 0.5 * is.length) return 'annotation';
  }
  if (isConsistentRename(was, is)) {
    // A deprecated method swapped for its successor is a rename of one identifier, but said as what it is.
    if (RENAME_MESSAGE.test(subject)) return 'identifier-rename';
    if (MODERNISE_MESSAGE.test(subject)) return 'modernisation';
    if (REFACTOR_MESSAGE.test(subject)) return 'identifier-rename';
  }
  // A message that says the change keeps behaviour, and the line (or the block it was rewritten in) kept most of its tokens.
  const kept = sim >= 0.5 || (options.block ?? 0) >= 0.5;
  if (MODERNISE_MESSAGE.test(subject) && kept) return 'modernisation';
  if (REFACTOR_MESSAGE.test(subject) && kept) return 'refactor';
  if (options.generic && sim >= 0.6) return 'uninformative';
  return 'substantive';
}

/**
 * The same tokens but for identifiers, each old name always becoming the same new one and no two old
 * names becoming one (`iterator` → `iteratee` throughout).
 */
function isConsistentRename(was: readonly string[], is: readonly string[]): boolean {
  if (was.length !== is.length) return false;
  const forward = new Map<string, string>();
  const backward = new Map<string, string>();
  let renamed = 0;
  for (let i = 0; i < was.length; i++) {
    const [a, b] = [was[i]!, is[i]!];
    if (a === b) continue;
    if (!IDENTIFIER.test(a) || !IDENTIFIER.test(b)) return false;
    if ((forward.get(a) ?? b) !== b || (backward.get(b) ?? a) !== a) return false;
    forward.set(a, b);
    backward.set(b, a);
    renamed++;
  }
  return renamed > 0;
}

/**
 * The tokens without type annotations: `: T` after a parameter or a name being declared, `-> T` before
 * a Python body, `as T` and TypeScript generics after a call's name. A type runs until a token that
 * cannot be part of one at depth 0 (`,`, `)`, `=`, `{`, a final `:`).
 */
function withoutAnnotations(line: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < line.length; i++) {
    const token = line[i]!;
    const previous = line[i - 1] ?? '';
    const annotationStart =
      (token === ':' && (IDENTIFIER.test(previous) || previous === ')' || previous === ']') && i + 1 < line.length && !isDictOrSliceContext(line, i)) ||
      token === '->' ||
      (token === 'as' && IDENTIFIER.test(line[i + 1] ?? ''));
    if (!annotationStart) {
      out.push(token);
      continue;
    }
    let depth = 0;
    let j = i + 1;
    for (; j < line.length; j++) {
      const t = line[j]!;
      if (t === '[' || t === '<' || t === '(') depth++;
      else if ((t === ']' || t === '>' || t === ')') && depth > 0) depth--;
      else if (depth === 0 && (t === ',' || t === ')' || t === '=' || t === '{' || t === ';' || (t === ':' && j === line.length - 1))) break;
    }
    i = j - 1;
  }
  return out;
}

/** A colon inside braces (an object or dict literal) or brackets (a slice), or of a ternary, is not an annotation. */
function isDictOrSliceContext(line: readonly string[], at: number): boolean {
  if (line.slice(0, at).includes('?')) return true;
  let depth = 0;
  for (let i = at - 1; i >= 0; i--) {
    const token = line[i]!;
    if (token === ')' || token === ']' || token === '}') depth++;
    else if (token === '(' || token === '[' || token === '{') {
      if (depth === 0) return token === '{' || token === '[';
      depth--;
    }
  }
  // At depth 0 a name then a colon starting a line is a key of a literal spread over lines, or a label:
  // a typed declaration starts with a keyword or is a parameter.
  return at === 1 && !/^(def|let|const|var)$/.test(line[0] ?? '') && line[at + 1] !== undefined && !IDENTIFIER.test(line[at + 1]!);
}
