import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/**
 * Debian's `redis-server` on a loopback port, in a temp dir, with nothing saved to disk: what a team
 * runs, started and stopped by a test. `args` are redis-server's own (`--requirepass`, `--maxmemory`).
 */
export class RedisServer {
  private exit: Promise<void>;

  private constructor(private child: ChildProcess, readonly port: number, private readonly dir: string, private readonly args: string[]) {
    this.exit = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  static async start(args: string[] = [], port?: number): Promise<RedisServer> {
    const dir = mkdtempSync(path.join(tmpdir(), 'ail-redis-'));
    const chosen = port ?? (await freePort());
    const child = await launch(dir, chosen, args);
    return new RedisServer(child, chosen, dir, args);
  }

  /** `redis://[:password@]127.0.0.1:port`. */
  url(password?: string): string {
    return `redis://${password === undefined ? '' : `:${encodeURIComponent(password)}@`}127.0.0.1:${this.port}`;
  }

  /** Stops it (SIGTERM) and waits until it has exited. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.exit;
  }

  /** Starts it again on the same port, with the same arguments. */
  async restart(): Promise<void> {
    await this.stop();
    this.child = await launch(this.dir, this.port, this.args);
    this.exit = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function launch(dir: string, port: number, args: string[]): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server was not ready within 10 s:\n${output}`)), 10_000);
    const listen = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', listen);
    child.stderr!.on('data', listen);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${output}`));
    });
  });
  return child;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A TCP proxy on loopback that holds every chunk Redis sends back for `delayMs`: a slow Redis. */
export class SlowProxy {
  private constructor(private readonly server: Server, readonly port: number, private readonly sockets: Set<Socket>) {}

  static async start(targetPort: number, delayMs: number): Promise<SlowProxy> {
    const sockets = new Set<Socket>();
    const server = createServer((client) => {
      const upstream = connect(targetPort, '127.0.0.1');
      sockets.add(client).add(upstream);
      client.on('data', (chunk) => upstream.write(chunk));
      upstream.on('data', (chunk) => setTimeout(() => client.destroyed || client.write(chunk), delayMs));
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('close', close).on('error', close);
      upstream.on('close', close).on('error', close);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new SlowProxy(server, (server.address() as { port: number }).port, sockets);
  }

  url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
