/**
 * The Ask Why panel's script, run inside the webview (bundled to dist/webview.js). It receives the
 * answer as data (`ViewNode`s) and builds DOM with createElement and textContent only: no HTML is ever
 * parsed from an answer. Clicks and follow-up questions go back to the extension as messages; the
 * extension checks them and does the opening, copying and asking.
 */
import { TAGS, type FromWebview, type Tag, type ToWebview, type ViewNode } from '../panel/view';

declare function acquireVsCodeApi(): { postMessage(message: FromWebview): void };

const vscode = acquireVsCodeApi();
const allowed = new Set<string>(TAGS);
const answer = document.getElementById('answer')!;
const form = document.getElementById('follow-up') as HTMLFormElement;
const input = document.getElementById('question') as HTMLInputElement;

function build(node: ViewNode): HTMLElement {
  const tag: Tag = allowed.has(node.tag) ? node.tag : 'span';
  const element = document.createElement(tag);
  if (node.className) element.className = node.className;
  if (node.title) element.title = node.title;
  if (node.text !== undefined) element.textContent = node.text;
  for (const child of node.children ?? []) element.appendChild(build(child));
  const action = node.action;
  if (action) {
    if (tag === 'a') {
      element.setAttribute('href', '#');
      element.setAttribute('role', 'link');
    }
    element.addEventListener('click', (event) => {
      event.preventDefault();
      vscode.postMessage({ type: 'action', action });
    });
  }
  return element;
}

window.addEventListener('message', (event: MessageEvent<ToWebview>) => {
  const message = event.data;
  if (message?.type !== 'render') return;
  answer.replaceChildren(...message.nodes.map(build));
  document.body.classList.toggle('busy', message.busy);
  input.placeholder = message.question || 'Why does this code exist?';
});

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const question = input.value.trim();
  if (!question) return;
  vscode.postMessage({ type: 'ask', question });
  input.value = '';
});

vscode.postMessage({ type: 'ready' });
