/**
 * CPU twin of shaders/common/fill.wgsl: the same integer hash and the same exact float mapping, so a
 * reference can read any input element without the input ever existing on the host.
 */
import { getFloat16 } from '@petamoriken/float16';

/** PCG-style 32-bit hash (the "pcg_hash" of Jarzynski & Olano 2020), bit-identical to fill.wgsl. */
export function pcg(x: number): number {
  const s = (Math.imul(x >>> 0, 747796405) + 2891336453) >>> 0;
  const w = Math.imul(((s >>> ((s >>> 28) + 4)) ^ s) >>> 0, 277803737) >>> 0;
  return ((w >>> 22) ^ w) >>> 0;
}

/** The seed word the GPU receives for a user seed. */
export function hashSeed(seed: number): number {
  return pcg(seed >>> 0);
}

/** Element i of a MODE 0 fill: f32 in [-1, 1) times `scale` (exact). */
export function fillF32(seedWord: number, i: number, scale = 1): number {
  return ((pcg((i ^ seedWord) >>> 0) >>> 8) / 8388608 - 1) * scale;
}

/** Half-element j of a MODE 1 fill (f16 pairs): f16 in [-1, 1) times `scale` (exact). */
export function fillF16(seedWord: number, j: number, scale = 1): number {
  return ((pcg((j ^ seedWord) >>> 0) >>> 21) / 1024 - 1) * scale;
}

/** Word i of a MODE 2 fill (raw u32). */
export function fillU32(seedWord: number, i: number): number {
  return pcg((i ^ seedWord) >>> 0);
}

/** Decodes the f16 stored in the low (part 0) or high (part 1) half of a u32 word. */
export function f16FromWord(word: number, part: 0 | 1): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, word >>> 0, true);
  return getFloat16(view, part * 2, true);
}
