import { startProcess } from '../git/process';
import { gitEnvironment } from '../git/runner';

/**
 * Raw git for the bench's yardsticks, started the way AIL starts its own git (posix_spawn where built):
 * started with Node's spawn instead, every raw figure would carry the 5-12 ms Node takes to fork the
 * bench process, and the ratios would flatter AIL.
 */
export function git(cwd: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = startProcess('git', args, { cwd, env: gitEnvironment() });
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
