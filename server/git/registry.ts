import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { AilError, displayPath, isAilError } from '../archaeology/errors';
import { Blamer } from './blamer';
import { Repository, type RepositoryOptions } from './repository';
import { BackgroundWork } from '../util/background';

/** A repository and the per-repository services built on it. */
export interface RepositoryContext {
  repo: Repository;
  blamer: Blamer;
}

export interface RegistryOptions extends RepositoryOptions {
  /** Where every repository's blamer counts the files it blames ahead of questions. */
  background?: BackgroundWork;
}

/** Opens each work tree once and hands out its context for any path inside it. */
export class RepositoryRegistry {
  private readonly byRoot = new Map<string, Promise<RepositoryContext>>();
  private readonly byDirectory = new Map<string, string>();
  readonly background: BackgroundWork;

  constructor(private readonly options: RegistryOptions = {}) {
    this.background = options.background ?? new BackgroundWork();
  }

  /**
   * The context for the work tree containing the file `target`. A directory given as the file (the
   * repository's root, say) is looked up as itself, so that the answer can say what it is.
   */
  async forFile(target: string): Promise<RepositoryContext> {
    const absolute = path.resolve(target);
    try {
      return await this.forDirectory(isDirectory(absolute) ? absolute : path.dirname(absolute));
    } catch (error) {
      if (isAilError(error) && error.code === 'not-a-repository') {
        throw new AilError('not-a-repository', `${displayPath(absolute)} is not in a git repository`);
      }
      throw error;
    }
  }

  /** The context for the work tree containing `directory`. */
  async forDirectory(directory: string): Promise<RepositoryContext> {
    directory = path.resolve(directory);
    const knownRoot = this.byDirectory.get(directory) ?? this.enclosingRoot(directory);
    if (knownRoot) {
      this.byDirectory.set(directory, knownRoot);
      return this.byRoot.get(knownRoot)!;
    }
    const repo = await Repository.open(directory, this.options);
    this.byDirectory.set(directory, repo.root);
    let context = this.byRoot.get(repo.root);
    if (!context) {
      if (this.options.writeCommitGraph) void repo.ensureCommitGraph();
      context = Promise.resolve({ repo, blamer: new Blamer(repo, this.background) });
      this.byRoot.set(repo.root, context);
    } else {
      repo.dispose();
    }
    return context;
  }

  /**
   * A known work tree that contains `directory` with no other `.git` between them (a nested repository
   * or submodule has one), found with a few stat calls instead of a git process.
   */
  private enclosingRoot(directory: string): string | undefined {
    for (const root of this.byRoot.keys()) {
      const relative = path.relative(root, directory);
      if (relative.startsWith('..') || path.isAbsolute(relative)) continue;
      let current = directory;
      while (current !== root && !existsSync(path.join(current, '.git'))) current = path.dirname(current);
      if (current === root) return root;
    }
    return undefined;
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

function isDirectory(target: string): boolean {
  try {
    return statSync(target, { throwIfNoEntry: false })?.isDirectory() ?? false;
  } catch {
    return false;
  }
}
