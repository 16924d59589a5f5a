/** The source both editor tests (the stdio client and Neovim) open: a class with a method, and a function. */
export const QUEUE_SOURCE = [
  'export class Queue {',
  '  private items: string[] = [];',
  '  push(item: string) {',
  '    if (this.items.length >= 20) throw new Error("full");',
  '    this.items.push(item);',
  '  }',
  '}',
  '',
  'export function drain(queue: Queue) {',
  '  return queue;',
  '}',
];
