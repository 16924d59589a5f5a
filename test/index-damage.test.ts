import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContextRequest } from '../shared/protocol';
import { HnswFileCheck } from '../server/semantic/hnsw-file';
import { INDEX_FILE, MANIFEST_FILE, SHAS_FILE, verifyIndex, type IndexManifest } from '../server/semantic/index-store';
import { runCli } from './helpers/cli';
import { Fixture } from './helpers/fixture';
import { TestClient } from './helpers/lsp';

/**
 * A stored commit index damaged in ways a checksum cannot see: the damage is done, then the manifest's
 * checksums are computed again over it, as a bug or a bit flip before the write would leave it.
 * Unchecked, hnswlib loads most of these and then crashes the process with SIGSEGV on the first
 * search (the XOR, the neighbour ids), or answers with the wrong commits (the sha tables).
 */

const TOPICS = [
  'Hash passwords with bcrypt instead of MD5',
  'Add retry with backoff to the HTTP client',
  'Render the invoice table with virtual scrolling',
  'Upgrade the logging library to version 3',
  'Cache parsed configuration files between requests',
  'Fix the off-by-one in pagination of search results',
  'Translate the settings page into French and German',
  'Stream large uploads to disk instead of memory',
];
/** 40 commits: enough for a graph with upper levels and a middle to damage. */
const MESSAGES = Array.from({ length: 40 }, (_, i) => `${TOPICS[i % TOPICS.length]} (part ${Math.floor(i / TOPICS.length) + 1})`);
const COUNT = MESSAGES.length;

/** hnswlib's layout for this index: a 96-byte header, then COUNT level-0 records, then the upper levels. */
const HEADER = 96;
const MAX_M0 = 32;
const DIMENSION = 384;
const RECORD = 4 + 4 * MAX_M0 + 4 * DIMENSION + 8;

const temporary: string[] = [];
function temporaryDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  temporary.push(dir);
  return dir;
}

/** The one repository folder under a data dir's `indexes/`. */
function indexDir(dataDir: string): string {
  const [name] = readdirSync(path.join(dataDir, 'indexes'));
  return path.join(dataDir, 'indexes', name!);
}

/** What a bug before the write looks like: the manifest's checksums describe the damaged files. */
function rewriteChecksums(dir: string): void {
  const manifestFile = path.join(dir, MANIFEST_FILE);
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as IndexManifest;
  const sha256 = (file: string) => createHash('sha256').update(readFileSync(path.join(dir, file))).digest('hex');
  manifest.checksum = { index: sha256(INDEX_FILE), shas: sha256(SHAS_FILE) };
  writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
}

function editIndex(dir: string, edit: (bytes: Buffer) => Buffer | void): void {
  const file = path.join(dir, INDEX_FILE);
  const bytes = readFileSync(file);
  writeFileSync(file, edit(bytes) ?? bytes);
  rewriteChecksums(dir);
}

function editShas(dir: string, edit: (shas: string[]) => string[]): void {
  const file = path.join(dir, SHAS_FILE);
  const shas = readFileSync(file, 'utf8').trim().split('\n');
  writeFileSync(file, edit(shas).map((sha) => `${sha}\n`).join(''));
  rewriteChecksums(dir);
}

/** Each element's upper-level count and where its upper-level lists start, read from the file as the test knows its layout. */
function upperLevels(bytes: Buffer): { levels: number[]; at: number[] } {
  const perLevel = 4 + 4 * (MAX_M0 / 2);
  const levels: number[] = [];
  const at: number[] = [];
  let offset = HEADER + COUNT * RECORD;
  for (let i = 0; i < COUNT; i++) {
    const size = bytes.readUInt32LE(offset);
    levels.push(size / perLevel);
    at.push(offset + 4);
    offset += 4 + size;
  }
  return { levels, at };
}

/** A commit id that is no commit: the sha-1 of some text. */
function fakeSha(seed: string): string {
  return createHash('sha1').update(seed).digest('hex');
}

interface Damage {
  name: string;
  damage: (dir: string) => void;
  /** What the user reads inside "the stored index could not be used (…), so it was rebuilt". */
  reason: string;
}

/** The damages the issue names, each run through the built CLI. */
const DAMAGES: Damage[] = [
  {
    name: '4 KB XORed in the middle of commits.hnsw',
    damage: (dir) =>
      editIndex(dir, (bytes) => {
        const start = Math.floor(bytes.length / 2) - 2048;
        for (let i = 0; i < 4096; i++) bytes[start + i]! ^= (i * 37 + 11) & 0xff;
      }),
    reason: "commits.hnsw: element 18's vector has length 7.218e+37, where cosine vectors are stored at length 1",
  },
  {
    name: 'neighbour ids past the last element',
    damage: (dir) =>
      editIndex(dir, (bytes) => {
        const record = HEADER + 20 * RECORD;
        const links = bytes.readUInt16LE(record);
        for (let i = 0; i < links; i++) bytes.writeUInt32LE(COUNT + i, record + 4 + 4 * i);
      }),
    reason: 'commits.hnsw: element 20 names neighbour 40 at level 0, past the last element (39)',
  },
  {
    name: 'commits.hnsw cut in half',
    damage: (dir) => editIndex(dir, (bytes) => bytes.subarray(0, Math.floor(bytes.length / 2))),
    reason: 'commits.hnsw: the file is 33784 bytes, too short for the 40 elements its header declares (at least 67296)',
  },
  {
    name: 'commits.hnsw cut inside its upper levels',
    damage: (dir) => editIndex(dir, (bytes) => bytes.subarray(0, bytes.length - 4)),
    reason: "commits.hnsw: the file ends inside element 39's upper-level lists",
  },
  {
    name: 'a sha table of commits this repository does not have, but for its head',
    damage: (dir) => editShas(dir, (shas) => shas.map((sha, i) => (i === 0 ? sha : fakeSha(`garbage ${i}`)))),
    reason: 'commits.shas names edda69201cfc, which is not a commit of this repository',
  },
  {
    name: 'the right commits in the wrong order',
    damage: (dir) => editShas(dir, (shas) => [...shas.slice(1), shas[0]!]),
    reason: "the vector stored for fe6fc9b2340c is not its message's (similarity 0.250): commits.shas does not match the graph",
  },
  {
    name: 'commits.hnsw a directory',
    damage: (dir) => {
      rmSync(path.join(dir, INDEX_FILE));
      mkdirSync(path.join(dir, INDEX_FILE));
    },
    reason: 'commits.hnsw is a directory',
  },
];

/** Damages hnswlib would follow, checked on the real modules (no CLI) for the exact sentence. */
const STRUCTURE: Damage[] = [
  {
    name: 'a neighbour count past maxM0',
    damage: (dir) => editIndex(dir, (bytes) => void bytes.writeUInt16LE(0xffff, HEADER + 7 * RECORD)),
    reason: 'commits.hnsw: element 7 has 65535 neighbours at level 0, more than the 32 allowed',
  },
  {
    name: 'an element naming itself',
    damage: (dir) => editIndex(dir, (bytes) => void bytes.writeUInt32LE(7, HEADER + 7 * RECORD + 4)),
    reason: 'commits.hnsw: element 7 names itself as a neighbour at level 0',
  },
  {
    name: 'an element marked deleted',
    damage: (dir) => editIndex(dir, (bytes) => void (bytes[HEADER + 7 * RECORD + 2] = 1)),
    reason: 'commits.hnsw: element 7 is marked deleted (the commit index never deletes)',
  },
  {
    name: 'a vector value that is not a number',
    damage: (dir) => editIndex(dir, (bytes) => void bytes.writeFloatLE(Number.NaN, HEADER + 7 * RECORD + 4 + 4 * MAX_M0)),
    reason: "commits.hnsw: element 7's vector holds a value that is not a finite number",
  },
  {
    name: 'a vector no longer of unit length',
    damage: (dir) => editIndex(dir, (bytes) => void bytes.writeFloatLE(3, HEADER + 7 * RECORD + 4 + 4 * MAX_M0)),
    reason: "commits.hnsw: element 7's vector has length 3.162, where cosine vectors are stored at length 1",
  },
  {
    name: 'a label past the sha table',
    damage: (dir) => editIndex(dir, (bytes) => void bytes.writeBigUInt64LE(1000n, HEADER + 7 * RECORD + RECORD - 8)),
    reason: 'commits.hnsw: element 7 has label 1000, past the last of the 40 expected',
  },
  {
    name: 'two elements with one label',
    damage: (dir) => editIndex(dir, (bytes) => void bytes.writeBigUInt64LE(3n, HEADER + 7 * RECORD + RECORD - 8)),
    reason: 'commits.hnsw: elements 3 and 7 both have label 3',
  },
  {
    name: 'an upper-level link to an element that does not reach that level',
    damage: (dir) =>
      editIndex(dir, (bytes) => {
        const { levels, at } = upperLevels(bytes);
        const element = levels.findIndex((level, i) => level >= 1 && bytes.readUInt16LE(at[i]!) > 0);
        const flat = levels.findIndex((level, i) => level === 0 && i !== element);
        bytes.writeUInt32LE(flat, at[element]! + 4);
      }),
    reason: 'commits.hnsw: element 11 names neighbour 0 at level 1, which reaches only level 0',
  },
  {
    name: 'an entry point below the top level',
    damage: (dir) =>
      editIndex(dir, (bytes) => {
        const { levels } = upperLevels(bytes);
        bytes.writeUInt32LE(levels.indexOf(0), 52);
      }),
    reason: "commits.hnsw: the entry point 0 reaches level 0, not the header's top level 1",
  },
  {
    name: 'a capacity of 2^36 elements',
    damage: (dir) => editIndex(dir, (bytes) => void bytes.writeBigUInt64LE(1n << 36n, 8)),
    reason: 'commits.hnsw: the header\'s capacity 68719476736 does not fit its 40 elements',
  },
  {
    name: 'bytes after the last element',
    damage: (dir) => editIndex(dir, (bytes) => Buffer.concat([bytes, Buffer.alloc(12)])),
    reason: 'commits.hnsw: the file has 12 bytes after its last element',
  },
  {
    name: 'a commit named twice in commits.shas',
    damage: (dir) => editShas(dir, (shas) => shas.map((sha, i) => (i === 5 ? shas[2]! : sha))),
    reason: 'commits.shas names a7ed56841210 twice (lines 3 and 6)',
  },
];

const env = (dataDir: string) => ({ AIL_DATA_DIR: dataDir, AIL_ALLOW_MODEL_DOWNLOAD: 'false', AIL_COMMIT_GRAPH: 'false' });

let fixture: Fixture;
let pristine: string;

beforeAll(async () => {
  fixture = Fixture.create('ail-damage-');
  MESSAGES.forEach((message, i) => fixture.write('notes.txt', `change ${i}\n`).commit(message));
  pristine = temporaryDir('ail-damage-data-');
  const built = await runCli(['index'], { cwd: fixture.root, env: env(pristine) });
  expect(built.stdout).toMatch(/^built the commit index of .*: 40 commits \(40 embedded now\)/);
});

afterAll(() => {
  fixture.cleanup();
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

/** A copy of the sound index with one damage done to it. */
function damaged(damage: Damage['damage']): string {
  const dataDir = temporaryDir('ail-damage-data-');
  cpSync(pristine, dataDir, { recursive: true });
  damage(indexDir(dataDir));
  return dataDir;
}

describe('ail validate and ail index on a damaged commit index', () => {
  it.each(DAMAGES)('$name: validate says so and rebuilds, index says so and rebuilds, a search works', async ({ damage, reason }) => {
    const dataDir = damaged(damage);
    const dir = indexDir(dataDir);

    const validate = await runCli(['validate'], { cwd: fixture.root, env: env(dataDir) });
    expect(validate.code).toBe(0); // not 139: no SIGSEGV
    const lines = validate.stdout.trim().split('\n');
    expect(lines.find((line) => line.includes(' index '))).toBe(`ok   index      40 commits in ${dir}; the stored index could not be used (${reason}), so it was rebuilt`);
    expect(lines).toContain(`ok   search     HEAD's message finds HEAD (similarity 1.000)`);
    expect(lines.at(-1)).toBe('6 checks passed, 0 failed');

    damage(dir);
    const index = await runCli(['index'], { cwd: fixture.root, env: env(dataDir) });
    expect(index.code).toBe(0);
    expect(index.stderr.split('\n').find((line) => line.includes('could not be used'))).toBe(`ail: the stored index could not be used (${reason}), so it was rebuilt`);
    expect(index.stdout).toMatch(new RegExp(`^rebuilt the commit index of ${escape(fixture.root)}: 40 commits \\(40 embedded now\\) with lexical-v1-384 in [0-9.]+ s\\n`));

    const again = await runCli(['validate'], { cwd: fixture.root, env: env(dataDir) });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`ok   index      40 commits, loaded, in ${dir}\n`);
    expect(again.stdout).toContain(`ok   search     HEAD's message finds HEAD (similarity 1.000)\n`);
  });
});

describe('the structural check on the real modules', () => {
  it.each(STRUCTURE)('refuses $name before hnswlib reads it', async ({ damage, reason }) => {
    const dir = indexDir(damaged(damage));
    expect(await verifyIndex(dir, { embedder: 'lexical-v1-384', dimension: DIMENSION })).toEqual({ kind: 'invalid', reason });
  });

  it('passes a sound file however it is cut into chunks', () => {
    const bytes = readFileSync(path.join(indexDir(pristine), INDEX_FILE));
    for (const size of [1, 3, 4, 97, 4096, bytes.length]) {
      const check = new HnswFileCheck({ dimension: DIMENSION, elements: COUNT, space: 'cosine' }, bytes.length);
      for (let offset = 0; offset < bytes.length; offset += size) check.push(bytes.subarray(offset, offset + size));
      expect(check.finish(), `chunks of ${size} bytes`).toEqual({ kind: 'sound' });
    }
  });
});

describe('the language server on a damaged commit index', () => {
  it('rebuilds it in the background, logs why, and answers from it', async () => {
    const dataDir = damaged(DAMAGES[0]!.damage);
    const client = await TestClient.start(fixture.root, env(dataDir));
    try {
      await client.status((status) => status.index.state === 'ready' && status.index.commits === COUNT);
      expect(client.logs.find((line) => line.includes('index-rebuilt'))).toBe(`AIL: index ${path.basename(fixture.root)}: commit index: index-rebuilt: ${DAMAGES[0]!.reason}`);
      const context = await client.connection.sendRequest(ContextRequest.type, {
        textDocument: { uri: pathToFileURL(fixture.path('notes.txt')).href },
        range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
        question: 'why do we hash passwords with bcrypt?',
      });
      expect(context.evidence.some((evidence) => evidence.commit.subject.startsWith('Hash passwords with bcrypt') && evidence.reasons.includes('semantic'))).toBe(true);
    } finally {
      await client.stop();
    }
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
