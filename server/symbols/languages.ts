// Which tree-sitter grammar parses a document, and which of its node types are the symbols a code lens sits on.
import type { Node } from 'web-tree-sitter';
import type { SymbolKind } from './types';


/** How one node type becomes a symbol. */
export interface NodeRule {
  /**
   * What the node is, or undefined when this one is not a symbol (a `const` that holds no function, a type alias).
   * 'function' becomes 'method' when the nearest enclosing symbol is a class or an interface.
   */
  readonly kind: SymbolKind | ((node: Node) => SymbolKind | undefined);
  /** The symbol's name; the node's `name` field when absent. A node with no name is no symbol. */
  readonly name?: (node: Node) => string | undefined;
}

export interface Grammar {
  /** The file in @vscode/tree-sitter-wasm's `wasm/` folder. */
  readonly wasm: string;
  readonly rules: ReadonlyMap<string, NodeRule>;
  /** A symbol starts at its leading decorators or attributes: preceding siblings of these types. */
  readonly leading?: readonly string[];
  /** ...or at a parent of one of these types that wraps it (Python's decorated_definition, C++'s template). */
  readonly wrappers?: readonly string[];
}

const field = (node: Node, name: string): string | undefined => node.childForFieldName(name)?.text;

const JS_FUNCTION_VALUES = new Set(['arrow_function', 'function_expression', 'function', 'generator_function']);
const holdsFunction = (node: Node, valueField: string): boolean =>
  JS_FUNCTION_VALUES.has(node.childForFieldName(valueField)?.type ?? '');

const ecmaRules: [string, NodeRule][] = [
  ['function_declaration', { kind: 'function' }],
  ['generator_function_declaration', { kind: 'function' }],
  ['class_declaration', { kind: 'class' }],
  ['abstract_class_declaration', { kind: 'class' }],
  ['class', { kind: 'class' }],
  ['method_definition', { kind: 'method' }],
  ['interface_declaration', { kind: 'interface' }],
  ['enum_declaration', { kind: 'class' }],
  ['internal_module', { kind: 'module' }],
  ['module', { kind: 'module' }],
  // const add = (a, b) => a + b;  let f = function () {};
  ['variable_declarator', { kind: (n) => (holdsFunction(n, 'value') ? 'function' : undefined) }],
  // class A { handler = () => {} }
  ['public_field_definition', { kind: (n) => (holdsFunction(n, 'value') ? 'method' : undefined) }],
  [
    'field_definition',
    { kind: (n) => (holdsFunction(n, 'value') ? 'method' : undefined), name: (n) => field(n, 'property') },
  ],
  // module.exports.run = function () {};  Foo.prototype.bar = () => {};
  [
    'assignment_expression',
    {
      kind: (n) => (holdsFunction(n, 'right') && n.childForFieldName('left')?.type === 'member_expression' ? 'function' : undefined),
      name: (n) => field(n, 'left'),
    },
  ],
];

const ecma = (wasm: string): Grammar => ({ wasm, rules: new Map(ecmaRules), leading: ['decorator'] });

/** Go's `type X struct {}` and `type X interface {}`; other type specs are no symbols. */
const goType = (node: Node): SymbolKind | undefined => {
  const type = node.childForFieldName('type')?.type;
  return type === 'struct_type' ? 'class' : type === 'interface_type' ? 'interface' : undefined;
};

/** `impl Display for Point` / `impl<T> Wrapper<T>`. */
const rustImplName = (node: Node): string | undefined => {
  const type = field(node, 'type');
  if (type === undefined) return undefined;
  const trait = field(node, 'trait');
  return trait === undefined ? `impl ${type}` : `impl ${trait} for ${type}`;
};

/** C and C++ name a function through its declarator: `int *ns::Widget::draw(int) const`. */
const cppFunctionName = (node: Node): string | undefined => {
  let declarator = node.childForFieldName('declarator');
  for (let hops = 0; declarator && hops < 8; hops++) {
    if (/identifier$|^destructor_name$|^operator_name$/.test(declarator.type)) return declarator.text;
    declarator = declarator.childForFieldName('declarator');
  }
  return undefined;
};

const GRAMMARS = {
  typescript: ecma('tree-sitter-typescript.wasm'),
  tsx: ecma('tree-sitter-tsx.wasm'),
  javascript: ecma('tree-sitter-javascript.wasm'),
  python: {
    wasm: 'tree-sitter-python.wasm',
    rules: new Map<string, NodeRule>([
      ['function_definition', { kind: 'function' }],
      ['class_definition', { kind: 'class' }],
    ]),
    wrappers: ['decorated_definition'],
  },
  go: {
    wasm: 'tree-sitter-go.wasm',
    rules: new Map<string, NodeRule>([
      ['function_declaration', { kind: 'function' }],
      ['method_declaration', { kind: 'method' }],
      ['type_spec', { kind: goType }],
    ]),
  },
  rust: {
    wasm: 'tree-sitter-rust.wasm',
    rules: new Map<string, NodeRule>([
      ['function_item', { kind: 'function' }],
      ['function_signature_item', { kind: 'function' }],
      ['struct_item', { kind: 'class' }],
      ['enum_item', { kind: 'class' }],
      ['union_item', { kind: 'class' }],
      ['trait_item', { kind: 'interface' }],
      ['impl_item', { kind: 'class', name: rustImplName }],
      ['mod_item', { kind: 'module' }],
    ]),
    leading: ['attribute_item'],
  },
  java: {
    wasm: 'tree-sitter-java.wasm',
    rules: new Map<string, NodeRule>([
      ['class_declaration', { kind: 'class' }],
      ['enum_declaration', { kind: 'class' }],
      ['record_declaration', { kind: 'class' }],
      ['interface_declaration', { kind: 'interface' }],
      ['annotation_type_declaration', { kind: 'interface' }],
      ['method_declaration', { kind: 'method' }],
      ['constructor_declaration', { kind: 'method' }],
      ['compact_constructor_declaration', { kind: 'method' }],
    ]),
  },
  csharp: {
    wasm: 'tree-sitter-c-sharp.wasm',
    rules: new Map<string, NodeRule>([
      ['class_declaration', { kind: 'class' }],
      ['struct_declaration', { kind: 'class' }],
      ['record_declaration', { kind: 'class' }],
      ['enum_declaration', { kind: 'class' }],
      ['interface_declaration', { kind: 'interface' }],
      ['method_declaration', { kind: 'method' }],
      ['constructor_declaration', { kind: 'method' }],
      ['destructor_declaration', { kind: 'method' }],
      ['operator_declaration', { kind: 'method', name: (n) => `operator ${field(n, 'operator') ?? ''}`.trim() }],
      ['local_function_statement', { kind: 'function' }],
      ['namespace_declaration', { kind: 'module' }],
    ]),
  },
  cpp: {
    wasm: 'tree-sitter-cpp.wasm',
    rules: new Map<string, NodeRule>([
      ['function_definition', { kind: 'function', name: cppFunctionName }],
      // A class with a body; `class Foo;` is a forward declaration.
      ['class_specifier', { kind: (n) => (n.childForFieldName('body') ? 'class' : undefined) }],
      ['struct_specifier', { kind: (n) => (n.childForFieldName('body') ? 'class' : undefined) }],
      ['union_specifier', { kind: (n) => (n.childForFieldName('body') ? 'class' : undefined) }],
      ['namespace_definition', { kind: 'module' }],
    ]),
    wrappers: ['template_declaration'],
  },
  php: {
    wasm: 'tree-sitter-php.wasm',
    rules: new Map<string, NodeRule>([
      ['function_definition', { kind: 'function' }],
      ['method_declaration', { kind: 'method' }],
      ['class_declaration', { kind: 'class' }],
      ['enum_declaration', { kind: 'class' }],
      ['trait_declaration', { kind: 'class' }],
      ['interface_declaration', { kind: 'interface' }],
      ['namespace_definition', { kind: (n) => (n.childForFieldName('body') ? 'module' : undefined) }],
    ]),
  },
  ruby: {
    wasm: 'tree-sitter-ruby.wasm',
    rules: new Map<string, NodeRule>([
      ['method', { kind: 'function' }],
      ['singleton_method', { kind: 'function', name: (n) => `${field(n, 'object') ?? 'self'}.${field(n, 'name') ?? ''}` }],
      ['class', { kind: 'class' }],
      ['module', { kind: 'module' }],
    ]),
  },
  bash: {
    wasm: 'tree-sitter-bash.wasm',
    rules: new Map<string, NodeRule>([['function_definition', { kind: 'function' }]]),
  },
} satisfies Record<string, Grammar>;

export type GrammarName = keyof typeof GRAMMARS;

export function grammar(name: GrammarName): Grammar {
  return GRAMMARS[name];
}

/** LSP language identifiers (VS Code's) to grammars. */
const BY_LANGUAGE_ID = new Map<string, GrammarName>([
  ['typescript', 'typescript'],
  ['typescriptreact', 'tsx'],
  ['javascript', 'javascript'],
  ['javascriptreact', 'javascript'],
  ['python', 'python'],
  ['go', 'go'],
  ['rust', 'rust'],
  ['java', 'java'],
  ['csharp', 'csharp'],
  ['c', 'cpp'],
  ['cpp', 'cpp'],
  ['cuda-cpp', 'cpp'],
  ['php', 'php'],
  ['ruby', 'ruby'],
  ['shellscript', 'bash'],
]);

const BY_EXTENSION = new Map<string, GrammarName>([
  ...['ts', 'mts', 'cts'].map((e) => [e, 'typescript'] as const),
  ['tsx', 'tsx'],
  ...['js', 'mjs', 'cjs', 'jsx'].map((e) => [e, 'javascript'] as const),
  ...['py', 'pyi', 'pyw'].map((e) => [e, 'python'] as const),
  ['go', 'go'],
  ['rs', 'rust'],
  ['java', 'java'],
  ['cs', 'csharp'],
  ...['c', 'h', 'cc', 'cpp', 'cxx', 'c++', 'hh', 'hpp', 'hxx', 'h++', 'cu', 'cuh'].map((e) => [e, 'cpp'] as const),
  ...['php', 'phtml'].map((e) => [e, 'php'] as const),
  ...['rb', 'rake', 'gemspec'].map((e) => [e, 'ruby'] as const),
  ...['sh', 'bash'].map((e) => [e, 'bash'] as const),
]);

/** The grammar for a document: its LSP language id when we know it, else its file extension. */
export function grammarFor(path: string, languageId?: string): GrammarName | undefined {
  const byId = languageId === undefined ? undefined : BY_LANGUAGE_ID.get(languageId);
  if (byId) return byId;
  const base = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? BY_EXTENSION.get(base.slice(dot + 1).toLowerCase()) : undefined;
}
