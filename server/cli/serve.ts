import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { SETTINGS, SettingError, settingsFromEnv, type Settings } from '../../shared/settings';
import { visible } from '../../shared/visible';
import { Engine } from '../engine';
import { HttpService } from '../http/service';
import type { ConfigBody } from '../http/requests';
import { AilError } from '../util/errors';

export interface ServeOptions {
  host: string;
  port: number;
  repo: string;
  config?: string;
}

/** `ail serve --http [HOST:]PORT [--repo DIR] [--config FILE]`; `--stdio` is handled by the caller. */
export function parseServeArgs(argv: readonly string[], env: Record<string, string | undefined>, cwd: string): ServeOptions {
  let listen: string | undefined;
  let repo: string | undefined;
  let config: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      const next = inline ?? argv[++i];
      if (next === undefined || next === '') throw new AilError('bad-argument', `${name} needs a value`);
      return next;
    };
    if (name === '--http') listen = value();
    else if (name === '--repo') repo = value();
    else if (name === '--config') config = value();
    else throw new AilError('bad-argument', `ail serve does not take ${arg}: it takes --stdio, or --http [HOST:]PORT with --repo DIR and --config FILE`);
  }
  if (listen === undefined) throw new AilError('bad-argument', 'ail serve takes --stdio, --http [HOST:]PORT or --mcp');
  const { host, port } = parseListen(listen);
  return { host, port, repo: path.resolve(cwd, repo ?? env.AIL_REPO_PATH ?? '.'), ...(config ? { config: path.resolve(cwd, config) } : {}) };
}

/** `8080`, `127.0.0.1:8080`, `0.0.0.0:8080`, `[::1]:8080`; the host defaults to 127.0.0.1 (loopback: exposing AIL is a choice). */
function parseListen(text: string): { host: string; port: number } {
  const match = /^(?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):)?(\d{1,5})$/.exec(text);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65535) throw new AilError('bad-argument', `--http takes [HOST:]PORT, such as 127.0.0.1:8080 or 8080 (got ${JSON.stringify(text)})`);
  return { host: (match[1] ?? '127.0.0.1').replace(/^\[|\]$/g, ''), port };
}

/**
 * An environment file, as systemd's `EnvironmentFile=` and the seed's `/etc/ail/config.env` hold it:
 * `KEY=VALUE` lines, `#` comments, blank lines, an optional `export `, values optionally in single or
 * double quotes. A line that is none of these is an error naming the file and the line.
 */
export function parseEnvFile(text: string, file: string): Record<string, string> {
  const values: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) throw new SettingError(`${file}:${index + 1}: expected KEY=VALUE, got ${JSON.stringify(line)}`);
    let value = match[2]!;
    const quoted = /^(['"])(.*)\1$/.exec(value);
    if (quoted) value = quoted[2]!;
    else value = value.replace(/\s+#.*$/, '');
    values[match[1]!] = value;
  });
  return values;
}

/** The settings: the environment, with the config file's values over it (the file is what an operator edits and reloads). */
function loadSettings(config: string | undefined, warn: (message: string) => void): Settings {
  if (!config) return settingsFromEnv(process.env);
  let text: string;
  try {
    text = readFileSync(config, 'utf8');
  } catch (error) {
    throw new SettingError(`cannot read the config file ${config}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const file = parseEnvFile(text, config);
  const known = new Set(SETTINGS.map((s) => s.env));
  for (const key of Object.keys(file)) if (key.startsWith('AIL_') || key.startsWith('FAISS_') || key.startsWith('GITHUB_')) if (!known.has(key)) warn(`${config}: ${key} is not an AIL setting; it is ignored`);
  return settingsFromEnv({ ...process.env, ...file });
}

/** What a reload can change without a restart: the caches, the rollout and its switch, the log, GitHub's target. */
const LIVE: ReadonlySet<keyof Settings> = new Set(['cacheSize', 'maxQueryTimeS', 'semanticCacheEnabled', 'semanticCacheRollout', 'semanticCacheThreshold', 'semanticCacheSize', 'githubOwner', 'githubRepo', 'githubApiUrl', 'logLevel', 'logFile', 'teamRedisUrl', 'teamBudgetMs']);

/**
 * Runs the HTTP service until SIGTERM or SIGINT, then finishes what is in flight and answers 0. SIGHUP
 * re-reads `--config` (a rollout change or rollback without a restart); `POST /v1/config` changes the
 * rollout and the switch at once.
 */
export async function serveHttp(options: ServeOptions): Promise<number> {
  const stderr = (line: string) => process.stderr.write(`${line}\n`);
  let settings = loadSettings(options.config, (message) => stderr(`ail: ${visible(message)}`));
  const engine = new Engine(settings, {
    warmFiles: true,
    buildIndexes: true,
    logSink: (level, line) => stderr(`${new Date().toISOString()} ${level} ${line}`),
  });
  const apply = (next: Settings, why: string) => {
    const changed = (Object.keys(next) as (keyof Settings)[]).filter((key) => JSON.stringify(next[key]) !== JSON.stringify(settings[key]));
    const later = changed.filter((key) => !LIVE.has(key));
    settings = { ...next, ...Object.fromEntries(later.map((key) => [key, settings[key]])) };
    engine.configure(settings);
    engine.log.info(why, { changed: changed.filter((key) => LIVE.has(key)).join(',') || 'nothing' });
    for (const key of later) engine.log.warn(`${SETTINGS.find((s) => s.key === key)!.env} changed; it applies at the next restart`);
  };
  const configure = (change: ConfigBody): Required<ConfigBody> => {
    apply({ ...settings, ...(change.FAISS_ROLLOUT !== undefined ? { semanticCacheRollout: change.FAISS_ROLLOUT } : {}), ...(change.AIL_FAISS_ENABLED !== undefined ? { semanticCacheEnabled: change.AIL_FAISS_ENABLED } : {}) }, 'config changed by POST /v1/config');
    return { FAISS_ROLLOUT: settings.semanticCacheRollout, AIL_FAISS_ENABLED: settings.semanticCacheEnabled };
  };

  let service: HttpService;
  try {
    service = await HttpService.start({ engine, root: options.repo, host: options.host, port: options.port, configure });
  } catch (error) {
    await engine.dispose();
    const code = (error as NodeJS.ErrnoException).code;
    throw new AilError('bad-argument', `cannot listen on ${options.host}:${options.port}: ${code === 'EADDRINUSE' ? 'the port is in use' : code === 'EACCES' ? 'permission denied' : code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' ? 'no such address on this machine' : String(error)}`);
  }
  stderr(`ail: listening on ${service.url} (repository ${visible(options.repo)})`);
  engine.log.info('started', { url: service.url, rollout: settings.semanticCacheRollout, semanticCache: settings.semanticCacheEnabled, workers: settings.maxWorkers });
  // The repository and its commit index open in the background; /health/ready says when questions can be answered.
  void engine.open([options.repo]).then((opened) => {
    if (opened === 0) engine.log.warn('the repository could not be opened: /health/ready says why');
  });

  const reload = () => {
    if (!options.config) {
      engine.log.warn('SIGHUP: there is no --config file to re-read');
      return;
    }
    try {
      apply(loadSettings(options.config, (message) => engine.log.warn(message)), 'config reloaded on SIGHUP');
    } catch (error) {
      engine.log.error('SIGHUP: the config file was not applied', { error: error instanceof Error ? error.message : String(error) });
    }
  };
  process.on('SIGHUP', reload);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      engine.log.info('shutting down', { signal, inFlight: service.requestsInFlight });
      // In-flight questions finish (each is bounded by AIL_MAX_QUERY_TIME_S); a reindex gets the grace period.
      void service
        .close(Math.max(10_000, settings.maxQueryTimeS * 2000))
        .then(() => engine.log.info('stopped'))
        .then(() => engine.dispose())
        .then(() => {
          process.off('SIGHUP', reload);
          resolve(0);
        });
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
