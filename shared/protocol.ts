/**
 * Every custom message between an editor and the AIL server, declared once. Both sides import this
 * file; esbuild bundles it into each. The types are in ./types; docs/protocol.md is the contract,
 * and documents each message.
 */
import { NotificationType, RequestType, RequestType0 } from 'vscode-languageserver-protocol';
import type { ArchaeologyContext, CacheStats, ContextParams } from './types';

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

export interface Health {
  live: boolean;
  ready: boolean;
  reasons: string[];
}

/** Client → server: is the server alive, and ready to answer (git found, repository opened, provider built)? */
export namespace HealthRequest {
  export const method = 'ail/health' as const;
  export const type = new RequestType0<Health, void>(method);
}

/** Client → server: rebuild the commit index; resolves when done, with progress over `window/workDoneProgress`. */
export namespace ReindexRequest {
  export const method = 'ail/reindex' as const;
  export const type = new RequestType0<{ commits: number; embedder: string; seconds: number }, void>(method);
}

/** Server → client: the stats, sent when they change, at most twice a second. */
export namespace StatusNotification {
  export const method = 'ail/status' as const;
  export const type = new NotificationType<CacheStats>(method);
}

/** The command every code lens runs: "Why does this exist?" for its range. Arguments: `[uri, range?]`. */
export const ASK_WHY_COMMAND = 'ail.askWhy';
