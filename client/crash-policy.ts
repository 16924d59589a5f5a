/** How many crashes in how long the client restarts the server after; past that it stops and says so. */
export const MAX_RESTARTS = 4;
export const RESTART_WINDOW_MS = 3 * 60_000;

/**
 * Decides, at each close of the connection, whether to start the server again: yes while it has
 * crashed fewer than MAX_RESTARTS times within RESTART_WINDOW_MS. No `vscode` here, so it is tested plainly.
 */
export class CrashPolicy {
  private readonly crashes: number[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** One more crash: true to restart, false to give up. */
  crashed(): boolean {
    const now = this.now();
    this.crashes.push(now);
    while (this.crashes.length > 0 && now - this.crashes[0]! > RESTART_WINDOW_MS) this.crashes.shift();
    return this.crashes.length <= MAX_RESTARTS;
  }

  /** The sentence said when it gives up. */
  static readonly GAVE_UP = `AIL's language server stopped ${MAX_RESTARTS + 1} times in ${RESTART_WINDOW_MS / 60_000} minutes, so it was not started again. "AIL: Show Logs" says why; "AIL: Restart Server" starts it.`;
}
