import * as path from 'node:path';
import { Blamer } from './blamer';
import { Repository, type RepositoryOptions } from './repository';

/** A repository and the per-repository services built on it. */
export interface RepositoryContext {
  repo: Repository;
  blamer: Blamer;
}

/** Opens each work tree once and hands out its context for any path inside it. */
export class RepositoryRegistry {
  private readonly byRoot = new Map<string, Promise<RepositoryContext>>();
  private readonly byDirectory = new Map<string, string>();

  constructor(private readonly options: RepositoryOptions = {}) {}

  /** The context for the work tree containing the file `target`. */
  forFile(target: string): Promise<RepositoryContext> {
    return this.forDirectory(path.dirname(path.resolve(target)));
  }

  /** The context for the work tree containing `directory`. */
  async forDirectory(directory: string): Promise<RepositoryContext> {
    directory = path.resolve(directory);
    const knownRoot = this.byDirectory.get(directory);
    if (knownRoot) return this.byRoot.get(knownRoot)!;
    const repo = await Repository.open(directory, this.options);
    this.byDirectory.set(directory, repo.root);
    let context = this.byRoot.get(repo.root);
    if (!context) {
      context = Promise.resolve({ repo, blamer: new Blamer(repo) });
      this.byRoot.set(repo.root, context);
    } else {
      repo.dispose();
    }
    return context;
  }

  async contexts(): Promise<RepositoryContext[]> {
    return Promise.all(this.byRoot.values());
  }

  async dispose(): Promise<void> {
    for (const context of await this.contexts()) context.repo.dispose();
    this.byRoot.clear();
    this.byDirectory.clear();
  }
}
