// The functions, classes and methods of a document, for code lenses: a real parser where one exists (tree-sitter),
// the keyword and indentation heuristic elsewhere. Plain inputs and plain data: nothing here knows LSP.
import { fallbackSymbols } from './fallback';
import { grammarFor } from './languages';
import { TreeSitterSymbols } from './tree-sitter';
import type { CodeSymbol } from './types';

/** Past this much text the parser is not tried (its tree would cost more than the lenses are worth). */
export const MAX_PARSE_CHARS = 2_000_000;

/** Documents that hold no code: no lenses. */
const PROSE_IDS = new Set(['plaintext', 'markdown', 'json', 'jsonc', 'yaml', 'xml', 'html', 'csv', 'log', 'ignore', 'properties']);
const PROSE_EXTENSIONS = /\.(?:txt|md|markdown|rst|adoc|json|jsonc|ya?ml|toml|xml|html?|svg|csv|tsv|log|lock|ini|cfg)$/i;

/** The parsers are loaded on the first call and kept for the life of the process. */
const treeSitter = new TreeSitterSymbols();

/**
 * The symbols of `text`, sorted by start line (outer before inner). The language comes from the LSP language id when
 * it names one we parse, else from the extension of `path`. Never throws: a parse that fails or gives up falls back
 * to the heuristic.
 */
export async function findSymbols(path: string, text: string, languageId?: string): Promise<CodeSymbol[]> {
  if (text.trim().length === 0) return [];
  const grammar = grammarFor(path, languageId);
  let symbols: CodeSymbol[] | undefined;
  if (grammar && text.length <= MAX_PARSE_CHARS) {
    symbols = await treeSitter.find(grammar, text).catch(() => undefined);
  }
  if (!symbols) {
    if (!grammar && (PROSE_IDS.has(languageId ?? '') || PROSE_EXTENSIONS.test(path))) return [];
    symbols = fallbackSymbols(text);
  }
  return symbols.sort((a, b) => a.startLine - b.startLine || b.endLine - a.endLine);
}
