import { TextDocumentSyncKind, type ClientCapabilities, type ServerCapabilities } from 'vscode-languageserver/node';
import { ASK_WHY_COMMAND, type InitializationOptions } from '../../shared/protocol';

/**
 * The server's capabilities, from one function of the client's and the commands it runs itself: a client
 * that runs `ail.askWhy` (VS Code's) must not be offered it again through `executeCommandProvider`.
 */
export function serverCapabilities(_client: ClientCapabilities, clientCommands: readonly string[] = []): ServerCapabilities {
  return {
    textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
    hoverProvider: true,
    codeLensProvider: { resolveProvider: true },
    ...(clientCommands.includes(ASK_WHY_COMMAND) ? {} : { executeCommandProvider: { commands: [ASK_WHY_COMMAND] } }),
    // Folder changes come unasked (no dynamic registration): each folder answers about its own repository.
    workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
  };
}

/** `initializationOptions.clientCommands`, the strings of it; anything else is none. */
export function clientCommandsOf(options: unknown): string[] {
  const commands = typeof options === 'object' && options !== null ? (options as InitializationOptions).clientCommands : undefined;
  return Array.isArray(commands) ? commands.filter((command): command is string => typeof command === 'string') : [];
}

/** What the server may ask of this client. */
export interface ClientSupport {
  configuration: boolean;
  /** The client accepts a dynamic registration of didChangeConfiguration (eglot does not). */
  configurationChangeRegistration: boolean;
  workDoneProgress: boolean;
  codeLensRefresh: boolean;
}

export function clientSupport(client: ClientCapabilities): ClientSupport {
  return {
    configuration: client.workspace?.configuration === true,
    configurationChangeRegistration: client.workspace?.didChangeConfiguration?.dynamicRegistration === true,
    workDoneProgress: client.window?.workDoneProgress === true,
    codeLensRefresh: client.workspace?.codeLens?.refreshSupport === true,
  };
}
