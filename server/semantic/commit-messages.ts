import { readCommitMessageParts } from '../git/commit-walk';
import type { GitRunner } from '../git/runner';

/** Longer messages are cut: embedders truncate anyway, and a pasted log should not cost seconds. */
const MAX_MESSAGE_CHARS = 4000;

/**
 * The text the commit index embeds for each sha, in order: `subject + "\n" + body`, cut at
 * MAX_MESSAGE_CHARS. One git process for the whole list (`readCommitMessageParts`). The same text for
 * building the index and for checking a loaded one against its commits.
 */
export async function readCommitMessages(git: GitRunner, shas: readonly string[], signal: AbortSignal): Promise<string[]> {
  const parts = await readCommitMessageParts(git, shas, signal);
  return parts.map(({ subject, body }) => `${subject}\n${body.trim()}`.slice(0, MAX_MESSAGE_CHARS));
}
