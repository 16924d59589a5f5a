import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * A `git` first on PATH that writes each call (its working directory and arguments) to a log and then
 * runs the real git: what a test gives an editor's environment to see which git ran, and where. AIL finds
 * git on the child's PATH, so its server uses this one.
 */
export interface GitRecorder {
  /** Environment to merge over the editor's: PATH with the recorder first. */
  env: NodeJS.ProcessEnv;
  /** Each call so far: `<cwd>\t<arguments joined by spaces>`. */
  calls(): string[];
}

export function gitRecorder(dir: string): GitRecorder {
  const bin = path.join(dir, 'bin');
  const log = path.join(dir, 'git-calls.log');
  mkdirSync(bin, { recursive: true });
  const real = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  writeFileSync(path.join(bin, 'git'), `#!/bin/sh\nprintf '%s\\t%s\\n' "$PWD" "$*" >> ${quote(log)}\nexec ${quote(real)} "$@"\n`);
  chmodSync(path.join(bin, 'git'), 0o755);
  return {
    env: { PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` },
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []),
  };
}

function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
