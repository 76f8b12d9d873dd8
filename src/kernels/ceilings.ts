/**
 * Ceiling kernels: the denominators every later figure is rated against, measured in the same session.
 *   copy  — vec4<f32> read + write over a working set far above the last-level cache; bytes count both ways.
 *   fma   — independent FMA chains in f32 (and f16 with shader-f16), enough invocations to fill the GPU.
 */
import copyWgsl from '../../shaders/ceilings/copy.wgsl?raw';
import fmaF32Wgsl from '../../shaders/ceilings/fma-f32.wgsl?raw';
import fmaF16Wgsl from '../../shaders/ceilings/fma-f16.wgsl?raw';
import fmaF16x2Wgsl from '../../shaders/ceilings/fma-f16x2.wgsl?raw';
import { f16round } from '@petamoriken/float16';
import { emptyBuffer, readWords, uniformBuffer } from '../gpu/buffers';
import { maxBindingBytes, maxWorkgroupsPerDim } from '../gpu/device';
import { SkipCase } from '../gpu/errors';
import { fillBuffer } from '../gpu/fill';
import { bindBuffers, dispatch2d, getPipeline } from '../gpu/pipeline';
import { fillF32, hashSeed } from '../util/hash';
import { autotune } from '../suite/autotune';
import type { KernelInstance, KernelSpec, Shape } from './spec';

const WG = 256;

/** Largest copy buffer this device allows, in bytes (a multiple of 16). */
export function maxCopyBytes(limits: Readonly<Record<string, number | undefined>>): number {
  return Math.floor(maxBindingBytes(limits) / 16) * 16;
}

export interface CopyShape extends Shape {
  /** Bytes in each of src and dst (the timed traffic is twice this). */
  bytes: number;
}

export const copySpec: KernelSpec<CopyShape> = {
  family: 'ceiling',
  variant: 'copy',
  dtype: 'f32',
  phase: 'ceiling',
  description: 'vec4<f32> device-to-device copy: the measured memory-bandwidth ceiling (read + write counted)',
  wgsl: [copyWgsl],
  requires: [],
  check(ctx, s) {
    if (s.bytes % 16 !== 0) throw new SkipCase(`copy size ${s.bytes} B is not a multiple of 16 B`);
    const max = maxCopyBytes(ctx.limits);
    if (s.bytes > max) throw new SkipCase(`copy of ${s.bytes} B exceeds this device's buffer/binding limit of ${max} B`);
  },
  flops: () => 0,
  bytes: (s) => 2 * s.bytes,
  tolerance: () => ({ abs: 0, rel: 0 }),
  async build(ctx, s, rng): Promise<KernelInstance> {
    const { device } = ctx;
    const n = s.bytes / 16;
    const seedWord = hashSeed(rng.int(0x7fffffff));
    const src = emptyBuffer(device, s.bytes, 'copy-src');
    const dst = emptyBuffer(device, s.bytes, 'copy-dst');
    await fillBuffer(ctx, src, n * 4, 'f32', seedWord);
    const pipeline = await getPipeline(device, { label: 'ceiling-copy', code: copyWgsl, entryPoint: 'main', constants: { WG } });
    // ~4 vec4 per invocation: enough to amortize index math, and the grid still fills any GPU.
    const [gx, gy] = dispatch2d(Math.ceil(n / (WG * 4)), maxWorkgroupsPerDim(ctx.limits));
    const params = uniformBuffer(device, new Uint32Array([n, gx, gy, 0]), 'copy-params');
    const bind = bindBuffers(device, pipeline, 'copy', [src, dst, params]);
    return {
      outputCount: n * 4,
      config: { workgroup: WG, grid: `${gx}x${gy}` },
      encode(pass) {
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bind);
        pass.dispatchWorkgroups(gx, gy);
      },
      async readOutputs(indices) {
        const words = await readWords(device, dst, indices);
        return new Float32Array(words.buffer);
      },
      reference: (i) => fillF32(seedWord, i),
      destroy() {
        src.destroy();
        dst.destroy();
        params.destroy();
      },
    };
  },
};

export interface FmaShape extends Shape {
  /** Invocations in the grid. */
  threads: number;
  /** Steps per invocation (each 4 vec4 FMAs = 32 FLOP); a multiple of 16 so every UNROLL divides it. */
  steps: number;
}

/** FLOP per invocation per step: 4 vec4 FMAs = 16 FMAs. */
const FLOP_PER_STEP = 32;

/** Autotuned (workgroup size, steps per loop iteration) pairs: occupancy and loop overhead vary by GPU. */
const FMA_CONFIGS: readonly { wg: number; unroll: number }[] = [
  { wg: 256, unroll: 4 },
  { wg: 256, unroll: 16 },
  { wg: 128, unroll: 8 },
  { wg: 1024, unroll: 16 },
];

/** float64 model of one invocation's output, the sum of its 16 chains (f16: constants rounded to f16 as the GPU does). */
export function fmaReference(id: number, steps: number, round: (x: number) => number): number {
  const t = (id & 1023) / 1024;
  let sum = 0;
  for (let lane = 0; lane < 4; lane++) {
    const a = round(0.5 + (t + lane) / 16);
    const b = round(0.25 + t * 0.5);
    for (let j = 0; j < 4; j++) {
      let x = round((lane + j) * 0.125);
      for (let i = 0; i < steps; i++) x = x * a + b;
      sum += x;
    }
  }
  return sum;
}

function fmaSpec(dtype: 'f32' | 'f16'): KernelSpec<FmaShape> {
  const f16 = dtype === 'f16';
  // f16 has two forms of the same chains (vec4 fma, vec2 multiply-add): drivers pack them differently.
  const forms = f16
    ? [
        { form: 'vec4-fma', code: fmaF16Wgsl },
        { form: 'vec2-muladd', code: fmaF16x2Wgsl },
      ]
    : [{ form: 'vec4-fma', code: fmaF32Wgsl }];
  const round = f16 ? f16round : (x: number) => x;
  return {
    family: 'ceiling',
    variant: 'fma',
    dtype,
    phase: 'ceiling',
    description: `${dtype} FMA throughput: 16 independent chains per invocation (autotuned workgroup and unroll), the measured arithmetic ceiling`,
    wgsl: forms.map((f) => f.code),
    requires: f16 ? ['shader-f16'] : [],
    check(ctx, s) {
      if (s.threads % 1024 !== 0) throw new SkipCase(`fma threads ${s.threads} is not a multiple of 1024 (the largest workgroup tried)`);
      if (s.steps % 16 !== 0) throw new SkipCase(`fma steps ${s.steps} is not a multiple of 16`);
      if (s.threads / 128 > maxWorkgroupsPerDim(ctx.limits) ** 2) throw new SkipCase(`fma threads ${s.threads} exceed this device's dispatch limits`);
    },
    flops: (s) => s.threads * s.steps * FLOP_PER_STEP,
    bytes: (s) => s.threads * 4,
    // f32: contraction keeps rounding error near 1 ulp of the fixed point. f16: each step rounds to
    // 2^-11 relative and the map amplifies by 1/(1-a) <= 4; 16 chains summed: ~1e-2 relative.
    tolerance: () => (f16 ? { abs: 0.05, rel: 1e-2 } : { abs: 1e-5, rel: 1e-5 }),
    async build(ctx, s): Promise<KernelInstance> {
      const { device } = ctx;
      const out = emptyBuffer(device, s.threads * 4, `fma-${dtype}-out`);
      const owned: GPUBuffer[] = [out];
      const candidates = [];
      for (const { form, code, wg, unroll } of forms.flatMap((f) => FMA_CONFIGS.map((c) => ({ ...f, ...c })))) {
        if (wg > (ctx.limits.maxComputeInvocationsPerWorkgroup ?? 256) || wg > (ctx.limits.maxComputeWorkgroupSizeX ?? 256)) continue;
        const pipeline = await getPipeline(device, { label: `ceiling-fma-${dtype}-${form}`, code, entryPoint: 'main', constants: { WG: wg, UNROLL: unroll } });
        const [gx, gy] = dispatch2d(s.threads / wg, maxWorkgroupsPerDim(ctx.limits));
        if (gx * gy * wg !== s.threads) continue;
        const params = uniformBuffer(device, new Uint32Array([s.steps, gx, 0, 0]), `fma-${dtype}-params`);
        owned.push(params);
        const bind = bindBuffers(device, pipeline, `fma-${dtype}`, [out, params]);
        candidates.push({
          config: { form, workgroup: wg, unroll, chains: 16 },
          encode: (pass: GPUComputePassEncoder) => {
            pass.setPipeline(pipeline);
            pass.setBindGroup(0, bind);
            pass.dispatchWorkgroups(gx, gy);
          },
        });
      }
      const { best } = await autotune(ctx, candidates);
      return {
        outputCount: s.threads,
        config: best.config,
        encode: best.encode,
        async readOutputs(indices) {
          return new Float32Array((await readWords(device, out, indices)).buffer);
        },
        reference: (i) => fmaReference(i, s.steps, round),
        destroy() {
          for (const b of owned) b.destroy();
        },
      };
    },
  };
}

export const fmaF32Spec = fmaSpec('f32');
export const fmaF16Spec = fmaSpec('f16');
