/** Roofline math and utilization against the two denominators: theoretical peak and measured ceiling. */
import type { CaseResult, Ceilings, Peaks } from './schema';

/** Best verified figure of each ceiling kernel. */
export function deriveCeilings(results: readonly CaseResult[]): Ceilings {
  const best = (variant: string, dtype: string, key: 'gbps' | 'gflops'): number | null => {
    const v = results.filter((r) => r.phase === 'ceiling' && r.variant === variant && r.dtype === dtype && r.status === 'ok').map((r) => r[key]);
    const nums = v.filter((x): x is number => x !== null);
    return nums.length > 0 ? Math.max(...nums) : null;
  };
  return { copy_gbps: best('copy', 'f32', 'gbps'), fma_f32_gflops: best('fma', 'f32', 'gflops'), fma_f16_gflops: best('fma', 'f16', 'gflops') };
}

/** Arithmetic intensity, FLOP per byte of compulsory traffic (null when no bytes). */
export function intensity(r: Pick<CaseResult, 'flops' | 'bytes'>): number | null {
  return r.bytes > 0 ? r.flops / r.bytes : null;
}

/** Attainable GFLOP/s at intensity `ai` under a roof of `peakGflops` and a slope of `bwGbps`. */
export function roof(ai: number, peakGflops: number, bwGbps: number): number {
  return Math.min(peakGflops, ai * bwGbps);
}

/** Ridge point: the intensity where the bandwidth slope meets the compute roof (FLOP/byte). */
export function ridge(peakGflops: number, bwGbps: number): number {
  return peakGflops / bwGbps;
}

export interface Utilization {
  /** Which quantity is rated: compute-bound cases by FLOP/s, the rest by bytes/s. */
  metric: 'gflops' | 'gbps';
  /** Fraction of the theoretical peak (null when no peak is known). */
  ofPeak: number | null;
  /** Fraction of the ceiling measured in this session (null when not measured). */
  ofCeiling: number | null;
  /** Over 100% of either denominator: shown, flagged, never clipped. */
  suspect: boolean;
}

/** Kernels on the matrix units (WGSL subgroup matrices): rated against the matrix peak, not the vector one. */
export function usesMatrixUnits(r: Pick<CaseResult, 'variant'>): boolean {
  return r.variant.startsWith('subgroup-matrix');
}

function compPeak(r: Pick<CaseResult, 'dtype' | 'variant'>, peaks: Peaks | null): number | null {
  if (!peaks) return null;
  if (usesMatrixUnits(r)) return peaks.f16_matrix_gflops;
  return r.dtype.startsWith('f16') ? peaks.f16_gflops : peaks.f32_gflops;
}

/**
 * Which figure rates a case: FLOP/s above the ridge of the compute and bandwidth roofs, bytes/s
 * below it; with no roofs known, prefill is rated by FLOP/s and decode by bytes/s.
 */
export function ratedMetric(r: Pick<CaseResult, 'flops' | 'bytes' | 'phase' | 'variant'>, computeRoof: number | null, bandwidthRoof: number | null): 'gflops' | 'gbps' {
  if (r.flops === 0) return 'gbps';
  if (r.bytes === 0) return 'gflops';
  if (r.phase === 'ceiling') return r.variant === 'copy' ? 'gbps' : 'gflops';
  if (computeRoof !== null && bandwidthRoof !== null) return r.flops / r.bytes > ridge(computeRoof, bandwidthRoof) ? 'gflops' : 'gbps';
  return r.phase === 'prefill' ? 'gflops' : 'gbps';
}

/**
 * Rates a result: by FLOP/s when its intensity is above the ridge of the measured ceilings (or the
 * peaks when no ceiling was measured), by bytes/s otherwise.
 */
export function utilization(r: CaseResult, ceilings: Ceilings, peaks: Peaks | null): Utilization | null {
  if (r.status !== 'ok' || r.time === null) return null;
  // No ceiling kernel measures the matrix units, so matrix cases have a peak but no ceiling.
  const fmaCeil = usesMatrixUnits(r) ? null : r.dtype.startsWith('f16') ? ceilings.fma_f16_gflops : ceilings.fma_f32_gflops;
  const computePeak = compPeak(r, peaks);
  const metric = ratedMetric(r, fmaCeil ?? computePeak, ceilings.copy_gbps ?? peaks?.bandwidth_gbps ?? null);
  const value = metric === 'gflops' ? r.gflops : r.gbps;
  if (value === null) return null;
  const peak = metric === 'gflops' ? computePeak : (peaks?.bandwidth_gbps ?? null);
  const ceil = metric === 'gflops' ? fmaCeil : ceilings.copy_gbps;
  const ofPeak = peak ? value / peak : null;
  const ofCeiling = ceil ? value / ceil : null;
  // A ceiling is the best of its own kind, so only other cases can exceed it.
  const overCeiling = r.phase !== 'ceiling' && (ofCeiling ?? 0) > 1;
  return { metric, ofPeak, ofCeiling, suspect: (ofPeak ?? 0) > 1 || overCeiling };
}
