import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AilError, displayPath } from '../util/errors';
import { CommitGraph } from './commit-graph';
import { CatFileBatch, type CatFileObject } from './catfile';
import { parseCommitObject, type CommitInfo } from './commit';
import { gitEnvironment, GitRunner, type GitRunnerOptions } from './runner';
import { CancelledError, FlightCache } from '../util/flight';
import { lazyUtf8, type LazyText } from '../util/slices';

export interface RepositoryOptions extends GitRunnerOptions {
  /** Write a commit-graph with changed-path Bloom filters when the repository has none (AIL_COMMIT_GRAPH). */
  writeCommitGraph?: boolean;
}

/** A file as it is at HEAD. */
export interface HeadFile {
  /** Path relative to the repository root, with forward slashes. */
  path: string;
  blob: string;
  /**
   * The committed text. A file larger than one decoding slice (256 KB) is decoded when first asked
   * for (`textOf`): a blame needs only the path and the line count, and need not wait for it.
   */
  text: LazyText;
  lineCount: number;
}

/**
 * One git work tree: its root, a runner and a `cat-file --batch` for it, and memoized commit objects.
 * Commits are immutable, so parsed commits are kept (bounded); everything that depends on HEAD is
 * keyed by the HEAD sha that `head()` reads from the ref files on each call.
 */
export class Repository {
  readonly git: GitRunner;
  readonly objects: CatFileBatch;
  private readonly commitCache = new Map<string, Promise<CommitInfo | undefined>>();
  private static readonly COMMIT_CACHE_LIMIT = 10_000;
  private readonly headFiles = new Map<string, HeadFile>();
  private readonly paths = new Map<string, Promise<boolean>>();
  private readonly ancestry = new FlightCache<string, boolean>(256);
  private configRead?: { stamp: string; values: Promise<Map<string, string>> };
  private graphRead?: { stamp: string; graph: Promise<CommitGraph | undefined> };
  private packedRefs?: { stamp: string; refs: Map<string, string> };
  private commitGraphChild: ChildProcess | undefined;
  private commitGraphWrite: Promise<'present' | 'written' | 'failed'> | undefined;
  /** The work tree's and the git directory's inodes when opened: a repository deleted, moved away or made anew at this path has others. */
  private readonly identity: string | undefined;

  private constructor(
    readonly root: string,
    readonly gitDir: string,
    readonly commonDir: string,
    readonly shallow: boolean,
    options: RepositoryOptions,
  ) {
    this.git = new GitRunner(root, options);
    this.objects = new CatFileBatch(this.git);
    this.identity = identityOf(root, gitDir);
  }

  /** Opens the work tree that contains `start` (a directory or a file). */
  static async open(start: string, options: RepositoryOptions = {}): Promise<Repository> {
    const absolute = path.resolve(start);
    let directory = absolute;
    while (!existsSync(directory)) directory = path.dirname(directory);
    if (!statSync(directory).isDirectory()) directory = path.dirname(directory);
    const probe = new GitRunner(directory, { ...options, maxConcurrent: 1 });
    const outcome = await probe.run(['rev-parse', '--show-toplevel', '--absolute-git-dir', '--git-common-dir', '--is-shallow-repository']);
    if (outcome.kind === 'failed' && outcome.exitCode === null && /ENOENT/.test(outcome.stderr)) {
      throw new AilError('git-not-found', `git was not found (tried '${probe.gitPath}'); install git or put it on PATH`);
    }
    if (outcome.kind === 'failed') {
      const refused = dubiousOwnership(outcome.stderr);
      if (refused) throw refused;
    }
    if (outcome.kind === 'failed' && outcome.stderr.includes('must be run in a work tree')) {
      throw new AilError('not-a-work-tree', notAWorkTree(absolute));
    }
    if (outcome.kind !== 'ok') {
      throw new AilError('not-a-repository', `${displayPath(absolute)} is not in a git repository`);
    }
    const [root, gitDir, commonDirRaw, shallow] = outcome.stdout.split('\n');
    if (!root) throw new AilError('not-a-work-tree', notAWorkTree(absolute));
    const commonDir = path.resolve(directory, commonDirRaw ?? gitDir!);
    const repo = new Repository(realPath(root), gitDir!, commonDir, shallow === 'true', options);
    void repo.config().catch(() => undefined); // read again, and the failure seen, by the first question that needs it
    return repo;
  }

  /** The sha HEAD points at, read from the ref files (microseconds), or undefined in an empty repository. */
  async head(): Promise<string | undefined> {
    const fromFiles = this.headFromFiles();
    if (fromFiles) return fromFiles;
    const outcome = await this.git.run(['rev-parse', '--verify', '-q', 'HEAD^{commit}']);
    return outcome.kind === 'ok' ? outcome.stdout.trim() || undefined : undefined;
  }

  async requireHead(): Promise<string> {
    const head = await this.head();
    if (head) return head;
    if (!this.isStillThere()) throw repositoryGone(this.root);
    throw new AilError('empty-repository', `the repository at ${this.root} has no commits yet`);
  }

  /**
   * Whether the work tree and git directory opened are still at their paths: false once the repository
   * was deleted or moved away, or another one was made at the same path. Two stat calls.
   */
  isStillThere(): boolean {
    return this.identity !== undefined && identityOf(this.root, this.gitDir) === this.identity;
  }

  /**
   * What a stored blame or line history is keyed by besides HEAD: this work tree (its path and the
   * inodes of it and its git directory), and what can change history's answers under one HEAD: the
   * shallow boundary (a deepening fetch rewrites it) and the mailmap blame applies to author names.
   * Those two are stat'ed, never read: a `.mailmap` made a named pipe must not hold the event loop.
   */
  storeIdentity(): string {
    const stamp = (file: string) => {
      try {
        const stat = statSync(file);
        return `${stat.isFile() ? 'f' : 'x'}${stat.ino}:${stat.size}:${stat.mtimeMs}`;
      } catch (error) {
        return (error as NodeJS.ErrnoException).code ?? 'unreadable';
      }
    };
    return `${this.root}\0${this.identity ?? 'gone'}\0${stamp(path.join(this.commonDir, 'shallow'))}\0${stamp(path.join(this.root, '.mailmap'))}`;
  }

  private headFromFiles(): string | undefined {
    try {
      let content = readFileSync(path.join(this.gitDir, 'HEAD'), 'utf8').trim();
      for (let depth = 0; depth < 5 && content.startsWith('ref: '); depth++) {
        const ref = content.slice(5).trim();
        // Read, not checked then read: every cache hit comes through here.
        const loose = readIfPresent(path.join(this.gitDir, ref)) ?? (this.commonDir === this.gitDir ? undefined : readIfPresent(path.join(this.commonDir, ref)));
        if (loose !== undefined) {
          content = loose.trim();
          continue;
        }
        return this.packedRef(ref);
      }
      return /^[0-9a-f]{40,64}$/.test(content) ? content : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * A ref from `packed-refs`, which holds every branch after `git gc` and can run to megabytes of tags:
   * parsed once and again only when git has replaced the file (it always writes a new one and renames
   * it into place, so a new inode, size or time says so). Every question reads HEAD through here.
   */
  private packedRef(ref: string): string | undefined {
    const packed = path.join(this.commonDir, 'packed-refs');
    const stat = statSync(packed, { throwIfNoEntry: false });
    if (!stat) return undefined;
    const stamp = `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    if (this.packedRefs?.stamp !== stamp) {
      const refs = new Map<string, string>();
      for (const line of readFileSync(packed, 'utf8').split('\n')) {
        const space = line.indexOf(' ');
        if (space > 0 && line[0] !== '#' && line[0] !== '^') refs.set(line.slice(space + 1), line.slice(0, space));
      }
      this.packedRefs = { stamp, refs };
    }
    return this.packedRefs.refs.get(ref);
  }

  /**
   * The commit-graph as git would use it (see CommitGraph.usable), read again only when the file (or
   * the chain of files) changed: git gc and git maintenance rewrite it.
   */
  commitGraph(): Promise<CommitGraph | undefined> {
    if (!CommitGraph.usable(this.commonDir, this.shallow)) return Promise.resolve(undefined);
    const info = path.join(this.commonDir, 'objects', 'info');
    const stamp = filesStamp([path.join(info, 'commit-graph'), path.join(info, 'commit-graphs', 'commit-graph-chain')]);
    if (this.graphRead?.stamp !== stamp) {
      this.graphRead = { stamp, graph: CommitGraph.open(this.commonDir, { shallow: this.shallow, maxCommits: MAX_GRAPH_COMMITS }) };
    }
    return this.graphRead.graph;
  }

  /** One value of the repository's git config (the last one set), undefined when unset. */
  async configValue(key: string): Promise<string | undefined> {
    return (await this.config()).get(configKey(key));
  }

  /** Every key of one config section (`remote`, `url`) with its value, in the order git lists them. */
  async configSection(section: string): Promise<[key: string, value: string][]> {
    const prefix = `${section.toLowerCase()}.`;
    return [...(await this.config())].filter(([key]) => key.startsWith(prefix));
  }

  /**
   * The repository's git config as git sees it here (includes followed), read with one git call and
   * again only when a config file changed (the repository's own, or the user's). Opening the
   * repository starts the read, so the first blame does not wait for it.
   */
  private config(): Promise<Map<string, string>> {
    const stamp = filesStamp([path.join(this.commonDir, 'config'), path.join(os.homedir(), '.gitconfig'), path.join(os.homedir(), '.config', 'git', 'config')]);
    if (this.configRead?.stamp === stamp) return this.configRead.values;
    const values = this.git.run(['config', '--list', '-z']).then((outcome) => {
      const map = new Map<string, string>();
      if (outcome.kind !== 'ok') return map;
      for (const entry of outcome.stdout.split('\0')) {
        const newline = entry.indexOf('\n');
        // A key without `=` in the file is listed without a value: git reads it as true.
        if (entry) map.set(configKey(newline < 0 ? entry : entry.slice(0, newline)), newline < 0 ? 'true' : entry.slice(newline + 1));
      }
      return map;
    });
    values.catch(() => {
      if (this.configRead?.values === values) this.configRead = undefined; // a failed read is not kept
    });
    this.configRead = { stamp, values };
    return values;
  }

  /** A commit object, parsed once. Undefined when the object is missing (e.g. beyond a shallow boundary). */
  commit(sha: string): Promise<CommitInfo | undefined> {
    let pending = this.commitCache.get(sha);
    if (!pending) {
      if (this.commitCache.size >= Repository.COMMIT_CACHE_LIMIT) {
        this.commitCache.delete(this.commitCache.keys().next().value!);
      }
      pending = this.objects.read(sha).then((object) =>
        object.kind === 'found' && object.type === 'commit' ? parseCommitObject(object.oid, object.content.toString('utf8')) : undefined,
      );
      pending.catch(() => this.commitCache.delete(sha));
      this.commitCache.set(sha, pending);
    }
    return pending;
  }

  /**
   * Resolves a user's path (absolute, or relative to `base`) to a path inside this work tree,
   * refusing anything outside it, including through symbolic links.
   */
  relativePath(userPath: string, base: string): string {
    const absolute = path.resolve(base, userPath);
    let real = absolute;
    try {
      real = realPath(absolute);
    } catch {
      // A missing file: resolve its nearest existing parent instead, so `..` tricks are still caught.
      let parent = path.dirname(absolute);
      while (!existsSync(parent)) parent = path.dirname(parent);
      real = path.join(realPath(parent), path.relative(parent, absolute));
    }
    const relative = path.relative(this.root, real);
    if (relative === '') {
      const shown = displayPath(absolute);
      throw new AilError('bad-argument', `${shown} is the repository's root${shown === this.root ? '' : ` (${this.root})`}, a directory, not a file`);
    }
    if (relative.startsWith('..') || path.isAbsolute(relative)) {
      throw new AilError('outside-repository', `${displayPath(absolute)} is outside the repository (${this.root})`);
    }
    return relative.split(path.sep).join('/');
  }

  /** The file as committed at `head`, or a clear error saying why it cannot be asked about. Kept per (head, path). */
  async headFile(relativePath: string, head: string): Promise<HeadFile> {
    const key = `${head}:${relativePath}`;
    const known = this.headFiles.get(key);
    if (known) return known;
    const file = await this.readHeadFile(relativePath, head);
    this.headFiles.set(key, file);
    if (this.headFiles.size > 64) this.headFiles.delete(this.headFiles.keys().next().value!);
    return file;
  }

  /**
   * Whether anything is at `relativePath` in `head`. Kept per (HEAD, path): every hover on lines blamed
   * under an older path asks whether that path is gone (a rename), and the answer does not change.
   */
  hasPath(head: string, relativePath: string): Promise<boolean> {
    const key = `${head}:${relativePath}`;
    let known = this.paths.get(key);
    if (!known) {
      known = this.objectAt(head, relativePath).then((object) => object.kind === 'found');
      known.catch(() => this.paths.delete(key));
      this.paths.set(key, known);
      if (this.paths.size > 1024) this.paths.delete(this.paths.keys().next().value!);
    }
    return known;
  }

  /**
   * Whether `ancestor` is in the history of `descendant` (or is it): false after an amend, a rebase, a
   * reset to an older commit or a switch to another branch. Kept per pair: commits never change.
   */
  isAncestor(ancestor: string, descendant: string, signal?: AbortSignal): Promise<boolean> {
    if (ancestor === descendant) return Promise.resolve(true);
    return this.ancestry.get(
      `${ancestor}..${descendant}`,
      async (shared) => {
        const outcome = await this.git.run(['merge-base', '--is-ancestor', ancestor, descendant], { signal: shared });
        if (outcome.kind === 'cancelled' || outcome.kind === 'timeout') throw new CancelledError();
        // Exit 1 is "no"; a failure (an object gone after gc) is no as well.
        return outcome.kind === 'ok';
      },
      signal,
    );
  }

  /**
   * The object at `path` in `head`. `cat-file --batch` reads one name a line, so a path with a newline
   * in it is looked up with a `rev-parse` of its own, and its object read by id.
   */
  private async objectAt(head: string, relativePath: string): Promise<CatFileObject> {
    const name = `${head}:${relativePath}`;
    if (!relativePath.includes('\n')) return this.objects.read(name);
    const oid = await this.git.run(['rev-parse', '--verify', '-q', name]);
    return oid.kind === 'ok' && oid.stdout.trim() ? this.objects.read(oid.stdout.trim()) : { kind: 'missing', name };
  }

  private async readHeadFile(relativePath: string, head: string): Promise<HeadFile> {
    const object = await this.objectAt(head, relativePath);
    if (object.kind === 'found' && object.type === 'blob') {
      if (isBinary(object.content)) throw new AilError('file-binary', `${relativePath} is a binary file; AIL explains text`);
      return { path: relativePath, blob: object.oid, text: lazyUtf8(object.content), lineCount: countLineBytes(object.content) };
    }
    if (object.kind === 'found') throw new AilError('bad-argument', `${relativePath} is a ${object.type === 'tree' ? 'directory' : object.type}, not a file`);
    const onDisk = path.join(this.root, relativePath);
    if (!existsSync(onDisk)) throw new AilError('file-missing', `${relativePath} does not exist`);
    if (statSync(onDisk).isDirectory()) {
      // A submodule's commit is not in this repository, so it reads as missing: the index says what it is.
      const entry = await this.git.run(['ls-files', '--stage', '-z', '--', relativePath]);
      if (entry.kind === 'ok' && entry.stdout.startsWith('160000 ') && entry.stdout.endsWith(`\t${relativePath}\0`)) {
        throw new AilError('bad-argument', `${relativePath} is a submodule: its history is in its own repository; ask about a file inside it`);
      }
      throw new AilError('bad-argument', `${relativePath} is a directory, not a file`);
    }
    const staged = await this.git.run(['ls-files', '-z', '--', relativePath]);
    const isStaged = staged.kind === 'ok' && staged.stdout.length > 0;
    throw new AilError(
      'file-untracked',
      isStaged
        ? `${relativePath} is added but not committed yet, so it has no history`
        : `${relativePath} is not tracked by git, so it has no history`,
    );
  }

  /**
   * Makes sure the repository has a commit-graph with changed-path Bloom filters, which makes the
   * path-limited walks AIL runs (blame, `log -L`, `log -- file`) several times faster. It is the file
   * `git gc` and `git maintenance` write themselves; AIL writes it in the background, detached so that
   * a short-lived CLI leaves the write to finish, and only when none is there.
   */
  ensureCommitGraph(options: { keepProcessAlive?: boolean } = {}): Promise<'present' | 'written' | 'failed'> {
    const info = path.join(this.commonDir, 'objects', 'info');
    if (existsSync(path.join(info, 'commit-graph')) || existsSync(path.join(info, 'commit-graphs', 'commit-graph-chain'))) {
      return Promise.resolve('present');
    }
    if (options.keepProcessAlive) this.commitGraphChild?.ref();
    this.commitGraphWrite ??= new Promise((resolve) => {
      const child = spawn(this.git.gitPath, this.git.argv(['commit-graph', 'write', '--reachable', '--changed-paths']), {
        cwd: this.root,
        env: gitEnvironment(),
        stdio: 'ignore',
        detached: true,
      });
      this.commitGraphChild = child;
      child.on('error', () => resolve('failed'));
      child.on('close', (code) => resolve(code === 0 ? 'written' : 'failed'));
      // Unreferenced, a short-lived CLI exits while git finishes the write; someone awaiting it must keep the process alive.
      if (!options.keepProcessAlive) child.unref();
    });
    return this.commitGraphWrite;
  }

  dispose(): void {
    this.git.dispose();
    this.objects.dispose();
  }
}

/** The error for a repository that was deleted or moved away while AIL had it open. */
export function repositoryGone(root: string): AilError {
  return new AilError('repository-gone', `the repository at ${root} no longer exists (deleted or moved)`);
}

/**
 * git's refusal of a repository owned by another user (`safe.directory`, git 2.35.2 and later), as one
 * sentence that says what git said and how to allow it; undefined for any other failure. AIL never
 * adds the exception itself: trusting a repository is the user's decision.
 */
export function dubiousOwnership(stderr: string): AilError | undefined {
  const at = /detected dubious ownership in repository at '(.*)'$/m.exec(stderr);
  if (!at) return undefined;
  const directory = /safe\.directory (.+)$/m.exec(stderr)?.[1]?.trim() || at[1]!;
  return new AilError(
    'unsafe-repository',
    `git refuses the repository at ${at[1]}: detected dubious ownership (it belongs to another user); if you trust it, run git config --global --add safe.directory ${shellWord(directory)}`,
  );
}

/** A word as a POSIX shell reads it back: as is when plain, else in single quotes. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The inodes of the work tree and the git directory, or undefined when either is gone. */
function identityOf(root: string, gitDir: string): string | undefined {
  try {
    const tree = statSync(root);
    const git = statSync(gitDir);
    return `${tree.dev}:${tree.ino}:${git.dev}:${git.ino}`;
  } catch {
    return undefined;
  }
}

/** A path in a bare repository, or inside a `.git` directory. */
export function notAWorkTree(absolute: string): string {
  return `${displayPath(absolute)} is in a git directory, not a work tree (a bare repository has no files to ask about)`;
}

/** git's own test: a NUL byte in the first 8000 bytes. */
export function isBinary(content: Buffer): boolean {
  return content.subarray(0, 8000).includes(0);
}

/** countLines of the text these UTF-8 bytes decode to, without decoding them (a newline byte is always a newline). */
export function countLineBytes(bytes: Uint8Array): number {
  if (bytes.length === 0) return 0;
  let count = 1;
  for (let i = bytes.indexOf(10); i >= 0; i = bytes.indexOf(10, i + 1)) count++;
  return bytes[bytes.length - 1] === 10 ? count - 1 : count;
}

/** Lines as an editor counts them: a trailing newline does not start another line. */
export function countLines(text: string): number {
  if (text.length === 0) return 0;
  let count = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) count++;
  return text.endsWith('\n') ? count - 1 : count;
}

/**
 * The canonical path: one realpath(3) call rather than Node's lstat of every component (a cache hit
 * resolves its path each time). Falls back to Node's own where the native call fails.
 */
function realPath(p: string): string {
  try {
    return realpathSync.native(p);
  } catch {
    return realpathSync(p);
  }
}

/** A file's text, or undefined when it does not exist (a loose ref that was packed). */
function readIfPresent(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/**
 * A commit-graph larger than this is not read into memory (its object names and commit data take
 * 56 bytes a commit): walks there go through git instead.
 */
const MAX_GRAPH_COMMITS = 500_000;

/** Config keys as git lists them: section and name in lower case, a subsection as written. */
function configKey(key: string): string {
  const first = key.indexOf('.');
  const last = key.lastIndexOf('.');
  if (first < 0) return key.toLowerCase();
  return `${key.slice(0, first).toLowerCase()}${key.slice(first, last)}.${key.slice(last + 1).toLowerCase()}`;
}

/** When each file last changed, and its size, in one string ('-' for a file that is not there): one stat each. */
function filesStamp(files: readonly string[]): string {
  return files
    .map((file) => {
      try {
        const stat = statSync(file);
        return `${stat.mtimeMs}:${stat.size}`;
      } catch {
        return '-';
      }
    })
    .join(':');
}
