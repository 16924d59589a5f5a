import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { settingsFromEnv } from '../../shared/settings';
import { createEngine } from '../compose';
import { startServer } from './server';

// Entry point of `node dist/server.js --stdio`: the connection, the engine, and the wiring between them.
const connection = createConnection(ProposedFeatures.all);
startServer(connection, createEngine(settingsFromEnv(process.env)), settingsFromEnv(process.env));
connection.listen();
