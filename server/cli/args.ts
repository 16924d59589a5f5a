import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { AilError } from '../util/errors';

export interface AskArgs {
  /** The path as typed, without the line suffix. */
  file: string;
  /** 0-based inclusive. */
  lines?: { start: number; end: number };
  question?: string;
  repo?: string;
  json: boolean;
}

/**
 * `ail ask <path>[:<line>[-<line>]] [question...] [--repo DIR] [--json]`; lines are 1-based as people
 * type them. A position pasted from a compiler, `<path>:<line>:<column>`, is taken as that line.
 */
export function parseAskArgs(argv: readonly string[], cwd: string): AskArgs {
  const positional: string[] = [];
  let repo: string | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--json') json = true;
    else if (arg === '--repo') {
      repo = argv[++i];
      if (!repo) throw new AilError('bad-argument', '--repo needs a directory');
    } else if (arg.startsWith('--repo=')) repo = arg.slice('--repo='.length);
    else if (arg === '--') positional.push(...argv.slice(i + 1)), (i = argv.length);
    else if (arg.startsWith('--')) throw new AilError('bad-argument', `unknown option ${arg} (ail ask takes --repo DIR and --json)`);
    else positional.push(arg);
  }
  const target = positional.shift();
  if (!target) throw new AilError('bad-argument', 'ail ask needs a file: ail ask <path>[:<line>[-<line>]] [question...]');
  const question = positional.join(' ').trim() || undefined;
  const base = repo ? path.resolve(cwd, repo) : cwd;
  return { ...splitTarget(target, base), ...(question ? { question } : {}), ...(repo ? { repo } : {}), json };
}

function splitTarget(target: string, base: string): { file: string; lines?: { start: number; end: number } } {
  const colon = target.lastIndexOf(':');
  // A path that exists as typed wins (a file may have a colon in its name); so does a Windows drive letter.
  if (colon <= 1 || existsSync(path.resolve(base, target))) return { file: target };
  const file = target.slice(0, colon);
  // `path:line:column`, as compilers, linters and stack traces print a position: the column is dropped.
  const position = /^(.+):(\d+):\d+$/.exec(target);
  if (position && !existsSync(path.resolve(base, file)) && existsSync(path.resolve(base, position[1]!))) {
    return { file: position[1]!, lines: parseLineSpec(position[2]!) };
  }
  const spec = target.slice(colon + 1);
  return { file, lines: parseLineSpec(spec) };
}

export function parseLineSpec(spec: string): { start: number; end: number } {
  const match = /^(\d+)(?:-(\d+))?$/.exec(spec.trim());
  if (!match) throw new AilError('malformed-range', `malformed range '${spec}': expected <line> or <start>-<end>, e.g. 12 or 12-20`);
  const first = Number(match[1]);
  const last = match[2] === undefined ? first : Number(match[2]);
  if (first < 1 || last < 1) throw new AilError('malformed-range', `malformed range '${spec}': lines are numbered from 1`);
  if (first > last) throw new AilError('malformed-range', `malformed range '${spec}': it starts after it ends`);
  return { start: first - 1, end: last - 1 };
}
