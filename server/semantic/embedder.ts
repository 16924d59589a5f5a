/**
 * Turns text into unit-length vectors, so that cosine similarity is a dot product. Implementations:
 * the transformers.js model (`transformers-embedder.ts`) and the built-in lexical fallback
 * (`lexical-embedder.ts`). Vectors of different embedders never meet: every index records `id`.
 */
export interface Embedder {
  /** Stable identity of the model and its settings, e.g. `transformers:Xenova/all-MiniLM-L6-v2` or `lexical-v1-384`. */
  readonly id: string;
  readonly dimension: number;
  /** One unit-length vector per text, in order. Throws a CancelledError when the signal aborts. */
  embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]>;
}

/** Progress of a long job (model load, index build): `done` of `total` units, and what is happening. */
export type ProgressReporter = (progress: { done: number; total: number; message: string }) => void;

export function normalize(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const value of vector) sum += value * value;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < vector.length; i++) vector[i]! /= norm;
  return vector;
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot;
}
