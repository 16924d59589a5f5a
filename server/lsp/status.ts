import type { Connection } from 'vscode-languageserver/node';
import { StatusNotification } from '../../shared/protocol';
import type { CacheStats } from '../../shared/types';

const MIN_INTERVAL_MS = 500;

/** Sends `ail/status` when the stats change, at most twice a second (the last change always arrives). */
export class StatusNotifier {
  private timer: NodeJS.Timeout | undefined;
  private lastSent = 0;
  private last: string | undefined;

  constructor(private readonly connection: Connection, private readonly stats: () => CacheStats) {}

  changed(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.lastSent + MIN_INTERVAL_MS - Date.now());
    this.timer = setTimeout(() => this.send(), wait);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private send(): void {
    this.timer = undefined;
    const stats = this.stats();
    // RSS moves all the time; only what a person would notice counts as a change.
    const fingerprint = JSON.stringify({ ...stats, memoryRssBytes: 0 });
    if (fingerprint === this.last) return;
    this.last = fingerprint;
    this.lastSent = Date.now();
    this.connection.sendNotification(StatusNotification.type, stats).catch(() => undefined);
  }
}
