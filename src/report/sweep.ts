/**
 * Batch sweeps: where a kernel's time stops being flat in the batch size B (decode GEMV at B = 1…64,
 * cases whose ids differ only in their `b=` field). At small B the weights' stream sets the time and it
 * barely grows with B; past the ridge it grows linearly at the kernel's compute roof. The summary names
 * both readings of the ridge from the measured results alone:
 *   - the knee: the largest B up to which every measured time is within FLAT_TOLERANCE of the B = 1 time;
 *   - the kernel's own ridge: its best FLOP rate in the sweep over the measured copy ceiling, an
 *     intensity (FLOP per counted byte), and the B at which the sweep's intensity reaches it;
 *   - the hardware ridge: the measured FMA ceiling (f16 for f16 cases, else f32) over the copy
 *     ceiling, and its B, when the run measured both ceilings.
 * B at an intensity is interpolated linearly between the sweep's measured (B, intensity) points and
 * extrapolated from the last two (intensity grows about linearly in B while the weights dominate the bytes).
 */
import type { CaseResult, ResultsDoc } from './schema';

/** A time within this fraction above the B = 1 time still counts as flat. */
export const FLAT_TOLERANCE = 0.2;

export interface BatchSweep {
  /** The case id with its `b=` field removed, e.g. gemv/rowset/f32/n=8192,k=8192. */
  key: string;
  /** Batch sizes measured, ascending, with median ms and intensity (FLOP per byte). */
  points: { b: number; ms: number; intensity: number; gflops: number }[];
  /** Largest B up to which every time is within FLAT_TOLERANCE of B = 1's. */
  knee: number;
  /** Best GFLOP/s of the sweep and the B that reached it. */
  roofGflops: number;
  roofB: number;
  /** Kernel ridge: roofGflops / copy ceiling (FLOP/B) and the B where the sweep's intensity reaches it; null without a copy ceiling. */
  kernelRidge: { intensity: number; b: number } | null;
  /** Hardware ridge: FMA ceiling / copy ceiling and its B; null unless both ceilings were measured. */
  hardwareRidge: { intensity: number; b: number; fmaGflops: number } | null;
}

const B_FIELD = /(^|[/,])b=(\d+)(?=,|$)/;

/** B of an intensity along the measured points (linear between them, extrapolated past the ends). */
export function batchAt(points: readonly { b: number; intensity: number }[], target: number): number {
  const p = [...points].sort((x, y) => x.b - y.b);
  const first = p[0];
  if (!first) return NaN;
  if (p.length === 1) return (first.b * target) / first.intensity;
  for (let i = 1; i < p.length; i++) {
    const lo = p[i - 1];
    const hi = p[i];
    if (lo && hi && (target <= hi.intensity || i === p.length - 1)) {
      const t = (target - lo.intensity) / (hi.intensity - lo.intensity);
      return lo.b + t * (hi.b - lo.b);
    }
  }
  return NaN;
}

/** Every batch sweep in the document: groups of ≥ 3 verified cases that differ only in b, one of them b = 1. */
export function batchSweeps(doc: ResultsDoc): BatchSweep[] {
  const groups = new Map<string, CaseResult[]>();
  for (const r of doc.results) {
    if (r.status !== 'ok' || r.time === null || r.flops <= 0 || r.bytes <= 0 || !B_FIELD.test(r.id)) continue;
    const key = r.id.replace(B_FIELD, (_m, pre: string) => pre).replace(/,$/, '').replace(/\/,/, '/');
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const copy = doc.ceilings.copy_gbps;
  const out: BatchSweep[] = [];
  for (const [key, rs] of groups) {
    const points = rs
      .map((r) => ({ b: Number(B_FIELD.exec(r.id)?.[2]), ms: r.time?.median_ms ?? NaN, intensity: r.flops / r.bytes, gflops: r.gflops ?? 0 }))
      .sort((x, y) => x.b - y.b);
    const one = points.find((p) => p.b === 1);
    if (points.length < 3 || !one) continue;
    // The flat prefix: every B up to the knee within the tolerance.
    const firstOver = points.findIndex((p) => p.ms > one.ms * (1 + FLAT_TOLERANCE));
    const knee = (firstOver < 0 ? points[points.length - 1] : points[firstOver - 1])?.b ?? 1;
    const top = points.reduce((a, p) => (p.gflops > a.gflops ? p : a), one);
    const kernelRidge = copy ? { intensity: top.gflops / copy, b: batchAt(points, top.gflops / copy) } : null;
    const fma = rs[0]?.dtype.startsWith('f16') ? doc.ceilings.fma_f16_gflops : doc.ceilings.fma_f32_gflops;
    const hardwareRidge = copy && fma ? { intensity: fma / copy, b: batchAt(points, fma / copy), fmaGflops: fma } : null;
    out.push({ key, points, knee, roofGflops: top.gflops, roofB: top.b, kernelRidge, hardwareRidge });
  }
  return out;
}

const f3 = (x: number): string => (Number.isFinite(x) ? x.toPrecision(3) : '—');

/** One line per sweep, for the console and the Markdown report. */
export function describeSweeps(doc: ResultsDoc): string[] {
  return batchSweeps(doc).map((s) => {
    const parts = [
      `batch sweep ${s.key} (B = ${s.points.map((p) => p.b).join(', ')}): time within ${100 * FLAT_TOLERANCE}% of B = 1 up to B = ${s.knee}`,
      `best ${f3(s.roofGflops / 1000)} TFLOP/s at B = ${s.roofB}`,
    ];
    if (s.kernelRidge) parts.push(`kernel ridge ${f3(s.kernelRidge.intensity)} FLOP/B (best rate ÷ copy ceiling) ≈ B ${f3(s.kernelRidge.b)}`);
    if (s.hardwareRidge) parts.push(`hardware ridge ${f3(s.hardwareRidge.intensity)} FLOP/B (FMA ceiling ${f3(s.hardwareRidge.fmaGflops / 1000)} TFLOP/s ÷ copy) ≈ B ${f3(s.hardwareRidge.b)}`);
    return parts.join('; ');
  });
}
