import type { Settings } from '../shared/settings';
import { MergeCommitEnricher } from './archaeology/enrichers';
import { ArchaeologyProvider } from './archaeology/provider';
import { RepositoryRegistry } from './git/registry';

/** The engine, built from its parts in one place. The CLI and the language server both start here. */
export interface Engine {
  registry: RepositoryRegistry;
  provider: ArchaeologyProvider;
  dispose(): Promise<void>;
}

export function createEngine(settings: Settings): Engine {
  const registry = new RepositoryRegistry({ maxConcurrent: settings.maxWorkers, defaultTimeoutMs: Math.max(30_000, settings.maxQueryTimeS * 1000 * 5) });
  const provider = new ArchaeologyProvider({ registry, enrichers: [new MergeCommitEnricher()] });
  return { registry, provider, dispose: () => registry.dispose() };
}
