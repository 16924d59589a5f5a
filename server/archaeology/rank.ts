import type { Evidence, EvidenceReason, TracedChange, WarningCode } from '../../shared/types';
import type { CommitInfo } from '../git/commit';
import { informativeness, lexicalOverlap, type Intent } from './text';
import type { TraceStep } from './trace';

/** Everything known about one commit before it is scored. */
export interface Candidate {
  sha: string;
  reasons: Set<EvidenceReason>;
  /** Lines of the asked range blamed on it. */
  blamedLines: number;
  /** Position in the range's line history, 0 = newest. */
  lineHistoryRank?: number;
  /** True for the oldest commit of a complete line history: the one that wrote the lines first. */
  created?: boolean;
  /** Lines it added and removed in the range. */
  hunk: string;
  /** Similarity from a semantic source, 0..1. */
  semantic?: number;
  commit?: CommitInfo;
  /** The message links a pull request or issue. */
  linked: boolean;
  /** The commits that reshaped the asked lines after this one wrote them (the line's trace): it explains them. */
  traced?: TraceStep[];
  /** This commit only reshaped the asked lines, and how: the trace went past it. */
  reshaped?: TracedChange;
  /** Where the trace found the lines in this commit, when not at today's path (code moved from another file). */
  tracedPath?: string;
}

export interface RankContext {
  intent: Intent;
  questionTerms: Set<string>;
  rangeLines: number;
  lineHistoryLength: number;
  /** Author time of HEAD, seconds: recency is measured from here, not from the wall clock. */
  headTime: number;
}

export interface ScoredCandidate extends Candidate {
  score: number;
  lexical: number;
  info: number;
}

/** Weights per intent: what matters for "why" (a message that explains) differs from "who" or "when" (who wrote it first). */
const WEIGHTS: Record<Intent, { blame: number; history: number; created: number; lexical: number; info: number; recency: number; semantic: number }> = {
  why: { blame: 0.34, history: 0.12, created: 0.04, lexical: 0.2, info: 0.22, recency: 0.02, semantic: 0.06 },
  who: { blame: 0.45, history: 0.1, created: 0.15, lexical: 0.1, info: 0.1, recency: 0.05, semantic: 0.05 },
  when: { blame: 0.25, history: 0.12, created: 0.3, lexical: 0.13, info: 0.1, recency: 0.05, semantic: 0.05 },
  'what-changed': { blame: 0.2, history: 0.25, created: 0, lexical: 0.15, info: 0.1, recency: 0.25, semantic: 0.05 },
};

/**
 * When the question names something ("why did we move to bcrypt?"), what the commit says about it
 * counts for more than which commit touched the lines last.
 */
const TOPICAL_WHY = { blame: 0.22, history: 0.1, created: 0.04, lexical: 0.34, info: 0.18, recency: 0.02, semantic: 0.1 };

const YEAR = 365 * 24 * 3600;

export function scoreCandidate(candidate: Candidate, context: RankContext): ScoredCandidate {
  const w = context.intent === 'why' && context.questionTerms.size > 0 ? TOPICAL_WHY : WEIGHTS[context.intent];
  const commit = candidate.commit;
  const message = commit ? `${commit.subject}\n${commit.body}` : '';
  const lexical = Math.max(lexicalOverlap(context.questionTerms, message), 0.6 * lexicalOverlap(context.questionTerms, candidate.hunk));
  const info = commit ? informativeness(commit.subject, commit.body, candidate.linked) : 0;
  const blame = context.rangeLines > 0 ? Math.min(1, candidate.blamedLines / context.rangeLines) : 0;
  const history =
    candidate.lineHistoryRank === undefined ? (candidate.reasons.has('file-history') ? 0.25 : 0) : 1 / (1 + 0.25 * candidate.lineHistoryRank);
  const age = commit ? Math.max(0, context.headTime - commit.authorTime) : YEAR * 10;
  const recency = Math.exp(-age / (2 * YEAR));
  const score =
    w.blame * blame +
    w.history * history +
    w.created * (candidate.created ? 1 : 0) +
    w.lexical * lexical +
    w.info * info +
    w.recency * recency +
    w.semantic * (candidate.semantic ?? 0);
  return { ...candidate, score: Math.min(1, Math.max(0, score)), lexical, info };
}


/**
 * How far the evidence can be trusted. HIGH needs a clear winner whose message explains itself or links a
 * pull request or issue; a generic message with nothing linked is LOW however clear the blame; a
 * leader that only reshaped the lines, or whose lines were changed since by a commit that says nothing
 * of why (`mechanical`), is MEDIUM at most.
 */
export function confidenceOf(ranked: ScoredCandidate[], penalties: { partial: boolean; boundary: boolean; uncommittedShare: number; mechanical?: 'reshaped' | 'unexplained-change' }): number {
  const top = ranked[0];
  if (!top) return 0;
  const second = ranked[1];
  const margin = second ? top.score - second.score : top.score;
  const clearWinner = margin >= 0.12 || !second;
  let confidence: number;
  if (top.info <= 0.1) confidence = 0.15 + 0.15 * Math.min(1, margin * 3);
  else if (clearWinner && top.info >= 0.6) confidence = 0.75 + 0.2 * Math.min(1, margin * 2);
  else confidence = 0.42 + 0.25 * Math.min(1, top.info) * Math.min(1, margin * 4 + 0.3);
  if (penalties.partial) confidence -= 0.1;
  if (penalties.boundary) confidence = Math.min(confidence, 0.35);
  // The lead only reshaped the lines (MEDIUM at most), or a later change to them says nothing of why (not HIGH).
  if (penalties.mechanical === 'reshaped') confidence = Math.min(confidence, 0.55);
  if (penalties.mechanical === 'unexplained-change') confidence = Math.min(confidence, 0.65);
  confidence *= 1 - penalties.uncommittedShare;
  return Math.round(Math.min(0.95, Math.max(0, confidence)) * 100) / 100;
}

/**
 * What the pull request adds to the confidence once enrichers have run: a linked pull request reviewed
 * by people with words raises it, a quoted reason a little more; GitHub unreachable, refusing the token
 * or rate limited lowers it, since the answer had less to go on.
 */
export function confidenceWithReview(confidence: number, top: Evidence | undefined, warnings: ReadonlySet<WarningCode>): number {
  let adjusted = confidence;
  const pr = top?.pullRequest;
  if (pr?.reviewers?.length) adjusted += 0.08;
  if (pr?.quote) adjusted += 0.04;
  if (warnings.has('github-unavailable') || warnings.has('github-auth') || warnings.has('github-rate-limited')) adjusted -= 0.05;
  return Math.round(Math.min(0.95, Math.max(0, adjusted)) * 100) / 100;
}
