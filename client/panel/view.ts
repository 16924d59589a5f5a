/**
 * What the Ask Why panel shows, as data: a tree of nodes the webview script turns into DOM with
 * `createElement` and `textContent`. No HTML string is ever built from an answer: a commit subject
 * `<img src=x onerror=alert(1)>` is a node's text, and shows as those characters.
 * Shared by the extension (client/panel/model.ts builds it) and the webview (client/webview/main.ts renders it).
 */

/** The only elements the webview creates; anything else is rendered as a span. */
export const TAGS = ['section', 'header', 'h2', 'h3', 'p', 'ul', 'li', 'span', 'a', 'button', 'code', 'div', 'strong', 'small', 'blockquote'] as const;
export type Tag = (typeof TAGS)[number];

/** What a click asks of the extension, which checks it before doing anything (an https URL, a sha of this answer). */
export type PanelAction =
  | { kind: 'openUrl'; url: string }
  | { kind: 'openCommit'; sha: string }
  | { kind: 'copySha'; sha: string }
  | { kind: 'askFresh' }
  | { kind: 'copyMarkdown' };

export interface ViewNode {
  tag: Tag;
  /** Shown as text (textContent), whatever it holds. */
  text?: string;
  /** Class names chosen by the model from a fixed set, never from an answer. */
  className?: string;
  /** A tooltip (the title attribute, set as a property). */
  title?: string;
  children?: ViewNode[];
  action?: PanelAction;
}

/** Extension → webview. */
export type ToWebview = { type: 'render'; nodes: ViewNode[]; question: string; busy: boolean };

/** Webview → extension. */
export type FromWebview = { type: 'ready' } | { type: 'action'; action: PanelAction } | { type: 'ask'; question: string };
