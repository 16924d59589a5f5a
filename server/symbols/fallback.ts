// Symbols without a parser: keyword headers (`def`, `function`, `class`, `func`, `fn`, `sub`, ...), their extent
// by braces where the header opens one, else by indentation (with a closing `end`, `}`, `fi`, `done` included).
import type { CodeSymbol, SymbolKind } from './types';

/** Words before a header that do not change what it is. */
const MODIFIERS =
  /^(?:(?:export|default|public|private|protected|internal|static|final|abstract|sealed|async|override|virtual|local|pub(?:\([^)]*\))?|unsafe|extern|inline|open|suspend|data|partial|declare|global|enum(?=\s+class\b))\s+)*/;

const NAME = String.raw`([A-Za-z_$][\w$.:!?'-]*)`;

/** Header forms, tried in order on a line without its indentation and modifiers. */
const HEADERS: readonly [RegExp, SymbolKind][] = [
  [new RegExp(String.raw`^(?:function|func|fn|fun|def|defp|defmacro|sub|proc|procedure|method|macro)\s+(?:\([^)]*\)\s*)?${NAME}`), 'function'],
  [new RegExp(String.raw`^(?:class|struct|record|object|enum|union|impl)\s+${NAME}`), 'class'],
  [new RegExp(String.raw`^(?:interface|protocol|trait)\s+${NAME}`), 'interface'],
  [new RegExp(String.raw`^(?:module|namespace|mod|defmodule|package\s+body)\s+${NAME}`), 'module'],
  // Lisps: (defun name ...), (defn name ...), (define (name ...) ...)
  [/^\((?:defun|defmacro|defn-?|define)\s+\(?([^\s()]+)/, 'function'],
  // Shells: name() { ... } (a bare `name()` is more often a call)
  [/^([A-Za-z_][\w.:-]*)\s*\(\)\s*[{(]/, 'function'],
  // Lua and the like: M.name = function (...)
  [/^([A-Za-z_][\w.:]*)\s*=\s*function\b/, 'function'],
];

/** A line that starts with one of these is a comment and holds no header. */
const COMMENT = /^(?:\/\/|\/\*|\*|#|--|;|%|')/;

/** A line at the header's indentation that still belongs to its block. */
const CLOSER = /^(?:end\b|\}|fi\b|done\b|esac\b|endfunction\b|endif\b|until\b|\)|\])/;

/** Past this much text the heuristic finds nothing rather than spend the time. */
export const MAX_FALLBACK_CHARS = 10_000_000;

interface LineFacts {
  /** Indentation width (a tab counts 4), or -1 for a blank line. */
  indent: number;
  /** Brace depth before the line, the lowest it reaches within the line (relative), and after it. */
  depth: number;
  low: number;
  after: number;
  /** Net parentheses on the line. */
  parens: number;
}

export function fallbackSymbols(text: string): CodeSymbol[] {
  if (text.length === 0 || text.length > MAX_FALLBACK_CHARS) return [];
  const lines = text.split(/\r\n|\r|\n/);
  const facts = measure(lines);
  const symbols: CodeSymbol[] = [];
  const open: CodeSymbol[] = [];
  lines.forEach((line, index) => {
    const header = headerOf(line);
    if (!header) return;
    while (open.length > 0 && open[open.length - 1]!.endLine < index) open.pop();
    const container = open[open.length - 1]?.kind;
    const kind = header.kind === 'function' && (container === 'class' || container === 'interface') ? 'method' : header.kind;
    const symbol = { name: header.name, kind, startLine: index, endLine: endOf(index, lines, facts) };
    symbols.push(symbol);
    open.push(symbol);
  });
  return symbols;
}

function headerOf(line: string): { name: string; kind: SymbolKind } | undefined {
  const trimmed = line.trim();
  if (trimmed.length === 0 || COMMENT.test(trimmed)) return undefined;
  const rest = trimmed.replace(MODIFIERS, '');
  for (const [pattern, kind] of HEADERS) {
    const name = pattern.exec(rest)?.[1];
    if (name) return { name, kind };
  }
  return undefined;
}

/** The last line of the block a header at `start` opens. */
function endOf(start: number, lines: readonly string[], facts: readonly LineFacts[]): number {
  const base = facts[start]!.depth;
  // A signature over several lines ends where its parentheses balance (at most 10 lines on).
  let signatureEnd = start;
  for (let parens = facts[start]!.parens; parens > 0 && signatureEnd < Math.min(lines.length - 1, start + 10); ) {
    signatureEnd++;
    parens += facts[signatureEnd]!.parens;
  }
  const next = nextNonBlank(signatureEnd + 1, facts);
  const opensBrace = facts[signatureEnd]!.after > base;
  const braceBelow = next !== undefined && lines[next]!.trimStart().startsWith('{') && facts[next]!.after > base;
  if (opensBrace || braceBelow) {
    for (let index = opensBrace ? signatureEnd + 1 : next! + 1; index < lines.length; index++) {
      const line = facts[index]!;
      if (line.depth + line.low <= base) return index;
    }
    return lastNonBlank(lines.length - 1, facts, start);
  }
  const indent = facts[start]!.indent;
  for (let index = signatureEnd + 1; index < lines.length; index++) {
    const line = facts[index]!;
    if (line.indent < 0 || line.indent > indent) continue;
    // `end` at the header's own indentation closes it; a `}` further out closes the enclosing block.
    if (line.indent === indent && CLOSER.test(lines[index]!.trimStart())) return index;
    return lastNonBlank(index - 1, facts, signatureEnd);
  }
  return lastNonBlank(lines.length - 1, facts, signatureEnd);
}

function nextNonBlank(from: number, facts: readonly LineFacts[]): number | undefined {
  for (let index = from; index < facts.length; index++) if (facts[index]!.indent >= 0) return index;
  return undefined;
}

function lastNonBlank(from: number, facts: readonly LineFacts[], floor: number): number {
  let index = from;
  while (index > floor && facts[index]!.indent < 0) index--;
  return index;
}

/** One pass over the text: indentation, and brace and paren depths outside strings and comments. */
function measure(lines: readonly string[]): LineFacts[] {
  const facts: LineFacts[] = [];
  let depth = 0;
  let inBlockComment = false;
  for (const line of lines) {
    const indentMatch = /^[ \t]*/.exec(line)![0];
    const blank = indentMatch.length === line.length;
    const before = depth;
    let low = 0;
    let parens = 0;
    for (let i = 0; i < line.length; i++) {
      const c = line[i]!;
      if (inBlockComment) {
        if (c === '*' && line[i + 1] === '/') {
          inBlockComment = false;
          i++;
        }
      } else if (c === '/' && line[i + 1] === '/') {
        break;
      } else if (c === '/' && line[i + 1] === '*') {
        inBlockComment = true;
        i++;
      } else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) {
        break;
      } else if (c === '"' || c === "'" || c === '`') {
        // A string closed on the same line is skipped; a lone quote (a Rust lifetime, an apostrophe) is not one.
        const close = closingQuote(line, i);
        if (close > i) i = close;
      } else if (c === '{') {
        depth++;
      } else if (c === '}') {
        depth--;
        low = Math.min(low, depth - before);
      } else if (c === '(') {
        parens++;
      } else if (c === ')') {
        parens--;
      }
    }
    const indent = blank ? -1 : indentMatch.replace(/\t/g, '    ').length;
    facts.push({ indent, depth: before, low, after: depth, parens });
  }
  return facts;
}

function closingQuote(line: string, open: number): number {
  const quote = line[open];
  for (let i = open + 1; i < line.length; i++) {
    if (line[i] === '\\') i++;
    else if (line[i] === quote) return i;
  }
  return -1;
}
