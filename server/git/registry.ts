import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { AilError, displayPath, isAilError } from '../util/errors';
import { Blamer } from './blamer';
import { notAWorkTree, Repository, repositoryGone, type RepositoryOptions } from './repository';
import { BackgroundWork } from '../util/background';
import type { GitStore } from './git-store';

/** A repository and the per-repository services built on it. */
export interface RepositoryContext {
  repo: Repository;
  blamer: Blamer;
}

export interface RegistryOptions extends RepositoryOptions {
  /** Where every repository's blamer counts the files it blames ahead of questions. */
  background?: BackgroundWork;
  /** Blames and line histories on disk, shared with other processes (the data dir's `git/`); none: kept in memory only. */
  store?: GitStore;
}

/**
 * Opens each work tree once and hands out its context for any path inside it. A work tree deleted or
 * replaced while open is forgotten the next time it is asked for: a deleted one is named as such, a
 * new repository made at the same path is opened afresh.
 */
export class RepositoryRegistry {
  private readonly byRoot = new Map<string, Promise<RepositoryContext>>();
  private readonly byDirectory = new Map<string, string>();
  /** Roots forgotten because they were deleted, so a later question there still hears why. */
  private readonly gone = new Set<string>();
  readonly background: BackgroundWork;
  readonly store: GitStore | undefined;

  constructor(private readonly options: RegistryOptions = {}) {
    this.background = options.background ?? new BackgroundWork();
    this.store = options.store;
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
      if (isAilError(error) && error.code === 'not-a-work-tree') throw new AilError('not-a-work-tree', notAWorkTree(absolute));
      throw error;
    }
  }

  /** The context for the work tree containing `directory`. */
  async forDirectory(directory: string): Promise<RepositoryContext> {
    directory = path.resolve(directory);
    const knownRoot = this.byDirectory.get(directory) ?? this.enclosingRoot(directory);
    const known = knownRoot === undefined ? undefined : this.byRoot.get(knownRoot);
    if (known) {
      const context = await known;
      if (context.repo.isStillThere()) {
        this.byDirectory.set(directory, knownRoot!);
        return context;
      }
      this.forget(knownRoot!, known);
      if (!existsSync(knownRoot!)) {
        this.gone.add(knownRoot!);
        throw repositoryGone(knownRoot!);
      }
      // Another repository at the same path: opened afresh below.
    }
    let repo: Repository;
    try {
      repo = await Repository.open(directory, this.options);
    } catch (error) {
      const goneRoot = isAilError(error) && error.code === 'not-a-repository' ? this.goneRootOf(directory) : undefined;
      throw goneRoot ? repositoryGone(goneRoot) : error;
    }
    this.gone.delete(repo.root);
    this.byDirectory.set(directory, repo.root);
    let context = this.byRoot.get(repo.root);
    if (!context) {
      if (this.options.writeCommitGraph) void repo.ensureCommitGraph().catch(() => undefined);
      context = Promise.resolve({ repo, blamer: new Blamer(repo, this.background, { store: this.store }) });
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

  /** Drops a work tree that is no longer there, and stops its processes (once, however many callers noticed). */
  private forget(root: string, context: Promise<RepositoryContext>): void {
    if (this.byRoot.get(root) !== context) return;
    this.byRoot.delete(root);
    for (const [directory, known] of this.byDirectory) if (known === root) this.byDirectory.delete(directory);
    void context.then(({ repo }) => repo.dispose());
  }

  /** The deleted work tree `directory` was in, if it was in one. */
  private goneRootOf(directory: string): string | undefined {
    for (const root of this.gone) {
      const relative = path.relative(root, directory);
      if (!relative.startsWith('..') && !path.isAbsolute(relative)) return root;
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
