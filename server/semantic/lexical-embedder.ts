import { stem, words } from '../archaeology/text';
import { fnv1a } from '../util/hash';
import { normalize, type Embedder } from './embedder';

/** Words that carry no topic: function words, and the filler of questions about code ("what is the reason this code exists"). */
const STOP = new Set(
  `a an the and or but of to in on at by for with from is are was were be been do does did this that it its how what
  why when who which where we our you us there here reason reasons purpose point exist exists existing code line
  lines thing`.split(/\s+/),
);

/**
 * The built-in embedder for when no model can be had: hashed features of words (stemmed, identifiers
 * split), word pairs and character trigrams, signed feature hashing into a fixed dimension. No
 * download, no native code, deterministic. It sees words, not meaning: the semantic cache's guards
 * (intent, direction, identifiers, numbers) do the rest.
 */
export class LexicalEmbedder implements Embedder {
  readonly id: string;

  constructor(readonly dimension = 384) {
    this.id = `lexical-v1-${dimension}`;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    return texts.map((text) => this.embedOne(text));
  }

  embedOne(text: string): Float32Array {
    const vector = new Float32Array(this.dimension);
    const terms = words(text).filter((word) => !STOP.has(word)).map(stem);
    // A question with no topic ("why is this here?") is like every other such question; the cache's guards tell why from who or when.
    if (terms.length === 0) this.add(vector, 'w:', 1);
    for (const term of terms) this.add(vector, `w:${term}`, 1);
    for (let i = 0; i + 1 < terms.length; i++) this.add(vector, `b:${terms[i]} ${terms[i + 1]}`, 0.5);
    for (const term of terms) {
      const padded = ` ${term} `;
      for (let i = 0; i + 3 <= padded.length; i++) this.add(vector, `c:${padded.slice(i, i + 3)}`, 0.25);
    }
    return normalize(vector);
  }

  private add(vector: Float32Array, feature: string, weight: number): void {
    const hash = fnv1a(feature);
    const sign = hash & 0x80000000 ? 1 : -1;
    vector[(hash & 0x7fffffff) % this.dimension]! += sign * weight;
  }
}
