import { accessSync, constants } from 'node:fs';
import * as path from 'node:path';

/**
 * Tests that drive a program `npm ci` does not install (Neovim, code-server, Chromium) ask for it here,
 * at the top of their file:
 *
 *   const nvim = requireProgram('nvim', 'apt-get install neovim', 'the Neovim editor tests');
 *   describe.skipIf(!nvim.found)('Neovim driving dist/server.js', () => { ... });
 *
 * Found: `{ found: true, path }`. Missing on a developer's machine: one line on stderr,
 * "skipped: the Neovim editor tests: nvim is not on PATH; install it with `apt-get install neovim`",
 * `{ found: false }`, and the caller skips, so `npm test` passes with Node, npm, git and a C
 * compiler alone. Missing under `CI=true`: it throws, so the file fails: CI installs every program
 * (.ci/run) and a test that quietly stopped running would hide that it did not.
 */
export interface Program {
  found: boolean;
  /** The executable found on PATH. */
  path?: string;
}

export function requireProgram(command: string, install: string, purpose = `the tests that run ${command}`): Program {
  const found = onPath(command);
  if (found) return { found: true, path: found };
  requireInstalled(purpose, [`${command} is not on PATH; install it with \`${install}\``]);
  return { found: false };
}

/**
 * The same rule for programs found some other way (code-server in its cache, Chromium at a path):
 * `missing` says what is not there and how to install it, one phrase each. True when nothing is missing.
 */
export function requireInstalled(purpose: string, missing: string[]): boolean {
  if (missing.length === 0) return true;
  if (process.env.CI === 'true') throw new Error(`under CI=true ${purpose} must run, not skip: ${missing.join('; ')} (.ci/run installs them)`);
  process.stderr.write(`skipped: ${purpose}: ${missing.join('; ')}\n`);
  return false;
}

/** The first executable `command` on PATH (or `command` itself when it names a path), without starting anything. */
export function onPath(command: string): string | undefined {
  const candidates = command.includes(path.sep) ? [command] : (process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, command));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
