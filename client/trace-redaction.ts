import { SetGitHubTokenRequest } from '../shared/protocol';

/**
 * What vscode-languageclient writes to its trace channel, with the GitHub token taken out. With
 * `ail.trace.server` at `messages` or `verbose` (and the channel's level at Trace) vscode-jsonrpc traces
 * every message it sends, params included, and `ail/setGitHubToken`'s params are the token. Its two
 * formats: text (`Sending request 'ail/setGitHubToken - (7)'.` then `Params: {…}` on the lines after)
 * and JSON (`ail.trace.server.format: json`: `{"isLSPMessage":true,"type":"send-request","message":{…}}`).
 * A trace of that request keeps its first line (or its message without params), so the log still shows
 * that the token was sent. Imports no `vscode`, so tests load it.
 */
export function redactTrace(line: string): string {
  const method = SetGitHubTokenRequest.method;
  if (line.startsWith(`Sending request '${method} - (`) || line.startsWith(`Received request '${method} - (`)) {
    const first = line.split('\n', 1)[0]!;
    return first === line ? line : `${first}\nParams: (not logged: the GitHub token)`;
  }
  if (line.startsWith('{') && line.includes(method)) {
    try {
      const data = JSON.parse(line) as { isLSPMessage?: boolean; message?: { method?: string; params?: unknown } };
      if (data.message?.method === method && data.message.params !== undefined) return JSON.stringify({ ...data, message: { ...data.message, params: '(not logged: the GitHub token)' } });
    } catch {
      // not JSON after all: the checks below decide
    }
    // Anything else naming the method with a token-shaped field is dropped whole rather than risked.
    if (/"token"\s*:/.test(line)) return `(a trace of ${method}, not logged: the GitHub token)`;
  }
  return line;
}
