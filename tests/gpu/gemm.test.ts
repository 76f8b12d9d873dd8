import { describe, expect, it } from 'vitest';
import { create } from 'webgpu';
import { SkipCase } from '../../src/gpu/errors';
import { readWords, uploadBuffer } from '../../src/gpu/buffers';
import {
  REGBLOCK_F32_CONFIGS,
  REGBLOCK_F32_NT_CONFIGS,
  SUBGROUP_MATRIX_CONFIGS,
  type TensorShape,
  gemmCases,
  gemmSubgroupMatrixSpec,
  softwareSubset,
  splitReduce,
  subgroupMatrixConfig,
  subgroupMatrixWgsl,
} from '../../src/kernels/gemm';
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

  it("compiles every tensor-core configuration on Dawn's null backend (SwiftShader has no subgroup matrices)", async (t) => {
    await testGpu(); // installs the WebGPU globals
    const gpu = create(['backend=null', 'enable-dawn-features=allow_unsafe_apis']);
    const adapter = await gpu.requestAdapter();
    const features = ['shader-f16', 'chromium-experimental-subgroup-matrix'] as const;
    const missing = features.filter((f) => !(adapter?.features.has(f) ?? false));
    if (!adapter || missing.length > 0) {
      t.skip(`Dawn's null backend offers no ${missing.join(', ') || 'adapter'} here`);
      return;
    }
    // A device per module: Dawn's null backend here aborts the process (std::system_error) after a
    // handful of these large modules on one device.
    const fresh = async (): Promise<GPUDevice> => {
      const a = await gpu.requestAdapter();
      if (!a) throw new Error("Dawn's null backend offered no second adapter");
      return a.requestDevice({ requiredFeatures: [...features] as GPUFeatureName[] });
    };
    const limit = adapter.limits.maxComputeWorkgroupStorageSize;
    // The kernels (one subgroup-matrix.wgsl generated per shape; split-K variants share their
    // shape's) and the split-K reduce pass.
    expect(gemmSubgroupMatrixSpec.wgsl).toHaveLength(1 + new Set(SUBGROUP_MATRIX_CONFIGS.map((c) => c.code)).size);
    for (const code of gemmSubgroupMatrixSpec.wgsl) {
      const device = await fresh();
      const messages = (await device.createShaderModule({ code }).getCompilationInfo()).messages.filter((m) => m.type !== 'info').map((m) => `${m.lineNum}: ${m.message}`);
      expect(messages).toEqual([]);
      device.destroy();
    }
    const failures: string[] = [];
    for (const c of SUBGROUP_MATRIX_CONFIGS) {
      // The null adapter allows 16 KiB of workgroup memory (and subgroups of up to 128, so blocks of
      // 4 subgroups): configurations over it compile with 32×32 pieces in 2×2 subgroups, keeping
      // their stage count and tile depth. The 64×64- and 32×64-piece code is compiled by the
      // configurations that fit.
      const shape = c.tensor;
      if (shape === undefined) throw new Error(`${c.label}: no tensor shape`);
      const bytes = (t: TensorShape): number => subgroupMatrixConfig(t.sgM, t.sgN, t.fm, t.fn, t.bk, { stages: t.stages }).sharedBytes;
      const fitted: TensorShape = bytes(shape) > limit ? { ...shape, sgM: 2, sgN: 2, fm: 2, fn: 2 } : shape;
      expect(bytes(fitted), c.label).toBeLessThanOrEqual(limit);
      const device = await fresh();
      const module = device.createShaderModule({ code: fitted === shape ? (c.code ?? '') : subgroupMatrixWgsl(fitted) });
      device.pushErrorScope('validation');
      await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main', constants: { ...c.constants } } }).catch((e: unknown) => failures.push(`${c.label}: ${String(e)}`));
      const e = await device.popErrorScope();
      if (e) failures.push(`${c.label}: ${e.message}`);
      device.destroy();
    }
    expect(failures).toEqual([]);
  });

  it('adds the split-K slices into C (the reduce pass of the tensor-core kernel) and writes nothing past count4', async () => {
    const ctx = await testGpu();
    const { device } = ctx;
    const splits = 3;
    const stride4 = 300; // vec4 per slice
    const count4 = 257; // more than one workgroup of 256, less than a slice
    // Small integers: every sum is exact in f32.
    const part = Float32Array.from({ length: splits * stride4 * 4 }, (_, i) => ((i * 7919) % 23) - 11);
    const owned: GPUBuffer[] = [];
    const own = (b: GPUBuffer): GPUBuffer => (owned.push(b), b);
    const pbuf = own(uploadBuffer(device, part, 'test-part'));
    const cbuf = own(uploadBuffer(device, new Float32Array(stride4 * 4).fill(-1000), 'test-c'));
    const encode = await splitReduce(ctx, pbuf, cbuf, { count4, stride4, splits }, own);
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    encode(pass);
    pass.end();
    device.queue.submit([enc.finish()]);
    const all = Array.from({ length: stride4 * 4 }, (_, i) => i);
    const got = new Float32Array((await readWords(device, cbuf, all)).buffer);
    for (const i of all) {
      const want = i < count4 * 4 ? (part[i] ?? NaN) + (part[stride4 * 4 + i] ?? NaN) + (part[2 * stride4 * 4 + i] ?? NaN) : -1000;
      if (got[i] !== want) expect(`${i}: ${got[i]}`).toBe(`${i}: ${want}`);
    }
    for (const b of owned) b.destroy();
  });
});
