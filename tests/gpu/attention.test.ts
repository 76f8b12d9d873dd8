import { describe, expect, it } from 'vitest';
import {
  decodeInstance,
  decodeNaivePagedF32Spec,
  decodeSplitF16Spec,
  decodeSplitF32Spec,
  decodeSplitPagedF16Spec,
  prefillNaiveF32Spec,
  prefillTiledF16Spec,
  prefillTiledF32Spec,
  splitCandidates,
  TILED_CONFIGS,
  tiledConfigsFor,
  tiledInstance,
  tiledRows,
  qregConstants,
  qregSharedBytes,
  type DecodeShape,
  type SplitConfig,
  type TiledConfig,
  FUSED_CHUNKS,
  fusedHeads,
} from '../../src/kernels/attention';
import type { AttnDtype } from '../../src/kernels/attention-data';
import { attentionTolerance } from '../../src/kernels/attention';
import { compare } from '../../src/suite/verify';
import { makeCase, type KernelInstance, type KernelSpec, type Shape } from '../../src/kernels/spec';
import { casesFor } from '../../src/suite/registry';
import { runCase, runSuite } from '../../src/suite/runner';
import { createTimer } from '../../src/gpu/timer';
import { getPipeline } from '../../src/gpu/pipeline';
import type { GpuContext } from '../../src/gpu/device';
import { Rng } from '../../src/util/rng';
import { TEST_RUN, testGpu } from './gpu';

/** Runs an instance once and reads every output. */
async function runAndRead(ctx: GpuContext, inst: KernelInstance): Promise<number[]> {
  const enc = ctx.device.createCommandEncoder();
  const pass = enc.beginComputePass();
  inst.encode(pass);
  pass.end();
  ctx.device.queue.submit([enc.finish()]);
  const all = Array.from({ length: inst.outputCount }, (_, i) => i);
  return Array.from(await inst.readOutputs(all));
}

/** Runs an instance once and checks every output against its float64 reference. */
async function verifyAll(ctx: GpuContext, inst: KernelInstance, dtype: AttnDtype): Promise<ReturnType<typeof compare>> {
  const got = await runAndRead(ctx, inst);
  const all = got.map((_, i) => i);
  return compare(got, all, (i) => inst.reference(i), attentionTolerance(dtype), all.length);
}

/** Builds a spec at a shape from a fixed seed, runs it once and reads every output. */
async function outputsOf<S extends Shape>(ctx: GpuContext, spec: KernelSpec<S>, shape: S, seed: number): Promise<{ got: number[]; inst: KernelInstance }> {
  const inst = await spec.build(ctx, shape, new Rng(seed));
  return { got: await runAndRead(ctx, inst), inst };
}

describe('attention on a real WebGPU implementation', () => {
  it('verifies every test-preset case (odd N and L, GQA 1/4/8, d 64/128, f32 and packed f16, paged) against float64', async () => {
    const ctx = await testGpu();
    const doc = await runSuite(ctx, casesFor('test', ctx.limits, '^attention/'), TEST_RUN);
    expect(doc.results.length).toBe(10);
    for (const r of doc.results) {
      expect(r.status, `${r.id}: ${r.reason ?? ''}`).toBe('ok');
      const total = r.verification?.total ?? 0;
      expect(r.verification?.checked).toBe(total <= 4096 ? total : 1024);
      expect(r.time?.median_ms).toBeGreaterThan(0);
    }
    // The f16 path really runs here (SwiftShader has no shader-f16): packed storage needs none.
    expect(doc.results.filter((r) => r.dtype === 'f16' && r.status === 'ok').length).toBeGreaterThanOrEqual(4);
    const split = doc.results.find((r) => r.id === 'attention/decode-split/f32/h=8,kv=1,d=64,l=300');
    // 300 keys in chunks of 64: the last chunk is partial; one workgroup serves all 8 query heads.
    expect(split?.config).toMatchObject({ chunk: 64, splits: 5, heads_per_workgroup: 8 });
  });

  it('paged and contiguous caches give bit-identical outputs; naive and split-K agree', async () => {
    const ctx = await testGpu();
    const shape: DecodeShape = { h: 8, kv: 2, d: 128, l: 201 };
    const contiguous = await outputsOf(ctx, decodeSplitF16Spec, shape, 99);
    const paged = await outputsOf(ctx, decodeSplitPagedF16Spec, { ...shape, page: 16 }, 99);
    expect(paged.got).toEqual(contiguous.got);
    for (let i = 0; i < contiguous.got.length; i += 37) expect(Math.abs((contiguous.got[i] ?? NaN) - contiguous.inst.reference(i))).toBeLessThan(1e-3);
    contiguous.inst.destroy();
    paged.inst.destroy();
    // f32, GQA 8 and a page size that does not divide L: naive over pages vs split-K contiguous.
    const s32: DecodeShape = { h: 8, kv: 1, d: 64, l: 133 };
    const a = await outputsOf(ctx, decodeSplitF32Spec, s32, 5);
    const b = await outputsOf(ctx, decodeNaivePagedF32Spec, { ...s32, page: 16 }, 5);
    a.got.forEach((x, i) => expect(Math.abs(x - (b.got[i] ?? NaN))).toBeLessThan(2e-6));
    a.inst.destroy();
    b.inst.destroy();
  });

  it('tiled prefill verifies in every workgroup configuration the GPU autotune may pick', async () => {
    const ctx = await testGpu();
    for (const [dtype, shape, expected, qreg] of [
      ['f32', { h: 2, kv: 1, d: 32, n: 70 }, 10, 6],
      ['f16', { h: 2, kv: 2, d: 128, n: 41 }, 7, 5],
    ] as const) {
      // SwiftShader has subgroups of 4: the 6 Q-in-registers configurations with 4 lanes per row (those
      // with 8 need subgroups of 8 or more, which it lacks: they run only on GPUs, verified there by the
      // runner before timing; at d = 128 the pipelined one needs 48 KB, over SwiftShader's 32 KB), then
      // the staged ones that fit.
      const configs = tiledConfigsFor(ctx, shape.d);
      expect(ctx.info.subgroup_min_size ?? 0).toBeLessThan(8);
      expect(configs.length).toBe(expected);
      expect(configs.some((c) => c.tx === 8)).toBe(false);
      expect(configs.slice(0, qreg).every((c) => c.kernel === 'qreg')).toBe(true);
      expect(configs.slice(qreg).every((c) => c.kernel === 'staged')).toBe(true);
      // Every configuration at the small f32 shape; at d = 128 (f16) qreg with and without prefetch at
      // both workgroup sizes (the staged kernel's d = 128 path runs in the test preset), keeping this
      // file fast on a 2-core CI machine.
      const d128 = (x: TiledConfig): boolean => x.kernel === 'qreg' && (x.prefetch === true) === (x.wg === 256) && x.rpt === 2 && x.rs !== true;
      // The plain online softmax (TAU 0) once: with the lazy maximum these scores never move it by 8.
      const plain: TiledConfig[] = dtype === 'f32' ? [{ ...(configs[0] ?? { kernel: 'qreg', wg: 128, rpt: 2 }), tau: 0 }] : [];
      for (const c of [...(dtype === 'f32' ? configs : configs.filter(d128)), ...plain]) {
        const inst = await tiledInstance(ctx, shape, dtype, new Rng(8), [c]);
        const v = await verifyAll(ctx, inst, dtype);
        expect(v.passed, `${dtype} d=${shape.d} ${c.kernel} wg=${c.wg} rpt=${c.rpt} prefetch=${String(c.prefetch)}: max abs ${v.max_abs_err}`).toBe(true);
        expect(inst.config).toMatchObject({ kernel: c.kernel, workgroup: c.wg, rows_per_workgroup: tiledRows(c) });
        inst.destroy();
      }
    }
  });

  it('tiled prefill with the reduce-scatter softmax verifies (4 lanes; 1/2/4 rows; 4/8/16 keys per step; plain, software-pipelined and voted; scalar FMA scores; TAU 0 and 8; GQA 1/4/8; odd N; f32 and f16)', async () => {
    const ctx = await testGpu();
    // The same code serves 8 lanes (one more shuffle round), which SwiftShader's subgroups of 4 cannot
    // run: these cover every lanes-per-row count (LPR = 4/2/1) and every values-per-lane count it meets.
    const forms: TiledConfig[] = [
      { kernel: 'qreg', wg: 128, rpt: 2, rs: true },
      { kernel: 'qreg', wg: 128, rpt: 2, rs: true, tau: 0 },
      { kernel: 'qreg', wg: 128, rpt: 4, rs: true, kb: 4 },
      { kernel: 'qreg', wg: 128, rpt: 1, rs: true, kb: 16 },
      { kernel: 'qreg', wg: 128, rpt: 4, rs: true, kb: 16, prefetch: true },
      { kernel: 'qreg', wg: 128, rpt: 2, rs: true, pipe: true },
      { kernel: 'qreg', wg: 256, rpt: 4, rs: true, pipe: true, tau: 0 },
      { kernel: 'qreg', wg: 128, rpt: 1, rs: true, kb: 16, pipe: true, prefetch: true },
      // The voted exchange of the maxima: with TAU 0 the maxima move in many steps after the first.
      { kernel: 'qreg', wg: 128, rpt: 2, rs: true, vote: true },
      { kernel: 'qreg', wg: 128, rpt: 4, rs: true, vote: true, tau: 0 },
      { kernel: 'qreg', wg: 128, rpt: 2, rs: true, pipe: true, vote: true, tau: 0, dotfma: true },
      { kernel: 'qreg', wg: 256, rpt: 1, rs: true, kb: 16, pipe: true, vote: true, dotfma: true },
      // Scalar FMA chains in the plain (all-reduce) softmax.
      { kernel: 'qreg', wg: 128, rpt: 2, dotfma: true },
    ];
    const cases: [AttnDtype, { h: number; kv: number; d: number; n: number }, TiledConfig[]][] = [
      ['f32', { h: 2, kv: 2, d: 32, n: 77 }, forms],
      ['f32', { h: 8, kv: 2, d: 64, n: 45 }, [...forms.slice(0, 3), ...forms.slice(5, 6)]],
      ['f32', { h: 8, kv: 1, d: 32, n: 33 }, [...forms.slice(5, 7), ...forms.slice(9, 11)]],
      // (The pipelined form needs 48 KB at d = 128, over SwiftShader's 32 KB.)
      ['f16', { h: 4, kv: 1, d: 128, n: 39 }, [forms[0], forms[3], forms[9]].filter((c) => c !== undefined)],
    ];
    for (const [dtype, shape, list] of cases) {
      for (const c of list) {
        const inst = await tiledInstance(ctx, shape, dtype, new Rng(12), [c]);
        const v = await verifyAll(ctx, inst, dtype);
        expect(v.passed, `${dtype} ${JSON.stringify(shape)} ${JSON.stringify(c)}: max abs ${v.max_abs_err}`).toBe(true);
        const softmax = c.rs === true ? `rs${c.pipe === true ? '-pipe' : ''}${c.vote === true ? '-vote' : ''}` : 'plain';
        expect(inst.config).toMatchObject({ softmax, keys_per_step: c.kb ?? 8, dot_fma: c.dotfma === true ? 1 : 0 });
        inst.destroy();
      }
    }
    // Fifteen instances on SwiftShader: 35-75 s on the 2-core machine depending on its load.
  }, 300_000);

  it('tiled prefill with 16-key K/V blocks verifies (the 16-key GPU candidates with 4 lanes, in both grid orders; plain, rs, voted, scalar FMA chains, 16 keys per step, pipelined; GQA 1/4/8; odd N; d 32/64/128; f32 and f16)', async () => {
    const ctx = await testGpu();
    // The GPU candidates use 8 lanes per row (subgroups of 8 or more, which SwiftShader lacks); each
    // runs here with 4 lanes (the same code with one shuffle round less) and otherwise the same
    // invocations, rows per lane group and softmax form, with the other forms of the kernel at 16-key
    // blocks. At d = 128 the pipelined form fits SwiftShader's 32 KB (24 KiB).
    const gpu = TILED_CONFIGS.filter((c) => c.bc === 16);
    expect(gpu.length).toBe(4);
    expect(gpu.filter((c) => c.headsFirst === true).length).toBe(2);
    const forms: TiledConfig[] = [
      ...gpu.map((c): TiledConfig => ({ ...c, tx: 4 })),
      { kernel: 'qreg', wg: 128, rpt: 4, bc: 16 },
      { kernel: 'qreg', wg: 128, rpt: 4, bc: 16, rs: true },
      { kernel: 'qreg', wg: 128, rpt: 2, bc: 16, rs: true, kb: 16, pipe: true },
      { kernel: 'qreg', wg: 256, rpt: 2, bc: 16, rs: true, dotfma: true, prefetch: true },
    ];
    const limit = ctx.limits.maxComputeWorkgroupStorageSize ?? 16384;
    const cases: [AttnDtype, { h: number; kv: number; d: number; n: number }, TiledConfig[]][] = [
      ['f32', { h: 4, kv: 1, d: 32, n: 150 }, forms],
      // The plain online softmax (TAU 0) exercises the rescale on every 16-key block.
      ['f32', { h: 8, kv: 1, d: 64, n: 45 }, forms.map((c) => ({ ...c, tau: 0 }))],
      ['f32', { h: 4, kv: 4, d: 128, n: 53 }, forms.slice(0, 4)],
      ['f16', { h: 8, kv: 2, d: 128, n: 39 }, forms.filter((c) => c.pipe === true || c.rs !== true)],
    ];
    for (const [dtype, shape, list] of cases) {
      for (const c of list) {
        expect(qregSharedBytes(shape.d, c)).toBeLessThanOrEqual(limit);
        const inst = await tiledInstance(ctx, shape, dtype, new Rng(21), [c]);
        const v = await verifyAll(ctx, inst, dtype);
        expect(v.passed, `${dtype} ${JSON.stringify(shape)} ${JSON.stringify(c)}: max abs ${v.max_abs_err}`).toBe(true);
        expect(inst.config).toMatchObject({ keys_per_block: 16, rows_per_workgroup: tiledRows(c), workgroup: c.wg, keys_per_step: c.kb ?? 8, dot_fma: c.dotfma === true ? 1 : 0, order: c.headsFirst === true ? 'heads-first' : 'tiles-first' });
        inst.destroy();
      }
    }
    // Twenty instances on SwiftShader: ~75 s on the 2-core machine when idle.
  }, 300_000);

  it('tiled prefill with 8 lanes per row (subgroups of 8 or more; not runnable here) compiles in both dtypes', async () => {
    const ctx = await testGpu();
    for (const spec of [prefillTiledF32Spec, prefillTiledF16Spec]) {
      const code = spec.wgsl[0] ?? '';
      expect(code).toMatch(/override TX: u32/);
      // Every 8-lane configuration in f32, the first in f16 (the dtype changes only the prelude).
      const tx8 = TILED_CONFIGS.filter((x) => x.tx === 8);
      for (const c of spec === prefillTiledF32Spec ? tx8 : tx8.slice(0, 1)) {
        // The pipelined form at d = 128 is over SwiftShader's 32 KB: compiled at d = 64 there.
        const d = qregSharedBytes(128, c) <= (ctx.limits.maxComputeWorkgroupStorageSize ?? 16384) ? 128 : 64;
        expect(await getPipeline(ctx.device, { label: 'qreg-tx8', code, entryPoint: 'main', constants: qregConstants(c, d) })).toBeDefined();
      }
    }
    // Every 8-lane configuration is a separate SwiftShader compile of a large unrolled kernel (~5 s each).
  }, 300_000);

  it('split-K verifies in every (chunk, keys per lane) configuration the GPU autotune may pick', async () => {
    const ctx = await testGpu();
    // GQA 4 (4 heads per workgroup), L not a multiple of any chunk; f16 and f32 (different Wide widths).
    const shape: DecodeShape = { h: 8, kv: 2, d: 128, l: 1100 };
    const configs = splitCandidates(64, false);
    expect(configs[0]).toEqual({ kernel: 'base', chunk: 64, ku: 2, vu: 8 });
    expect(configs).toContainEqual({ kernel: 'deep', chunk: 512, ku: 4, vu: 16 });
    for (const dtype of ['f16', 'f32'] as const) {
      // The base kernel at chunk 256 (chunk 64 runs in the test preset); the deep one at chunks 64 and
      // 512 with 2 and 4 keys per lane, 8 and 16 V rows (the other chunks differ only in the CHUNK
      // constant); f32 at the deepest configuration.
      const picked = (x: SplitConfig): boolean => (x.kernel === 'base' ? x.chunk === 256 && dtype === 'f16' : dtype === 'f16' ? x.chunk === 64 || x.chunk === 512 : x.chunk === 512 && x.vu === 16);
      for (const c of configs.filter(picked)) {
        const inst = await decodeInstance(ctx, shape, { variant: 'split', paged: false, dtype }, new Rng(3), [c]);
        const v = await verifyAll(ctx, inst, dtype);
        expect(v.passed, `${dtype} ${c.kernel} chunk=${c.chunk} ku=${c.ku} vu=${c.vu}: max abs ${v.max_abs_err}`).toBe(true);
        expect(inst.config).toMatchObject({ kernel: c.kernel, chunk: c.chunk, keys_per_lane: c.ku, v_rows_per_lane: c.vu, splits: Math.ceil(shape.l / c.chunk), heads_per_workgroup: 4 });
        inst.destroy();
      }
    }
  });

  it('fused split-K verifies in every configuration the GPU autotune may pick (GQA 1/4/8, odd L, paged = contiguous, lazy and plain maximum)', async () => {
    const ctx = await testGpu();
    const limit = ctx.limits.maxComputeWorkgroupStorageSize ?? 16384;
    const cases: [AttnDtype, DecodeShape][] = [
      ['f16', { h: 8, kv: 2, d: 128, l: 1100 }],
      ['f32', { h: 8, kv: 2, d: 128, l: 1100 }],
      ['f16', { h: 8, kv: 1, d: 64, l: 300 }],
      ['f32', { h: 4, kv: 4, d: 32, l: 77 }],
    ];
    for (const [dtype, shape] of cases) {
      const group = shape.h / shape.kv;
      const configs = splitCandidates(64, false, { group, dtype, d: shape.d, sharedLimit: limit }).filter((c) => c.kernel === 'fused');
      expect(configs.length, `fused candidates at d=${shape.d} with ${limit} B of workgroup memory`).toBe(FUSED_CHUNKS.length * (dtype === 'f16' ? 3 : 2) * fusedHeads(group).length);
      // Every (step form, heads) pairing at chunk 256 (chunks differ only in a constant), the largest chunk once; TAU 0 at the first
      // pairing: with the lazy maximum the random scores never move it by 8, so the plain online softmax exercises the rescale.
      const picked = configs.filter((c) => c.chunk === 256 || c === configs[configs.length - 1]);
      for (const c of [...picked, { ...(picked[0] ?? configs[0] ?? { kernel: 'fused', chunk: 256, ku: 1, vu: 0 }), tau: 0 }]) {
        const inst = await decodeInstance(ctx, shape, { variant: 'split', paged: false, dtype }, new Rng(3), [c]);
        const v = await verifyAll(ctx, inst, dtype);
        const what = `${dtype} h=${shape.h} kv=${shape.kv} d=${shape.d} l=${shape.l} chunk=${c.chunk} ku=${c.ku} gh=${String(c.gh)} prefetch=${String(c.prefetch)} tau=${String(c.tau)}`;
        expect(v.passed, `${what}: max abs ${v.max_abs_err}`).toBe(true);
        expect(inst.config, what).toMatchObject({ kernel: 'fused', chunk: c.chunk, keys_per_lane: c.ku, splits: Math.ceil(shape.l / c.chunk), heads_per_workgroup: c.gh, prefetch: c.prefetch === true ? 1 : 0 });
        inst.destroy();
      }
    }
    // Paged and contiguous give bit-identical outputs with the fused kernel (page 16 does not divide L).
    const shape: DecodeShape = { h: 8, kv: 2, d: 128, l: 201 };
    const c: SplitConfig = { kernel: 'fused', chunk: 256, ku: 1, vu: 0, gh: 2, prefetch: true };
    const a = await decodeInstance(ctx, shape, { variant: 'split', paged: false, dtype: 'f16' }, new Rng(99), [c]);
    const b = await decodeInstance(ctx, { ...shape, page: 16 }, { variant: 'split', paged: true, dtype: 'f16' }, new Rng(99), [c]);
    expect(await runAndRead(ctx, b)).toEqual(await runAndRead(ctx, a));
    a.destroy();
    b.destroy();
  });

  it('naive prefill splits heads when S exceeds the binding limit, and skips when one head cannot fit', async () => {
    const ctx = await testGpu();
    const timer = createTimer(ctx.device, false);
    try {
      const shape = { h: 4, kv: 2, d: 64, n: 37 };
      // A device whose binding holds two heads of S: the naive case runs in two head groups.
      const small: GpuContext = { ...ctx, limits: { ...ctx.limits, maxStorageBufferBindingSize: 2 * 37 * 37 * 4 } };
      const r = await runCase(small, timer, makeCase(prefillNaiveF32Spec, shape), TEST_RUN);
      expect(r.status, r.reason).toBe('ok');
      expect(r.config).toMatchObject({ head_groups: 2, heads_per_group: 2 });
      const huge = await runCase(ctx, timer, makeCase(prefillNaiveF32Spec, { h: 1, kv: 1, d: 64, n: 17000 }), TEST_RUN);
      expect(huge.status).toBe('skipped');
      expect(huge.reason).toMatch(/score matrix .* over this device's storage binding limit/);
      // The tiled kernel has no N×N buffer: the same odd shape on the small device still runs.
      const tiled = await runCase(small, timer, makeCase(prefillTiledF32Spec, { h: 4, kv: 1, d: 128, n: 45 }), TEST_RUN);
      expect(tiled.status, tiled.reason).toBe('ok');
    } finally {
      timer.destroy();
    }
  });
});
