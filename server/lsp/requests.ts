import { fileURLToPath } from 'node:url';
import { ErrorCodes, MessageType, ResponseError, ShowMessageNotification, type CancellationToken, type ExecuteCommandParams } from 'vscode-languageserver/node';
import type { Health, LineSummaryParams, ReindexResult, RepositoryParams, SetGitHubTokenParams } from '../../shared/protocol';
import type { ArchaeologyContext, ContextParams, LineSummary, Range } from '../../shared/types';
import { visible, visibleLines } from '../../shared/visible';
import { isAilError } from '../util/errors';
import type { RepositoryTarget } from '../engine';
import { isCancelled } from '../util/flight';
import { requestCancelled, toAbortSignal } from './cancellation';
import { askWhyProblem, contextProblem, lineSummaryProblem, tokenProblem } from './params';
import type { Session } from './session';

/** `ail/context`: the full answer for a file or a range, with the open document's unsaved text. */
export async function context(session: Session, params: ContextParams, token: CancellationToken): Promise<ArchaeologyContext> {
  const problem = contextProblem(params);
  if (problem) throw new ResponseError(ErrorCodes.InvalidParams, problem);
  return answerOrError(session, params.textDocument.uri, params.range, params.question, params.maxEvidence, token, params.fresh === true);
}

/** `ail/lineSummary`: who last changed one line, when and why, from the quick answer; `null` when there is nothing to say. */
export async function lineSummary(session: Session, params: LineSummaryParams, token: CancellationToken): Promise<LineSummary | null> {
  const problem = lineSummaryProblem(params);
  if (problem) throw new ResponseError(ErrorCodes.InvalidParams, problem);
  const { uri } = params.textDocument;
  try {
    const answer = await session.ask({ uri, lines: { start: params.line, end: params.line }, depth: 'quick', signal: toAbortSignal(token) });
    const top = answer.evidence[0];
    if (!top) return answer.uncommittedLines ? { kind: 'uncommitted' } : null;
    const c = top.commit;
    return { kind: 'committed', sha: c.sha, shortSha: c.shortSha, author: c.author, date: c.date, subject: c.subject, ...(top.pullRequest ? { pullRequest: top.pullRequest.number } : {}) };
  } catch (error) {
    if (isCancelled(error)) throw requestCancelled();
    if (isAilError(error)) return null; // untracked, binary, past the end: nothing to say
    session.connection.console.error(visibleLines(`ail/lineSummary ${uri}:${params.line + 1} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`));
    return null;
  }
}

/** `ail/setGitHubToken`: keeps the token in memory (or forgets it). Nothing about it is logged but whether one is set. */
export function setGitHubToken(session: Session, params: SetGitHubTokenParams): { githubToken: boolean } {
  const problem = tokenProblem(params);
  if (problem) throw new ResponseError(ErrorCodes.InvalidParams, problem);
  return session.engine.setGitHubToken(params.token ?? undefined);
}

/** `workspace/executeCommand ail.askWhy [uri, range?]`: the code lens command, for any editor: answers and shows the summary. */
export async function askWhy(session: Session, params: ExecuteCommandParams, token: CancellationToken): Promise<ArchaeologyContext> {
  const problem = askWhyProblem(params.arguments);
  if (problem) throw new ResponseError(ErrorCodes.InvalidParams, problem);
  const [uri, range] = params.arguments as [string, Range | null | undefined];
  const answer = await answerOrError(session, uri, range ?? undefined, undefined, undefined, token);
  // A notification, not window/showMessageRequest: nothing to answer, and every editor shows it. Plain
  // text, so the summary loses its code marks, and a commit message's control characters are made visible.
  const message = `AIL: ${visible(answer.summary.replace(/`/g, ''))}`;
  session.connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Info, message }).catch(() => undefined);
  return answer;
}

async function answerOrError(session: Session, uri: string, range: Range | undefined, question: string | undefined, maxEvidence: number | undefined, token: CancellationToken, fresh = false): Promise<ArchaeologyContext> {
  const lines = range ? { start: range.start.line, end: range.end.character === 0 && range.end.line > range.start.line ? range.end.line - 1 : range.end.line } : undefined;
  try {
    return await session.ask({ uri, lines, question, maxEvidence, depth: 'full', signal: toAbortSignal(token), fresh });
  } catch (error) {
    if (isCancelled(error)) throw requestCancelled();
    if (isAilError(error)) throw new ResponseError(ErrorCodes.InvalidParams, error.message);
    session.connection.console.error(visibleLines(`ail/context ${uri} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`));
    throw new ResponseError(ErrorCodes.InternalError, visible(`ail/context failed: ${error instanceof Error ? error.message : String(error)}`));
  }
}

/**
 * `ail/health`: live when it answers; ready when git runs and each folder's repository opens with a
 * commit: every workspace folder's, or the one holding `params.uri`.
 */
export function health(session: Session, folders: readonly string[], params: RepositoryParams): Promise<Health> {
  return session.engine.health(targetsOf(folders, params));
}

/**
 * `ail/reindex`: rebuilds the commit index of the repository holding `params.uri`, or of each workspace
 * folder's repository (one after another; a folder outside any repository is passed over), with
 * progress; resolves when done.
 */
export async function reindex(session: Session, folders: readonly string[], params: RepositoryParams, token: CancellationToken): Promise<ReindexResult> {
  try {
    return await session.engine.reindex(targetsOf(folders, params), toAbortSignal(token));
  } catch (error) {
    if (token.isCancellationRequested) throw requestCancelled();
    if (isAilError(error)) throw new ResponseError(ErrorCodes.InvalidRequest, error.message);
    throw new ResponseError(ErrorCodes.InternalError, visible(error instanceof Error ? error.message : String(error)));
  }
}

/** The workspace folders, or the file or folder a `uri` names. */
function targetsOf(folders: readonly string[], params: RepositoryParams): RepositoryTarget[] {
  return params.uri ? [{ path: fileURLToPath(params.uri), isFolder: false }] : folders.map((folder) => ({ path: folder, isFolder: true }));
}
