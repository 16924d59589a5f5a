import type { GitOutcome, GitRunner } from './runner';
import { CancelledError } from '../util/flight';

/**
 * The walks over a whole history that background jobs make (the commit index: every commit reachable
 * from HEAD, and the messages it embeds). Each runs in the runner's background pool, so it never holds
 * a question's slot, with a long timeout: a first build reads every commit of the repository.
 */
const WALK_TIMEOUT_MS = 300_000;

/** The shas reachable from `head`, newest first; with `exclude`, only those not reachable from it too. */
export async function listCommits(git: GitRunner, head: string, signal: AbortSignal, exclude?: string): Promise<string[]> {
  const revisions = exclude === undefined ? [head] : [head, `^${exclude}`];
  const outcome = await git.run(['rev-list', ...revisions, '--'], { signal, timeoutMs: WALK_TIMEOUT_MS, background: true });
  return gitOutput(outcome, 'git rev-list')
    .split('\n')
    .filter((line) => line.length > 0);
}

/**
 * True when `ancestor` is in `head`'s history (no commit reachable from it but not from `head`). False
 * also when it is gone. Unlike `Repository.isAncestor`, a background walk, not kept.
 */
export async function inHistoryOf(git: GitRunner, ancestor: string, head: string, signal: AbortSignal): Promise<boolean> {
  const outcome = await git.run(['rev-list', '-n', '1', ancestor, `^${head}`, '--'], { signal, timeoutMs: WALK_TIMEOUT_MS, background: true });
  if (outcome.kind === 'cancelled') throw new CancelledError();
  return outcome.kind === 'ok' && outcome.stdout.trim() === '';
}

export interface CommitMessage {
  subject: string;
  body: string;
}

/**
 * The subject and body of each sha, in order: one git process for the whole list, checked against the
 * shas asked for.
 */
export async function readCommitMessageParts(git: GitRunner, shas: readonly string[], signal: AbortSignal): Promise<CommitMessage[]> {
  // NUL separates the fields: git prints a message as a C string, so a message cannot contain one
  // (it can contain \x1e or \x1f and would forge records if those were the separators).
  const outcome = await git.run(['log', '--no-walk=unsorted', '--stdin', '-z', '--format=%H%x00%s%x00%b'], {
    signal,
    input: `${shas.join('\n')}\n`,
    timeoutMs: WALK_TIMEOUT_MS,
    background: true,
  });
  const fields = gitOutput(outcome, 'git log').split('\0');
  const messages: CommitMessage[] = [];
  for (let i = 0; i < shas.length; i++) {
    const [sha, subject, body] = [fields[3 * i], fields[3 * i + 1], fields[3 * i + 2]];
    if (sha !== shas[i] || subject === undefined || body === undefined) {
      throw new Error(`git log answered ${sha?.slice(0, 12) ?? 'nothing'} where ${shas[i]!.slice(0, 12)} was expected`);
    }
    messages.push({ subject, body });
  }
  return messages;
}

/** A git outcome's output; cancellation is a CancelledError, a timeout or a failure an Error that says so. */
function gitOutput(outcome: GitOutcome, what: string): string {
  switch (outcome.kind) {
    case 'ok':
      return outcome.stdout;
    case 'cancelled':
      throw new CancelledError();
    case 'timeout':
      throw new Error(`${what} timed out after ${outcome.afterMs} ms`);
    case 'failed':
      throw new Error(`${what} failed: ${outcome.stderr.split('\n')[0] ?? ''}`);
  }
}
