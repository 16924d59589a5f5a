import type { CancellationToken, Hover, HoverParams } from 'vscode-languageserver/node';
import { isAilError } from '../archaeology/errors';
import { isCancelled } from '../util/flight';
import { toAbortSignal } from './cancellation';
import { hoverMarkdown } from './render';
import type { Session } from './session';

/** What the full answer (merge look-ups, semantic evidence, later GitHub) may add to a hover, if it arrives in time. */
const ENRICHMENT_BUDGET_MS = 250;

/**
 * A hover on any line of a tracked file: the quick answer from blame (a lookup once the file is blamed),
 * replaced by the full answer when that arrives within the budget. Nothing to say, nothing shown.
 */
export async function hover(session: Session, params: HoverParams, token: CancellationToken): Promise<Hover | null> {
  const uri = params.textDocument.uri;
  if (!uri.startsWith('file:')) return null;
  const signal = toAbortSignal(token);
  const line = params.position.line;
  const lines = { start: line, end: line };
  try {
    const full = session.ask({ uri, lines, depth: 'full', signal });
    full.catch(() => undefined);
    const quick = await session.ask({ uri, lines, depth: 'quick', signal });
    const context = (await settledWithin(full, ENRICHMENT_BUDGET_MS)) ?? quick;
    const text = session.documents.get(uri)?.getText().split('\n')[line] ?? '';
    return {
      contents: { kind: 'markdown', value: hoverMarkdown(context, await session.github(uri)) },
      range: { start: { line, character: 0 }, end: { line, character: text.length } },
    };
  } catch (error) {
    if (isCancelled(error) || isAilError(error)) return null; // not a git file, untracked, binary, past the end: nothing to say
    session.connection.console.error(`hover ${uri}:${line + 1} failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    return null;
  }
}

/** The promise's value if it resolves within `ms`, else undefined (a rejection also gives undefined). */
export function settledWithin<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        resolve(undefined);
      },
    );
  });
}
