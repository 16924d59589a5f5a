import { visible } from '../../shared/visible';

export interface ProgressUpdate {
  done: number;
  total: number;
  message: string;
}

/** Reports one update of a long job; `progressPrinter` makes one that writes to stderr. */
export type Progress = (job: string, progress: ProgressUpdate) => void;

/** Progress that can also end a job that stops before it is done (an error, Ctrl-C). */
export type ProgressPrinter = Progress & {
  /** Ends the job's progress with a last word, `job: message`; nothing when none of it is shown or it already ended. */
  end(job: string, message: string): void;
};

/** How often a pipe gets a line at most, besides the first and the last of a job. */
const PIPE_INTERVAL_MS = 5_000;

/**
 * Progress of long jobs on stderr, `job: message done/total (percent%)`. On a terminal, one line that
 * updates in place (a carriage return and an erase) and ends when the job does. On a pipe or a file,
 * where carriage returns would run every update together in a log: whole lines, the first and the last
 * of each job and between them one per tenth, no more often than every few seconds.
 */
export function progressPrinter(stream: NodeJS.WritableStream & { isTTY?: boolean }, now: () => number = Date.now): ProgressPrinter {
  const shown = new Map<string, { tenth: number; at: number; done: number }>();
  /** The job whose line a terminal shows unfinished. */
  let open: string | undefined;
  const print: Progress = (job, { done, total, message: raw }) => {
    const message = visible(raw);
    const percent = total > 0 ? Math.floor((Math.min(done, total) / total) * 100) : 0;
    const line = `${job}: ${message}${total > 0 ? ` ${done}/${total} (${percent}%)` : ''}`;
    const finished = total > 0 && done >= total;
    if (stream.isTTY) {
      stream.write(`\r\x1b[2K${line}${finished ? '\n' : ''}`);
      open = finished ? undefined : job;
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
  const end = (job: string, message: string) => {
    if (stream.isTTY) {
      if (open !== job) return;
      open = undefined;
      stream.write(`\r\x1b[2K${job}: ${visible(message)}\n`);
    } else if (shown.delete(job)) stream.write(`${job}: ${visible(message)}\n`);
  };
  return Object.assign(print, { end });
}
