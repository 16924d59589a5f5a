// What a symbol finder returns. Imports nothing, so the finders (fallback, tree-sitter, the grammar
// table) and symbols.ts, which chooses among them, all depend on this and not on each other.

export type SymbolKind = 'function' | 'method' | 'class' | 'interface' | 'module';

export interface CodeSymbol {
  name: string;
  kind: SymbolKind;
  /** 0-based, inclusive; a symbol starts at its decorators or attributes. */
  startLine: number;
  endLine: number;
}
