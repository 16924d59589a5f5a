import { createHash } from 'node:crypto';
import type { ResolvedQuestion } from '../archaeology/provider';

/** A question as the caches compare it: lowercase, single spaces, no trailing punctuation. */
export function normalizeForCache(question: string): string {
  return question.toLowerCase().replace(/\s+/g, ' ').trim().replace(/[\s?!.]+$/, '');
}

/** The text an answer was computed for: the committed blob, or a hash of the unsaved text; for a removed file, the commit that removed it and its last blob. */
export function textIdentity(target: ResolvedQuestion): string {
  const text = target.contents === undefined ? `blob:${target.headFile.blob}` : `text:${createHash('sha256').update(target.contents).digest('hex')}`;
  return target.removed ? `removed:${target.removed.commit}:${target.removed.lastVersion}:${text}` : text;
}

/**
 * The L1 key: a SHA-256 of everything the answer depends on (work tree, HEAD, the file and its text,
 * the lines, the normalized question, how much evidence and how deep). A new commit or an edit makes a
 * new key, so nothing stale can be served.
 */
export function answerKey(target: ResolvedQuestion, maxEvidence: number | undefined): string {
  const lines = target.lines ? `${target.lines.start}-${target.lines.end}` : 'file';
  return createHash('sha256')
    .update(
      JSON.stringify([target.repo.root, target.head, target.file, textIdentity(target), lines, normalizeForCache(target.question), maxEvidence ?? null, target.depth]),
    )
    .digest('hex');
}

/** A stable bucket 0..99 for a question: the same question always takes the same path through a partial rollout. */
export function rolloutBucket(question: string): number {
  return createHash('sha256').update(normalizeForCache(question)).digest().readUInt32BE(0) % 100;
}

/**
 * The team tier's key: the same on every machine and never stale. No local path: HEAD's SHA already
 * names the whole history (root commit included), `remote` is the GitHub repository the evidence was
 * enriched from (`apiUrl/owner/name`, or none), then the file, its text, the lines, the normalized
 * question, how much evidence and how deep. Only whoever has the repository's content can make it.
 */
export function teamAnswerKey(target: ResolvedQuestion, maxEvidence: number | undefined, remote: string): string {
  const lines = target.lines ? `${target.lines.start}-${target.lines.end}` : 'file';
  return createHash('sha256')
    .update(JSON.stringify([remote, target.head, target.file, textIdentity(target), lines, normalizeForCache(target.question), maxEvidence ?? null, target.depth]))
    .digest('hex');
}
