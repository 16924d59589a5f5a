import { spawn, type ChildProcess } from 'node:child_process';

/**
 * A small detached process that ends what a test started when the test process goes, however it goes:
 * a Ctrl-C, a SIGTERM from a runner's timeout, a SIGKILL. It holds the read end of a pipe from this
 * process; when that closes (the kernel closes it when this process dies, or `end()` does), it
 * SIGKILLs the process group `pgid`, every other process whose command line holds `marker` (a temp dir
 * only this test's processes name: the browser's profile, code-server's config), and removes `remove`.
 */
export interface Watchdog {
  /** Does the same now, and resolves when the watchdog has finished. */
  end(): Promise<void>;
}

const SCRIPT = String.raw`
const { readdirSync, readFileSync, rmSync } = require('node:fs');
const [pgid, marker, remove] = process.argv.slice(1);
let done = false;
function end() {
  if (done) return;
  done = true;
  try { process.kill(-Number(pgid), 'SIGKILL'); } catch {}
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try { if (readFileSync('/proc/' + pid + '/cmdline', 'utf8').includes(marker)) process.kill(Number(pid), 'SIGKILL'); } catch {}
  }
  if (remove) rmSync(remove, { recursive: true, force: true, maxRetries: 5 });
  process.exit(0);
}
process.stdin.on('end', end);
process.stdin.on('close', end);
process.stdin.on('error', end);
process.stdin.resume();
`;

export function startWatchdog(pgid: number, marker: string, remove = ''): Watchdog {
  const child: ChildProcess = spawn(process.execPath, ['-e', SCRIPT, String(pgid), marker, remove], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  // Neither the child nor the pipe keeps this process alive.
  child.unref();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    end: () => {
      child.stdin?.end();
      return exited;
    },
  };
}
