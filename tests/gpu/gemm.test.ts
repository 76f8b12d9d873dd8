import { describe, expect, it } from 'vitest';
import { SkipCase } from '../../src/gpu/errors';
import { REGBLOCK_F32_CONFIGS, REGBLOCK_F32_NT_CONFIGS, gemmCases, gemmSubgroupMatrixSpec, softwareSubset } from '../../src/kernels/gemm';
import { runSuite } from '../../src/suite/runner';
import { TEST_RUN, testGpu } from './gpu';

describe('gemm on a real WebGPU implementation', () => {
  it('runs the test preset: every variant verified at odd shapes, or skipped with the missing feature named', async () => {
    const ctx = await testGpu();
    const cases = gemmCases('test');
    const t0 = performance.now();
    const doc = await runSuite(ctx, cases, TEST_RUN);
    console.log(`gemm test preset: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    expect(doc.results).toHaveLength(cases.length);
    for (const r of doc.results) {
      const needsF16 = r.variant === 'regblock-hfma' || r.variant === 'subgroup-matrix';
      if (needsF16 && !ctx.features.has('shader-f16')) {
        expect(r.status, r.id).toBe('skipped');
        expect(r.reason, r.id).toMatch(/shader-f16/);
        expect(r.time).toBeNull();
        continue;
      }
      if (r.variant === 'subgroup-matrix' && !ctx.features.has('chromium-experimental-subgroup-matrix')) {
        expect(r.status, r.id).toBe('skipped');
        expect(r.reason, r.id).toMatch(/subgroup-matrix/);
        continue;
      }
      expect(r.status, `${r.id}: ${r.reason ?? ''}`).toBe('ok');
      expect(r.verification?.passed).toBe(true);
      // Outputs of the test shapes are small: every element is compared with the reference.
      expect(r.verification?.checked).toBe(r.verification?.total);
      expect(r.gflops).toBeGreaterThan(0);
      if (r.variant.startsWith('regblock')) {
        // The autotune timed every candidate that verified, and the winner is one of them.
        const tuned = String(r.config?.autotune ?? '');
        const all = r.variant === 'regblock' ? REGBLOCK_F32_NT_CONFIGS : REGBLOCK_F32_CONFIGS;
        const tried = ctx.info.software ? softwareSubset(all) : all;
        if (r.dtype === 'f32') for (const c of tried) expect(tuned).toContain(`${c.label}=`);
        expect(tuned).toContain(`${String(r.config?.tile)}=`);
        // Every candidate tried here fits the adapter and compiles, so each one was verified.
        expect(tuned).not.toMatch(/=(wrong|over-limits|no-pipeline)/);
      }
    }
  }, 240_000);

  it('skips the tensor-core kernel with the reason when no f16→f32 16×16×16 configuration is offered', async () => {
    const ctx = await testGpu();
    const shape = { m: 64, n: 64, k: 64 };
    const without = { ...ctx, subgroupMatrixConfigs: [{ componentType: 'f16', resultComponentType: 'f16', M: 16, N: 16, K: 16 }] };
    expect(() => gemmSubgroupMatrixSpec.check?.(without, shape)).toThrow(SkipCase);
    expect(() => gemmSubgroupMatrixSpec.check?.(without, shape)).toThrow(/no f16→f32 16×16×16 subgroup-matrix configuration \(offered: f16→f16 16×16×16\)/);
    const withIt = { ...without, subgroupMatrixConfigs: [{ componentType: 'f16', resultComponentType: 'f32', M: 16, N: 16, K: 16 }], info: { ...ctx.info, subgroup_min_size: 32, subgroup_max_size: 32 } };
    expect(() => gemmSubgroupMatrixSpec.check?.(withIt, shape)).not.toThrow();
    const wide = { ...withIt, info: { ...ctx.info, subgroup_min_size: 64, subgroup_max_size: 64 } };
    expect(() => gemmSubgroupMatrixSpec.check?.(wide, shape)).toThrow(/subgroups of 32/);
  });
});
