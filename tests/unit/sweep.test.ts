import { describe, expect, it } from 'vitest';
import type { CaseResult, ResultsDoc } from '../../src/report/schema';
import { batchAt, batchSweeps, describeSweeps } from '../../src/report/sweep';
import { toMarkdown } from '../../src/report/format';

/** A GEMV-like case: weights of 100 MB, time flat to B = 4 then linear at 10 TFLOP/s. */
function gemvCase(b: number, ms: number): CaseResult {
  const flops = 2 * 8192 * 8192 * b;
  const bytes = 100e6 + 65536 * b;
  return {
    id: `gemv/rowset/f32/n=8192,k=8192,b=${b}`, family: 'gemv', variant: 'rowset', dtype: 'f32', phase: 'decode', shape: { n: 8192, k: 8192, b },
    flops, bytes, status: 'ok', time: { median_ms: ms, p10_ms: ms, p90_ms: ms, samples: 30, batch: 10 }, gflops: flops / (ms * 1e6), gbps: bytes / (ms * 1e6), clock: 'timestamp', verification: null,
  };
}

function doc(results: CaseResult[], fma: number | null): ResultsDoc {
  return {
    schema: 'pdbench/results@1',
    context: {
      suite_version: '0', date: '2026-11-25T00:00:00Z', seed: 1, preset: 'full', runtime: { kind: 'node' },
      device: { vendor: 'v', architecture: 'a', device: 'd', description: '', software: false },
      features: [], limits: {}, timer: { kind: 'timestamp', resolution_ns: 32, quantized: false }, peaks: null,
    },
    ceilings: { copy_gbps: 3000, fma_f32_gflops: fma, fma_f16_gflops: null },
    results,
  } as unknown as ResultsDoc;
}

describe('batch sweeps', () => {
  const times: [number, number][] = [[1, 0.034], [2, 0.035], [4, 0.036], [8, 0.06], [16, 0.11], [32, 0.22], [64, 0.43]];
  const results = times.map(([b, ms]) => gemvCase(b, ms));

  it('finds the flat prefix, the best rate and the two ridges along the measured intensities', () => {
    const [s, ...rest] = batchSweeps(doc(results, 60000));
    expect(rest).toHaveLength(0);
    expect(s?.key).toBe('gemv/rowset/f32/n=8192,k=8192');
    expect(s?.knee).toBe(4);
    expect(s?.roofB).toBe(64);
    // 2·8192²·64 FLOP in 0.43 ms = 20.0 TFLOP/s; ÷ 3000 GB/s = 6.66 FLOP/B, reached between B = 4 and 8
    // (intensity ≈ 1.34·B here: 100 MB of weights).
    expect(s?.roofGflops).toBeCloseTo(19975, -1);
    expect(s?.kernelRidge?.intensity).toBeCloseTo(6.658, 2);
    expect(s?.kernelRidge?.b).toBeGreaterThan(4);
    expect(s?.kernelRidge?.b).toBeLessThan(8);
    expect(s?.hardwareRidge?.intensity).toBe(20);
    expect(s?.hardwareRidge?.b).toBeGreaterThan(8);
    expect(s?.hardwareRidge?.b).toBeLessThan(16);
  });

  it('says nothing without B = 1 or with fewer than three batch sizes, and skips ridges it cannot compute', () => {
    expect(batchSweeps(doc(results.slice(1), 60000))).toHaveLength(0);
    expect(batchSweeps(doc(results.slice(0, 2), 60000))).toHaveLength(0);
    const [s] = batchSweeps(doc(results, null));
    expect(s?.hardwareRidge).toBeNull();
    expect(s?.kernelRidge).not.toBeNull();
  });

  it('interpolates B between measured intensities and extrapolates past them', () => {
    const pts = [{ b: 1, intensity: 0.5 }, { b: 2, intensity: 1 }, { b: 4, intensity: 2 }];
    expect(batchAt(pts, 1.5)).toBe(3);
    expect(batchAt(pts, 4)).toBe(8);
    expect(batchAt(pts, 0.25)).toBe(0.5);
  });

  it('states each sweep in the Markdown report', () => {
    const lines = describeSweeps(doc(results, 60000));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/batch sweep gemv\/rowset\/f32\/n=8192,k=8192 \(B = 1, 2, 4, 8, 16, 32, 64\): time within 20% of B = 1 up to B = 4; best 20.0 TFLOP\/s at B = 64; kernel ridge 6.66 FLOP\/B/);
    expect(toMarkdown(doc(results, 60000))).toContain('- batch sweep gemv/rowset/f32/n=8192,k=8192');
  });
});
