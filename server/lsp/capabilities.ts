import { TextDocumentSyncKind, type ClientCapabilities, type ServerCapabilities } from 'vscode-languageserver/node';
import { ASK_WHY_COMMAND } from '../../shared/protocol';

/** The server's capabilities, from one function of the client's. */
export function serverCapabilities(_client: ClientCapabilities): ServerCapabilities {
  return {
    textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
    hoverProvider: true,
    codeLensProvider: { resolveProvider: true },
    executeCommandProvider: { commands: [ASK_WHY_COMMAND] },
    workspace: { workspaceFolders: { supported: true } },
  };
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
