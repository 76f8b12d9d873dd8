/**
 * Data helpers shared by the attention and KV-cache families: element types, seeded GPU fills
 * with their exact CPU twins, and element-wise readback of f32 or packed-f16 buffers.
 *
 * f16 storage decision: f16 tensors are stored as pairs of halves packed in u32 words and unpacked
 * in the shaders with unpack2x16float (pack2x16float to store). That needs no `shader-f16`, so the
 * same f16 kernels run on SwiftShader in CI and on every GPU; arithmetic is f32 (as FlashAttention
 * accumulates in f32). The H100 reads the same bytes either way; native f16 would only save the
 * unpack instructions, which are not the bottleneck of these memory- or FMA-bound kernels.
 */
import { readWords } from '../gpu/buffers';
import type { GpuContext } from '../gpu/device';
import { fillBuffer } from '../gpu/fill';
import { f16FromWord, fillF16, fillF32, hashSeed } from '../util/hash';
import type { Rng } from '../util/rng';

export type AttnDtype = 'f32' | 'f16';

/** Bytes per element. */
export function elementSize(dtype: AttnDtype): number {
  return dtype === 'f32' ? 4 : 2;
}

/** A seeded random tensor: `elements` values, each reproducible on the CPU by index. */
export interface FilledTensor {
  readonly dtype: AttnDtype;
  readonly seedWord: number;
  readonly scale: number;
}

/** Value of element `e` of a tensor filled by `fillTensor` (exactly what the GPU holds). */
export function tensorValue(t: FilledTensor, e: number): number {
  return t.dtype === 'f32' ? fillF32(t.seedWord, e, t.scale) : fillF16(t.seedWord, e, t.scale);
}

/** Draws a seed for one tensor from the case's generator. */
export function drawTensor(dtype: AttnDtype, rng: Rng, scale = 1): FilledTensor {
  return { dtype, seedWord: hashSeed(rng.int(0x7fffffff)), scale };
}

/** Fills `elements` values of `t` into `dst` on the GPU (f16: pairs per word, so `elements` is even). */
export async function fillTensor(ctx: GpuContext, dst: GPUBuffer, elements: number, t: FilledTensor): Promise<void> {
  if (t.dtype === 'f32') await fillBuffer(ctx, dst, elements, 'f32', t.seedWord, t.scale);
  else await fillBuffer(ctx, dst, Math.ceil(elements / 2), 'f16x2', t.seedWord, t.scale);
}

/** Reads elements at `indices` (any order, repeats allowed) of an f32 or packed-f16 buffer. */
export async function readElements(device: GPUDevice, buffer: GPUBuffer, dtype: AttnDtype, indices: readonly number[]): Promise<Float64Array> {
  const wordOf = (e: number): number => (dtype === 'f32' ? e : Math.floor(e / 2));
  const words = [...new Set(indices.map(wordOf))].sort((a, b) => a - b);
  const got = await readWords(device, buffer, words);
  const at = new Map<number, number>();
  words.forEach((w, i) => at.set(w, got[i] ?? 0));
  const out = new Float64Array(indices.length);
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  indices.forEach((e, i) => {
    const word = at.get(wordOf(e)) ?? 0;
    if (dtype === 'f32') {
      u32[0] = word;
      out[i] = f32[0] ?? NaN;
    } else out[i] = f16FromWord(word, (e % 2) as 0 | 1);
  });
  return out;
}

/** The 32-bit words of a float as a uniform slot. */
export function floatBits(x: number): number {
  return new Uint32Array(new Float32Array([x]).buffer)[0] ?? 0;
}

/** Runs the rest of a build; if it throws, destroys what the build already owns (read at that moment), then rethrows. */
export async function destroyOnError<T>(owned: readonly { destroy(): void }[], fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    for (const o of owned) o.destroy();
    throw e;
  }
}
