import * as path from 'node:path';
import { Hover, MarkdownString, type ExtensionContext, type LogOutputChannel } from 'vscode';
import { CloseAction, ErrorAction, LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { ASK_WHY_COMMAND, COPY_SHA_COMMAND, OPEN_COMMIT_COMMAND, type InitializationOptions } from '../shared/protocol';
import { CrashPolicy } from './crash-policy';
import { redactTrace } from './trace-redaction';

/** The commands the client runs itself; the server links them in hovers and leaves ail.askWhy to us. */
export const CLIENT_COMMANDS = [ASK_WHY_COMMAND, OPEN_COMMIT_COMMAND, COPY_SHA_COMMAND];

/**
 * The language client for dist/server.js over Node IPC: file documents of every workspace folder (the
 * server finds each file's repository), `ail.*` settings pulled by the server, logs in the AIL channel,
 * restarts after a crash up to the policy's limit, and hovers whose command links may run our three
 * commands and nothing else.
 */
export function createLanguageClient(context: ExtensionContext, log: LogOutputChannel, onGaveUp: (message: string) => void): LanguageClient {
  const module = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc },
  };
  const crashes = new CrashPolicy();
  const initializationOptions: InitializationOptions = { clientCommands: CLIENT_COMMANDS };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: 'file' }],
    synchronize: { configurationSection: 'ail' },
    outputChannel: log,
    // The same channel for the trace, through the redaction: ail.trace.server logs every message's params.
    traceOutputChannel: redacting(log),
    initializationOptions,
    errorHandler: {
      error: () => ({ action: ErrorAction.Continue }),
      closed: () => {
        if (crashes.crashed()) {
          log.warn('the language server stopped; starting it again');
          return { action: CloseAction.Restart, handled: true };
        }
        onGaveUp(CrashPolicy.GAVE_UP);
        return { action: CloseAction.DoNotRestart, message: CrashPolicy.GAVE_UP };
      },
    },
    middleware: {
      provideHover: async (document, position, token, next) => {
        const hover = await next(document, position, token);
        if (!hover) return hover;
        return new Hover(hover.contents.map((content) => (content instanceof MarkdownString ? trusted(content) : content)), hover.range);
      },
    },
  };
  return new LanguageClient('ail', 'AIL', serverOptions, clientOptions);
}

/**
 * `log`, as vscode-languageclient's trace sees it: every trace line passes through `redactTrace`, so the
 * GitHub token sent by `ail/setGitHubToken` is never written, whatever `ail.trace.server` says. The
 * level is the channel's own (the client traces only when it is Trace); disposing it leaves `log` to its owner.
 */
function redacting(log: LogOutputChannel): LogOutputChannel {
  return {
    get name() {
      return log.name;
    },
    get logLevel() {
      return log.logLevel;
    },
    onDidChangeLogLevel: log.onDidChangeLogLevel,
    trace: (message, ...args) => log.trace(redactTrace(message), ...args),
    debug: (message, ...args) => log.debug(redactTrace(message), ...args),
    info: (message, ...args) => log.info(redactTrace(message), ...args),
    warn: (message, ...args) => log.warn(redactTrace(message), ...args),
    error: (error, ...args) => log.error(typeof error === 'string' ? redactTrace(error) : error, ...args),
    append: (value) => log.append(redactTrace(value)),
    appendLine: (value) => log.appendLine(redactTrace(value)),
    replace: (value) => log.replace(redactTrace(value)),
    clear: () => log.clear(),
    show: (...args: unknown[]) => (log.show as (...given: unknown[]) => void)(...args),
    hide: () => log.hide(),
    dispose: () => undefined,
  };
}

/**
 * The server's hover markdown, allowed to run AIL's three commands through its links (and no other
 * command, no HTML). The server escapes every string from the repository, so only its own links exist.
 */
function trusted(content: MarkdownString): MarkdownString {
  const markdown = new MarkdownString(content.value, false);
  markdown.isTrusted = { enabledCommands: CLIENT_COMMANDS };
  markdown.supportHtml = false;
  return markdown;
}
