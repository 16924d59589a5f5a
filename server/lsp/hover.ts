import type { CancellationToken, Hover, HoverParams } from 'vscode-languageserver/node';
import { isAilError } from '../util/errors';
import { isCancelled } from '../util/flight';
import { toAbortSignal } from './cancellation';
import { hoverMarkdown } from './render';
import type { Session } from './session';
import { visibleLines } from '../../shared/visible';

/**
 * A hover on any line of a tracked file: the quick answer (blame, a lookup once the file is blamed; the
 * enrichers race 250 ms in the provider). Nothing to say, nothing shown.
 */
export async function hover(session: Session, params: HoverParams, token: CancellationToken): Promise<Hover | null> {
  const uri = params.textDocument.uri;
  if (!uri.startsWith('file:')) return null;
  const signal = toAbortSignal(token);
  const line = params.position.line;
  const lines = { start: line, end: line };
  try {
    const context = await session.ask({ uri, lines, depth: 'quick', signal });
    const text = session.documents.get(uri)?.getText().split('\n')[line] ?? '';
    const range = { start: { line, character: 0 }, end: { line: line + 1, character: 0 } };
    return {
      contents: { kind: 'markdown', value: hoverMarkdown(context, await session.github(uri), Date.now(), { uri, range, commands: session.clientCommands }) },
      range: { start: { line, character: 0 }, end: { line, character: text.length } },
    };
  } catch (error) {
    if (isCancelled(error) || isAilError(error)) return null; // not a git file, untracked, binary, past the end: nothing to say
    session.connection.console.error(visibleLines(`hover ${uri}:${line + 1} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`));
    return null;
  }
}
