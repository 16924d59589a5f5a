import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { numberedHistory, type NumberedHistory } from './numbered-history';
import type { Repository } from './repository';
import { TimeSlicer } from '../util/slices';

/**
 * Which pull request brought a commit, read from the PR refs a clone fetched, with no network:
 * `refs/pull/<n>/head` and `refs/remotes/<remote>/pr/<n>` (the two usual refspecs; see the README).
 * A PR ref is the PR's head as GitHub last saw it; it says nothing of the base, the title or whether
 * the PR was merged. What the history says is enough for PRs merged with a merge commit, and only for
 * those:
 *
 * - A PR is named only when a merge in HEAD's history merged its head (the head is the merge's second
 *   or later parent), or when its head lies inside the commits of a PR so named. Its head reached the
 *   mainline through that merge, so the PR truly merged (or its commits did, in another PR's branch).
 * - The commits a merge brought in along the merged head's line (first parents down to what the
 *   mainline had) are that PR's; a PR head further down that line takes over from there: of stacked
 *   PRs merged together (B branched from A's branch), A's commits are A's and B's own are B's. A PR
 *   merged into another's branch owns what its merge brought to that branch, not the commits it
 *   branched from, which were that branch's first. A PR merged earlier owns its commits: a later
 *   branch that contains them finds them in the mainline's history already. PR refs sharing one head
 *   all own its commits. A PR whose head lies inside another's commits is named for its own even if
 *   GitHub shows it closed: they merged, inside the other. A merge nobody owns (a mainline one, say)
 *   is named after the PR it merged.
 * - A head on the mainline, or on a merged line no PR owns (a long-lived branch such as 4.x or
 *   develop merged whole), was put there by a fast-forward, a rebase onto it or a push: it names
 *   nothing, not even itself. The line does not say where such a PR began (the commits below its head
 *   may have been pushed directly), nor whether the line went into the PR rather than the PR into the
 *   line (a develop → main PR seen from develop). Neither is a head outside HEAD's history named: an
 *   open or closed PR, or one squashed or rebased, whose commits on the mainline are new ones (a
 *   squash names its PR in its subject, `Title (#123)`, read elsewhere).
 *
 * Built once per (HEAD, refs): one `git for-each-ref` and one walk of the numbered history (the
 * commit-graph, or one `rev-list --parents`), then a look-up is an array access. A clone with no PR
 * refs costs a few file checks and no process.
 */
export interface PullRequestIndex {
  /** The pull request that brought the commit into HEAD's history, or undefined when no fetched PR ref says. */
  pullRequestOf(sha: string): PullRequestFound | undefined;
  /** PR refs read. */
  readonly refs: number;
  /** PR refs whose head is in HEAD's history (named or not). */
  readonly merged: number;
  /** False when the history was longer than the bound: commits beyond it are not covered. */
  readonly complete: boolean;
}

export interface PullRequestFound {
  /** The PR's number; several, ascending, when several PR refs point at the same head. */
  numbers: number[];
  /** The PR head that holds the commit. */
  head: string;
  /** The merge that brought that head in (its message may name the PR, and its title). */
  merge: string;
}

/** A PR ref: the PR's number, the ref's name and the commit it points at. */
export interface PullRef {
  number: number;
  ref: string;
  head: string;
}

/** A line of for-each-ref: the head, the ref, and the number from one of the two forms. */
const PULL_REF_LINE = /^([0-9a-f]{40,64}) (refs\/(?:pull\/([1-9]\d{0,9})\/head|remotes\/[^/]+\/pr\/([1-9]\d{0,9})))$/;
const PACKED_PULL_REF = /^[0-9a-f]{40,64} refs\/(?:pull\/[1-9]\d*\/head|remotes\/[^/\n]+\/pr\/[1-9]\d*)$/m;
const EMPTY: PullRequestIndex = { pullRequestOf: () => undefined, refs: 0, merged: 0, complete: true };

/**
 * What changes when PR refs are fetched or packed: a string to compare, from a few stat calls and no
 * process. A fetch rewrites FETCH_HEAD; `git gc` and a fresh clone write packed-refs; a new loose ref
 * adds a directory under `refs/pull`. (A loose ref rewritten in place by something other than a fetch
 * is not seen: `git update-ref refs/pull/5/head`, for one.)
 */
export function pullRefsStamp(repo: Repository): string {
  const files = [
    path.join(repo.commonDir, 'packed-refs'),
    path.join(repo.gitDir, 'FETCH_HEAD'),
    path.join(repo.commonDir, 'FETCH_HEAD'),
    path.join(repo.commonDir, 'reftable', 'tables.list'),
    path.join(repo.commonDir, 'refs', 'pull'),
    ...remotePrDirectories(repo),
  ];
  return files.map(stampOf).join('|');
}

/**
 * Whether the repository may hold PR refs, without a process: a `refs/pull` or `refs/remotes/<r>/pr`
 * directory, a packed PR ref, or refs in a reftable (which only git reads).
 */
export function mayHavePullRefs(repo: Repository): boolean {
  if (existsSync(path.join(repo.commonDir, 'reftable'))) return true;
  if (existsSync(path.join(repo.commonDir, 'refs', 'pull')) || remotePrDirectories(repo).length > 0) return true;
  try {
    return PACKED_PULL_REF.test(readFileSync(path.join(repo.commonDir, 'packed-refs'), 'latin1'));
  } catch {
    return false;
  }
}

/** Every PR ref of the repository, with one `git for-each-ref` (a head may be any object). Rejects when git fails or the signal aborts. */
export async function readPullRefs(repo: Repository, signal?: AbortSignal): Promise<PullRef[]> {
  // No %(objecttype): it costs git an object look-up per ref (a third more time on express's 2,661),
  // and a ref to anything but a commit is simply never found in the history.
  const outcome = await repo.git.run(['for-each-ref', '--format=%(objectname) %(refname)', 'refs/pull/*/head', 'refs/remotes/*/pr/*'], {
    signal,
    background: true,
  });
  if (outcome.kind !== 'ok') throw new Error(`git for-each-ref ${outcome.kind}`);
  // Thousands of lines take milliseconds (10,000 took 5-30 here): read in slices.
  const refs: PullRef[] = [];
  const slicer = new TimeSlicer(4, 64);
  for (const line of outcome.stdout.split('\n')) {
    const match = PULL_REF_LINE.exec(line);
    const number = match ? Number(match[3] ?? match[4]) : NaN;
    if (Number.isSafeInteger(number)) refs.push({ number, ref: match![2]!, head: match![1]! });
    if (slicer.due()) await slicer.rest();
  }
  return refs;
}

/**
 * The index for `head`: nothing at all when the repository cannot hold PR refs, one `for-each-ref`
 * when it holds none, else that and the walk of HEAD's numbered history (bounded by `limit` when
 * there is no commit-graph). Rejects when git fails or the signal aborts.
 */
export async function pullRequestIndex(repo: Repository, head: string, options: { limit: number; signal?: AbortSignal }): Promise<PullRequestIndex> {
  if (!mayHavePullRefs(repo)) return EMPTY;
  const refs = await readPullRefs(repo, options.signal);
  if (refs.length === 0) return EMPTY;
  const history = await numberedHistory(repo, head, options.limit, options.signal);
  // A commit-graph look-up is a binary search: thousands of heads take milliseconds, so in slices too.
  const slicer = new TimeSlicer(4, 64);
  const ids = new Int32Array(refs.length);
  const heads = new Map<number, number[]>();
  for (const [at, ref] of refs.entries()) {
    const id = (ids[at] = history.idOf(ref.head));
    if (slicer.due()) await slicer.rest();
    if (id < 0) continue;
    const numbers = heads.get(id) ?? [];
    if (!numbers.includes(ref.number)) numbers.push(ref.number);
    heads.set(id, numbers);
  }
  for (const numbers of heads.values()) numbers.sort((a, b) => a - b);
  const { seen, owner, mergeOf } = await walkPullRequests(history, heads, options.signal);
  const merged = ids.reduce((count, id) => (id >= 0 && seen[id] !== 0 ? count + 1 : count), 0);
  return {
    refs: refs.length,
    merged,
    complete: history.complete,
    pullRequestOf: (sha) => {
      const id = history.idOf(sha);
      const at = id >= 0 ? owner[id]! : -1;
      if (at < 0) return undefined;
      return { numbers: heads.get(at)!, head: history.oidOf(at), merge: history.oidOf(mergeOf.get(at)!) };
    },
  };
}

/**
 * The walk, in 4 ms slices: the mainline by first parents from HEAD; then, oldest merge first, the
 * lines its other parents start (first parents down to what is already seen). On a line, every commit
 * is owned by the nearest PR head at or above it, or by the owner of the line's merge when there is
 * none above it; a head below the top of a line nobody owns starts nothing. Then, oldest first and
 * depth first, the merges found on those lines, the same way. Every commit of HEAD's history is
 * visited once, and those a merge brings in are the ones the merge index gives it.
 */
async function walkPullRequests(
  history: NumberedHistory,
  heads: ReadonlyMap<number, readonly number[]>,
  signal?: AbortSignal,
): Promise<{ seen: Uint8Array; owner: Int32Array; mergeOf: Map<number, number> }> {
  const slicer = new TimeSlicer();
  const rest = async () => {
    await slicer.rest();
    if (signal?.aborted) throw new Error('pull request index cancelled');
  };
  const seen = new Uint8Array(history.size);
  const owner = new Int32Array(history.size).fill(-1);
  const mergeOf = new Map<number, number>();
  const merges: number[] = [];
  for (let id = history.head; id >= 0 && seen[id] === 0; ) {
    seen[id] = 1;
    const parents = history.parentsOf(id);
    if (parents.length > 1) merges.push(id);
    id = parents.length > 0 ? parents[0]! : -1;
    if (slicer.due()) await rest();
  }
  for (const merge of merges.reverse()) {
    const jobs = [{ merge, owner: -1 }];
    while (jobs.length > 0) {
      const job = jobs.pop()!;
      const parents = history.parentsOf(job.merge);
      const found: number[] = [];
      for (let side = 1; side < parents.length; side++) {
        let current = job.owner;
        const merged = parents[side]!;
        for (let id = merged; id >= 0 && seen[id] === 0; ) {
          seen[id] = 1;
          // A head starts a PR's commits where the merge merged it, or inside another PR's; on a line
          // nobody owns (a long-lived branch), it was put there some other way and starts nothing.
          if (heads.has(id) && (current >= 0 || id === merged)) {
            current = id;
            mergeOf.set(id, job.merge);
          }
          owner[id] = current;
          const own = history.parentsOf(id);
          if (own.length > 1) found.push(id);
          id = own.length > 0 ? own[0]! : -1;
          if (slicer.due()) await rest();
        }
      }
      // A merge nobody owns is named after the PR it merged.
      if (job.owner < 0 && parents[1]! >= 0 && mergeOf.get(parents[1]!) === job.merge) owner[job.merge] = parents[1]!;
      // Found from the top of each line down: the last is the oldest, and is taken first.
      for (const sub of found) jobs.push({ merge: sub, owner: owner[sub]! });
    }
  }
  return { seen, owner, mergeOf };
}

/** `refs/remotes/<remote>/pr` directories that exist. */
function remotePrDirectories(repo: Repository): string[] {
  const remotes = path.join(repo.commonDir, 'refs', 'remotes');
  try {
    return readdirSync(remotes)
      .map((remote) => path.join(remotes, remote, 'pr'))
      .filter((directory) => existsSync(directory));
  } catch {
    return [];
  }
}

function stampOf(file: string): string {
  const stat = statSync(file, { throwIfNoEntry: false });
  return stat ? `${stat.ino}:${stat.size}:${stat.mtimeMs}` : '-';
}
