import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { HierarchicalNSW } from 'hnswlib-node';
import { HnswFileCheck, type HnswVerdict } from './hnsw-file';
import { formatShaTable, parseShaTable, type ShaTable } from './sha-table';

/**
 * Persistence of the commit index, in one directory per repository:
 *
 * - `commits.hnsw`: the HNSW graph as hnswlib writes it (`writeIndex`);
 * - `commits.shas`: the label → sha table, label i on line i (`sha-table.ts`);
 * - `manifest.json`: what the two files are (embedder, dimension, head, count) and their sha256.
 *
 * hnswlib-node loads a damaged graph without complaint and then crashes the process (SIGSEGV) on the
 * first search, and a checksum proves only that the file is the one written, not that what was written
 * is sound. So a file is handed to `readIndex` only after the manifest, the sha table, both checksums
 * and the graph's whole structure (`hnsw-file.ts`) have been checked. Writes go to temporary names,
 * are synced and renamed, the manifest last: a crash leaves the previous complete set or a set the
 * manifest does not describe.
 */

export const INDEX_FILE = 'commits.hnsw';
export const SHAS_FILE = 'commits.shas';
export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_VERSION = 1;

export interface IndexManifest {
  version: typeof MANIFEST_VERSION;
  embedder: string;
  dimension: number;
  /** The commit the index was built or last updated for. */
  head: string;
  count: number;
  checksum: { index: string; shas: string };
  createdAt: string;
}

export interface ExpectedIndex {
  embedder: string;
  dimension: number;
}

export type LoadedIndex =
  | { kind: 'ok'; index: HierarchicalNSW; shas: string[]; labels: Map<string, number>; manifest: IndexManifest }
  | { kind: 'missing' }
  | { kind: 'invalid'; reason: string };

export type VerifiedIndex =
  | { kind: 'ok'; shas: string[]; labels: Map<string, number>; manifest: IndexManifest }
  | { kind: 'missing' }
  | { kind: 'invalid'; reason: string };

const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/** The graph is read, hashed and checked 256 KB at a time: each chunk's check takes a few ms at most. */
const READ_CHUNK_BYTES = 256 * 1024;

/**
 * Checks a stored index without loading it: every file present and a file, the manifest well formed
 * and for this embedder, the sha table well formed (`sha-table.ts`: every line a commit id as long as
 * the head's, none twice, the indexed head among them) and as long as the manifest says, both
 * checksums, and the structure of the graph (`hnsw-file.ts`). Never calls into hnswlib, and never
 * throws: a file that cannot be read is an invalid index too.
 */
export async function verifyIndex(dir: string, expected: ExpectedIndex): Promise<VerifiedIndex> {
  try {
    const verified = await verifyFiles(dir, expected);
    return verified.kind === 'ok' ? { kind: 'ok', ...verified.table, manifest: verified.manifest } : verified;
  } catch (error) {
    return invalid(`the index could not be read: ${messageOf(error)}`);
  }
}

/**
 * Verifies the stored index and, only if it is sound, loads it. An invalid set is left for the caller
 * to remove. hnswlib reads the file by its name, so the file it read is compared with the one checked
 * (inode, size, time): when another process replaced it meanwhile, the new one is checked and loaded.
 */
export async function loadIndex(dir: string, expected: ExpectedIndex): Promise<LoadedIndex> {
  for (let attempt = 0; attempt < 3; attempt++) {
    let verified: VerifiedFiles;
    try {
      verified = await verifyFiles(dir, expected);
    } catch (error) {
      return invalid(`the index could not be read: ${messageOf(error)}`);
    }
    if (verified.kind !== 'ok') return verified;
    const index = new HierarchicalNSW('cosine', expected.dimension);
    try {
      await index.readIndex(path.join(dir, INDEX_FILE));
    } catch (error) {
      return invalid(`hnswlib could not read ${INDEX_FILE}: ${messageOf(error)}`);
    }
    if (!sameFile(verified.identity, await identityOf(path.join(dir, INDEX_FILE)))) continue;
    if (index.getCurrentCount() !== verified.manifest.count) {
      return invalid(`count mismatch: ${INDEX_FILE} holds ${index.getCurrentCount()} commits, manifest says ${verified.manifest.count}`);
    }
    return { kind: 'ok', index, ...verified.table, manifest: verified.manifest };
  }
  return invalid(`${INDEX_FILE} kept changing while it was loaded`);
}

interface FileIdentity {
  ino: number;
  size: number;
  mtimeMs: number;
}

type VerifiedFiles = { kind: 'ok'; table: ShaTable; manifest: IndexManifest; identity: FileIdentity } | { kind: 'missing' } | { kind: 'invalid'; reason: string };

async function verifyFiles(dir: string, expected: ExpectedIndex): Promise<VerifiedFiles> {
  const files = {
    manifest: path.join(dir, MANIFEST_FILE),
    index: path.join(dir, INDEX_FILE),
    shas: path.join(dir, SHAS_FILE),
  };
  const present = {
    manifest: await kindOf(files.manifest),
    index: await kindOf(files.index),
    shas: await kindOf(files.shas),
  };
  if (!present.manifest && !present.index && !present.shas) return { kind: 'missing' };
  for (const [name, kind] of [
    [MANIFEST_FILE, present.manifest],
    [INDEX_FILE, present.index],
    [SHAS_FILE, present.shas],
  ] as const) {
    if (kind === 'directory') return invalid(`${name} is a directory`);
    if (kind === 'other') return invalid(`${name} is not a regular file`);
  }
  if (!present.manifest) return invalid('manifest missing');
  if (!present.index) return invalid(`${INDEX_FILE} missing`);
  if (!present.shas) return invalid(`${SHAS_FILE} missing`);

  let manifest: IndexManifest;
  try {
    const parsed = parseManifest(await readFile(files.manifest, 'utf8'));
    if (typeof parsed === 'string') return invalid(parsed);
    manifest = parsed;
  } catch (error) {
    return invalid(`manifest unreadable: ${messageOf(error)}`);
  }
  if (manifest.embedder !== expected.embedder) {
    return invalid(`embedder changed: index built with ${manifest.embedder}, now ${expected.embedder}`);
  }
  if (manifest.dimension !== expected.dimension) {
    return invalid(`dimension mismatch: index has ${manifest.dimension}, embedder has ${expected.dimension}`);
  }

  const shasBytes = await readFile(files.shas);
  const table = await parseShaTable(shasBytes, manifest.head, SHAS_FILE);
  if (typeof table === 'string') return invalid(table);
  if (table.shas.length !== manifest.count) {
    return invalid(`count mismatch: ${SHAS_FILE} has ${table.shas.length} commits, manifest says ${manifest.count}`);
  }
  if (sha256(shasBytes) !== manifest.checksum.shas) return invalid(`checksum mismatch: ${SHAS_FILE}`);

  const inspected = await inspectIndexFile(files.index, manifest);
  if (inspected.checksum !== manifest.checksum.index) return invalid(`checksum mismatch: ${INDEX_FILE}`);
  if (inspected.verdict.kind === 'damaged') return invalid(`${INDEX_FILE}: ${inspected.verdict.problem}`);
  return { kind: 'ok', table, manifest, identity: inspected.identity };
}

/**
 * Writes the index, its sha table and then the manifest, each through a synced temporary file and a
 * rename. The index must not change while this runs (hnswlib writes it from a worker thread).
 */
export async function saveIndex(
  dir: string,
  index: HierarchicalNSW,
  shas: readonly string[],
  meta: { embedder: string; dimension: number; head: string },
): Promise<IndexManifest> {
  if (index.getCurrentCount() !== shas.length) {
    throw new Error(`the index holds ${index.getCurrentCount()} points but ${shas.length} shas were given`);
  }
  await mkdir(dir, { recursive: true });
  const suffix = `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const temporary = {
    index: path.join(dir, INDEX_FILE + suffix),
    shas: path.join(dir, SHAS_FILE + suffix),
    manifest: path.join(dir, MANIFEST_FILE + suffix),
  };
  try {
    await index.writeIndex(temporary.index);
    await syncFile(temporary.index);
    const indexChecksum = await sha256File(temporary.index); // of the bytes on disk, exactly what load will hash
    const shasBytes = formatShaTable(shas);
    await writeSynced(temporary.shas, shasBytes);
    const manifest: IndexManifest = {
      version: MANIFEST_VERSION,
      embedder: meta.embedder,
      dimension: meta.dimension,
      head: meta.head,
      count: shas.length,
      checksum: { index: indexChecksum, shas: sha256(shasBytes) },
      createdAt: new Date().toISOString(),
    };
    await writeSynced(temporary.manifest, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8'));
    await rename(temporary.index, path.join(dir, INDEX_FILE));
    await rename(temporary.shas, path.join(dir, SHAS_FILE));
    await syncDirectory(dir);
    await rename(temporary.manifest, path.join(dir, MANIFEST_FILE));
    await syncDirectory(dir);
    return manifest;
  } finally {
    await Promise.all(Object.values(temporary).map((file) => unlink(file).catch(() => undefined)));
  }
}

/**
 * Deletes a stored index (the three files, whatever stands at their names, even a directory, and any
 * temporary files left by a crash); the directory stays. Throws only when something cannot be removed.
 */
export async function removeIndex(dir: string): Promise<void> {
  // The manifest first: without it, whatever is left is never taken for a valid set.
  for (const name of [MANIFEST_FILE, INDEX_FILE, SHAS_FILE]) await rm(path.join(dir, name), { force: true, recursive: true });
  let names: string[] = [];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  const leftovers = names.filter((name) => [INDEX_FILE, SHAS_FILE, MANIFEST_FILE].some((file) => name.startsWith(`${file}.tmp-`)));
  await Promise.all(leftovers.map((name) => rm(path.join(dir, name), { force: true, recursive: true })));
}

function parseManifest(text: string): IndexManifest | string {
  const value: unknown = JSON.parse(text);
  if (!isRecord(value)) return 'manifest is not an object';
  if (value.version !== MANIFEST_VERSION) return `manifest version ${String(value.version)}, expected ${MANIFEST_VERSION}`;
  const checksum = value.checksum;
  if (
    typeof value.embedder !== 'string' ||
    !isCount(value.dimension) ||
    value.dimension === 0 ||
    typeof value.head !== 'string' ||
    !SHA.test(value.head) ||
    !isCount(value.count) ||
    !isRecord(checksum) ||
    typeof checksum.index !== 'string' ||
    typeof checksum.shas !== 'string' ||
    typeof value.createdAt !== 'string'
  ) {
    return 'manifest is missing fields or has fields of the wrong type';
  }
  return {
    version: MANIFEST_VERSION,
    embedder: value.embedder,
    dimension: value.dimension,
    head: value.head,
    count: value.count,
    checksum: { index: checksum.index, shas: checksum.shas },
    createdAt: value.createdAt,
  };
}

/**
 * Reads the graph once, a chunk at a time, hashing it and checking its structure on the same bytes.
 * Each read is a turn of the event loop and a chunk's check takes a few milliseconds at most, so a
 * large index does not hold up a question that arrives meanwhile.
 */
async function inspectIndexFile(file: string, manifest: IndexManifest): Promise<{ checksum: string; verdict: HnswVerdict; identity: FileIdentity }> {
  const handle = await open(file, 'r');
  try {
    const stats = await handle.stat();
    const check = new HnswFileCheck({ dimension: manifest.dimension, elements: manifest.count, space: 'cosine' }, stats.size);
    const hash = createHash('sha256');
    const buffer = Buffer.allocUnsafeSlow(READ_CHUNK_BYTES);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, READ_CHUNK_BYTES, null);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      hash.update(chunk);
      check.push(chunk);
    }
    return { checksum: hash.digest('hex'), verdict: check.finish(), identity: { ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs } };
  } finally {
    await handle.close();
  }
}

async function identityOf(file: string): Promise<FileIdentity | undefined> {
  try {
    const stats = await stat(file);
    return { ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs };
  } catch {
    return undefined;
  }
}

function sameFile(a: FileIdentity, b: FileIdentity | undefined): boolean {
  return b !== undefined && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

function invalid(reason: string): { kind: 'invalid'; reason: string } {
  return { kind: 'invalid', reason };
}

/** What is at a path (through a symbolic link), or undefined when nothing can be found there. */
async function kindOf(file: string): Promise<'file' | 'directory' | 'other' | undefined> {
  try {
    const stats = await stat(file);
    return stats.isFile() ? 'file' : stats.isDirectory() ? 'directory' : 'other';
  } catch {
    return undefined;
  }
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Streams the file through sha256, so a large index is not held in memory twice. */
function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

async function writeSynced(file: string, bytes: Buffer): Promise<void> {
  await writeFile(file, bytes);
  await syncFile(file);
}

async function syncFile(file: string): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes the renames durable; not every platform can open a directory, which only weakens the guarantee. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Windows: directories cannot be opened for sync.
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
