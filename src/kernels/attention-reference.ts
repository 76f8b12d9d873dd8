/**
 * float64 references for attention: softmax(q·Kᵀ/√d)·V over a prefix of keys, for a group of query
 * heads that share one KV head (one pass over K and one over V serves the whole group, which keeps
 * long-context decode references affordable).
 */

/** Row j of K or V as d values (the view may be reused by the caller between calls). */
export type RowFn = (j: number) => ArrayLike<number>;

/**
 * Attention outputs of the query vectors `qs` (each d long) over keys 0 .. count-1, in float64.
 * Returns one d-long output per query.
 */
export function attendGroup(qs: readonly ArrayLike<number>[], count: number, d: number, kRow: RowFn, vRow: RowFn): Float64Array[] {
  const g = qs.length;
  const scale = 1 / Math.sqrt(d);
  const scores = new Float64Array(g * count);
  for (let j = 0; j < count; j++) {
    const k = kRow(j);
    for (let h = 0; h < g; h++) {
      const q = qs[h] ?? [];
      let s = 0;
      for (let c = 0; c < d; c++) s += (q[c] ?? 0) * (k[c] ?? 0);
      scores[h * count + j] = s * scale;
    }
  }
  const sums = new Float64Array(g);
  for (let h = 0; h < g; h++) {
    let mx = -Infinity;
    for (let j = 0; j < count; j++) mx = Math.max(mx, scores[h * count + j] ?? 0);
    let sum = 0;
    for (let j = 0; j < count; j++) {
      const p = Math.exp((scores[h * count + j] ?? 0) - mx);
      scores[h * count + j] = p;
      sum += p;
    }
    sums[h] = sum;
  }
  const out = Array.from({ length: g }, () => new Float64Array(d));
  for (let j = 0; j < count; j++) {
    const v = vRow(j);
    for (let h = 0; h < g; h++) {
      const p = scores[h * count + j] ?? 0;
      const o = out[h] ?? new Float64Array(d);
      for (let c = 0; c < d; c++) o[c] = (o[c] ?? 0) + p * (v[c] ?? 0);
    }
  }
  out.forEach((o, h) => {
    const s = sums[h] ?? 1;
    for (let c = 0; c < d; c++) o[c] = (o[c] ?? 0) / s;
  });
  return out;
}

/** Causal FLOPs of prefill attention: 4·heads·N²·d (QKᵀ and P·V) halved under the mask, as PyTorch and FlashAttention count. */
export function prefillFlops(heads: number, n: number, d: number): number {
  return (4 * heads * n * n * d) / 2;
}

/** Score entries a causal naive prefill touches: the lower triangle with the diagonal, per head. */
export function causalEntries(heads: number, n: number): number {
  return (heads * n * (n + 1)) / 2;
}

/** FLOPs of one decode step: q·Kᵀ and P·V over L keys for every query head. */
export function decodeFlops(heads: number, l: number, d: number): number {
  return 4 * heads * l * d;
}

/**
 * Splits `heads` into groups whose [group, N, N] f32 score matrix fits one storage binding, as even
 * as possible; null when a single head does not fit.
 */
export function naiveHeadGroups(heads: number, n: number, maxBindingBytes: number): { groups: number; perGroup: number } | null {
  const perHead = n * n * 4;
  const fit = Math.min(heads, Math.floor(maxBindingBytes / perHead));
  if (fit < 1) return null;
  const groups = Math.ceil(heads / fit);
  return { groups, perGroup: Math.ceil(heads / groups) };
}

/** Largest divisor of the GQA ratio that is at most `max`: query heads per decode workgroup. */
export function headsPerWorkgroup(group: number, max = 8): number {
  for (let g = Math.min(group, max); g > 1; g--) if (group % g === 0) return g;
  return 1;
}

/**
 * Keys per split-K chunk: the smallest power of two from 64 to 256 that keeps the grid at or
 * under ~1024 workgroups (about 8 per SM on a 132-SM GPU, enough to keep HBM busy) while longer
 * chunks cut the partials the reduce step reads.
 */
export function decodeChunk(l: number, workgroupsPerChunk: number): number {
  let chunk = 64;
  while (chunk < 256 && Math.ceil(l / chunk) * workgroupsPerChunk > 1024) chunk *= 2;
  return chunk;
}
