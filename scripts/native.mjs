// Builds native/ail_spawn.node (posix_spawn for git processes, see server/git/process.ts) with node-gyp.
// Run by `prepare`, so `npm ci` builds it. Without a compiler AIL still works: it starts git with Node's
// spawn, which blocks the server a few milliseconds longer per git call. So a failed build warns, and
// does not fail the install.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

if (process.platform === 'win32') process.exit(0);

// npm names its own node-gyp in the environment of the scripts it runs; outside npm, look beside npm.
const candidates = [
  process.env.npm_config_node_gyp,
  path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
].filter(Boolean);
const nodeGyp = candidates.find((file) => existsSync(file));
if (!nodeGyp) {
  console.warn('ail: node-gyp not found; git processes will start with Node\'s spawn (slower)');
  process.exit(0);
}
const args = [nodeGyp, 'rebuild', '--directory', 'native'];
// The headers to build against: npm's `nodedir` setting (machines without network access set it), which
// npm passes to the scripts it runs; run by hand, ask npm.
const nodedir = process.env.npm_config_nodedir ?? npmConfig('nodedir');
if (nodedir) args.push(`--nodedir=${nodedir}`);
const started = Date.now();
const result = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
if (result.status === 0) {
  console.log(`ail: built native/build/Release/ail_spawn.node in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} else {
  const tail = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-6).join('\n');
  console.warn(`ail: could not build native/ail_spawn.node; git processes will start with Node's spawn (slower)\n${tail}`);
}

function npmConfig(key) {
  const npm = spawnSync('npm', ['config', 'get', key], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const value = npm.status === 0 ? npm.stdout.trim() : '';
  return value && value !== 'undefined' && value !== 'null' ? value : undefined;
}
