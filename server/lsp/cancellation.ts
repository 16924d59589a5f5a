import type { CancellationToken } from 'vscode-languageserver/node';

/** The one place an LSP CancellationToken becomes an AbortSignal; everything below takes the signal. */
export function toAbortSignal(token: CancellationToken): AbortSignal {
  const controller = new AbortController();
  if (token.isCancellationRequested) controller.abort();
  else token.onCancellationRequested(() => controller.abort());
  return controller.signal;
}
