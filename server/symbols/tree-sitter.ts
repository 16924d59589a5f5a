// Symbols from a real parser: web-tree-sitter and the prebuilt grammars of @vscode/tree-sitter-wasm.
import { dirname, join } from 'node:path';
import type { Language, Node, Parser, Tree } from 'web-tree-sitter';
import { grammar, type Grammar, type GrammarName, type NodeRule } from './languages';
import type { CodeSymbol, SymbolKind } from './types';

type Runtime = typeof import('web-tree-sitter');

/** A parser set to a grammar, and the grammar's rules indexed by node type id. */
interface Loaded {
  parser: Parser;
  rules: readonly (NodeRule | undefined)[];
}

/** Parsing stops (and the caller falls back) past this much time. */
export const PARSE_BUDGET_MS = 1_000;

/**
 * The runtime and one parser per grammar, each loaded on first use and kept. A failed load is not kept, so a
 * later call tries again; parsing is synchronous, so one parser per grammar serves every caller.
 */
export class TreeSitterSymbols {
  private runtime: Promise<Runtime> | undefined;
  private readonly parsers = new Map<GrammarName, Promise<Loaded>>();

  /**
   * The symbols, or undefined when the parse gave up (past `budgetMs`) or found nothing in a broken file; rejects
   * when the runtime or the grammar cannot be loaded.
   */
  async find(name: GrammarName, text: string, budgetMs = PARSE_BUDGET_MS): Promise<CodeSymbol[] | undefined> {
    const { parser, rules } = await this.parser(name);
    const started = performance.now();
    // Returning true from the progress callback cancels the parse.
    const tree: Tree | null = parser.parse(text, null, { progressCallback: () => performance.now() - started > budgetMs });
    if (!tree) {
      parser.reset();
      return undefined;
    }
    try {
      const symbols = collect(tree.rootNode, grammar(name), rules);
      // A broken file that yields nothing from the tree gets the heuristic's answer instead.
      return symbols.length === 0 && tree.rootNode.hasError ? undefined : symbols;
    } finally {
      tree.delete();
    }
  }

  private parser(name: GrammarName): Promise<Loaded> {
    let parser = this.parsers.get(name);
    if (!parser) {
      parser = this.load(name);
      this.parsers.set(name, parser);
      parser.catch(() => this.parsers.delete(name));
    }
    return parser;
  }

  private async load(name: GrammarName): Promise<Loaded> {
    const runtime = await this.init();
    const language: Language = await runtime.Language.load(join(grammarFolder(), grammar(name).wasm));
    const parser = new runtime.Parser();
    parser.setLanguage(language);
    // By node type id: one look-up per node in the walk, and an anonymous `class` keyword is no class node.
    const byName = grammar(name).rules;
    const rules = language.types.map((type, id) => (language.nodeTypeIsNamed(id) ? byName.get(type) : undefined));
    return { parser, rules };
  }

  private init(): Promise<Runtime> {
    if (!this.runtime) {
      this.runtime = (async () => {
        const runtime = await import('web-tree-sitter');
        await runtime.Parser.init();
        return runtime;
      })();
      this.runtime.catch(() => {
        this.runtime = undefined;
      });
    }
    return this.runtime;
  }
}

/** Found at run time next to the installed package, so it works from dist/ as from the sources. */
function grammarFolder(): string {
  return join(dirname(require.resolve('@vscode/tree-sitter-wasm/package.json')), 'wasm');
}

/** One pre-order walk with a cursor; a node that is a symbol is the container of the symbols under it. */
function collect(root: Node, spec: Grammar, rules: readonly (NodeRule | undefined)[]): CodeSymbol[] {
  const symbols: CodeSymbol[] = [];
  const containers: { depth: number; kind: SymbolKind }[] = [];
  const cursor = root.walk();
  let depth = 0;
  try {
    for (;;) {
      const rule = rules[cursor.nodeTypeId];
      if (rule) {
        const node = cursor.currentNode;
        const symbol = describe(node, spec, rule, containers.at(-1)?.kind);
        if (symbol) {
          symbols.push(symbol);
          containers.push({ depth, kind: symbol.kind });
        }
      }
      if (cursor.gotoFirstChild()) {
        depth++;
        continue;
      }
      while (!cursor.gotoNextSibling()) {
        if (!cursor.gotoParent()) return symbols;
        depth--;
      }
      while (containers.length > 0 && containers[containers.length - 1]!.depth >= depth) containers.pop();
    }
  } finally {
    cursor.delete();
  }
}

function describe(node: Node, spec: Grammar, rule: NodeRule, container: SymbolKind | undefined): CodeSymbol | undefined {
  let kind = typeof rule.kind === 'function' ? rule.kind(node) : rule.kind;
  if (kind === undefined) return undefined;
  const name = (rule.name ? rule.name(node) : node.childForFieldName('name')?.text)?.trim();
  if (!name) return undefined;
  if (kind === 'function' && (container === 'class' || container === 'interface')) kind = 'method';
  const endLine = node.endPosition.column === 0 && node.endPosition.row > node.startPosition.row
    ? node.endPosition.row - 1
    : node.endPosition.row;
  return { name: name.replace(/\s+/g, ' '), kind, startLine: startLine(node, spec), endLine };
}

/** Where a symbol starts: at its decorators, attributes or template line when it has them. */
function startLine(node: Node, spec: Grammar): number {
  let start = node;
  if (spec.wrappers && start.parent && spec.wrappers.includes(start.parent.type)) start = start.parent;
  if (spec.leading) {
    for (let previous = start.previousNamedSibling; previous && spec.leading.includes(previous.type); previous = previous.previousNamedSibling) {
      start = previous;
    }
  }
  return start.startPosition.row;
}
