/**
 * Work done ahead of questions rather than for one: files blamed whole after an editor opened them or
 * a line of them was asked about. Counted for the stats (`warming`), so that a status bar can say it
 * and a benchmark or a test can wait until it is done instead of sleeping.
 */
export class BackgroundWork {
  private running = 0;
  private readonly listeners = new Set<() => void>();

  /** Jobs started and not settled yet. */
  get count(): number {
    return this.running;
  }

  /** Calls `listener` whenever the count changes; returns the function that stops it. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Counts `job` until it settles, and hands it back. */
  track<T>(job: Promise<T>): Promise<T> {
    this.changeBy(1);
    return job.finally(() => this.changeBy(-1));
  }

  private changeBy(delta: number): void {
    this.running += delta;
    for (const listener of this.listeners) listener();
  }
}
