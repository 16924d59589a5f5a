/**
 * Every custom message between an editor and the AIL server, declared once. Both sides import this
 * file; esbuild bundles it into each. The types are in ./types; docs/protocol.md is the contract,
 * and documents each message.
 */
import { NotificationType, RequestType, RequestType0 } from 'vscode-languageserver-protocol';
import type { ArchaeologyContext, CacheStats, ContextParams, LineSummary } from './types';

/** Client → server: why is this code like this? Answers one `ArchaeologyContext`. */
export namespace ContextRequest {
  export const method = 'ail/context' as const;
  export const type = new RequestType<ContextParams, ArchaeologyContext, void>(method);
}

/** Client → server: the cache, latency and index figures. */
export namespace StatsRequest {
  export const method = 'ail/stats' as const;
  export const type = new RequestType0<CacheStats, void>(method);
}

/** Client → server: drop every cached answer; answers how many entries each tier dropped. */
export namespace ClearCacheRequest {
  export const method = 'ail/clearCache' as const;
  export const type = new RequestType0<{ l1: number; l2: number }, void>(method);
}

/**
 * Params of `ail/health` and `ail/reindex`: none (every workspace folder's repository), or the `file:`
 * URI of a file or folder, for the repository that holds it.
 */
export interface RepositoryParams {
  uri?: string;
}

export interface Health {
  live: boolean;
  ready: boolean;
  reasons: string[];
  /** Whether the server holds a GitHub token (never the token itself). */
  githubToken: boolean;
  /** Each workspace folder's repository (or the one `uri` named), in the folders' order. */
  repositories?: RepositoryHealth[];
}

/** One folder's repository: `folder` as asked (an absolute path), `root` its work tree's when it opened. */
export interface RepositoryHealth {
  folder: string;
  root?: string;
  ready: boolean;
  reasons: string[];
}

/**
 * Client → server: is the server alive, and ready to answer (git found, each workspace folder's
 * repository opened, or the one `uri` names)?
 */
export namespace HealthRequest {
  export const method = 'ail/health' as const;
  export const type = new RequestType<RepositoryParams | null | void, Health, void>(method);
}

export interface ReindexResult {
  /** Commits indexed, over every repository rebuilt. */
  commits: number;
  embedder: string;
  seconds: number;
  /** Each repository rebuilt: its work tree's root (an absolute path) and commits. */
  repositories?: { root: string; commits: number }[];
}

/**
 * Client → server: rebuild the commit index of the repository holding `uri`, or of every workspace
 * folder's repository; resolves when done, with progress over `window/workDoneProgress`.
 */
export namespace ReindexRequest {
  export const method = 'ail/reindex' as const;
  export const type = new RequestType<RepositoryParams | null | void, ReindexResult, void>(method);
}

/** Server → client: the stats, sent when they change, at most twice a second. */
export namespace StatusNotification {
  export const method = 'ail/status' as const;
  export const type = new NotificationType<CacheStats>(method);
}

export interface LineSummaryParams {
  textDocument: { uri: string };
  /** 0-based. */
  line: number;
}

/**
 * Client → server: the current-line annotation, from the quick answer (blame, no enrichers' wait).
 * `null` when the line has nothing to say (untracked, binary, past the end).
 */
export namespace LineSummaryRequest {
  export const method = 'ail/lineSummary' as const;
  export const type = new RequestType<LineSummaryParams, LineSummary | null, void>(method);
}

export interface SetGitHubTokenParams {
  /** The token, or `null` to forget it. */
  token: string | null;
}

/**
 * Client → server: the GitHub token, kept in the server's memory only (never written, never logged);
 * the VS Code client keeps it in SecretStorage and sends it after every start. Answers whether one is set.
 */
export namespace SetGitHubTokenRequest {
  export const method = 'ail/setGitHubToken' as const;
  export const type = new RequestType<SetGitHubTokenParams, { githubToken: boolean }, void>(method);
}

/**
 * What a client says in `initializationOptions`. `clientCommands`: the AIL commands the client runs
 * itself (the VS Code client: all three). The server then does not announce `ail.askWhy` through
 * `executeCommandProvider` (vscode-languageclient would register it a second time), and its hovers
 * link those commands. Editors that send nothing keep `workspace/executeCommand ail.askWhy`.
 */
export interface InitializationOptions {
  clientCommands?: string[];
}

/** The command every code lens runs: "Why does this exist?" for its range. Arguments: `[uri, range?]`. */
export const ASK_WHY_COMMAND = 'ail.askWhy';

/**
 * Opens a commit: `[uri, sha, github?, files?]` (the file the hover or panel was about, the full sha, the
 * GitHub `owner/name` or null, and for a file renamed since, its paths then: `CommitFiles` of
 * ./commit-files). Run by the client.
 */
export const OPEN_COMMIT_COMMAND = 'ail.openCommit';

/** Copies a commit's sha: `[sha]`. Run by the client. */
export const COPY_SHA_COMMAND = 'ail.copySha';
