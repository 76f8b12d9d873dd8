/** Order statistics for timing samples. */

/** Linear-interpolated quantile (the R-7 / NumPy default definition), q in [0, 1]. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new Error('quantile of an empty sample');
  if (q < 0 || q > 1) throw new RangeError(`quantile q=${q} outside [0, 1]`);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? NaN;
  const b = sorted[hi] ?? NaN;
  return a + (b - a) * (pos - lo);
}

export interface Summary {
  median: number;
  p10: number;
  p90: number;
  min: number;
  max: number;
  n: number;
}

/** Median, p10, p90, min, max of a sample; NaN and non-finite values are rejected. */
export function summarize(values: readonly number[]): Summary {
  if (values.some((v) => !Number.isFinite(v))) throw new Error('summarize: non-finite sample');
  const s = [...values].sort((a, b) => a - b);
  return {
    median: quantile(s, 0.5),
    p10: quantile(s, 0.1),
    p90: quantile(s, 0.9),
    min: s[0] ?? NaN,
    max: s[s.length - 1] ?? NaN,
    n: s.length,
  };
}

/** Greatest common divisor of non-negative bigints (0 for an empty list). */
export function gcdAll(values: readonly bigint[]): bigint {
  let g = 0n;
  for (let v of values) {
    if (v < 0n) v = -v;
    let a = g;
    let b = v;
    while (b !== 0n) [a, b] = [b, a % b];
    g = a;
  }
  return g;
}
