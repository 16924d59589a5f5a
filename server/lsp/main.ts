import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { settingsFromEnv } from '../../shared/settings';
import { createEngine } from '../compose';
import { startServer } from './server';

// Entry point of `node dist/server.js --stdio`: the connection, the engine, and the wiring between them.
const connection = createConnection(ProposedFeatures.all);
const settings = settingsFromEnv(process.env);
startServer(connection, createEngine(settings, { warmFiles: true }), settings);
connection.listen();
