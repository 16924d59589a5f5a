// Bundles the three entry points into dist/. Run by `npm run build` and by `prepare` (so `npm ci` leaves a built dist/).
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { chmodSync, readdirSync, readFileSync } from 'node:fs';

// Native addons and the model runtime load from node_modules at run time; they cannot be bundled.
const native = ['hnswlib-node', '@huggingface/transformers', 'onnxruntime-node', 'onnxruntime-web', 'sharp', 'web-tree-sitter', '@vscode/tree-sitter-wasm'];

// What a stored blame or line history holds is decided by server/git: a store written by other code is
// never read (server/git/git-store.ts, gitSourcesHash, computes the same hash when run from the sources).
const gitSources = createHash('sha256');
for (const name of readdirSync('server/git').filter((name) => name.endsWith('.ts')).sort()) {
  gitSources.update(name).update('\0').update(readFileSync(`server/git/${name}`)).update('\0');
}

// A line's trace (server/archaeology/trace.ts) is stored too: a store written by other tracing rules is never read.
const traceSources = createHash('sha256');
for (const name of ['mechanical.ts', 'text.ts', 'trace.ts']) {
  traceSources.update(name).update('\0').update(readFileSync(`server/archaeology/${name}`)).update('\0');
}

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  define: { AIL_GIT_SOURCES: JSON.stringify(gitSources.digest('hex').slice(0, 16)), AIL_TRACE_SOURCES: JSON.stringify(traceSources.digest('hex').slice(0, 16)) },
};

await Promise.all([
  build({ ...common, entryPoints: ['server/lsp/stdio.ts'], outfile: 'dist/server.js', external: native }),
  build({ ...common, entryPoints: ['server/cli/main.ts'], outfile: 'dist/cli.js', external: native, banner: { js: '#!/usr/bin/env node' } }),
  // `ail serve --mcp` (loaded by dist/cli.js for that command only: the MCP SDK is large).
  // Its `serverInfo.version` is the package's.
  build({ ...common, define: { ...common.define, AIL_VERSION: JSON.stringify(JSON.parse(readFileSync('package.json', 'utf8')).version) }, entryPoints: ['server/mcp/stdio.ts'], outfile: 'dist/mcp.js', external: native }),
  build({ ...common, entryPoints: ['client/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] }),
  // The Ask Why panel's script and stylesheet, loaded by the webview (CSP: these two files only).
  build({ ...common, platform: 'browser', target: 'es2022', format: 'iife', entryPoints: ['client/webview/main.ts'], outfile: 'dist/webview.js' }),
  build({ ...common, platform: 'browser', entryPoints: ['client/webview/panel.css'], outfile: 'dist/webview.css', sourcemap: false }),
]);
chmodSync('dist/cli.js', 0o755);
