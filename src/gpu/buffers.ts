/** Buffer helpers: upload, and readback through a MAP_READ staging buffer that is sliced before unmap. */
import { MapMode, Usage } from './flags';

export const STORAGE = Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST;

/** Rounds up to a multiple of 4 bytes (mapping and copy sizes must be). */
export function align4(bytes: number): number {
  return Math.ceil(bytes / 4) * 4;
}

/** Creates a storage buffer holding `data` (written at creation through mappedAtCreation). */
export function uploadBuffer(device: GPUDevice, data: ArrayBufferView, label: string, usage = STORAGE): GPUBuffer {
  const size = align4(Math.max(4, data.byteLength));
  const buffer = device.createBuffer({ label, size, usage, mappedAtCreation: true });
  new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  buffer.unmap();
  return buffer;
}

/** Creates an uninitialized (zeroed by WebGPU) storage buffer. */
export function emptyBuffer(device: GPUDevice, bytes: number, label: string, usage = STORAGE): GPUBuffer {
  return device.createBuffer({ label, size: align4(Math.max(4, bytes)), usage });
}

/** Uniform buffer from 32-bit words (u32 unless a value is marked as float through a Float32Array). */
export function uniformBuffer(device: GPUDevice, words: Uint32Array | Float32Array, label: string): GPUBuffer {
  // Uniform buffers are 16-byte aligned in size (WGSL uniform layout rules).
  const size = Math.ceil(Math.max(16, words.byteLength) / 16) * 16;
  const buffer = device.createBuffer({ label, size, usage: Usage.UNIFORM | Usage.COPY_DST, mappedAtCreation: true });
  new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(words.buffer, words.byteOffset, words.byteLength));
  buffer.unmap();
  return buffer;
}

/** Copies `bytes` bytes from `src` at `offset` to the CPU. */
export async function readBuffer(device: GPUDevice, src: GPUBuffer, bytes = src.size, offset = 0): Promise<ArrayBuffer> {
  const size = align4(bytes);
  const staging = device.createBuffer({ label: 'readback', size, usage: Usage.MAP_READ | Usage.COPY_DST });
  try {
    const enc = device.createCommandEncoder({ label: 'readback' });
    enc.copyBufferToBuffer(src, offset, staging, 0, size);
    device.queue.submit([enc.finish()]);
    await staging.mapAsync(MapMode.READ);
    const copy = staging.getMappedRange().slice(0, bytes);
    staging.unmap();
    return copy;
  } finally {
    staging.destroy();
  }
}

/** Reads selected 4-byte words (indices into the buffer viewed as 32-bit words) without copying the rest. */
export async function readWords(device: GPUDevice, src: GPUBuffer, indices: readonly number[]): Promise<Uint32Array> {
  // Reading a large output whole costs host memory and time; sampled verification copies only the
  // spans between the smallest and largest sampled index, in chunks of at most 64 MiB.
  const out = new Uint32Array(indices.length);
  const chunkWords = 16 * 1024 * 1024;
  let i = 0;
  while (i < indices.length) {
    const start = indices[i] ?? 0;
    let j = i;
    while (j + 1 < indices.length && (indices[j + 1] ?? 0) - start < chunkWords) j++;
    const end = (indices[j] ?? start) + 1;
    const words = new Uint32Array(await readBuffer(device, src, (end - start) * 4, start * 4));
    for (let k = i; k <= j; k++) out[k] = words[(indices[k] ?? 0) - start] ?? 0;
    i = j + 1;
  }
  return out;
}
