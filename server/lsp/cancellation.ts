import { LSPErrorCodes, ResponseError, type CancellationToken, type ConnectionStrategy } from 'vscode-languageserver/node';

/** The one place an LSP CancellationToken becomes an AbortSignal; everything below takes the signal. */
export function toAbortSignal(token: CancellationToken): AbortSignal {
  const controller = new AbortController();
  if (token.isCancellationRequested) controller.abort();
  else token.onCancellationRequested(() => controller.abort());
  return controller.signal;
}

/** LSP's answer to a request the client cancelled. */
export function requestCancelled(): ResponseError<void> {
  return new ResponseError(LSPErrorCodes.RequestCancelled, 'request cancelled');
}

/**
 * A handler's answer, unless the client cancelled the request meanwhile: then `RequestCancelled`, whatever
 * the handler made of it (a hover's null, a lens with no history, an answer that was cached). Checked as
 * the answer is sent, so nothing computed after the cancel arrived goes out as a result.
 */
export async function unlessCancelled<T>(token: CancellationToken, work: () => T | Promise<T>): Promise<T> {
  if (token.isCancellationRequested) throw requestCancelled();
  let result: T;
  try {
    result = await work();
  } catch (error) {
    if (token.isCancellationRequested) throw requestCancelled();
    throw error;
  }
  if (token.isCancellationRequested) throw requestCancelled();
  return result;
}

/**
 * A request cancelled while it still waits in the connection's queue is answered `RequestCancelled`
 * there, without running at all (vscode-jsonrpc runs it by default, with a cancelled token).
 */
export const cancelQueuedRequests: ConnectionStrategy = {
  cancelUndispatched: (message) => {
    const id = (message as { id?: number | string | null }).id;
    return id === undefined ? undefined : { jsonrpc: '2.0', id, error: requestCancelled().toJson() };
  },
};
