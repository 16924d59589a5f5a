import { HierarchicalNSW } from 'hnswlib-node';
import type { ArchaeologyContext } from '../../shared/types';
import type { Embedder } from '../semantic/embedder';
import { guardConflict, signatureOf, type QuestionSignature } from './guards';

/** Where a cached answer applies: the same work tree, HEAD, file and text. */
export interface AnswerScope {
  root: string;
  head: string;
  file: string;
  /** `blob:<sha>` or `text:<sha256>`. */
  text: string;
  /** 0-based inclusive, undefined for the whole file. */
  lines?: { start: number; end: number };
  /** A quick answer (blame only) never stands in for a full one. */
  depth: 'quick' | 'full';
}

export interface SemanticHit {
  answer: ArchaeologyContext;
  similarity: number;
  cachedQuestion: string;
}

interface Entry {
  label: number;
  scope: AnswerScope;
  question: string;
  signature: QuestionSignature;
  answer: ArchaeologyContext;
}

export interface SemanticCacheOptions {
  capacity: number;
  /** Cosine similarity a paraphrase needs. */
  threshold: number;
}

const NEIGHBOURS = 8;

/**
 * L2: answers by question similarity. Question embeddings live in an HNSW index (cosine); a hit needs
 * the same scope (work tree, HEAD, file, text, depth), overlapping lines that are nearly the same
 * (intersection over union at least MIN_LINE_OVERLAP), a similarity at or above the
 * threshold, and the guards (intent, direction, transitions, identifiers, numbers). At capacity the
 * least recently used entry is marked deleted and its slot reused. Vectors of one embedder only: a
 * different embedder empties the cache.
 */
export class SemanticCache {
  private index: HierarchicalNSW | undefined;
  private embedderId: string | undefined;
  private readonly entries = new Map<number, Entry>(); // by label, least recently used first
  private nextLabel = 0;

  constructor(private options: SemanticCacheOptions) {}

  get size(): number {
    return this.entries.size;
  }

  get capacity(): number {
    return this.options.capacity;
  }

  get threshold(): number {
    return this.options.threshold;
  }

  /** New capacity or threshold; a smaller capacity drops the least recently used entries. */
  configure(options: SemanticCacheOptions): void {
    const shrink = options.capacity < this.options.capacity;
    this.options = options;
    if (shrink) this.clear();
  }

  /** Drops every entry and the index itself, releasing its memory. Returns how many entries were dropped. */
  clear(): number {
    const count = this.entries.size;
    this.entries.clear();
    this.index = undefined;
    this.embedderId = undefined;
    this.nextLabel = 0;
    return count;
  }

  async lookup(embedder: Embedder, scope: AnswerScope, question: string, signal?: AbortSignal): Promise<SemanticHit | undefined> {
    if (!this.index || this.embedderId !== embedder.id || this.entries.size === 0) return undefined;
    const [vector] = await embedder.embed([question], signal);
    return this.lookupVector(embedder.id, vector!, scope, question);
  }

  /** The lookup proper, for a question already embedded by the embedder `embedderId`. */
  lookupVector(embedderId: string, vector: Float32Array, scope: AnswerScope, question: string): SemanticHit | undefined {
    if (!this.index || this.embedderId !== embedderId || this.entries.size === 0) return undefined;
    const signature = signatureOf(question);
    const k = Math.min(NEIGHBOURS, this.entries.size);
    const inScope = (label: number) => {
      const entry = this.entries.get(label);
      return entry !== undefined && sameScope(entry.scope, scope);
    };
    const { neighbors, distances } = this.index.searchKnn(Array.from(vector), k, inScope);
    for (let i = 0; i < neighbors.length; i++) {
      const similarity = 1 - distances[i]!;
      if (similarity < this.options.threshold) break;
      const entry = this.entries.get(neighbors[i]!)!;
      if (guardConflict(entry.signature, signature)) continue;
      this.entries.delete(entry.label);
      this.entries.set(entry.label, entry); // most recently used last
      return { answer: entry.answer, similarity: Math.round(similarity * 10_000) / 10_000, cachedQuestion: entry.question };
    }
    return undefined;
  }

  async add(embedder: Embedder, scope: AnswerScope, question: string, answer: ArchaeologyContext, signal?: AbortSignal): Promise<void> {
    const [vector] = await embedder.embed([question], signal);
    this.addVector(embedder, vector!, scope, question, answer);
  }

  addVector(embedder: Embedder, vector: Float32Array, scope: AnswerScope, question: string, answer: ArchaeologyContext): void {
    if (this.options.capacity < 1) return;
    if (!this.index || this.embedderId !== embedder.id) {
      this.clear();
      this.index = new HierarchicalNSW('cosine', embedder.dimension);
      this.index.initIndex(this.options.capacity, 16, 100, 42, true);
      this.embedderId = embedder.id;
    }
    let replace = false;
    if (this.entries.size >= this.options.capacity) {
      const oldest = this.entries.values().next().value as Entry;
      this.index.markDelete(oldest.label);
      this.entries.delete(oldest.label);
      replace = true;
    }
    const label = this.nextLabel++;
    this.index.addPoint(Array.from(vector), label, replace);
    this.entries.set(label, { label, scope, question, signature: signatureOf(question), answer });
  }
}

/** How much two line ranges must share (intersection over union) for one's answer to serve the other. */
export const MIN_LINE_OVERLAP = 0.8;

function sameScope(a: AnswerScope, b: AnswerScope): boolean {
  if (a.root !== b.root || a.head !== b.head || a.file !== b.file || a.text !== b.text || a.depth !== b.depth) return false;
  if (!a.lines || !b.lines) return !a.lines && !b.lines;
  // Overlapping, and nearly the same lines: an answer about lines 1-7 is not an answer about lines 3-6.
  const shared = Math.min(a.lines.end, b.lines.end) - Math.max(a.lines.start, b.lines.start) + 1;
  const union = Math.max(a.lines.end, b.lines.end) - Math.min(a.lines.start, b.lines.start) + 1;
  return shared > 0 && shared / union >= MIN_LINE_OVERLAP;
}
