import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { SettingError, settingsFromEnv } from '../../shared/settings';
import { visible, visibleLines } from '../../shared/visible';
import { cancelQueuedRequests } from './cancellation';
import { startServer } from './server';

/** `node dist/server.js --stdio` (or --node-ipc from VS Code), and `ail serve --stdio`: the connection, then the wiring. */
export function runLanguageServer(): void {
  const connection = createConnection(ProposedFeatures.all, cancelQueuedRequests);
  try {
    startServer(connection, settingsFromEnv(process.env));
  } catch (error) {
    // A bad environment variable: say which, on stderr (stdout belongs to the protocol), and stop.
    process.stderr.write(`ail: ${visible(error instanceof SettingError ? error.message : String(error))}\n`);
    process.exit(2);
  }
  // One stray rejection must not take the editor's server down: log it (stderr) and go on.
  process.on('unhandledRejection', (reason) => connection.console.error(visibleLines(`AIL: unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`)));
  connection.listen();
}
