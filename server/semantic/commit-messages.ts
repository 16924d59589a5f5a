import type { GitOutcome, GitRunner } from '../git/runner';
import { CancelledError } from '../util/flight';

/** Longer messages are cut: embedders truncate anyway, and a pasted log should not cost seconds. */
const MAX_MESSAGE_CHARS = 4000;
export const GIT_TIMEOUT_MS = 300_000;

/**
 * The text the commit index embeds for each sha, in order: `subject + "\n" + body`, cut at
 * MAX_MESSAGE_CHARS. One git process for the whole list, checked against the shas asked for. The same
 * text for building the index and for checking a loaded one against its commits.
 */
export async function readCommitMessages(git: GitRunner, shas: readonly string[], signal: AbortSignal): Promise<string[]> {
  // NUL separates the fields: git prints a message as a C string, so a message cannot contain one
  // (it can contain \x1e or \x1f and would forge records if those were the separators).
  const outcome = await git.run(['log', '--no-walk=unsorted', '--stdin', '-z', '--format=%H%x00%s%x00%b'], {
    signal,
    input: `${shas.join('\n')}\n`,
    timeoutMs: GIT_TIMEOUT_MS,
    background: true,
  });
  const fields = gitOutput(outcome, 'git log').split('\0');
  const messages: string[] = [];
  for (let i = 0; i < shas.length; i++) {
    const [sha, subject, body] = [fields[3 * i], fields[3 * i + 1], fields[3 * i + 2]];
    if (sha !== shas[i] || subject === undefined || body === undefined) {
      throw new Error(`git log answered ${sha?.slice(0, 12) ?? 'nothing'} where ${shas[i]!.slice(0, 12)} was expected`);
    }
    messages.push(`${subject}\n${body.trim()}`.slice(0, MAX_MESSAGE_CHARS));
  }
  return messages;
}

/** A git outcome's output; cancellation is a CancelledError, a timeout or a failure an Error that says so. */
export function gitOutput(outcome: GitOutcome, what: string): string {
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
