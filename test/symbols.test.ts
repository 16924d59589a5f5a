import { describe, expect, it } from 'vitest';
import { fallbackSymbols } from '../server/symbols/fallback';
import { findSymbols, MAX_PARSE_CHARS } from '../server/symbols/symbols';
import { TreeSitterSymbols } from '../server/symbols/tree-sitter';
import type { CodeSymbol } from '../server/symbols/types';

/** `kind name start-end`, 0-based inclusive lines: one string per symbol reads well in a failed diff. */
const show = (symbols: readonly CodeSymbol[]): string[] => symbols.map((s) => `${s.kind} ${s.name} ${s.startLine}-${s.endLine}`);

interface Case {
  name: string;
  path: string;
  languageId?: string;
  lines: string[];
  expected: string[];
}

const CASES: Case[] = [
  {
    name: 'TypeScript: class, decorators, methods, arrow functions in consts, interface, namespace',
    path: 'src/cart.ts',
    languageId: 'typescript',
    lines: [
      "import { Injectable } from './di';", // 0
      '@Injectable()', // 1
      'export class Cart<T> {', // 2
      '  private items: T[] = [];', // 3
      '  onChange = (item: T) => {', // 4
      '    this.items.push(item);', // 5
      '  };', // 6
      '  constructor(private readonly size: number) {}', // 7
      '  @Log()', // 8
      '  total(): number {', // 9
      '    return this.items.length;', // 10
      '  }', // 11
      '}', // 12
      'export interface Priced {', // 13
      '  price(): number;', // 14
      '}', // 15
      'export const add = (a: number, b: number): number =>', // 16
      '  a + b;', // 17
      'const limit = 10;', // 18
      'export namespace Money {', // 19
      '  export function round(x: number) { return Math.round(x); }', // 20
      '}', // 21
      'function outer() {', // 22
      '  const inner = function () { return 1; };', // 23
      '  return inner();', // 24
      '}', // 25
      'export enum Currency { EUR, USD }', // 26
    ],
    expected: [
      'class Cart 1-12',
      'method onChange 4-6',
      'method constructor 7-7',
      'method total 8-11',
      'interface Priced 13-15',
      'function add 16-17',
      'module Money 19-21',
      'function round 20-20',
      'function outer 22-25',
      'function inner 23-23',
      'class Currency 26-26',
    ],
  },
  {
    name: 'TSX: function and arrow components, a class component',
    path: 'src/App.tsx',
    lines: [
      "import React from 'react';", // 0
      'export function App({ title }: { title: string }) {', // 1
      '  return <Layout title={title}>{items.map((i) => <Item key={i} />)}</Layout>;', // 2
      '}', // 3
      'export const Item = ({ key }: { key: number }) => (', // 4
      '  <li>{key}</li>', // 5
      ');', // 6
      'class Counter extends React.Component<Props> {', // 7
      '  render() {', // 8
      '    return <span>{this.props.n}</span>;', // 9
      '  }', // 10
      '}', // 11
    ],
    expected: ['function App 1-3', 'function Item 4-6', 'class Counter 7-11', 'method render 8-10'],
  },
  {
    name: 'JavaScript (JSX): exports assignments, object methods, class fields',
    path: 'lib/handler.jsx',
    lines: [
      'module.exports.handler = async function (event) {', // 0
      '  return <div />;', // 1
      '};', // 2
      'const api = {', // 3
      '  get(url) { return fetch(url); },', // 4
      '};', // 5
      'class Store {', // 6
      '  #listeners = [];', // 7
      '  notify = () => this.#listeners.forEach((l) => l());', // 8
      '  static create() { return new Store(); }', // 9
      '}', // 10
      'function* ids() { yield 1; }', // 11
    ],
    expected: [
      'function module.exports.handler 0-2',
      'method get 4-4',
      'class Store 6-10',
      'method notify 8-8',
      'method create 9-9',
      'function ids 11-11',
    ],
  },
  {
    name: 'Python: decorated class, methods, async def, nested def',
    path: 'app/models.py',
    lines: [
      'import dataclasses', // 0
      '', // 1
      '@dataclasses.dataclass(frozen=True)', // 2
      'class Point:', // 3
      '    x: int', // 4
      '', // 5
      '    @property', // 6
      '    def norm(self):', // 7
      '        return abs(self.x)', // 8
      '', // 9
      '    async def fetch(self, url):', // 10
      '        def parse(body):', // 11
      '            return body', // 12
      '        return parse(await get(url))', // 13
      '', // 14
      '', // 15
      'async def main():', // 16
      '    pass', // 17
      'square = lambda x: x * x', // 18
    ],
    expected: ['class Point 2-13', 'method norm 6-8', 'method fetch 10-13', 'function parse 11-12', 'function main 16-17'],
  },
  {
    name: 'Go: struct, interface, methods, functions; a type alias is no symbol',
    path: 'server/server.go',
    lines: [
      'package server', // 0
      '', // 1
      'type Server struct {', // 2
      '\taddr string', // 3
      '}', // 4
      '', // 5
      'type Handler interface {', // 6
      '\tServe() error', // 7
      '}', // 8
      '', // 9
      'type ID = string', // 10
      '', // 11
      'func (s *Server) Start() error {', // 12
      '\treturn nil', // 13
      '}', // 14
      '', // 15
      'func New(addr string) *Server {', // 16
      '\tf := func() {}', // 17
      '\tf()', // 18
      '\treturn &Server{addr: addr}', // 19
      '}', // 20
    ],
    expected: ['class Server 2-4', 'interface Handler 6-8', 'method Start 12-14', 'function New 16-20'],
  },
  {
    name: 'Rust: struct with attributes, trait, impl blocks, mod, fn',
    path: 'src/shape.rs',
    lines: [
      '#[derive(Debug, Clone)]', // 0
      'pub struct Point {', // 1
      '    x: f64,', // 2
      '}', // 3
      'pub trait Shape {', // 4
      '    fn area(&self) -> f64;', // 5
      '    fn name(&self) -> String { String::new() }', // 6
      '}', // 7
      'impl Shape for Point {', // 8
      '    fn area(&self) -> f64 {', // 9
      '        0.0', // 10
      '    }', // 11
      '}', // 12
      'impl<T> Wrapper<T> {', // 13
      '    pub fn new() -> Self { todo!() }', // 14
      '}', // 15
      '#[cfg(test)]', // 16
      'mod tests {', // 17
      '    #[test]', // 18
      '    fn works() {}', // 19
      '}', // 20
      'fn main() {}', // 21
    ],
    expected: [
      'class Point 0-3',
      'interface Shape 4-7',
      'method area 5-5',
      'method name 6-6',
      'class impl Shape for Point 8-12',
      'method area 9-11',
      'class impl Wrapper<T> 13-15',
      'method new 14-14',
      'module tests 16-20',
      'function works 18-19',
      'function main 21-21',
    ],
  },
  {
    name: 'Java: annotated class, constructor, methods, nested class, interface, enum',
    path: 'src/main/java/a/Account.java',
    lines: [
      'package a;', // 0
      '@Entity', // 1
      'public class Account {', // 2
      '    private int balance;', // 3
      '    public Account() {}', // 4
      '    @Override', // 5
      '    public String toString() {', // 6
      '        return "";', // 7
      '    }', // 8
      '    static class Audit {', // 9
      '        void log() {}', // 10
      '    }', // 11
      '}', // 12
      'interface Repository {', // 13
      '    void save(Account a);', // 14
      '}', // 15
      'enum Kind { SAVINGS, CHECKING }', // 16
    ],
    expected: [
      'class Account 1-12',
      'method Account 4-4',
      'method toString 5-8',
      'class Audit 9-11',
      'method log 10-10',
      'interface Repository 13-15',
      'method save 14-14',
      'class Kind 16-16',
    ],
  },
  {
    name: 'Ruby: module, class, methods, singleton methods',
    path: 'lib/billing.rb',
    lines: [
      'module Billing', // 0
      '  class Invoice < Base', // 1
      '    def total', // 2
      '      items.sum(&:price)', // 3
      '    end', // 4
      '    def self.build(attrs)', // 5
      '      new(attrs)', // 6
      '    end', // 7
      '  end', // 8
      'end', // 9
      'def helper = 42', // 10
    ],
    expected: ['module Billing 0-9', 'class Invoice 1-8', 'method total 2-4', 'method self.build 5-7', 'function helper 10-10'],
  },
  {
    name: 'Shell script by language id',
    path: 'deploy',
    languageId: 'shellscript',
    lines: ['#!/bin/sh', 'greet() {', '  echo hi', '}', 'function deploy {', '  greet', '}'],
    expected: ['function greet 1-3', 'function deploy 4-6'],
  },
  {
    name: 'C#: namespace, class, members, local function',
    path: 'Order.cs',
    lines: [
      'namespace Shop {', // 0
      '  [Serializable]', // 1
      '  public class Order {', // 2
      '    public Order() {}', // 3
      '    public int Total() {', // 4
      '      int Square(int x) => x * x;', // 5
      '      return Square(2);', // 6
      '    }', // 7
      '  }', // 8
      '}', // 9
    ],
    expected: ['module Shop 0-9', 'class Order 1-8', 'method Order 3-3', 'method Total 4-7', 'function Square 5-5'],
  },
  {
    name: 'C++: namespace, class with an inline method, qualified and template functions',
    path: 'widget.cpp',
    lines: [
      '#include "widget.h"', // 0
      'namespace ui {', // 1
      'class Widget {', // 2
      ' public:', // 3
      '  void draw() const {', // 4
      '  }', // 5
      '};', // 6
      '}', // 7
      'void ui::Widget::resize(int w) {', // 8
      '}', // 9
      'template <typename T>', // 10
      'T* make() { return nullptr; }', // 11
    ],
    expected: ['module ui 1-7', 'class Widget 2-6', 'method draw 4-5', 'function ui::Widget::resize 8-9', 'function make 10-11'],
  },
  {
    name: 'PHP: function, class, method, interface',
    path: 'src/User.php',
    lines: [
      '<?php', // 0
      'function helper() { return 1; }', // 1
      'class User extends Model {', // 2
      '    public function save(): bool {', // 3
      '        return true;', // 4
      '    }', // 5
      '}', // 6
      'interface Repo { public function find(); }', // 7
    ],
    expected: ['function helper 1-1', 'class User 2-6', 'method save 3-5', 'interface Repo 7-7', 'method find 7-7'],
  },
  {
    name: 'Lua (no grammar): the heuristic, ends at `end`',
    path: 'plugin/init.lua',
    languageId: 'lua',
    lines: [
      '-- function commented(out)', // 0
      'local M = {}', // 1
      'local function helper(x)', // 2
      '  return x', // 3
      'end', // 4
      '', // 5
      'function M.setup(opts)', // 6
      '  local defaults = {', // 7
      '    a = 1,', // 8
      '  }', // 9
      '  M.run = function()', // 10
      '    helper(defaults)', // 11
      '  end', // 12
      'end', // 13
      'return M', // 14
    ],
    expected: ['function helper 2-4', 'function M.setup 6-13', 'function M.run 10-12'],
  },
  {
    name: 'Kotlin (no grammar): the heuristic, braces and methods inside classes',
    path: 'src/Main.kt',
    lines: [
      'data class User(val name: String)', // 0
      'class Greeter(private val user: User) {', // 1
      '    fun greet(): String {', // 2
      '        val text = "}" + user.name', // 3
      '        return text', // 4
      '    }', // 5
      '    fun short() = "hi"', // 6
      '}', // 7
      'fun main(', // 8
      '    args: Array<String>,', // 9
      ') {', // 10
      '    println(Greeter(User("a")).greet())', // 11
      '}', // 12
    ],
    expected: ['class User 0-0', 'class Greeter 1-7', 'method greet 2-5', 'method short 6-6', 'function main 8-12'],
  },
];

describe('findSymbols', () => {
  it.each(CASES)('$name', async ({ path, languageId, lines, expected }) => {
    expect(show(await findSymbols(path, lines.join('\n'), languageId))).toEqual(expected);
  });

  it('keeps the valid symbols of a file with a syntax error', async () => {
    const text = ['function ok() {', '  return 1;', '}', 'const broken = (;', 'class Still {', '  m() {}', '}'].join('\n');
    expect(show(await findSymbols('broken.ts', text))).toEqual(expect.arrayContaining(['function ok 0-2', 'method m 5-5']));
  });

  it("falls back to the heuristic's symbols when the tree has none", async () => {
    const text = ['def f(:', '    return 1', '', 'def g(', '    x'].join('\n');
    const symbols = await findSymbols('broken.py', text);
    expect(symbols.map((s) => s.name)).toEqual(expect.arrayContaining(['f']));
  });

  it.each([
    ['an empty file', 'a.ts', ''],
    ['a blank file', 'a.py', '\n  \n'],
    ['prose', 'README.md', '# class Foo\ndef not code'],
    ['a file without symbols', 'a.go', 'package a\n\nvar x = 1\n'],
  ])('finds nothing in %s', async (_, path, text) => {
    expect(await findSymbols(path, text)).toEqual([]);
  });

  it('takes the language id over the extension, and the extension for an id it does not know', async () => {
    const python = 'def run():\n    pass\n';
    expect(show(await findSymbols('notes.txt', python, 'python'))).toEqual(['function run 0-1']);
    expect(show(await findSymbols('tool.py', python, 'some-dialect'))).toEqual(['function run 0-1']);
    expect(show(await findSymbols('App.js', 'const A = () => <div/>;\n', 'javascriptreact'))).toEqual(['function A 0-0']);
  });

  it('answers concurrent first calls for several languages alike', async () => {
    const calls = CASES.map(({ path, languageId, lines }) => findSymbols(path, lines.join('\n'), languageId));
    expect((await Promise.all(calls)).map(show)).toEqual(CASES.map((c) => c.expected));
  });

  it('does not parse a huge file: the heuristic answers', async () => {
    const body = Array.from({ length: 80_000 }, (_, i) => `function f${i}() {\n  return ${i};\n}\n`).join('');
    expect(body.length).toBeGreaterThan(MAX_PARSE_CHARS);
    const started = performance.now();
    const symbols = await findSymbols('huge.ts', body);
    expect(symbols).toHaveLength(80_000);
    expect(symbols[79_999]).toEqual({ name: 'f79999', kind: 'function', startLine: 239_997, endLine: 239_999 });
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('TreeSitterSymbols', () => {
  it('gives up past its time budget, and the same parser then parses the next text whole', async () => {
    const symbols = new TreeSitterSymbols();
    const big = Array.from({ length: 5_000 }, (_, i) => `export function f${i}(a: number) { return a * ${i}; }`).join('\n');
    expect(await symbols.find('typescript', big, 0)).toBeUndefined();
    const found = await symbols.find('typescript', big);
    expect(found).toHaveLength(5_000);
    expect(found?.[4_999]).toEqual({ name: 'f4999', kind: 'function', startLine: 4_999, endLine: 4_999 });
  });
});

describe('fallbackSymbols', () => {
  it.each([
    ['Perl sub', ['sub greet {', '  print "}";', '}'], ['function greet 0-2']],
    ['Elixir module and defs', ['defmodule App do', '  def run(x) do', '    x', '  end', 'end'], ['module App 0-4', 'function run 1-3']],
    ['Lisp defun', ['(defun square (x)', '  (* x x))', '(square 2)'], ['function square 0-1']],
    ['Swift class in Allman braces', ['class Box', '{', '  func open() {}', '}'], ['class Box 0-3', 'method open 2-2']],
    ['Python-like header with a dict default', ['def f(x={}):', '    return x', 'y = 1'], ['function f 0-1']],
    ['an unclosed block runs to the end', ['fn main() {', '  loop {', '', ''], ['function main 0-1']],
  ])('%s', (_, lines, expected) => {
    expect(show(fallbackSymbols(lines.join('\n')))).toEqual(expected);
  });
});
