import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { CancellationToken, CodeLens, CodeLensParams } from 'vscode-languageserver/node';
import { ASK_WHY_COMMAND } from '../../shared/protocol';
import { isAilError } from '../util/errors';
import { findSymbols } from '../symbols/symbols';
import { isCancelled } from '../util/flight';
import { toAbortSignal } from './cancellation';
import { fileLensTitle, symbolLensTitle } from './render';
import type { Session } from './session';
import { visibleLines } from '../../shared/visible';

/** Everything `codeLens/resolve` needs travels in the lens: nothing is remembered between the two phases. */
interface LensData {
  uri: string;
  kind: 'file' | 'symbol';
  start: number;
  end: number;
}

const MAX_LENSES = 300;

/** Phase one, cheap: a lens at the top of the file and one per function, class and method, with no digging. */
export async function codeLenses(session: Session, params: CodeLensParams): Promise<CodeLens[]> {
  const uri = params.textDocument.uri;
  if (!uri.startsWith('file:')) return [];
  const document = session.documents.get(uri);
  const path = fileURLToPath(uri);
  let text: string;
  try {
    text = document?.getText() ?? (await readFile(path, 'utf8'));
  } catch {
    return [];
  }
  const lens = (data: LensData): CodeLens => ({ range: { start: { line: data.start, character: 0 }, end: { line: data.start, character: 0 } }, data });
  const lenses = [lens({ uri, kind: 'file', start: 0, end: 0 })];
  for (const symbol of (await findSymbols(path, text, document?.languageId)).slice(0, MAX_LENSES)) {
    lenses.push(lens({ uri, kind: 'symbol', start: symbol.startLine, end: symbol.endLine }));
  }
  return lenses;
}

/** Phase two: the digging for one lens, from blame (quick), its title and the command that asks why. */
export async function resolveCodeLens(session: Session, lens: CodeLens, token: CancellationToken): Promise<CodeLens> {
  const data = lens.data as LensData;
  const range = { start: { line: data.start, character: 0 }, end: { line: data.end + 1, character: 0 } };
  try {
    const lines = data.kind === 'file' ? undefined : { start: data.start, end: data.end };
    const context = await session.ask({ uri: data.uri, lines, depth: 'quick', signal: toAbortSignal(token) });
    const title = data.kind === 'file' ? fileLensTitle(context) : symbolLensTitle(context);
    return { ...lens, command: { title, command: ASK_WHY_COMMAND, arguments: [data.uri, data.kind === 'file' ? undefined : range] } };
  } catch (error) {
    if (!isCancelled(error) && !isAilError(error)) session.connection.console.error(visibleLines(`code lens ${data.uri}:${data.start + 1} failed: ${String(error)}`));
    return { ...lens, command: { title: 'AIL: no history here', command: '' } };
  }
}
