import type { CatFileBatch } from './catfile';

/** One entry of a tree object. */
export interface TreeEntry {
  mode: string;
  name: string;
  oid: string;
}

/** A file as it was before a commit changed or removed it. */
export interface ChangedFile {
  path: string;
  /** The blob before the change. */
  oid: string;
}

const TREE_MODE = '40000';
const GITLINK_MODE = '160000';

/**
 * Parses a raw tree object (`<mode> <name>\0<binary oid>` repeated). The oid length follows the
 * repository's hash: 20 bytes for SHA-1, 32 for SHA-256.
 */
export function parseTree(content: Buffer, oidBytes: number): TreeEntry[] {
  const entries: TreeEntry[] = [];
  let pos = 0;
  while (pos < content.length) {
    const space = content.indexOf(0x20, pos);
    const nul = content.indexOf(0, space + 1);
    if (space < 0 || nul < 0 || nul + 1 + oidBytes > content.length) throw new Error('malformed tree object');
    entries.push({
      mode: content.toString('latin1', pos, space),
      name: content.toString('utf8', space + 1, nul),
      oid: content.toString('hex', nul + 1, nul + 1 + oidBytes),
    });
    pos = nul + 1 + oidBytes;
  }
  return entries;
}

/**
 * The files of `before` that `after` changes, removes or changes the mode of: the pre-images
 * `git diff-tree -r before after` lists, found by reading tree objects through cat-file instead of
 * starting a process. Only subtrees whose ids differ are read. Submodules are left out (git blame
 * skips them). 'too-many' once more than `limit` files are found.
 */
export async function changedFiles(objects: CatFileBatch, before: string, after: string, limit: number): Promise<ChangedFile[] | 'too-many'> {
  const found: ChangedFile[] = [];
  const oidBytes = before.length / 2;
  const readTree = async (oid: string): Promise<TreeEntry[]> => {
    const object = await objects.read(oid);
    if (object.kind !== 'found' || object.type !== 'tree') throw new Error(`tree ${oid} is missing`);
    return parseTree(object.content, oidBytes);
  };
  const walk = async (beforeTree: string, afterTree: string | undefined, prefix: string): Promise<boolean> => {
    const [old, current] = await Promise.all([readTree(beforeTree), afterTree ? readTree(afterTree) : Promise.resolve([])]);
    const now = new Map(current.map((entry) => [entry.name, entry]));
    const subtrees: Promise<boolean>[] = [];
    for (const entry of old) {
      if (entry.mode === GITLINK_MODE) continue;
      const next = now.get(entry.name);
      if (next && next.oid === entry.oid && next.mode === entry.mode) continue;
      const path = prefix + entry.name;
      if (entry.mode === TREE_MODE) {
        subtrees.push(walk(entry.oid, next?.mode === TREE_MODE ? next.oid : undefined, `${path}/`));
        continue;
      }
      found.push({ path, oid: entry.oid });
      if (found.length > limit) return false;
    }
    return (await Promise.all(subtrees)).every(Boolean);
  };
  return (await walk(before, after, '')) && found.length <= limit ? found : 'too-many';
}
