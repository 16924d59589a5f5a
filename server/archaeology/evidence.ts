import type { Evidence, TracedChange, TracedCommit } from '../../shared/types';
import type { TracedBlame } from '../git/blamer';
import { commitRef } from '../git/commit';
import type { ChangeKind } from '../git/cosmetic';
import type { Repository } from '../git/repository';
import { orderReasons, tracedFor, type CommitPaths } from './candidates';
import type { ScoredCandidate } from './rank';
import { cherryPickSource, issuesFromMessage, pullRequestFromMessage } from './references';

/**
 * A ranked commit as evidence: its message's PR and issues, the lines blamed on it, where the file was
 * in it, the cosmetic commits its lines were traced through, and what it was cherry-picked from.
 */
export async function toEvidence(item: ScoredCandidate, blame: TracedBlame, start: number, end: number, repo: Repository, paths: CommitPaths): Promise<Evidence> {
  const commit = item.commit!;
  const message = `${commit.subject}\n${commit.body}`;
  const mention = pullRequestFromMessage(commit.subject, commit.body);
  const evidence: Evidence = {
    commit: { ...commitRef(commit), body: commit.body, authorEmail: commit.authorEmail },
    score: Math.round(item.score * 1000) / 1000,
    reasons: orderReasons(item.reasons),
    issues: issuesFromMessage(message),
  };
  if (mention) evidence.pullRequest = { number: mention.number, title: mention.title, via: 'message' };
  if (item.blamedLines) evidence.blamedLines = item.blamedLines;
  if (paths.pathInCommit) evidence.pathInCommit = paths.pathInCommit;
  if (paths.pathInParent) evidence.pathInParent = paths.pathInParent;
  // Blame's own tracing (whole-file cosmetic commits), then the line's trace (mechanical changes of these lines).
  const traced: { sha: string; change: TracedChange }[] = tracedFor(blame, start, end, commit.sha).map((sha) => ({ sha, change: cosmeticChange(blame.cosmetic.get(sha)) }));
  for (const step of item.traced ?? []) if (!traced.some((known) => known.sha === step.sha)) traced.push(step);
  if (traced.length) {
    const refs = await Promise.all(traced.map(async ({ sha, change }) => {
      const found = await repo.commit(sha);
      return found && { ...commitRef(found), change };
    }));
    evidence.tracedThrough = refs.filter((ref): ref is TracedCommit => ref !== undefined);
  }
  if (item.reshaped) evidence.reshaped = item.reshaped;
  const picked = cherryPickSource(commit.body);
  if (picked) {
    const original = await repo.commit(picked);
    if (original) {
      evidence.cherryPickOf = commitRef(original);
      const originalMention = pullRequestFromMessage(original.subject, original.body);
      if (!evidence.pullRequest && originalMention) evidence.pullRequest = { number: originalMention.number, title: originalMention.title, via: 'message' };
      for (const issue of issuesFromMessage(`${original.subject}\n${original.body}`)) {
        if (!evidence.issues.some((known) => known.number === issue.number && known.repository === issue.repository)) evidence.issues.push(issue);
      }
    }
  }
  return evidence;
}

/** What blame's tracing found a cosmetic commit did, as the protocol names it. */
function cosmeticChange(kind: ChangeKind | undefined): TracedChange {
  return kind === 'rename' ? 'file-rename' : kind === 'formatting' ? 'formatting' : 'whitespace';
}
