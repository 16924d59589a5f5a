import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The .vsix of what is built now, made once and shared by the tests that need one (test/package.test.ts
 * unpacks it, test/vscode.test.ts installs it into code-server): `scripts/package.mjs --no-build`, as
 * `npm run package` runs it, on the dist/ the test setup built. It is kept under
 * `.package/test/<hash of its inputs>/`, so a run whose bundles, manifest and addon are unchanged reuses
 * it, and a change makes a new one. Test files run in parallel processes: the first to ask builds it
 * under a lock directory; the others wait for the lock to go.
 */

const ROOT = path.resolve(__dirname, '../..');
const CACHE = path.join(ROOT, '.package/test');
/** Everything scripts/package.mjs puts in the .vsix or decides it by. */
const INPUTS = ['dist/extension.js', 'dist/server.js', 'dist/cli.js', 'dist/webview.js', 'dist/webview.css', 'native/build/Release/ail_spawn.node', 'package.json', 'package-lock.json', 'README.md', 'LICENSE', '.vscodeignore', 'scripts/package.mjs'];

export async function packagedVsix(): Promise<string> {
  const hash = inputsHash();
  const done = path.join(CACHE, hash);
  const lock = path.join(CACHE, `${hash}.lock`);
  mkdirSync(CACHE, { recursive: true });
  for (;;) {
    const found = vsixIn(done);
    if (found) return found;
    if (takeLock(lock)) break;
    await new Promise((resolve) => setTimeout(resolve, 100)); // another test file is building it
  }
  try {
    const found = vsixIn(done);
    if (found) return found;
    const out = path.join(CACHE, `${hash}.tmp-${process.pid}`);
    rmSync(out, { recursive: true, force: true });
    const build = spawnSync(process.execPath, [path.join(ROOT, 'scripts/package.mjs'), '--no-build', '--out', out], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`npm run package failed (exit ${build.status}):\n${build.stdout}\n${build.stderr}`);
    // Only the .vsix is kept: the staging folder beside it is the package unpacked, again.
    for (const entry of readdirSync(out)) if (!entry.endsWith('.vsix')) rmSync(path.join(out, entry), { recursive: true, force: true });
    renameSync(out, done);
    // Older builds go: each is a .vsix of ~30 MB nobody will ask for again.
    for (const entry of readdirSync(CACHE)) if (entry !== hash && !entry.includes('.')) rmSync(path.join(CACHE, entry), { recursive: true, force: true });
    return vsixIn(done) ?? raise(new Error(`scripts/package.mjs made no .vsix in ${out}`));
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function inputsHash(): string {
  const hash = createHash('sha256');
  for (const file of INPUTS) {
    const full = path.join(ROOT, file);
    hash.update(`${file}\0`);
    if (existsSync(full)) hash.update(readFileSync(full));
  }
  return hash.digest('hex').slice(0, 16);
}

function vsixIn(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const name = readdirSync(dir).find((entry) => entry.endsWith('.vsix'));
  return name ? path.join(dir, name) : undefined;
}

/** mkdir is atomic: whoever makes the lock builds. A lock whose process is gone is taken over. */
function takeLock(lock: string): boolean {
  try {
    mkdirSync(lock);
    writeFileSync(path.join(lock, 'pid'), String(process.pid));
    return true;
  } catch {
    let owner = NaN;
    try {
      owner = Number(readFileSync(path.join(lock, 'pid'), 'utf8'));
    } catch {
      return false; // being made or removed just now
    }
    if (Number.isInteger(owner) && !alive(owner)) rmSync(lock, { recursive: true, force: true });
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function raise(error: Error): never {
  throw error;
}
