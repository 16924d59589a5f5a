import type { Connection, WorkDoneProgressServerReporter } from 'vscode-languageserver/node';

/**
 * Long jobs (the model load, an index build) shown through `window/workDoneProgress`, one progress
 * per job, begun on its first report and ended when it reaches its total (or by `end`).
 */
export class ProgressBridge {
  private readonly running = new Map<string, Promise<WorkDoneProgressServerReporter | undefined>>();

  constructor(private readonly connection: Connection, private readonly supported: () => boolean) {}

  report(job: string, title: string, progress: { done: number; total: number; message: string }): void {
    if (!this.supported()) return;
    let reporter = this.running.get(job);
    if (!reporter) {
      reporter = this.connection.window.createWorkDoneProgress().then(
        (created) => {
          created.begin(title, 0, progress.message, false);
          return created;
        },
        () => undefined,
      );
      this.running.set(job, reporter);
    }
    void reporter.then((created) => {
      if (!created) return;
      const percentage = progress.total > 0 ? Math.min(100, Math.floor((progress.done / progress.total) * 100)) : undefined;
      created.report(percentage ?? 0, progress.total > 0 ? `${progress.message} ${progress.done}/${progress.total}` : progress.message);
      if (progress.total > 0 && progress.done >= progress.total) this.end(job);
    }).catch(() => undefined); // the client went away: nothing to report to
  }

  end(job: string): void {
    const reporter = this.running.get(job);
    this.running.delete(job);
    void reporter?.then((created) => created?.done()).catch(() => undefined);
  }
}
