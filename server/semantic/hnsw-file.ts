/**
 * The structure of an HNSW index file as hnswlib-node 3.0.0 writes it (`writeIndex`, hnswlib's
 * `saveIndex`), checked before hnswlib reads it. hnswlib trusts its file: it follows whatever neighbour
 * ids and counts it finds, so a file that is well formed on the outside but damaged inside (a bug, a
 * bit flip before the write, with a checksum computed over the damage) loads without complaint and
 * then crashes the process with SIGSEGV on the first search. Every field hnswlib will follow is
 * checked here first.
 *
 * The layout, in the machine's byte order (little-endian wherever Node and hnswlib-node run):
 *
 * - a 96-byte header: offsetLevel0, maxElements (capacity), count, sizePerElement, labelOffset,
 *   dataOffset (each a u64), maxLevel (i32), entryPoint (u32), maxM, maxM0, M (u64), mult (f64),
 *   efConstruction (u64);
 * - level 0: `count` records of `sizePerElement` bytes, each a u32 list header (low 16 bits: the
 *   number of neighbours; bit 16: the deleted mark), `maxM0` neighbour ids (u32), the vector
 *   (`dimension` f32) and the label (u64);
 * - then, per element, a u32 byte length and that many bytes of upper-level lists: one per level
 *   above 0, each a u32 list header and `maxM` neighbour ids.
 *
 * The check streams: the caller pushes the file's bytes as it reads them (and hashes the same
 * chunks), so a large index is read once and never held in memory whole.
 */

export type HnswSpace = 'cosine' | 'ip' | 'l2';

export interface HnswExpectation {
  /** The vectors' dimension. */
  dimension: number;
  /** How many elements the file must hold; labels must be 0 to elements − 1, each used once. */
  elements: number;
  /** 'cosine' stores unit vectors (hnswlib-node normalizes them), so their length is checked too. */
  space: HnswSpace;
}

export type HnswVerdict = { kind: 'sound' } | { kind: 'damaged'; problem: string };

export const HNSW_HEADER_BYTES = 96;

/** hnswlib caps M at 10,000. */
const MAX_M = 10_000;
/** A level is −ln(u)·mult with u a double ≥ 2⁻⁵³, so ≤ 36.8·mult: 53 at M = 2, 13 at M = 16. */
const MAX_LEVEL = 64;
/** A vector hnswlib-node normalized: length 1 up to float rounding, or 0 (a zero vector is left as it is). */
const UNIT_TOLERANCE = 1e-3;
/**
 * The largest capacity an honest file has: hnswlib allocates memory for every slot of the capacity
 * when it loads, so a damaged one could ask for terabytes. The commit index grows its capacity by a
 * tenth (at least 256) and trims any excess before it saves.
 */
export function maxCapacity(elements: number): number {
  return 2 * elements + 1024;
}

interface Header {
  capacity: number;
  count: number;
  sizePerElement: number;
  labelOffset: number;
  dataOffset: number;
  maxLevel: number;
  entryPoint: number;
  maxM: number;
  maxM0: number;
}

type Phase = 'header' | 'level0' | 'upperSize' | 'upper' | 'end';

/**
 * Checks one file pushed through it in chunks; `finish` gives the verdict. Never throws: anything
 * unexpected is a damaged verdict that says so. Cost: one pass over the bytes, with a few comparisons
 * per neighbour and a multiply-add per vector value.
 */
export class HnswFileCheck {
  private problem: string | undefined;
  private phase: Phase = 'header';
  /** The bytes of the record being gathered, in a buffer of its own so that typed views are aligned. */
  private scratch = new ArrayBuffer(HNSW_HEADER_BYTES);
  private bytes = new Uint8Array(this.scratch);
  private words = new Uint32Array(this.scratch);
  private floats = new Float32Array(this.scratch);
  private need = HNSW_HEADER_BYTES;
  private filled = 0;
  private read = 0;
  private trailing = 0;
  private element = 0;
  private header: Header | undefined;
  private levels = new Uint8Array(0);
  /** For each label, 1 + the element that has it (0: unused yet). */
  private labelOwner = new Uint32Array(0);
  /** (element, level, neighbour) for every upper-level link, checked once every element's level is known. */
  private upperLinks = new Uint32Array(3 * 1024);
  private upperLinkCount = 0;

  constructor(
    private readonly expected: HnswExpectation,
    /** The file's size, for the length check before anything is read past the header. */
    private readonly fileSize: number,
  ) {}

  push(chunk: Uint8Array): void {
    try {
      let offset = 0;
      while (offset < chunk.length && this.problem === undefined) {
        if (this.phase === 'end') {
          this.trailing += chunk.length - offset;
          return;
        }
        if (this.phase === 'upperSize' && this.filled === 0 && chunk.length - offset >= 4) {
          // Most elements have no upper levels: their 4-byte size is read in place, not gathered.
          const size = (chunk[offset]! | (chunk[offset + 1]! << 8) | (chunk[offset + 2]! << 16) | (chunk[offset + 3]! << 24)) >>> 0;
          offset += 4;
          this.read += 4;
          this.sizeRead(size);
          continue;
        }
        const take = Math.min(this.need - this.filled, chunk.length - offset);
        this.bytes.set(chunk.subarray(offset, offset + take), this.filled);
        this.filled += take;
        this.read += take;
        offset += take;
        if (this.filled === this.need) {
          this.filled = 0;
          this.consume();
        }
      }
    } catch (error) {
      this.problem ??= `the file could not be checked: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  finish(): HnswVerdict {
    try {
      if (this.problem === undefined) this.problem = this.finalProblem();
    } catch (error) {
      this.problem = `the file could not be checked: ${error instanceof Error ? error.message : String(error)}`;
    }
    return this.problem === undefined ? { kind: 'sound' } : { kind: 'damaged', problem: this.problem };
  }

  private consume(): void {
    switch (this.phase) {
      case 'header':
        this.problem = this.readHeader();
        return;
      case 'level0':
        this.problem = this.checkLevel0(this.element);
        if (++this.element === this.header!.count) {
          this.element = 0;
          this.expect('upperSize', 4);
        }
        return;
      case 'upperSize':
        this.sizeRead(this.words[0]!);
        return;
      case 'upper':
        this.problem = this.checkUpper(this.element);
        this.nextElement();
        return;
      case 'end':
        return;
    }
  }

  /** An element's upper-level byte count, gathered or read in place. */
  private sizeRead(size: number): void {
    this.problem = this.checkUpperSize(this.element, size);
    if (this.problem === undefined && size > 0) this.expect('upper', size);
    else this.nextElement();
  }

  private nextElement(): void {
    if (++this.element === this.header!.count) this.phase = 'end';
    else this.expect('upperSize', 4);
  }

  private expect(phase: Phase, bytes: number): void {
    this.phase = phase;
    this.need = bytes;
    if (bytes > this.scratch.byteLength) {
      this.scratch = new ArrayBuffer(Math.ceil(bytes / 4) * 4);
      this.bytes = new Uint8Array(this.scratch);
      this.words = new Uint32Array(this.scratch);
      this.floats = new Float32Array(this.scratch);
    }
  }

  private readHeader(): string | undefined {
    const view = new DataView(this.scratch, 0, HNSW_HEADER_BYTES);
    const size = (offset: number) => {
      const value = view.getBigUint64(offset, true);
      return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(value);
    };
    const offsetLevel0 = size(0);
    const capacity = size(8);
    const count = size(16);
    const sizePerElement = size(24);
    const labelOffset = size(32);
    const dataOffset = size(40);
    const maxLevel = view.getInt32(48, true);
    const entryPoint = view.getUint32(52, true);
    const maxM = size(56);
    const maxM0 = size(64);
    const M = size(72);
    const mult = view.getFloat64(80, true);
    const efConstruction = size(88);
    const { dimension, elements } = this.expected;

    if (count !== elements) return `the header says ${describe(count)} elements, not the ${elements} expected`;
    if (offsetLevel0 !== 0) return `the header's level-0 offset is ${describe(offsetLevel0)}, not 0`;
    if (!(M >= 2 && M <= MAX_M) || maxM !== M || maxM0 !== 2 * M) {
      return `the header's M (${describe(M)}), maxM (${describe(maxM)}) and maxM0 (${describe(maxM0)}) are not M, M and 2M`;
    }
    const expectedData = 4 + 4 * maxM0;
    if (dataOffset !== expectedData || labelOffset !== expectedData + 4 * dimension || sizePerElement !== labelOffset + 8) {
      return `the header's element layout (${describe(sizePerElement)} bytes, vector at ${describe(dataOffset)}, label at ${describe(labelOffset)}) does not hold ${dimension}-dimensional vectors with M ${M}`;
    }
    if (!(Math.abs(mult * Math.log(M) - 1) < 1e-9)) return `the header's level multiplier ${mult} is not 1/ln(M) for M ${M}`;
    if (efConstruction < M || !Number.isFinite(efConstruction)) return `the header's efConstruction ${describe(efConstruction)} is below M ${M}`;
    if (capacity < count || capacity > maxCapacity(count)) return `the header's capacity ${describe(capacity)} does not fit its ${count} elements`;
    if (count === 0) {
      if (maxLevel !== -1 || entryPoint !== 0xffffffff) return `the header of an empty index names top level ${maxLevel} and entry point ${entryPoint}`;
    } else {
      if (maxLevel < 0 || maxLevel > MAX_LEVEL) return `the header's top level ${maxLevel} is out of range (0 to ${MAX_LEVEL})`;
      if (entryPoint >= count) return `the header's entry point ${entryPoint} is not one of its ${count} elements`;
    }
    const least = HNSW_HEADER_BYTES + count * (sizePerElement + 4);
    if (this.fileSize < least) return `the file is ${this.fileSize} bytes, too short for the ${count} elements its header declares (at least ${least})`;

    this.header = { capacity, count, sizePerElement, labelOffset, dataOffset, maxLevel, entryPoint, maxM, maxM0 };
    this.levels = new Uint8Array(count);
    this.labelOwner = new Uint32Array(count);
    if (count === 0) this.phase = 'end';
    else this.expect('level0', sizePerElement);
    return undefined;
  }

  private checkLevel0(element: number): string | undefined {
    const { count, maxM0, dataOffset, labelOffset } = this.header!;
    const words = this.words;
    const listHeader = words[0]!;
    const flags = listHeader >>> 16;
    if (flags === 1) return `element ${element} is marked deleted (the commit index never deletes)`;
    if (flags !== 0) return `element ${element}'s level-0 list header has flag bits hnswlib never sets (0x${flags.toString(16)})`;
    const links = listHeader & 0xffff;
    if (links > maxM0) return `element ${element} has ${links} neighbours at level 0, more than the ${maxM0} allowed`;
    for (let i = 1; i <= links; i++) {
      const neighbour = words[i]!;
      if (neighbour >= count) return `element ${element} names neighbour ${neighbour} at level 0, past the last element (${count - 1})`;
      if (neighbour === element) return `element ${element} names itself as a neighbour at level 0`;
    }

    const floats = this.floats;
    const start = dataOffset >>> 2;
    const end = start + this.expected.dimension;
    let sum = 0;
    for (let i = start; i < end; i++) {
      const value = floats[i]!;
      sum += value * value;
    }
    // A float32 squared cannot overflow a double: the sum is finite exactly when every value is.
    if (!Number.isFinite(sum)) return `element ${element}'s vector holds a value that is not a finite number`;
    if (this.expected.space === 'cosine' && sum !== 0 && Math.abs(sum - 1) > UNIT_TOLERANCE) {
      return `element ${element}'s vector has length ${Math.sqrt(sum).toPrecision(4)}, where cosine vectors are stored at length 1`;
    }

    const low = words[labelOffset >>> 2]!;
    const high = words[(labelOffset >>> 2) + 1]!;
    if (high !== 0 || low >= this.expected.elements) {
      return `element ${element} has label ${high * 2 ** 32 + low}, past the last of the ${this.expected.elements} expected`;
    }
    const owner = this.labelOwner[low]!;
    if (owner !== 0) return `elements ${owner - 1} and ${element} both have label ${low}`;
    this.labelOwner[low] = element + 1;
    return undefined;
  }

  private checkUpperSize(element: number, size: number): string | undefined {
    const { maxM, maxLevel } = this.header!;
    const perLevel = 4 + 4 * maxM;
    if (size % perLevel !== 0) return `element ${element}'s upper-level lists take ${size} bytes, not a whole number of ${perLevel}-byte levels`;
    const level = size / perLevel;
    if (level > maxLevel) return `element ${element} reaches level ${level}, above the header's top level ${maxLevel}`;
    this.levels[element] = level;
    return undefined;
  }

  private checkUpper(element: number): string | undefined {
    const { count, maxM } = this.header!;
    const words = this.words;
    const perLevel = 1 + maxM;
    const levels = this.levels[element]!;
    for (let level = 1; level <= levels; level++) {
      const base = (level - 1) * perLevel;
      const listHeader = words[base]!;
      if (listHeader >>> 16 !== 0) return `element ${element}'s level-${level} list header has flag bits hnswlib never sets (0x${(listHeader >>> 16).toString(16)})`;
      const links = listHeader & 0xffff;
      if (links > maxM) return `element ${element} has ${links} neighbours at level ${level}, more than the ${maxM} allowed`;
      for (let i = 1; i <= links; i++) {
        const neighbour = words[base + i]!;
        if (neighbour >= count) return `element ${element} names neighbour ${neighbour} at level ${level}, past the last element (${count - 1})`;
        if (neighbour === element) return `element ${element} names itself as a neighbour at level ${level}`;
        this.addUpperLink(element, level, neighbour);
      }
    }
    return undefined;
  }

  private addUpperLink(element: number, level: number, neighbour: number): void {
    if (this.upperLinkCount + 3 > this.upperLinks.length) {
      const grown = new Uint32Array(this.upperLinks.length * 2);
      grown.set(this.upperLinks);
      this.upperLinks = grown;
    }
    this.upperLinks[this.upperLinkCount++] = element;
    this.upperLinks[this.upperLinkCount++] = level;
    this.upperLinks[this.upperLinkCount++] = neighbour;
  }

  /** What only the whole file can tell: its end, the entry point's level, and the levels upper links lead to. */
  private finalProblem(): string | undefined {
    if (this.phase !== 'end') {
      switch (this.phase) {
        case 'header':
          return `the file is ${this.read} bytes, shorter than its ${HNSW_HEADER_BYTES}-byte header`;
        case 'level0':
          return `the file ends inside element ${this.element}'s level-0 record`;
        default:
          return `the file ends inside element ${this.element}'s upper-level lists`;
      }
    }
    if (this.trailing > 0) return `the file has ${this.trailing} bytes after its last element`;
    const header = this.header!;
    if (header.count === 0) return undefined;
    if (this.levels[header.entryPoint] !== header.maxLevel) {
      return `the entry point ${header.entryPoint} reaches level ${this.levels[header.entryPoint]}, not the header's top level ${header.maxLevel}`;
    }
    const links = this.upperLinks;
    for (let i = 0; i < this.upperLinkCount; i += 3) {
      const [element, level, neighbour] = [links[i]!, links[i + 1]!, links[i + 2]!];
      if (this.levels[neighbour]! < level) {
        return `element ${element} names neighbour ${neighbour} at level ${level}, which reaches only level ${this.levels[neighbour]}`;
      }
    }
    return undefined;
  }
}

function describe(value: number): string {
  return Number.isFinite(value) ? String(value) : 'a number beyond 2^53';
}
