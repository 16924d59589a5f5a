import * as path from 'node:path';
import type { Random } from './random';
import type { FileState } from './source-file';
import { ADJECTIVES, AREAS, COMMENTS, NOUNS, PRIMITIVES, TYPE_SUFFIXES, VERBS, pascal, upperSnake } from './vocabulary';

/** Values for the `{fn}`, `{file}` and `{area}` placeholders of a template; missing ones are made up. */
export interface TemplateContext {
  fn?: string;
  file?: string;
  area?: string;
}

/**
 * Writes TypeScript-like (and Markdown) text: whole files, blocks to insert, one-line tweaks, and the
 * filled-in templates commit messages are made of.
 */
export class CodeWriter {
  /** Function names defined anywhere so far: call sites refer to them, which makes lexical search meaningful. */
  private readonly known: string[] = [];

  constructor(private readonly random: Random) {}

  functionName(): string {
    const r = this.random;
    const name = r.pick(VERBS) + pascal(r.pick(NOUNS)) + (r.chance(0.35) ? pascal(r.pick(NOUNS)) : '');
    return name;
  }

  typeName(): string {
    return pascal(this.random.pick(NOUNS)) + this.random.pick(TYPE_SUFFIXES);
  }

  variable(): string {
    const r = this.random;
    return r.chance(0.5) ? r.pick(ADJECTIVES) + pascal(r.pick(NOUNS)) : r.pick(NOUNS);
  }

  /** Names a function another module defines (or a fresh one), for call sites. */
  callee(): string {
    if (this.known.length > 0 && this.random.chance(0.6)) return this.random.pick(this.known);
    return this.functionName();
  }

  remember(name: string, file: FileState): void {
    file.functions.push(name);
    if (this.known.length < 4000) this.known.push(name);
  }

  fill(template: string, context: TemplateContext): string {
    const r = this.random;
    const used = new Set<string>();
    const noun = (): string => {
      let word: string = r.pick(NOUNS);
      for (let i = 0; i < 5 && used.has(word); i++) word = r.pick(NOUNS);
      used.add(word);
      return word;
    };
    return template.replace(/\{(\w+)\}/g, (_, key: string) => {
      switch (key) {
        case 'noun': case 'noun2': case 'noun3': return noun();
        case 'adj': return r.pick(ADJECTIVES);
        case 'verb': return r.pick(VERBS);
        case 'Verb': return pascal(r.pick(VERBS));
        case 'fn': return context.fn ?? this.callee();
        case 'file': return context.file ?? r.pick(NOUNS);
        case 'area': return context.area ?? r.pick(AREAS);
        case 'Type': return this.typeName();
        case 'num': return String(r.int(2, 5000));
        default: return key;
      }
    });
  }

  private literal(q: string): string {
    const r = this.random;
    switch (r.int(0, 6)) {
      case 0: return String(r.int(0, 1000));
      case 1: return `${q}${r.pick(NOUNS)}${q}`;
      case 2: return r.chance(0.5) ? 'true' : 'false';
      case 3: return 'undefined';
      case 4: return '[]';
      case 5: return `new Map<string, ${pascal(r.pick(NOUNS))}>()`;
      default: return `${r.int(1, 60)}_000`;
    }
  }

  private args(): string {
    const count = this.random.int(0, 3);
    const parts: string[] = [];
    for (let i = 0; i < count; i++) parts.push(this.variable());
    return parts.join(', ');
  }

  private pad(level: number, file: FileState): string {
    return ' '.repeat(level * file.indent);
  }

  /** One statement inside a function body. */
  statement(level: number, file: FileState): string {
    const r = this.random;
    const p = this.pad(level, file);
    const q = file.quote;
    switch (r.int(0, 13)) {
      case 0: case 1: return `${p}const ${this.variable()} = ${this.callee()}(${this.args()});`;
      case 2: return `${p}let ${this.variable()} = ${this.literal(q)};`;
      case 3: return `${p}if (!${this.variable()}) return ${this.literal(q)};`;
      case 4: return `${p}${this.variable()}.push(${this.variable()});`;
      case 5: return `${p}return ${this.callee()}(${this.args()});`;
      case 6: return `${p}// ${this.fill(r.pick(COMMENTS), {})}`;
      case 7: return `${p}this.${this.variable()} = ${this.variable()} ?? ${this.literal(q)};`;
      case 8: return `${p}throw new Error(${q}${this.callee()}: ${r.pick(ADJECTIVES)} ${r.pick(NOUNS)} is missing${q});`;
      case 9: return `${p}await ${this.callee()}(${this.args()});`;
      case 10: return `${p}${this.variable()} += ${r.int(1, 64)};`;
      case 11: return `${p}logger.debug(${q}${r.pick(VERBS)} ${r.pick(NOUNS)}${q}, ${this.variable()});`;
      case 12: return `${p}const { ${r.pick(NOUNS)}, ${r.pick(NOUNS)}Id } = ${this.variable()};`;
      default: return `${p}${this.variable()}.set(${this.variable()}.id, ${this.callee()}(${this.variable()}));`;
    }
  }

  /** About `count` lines of statements at `level`, sometimes wrapped in an if/for block. */
  statements(count: number, level: number, file: FileState): string[] {
    const r = this.random;
    const out: string[] = [];
    while (out.length < count) {
      const left = count - out.length;
      if (left >= 3 && r.chance(0.25)) {
        const p = this.pad(level, file);
        const head = r.chance(0.5)
          ? `${p}if (${this.variable()}.length > ${r.int(0, 100)}) {`
          : `${p}for (const ${r.pick(NOUNS)} of ${this.variable()}s) {`;
        out.push(head);
        const inner = Math.min(left - 2, r.int(1, 4));
        for (let i = 0; i < inner; i++) out.push(this.statement(level + 1, file));
        out.push(`${p}}`);
      } else {
        out.push(this.statement(level, file));
      }
    }
    return out;
  }

  /** A top-level declaration (function, interface, class, constant) of at most `size` lines. */
  declaration(size: number, file: FileState): string[] {
    const r = this.random;
    const q = file.quote;
    const out: string[] = [];
    const kind = r.int(0, 9);
    if (size < 3) {
      const words = [r.pick(ADJECTIVES), r.pick(NOUNS)];
      out.push(`export const ${upperSnake(words)} = ${r.chance(0.5) ? r.int(1, 10_000) : `${q}${r.pick(NOUNS)}${q}`};`);
    } else if (kind <= 6 || size < 6) {
      const name = this.functionName();
      this.remember(name, file);
      if (size >= 4 && r.chance(0.5)) out.push(`/** ${this.fill(r.pick(COMMENTS), { fn: name })} */`);
      const params: string[] = [];
      const paramCount = r.int(0, 3);
      for (let i = 0; i < paramCount; i++) params.push(`${this.variable()}: ${r.chance(0.6) ? this.typeName() : r.pick(PRIMITIVES)}`);
      const asyncKw = r.chance(0.3);
      const ret = r.chance(0.5) ? this.typeName() : r.pick(PRIMITIVES);
      out.push(`export ${asyncKw ? 'async ' : ''}function ${name}(${params.join(', ')}): ${asyncKw ? `Promise<${ret}>` : ret} {`);
      out.push(...this.statements(size - out.length - 1, 1, file));
      out.push('}');
    } else if (kind <= 8) {
      out.push(`export interface ${this.typeName()} {`);
      for (let i = 0; i < size - 2; i++) {
        out.push(`${this.pad(1, file)}${this.variable()}${r.chance(0.3) ? '?' : ''}: ${r.chance(0.4) ? this.typeName() : r.pick(PRIMITIVES)};`);
      }
      out.push('}');
    } else {
      const name = this.typeName().replace(/[A-Z][a-z]+$/, '') + 'Service';
      out.push(`export class ${name} {`);
      const method = this.functionName();
      this.remember(method, file);
      out.push(`${this.pad(1, file)}${method}(${this.variable()}: string): void {`);
      out.push(...this.statements(size - 4, 2, file));
      out.push(`${this.pad(1, file)}}`, '}');
    }
    return out;
  }

  /** Exactly `count` lines of top-level declarations separated by blank lines. */
  declarations(count: number, file: FileState, maxSize = 18): string[] {
    const out: string[] = [];
    while (out.length < count) {
      const left = count - out.length;
      if (left === 1) {
        out.push(...this.declaration(1, file));
        break;
      }
      out.push(...this.declaration(Math.min(left - 1, this.random.int(3, maxSize)), file), '');
    }
    return out;
  }

  /** Exactly `count` lines to insert at a position whose indentation level is `level`. */
  block(count: number, level: number, file: FileState): string[] {
    if (file.kind === 'md') return this.markdown(count).slice(0, count);
    return level > 0 ? this.statements(count, Math.min(level, 3), file) : this.declarations(count, file);
  }

  markdown(count: number): string[] {
    const r = this.random;
    const out: string[] = [];
    while (out.length < count) {
      switch (r.int(0, 4)) {
        case 0: out.push(`## ${pascal(r.pick(NOUNS))} ${r.pick(NOUNS)}s`, ''); break;
        case 1: out.push(`- \`${this.callee()}\`: ${this.fill('{verb}s the {adj} {noun} for a {noun2}.', {})}`); break;
        case 2: out.push(this.fill('The {area} module keeps a {adj} {noun} per {noun2}; call {fn} to refresh it.', {}), ''); break;
        case 3: out.push('```ts', `const ${this.variable()} = ${this.callee()}(${this.args()});`, '```', ''); break;
        default: out.push(this.fill('Set `{noun}.{noun2}` to change the {adj} {noun3} limit.', {})); break;
      }
    }
    return out;
  }

  /** A fresh source file of about `size` lines. */
  initialSource(file: FileState, size: number, others: readonly FileState[]): string[] {
    const r = this.random;
    const out: string[] = [`// ${pascal(file.area)}: ${this.fill('{adj} {noun} and {noun2} handling.', {})}`];
    const imports = r.int(0, 4);
    for (let i = 0; i < imports && others.length > 0; i++) {
      const other = r.pick(others);
      if (other === file || other.kind !== 'ts') continue;
      let rel = path.posix.relative(path.posix.dirname(file.path), other.path).replace(/\.ts$/, '');
      if (!rel.startsWith('.')) rel = `./${rel}`;
      const name = other.functions.length > 0 ? r.pick(other.functions) : this.functionName();
      out.push(`import { ${name} } from ${file.quote}${rel}${file.quote};`);
    }
    out.push('');
    out.push(...this.declarations(Math.max(1, size - out.length), file, 20));
    return out;
  }

  /** A one-line fix: bump a number, flip a comparison or swap an identifier. */
  tweak(line: string): string {
    const r = this.random;
    if (/\d/.test(line) && r.chance(0.5)) return line.replace(/\d+/, () => String(r.int(0, 2000)));
    if (line.includes(' > ') && r.chance(0.5)) return line.replace(' > ', ' >= ');
    if (line.includes('!')) return line.replace('!', '');
    const words = line.match(/\b[a-z]+[A-Z]\w*/g);
    if (words && words.length > 0) return line.replace(r.pick(words), this.callee());
    return line + ' // ' + r.pick(ADJECTIVES);
  }
}
