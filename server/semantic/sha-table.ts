import { TimeSlicer } from '../util/slices';

/**
 * The commit index's label → sha table (`commits.shas`): label i is the commit id on line i, every
 * line a full commit id in lowercase hex of the repository's one length (40 digits for sha-1, 64 for
 * sha-256), ending in a newline.
 */
export interface ShaTable {
  shas: string[];
  /** sha → label, each sha once. */
  labels: Map<string, number>;
}

const NEWLINE = 0x0a;
/** 1 for the bytes of a lowercase hex digit. */
const HEX = hexDigits();

/**
 * Parses and checks a table read from disk: every line a commit id as long as the indexed head's,
 * no commit twice, the head among them. A problem is returned as a sentence naming the line. The
 * bytes are checked in place (no line is made a string until all are sound); the check and the label
 * map run in 4 ms slices, so a table of 100,000 commits does not hold the event loop.
 */
export async function parseShaTable(bytes: Uint8Array, head: string, file: string): Promise<ShaTable | string> {
  const slicer = new TimeSlicer();
  const problem = await checkLines(bytes, head.length, file, slicer);
  if (problem) return problem;
  // split, not a slice per line: its strings are flat, and hash into the map faster than slices of one string.
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
  const shas = text.length === 0 ? [] : text.slice(0, -1).split('\n');
  const labels = new Map<string, number>();
  for (let label = 0; label < shas.length; label++) {
    const sha = shas[label]!;
    const earlier = labels.get(sha);
    if (earlier !== undefined) return `${file} names ${sha.slice(0, 12)} twice (lines ${earlier + 1} and ${label + 1})`;
    labels.set(sha, label);
    if (slicer.due()) await slicer.rest();
  }
  if (!labels.has(head)) return `${file} does not name the indexed head ${head.slice(0, 12)}`;
  return { shas, labels };
}

/** Every line `digits` lowercase hex digits and a newline, checked on the bytes. */
async function checkLines(bytes: Uint8Array, digits: number, file: string, slicer: TimeSlicer): Promise<string | undefined> {
  const width = digits + 1;
  for (let start = 0; start < bytes.length; start += width) {
    const end = start + digits;
    if (end >= bytes.length) return `${file} is truncated (line ${start / width + 1} has no final newline)`;
    for (let i = start; i < end; i++) if (HEX[bytes[i]!] === 0) return `${file} line ${start / width + 1} is not a commit id`;
    if (bytes[end] !== NEWLINE) return `${file} line ${start / width + 1} is not a commit id`;
    if (slicer.due()) await slicer.rest();
  }
  return undefined;
}

/** The table as it is written: one id and a newline per label. */
export function formatShaTable(shas: readonly string[]): Buffer {
  return Buffer.from(shas.map((sha) => `${sha}\n`).join(''), 'latin1');
}

function hexDigits(): Uint8Array {
  const table = new Uint8Array(256);
  for (const digit of '0123456789abcdef') table[digit.charCodeAt(0)] = 1;
  return table;
}
