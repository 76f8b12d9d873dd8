/**
 * Verification before timing: the case runs once, its output is compared with the float64
 * reference — every element for small outputs, a seeded random sample for large ones — and the
 * largest errors are recorded. A case that fails reports no speed.
 */
import type { Tolerance } from '../kernels/spec';
import type { Verification } from '../report/schema';
import type { Rng } from '../util/rng';

/** Outputs up to this many elements are checked whole; larger ones by a sample of SAMPLE elements. */
export const FULL_CHECK_MAX = 4096;
export const SAMPLE = 1024;

export function pickIndices(total: number, rng: Rng): number[] {
  return total <= FULL_CHECK_MAX ? rng.sample(total, total) : rng.sample(total, SAMPLE);
}

/**
 * Compares `got` with `reference` elementwise: an element passes when |got − ref| ≤ abs + rel·|ref|.
 * NaN or infinity on either side fails. Relative error is reported over elements with |ref| > abs,
 * where it is meaningful.
 */
export function compare(got: ArrayLike<number>, indices: readonly number[], reference: (i: number) => number, tol: Tolerance, total: number): Verification {
  let maxAbs = 0;
  let maxRel = 0;
  let passed = true;
  for (let k = 0; k < indices.length; k++) {
    const index = indices[k] ?? 0;
    const g = got[k] ?? NaN;
    const r = reference(index);
    if (!Number.isFinite(g) || !Number.isFinite(r)) {
      passed = false;
      maxAbs = Number.MAX_VALUE;
      continue;
    }
    const err = Math.abs(g - r);
    maxAbs = Math.max(maxAbs, err);
    if (Math.abs(r) > tol.abs) maxRel = Math.max(maxRel, err / Math.abs(r));
    if (err > tol.abs + tol.rel * Math.abs(r)) passed = false;
  }
  return { passed, max_abs_err: maxAbs, max_rel_err: maxRel, tolerance: { ...tol }, checked: indices.length, total };
}
