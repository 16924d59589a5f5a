import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import * as path from 'node:path';

/**
 * Reads git's commit-graph file (`objects/info/commit-graph`, or a split chain under
 * `objects/info/commit-graphs/`): every commit's parents as positions in one sorted list of object
 * names, the data `git rev-list --parents` would otherwise print as text, one walk per question.
 * AIL writes the file when a repository has none (`Repository.ensureCommitGraph`); git gc and git
 * maintenance keep it. Only the chunks a walk needs are read: the object names and the commit data,
 * not the Bloom filters.
 *
 * The format: Documentation/gitformat-commit-graph in git's source. All numbers are big-endian.
 */
export class CommitGraph {
  /** Positions at or after this are not in the graph. */
  readonly size: number;

  private constructor(
    private readonly layers: readonly Layer[],
    readonly hashBytes: number,
  ) {
    this.size = layers.reduce((sum, layer) => sum + layer.count, 0);
  }

  /**
   * The repository's commit-graph as git would read it, or undefined when there is none or git would
   * not use it: a shallow clone, grafts, replace refs or alternates change which parents a commit has
   * (or where commits live) in ways the file does not record. A file that does not read as the format
   * says is not used either.
   */
  static async open(commonDir: string, options: { shallow: boolean; maxCommits?: number }): Promise<CommitGraph | undefined> {
    if (!CommitGraph.usable(commonDir, options.shallow)) return undefined;
    const objects = path.join(commonDir, 'objects');
    try {
      const single = path.join(objects, 'info', 'commit-graph');
      const files = existsSync(single) ? [single] : chainFiles(path.join(objects, 'info', 'commit-graphs'));
      if (files.length === 0) return undefined;
      const layers: Layer[] = [];
      let hashBytes = 0;
      for (const file of files) {
        const layer = await readLayer(file, layers.reduce((sum, l) => sum + l.count, 0));
        if (!layer || (hashBytes && layer.hashBytes !== hashBytes)) return undefined;
        hashBytes = layer.hashBytes;
        layers.push(layer);
      }
      const graph = new CommitGraph(layers, hashBytes);
      return graph.size <= (options.maxCommits ?? Number.MAX_SAFE_INTEGER) ? graph : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Whether git would read a commit-graph here at all: not in a shallow clone, nor with grafts,
   * replace refs or alternates, which change which parents a commit has (or where commits live) in
   * ways the file does not record. Cheap: a few file checks, made again before every walk.
   */
  static usable(commonDir: string, shallow: boolean): boolean {
    if (shallow) return false;
    if (existsSync(path.join(commonDir, 'info', 'grafts')) || existsSync(path.join(commonDir, 'objects', 'info', 'alternates'))) return false;
    return !hasReplaceRefs(commonDir);
  }

  /** Where the commit sits in the graph, or -1 when it is not there (newer than the file, or not a commit). */
  positionOf(oid: string): number {
    if (oid.length !== this.hashBytes * 2) return -1;
    const wanted = Buffer.from(oid, 'hex');
    for (const layer of this.layers) {
      const first = wanted[0]!;
      let low = first === 0 ? 0 : layer.fanout.readUInt32BE((first - 1) * 4);
      let high = layer.fanout.readUInt32BE(first * 4);
      while (low < high) {
        const middle = (low + high) >>> 1;
        const order = layer.oids.compare(wanted, 0, this.hashBytes, middle * this.hashBytes, (middle + 1) * this.hashBytes);
        if (order === 0) return layer.base + middle;
        if (order < 0) low = middle + 1;
        else high = middle;
      }
    }
    return -1;
  }

  oidAt(position: number): string {
    const layer = this.layerOf(position);
    const at = (position - layer.base) * this.hashBytes;
    return layer.oids.toString('hex', at, at + this.hashBytes);
  }

  /** The parents' positions, first parent first. */
  parentsOf(position: number): number[] {
    const layer = this.layerOf(position);
    const at = (position - layer.base) * (this.hashBytes + 16) + this.hashBytes;
    const first = layer.data.readUInt32BE(at);
    const second = layer.data.readUInt32BE(at + 4);
    if (first === NO_PARENT) return [];
    if (second === NO_PARENT) return [first];
    if ((second & OCTOPUS) === 0) return [first, second];
    const parents = [first];
    if (!layer.edges) throw new Error('commit-graph: an octopus merge without an extra edge list');
    for (let edge = (second & ~OCTOPUS) >>> 0; ; edge++) {
      const value = layer.edges.readUInt32BE(edge * 4);
      parents.push((value & ~OCTOPUS) >>> 0);
      if (value & OCTOPUS) break;
    }
    return parents;
  }

  private layerOf(position: number): Layer {
    for (let i = this.layers.length - 1; i >= 0; i--) if (position >= this.layers[i]!.base) return this.layers[i]!;
    throw new RangeError(`commit-graph position ${position} is not in the graph`);
  }
}

const NO_PARENT = 0x70000000;
const OCTOPUS = 0x80000000;

interface Layer {
  /** Graph positions of this file start here (the commits of the layers below come first). */
  base: number;
  count: number;
  hashBytes: number;
  fanout: Buffer;
  oids: Buffer;
  data: Buffer;
  edges?: Buffer;
}

/**
 * One commit-graph file's parent data. Read with asynchronous reads: git.git's is 6 MB, which a
 * synchronous read held the event loop for 15 ms on the machines measured.
 */
async function readLayer(file: string, base: number): Promise<Layer | undefined> {
  const handle = await open(file, 'r');
  try {
    const fileSize = (await handle.stat()).size;
    const read = async (offset: number, length: number): Promise<Buffer> => {
      if (offset < 0 || length < 0 || offset + length > fileSize) throw new RangeError('commit-graph: a chunk runs past the end of the file');
      const buffer = Buffer.allocUnsafe(length);
      let done = 0;
      while (done < length) {
        const { bytesRead: got } = await handle.read(buffer, done, length - done, offset + done);
        if (got === 0) throw new RangeError('commit-graph: file ended early');
        done += got;
      }
      return buffer;
    };
    const header = await read(0, 8);
    if (header.toString('latin1', 0, 4) !== 'CGPH' || header[4] !== 1) return undefined;
    const hashBytes = header[5] === 1 ? 20 : header[5] === 2 ? 32 : 0;
    if (!hashBytes) return undefined;
    const chunkCount = header[6]!;
    const table = await read(8, (chunkCount + 1) * 12);
    const chunks = new Map<string, { offset: number; length: number }>();
    for (let i = 0; i < chunkCount; i++) {
      const id = table.toString('latin1', i * 12, i * 12 + 4);
      const offset = Number(table.readBigUInt64BE(i * 12 + 4));
      const next = Number(table.readBigUInt64BE((i + 1) * 12 + 4));
      chunks.set(id, { offset, length: next - offset });
    }
    const chunk = (id: string) => {
      const found = chunks.get(id);
      return found ? read(found.offset, found.length) : undefined;
    };
    const [fanout, oids, data, edges] = await Promise.all([chunk('OIDF'), chunk('OIDL'), chunk('CDAT'), chunk('EDGE')]);
    if (!fanout || !oids || !data || fanout.length !== 256 * 4) return undefined;
    const count = fanout.readUInt32BE(255 * 4);
    if (oids.length !== count * hashBytes || data.length !== count * (hashBytes + 16)) return undefined;
    return { base, count, hashBytes, fanout, oids, data, edges };
  } finally {
    await handle.close();
  }
}

/** The files of a split commit-graph, lowest layer first, from `commit-graph-chain`. */
function chainFiles(directory: string): string[] {
  const chain = path.join(directory, 'commit-graph-chain');
  if (!existsSync(chain)) return [];
  return readFileSync(chain, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((hash) => path.join(directory, `graph-${hash}.graph`));
}

/** Whether `git replace` has put any replacement in place (git then ignores the commit-graph). */
function hasReplaceRefs(commonDir: string): boolean {
  const loose = path.join(commonDir, 'refs', 'replace');
  if (existsSync(loose) && statSync(loose).isDirectory() && readdirSync(loose).length > 0) return true;
  const packed = path.join(commonDir, 'packed-refs');
  return existsSync(packed) && readFileSync(packed, 'utf8').includes(' refs/replace/');
}
