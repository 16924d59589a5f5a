import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { HierarchicalNSW } from 'hnswlib-node';

/**
 * Persistence of the commit index, in one directory per repository:
 *
 * - `commits.hnsw`: the HNSW graph as hnswlib writes it (`writeIndex`);
 * - `commits.shas`: the label → sha table, label i on line i;
 * - `manifest.json`: what the two files are (embedder, dimension, head, count) and their sha256.
 *
 * hnswlib-node loads some damaged files without complaint and then crashes the process on the first
 * search, so a file is handed to `readIndex` only after the manifest, the sha table, both checksums and
 * the graph's header have been checked. Writes go to temporary names, are synced and renamed, the
 * manifest last: a crash leaves the previous complete set or a set the manifest does not describe.
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
  | { kind: 'ok'; index: HierarchicalNSW; shas: string[]; manifest: IndexManifest }
  | { kind: 'missing' }
  | { kind: 'invalid'; reason: string };

export type VerifiedIndex =
  | { kind: 'ok'; shas: string[]; manifest: IndexManifest }
  | { kind: 'missing' }
  | { kind: 'invalid'; reason: string };

const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/** hnswlib's file header: 6 size_t, an int, a uint32, 3 size_t, a double, a size_t. */
const HEADER_BYTES = 96;

/**
 * Checks a stored index without loading it: every file present, the manifest well formed and for this
 * embedder, the sha table as long as the manifest says, both checksums, and the graph's header
 * consistent with the dimension and count. Never calls into hnswlib.
 */
export async function verifyIndex(dir: string, expected: ExpectedIndex): Promise<VerifiedIndex> {
  const files = {
    manifest: path.join(dir, MANIFEST_FILE),
    index: path.join(dir, INDEX_FILE),
    shas: path.join(dir, SHAS_FILE),
  };
  const present = {
    manifest: await isFile(files.manifest),
    index: await isFile(files.index),
    shas: await isFile(files.shas),
  };
  if (!present.manifest && !present.index && !present.shas) return { kind: 'missing' };
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
  const shas = parseShas(shasBytes.toString('utf8'));
  if (typeof shas === 'string') return invalid(shas);
  if (shas.length !== manifest.count) {
    return invalid(`count mismatch: ${SHAS_FILE} has ${shas.length} commits, manifest says ${manifest.count}`);
  }
  if (sha256(shasBytes) !== manifest.checksum.shas) return invalid(`checksum mismatch: ${SHAS_FILE}`);
  if ((await sha256File(files.index)) !== manifest.checksum.index) return invalid(`checksum mismatch: ${INDEX_FILE}`);

  const header = await checkHeader(files.index, manifest);
  if (header) return invalid(header);
  return { kind: 'ok', shas, manifest };
}

/** Verifies the stored index and, only if it is sound, loads it. An invalid set is left for the caller to remove. */
export async function loadIndex(dir: string, expected: ExpectedIndex): Promise<LoadedIndex> {
  const verified = await verifyIndex(dir, expected);
  if (verified.kind !== 'ok') return verified;
  const index = new HierarchicalNSW('cosine', expected.dimension);
  try {
    await index.readIndex(path.join(dir, INDEX_FILE));
  } catch (error) {
    return invalid(`hnswlib could not read ${INDEX_FILE}: ${messageOf(error)}`);
  }
  if (index.getCurrentCount() !== verified.manifest.count) {
    return invalid(`count mismatch: ${INDEX_FILE} holds ${index.getCurrentCount()} commits, manifest says ${verified.manifest.count}`);
  }
  return { kind: 'ok', index, shas: verified.shas, manifest: verified.manifest };
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
    const shasBytes = Buffer.from(shas.map((sha) => `${sha}\n`).join(''), 'utf8');
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

/** Deletes a stored index (the three files and any temporary files left by a crash); the directory stays. */
export async function removeIndex(dir: string): Promise<void> {
  // The manifest first: without it, whatever is left is never taken for a valid set.
  await rm(path.join(dir, MANIFEST_FILE), { force: true });
  await rm(path.join(dir, INDEX_FILE), { force: true });
  await rm(path.join(dir, SHAS_FILE), { force: true });
  let names: string[] = [];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  const leftovers = names.filter((name) => [INDEX_FILE, SHAS_FILE, MANIFEST_FILE].some((file) => name.startsWith(`${file}.tmp-`)));
  await Promise.all(leftovers.map((name) => rm(path.join(dir, name), { force: true })));
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

function parseShas(text: string): string[] | string {
  if (text === '') return [];
  if (!text.endsWith('\n')) return `${SHAS_FILE} is truncated (no final newline)`;
  const shas = text.slice(0, -1).split('\n');
  for (let i = 0; i < shas.length; i++) {
    if (!SHA.test(shas[i]!)) return `${SHAS_FILE} line ${i + 1} is not a commit id`;
  }
  return shas;
}

/** The graph's header against the manifest: element count, vector size, and a file long enough for both. */
async function checkHeader(file: string, manifest: IndexManifest): Promise<string | undefined> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size < HEADER_BYTES) return `${INDEX_FILE} is shorter than its header`;
    const header = Buffer.alloc(HEADER_BYTES);
    await handle.read(header, 0, HEADER_BYTES, 0);
    const word = (offset: number) => Number(header.readBigUInt64LE(offset));
    const count = word(16);
    const sizePerElement = word(24);
    const labelOffset = word(32);
    const dataOffset = word(40);
    const enterPoint = header.readUInt32LE(52);
    const maxM0 = word(64);
    if (count !== manifest.count) return `${INDEX_FILE} header says ${count} commits, manifest says ${manifest.count}`;
    if (labelOffset - dataOffset !== manifest.dimension * 4 || sizePerElement !== labelOffset + 8 || dataOffset !== maxM0 * 4 + 4) {
      return `${INDEX_FILE} header does not match dimension ${manifest.dimension}`;
    }
    if (count > 0 && enterPoint >= count) return `${INDEX_FILE} header names an entry point outside the index`;
    if (size < HEADER_BYTES + count * (sizePerElement + 4)) return `${INDEX_FILE} is shorter than its ${count} commits need`;
    return undefined;
  } finally {
    await handle.close();
  }
}

function invalid(reason: string): { kind: 'invalid'; reason: string } {
  return { kind: 'invalid', reason };
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
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
