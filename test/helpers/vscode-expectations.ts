import { ALICE, BOB, type Fixture } from './fixture';
import { QUEUE_SOURCE } from './queue';

/**
 * The history both VS Code suites open (code-server driven by a browser, test/vscode.test.ts; a desktop
 * VS Code through the extension test API, test/vscode-electron.test.ts) and what AIL must show for it.
 * Plain data and regular expressions, so that the extension-test side can use them inside VS Code.
 */

export const QUEUE_FILE = 'src/queue.ts';
export const QUEUE_SUBJECT = 'Bound the job queue at twenty entries (#31)';
/** 1-based: `if (this.items.length >= 20) throw new Error("full");` */
export const HOVER_LINE = 4;

/** A file whose one commit's subject is HTML: the panel, the hover and the annotation must show it as text. */
export const HOSTILE_FILE = 'src/escape.ts';
export const HOSTILE_SUBJECT = '<img src=x onerror=alert(1)>';

export interface QueueHistory {
  sha: string;
  short: string;
}

/**
 * src/queue.ts committed by Alice in #31 (closing #30), then a README by Bob, then src/escape.ts by Bob
 * with an HTML subject (on a file of its own: src/queue.ts keeps its one commit), on a GitHub remote.
 */
export function buildQueueHistory(repo: Fixture): QueueHistory {
  repo.git('remote', 'add', 'origin', 'git@github.com:acme/queue.git');
  repo.write(QUEUE_FILE, QUEUE_SOURCE);
  const sha = repo.commit(`${QUEUE_SUBJECT}\n\nFixes #30`, ALICE);
  repo.write('README.md', ['# queue']);
  repo.commit('Add a README', BOB);
  repo.write(HOSTILE_FILE, ['export const escaped = true;']);
  repo.commit(HOSTILE_SUBJECT, BOB);
  return { sha, short: sha.slice(0, 7) };
}

/** What the hover over any line of `push` must say, as text a person reads (the rendered Markdown). */
export function hoverExpectations(history: QueueHistory): RegExp[] {
  return [new RegExp(history.short), /Bound the job queue at twenty entries \(#31\)/, /#31/, /closes #30/];
}

/** The lens over the whole file, and the one over each symbol (class Queue, push, drain). */
export const FILE_LENS = /^1 commit · 1 author · last change .* ago by Alice Archer$/;
export const SYMBOL_LENS = /^last changed .* ago by Alice Archer in #31 · 1 commit$/;
export const SYMBOL_LENS_COUNT = 3;
