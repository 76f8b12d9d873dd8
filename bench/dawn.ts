/**
 * Dawn for Node (npm `webgpu`): creates the GPU object with Dawn toggles and installs the WebGPU
 * globals (GPUBufferUsage, GPUOutOfMemoryError, ...) that browser code expects.
 */
import { createRequire } from 'node:module';
import { create, globals } from 'webgpu';
import type { RuntimeInfo } from '../src/report/schema';

const LIST_KEYS = ['enable-dawn-features', 'disable-dawn-features'] as const;

/**
 * Normalizes Dawn flags: all `enable-dawn-features=` lists become one flag, likewise `disable-`
 * (Dawn keeps only the last of each), and `timestamp_quantization` is disabled unless explicitly
 * enabled — Dawn otherwise rounds timestamps to 2^16 ns, seen on the H100 and SwiftShader.
 */
export function mergeDawnFlags(flags: readonly string[]): string[] {
  const lists: Record<(typeof LIST_KEYS)[number], string[]> = { 'enable-dawn-features': [], 'disable-dawn-features': [] };
  const rest: string[] = [];
  for (const f of flags) {
    const eq = f.indexOf('=');
    const key = f.slice(0, eq);
    if (eq > 0 && (LIST_KEYS as readonly string[]).includes(key)) {
      lists[key as (typeof LIST_KEYS)[number]].push(...f.slice(eq + 1).split(',').filter((x) => x.length > 0));
    } else rest.push(f);
  }
  if (!lists['enable-dawn-features'].includes('timestamp_quantization')) lists['disable-dawn-features'].push('timestamp_quantization');
  const out = [...rest];
  for (const key of LIST_KEYS) {
    const uniq = [...new Set(lists[key])];
    if (uniq.length > 0) out.push(`${key}=${uniq.join(',')}`);
  }
  return out;
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
  const merged = mergeDawnFlags(flags);
  const gpu = create(merged) as GPU;
  return { gpu, runtime: { kind: 'node', node_version: process.version, dawn_version: `webgpu@${dawnVersion()}`, dawn_flags: merged } };
}
