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

/** One process as /proc tells it; `cmdline`, `status` and `cwd` are read when asked (a process may be gone by then: they throw). */
export interface ProcEntry {
  pid: number;
  /** R, S, D, Z (zombie), X… */
  state: string;
  ppid: number;
  pgrp: number;
  flags: number;
  argv(): string[];
  status(): string;
  cwd(): string;
}

/** Every process on this machine, read from /proc (Linux); one that goes while being read is left out. */
export function processTable(): ProcEntry[] {
  const entries: ProcEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid pgrp session tty tpgid flags ...; comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    entries.push({
      pid: Number(name),
      state: fields[0]!,
      ppid: Number(fields[1]),
      pgrp: Number(fields[2]),
      flags: Number(fields[6]),
      argv: () => readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean),
      status: () => readFileSync(`/proc/${name}/status`, 'utf8'),
      cwd: () => readlinkSync(`/proc/${name}/cwd`),
    });
  }
  return entries;
}

/** The direct children of `parent`, read from /proc (Linux). */
export function childProcesses(parent: number): ChildProcessInfo[] {
  const children: ChildProcessInfo[] = [];
  for (const entry of processTable()) {
    if (entry.ppid !== parent) continue;
    try {
      const status = entry.status();
      const pending = (name: string) => BigInt(`0x${new RegExp(`^${name}:\\s*([0-9a-f]+)`, 'm').exec(status)?.[1] ?? '0'}`);
      const killed = ((pending('SigPnd') | pending('ShdPnd')) & SIGKILL_BIT) !== 0n;
      const exiting = (entry.flags & PF_EXITING) !== 0 || entry.state === 'Z' || entry.state === 'X';
      children.push({ pid: entry.pid, argv: entry.argv(), running: !killed && !exiting });
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
  for (const entry of processTable()) {
    if (entry.pid === process.pid || entry.ppid === process.pid) continue;
    try {
      const cwd = entry.cwd();
      // The command line without git's -c overrides, enough to tell which process it is.
      if (cwd === root || cwd.startsWith(`${root}/`)) found.push(entry.argv().filter((arg) => !arg.includes('=')).join(' '));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}
