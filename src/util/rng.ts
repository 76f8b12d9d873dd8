/**
 * Seeded PRNG (mulberry32): inputs and verification samples are reproducible from the seed that the
 * results document records, in every runtime.
 */
export class Rng {
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
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Float32Array of uniform values in [lo, hi); never all zeros. */
  f32(n: number, lo = -1, hi = 1): Float32Array {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * this.next();
    return a;
  }
  /** `count` distinct sorted indices in [0, n) (all of them when count >= n). */
  sample(n: number, count: number): number[] {
    if (count >= n) return Array.from({ length: n }, (_, i) => i);
    const picked = new Set<number>();
    while (picked.size < count) picked.add(this.int(n));
    return [...picked].sort((a, b) => a - b);
  }
}

/** Derives a per-case seed from the suite seed and the case id, so adding a case changes no other case's data. */
export function seedFor(suiteSeed: number, id: string): number {
  let h = 2166136261 ^ suiteSeed;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return h >>> 0;
}
