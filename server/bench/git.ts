import { startProcess } from '../git/process';
import { gitEnvironment } from '../git/runner';

/** Plumbing for the git processes the generator and the bench start, isolated from the user's git environment. */

export function gitEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('GIT_')) env[key] = value;
  env.GIT_TERMINAL_PROMPT = '0';
  env.LC_ALL = 'C';
  return env;
}

export const GIT_CONFIG = ['-c', 'core.autocrlf=false', '-c', 'core.fsmonitor=false', '-c', 'gc.auto=0', '-c', 'core.hooksPath=/dev/null'];

/** git for the generator: its own config overrides, so that a user's settings cannot change what it builds. */
export function runGit(cwd: string, args: readonly string[]): Promise<string> {
  return run(cwd, [...GIT_CONFIG, ...args], gitEnv());
}

/**
 * Raw git for the bench's yardsticks, as a shell runs it, started the way AIL starts its own git
 * (posix_spawn where built): started with Node's spawn instead, every raw figure would carry the
 * 5-12 ms Node takes to fork the bench process, and the ratios would flatter AIL. Without the heap
 * slack AIL gives its own git (unless the user's environment sets it too); with `tuned`, with it.
 */
export function rawGit(cwd: string, args: readonly string[], tuned = false): Promise<string> {
  const env = gitEnvironment();
  if (!tuned && process.env.MALLOC_TOP_PAD_ === undefined) delete env.MALLOC_TOP_PAD_;
  return run(cwd, args, env);
}

function run(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = startProcess('git', args, { cwd, env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(new Error(`git ${args.join(' ')} failed (exit ${code}): ${Buffer.concat(err).toString('utf8').trim()}`));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end();
  });
}
