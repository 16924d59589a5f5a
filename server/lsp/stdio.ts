import { runLanguageServer } from './main';

// The entry point of dist/server.js.
runLanguageServer();
