/** Seeded randomness: the only source of variation, so that a seed always yields the same history. */

/** mulberry32: tiny, fast and good enough for shaping a synthetic history. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Integer in [1, max], skewed towards small values (hunk sizes: mostly a few lines, sometimes many). */
  small(max: number): number {
    const r = this.next();
    return 1 + Math.floor(r * r * max);
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = items[i]!;
      items[i] = items[j]!;
      items[j] = tmp;
    }
    return items;
  }
}

/** Picks indices with probability proportional to fixed weights (binary search over the cumulative sum). */
export class WeightedPicker {
  private readonly cumulative: number[] = [];
  private readonly total: number;

  constructor(weights: readonly number[]) {
    let sum = 0;
    for (const weight of weights) {
      sum += weight;
      this.cumulative.push(sum);
    }
    this.total = sum;
  }

  pick(random: Random): number {
    const target = random.next() * this.total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cumulative[mid]! > target) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/**
 * Zipf's law over ranks 0..n-1: rank k is drawn with probability proportional to 1/(k+1)^s, so rank 0
 * is the most frequent and a few ranks take most draws, as with the files and lines people ask about.
 */
export class Zipf {
  private readonly picker: WeightedPicker;

  constructor(readonly n: number, readonly s: number) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`a Zipf distribution needs at least one rank, got ${n}`);
    this.picker = new WeightedPicker(Array.from({ length: n }, (_, k) => 1 / (k + 1) ** s));
  }

  /** A rank, 0 (the most frequent) to n-1. */
  sample(random: Random): number {
    return this.picker.pick(random);
  }
}
