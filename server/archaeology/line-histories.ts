import type { GitStore } from '../git/git-store';
import { lineHistory, type HistoryResult, type LineHistoryEntry } from '../git/history';
import type { Repository } from '../git/repository';
import { CancelledError, FlightCache, isCancelled } from '../util/flight';

const LINE_HISTORY_LIMIT = 30;

/**
 * Line histories (`log -L`) of committed lines, kept per (work tree, file blob, HEAD, lines) in memory,
 * one walk per key however many ask, and on disk when the engine has a store: the same range is never
 * walked twice, by this process or the next. A walk cut short is never kept.
 */
export class LineHistories {
  private readonly kept = new FlightCache<string, HistoryResult<LineHistoryEntry>>(512);

  constructor(private readonly store: GitStore | undefined) {}

  /** 0-based inclusive lines; a walk the signal stops answers `stopped: 'cancelled'`-like partial, never throws for it. */
  get(repo: Repository, head: string, file: string, blob: string, range: { start: number; end: number }, signal: AbortSignal): Promise<HistoryResult<LineHistoryEntry>> {
    const key = `${repo.root}\0${file}\0${blob}\0${head}\0${range.start}-${range.end}`;
    return this.kept
      .get(key, (shared) => this.walk(repo, head, file, blob, range, shared), signal)
      .catch((error: unknown) => (isCancelled(error) ? cancelledHistory<LineHistoryEntry>() : Promise.reject(error)));
  }

  private async walk(repo: Repository, head: string, file: string, blob: string, range: { start: number; end: number }, signal: AbortSignal) {
    const id = this.store && { repo: repo.storeIdentity(), head, path: file, blob, start: range.start + 1, end: range.end + 1, limit: LINE_HISTORY_LIMIT };
    const stored = id && (await this.store!.readLineHistory(id));
    if (stored) return stored;
    const result = keepComplete(await lineHistory(repo, head, file, range.start + 1, range.end + 1, { limit: LINE_HISTORY_LIMIT, signal }));
    if (id) this.store!.writeLineHistory(id, result);
    return result;
  }
}

/** A walk cut short by time or cancellation must not be remembered as the answer: reject so the cache drops it. */
export function keepComplete<T>(result: HistoryResult<T>): HistoryResult<T> {
  if (!result.complete && result.stopped !== 'limit') throw new CancelledError();
  return result;
}

export function cancelledHistory<T>(): HistoryResult<T> {
  return { items: [], complete: false, stopped: 'timeout' };
}
