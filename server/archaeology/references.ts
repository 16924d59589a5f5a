import type { IssueRef } from '../../shared/types';

/** What a commit message says about the pull request it came from. */
export interface PullRequestMention {
  number: number;
  title: string;
  via: 'squash-suffix' | 'merge-commit';
}

const MERGE_PR = /^Merge pull request #(\d+) from (\S+)/;
const SQUASH_SUFFIX = /^(.*\S)\s+\(#(\d+)\)$/;

/** `Title (#123)` (GitHub's squash merge) and `Merge pull request #123 from a/b` (its merge commit; the title is the body's first line). */
export function pullRequestFromMessage(subject: string, body: string): PullRequestMention | undefined {
  const merge = MERGE_PR.exec(subject);
  if (merge) {
    const title = body.split('\n').find((line) => line.trim())?.trim() ?? merge[2]!;
    return { number: Number(merge[1]), title, via: 'merge-commit' };
  }
  const squash = SQUASH_SUFFIX.exec(subject.trim());
  if (squash) return { number: Number(squash[2]), title: squash[1]!, via: 'squash-suffix' };
  return undefined;
}

const CLOSING = /\b(?:fix(?:e[sd])?|close[sd]?|resolve[sd]?)(?::)?\s+((?:[\w.-]+\/[\w.-]+)?#\d+(?:\s*(?:,|and)\s*(?:[\w.-]+\/[\w.-]+)?#\d+)*)/gi;
const ONE_REF = /(?:([\w.-]+\/[\w.-]+))?#(\d+)/g;

/** Issues a message closes: `Fixes #45`, `closes owner/repo#7`, `Resolves #1, #2`. */
export function issuesFromMessage(message: string): IssueRef[] {
  const found = new Map<string, IssueRef>();
  for (const match of message.matchAll(CLOSING)) {
    for (const ref of match[1]!.matchAll(ONE_REF)) {
      const issue: IssueRef = ref[1] ? { number: Number(ref[2]), repository: ref[1] } : { number: Number(ref[2]) };
      found.set(`${issue.repository ?? ''}#${issue.number}`, issue);
    }
  }
  return [...found.values()];
}

const CHERRY_PICK = /\(cherry picked from commit ([0-9a-f]{7,64})\)/;

export function cherryPickSource(body: string): string | undefined {
  return CHERRY_PICK.exec(body)?.[1];
}
