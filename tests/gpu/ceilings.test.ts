import { describe, expect, it } from 'vitest';
import { createNodeGpu } from '../../bench/dawn';
import { acquireGpu } from '../../src/gpu/device';
import { copySpec, fmaF32Spec } from '../../src/kernels/ceilings';
import { makeCase, type KernelSpec } from '../../src/kernels/spec';
import { parseResultsDoc } from '../../src/report/schema';
import { casesFor } from '../../src/suite/registry';
import { runSuite } from '../../src/suite/runner';
import { TEST_RUN, testGpu } from './gpu';

describe('ceilings on a real WebGPU implementation', () => {
  it('verifies and times copy and f32 FMA; skips f16 with a reason when shader-f16 is absent', async () => {
    const ctx = await testGpu();
    const doc = await runSuite(ctx, casesFor('test', ctx.limits, '^ceiling/'), TEST_RUN);
    expect(parseResultsDoc(JSON.parse(JSON.stringify(doc)))).toEqual(doc);
    const copy = doc.results.find((r) => r.variant === 'copy');
    expect(copy?.status).toBe('ok');
    expect(copy?.verification?.passed).toBe(true);
    expect(copy?.verification?.checked).toBe(1024);
    expect(copy?.time?.samples).toBe(TEST_RUN.trials);
    expect(copy?.gbps).toBeGreaterThan(0);
    expect(doc.ceilings.copy_gbps).toBe(copy?.gbps);
    const fma = doc.results.find((r) => r.variant === 'fma' && r.dtype === 'f32');
    expect(fma?.status).toBe('ok');
    expect(fma?.verification?.max_rel_err).toBeLessThan(1e-5);
    expect(fma?.gflops).toBeGreaterThan(0);
    const f16 = doc.results.find((r) => r.variant === 'fma' && r.dtype === 'f16');
    if (ctx.features.has('shader-f16')) expect(f16?.status).toBe('ok');
    else {
      expect(f16?.status).toBe('skipped');
      expect(f16?.reason).toMatch(/shader-f16/);
      expect(f16?.time).toBeNull();
    }
    expect(doc.context.device.software).toBe(ctx.info.software);
    if (ctx.info.software) expect(doc.context.peaks).toBeNull();
  });

  it('times a copy probe around each case when asked (never by default on a software adapter)', async () => {
    const ctx = await testGpu();
    const cases = casesFor('test', ctx.limits, '^ceiling/copy/');
    const auto = await runSuite(ctx, cases, TEST_RUN);
    if (ctx.info.software) expect(auto.results[0]?.machine).toBeUndefined();
    const doc = await runSuite(ctx, cases, { ...TEST_RUN, probe: 'on' });
    const m = doc.results[0]?.machine;
    expect(doc.results[0]?.status).toBe('ok');
    expect(m?.probe_gbps.length).toBeGreaterThanOrEqual(1);
    expect(m?.probe_gflops.length).toBe(m?.probe_gbps.length);
    for (const [before, after] of m?.probe_gbps ?? []) {
      expect(before).toBeGreaterThan(0);
      expect(after).toBeGreaterThan(0);
      expect(Math.max(before, after)).toBeLessThanOrEqual(m?.probe_best_gbps ?? 0);
    }
    for (const [before, after] of m?.probe_gflops ?? []) {
      expect(Math.min(before, after)).toBeGreaterThan(0);
      expect(Math.max(before, after)).toBeLessThanOrEqual(m?.probe_best_gflops ?? 0);
    }
    expect(parseResultsDoc(JSON.parse(JSON.stringify(doc)))).toEqual(doc);
  });

  it('gives no speed to a kernel whose output is wrong', async () => {
    const ctx = await testGpu();
    // The copy kernel against a reference that is off by one in the last place of every element.
    const broken: KernelSpec = {
      ...(copySpec as unknown as KernelSpec),
      variant: 'copy-broken',
      async build(c, shape, rng) {
        const inst = await copySpec.build(c, shape as { bytes: number }, rng);
        return { ...inst, encode: (p) => inst.encode(p), readOutputs: (i) => inst.readOutputs(i), destroy: () => inst.destroy(), reference: (i) => inst.reference(i) + 1e-3 };
      },
    };
    const doc = await runSuite(ctx, [makeCase(broken, { bytes: 1 << 16 })], TEST_RUN);
    const r = doc.results[0];
    expect(r?.status).toBe('failed');
    expect(r?.verification?.passed).toBe(false);
    expect(r?.time).toBeNull();
    expect(r?.gbps).toBeNull();
    expect(r?.reason).toMatch(/float64 reference/);
    expect(doc.ceilings.copy_gbps).toBeNull();
  });

  it('skips a shape over the device limits with the reason, and runs FMA at other sizes', async () => {
    const ctx = await testGpu();
    const huge = (ctx.limits.maxStorageBufferBindingSize ?? 0) + 16 * 1024;
    const doc = await runSuite(ctx, [makeCase(copySpec, { bytes: Math.ceil(huge / 16) * 16 }), makeCase(fmaF32Spec, { threads: 1024 * 3, steps: 48 })], TEST_RUN);
    expect(doc.results[0]?.status).toBe('skipped');
    expect(doc.results[0]?.reason).toMatch(/exceeds this device's buffer\/binding limit/);
    expect(doc.results[1]?.status).toBe('ok');
    expect(doc.results[1]?.verification?.checked).toBe(1024 * 3);
    expect(doc.results[1]?.verification?.total).toBe(1024 * 3);
    expect(doc.results[1]?.config?.unroll).toBeGreaterThan(0);
  });
});

describe('a lost device', () => {
  it('stops the run with one sentence that says to get a new device', async () => {
    const { gpu, runtime } = createNodeGpu([]);
    const ctx = await acquireGpu(gpu, { runtime });
    ctx.device.destroy();
    await ctx.lost;
    await expect(runSuite(ctx, casesFor('test', ctx.limits, '^ceiling/copy'), TEST_RUN)).rejects.toThrow(/GPU device was lost.*rerun/);
  });
});
