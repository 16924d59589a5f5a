import { visible } from '../../shared/visible';

/** Progress of a long job on stderr: one updating line on a terminal, a line per tenth otherwise. */
export function progressPrinter(stream: NodeJS.WriteStream): (job: string, progress: { done: number; total: number; message: string }) => void {
  const lastTenth = new Map<string, number>();
  return (job, { done, total, message: raw }) => {
    const message = visible(raw);
    const percent = total > 0 ? Math.floor((done / total) * 100) : 0;
    if (stream.isTTY) {
      stream.write(`\r\x1b[2K${job}: ${message} ${total > 0 ? `${done}/${total} (${percent}%)` : ''}`);
      if (total > 0 && done >= total) stream.write('\n');
      return;
    }
    const tenth = Math.floor(percent / 10);
    if (lastTenth.get(job) === tenth && done < total) return;
    lastTenth.set(job, tenth);
    stream.write(`${job}: ${message} ${total > 0 ? `${done}/${total} (${percent}%)` : ''}\n`);
  };
}
