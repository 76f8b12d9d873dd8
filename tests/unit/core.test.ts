import { describe, expect, it } from 'vitest';
import { mergeDawnFlags } from '../../bench/dawn';
import { parseCli } from '../../bench/options';
import { PdbError } from '../../src/gpu/errors';
import { dispatch2d } from '../../src/gpu/pipeline';
import { copySpec, fmaF32Spec, fmaReference } from '../../src/kernels/ceilings';
import { caseId, shapeKey } from '../../src/kernels/spec';
import { lookupPeaks } from '../../src/peaks/database';
import { deriveCeilings, ratedMetric, ridge, roof, utilization } from '../../src/report/roofline';
import { gcdAll, quantile, summarize } from '../../src/report/stats';
import { casesFor, compileFilter } from '../../src/suite/registry';
import { compare, pickIndices } from '../../src/suite/verify';
import { fillF16, fillF32, pcg } from '../../src/util/hash';
import { Rng, seedFor } from '../../src/util/rng';
import type { CaseResult, DeviceInfo } from '../../src/report/schema';

describe('stats', () => {
  it('computes R-7 quantiles and summaries', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([10], 0.9)).toBe(10);
    const s = summarize([5, 1, 4, 2, 3, 6, 7, 8, 9, 10]);
    expect(s.median).toBe(5.5);
    expect(s.p10).toBeCloseTo(1.9, 12);
    expect(s.p90).toBeCloseTo(9.1, 12);
    expect(s.n).toBe(10);
    expect(() => summarize([1, NaN])).toThrow(/non-finite/);
    expect(() => quantile([], 0.5)).toThrow(/empty/);
  });
  it('finds the step of a quantized clock', () => {
    expect(gcdAll([100000n, 300000n, 200000n])).toBe(100000n);
    expect(gcdAll([65536n * 3n, 65536n * 7n])).toBe(65536n);
    expect(gcdAll([1234567n, 7654321n])).toBe(1n);
  });
});

describe('seeded data', () => {
  it('is reproducible and seed-dependent', () => {
    const a = new Rng(7).f32(16);
    expect(new Rng(7).f32(16)).toEqual(a);
    expect(new Rng(8).f32(16)).not.toEqual(a);
    expect(a.every((x) => x >= -1 && x < 1)).toBe(true);
    expect(new Set(a).size).toBeGreaterThan(12);
    expect(seedFor(1, 'a')).not.toBe(seedFor(1, 'b'));
  });
  it('samples distinct sorted indices', () => {
    const s = new Rng(3).sample(100000, 1024);
    expect(s).toHaveLength(1024);
    expect(new Set(s).size).toBe(1024);
    expect([...s].sort((x, y) => x - y)).toEqual(s);
    expect(new Rng(3).sample(5, 10)).toEqual([0, 1, 2, 3, 4]);
  });
  it('hash fills are exact values of their formats and spread over [-1, 1)', () => {
    const seed = pcg(42);
    const f32 = Array.from({ length: 4096 }, (_, i) => fillF32(seed, i));
    expect(f32.every((x) => x >= -1 && x < 1 && Math.fround(x) === x)).toBe(true);
    expect(Math.min(...f32)).toBeLessThan(-0.99);
    expect(Math.max(...f32)).toBeGreaterThan(0.99);
    const f16 = Array.from({ length: 4096 }, (_, j) => fillF16(seed, j));
    // f16 in [-1, 1) with 10 fraction bits: multiples of 2^-10.
    expect(f16.every((x) => Number.isInteger(x * 1024))).toBe(true);
    expect(new Set(f16).size).toBeGreaterThan(1000);
    expect(fillF32(seed, 5, 4)).toBe(4 * fillF32(seed, 5));
  });
});

describe('verification', () => {
  it('checks everything when small and a sample when large', () => {
    expect(pickIndices(4096, new Rng(1))).toHaveLength(4096);
    expect(pickIndices(1 << 20, new Rng(1))).toHaveLength(1024);
  });
  it('applies |got - ref| <= abs + rel*|ref| and fails on NaN', () => {
    const ref = (i: number) => i + 1;
    const ok = compare([1, 2.0001, 3], [0, 1, 2], ref, { abs: 0, rel: 1e-4 }, 3);
    expect(ok.passed).toBe(true);
    expect(ok.max_abs_err).toBeCloseTo(1e-4, 12);
    expect(ok.max_rel_err).toBeCloseTo(5e-5, 12);
    expect(compare([1, 2.001, 3], [0, 1, 2], ref, { abs: 0, rel: 1e-4 }, 3).passed).toBe(false);
    expect(compare([1, NaN, 3], [0, 1, 2], ref, { abs: 1, rel: 1 }, 3).passed).toBe(false);
    expect(compare([Infinity], [0], ref, { abs: 1, rel: 1 }, 1).passed).toBe(false);
  });
});

describe('ceiling specs', () => {
  it('count compulsory traffic and FLOPs', () => {
    expect(copySpec.bytes({ bytes: 1024 })).toBe(2048);
    expect(copySpec.flops({ bytes: 1024 })).toBe(0);
    // 16 FMAs per step = 32 FLOP per step per invocation.
    expect(fmaF32Spec.flops({ threads: 1024, steps: 16 })).toBe(1024 * 16 * 32);
  });
  it('FMA reference converges to the fixed point b/(1-a) of each chain', () => {
    const id = 512; // t = 0.5
    let expected = 0;
    for (let lane = 0; lane < 4; lane++) expected += 4 * ((0.25 + 0.25) / (1 - (0.5 + (0.5 + lane) / 16)));
    expect(fmaReference(id, 200, (x) => x)).toBeCloseTo(expected, 9);
    expect(fmaReference(id, 1, (x) => x)).not.toBeCloseTo(expected, 2);
  });
});

describe('case ids and presets', () => {
  it('derive ids from parameters', () => {
    expect(shapeKey({ m: 2048, n: 4096, k: 4096 })).toBe('m=2048,n=4096,k=4096');
    expect(caseId({ family: 'gemm', variant: 'tiled', dtype: 'f32' }, { m: 1, n: 2, k: 3 })).toBe('gemm/tiled/f32/m=1,n=2,k=3');
  });
  it('clamps the copy working set to the device limits', () => {
    const small = casesFor('full', { maxStorageBufferBindingSize: 128 * 1024 * 1024, maxBufferSize: 256 * 1024 * 1024 }, '^ceiling/copy');
    expect(small[0]?.shape.bytes).toBe(128 * 1024 * 1024);
    const big = casesFor('full', { maxStorageBufferBindingSize: 2 ** 31 - 4, maxBufferSize: 2 ** 40 }, '^ceiling/copy');
    expect(big[0]?.shape.bytes).toBe(1024 * 1024 * 1024);
    const ids = casesFor('test', {}).map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
  it('rejects a bad filter with a sentence', () => {
    expect(() => compileFilter('(')).toThrow(PdbError);
    expect(() => compileFilter('(')).toThrow(/not a valid regular expression/);
  });
  it('splits large grids over two dimensions', () => {
    expect(dispatch2d(100, 65535)).toEqual([100, 1]);
    const [x, y] = dispatch2d(262144, 65535);
    expect(x).toBeLessThanOrEqual(65535);
    expect(x * y).toBeGreaterThanOrEqual(262144);
  });
});

describe('command line', () => {
  it('parses options and rejects unknown ones', () => {
    const o = parseCli(['--preset', 'test', '--filter', '^ceiling/', '--trials', '5', '--dawn-flag', 'enable-dawn-features=a'], { PDB_DAWN_FLAGS: 'enable-dawn-features=b' });
    expect(o.preset).toBe('test');
    expect(o.trials).toBe(5);
    expect(o.dawnFlags).toEqual(['enable-dawn-features=b', 'enable-dawn-features=a']);
    expect(o.probe).toBe(true);
    expect(parseCli(['--no-probe']).probe).toBe(false);
    expect(() => parseCli(['--filer', 'x'])).toThrow(/Unknown option '--filer'/);
    expect(() => parseCli(['--preset', 'huge'])).toThrow(/--preset must be one of test, quick, full/);
    expect(() => parseCli(['--filter', '[a-'])).toThrow(/not a valid regular expression/);
    expect(() => parseCli(['--trials', '0'])).toThrow(/--trials needs a whole number/);
    expect(() => parseCli(['--runtime', 'chrome'])).toThrow(/--runtime node/);
    expect(() => parseCli(['stray'])).toThrow(PdbError);
  });
  it('merges Dawn toggles and turns timestamp quantization off', () => {
    expect(mergeDawnFlags(['enable-dawn-features=a,b', 'enable-dawn-features=c', 'x=1'])).toEqual(['x=1', 'enable-dawn-features=a,b,c', 'disable-dawn-features=timestamp_quantization']);
    expect(mergeDawnFlags(['enable-dawn-features=timestamp_quantization'])).toEqual(['enable-dawn-features=timestamp_quantization']);
  });
});

describe('roofline and utilization', () => {
  const gpu: DeviceInfo = { vendor: 'nvidia', architecture: '', device: 'nvidia-h100-80gb-hbm3', description: '', subgroup_min_size: 32, subgroup_max_size: 32, is_fallback: false, software: false };
  const result = (over: Partial<CaseResult>): CaseResult => ({
    id: 'x', family: 'gemv', variant: 'v', dtype: 'f32', phase: 'decode', shape: {}, flops: 2e6, bytes: 4e6, status: 'ok',
    time: { median_ms: 1, p10_ms: 1, p90_ms: 1, samples: 3, batch: 1 }, gflops: 2, gbps: 4, clock: 'timestamp', verification: null, ...over,
  });
  it('knows the H100 and no software adapter', () => {
    expect(lookupPeaks(gpu)?.f32_gflops).toBe(66900);
    expect(lookupPeaks({ ...gpu, device: 'swiftshader', software: true })).toBeNull();
  });
  it('rates below the ridge by bandwidth, above by FLOP/s, and flags over 100%', () => {
    expect(ridge(60000, 3000)).toBe(20);
    expect(roof(1, 60000, 3000)).toBe(3000);
    expect(roof(100, 60000, 3000)).toBe(60000);
    const ceilings = { copy_gbps: 3000, fma_f32_gflops: 60000, fma_f16_gflops: null };
    const peaks = lookupPeaks(gpu);
    const mem = utilization(result({ gbps: 2700 }), ceilings, peaks);
    expect(mem?.metric).toBe('gbps');
    expect(mem?.ofCeiling).toBeCloseTo(0.9, 12);
    expect(mem?.ofPeak).toBeCloseTo(2700 / 3350, 12);
    expect(mem?.suspect).toBe(false);
    const compute = utilization(result({ flops: 1e9, bytes: 1e6, gflops: 30000 }), ceilings, peaks);
    expect(compute?.metric).toBe('gflops');
    expect(compute?.ofCeiling).toBeCloseTo(0.5, 12);
    expect(utilization(result({ gbps: 3300 }), ceilings, peaks)?.suspect).toBe(true);
    expect(utilization(result({ status: 'failed', time: null }), ceilings, peaks)).toBeNull();
  });
  it('rates subgroup-matrix kernels against the matrix-unit peak, with no ceiling', () => {
    const peaks = lookupPeaks(gpu);
    const u = utilization(result({ variant: 'subgroup-matrix', dtype: 'f16', phase: 'prefill', flops: 1e12, bytes: 1e8, gflops: 98940 }), { copy_gbps: 3000, fma_f32_gflops: 60000, fma_f16_gflops: 65000 }, peaks);
    expect(u?.metric).toBe('gflops');
    expect(u?.ofPeak).toBeCloseTo(0.1, 12);
    expect(u?.ofCeiling).toBeNull();
    expect(u?.suspect).toBe(false);
  });
  it('rates by phase when no roof is known', () => {
    expect(ratedMetric({ flops: 1e12, bytes: 1e9, phase: 'prefill', variant: 'tiled' }, null, null)).toBe('gflops');
    expect(ratedMetric({ flops: 1e12, bytes: 1e9, phase: 'decode', variant: 'x' }, null, null)).toBe('gbps');
    expect(ratedMetric({ flops: 0, bytes: 1e9, phase: 'decode', variant: 'x' }, 1, 1)).toBe('gbps');
    // Intensity 1000 FLOP/B is above a 60 TFLOP/s / 3 TB/s ridge of 20 FLOP/B.
    expect(ratedMetric({ flops: 1e12, bytes: 1e9, phase: 'decode', variant: 'x' }, 60000, 3000)).toBe('gflops');
  });
  it('takes ceilings from verified ceiling cases only', () => {
    const c = deriveCeilings([
      result({ phase: 'ceiling', variant: 'copy', gbps: 2000 }),
      result({ phase: 'ceiling', variant: 'copy', gbps: 2500 }),
      result({ phase: 'ceiling', variant: 'copy', gbps: 9999, status: 'failed' }),
    ]);
    expect(c.copy_gbps).toBe(2500);
    expect(c.fma_f32_gflops).toBeNull();
  });
});
