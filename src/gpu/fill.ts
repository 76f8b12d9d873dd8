/** Seeded GPU-side fills (shaders/common/fill.wgsl); the CPU reads the same values through util/hash. */
import fillWgsl from '../../shaders/common/fill.wgsl?raw';
import { type GpuContext, maxWorkgroupsPerDim } from './device';
import { uniformBuffer } from './buffers';
import { bindBuffers, dispatch2d, getPipeline } from './pipeline';

export type FillMode = 'f32' | 'f16x2' | 'u32';
const MODES: Record<FillMode, number> = { f32: 0, f16x2: 1, u32: 2 };
const WG = 256;

/**
 * Writes `words` 32-bit words of seeded random data into `dst` (from word 0) and waits for nothing:
 * the work is queued before whatever the caller submits next. `seedWord` is `hashSeed(seed)`.
 * `scale` must be a power of two so the CPU twin stays exact.
 */
export async function fillBuffer(ctx: GpuContext, dst: GPUBuffer, words: number, mode: FillMode, seedWord: number, scale = 1): Promise<void> {
  if (!Number.isInteger(Math.log2(scale))) throw new Error(`fill scale ${scale} is not a power of two`);
  const { device } = ctx;
  const pipeline = await getPipeline(device, { label: `fill-${mode}`, code: fillWgsl, entryPoint: 'main', constants: { WG, MODE: MODES[mode] } });
  const [gx, gy] = dispatch2d(Math.ceil(words / WG), maxWorkgroupsPerDim(ctx.limits));
  const params = new ArrayBuffer(16);
  const u = new Uint32Array(params);
  u[0] = words;
  u[1] = seedWord >>> 0;
  new Float32Array(params)[2] = scale;
  u[3] = gx;
  const ubuf = uniformBuffer(device, u, 'fill-params');
  const enc = device.createCommandEncoder({ label: 'fill' });
  const pass = enc.beginComputePass({ label: 'fill' });
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindBuffers(device, pipeline, 'fill', [dst, ubuf]));
  pass.dispatchWorkgroups(gx, gy);
  pass.end();
  device.queue.submit([enc.finish()]);
  // Destroying after submit is allowed: WebGPU frees it once the queued work is done.
  ubuf.destroy();
}
