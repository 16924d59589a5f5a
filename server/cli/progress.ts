import { visible } from '../../shared/visible';

export interface ProgressUpdate {
  done: number;
  total: number;
  message: string;
}

/** Reports one update of a long job; `progressPrinter` makes one that writes to stderr. */
export type Progress = (job: string, progress: ProgressUpdate) => void;

/** How often a pipe gets a line at most, besides the first and the last of a job. */
const PIPE_INTERVAL_MS = 5_000;

/**
 * Progress of long jobs on stderr, `job: message done/total (percent%)`. On a terminal, one line that
 * updates in place (a carriage return and an erase) and ends when the job does. On a pipe or a file,
 * where carriage returns would run every update together in a log: whole lines, the first and the last
 * of each job and between them one per tenth, no more often than every few seconds.
 */
export function progressPrinter(stream: NodeJS.WritableStream & { isTTY?: boolean }, now: () => number = Date.now): Progress {
  const shown = new Map<string, { tenth: number; at: number; done: number }>();
  return (job, { done, total, message: raw }) => {
    const message = visible(raw);
    const percent = total > 0 ? Math.floor((Math.min(done, total) / total) * 100) : 0;
    const line = `${job}: ${message}${total > 0 ? ` ${done}/${total} (${percent}%)` : ''}`;
    const finished = total > 0 && done >= total;
    if (stream.isTTY) {
      stream.write(`\r\x1b[2K${line}${finished ? '\n' : ''}`);
      return;
    }
    const last = shown.get(job);
    const tenth = Math.floor(percent / 10);
    const first = !last || done < last.done; // a job that starts again is a new one
    if (!first && !finished && (tenth === last.tenth || now() - last.at < PIPE_INTERVAL_MS)) return;
    if (finished) shown.delete(job);
    else shown.set(job, { tenth, at: now(), done });
    stream.write(`${line}\n`);
  };
}
