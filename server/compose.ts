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

/** `warmFiles`: blame whole files in the background after a question about some of their lines (long-lived processes). */
export function createEngine(settings: Settings, options: { warmFiles?: boolean } = {}): Engine {
  const registry = new RepositoryRegistry({
    maxConcurrent: settings.maxWorkers,
    defaultTimeoutMs: Math.max(30_000, settings.maxQueryTimeS * 1000 * 5),
    writeCommitGraph: settings.writeCommitGraph,
  });
  const provider = new ArchaeologyProvider({ registry, enrichers: [new MergeCommitEnricher()], warmFiles: options.warmFiles ?? false });
  return { registry, provider, dispose: () => registry.dispose() };
}
