import { fileURLToPath } from 'node:url';
import { CodeLensRefreshRequest, DidChangeConfigurationNotification, TextDocuments, type CancellationToken, type Connection, type InitializeParams, type InitializeResult } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { ClearCacheRequest, ContextRequest, HealthRequest, LineSummaryRequest, ReindexRequest, SetGitHubTokenRequest, StatsRequest, ASK_WHY_COMMAND } from '../../shared/protocol';
import type { Settings } from '../../shared/settings';
import { visibleLines } from '../../shared/visible';
import { createEngine, type Engine } from '../compose';
import { unlessCancelled } from './cancellation';
import { clientCommandsOf, clientSupport, serverCapabilities, type ClientSupport } from './capabilities';
import { codeLenses, resolveCodeLens } from './codelens';
import { hover } from './hover';
import { ProgressBridge } from './progress';
import { noParams } from './params';
import { askWhy, context, health, lineSummary, reindex, setGitHubToken } from './requests';
import { Session } from './session';
import { SettingsPuller } from './settings';
import { StatusNotifier } from './status';

/** Thin wiring: the engine and the session are built here, and each LSP message maps to one handler. */
export function startServer(connection: Connection, env: Settings): void {
  let support: ClientSupport = { configuration: false, configurationChangeRegistration: false, workDoneProgress: false, codeLensRefresh: false };
  let workspaceRoot: string | undefined;
  const progress = new ProgressBridge(connection, () => support.workDoneProgress);
  const engine: Engine = createEngine(env, {
    warmFiles: true,
    buildIndexes: true,
    onProgress: (job, report) => {
      progress.report(job, job === 'model' ? 'AIL: loading the embedding model' : 'AIL: indexing commit messages', report);
      if (job === 'index') status.changed(); // the status bar shows the index's progress
    },
    onProgressEnd: (job) => {
      progress.end(job);
      status.changed();
    },
    log: (message) => connection.console.info(visibleLines(message)),
  });
  const documents = new TextDocuments(TextDocument);
  const settings = new SettingsPuller(connection, env, () => support.configuration);
  const status = new StatusNotifier(connection, () => engine.answers.cacheStats());
  const session = new Session(connection, engine, documents, settings, status);
  engine.registry.background.onChange(() => status.changed());

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    support = clientSupport(params.capabilities);
    session.clientCommands = clientCommandsOf(params.initializationOptions);
    workspaceRoot = env.repoPath ?? workspaceFolderOf(params);
    return { capabilities: serverCapabilities(params.capabilities, session.clientCommands), serverInfo: { name: 'ail', version: '0.1.0' } };
  });
  connection.onInitialized(() => void initialized(session, support, () => workspaceRoot));
  connection.onDidChangeConfiguration(() => void configurationChanged(session, support));
  // Every request: a client's cancel is answered RequestCancelled, never with what was computed anyway.
  connection.onHover(cancellable((params, token) => hover(session, params, token)));
  connection.onCodeLens(cancellable((params) => codeLenses(session, params)));
  connection.onCodeLensResolve(cancellable((lens, token) => resolveCodeLens(session, lens, token)));
  connection.onExecuteCommand(cancellable((params, token) => (params.command === ASK_WHY_COMMAND ? askWhy(session, params, token) : undefined)));
  connection.onRequest(ContextRequest.type, cancellable((params, token) => context(session, params, token)));
  connection.onRequest(LineSummaryRequest.type, cancellable((params, token) => lineSummary(session, params, token)));
  connection.onRequest(SetGitHubTokenRequest.type, (params) => setGitHubToken(session, params));
  connection.onRequest(StatsRequest.type, noParams(StatsRequest.method, () => engine.answers.cacheStats()));
  connection.onRequest(ClearCacheRequest.type, noParams(ClearCacheRequest.method, () => cleared(session)));
  connection.onRequest(HealthRequest.type, noParams(HealthRequest.method, (token) => unlessCancelled(token, () => health(session, workspaceRoot))));
  connection.onRequest(ReindexRequest.type, noParams(ReindexRequest.method, (token) => unlessCancelled(token, () => reindex(session, workspaceRoot, token))));
  documents.onDidOpen(({ document }) => void warm(session, document.uri));
  connection.onShutdown(async () => {
    status.dispose();
    await engine.dispose();
  });
  documents.listen(connection);
}

function cancellable<P, R>(handler: (params: P, token: CancellationToken) => R | Promise<R>): (params: P, token: CancellationToken) => Promise<R> {
  return (params, token) => unlessCancelled(token, () => handler(params, token));
}

/** After the handshake: pull the settings, register for their changes, open the workspace's repository and its index. */
async function initialized(session: Session, support: ClientSupport, root: () => string | undefined): Promise<void> {
  if (support.configuration && support.configurationChangeRegistration) session.connection.client.register(DidChangeConfigurationNotification.type, { section: 'ail' }).catch(() => undefined);
  session.engine.answers.configure(await session.settings.get());
  const directory = root();
  if (!directory) return;
  try {
    const { repo } = await session.engine.registry.forDirectory(directory);
    await session.engine.semantic.start();
    await session.engine.semantic.ready(repo);
    session.status.changed();
  } catch (error) {
    session.connection.console.warn(visibleLines(`AIL: ${error instanceof Error ? error.message : String(error)}`));
  }
}

/** A settings change applies at once: caches reconfigured, lenses refreshed, status sent. */
async function configurationChanged(session: Session, support: ClientSupport): Promise<void> {
  session.settings.invalidate();
  session.engine.answers.configure(await session.settings.get());
  if (support.codeLensRefresh) session.connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
  session.status.changed();
}

function cleared(session: Session): { l1: number; l2: number } {
  const dropped = session.engine.answers.clear();
  session.status.changed();
  return dropped;
}

async function warm(session: Session, uri: string): Promise<void> {
  if (!uri.startsWith('file:')) return;
  try {
    await session.engine.provider.warm(fileURLToPath(uri));
  } catch {
    // untracked, binary, not in a repository: nothing to warm
  }
}

function workspaceFolderOf(params: InitializeParams): string | undefined {
  const uri = params.workspaceFolders?.[0]?.uri ?? params.rootUri ?? undefined;
  return uri?.startsWith('file:') ? fileURLToPath(uri) : (params.rootPath ?? undefined);
}
