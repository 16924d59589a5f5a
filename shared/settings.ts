import { availableParallelism } from 'node:os';

/**
 * The one table of AIL's settings: each has a VS Code setting (`ail.*`, passed by the client and pulled by
 * the server with `workspace/configuration`), an environment variable (read when the server or the CLI
 * runs outside VS Code) and a default. Add a setting here and everything else follows; see ARCHITECTURE.md.
 */

export interface Settings {
  repoPath: string | undefined;
  cacheSize: number;
  maxQueryTimeS: number;
  semanticCacheEnabled: boolean;
  semanticCacheRollout: number;
  semanticCacheThreshold: number;
  semanticCacheSize: number;
  githubOwner: string | undefined;
  githubRepo: string | undefined;
  /** The REST API's root: https://api.github.com, or a GitHub Enterprise server's `https://host/api/v3`. */
  githubApiUrl: string;
  /** Never a VS Code setting: the client keeps it in SecretStorage. */
  githubToken: string | undefined;
  logLevel: 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';
  logFile: string | undefined;
  batchSize: number;
  maxWorkers: number;
  dataDir: string | undefined;
  modelPath: string | undefined;
  writeCommitGraph: boolean;
  embeddingModel: string;
  allowModelDownload: boolean;
  semanticIndexEnabled: boolean;
  currentLineEnabled: boolean;
  /** The language server's Prometheus endpoint on 127.0.0.1; 0: none. */
  metricsPort: number;
  /** The team's shared Redis (`redis://` or `rediss://`); undefined: no team tier. */
  teamRedisUrl: string | undefined;
  teamBudgetMs: number;
}

type Kind = 'string' | 'url' | 'redis-url' | 'integer' | 'number' | 'boolean' | 'log-level';

export interface SettingSpec<K extends keyof Settings = keyof Settings> {
  key: K;
  /** Key under the `ail` section in VS Code, undefined for secrets. */
  vscode: string | undefined;
  env: string;
  kind: Kind;
  /** A function for defaults that depend on the machine. */
  default: Settings[K] | (() => Settings[K]);
  min?: number;
  max?: number;
  description: string;
  /**
   * Where VS Code lets it be set: `resource` (per folder, the server pulls it per document), `window`
   * (per workspace), `machine` (user settings only: a path a cloned repository's .vscode/settings.json
   * must not choose, such as the model to load or where to write). Default `window`.
   */
  scope?: 'machine' | 'window' | 'resource';
}

function spec<K extends keyof Settings>(value: SettingSpec<K>): SettingSpec<K> {
  return value;
}

function cpuCount(): number {
  return availableParallelism();
}

export const SETTINGS: readonly SettingSpec[] = [
  spec({ key: 'repoPath', vscode: 'repoPath', env: 'AIL_REPO_PATH', kind: 'string', default: undefined, description: 'Repository to answer about when a request names no file inside one (defaults to the workspace folder).' }),
  spec({ key: 'cacheSize', vscode: 'cache.size', env: 'AIL_CACHE_SIZE', kind: 'integer', default: 1000, min: 0, max: 1_000_000, description: 'Answers kept in the exact (L1) cache.' }),
  spec({ key: 'maxQueryTimeS', vscode: 'maxQueryTimeSeconds', env: 'AIL_MAX_QUERY_TIME_S', kind: 'number', default: 2.0, min: 0.05, max: 600, scope: 'resource', description: 'Time limit of one query; what was found by then is answered, marked partial.' }),
  spec({ key: 'semanticCacheEnabled', vscode: 'semanticCache.enabled', env: 'AIL_FAISS_ENABLED', kind: 'boolean', default: true, description: 'The semantic (L2) cache; false switches it off at once and frees its memory.' }),
  spec({ key: 'semanticCacheRollout', vscode: 'semanticCache.rollout', env: 'FAISS_ROLLOUT', kind: 'integer', default: 100, min: 0, max: 100, description: 'Percentage of questions that may be answered from the semantic cache (a stable choice per question).' }),
  spec({ key: 'semanticCacheThreshold', vscode: 'semanticCache.similarityThreshold', env: 'FAISS_SIMILARITY_THRESHOLD', kind: 'number', default: 0.85, min: 0, max: 1, description: 'Cosine similarity a paraphrase needs to be served from the semantic cache.' }),
  spec({ key: 'semanticCacheSize', vscode: 'semanticCache.size', env: 'FAISS_CACHE_SIZE', kind: 'integer', default: 100, min: 1, max: 1_000_000, description: 'Questions kept in the semantic cache.' }),
  spec({ key: 'githubOwner', vscode: 'github.owner', env: 'GITHUB_OWNER', kind: 'string', default: undefined, scope: 'resource', description: 'GitHub owner of the repository (detected from the remote when unset).' }),
  spec({ key: 'githubRepo', vscode: 'github.repo', env: 'GITHUB_REPO', kind: 'string', default: undefined, scope: 'resource', description: 'GitHub repository name (detected from the remote when unset).' }),
  spec({ key: 'githubApiUrl', vscode: 'github.apiUrl', env: 'GITHUB_API_URL', kind: 'url', default: 'https://api.github.com', scope: 'machine', description: 'The GitHub REST API: https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server. The token is sent only there, so a repository cannot choose it.' }),
  spec({ key: 'githubToken', vscode: undefined, env: 'GITHUB_TOKEN', kind: 'string', default: undefined, description: 'GitHub token; in VS Code it lives in SecretStorage (command "AIL: Set GitHub Token").' }),
  spec({ key: 'logLevel', vscode: 'log.level', env: 'AIL_LOG_LEVEL', kind: 'log-level', default: 'INFO', description: 'DEBUG, INFO, WARNING or ERROR.' }),
  spec({ key: 'logFile', vscode: 'log.file', env: 'AIL_LOG_FILE', kind: 'string', default: undefined, scope: 'machine', description: 'Also write logs to this file.' }),
  spec({ key: 'batchSize', vscode: 'index.batchSize', env: 'AIL_BATCH_SIZE', kind: 'integer', default: 32, min: 1, max: 4096, description: 'Commit messages embedded per batch when indexing.' }),
  spec({ key: 'maxWorkers', vscode: 'maxWorkers', env: 'AIL_MAX_WORKERS', kind: 'integer', default: cpuCount, min: 1, max: 256, scope: 'machine', description: 'Git processes and workers questions run at once (background work runs one more beside them).' }),
  spec({ key: 'dataDir', vscode: 'dataDir', env: 'AIL_DATA_DIR', kind: 'string', default: undefined, scope: 'machine', description: 'Where indexes, models, the GitHub cache and stored blames are kept (default: ~/.cache/ail).' }),
  spec({ key: 'modelPath', vscode: 'modelPath', env: 'AIL_MODEL_PATH', kind: 'string', default: undefined, scope: 'machine', description: 'A local folder with the embedding model, for machines without network.' }),
  spec({ key: 'writeCommitGraph', vscode: 'git.writeCommitGraph', env: 'AIL_COMMIT_GRAPH', kind: 'boolean', default: true, description: 'Write a commit-graph with changed-path Bloom filters (as git maintenance does) when a repository has none: path-limited history gets 2-5x faster.' }),
  spec({ key: 'embeddingModel', vscode: 'semantic.model', env: 'AIL_EMBEDDING_MODEL', kind: 'string', default: 'Xenova/all-MiniLM-L6-v2', scope: 'machine', description: 'The transformers.js embedding model for the commit index and the semantic cache.' }),
  spec({ key: 'allowModelDownload', vscode: 'semantic.allowModelDownload', env: 'AIL_ALLOW_MODEL_DOWNLOAD', kind: 'boolean', default: true, scope: 'machine', description: 'Download the embedding model when no local copy exists; false never touches the network (the lexical embedder is used instead).' }),
  spec({ key: 'currentLineEnabled', vscode: 'currentLine.enabled', env: 'AIL_CURRENT_LINE', kind: 'boolean', default: true, scope: 'resource', description: 'Show who last changed the line the cursor is on, when, and why, after the end of the line (VS Code).' }),
  spec({ key: 'metricsPort', vscode: 'metrics.port', env: 'AIL_METRICS_PORT', kind: 'integer', default: 0, min: 0, max: 65535, scope: 'machine', description: 'Serve Prometheus metrics from the language server at http://127.0.0.1:PORT/metrics; 0 serves none. (`ail serve --http` always serves /metrics.)' }),
  spec({ key: 'teamRedisUrl', vscode: 'team.redisUrl', env: 'AIL_REDIS_URL', kind: 'redis-url', default: undefined, scope: 'machine', description: 'A Redis shared by the team (redis://[user:password@]host:port[/db], or rediss:// for TLS): answers and GitHub look-ups dug by one AIL server are reused by every other. Unset: none.' }),
  spec({ key: 'teamBudgetMs', vscode: 'team.budgetMs', env: 'AIL_REDIS_BUDGET_MS', kind: 'integer', default: 25, min: 1, max: 10_000, scope: 'machine', description: 'How long a look-up in the team Redis may take before the question is dug locally instead.' }),
  spec({ key: 'semanticIndexEnabled', vscode: 'semantic.indexEnabled', env: 'AIL_INDEX_ENABLED', kind: 'boolean', default: true, description: 'Build the semantic index of commit messages in the background.' }),
];

export class SettingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingError';
  }
}

export function defaultSettings(): Settings {
  const settings = {} as Record<string, unknown>;
  for (const s of SETTINGS) settings[s.key] = typeof s.default === 'function' ? (s.default as () => unknown)() : s.default;
  return settings as unknown as Settings;
}

/** Parses one value for a setting from an environment string or a VS Code value; throws a SettingError naming the setting. */
export function parseSetting(s: SettingSpec, raw: unknown, source: string): unknown {
  const fail = (expected: string) => new SettingError(`${source} must be ${expected} (got ${JSON.stringify(raw)})`);
  const text = typeof raw === 'string' ? raw.trim() : raw;
  switch (s.kind) {
    case 'string':
      if (typeof text !== 'string') throw fail('a string');
      return text === '' ? undefined : text;
    case 'url': {
      if (typeof text !== 'string') throw fail('an http or https URL');
      let url: URL;
      try {
        url = new URL(text);
      } catch {
        throw fail('an http or https URL');
      }
      if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || url.search || url.hash) throw fail('an http or https URL with no credentials, query or fragment');
      return url.href.replace(/\/+$/, '');
    }
    case 'redis-url': {
      let url: URL | undefined;
      try {
        url = typeof text === 'string' ? new URL(text) : undefined;
      } catch {
        url = undefined;
      }
      // The value may hold a password: the message names the setting and what is wrong, never the value.
      if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || !url.hostname) throw new SettingError(`${source} must be a redis:// or rediss:// URL with a host`);
      if (url.pathname !== '' && url.pathname !== '/' && !/^\/\d+$/.test(url.pathname)) throw new SettingError(`${source} may name only a database number after the host (redis://host:6379/0)`);
      return (text as string);
    }
    case 'boolean':
      if (typeof text === 'boolean') return text;
      if (typeof text === 'string' && /^(true|1|yes|on)$/i.test(text)) return true;
      if (typeof text === 'string' && /^(false|0|no|off)$/i.test(text)) return false;
      throw fail('true or false');
    case 'log-level': {
      const level = typeof text === 'string' ? text.toUpperCase().replace(/^WARN$/, 'WARNING') : '';
      if (['DEBUG', 'INFO', 'WARNING', 'ERROR'].includes(level)) return level;
      throw fail('one of DEBUG, INFO, WARNING, ERROR');
    }
    case 'integer':
    case 'number': {
      const value = typeof text === 'number' ? text : typeof text === 'string' && text !== '' ? Number(text) : NaN;
      const range = `${s.min ?? '-∞'} to ${s.max ?? '∞'}`;
      if (!Number.isFinite(value) || (s.kind === 'integer' && !Number.isInteger(value))) throw fail(`${s.kind === 'integer' ? 'a whole number' : 'a number'} from ${range}`);
      if ((s.min !== undefined && value < s.min) || (s.max !== undefined && value > s.max)) throw fail(`from ${range}`);
      return value;
    }
  }
}

/** Settings from environment variables over the defaults. */
export function settingsFromEnv(env: Record<string, string | undefined>): Settings {
  const settings = defaultSettings() as unknown as Record<string, unknown>;
  for (const s of SETTINGS) {
    const raw = env[s.env];
    if (raw === undefined || raw === '') continue;
    settings[s.key] = parseSetting(s, raw, s.env);
  }
  return settings as unknown as Settings;
}

/**
 * Settings from an editor's `ail` configuration section (nested objects, `{ cache: { size: 500 } }`, or
 * flat dotted keys) over a base (the environment's). A value that does not parse is left at the base's
 * and reported through `onInvalid`, never thrown: a typo in settings.json must not stop the server.
 */
export function settingsFromSection(section: unknown, base: Settings, onInvalid: (message: string) => void = () => undefined): Settings {
  const settings = { ...base } as unknown as Record<string, unknown>;
  if (!section || typeof section !== 'object') return base;
  for (const s of SETTINGS) {
    if (!s.vscode) continue;
    const value = lookup(section as Record<string, unknown>, s.vscode);
    if (value === undefined || value === null || value === '') continue;
    try {
      settings[s.key] = parseSetting(s, value, `ail.${s.vscode}`);
    } catch (error) {
      onInvalid(error instanceof Error ? error.message : String(error));
    }
  }
  return settings as unknown as Settings;
}

function lookup(section: Record<string, unknown>, dotted: string): unknown {
  if (dotted in section) return section[dotted];
  let current: unknown = section;
  for (const part of dotted.split('.')) {
    if (!current || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}
