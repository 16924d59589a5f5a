import { fileURLToPath } from 'node:url';
import { CodeLensRefreshRequest, DidChangeConfigurationNotification, TextDocuments, type CancellationToken, type Connection, type InitializeParams, type InitializeResult } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { ClearCacheRequest, ContextRequest, HealthRequest, LineSummaryRequest, ReindexRequest, SetGitHubTokenRequest, StatsRequest, ASK_WHY_COMMAND } from '../../shared/protocol';
import type { Settings } from '../../shared/settings';
import { Engine } from '../engine';
import type { LogLevel } from '../observe/logger';
import { unlessCancelled } from './cancellation';
import { clientCommandsOf, clientSupport, serverCapabilities, type ClientSupport } from './capabilities';
import { codeLenses, resolveCodeLens } from './codelens';
import { hover } from './hover';
import { ProgressBridge } from './progress';
import { noParams, repositoryParams } from './params';
import { askWhy, context, health, lineSummary, reindex, setGitHubToken } from './requests';
import { Session } from './session';
import { SettingsPuller } from './settings';
import { StatusNotifier } from './status';
import { WorkspaceFolders } from './workspace';
import { MetricsEndpoint } from './metrics-endpoint';

/** Thin wiring: the engine and the session are built here, and each LSP message maps to one handler. */
export function startServer(connection: Connection, env: Settings): void {
  let support: ClientSupport = { configuration: false, configurationChangeRegistration: false, workDoneProgress: false, codeLensRefresh: false };
  const folders = new WorkspaceFolders();
  let workspaceFolderChanges = false;
  const progress = new ProgressBridge(connection, () => support.workDoneProgress);
  const engine = new Engine(env, {
    warmFiles: true,
    buildIndexes: true,
    // One progress per repository's index: two folders' builds each end their own.
    onProgress: (job, report, root) => progress.report(root ? `${job} ${root}` : job, job === 'model' ? 'AIL: loading the embedding model' : 'AIL: indexing commit messages', report),
    onProgressEnd: (job, root) => progress.end(root ? `${job} ${root}` : job),
    // The editor's output shows what happens (indexing, the token, failures), not a line per hover: those go to AIL_LOG_FILE.
    logSink: (level, line) => consoleOf(connection, level)(`AIL: ${line}`),
    logRequests: false,
  });
  const documents = new TextDocuments(TextDocument);
  const settings = new SettingsPuller(connection, env, () => support.configuration);
  const status = new StatusNotifier(connection, () => engine.stats());
  const session = new Session(connection, engine, documents, settings, status);
  const metrics = new MetricsEndpoint(engine);
  engine.onStatus(() => status.changed());

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    support = clientSupport(params.capabilities);
    session.clientCommands = clientCommandsOf(params.initializationOptions);
    folders.reset(params, env.repoPath);
    workspaceFolderChanges = params.capabilities.workspace?.workspaceFolders === true;
    return { capabilities: serverCapabilities(params.capabilities, session.clientCommands), serverInfo: { name: 'ail', version: '0.1.0' } };
  });
  connection.onInitialized(() => {
    if (workspaceFolderChanges) connection.workspace.onDidChangeWorkspaceFolders((event) => void engine.open(folders.change(event, env.repoPath)));
    void initialized(session, support, folders.all, metrics);
  });
  connection.onDidChangeConfiguration(() => void configurationChanged(session, support, metrics));
  // Every request: a client's cancel is answered RequestCancelled, never with what was computed anyway.
  connection.onHover(cancellable((params, token) => hover(session, params, token)));
  connection.onCodeLens(cancellable((params) => codeLenses(session, params)));
  connection.onCodeLensResolve(cancellable((lens, token) => resolveCodeLens(session, lens, token)));
  connection.onExecuteCommand(cancellable((params, token) => (params.command === ASK_WHY_COMMAND ? askWhy(session, params, token) : undefined)));
  connection.onRequest(ContextRequest.type, cancellable((params, token) => context(session, params, token)));
  connection.onRequest(LineSummaryRequest.type, cancellable((params, token) => lineSummary(session, params, token)));
  connection.onRequest(SetGitHubTokenRequest.type, (params) => setGitHubToken(session, params));
  connection.onRequest(StatsRequest.type, noParams(StatsRequest.method, () => engine.stats()));
  connection.onRequest(ClearCacheRequest.type, noParams(ClearCacheRequest.method, () => engine.clear()));
  connection.onRequest(HealthRequest.method, repositoryParams(HealthRequest.method, (params, token) => unlessCancelled(token, () => health(session, folders.all, params))));
  connection.onRequest(ReindexRequest.method, repositoryParams(ReindexRequest.method, (params, token) => unlessCancelled(token, () => reindex(session, folders.all, params, token))));
  documents.onDidOpen(({ document }) => void (document.uri.startsWith('file:') && engine.warm(fileURLToPath(document.uri))));
  connection.onShutdown(async () => {
    status.dispose();
    await metrics.dispose();
    await engine.dispose();
  });
  documents.listen(connection);
}

function cancellable<P, R>(handler: (params: P, token: CancellationToken) => R | Promise<R>): (params: P, token: CancellationToken) => Promise<R> {
  return (params, token) => unlessCancelled(token, () => handler(params, token));
}

/** After the handshake: pull the settings, register for their changes, open each workspace folder's repository and its index. */
async function initialized(session: Session, support: ClientSupport, folders: readonly string[], metrics: MetricsEndpoint): Promise<void> {
  if (support.configuration && support.configurationChangeRegistration) session.connection.client.register(DidChangeConfigurationNotification.type, { section: 'ail' }).catch(() => undefined);
  const settings = await session.settings.get();
  session.engine.configure(settings);
  void metrics.configure(settings.metricsPort);
  await session.engine.open(folders);
}

/** A settings change applies at once: caches reconfigured, lenses refreshed, status sent. */
async function configurationChanged(session: Session, support: ClientSupport, metrics: MetricsEndpoint): Promise<void> {
  session.settings.invalidate();
  const settings = await session.settings.get();
  session.engine.configure(settings);
  void metrics.configure(settings.metricsPort);
  if (support.codeLensRefresh) session.connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
  session.status.changed();
}

function consoleOf(connection: Connection, level: LogLevel): (message: string) => void {
  if (level === 'ERROR') return (message) => connection.console.error(message);
  if (level === 'WARNING') return (message) => connection.console.warn(message);
  return (message) => connection.console.info(message);
}
