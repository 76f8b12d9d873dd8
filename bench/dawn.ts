/**
 * Dawn for Node (npm `webgpu`): creates the GPU object with Dawn toggles and installs the WebGPU
 * globals (GPUBufferUsage, GPUOutOfMemoryError, ...) that browser code expects.
 */
import { createRequire } from 'node:module';
import { create, globals } from 'webgpu';
import type { RuntimeInfo } from '../src/report/schema';

/** Dawn toggles from PDB_DAWN_FLAGS (comma-free list separated by spaces) plus explicit ones. */
export function dawnFlags(explicit: readonly string[] = [], env = process.env.PDB_DAWN_FLAGS): string[] {
  const fromEnv = (env ?? '').split(/\s+/).filter((s) => s.length > 0);
  return [...fromEnv, ...explicit];
}

function dawnVersion(): string {
  try {
    const req = createRequire(import.meta.url);
    const pkg = req('webgpu/package.json') as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export interface NodeGpu {
  gpu: GPU;
  runtime: RuntimeInfo;
}

/** Creates Dawn's GPU with the given toggles (`enable-dawn-features=a,b`, ...). */
export function createNodeGpu(flags: readonly string[]): NodeGpu {
  Object.assign(globalThis, globals);
  const gpu = create([...flags]) as GPU;
  return { gpu, runtime: { kind: 'node', node_version: process.version, dawn_version: `webgpu@${dawnVersion()}`, dawn_flags: [...flags] } };
}
