import type { Engine } from '../engine';
import { HttpService } from '../http/service';

/**
 * The language server's Prometheus endpoint, `http://127.0.0.1:PORT/metrics` (and `/health/live`), while
 * `ail.metrics.port` / `AIL_METRICS_PORT` is set: the same metrics as `ail serve --http`, for a team that
 * watches its developers' editors too. Off by default; a changed port applies at once.
 */
export class MetricsEndpoint {
  private service: HttpService | undefined;
  private port = 0;
  private change: Promise<void> = Promise.resolve();

  constructor(private readonly engine: Engine) {}

  configure(port: number): Promise<void> {
    if (port === this.port) return this.change;
    this.port = port;
    this.change = this.change.then(async () => {
      await this.service?.close(1000);
      this.service = undefined;
      if (port === 0) return;
      try {
        this.service = await HttpService.metricsOnly({ engine: this.engine, host: '127.0.0.1', port });
        this.engine.log.info(`metrics at ${this.service.url}/metrics`);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        this.engine.log.warn(`metrics: cannot listen on 127.0.0.1:${port}: ${code === 'EADDRINUSE' ? 'the port is in use' : String(error)}`);
      }
    });
    return this.change;
  }

  dispose(): Promise<void> {
    return this.configure(0);
  }
}
