import { CancelledError } from './flight';

interface Waiter {
  start: () => void;
  cancel: () => void;
}

/**
 * A place in a semaphore's queue that its holder can move to the front of the line, as if it had just
 * arrived: work that newer askers joined (a blame that more lines joined) is as new as they are.
 */
export class QueueTicket {
  /** Set while the task waits. */
  promote: () => void = () => undefined;
}

/**
 * Bounds how many tasks run at once. The rest wait, oldest first, or newest first (`'newest-first'`:
 * hovers, where the one asked last is where the editor is now, and one asked seconds ago is worth
 * nothing). A waiter whose signal aborts leaves the queue at once, rejected with CancelledError.
 */
export class Semaphore {
  private active = 0;
  private readonly waiting: Waiter[] = [];

  constructor(private readonly limit: number, private readonly order: 'oldest-first' | 'newest-first' = 'oldest-first') {}

  /** Tasks waiting for a turn. */
  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(task: () => Promise<T>, signal?: AbortSignal, ticket?: QueueTicket): Promise<T> {
    if (signal?.aborted) throw new CancelledError();
    if (this.active >= this.limit) await this.turn(signal, ticket);
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      const next = this.order === 'newest-first' ? this.waiting.pop() : this.waiting.shift();
      next?.start();
    }
  }

  private turn(signal: AbortSignal | undefined, ticket: QueueTicket | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const leave = () => {
        const at = this.waiting.indexOf(waiter);
        if (at >= 0) this.waiting.splice(at, 1);
        if (ticket) ticket.promote = () => undefined;
      };
      const waiter: Waiter = {
        start: () => {
          signal?.removeEventListener('abort', waiter.cancel);
          leave();
          resolve();
        },
        cancel: () => {
          leave();
          reject(new CancelledError());
        },
      };
      signal?.addEventListener('abort', waiter.cancel, { once: true });
      this.waiting.push(waiter);
      if (ticket) {
        ticket.promote = () => {
          leave();
          // Newest last (popped first) or, oldest first, at the front.
          if (this.order === 'newest-first') this.waiting.push(waiter);
          else this.waiting.unshift(waiter);
        };
      }
    });
  }
}
