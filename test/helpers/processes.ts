import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ChildProcessInfo {
  pid: number;
  argv: string[];
  /**
   * Still running and not on its way out: not a zombie, no SIGKILL pending, not exiting. A process the
   * server has just killed reads as not running from the moment the kill returns, so a test can check
   * right after the server answered, without waiting.
   */
  running: boolean;
}

const SIGKILL_BIT = 1n << 8n;
const PF_EXITING = 0x4;

/** The direct children of `parent`, read from /proc (Linux). */
export function childProcesses(parent: number): ChildProcessInfo[] {
  const children: ChildProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ... flags is the 9th field; comm may hold spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) !== parent) continue;
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const pending = (name: string) => BigInt(`0x${new RegExp(`^${name}:\\s*([0-9a-f]+)`, 'm').exec(status)?.[1] ?? '0'}`);
      const killed = ((pending('SigPnd') | pending('ShdPnd')) & SIGKILL_BIT) !== 0n;
      const exiting = (Number(fields[6]) & PF_EXITING) !== 0 || fields[0] === 'Z' || fields[0] === 'X';
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      children.push({ pid: Number(entry), argv, running: !killed && !exiting });
    } catch {
      // gone while being read: not running
    }
  }
  return children;
}

/**
 * Processes whose working directory is inside `root`: git left running by a CLI or server that has
 * gone. This process and its own children (the git of an engine the test itself still holds) are not
 * counted.
 */
export function processesIn(root: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid) continue;
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      // The command line without git's -c overrides, enough to tell which process it is.
      if (cwd === root || cwd.startsWith(`${root}/`)) found.push(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((arg) => arg && !arg.includes('=')).join(' '));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}
